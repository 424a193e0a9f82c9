//! The per-user session limit holds on every way in, not only document 002's endpoint.

use crate::harness::each_backend;
use serde_json::Value;

#[tokio::test]
async fn the_session_limit_holds_on_every_surface_by_ending_the_least_recently_active() {
    each_backend!(|server| {
        server.set_settings(|s| s.max_sessions = 3).await;
        server.create_user("limited", "User").await;
        let mut tokens = Vec::new();
        for _ in 0..5 {
            tokens.push(server.login("limited").await);
            server.clock.advance(time::Duration::seconds(90));
        }
        // The two oldest made room for the newest.
        for (n, token) in tokens.iter().enumerate() {
            let expected = if n < 2 { 401 } else { 200 };
            assert_eq!(server.get("/api/me", token).await.0, expected, "login {n}");
        }
        let (status, sessions) = server.get("/api/me/sessions", &tokens[4]).await;
        assert_eq!(status, 200);
        assert_eq!(sessions.as_array().map(Vec::len), Some(3), "{sessions}");
        let inspect = server.inspect().await;
        let (made_room,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM activities WHERE description = \
             'Ended the least recently active session to make room for a new login.'",
        )
        .fetch_one(&inspect)
        .await
        .unwrap();
        assert_eq!(made_room, 2);
        // Document 002's endpoint still answers 419 and lets the client choose.
        let body = serde_json::json!({ "login": "limited", "password": crate::harness::PASSWORD });
        let (status, refused): (u16, Value) = server.post("/api/v1/token", body).await;
        assert_eq!(status, 419, "{refused}");
    });
}
