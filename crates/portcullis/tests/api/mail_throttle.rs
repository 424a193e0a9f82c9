//! Requests that make the server mail an address the caller names (sign-ups, password resets)
//! share the login throttles' windows: `throttle_attempts` per client address, and three reset
//! mails per account from all addresses together.

use crate::harness::{backends, TestServer};
use crate::throttle::{attempt, behind_proxy};
use serde_json::{json, Value};
use time::Duration;

async fn remind(server: &TestServer, email: &str, from: &str) -> (u16, Value, Option<u64>) {
    let body = json!({ "email": email });
    attempt(server, "/api/password/remind", body, Some(from)).await
}

async fn register(server: &TestServer, name: &str, from: &str) -> (u16, Value, Option<u64>) {
    let body = json!({
        "username": name,
        "email": format!("{name}@example.com"),
        "password": "s3cret-password",
        "password_confirmation": "s3cret-password",
    });
    attempt(server, "/api/register", body, Some(from)).await
}

fn too_many(seconds: u64) -> (u16, Value, Option<u64>) {
    let error = format!("Too many requests for emails. Please try again in {seconds} seconds.");
    (429, json!({ "error": error }), Some(seconds))
}

/// Reset mails queued for `to`, sent or not.
async fn queued_for(server: &TestServer, to: &str) -> i64 {
    let db = server.inspect().await;
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mail_queue WHERE recipient = $1")
        .bind(to)
        .fetch_one(&db)
        .await
        .unwrap();
    db.close().await;
    count
}

#[tokio::test]
async fn an_account_gets_three_reset_mails_a_window_however_many_addresses_ask() {
    for backend in backends() {
        let server = behind_proxy(&backend).await;
        server.create_user("popular", "User").await;
        let email = "popular@example.com";
        for i in 0..3 {
            let (status, body, _) = remind(&server, email, &format!("203.0.113.{i}")).await;
            assert_eq!(status, 200, "request {i}: {body}");
        }
        let fourth = remind(&server, email, "198.51.100.1").await;
        assert_eq!(fourth, too_many(600), "[{}]", server.backend_name);
        assert_eq!(queued_for(&server, email).await, 3);
        // Another account is not held up, and that address may still ask.
        server.create_user("other", "User").await;
        let (status, ..) = remind(&server, "other@example.com", "198.51.100.1").await;
        assert_eq!(status, 200);

        server.clock.advance(Duration::minutes(4));
        assert_eq!(remind(&server, email, "198.51.100.2").await, too_many(360));
        server.clock.advance(Duration::minutes(6));
        let (status, body, _) = remind(&server, email, "198.51.100.2").await;
        assert_eq!(status, 200, "the window ended: {body}");
        assert_eq!(queued_for(&server, email).await, 4);
        server.stop().await;
    }
}

#[tokio::test]
async fn one_address_gets_throttle_attempts_sign_ups_and_reset_requests_a_window() {
    for backend in backends() {
        let mut server = behind_proxy(&backend).await;
        let from = "203.0.113.7";
        // Sign-ups and reset requests share the count, unknown addresses included, so the
        // answers cannot be used to test addresses one after another either.
        for i in 0..6 {
            let (status, body, _) = register(&server, &format!("newcomer{i}"), from).await;
            assert_eq!(status, 201, "sign-up {i}: {body}");
        }
        for i in 0..4 {
            let (status, ..) = remind(&server, &format!("nobody{i}@example.com"), from).await;
            assert_eq!(status, 422, "request {i}");
        }
        assert_eq!(
            register(&server, "one-too-many", from).await,
            too_many(600),
            "[{}]",
            server.backend_name
        );
        assert_eq!(
            remind(&server, "newcomer0@example.com", from).await,
            too_many(600)
        );
        let (status, ..) = register(&server, "elsewhere", "203.0.113.8").await;
        assert_eq!(status, 201, "another address has its own count");

        // Refused requests count too: twelve so far.
        server.set_settings(|s| s.throttle_attempts = 20).await;
        let (status, ..) = register(&server, "eleventh", from).await;
        assert_eq!(status, 201, "the tenant's attempts allow more");
        server.set_settings(|s| s.throttle_enabled = false).await;
        for i in 0..3 {
            let (status, ..) = register(&server, &format!("unthrottled{i}"), from).await;
            assert_eq!(status, 201, "throttles off: sign-up {i}");
        }
        server.stop().await;
    }
}
