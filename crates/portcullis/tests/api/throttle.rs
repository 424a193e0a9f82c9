//! Login throttles: per address and per login, shared by every password endpoint, counted in
//! the database; and trusted proxies, whose `X-Forwarded-For` names the address.

use crate::harness::{backends, each_backend, json_and_retry_after, TestServer, PASSWORD};
use reqwest::Method;
use serde_json::{json, Value};
use time::Duration;

/// What a throttled caller gets, for a wait of `seconds`.
fn throttled(seconds: u64) -> (u16, Value, Option<u64>) {
    let error = format!("Too many login attempts. Please try again in {seconds} seconds.");
    (429, json!({ "error": error }), Some(seconds))
}

/// `POST` to a password endpoint, through a proxy that says the caller is `from` (when
/// given): the status, body and `Retry-After`.
pub(crate) async fn attempt(
    server: &TestServer,
    path: &str,
    body: Value,
    from: Option<&str>,
) -> (u16, Value, Option<u64>) {
    let mut request = server.request(Method::POST, path).json(&body);
    if let Some(from) = from {
        request = request.header("x-forwarded-for", from);
    }
    json_and_retry_after(request.send().await.expect("request")).await
}

/// `POST /api/login`, optionally forwarded for `from`.
async fn login(
    server: &TestServer,
    username: &str,
    password: &str,
    from: Option<&str>,
) -> (u16, Value, Option<u64>) {
    let body = json!({ "username": username, "password": password });
    attempt(server, "/api/login", body, from).await
}

fn invalid() -> (u16, Value, Option<u64>) {
    (401, json!({ "error": "Invalid credentials." }), None)
}

/// A server that believes `X-Forwarded-For` from 127.0.0.1, where the tests connect from.
pub(crate) async fn behind_proxy(backend: &crate::harness::Backend) -> TestServer {
    TestServer::start_with(backend, |config| {
        config.trusted_proxies = vec!["127.0.0.1".to_owned()];
    })
    .await
}

#[tokio::test]
async fn ten_failures_lock_the_login_even_for_the_right_password_until_the_window_ends() {
    for backend in backends() {
        let server = behind_proxy(&backend).await;
        server.create_user("ana", "User").await;
        // From ten addresses, by username and by email alike: one account, one count.
        for i in 0..10 {
            let login_as = if i % 2 == 0 { "ana" } else { "ANA@example.com" };
            let from = format!("203.0.113.{i}");
            let answer = login(&server, login_as, "wrong-password", Some(&from)).await;
            assert_eq!(answer, invalid(), "attempt {i}");
        }
        let right = login(&server, "ana", PASSWORD, Some("198.51.100.1")).await;
        assert_eq!(right, throttled(600), "[{}]", server.backend_name);
        server.clock.advance(Duration::minutes(7));
        let right = login(&server, "ana", PASSWORD, Some("198.51.100.1")).await;
        assert_eq!(right, throttled(180));
        server.clock.advance(Duration::minutes(3));
        let (status, body, _) = login(&server, "ana", PASSWORD, Some("198.51.100.1")).await;
        assert_eq!(status, 200, "the window ended: {body}");
        assert!(body["token"].is_string(), "{body}");
        // Ended windows were swept; only this address's (given back) count is left.
        let db = server.inspect().await;
        let rows = sqlx::query("SELECT bucket, hits FROM throttles")
            .fetch_all(&db)
            .await
            .unwrap();
        let rows: Vec<(String, i64)> = rows
            .iter()
            .map(|row| (sqlx::Row::get(row, 0), sqlx::Row::get(row, 1)))
            .collect();
        assert_eq!(rows, [("ip:198.51.100.1".to_owned(), 0)]);
        db.close().await;
        server.stop().await;
    }
}

#[tokio::test]
async fn a_right_password_clears_the_logins_count_but_not_the_addresses() {
    for backend in backends() {
        let server = behind_proxy(&backend).await;
        server.create_user("ben", "User").await;
        let a = Some("203.0.113.1");
        for _ in 0..9 {
            assert_eq!(login(&server, "ben", "wrong-password", a).await, invalid());
        }
        let (status, body, _) = login(&server, "ben", PASSWORD, a).await;
        assert_eq!(status, 200, "[{}] {body}", server.backend_name);
        // The address has one failure left: the success was given back, not the failures.
        assert_eq!(login(&server, "ben", "wrong-password", a).await, invalid());
        assert_eq!(
            login(&server, "ben", "wrong-password", a).await,
            throttled(600)
        );
        // The login starts over: one failure above, nine more from elsewhere.
        for _ in 0..9 {
            let b = Some("203.0.113.2");
            assert_eq!(login(&server, "ben", "wrong-password", b).await, invalid());
        }
        let c = Some("203.0.113.3");
        assert_eq!(login(&server, "ben", PASSWORD, c).await, throttled(600));
        server.stop().await;
    }
}

