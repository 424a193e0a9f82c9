//! Logging in, logging out, and what a token is worth afterwards.

use crate::harness::{each_backend, json, PASSWORD};
use reqwest::Method;
use serde_json::json;
use time::Duration;

#[tokio::test]
async fn login_by_username_or_email_then_me_then_logout() {
    each_backend!(|server| {
        let by_name = server.signed_in("milos", "User").await;
        let by_email = server.login("MILOS@example.com").await;
        assert_ne!(by_name, by_email);
        let (id, secret) = by_name.split_once('|').expect("id|secret");
        assert!(id.parse::<i64>().is_ok());
        assert_eq!(secret.len(), 40);

        let (status, me) = server.get("/api/me", &by_name).await;
        assert_eq!(status, 200, "{me}");
        assert_eq!(me["username"], "milos");

        let response = server
            .request(Method::POST, "/api/logout")
            .bearer_auth(&by_name)
            .send()
            .await
            .unwrap();
        let (status, body) = json(response).await;
        assert_eq!((status, body), (200, json!({ "success": true })));

        let (status, body) = server.get("/api/me", &by_name).await;
        assert_eq!(
            (status, body),
            (401, json!({ "error": "Unauthorized." })),
            "logged-out token still works"
        );
        // Another session of the same user is untouched.
        assert_eq!(server.get("/api/me", &by_email).await.0, 200);
        // Logging out twice is unauthorized, not an error.
        let again = server
            .request(Method::POST, "/api/logout")
            .bearer_auth(&by_name)
            .send()
            .await
            .unwrap();
        assert_eq!(
            json(again).await,
            (401, json!({ "error": "Unauthorized." }))
        );
    });
}

#[tokio::test]
async fn wrong_password_and_unknown_user_are_invalid_credentials() {
    each_backend!(|server| {
        server.create_user("ana", "User").await;
        for (username, password) in [
            ("ana", "wrong-password"),
            ("nobody", PASSWORD),
            ("' OR 1=1 --", "x' OR '1'='1"),
        ] {
            assert_eq!(
                server.try_login(username, password).await,
                (401, json!({ "error": "Invalid credentials." })),
                "{username}"
            );
        }
    });
}

#[tokio::test]
async fn banned_users_cannot_log_in_and_lose_their_sessions() {
    each_backend!(|server| {
        let user = server.create_user("bad", "User").await;
        let token = server.login("bad").await;
        // Warm any remembered lookup of the token: the ban must still take effect at once.
        assert_eq!(server.get("/api/me", &token).await.0, 200);
        server
            .app
            .services
            .set_banned(&server.tenant, user.id, true)
            .await
            .unwrap();

        let expected = json!({ "error": "Your account is banned by administrators." });
        assert_eq!(server.try_login("bad", PASSWORD).await, (403, expected));
        // A wrong password does not reveal the ban.
        assert_eq!(server.try_login("bad", "wrong-password").await.0, 401);
        assert_eq!(server.get("/api/me", &token).await.0, 401);

        server
            .app
            .services
            .set_banned(&server.tenant, user.id, false)
            .await
            .unwrap();
        assert_eq!(
            server.get("/api/me", &token).await.0,
            401,
            "unbanning must not revive old sessions"
        );
        let fresh = server.login("bad").await;
        assert_eq!(server.get("/api/me", &fresh).await.0, 200);
    });
}

#[tokio::test]
async fn sessions_expire_with_the_clock() {
    each_backend!(|server| {
        let token = server.signed_in("tim", "User").await;
        let lifetime = server.tenant.settings.session_lifetime_minutes;
        server.clock.advance(Duration::minutes(lifetime - 1));
        assert_eq!(server.get("/api/me", &token).await.0, 200);
        server.clock.advance(Duration::minutes(2));
        assert_eq!(
            server.get("/api/me", &token).await,
            (401, json!({ "error": "Unauthorized." }))
        );
    });
}

#[tokio::test]
async fn malformed_and_forged_tokens_are_unauthorized() {
    each_backend!(|server| {
        let token = server.signed_in("eve", "User").await;
        let (id, secret) = token.split_once('|').unwrap();
        let forged_secret = format!("{id}|{}", "A".repeat(secret.len()));
        let other_id = format!("{}|{secret}", id.parse::<i64>().unwrap() + 1000);
        for bad in [
            "",
            "garbage",
            "|",
            &forged_secret,
            &other_id,
            "1|' OR 1=1 --",
            "99999999999999999999|x",
        ] {
            let (status, body) = server.get("/api/me", bad).await;
            assert_eq!(
                (status, body),
                (401, json!({ "error": "Unauthorized." })),
                "{bad:?}"
            );
        }
        assert_eq!(server.call(Method::GET, "/api/me").await.0, 401);
        let basic = server
            .request(Method::GET, "/api/me")
            .basic_auth("eve", Some(PASSWORD))
            .send()
            .await
            .unwrap();
        assert_eq!(json(basic).await.0, 401);
        let lowercase_scheme = server
            .request(Method::GET, "/api/me")
            .header("authorization", format!("bearer {token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(json(lowercase_scheme).await.0, 200);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_logins_and_reads_all_succeed() {
    each_backend!(|server| {
        for i in 0..4 {
            server.create_user(&format!("crowd{i}"), "User").await;
        }
        // More logins in flight from one address than the throttle lets through at once.
        // (and no session limit: six logins of each user must all stay live).
        server
            .set_settings(|s| {
                s.throttle_attempts = 100;
                s.max_sessions = 0;
            })
            .await;
        let server = &server;
        let clients = (0..24).map(|i| async move {
            let token = server.login(&format!("crowd{}", i % 4)).await;
            let (status, me) = server.get("/api/me", &token).await;
            assert_eq!(status, 200, "{me}");
            server.clock.advance(Duration::seconds(61));
            assert_eq!(server.get("/api/me", &token).await.0, 200);
        });
        futures_util::future::join_all(clients).await;
        let db = server.inspect().await;
        let sessions = sqlx::query("SELECT COUNT(*) FROM sessions")
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(sqlx::Row::get::<i64, _>(&sessions, 0), 24);
        db.close().await;
    });
}