#[tokio::test]
async fn ten_failures_from_one_address_lock_it_for_every_login() {
    each_backend!(|server| {
        server.create_user("cleo", "User").await;
        for i in 0..10 {
            let someone = format!("someone-{i}");
            assert_eq!(
                login(&server, &someone, "wrong-password", None).await,
                invalid()
            );
        }
        assert_eq!(
            login(&server, "cleo", PASSWORD, None).await,
            throttled(600),
            "[{}]",
            server.backend_name
        );
        assert_eq!(
            server.try_login("cleo", PASSWORD).await,
            (429, throttled(600).1)
        );
        server.clock.advance(Duration::minutes(10));
        server.login("cleo").await;
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_a_hundred_concurrent_attempts_exactly_the_allowed_ten_are_checked() {
    for backend in backends() {
        let server = TestServer::start_with(&backend, |config| {
            config.database_max_connections = 16;
            // A hundred connections from one address, more than one client may hold.
            config.max_connections_per_client = 128;
        })
        .await;
        server.create_user("dora", "User").await;
        let attempts = (0..100).map(|_| login(&server, "dora", "wrong-password", None));
        let answers = futures_util::future::join_all(attempts).await;
        let checked = answers.iter().filter(|a| **a == invalid()).count();
        let refused = answers.iter().filter(|a| **a == throttled(600)).count();
        assert_eq!(
            (checked, refused),
            (10, 90),
            "[{}] {answers:?}",
            server.backend_name
        );
        let stats = server.app.services.stats();
        assert_eq!((stats.logins.failed, stats.logins.refused), (10, 90));
        server.stop().await;
    }
}

#[tokio::test]
async fn the_tenants_settings_drive_the_throttles() {
    each_backend!(|server| {
        server.create_user("eli", "User").await;
        server
            .set_settings(|s| {
                s.throttle_attempts = 3;
                s.throttle_lockout_time = 2;
            })
            .await;
        for _ in 0..3 {
            assert_eq!(
                login(&server, "eli", "wrong-password", None).await,
                invalid()
            );
        }
        assert_eq!(
            login(&server, "eli", PASSWORD, None).await,
            throttled(120),
            "[{}]",
            server.backend_name
        );

        // Turned off, nothing is counted or refused.
        server.set_settings(|s| s.throttle_enabled = false).await;
        for _ in 0..15 {
            assert_eq!(
                login(&server, "eli", "wrong-password", None).await,
                invalid()
            );
        }
        server.login("eli").await;
    });
}

#[tokio::test]
async fn the_device_endpoint_is_throttled_too() {
    for backend in backends() {
        let server = TestServer::start_with(&backend, |config| {
            config.enable_device_auth_endpoint = true;
        })
        .await;
        server.create_user("fay", "User").await;
        let body = |password: &str| json!({ "email": "fay@example.com", "password": password, "device_name": "Pixel" });
        let wrong = json!({ "email": ["The provided credentials are incorrect."] });
        for _ in 0..10 {
            let answer = attempt(&server, "/api/sanctum/token", body("nope"), None).await;
            assert_eq!(answer, (422, wrong.clone(), None));
        }
        let answer = attempt(&server, "/api/sanctum/token", body(PASSWORD), None).await;
        assert_eq!(answer, throttled(600), "[{}]", server.backend_name);
        // The same counters as /api/login: the address is used up there as well.
        assert_eq!(login(&server, "fay", PASSWORD, None).await, throttled(600));
        server.stop().await;
    }
}

#[tokio::test]
async fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
    for backend in backends() {
        // Trusted: each forwarded address has its own count, and sessions record it.
        let server = behind_proxy(&backend).await;
        server.create_user("gus", "User").await;
        for i in 0..10 {
            let nobody = format!("nobody-{i}");
            let from = Some("203.0.113.50");
            assert_eq!(
                login(&server, &nobody, "wrong-password", from).await,
                invalid()
            );
        }
        let from_a = login(&server, "gus", PASSWORD, Some("203.0.113.50")).await;
        assert_eq!(from_a, throttled(600), "[{}]", server.backend_name);
        // A client cannot escape by writing the header itself: the proxy appends what it saw.
        let spoofed = login(&server, "gus", PASSWORD, Some("10.9.9.9, 203.0.113.50")).await;
        assert_eq!(spoofed, throttled(600));
        let (status, body, _) = login(&server, "gus", PASSWORD, Some("203.0.113.51")).await;
        assert_eq!(status, 200, "{body}");
        let token = body["token"].as_str().unwrap();
        let (_, sessions) = server.get("/api/me/sessions", token).await;
        assert_eq!(sessions[0]["ip_address"], "203.0.113.51", "{sessions}");
        server.stop().await;

        // Not trusted: the header is ignored, and every request is 127.0.0.1.
        let server = TestServer::start(&backend).await;
        server.create_user("gus", "User").await;
        for i in 0..10 {
            let nobody = format!("nobody-{i}");
            let from = format!("203.0.113.{i}");
            assert_eq!(
                login(&server, &nobody, "wrong-password", Some(&from)).await,
                invalid()
            );
        }
        let elsewhere = login(&server, "gus", PASSWORD, Some("198.51.100.7")).await;
        assert_eq!(elsewhere, throttled(600));
        server.stop().await;
    }
}
