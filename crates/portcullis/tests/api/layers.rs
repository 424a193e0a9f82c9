//! What every route runs under: request ids in headers and logs, panics caught, the request
//! timeout, and refusal when the password-hash queue is full.

use crate::harness::{backends, partial_login, Backend, RawConnection, TestServer, PASSWORD};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use axum::Router;
use http_body_util::BodyExt;
use reqwest::Method;
use serde_json::json;
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

async fn call(app: &Router, path: &str, request_id: Option<&str>) -> (StatusCode, String) {
    let mut request = Request::builder().uri(path);
    if let Some(id) = request_id {
        request = request.header("x-request-id", id);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

async fn boom() -> &'static str {
    panic!("handler bug")
}

/// The app's routes plus a panicking and a quiet one, under the common layers.
fn with_test_routes(server: &TestServer) -> Router {
    let state = server.app.state.clone();
    portcullis_http::with_layers(
        portcullis_http::routes(state.clone())
            .route("/boom", get(boom))
            .route("/account/boom", get(boom))
            .route("/oauth2/boom", get(boom))
            .route("/fine", get(|| async { "fine" })),
        state,
    )
}

#[tokio::test]
async fn a_panicking_handler_gets_a_json_500_and_others_keep_working() {
    let server = TestServer::start(&Backend::Sqlite).await;
    let app = with_test_routes(&server);
    let (status, body) = call(&app, "/boom", None).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body, r#"{"error":"Internal server error."}"#);
    assert_eq!(
        call(&app, "/fine", None).await,
        (StatusCode::OK, "fine".to_owned())
    );
    let (status, body) = call(&app, "/missing", None).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::NOT_FOUND, r#"{"error":"Resource not found."}"#)
    );
    server.stop().await;
}

#[tokio::test]
async fn the_pages_and_the_provider_answer_what_the_router_answers_in_their_own_shape() {
    let server = TestServer::start(&Backend::Sqlite).await;
    let app = with_test_routes(&server);
    // The pages: HTML.
    for (path, status) in [
        ("/account/boom", StatusCode::INTERNAL_SERVER_ERROR),
        ("/account/nowhere", StatusCode::NOT_FOUND),
        ("/login/nowhere/at/all", StatusCode::NOT_FOUND),
    ] {
        let (got, body) = call(&app, path, None).await;
        assert_eq!(got, status, "{path}");
        assert!(body.starts_with("<!doctype html>"), "{path}: {body}");
    }
    // The provider: RFC 6749's shape.
    let (status, body) = call(&app, "/oauth2/boom", None).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap(),
        json!({ "error": "server_error", "error_description": "Internal server error." })
    );
    let (status, body) = call(&app, "/oauth2/nowhere", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["error"],
        "invalid_request"
    );
    // Over HTTP, with methods the routes do not take.
    let response = server
        .request(Method::DELETE, "/login")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert!(response
        .text()
        .await
        .unwrap()
        .starts_with("<!doctype html>"));
    let response = server
        .request(Method::PUT, "/oauth2/token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    // The account API keeps its own.
    let (status, body) = call(&app, "/boom", None).await;
    assert_eq!(
        (status, body.as_str()),
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            r#"{"error":"Internal server error."}"#
        )
    );
    server.stop().await;
}

#[tokio::test]
async fn request_ids_are_kept_when_sensible_and_made_otherwise() {
    let server = TestServer::start(&Backend::Sqlite).await;
    let id_of = |response: &reqwest::Response| {
        response
            .headers()
            .get("x-request-id")
            .expect("every response has a request id")
            .to_str()
            .unwrap()
            .to_owned()
    };
    let kept = server
        .request(Method::GET, "/api/me")
        .header("x-request-id", "lb-7f3a.0001")
        .send()
        .await
        .unwrap();
    assert_eq!(id_of(&kept), "lb-7f3a.0001");
    assert_eq!(kept.status(), 401, "errors carry it too");
    for odd in ["", "has spaces", &"x".repeat(129)] {
        let replaced = server
            .request(Method::GET, "/health/live")
            .header("x-request-id", odd)
            .send()
            .await
            .unwrap();
        let id = id_of(&replaced);
        assert_ne!(id, odd);
        assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 4);
    }
    let first = id_of(
        &server
            .request(Method::GET, "/nowhere")
            .send()
            .await
            .unwrap(),
    );
    let second = id_of(
        &server
            .request(Method::GET, "/nowhere")
            .send()
            .await
            .unwrap(),
    );
    assert_ne!(first, second, "each request gets its own");
    server.stop().await;
}

/// Collects log output in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'w> tracing_subscriber::fmt::MakeWriter<'w> for Captured {
    type Writer = Captured;
    fn make_writer(&'w self) -> Self::Writer {
        self.clone()
    }
}

impl Captured {
    fn lines(&self) -> Vec<String> {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

/// Runs requests with the binary's log layer in `format`, and returns what it wrote.
async fn logged(server: &TestServer, format: &str) -> Vec<String> {
    use tracing_subscriber::prelude::*;
    let config = portcullis::Config {
        log: "info,portcullis::access=debug".to_owned(),
        log_format: format.to_owned(),
        ..portcullis::Config::default()
    };
    let captured = Captured::default();
    let subscriber = tracing_subscriber::registry().with(portcullis::logging::layer(
        &config,
        captured.clone(),
        false,
    ));
    // This test's runtime has one thread, so the in-process requests log to this subscriber.
    let _guard = tracing::subscriber::set_default(subscriber);
    let app = with_test_routes(server);
    call(&app, "/boom", Some("req-boom-1")).await;
    call(&app, "/health/live", Some("req-live-2")).await;
    captured.lines()
}

/// Tracing caches, per callsite and for every thread at once, whether anyone listens; a test
/// thread without a subscriber can store "nobody" just after this test's subscriber appeared.
/// So the logging check runs alone, in a process of this test binary of its own.
#[test]
fn every_log_line_of_a_request_carries_its_id_as_text_or_json() {
    let alone = "layers::request_logs_in_a_process_of_their_own";
    let output = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([
            alone,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .output()
        .expect("the test binary runs");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{printed}");
    assert!(printed.contains("1 passed"), "{printed}");
}

#[tokio::test]
#[ignore = "run alone by every_log_line_of_a_request_carries_its_id_as_text_or_json"]
async fn request_logs_in_a_process_of_their_own() {
    let server = TestServer::start(&Backend::Sqlite).await;

    let lines = logged(&server, "text").await;
    let panicked = lines
        .iter()
        .find(|l| l.contains("a handler panicked"))
        .unwrap_or_else(|| panic!("the panic is logged: {lines:?}"));
    assert!(panicked.contains("id=req-boom-1"), "{panicked}");
    assert!(panicked.contains("route=/boom"), "{panicked}");
    let answered: Vec<_> = lines.iter().filter(|l| l.contains("answered")).collect();
    assert_eq!(answered.len(), 2, "{lines:?}");
    assert!(answered[0].contains("id=req-boom-1") && answered[0].contains("status=500"));
    assert!(answered[1].contains("id=req-live-2") && answered[1].contains("status=200"));

    let lines = logged(&server, "json").await;
    assert!(lines.len() >= 3, "{lines:?}");
    for line in &lines {
        let entry: serde_json::Value = serde_json::from_str(line).expect("one JSON object a line");
        let id = entry["span"]["id"].as_str();
        assert!(
            id == Some("req-boom-1") || id == Some("req-live-2"),
            "{line}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn a_request_past_the_timeout_gets_a_503_in_the_error_shape() {
    for backend in backends() {
        let server = TestServer::start_with(&backend, |config| {
            config.request_timeout_seconds = 1;
        })
        .await;
        // Half a body and then nothing: the handler waits for the rest until the timeout.
        let (head, _rest) = partial_login("slow", 10);
        let mut connection = RawConnection::open(server.addr).await.unwrap();
        connection.send(&head).await;
        let response = connection.response().await.expect("an answer");
        assert!(response.starts_with("HTTP/1.1 503"), "{response}");
        assert!(
            response.to_ascii_lowercase().contains("retry-after: 5"),
            "{response}"
        );
        assert!(
            response.ends_with(r#"{"error":"The request took too long."}"#),
            "{response}"
        );
        assert_eq!(server.call(Method::GET, "/health/live").await.0, 200);
        server.stop().await;
    }
}

#[tokio::test]
async fn every_surface_answers_a_timeout_in_its_own_shape() {
    let server = TestServer::start_with(&Backend::Sqlite, |config| {
        config.request_timeout_seconds = 1;
    })
    .await;
    let key = crate::mgmt::api_key(&server, None).await;
    // Half a body and then nothing, on a route of each surface.
    for (path, content_type, shape) in [
        (
            "/api/login",
            "application/json",
            r#"{"error":"The request took too long."}"#,
        ),
        (
            "/api/v1/token",
            "application/json",
            r#"{"message":"Service temporarily unavailable."}"#,
        ),
        (
            "/oauth2/token",
            "application/x-www-form-urlencoded",
            r#""error":"temporarily_unavailable""#,
        ),
        (
            "/login",
            "application/x-www-form-urlencoded",
            "<!doctype html>",
        ),
        ("/v1/tenants", "application/json", r#""code":"timeout""#),
    ] {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\n\
             Authorization: Bearer {key}\r\nContent-Length: 100\r\n\r\nabc"
        );
        let mut connection = RawConnection::open(server.addr).await.unwrap();
        connection.send(head.as_bytes()).await;
        let response = connection.response().await.expect("an answer");
        assert!(response.starts_with("HTTP/1.1 503"), "{path}: {response}");
        assert!(response.contains(shape), "{path}: {response}");
    }
    server.stop().await;
}

#[tokio::test]
async fn logins_beyond_the_hash_queue_are_refused_at_once_with_retry_after() {
    for backend in backends() {
        let mut server = TestServer::start_with(&backend, |config| {
            // Slow hashes, one worker, one waiting place: a burst must overflow.
            config.bcrypt_cost = 11;
            config.hash_workers = Some(1);
            config.hash_queue_max = Some(1);
        })
        .await;
        server.create_user("crowd", "User").await;
        // The burst is about the hash queue, not the login throttles.
        server.set_settings(|s| s.throttle_attempts = 100).await;
        let attempts = (0..12).map(|_| async {
            let response = server
                .request(Method::POST, "/api/login")
                .json(&json!({ "username": "crowd", "password": PASSWORD }))
                .send()
                .await
                .unwrap();
            crate::harness::json_and_retry_after(response).await
        });
        let results = futures_util::future::join_all(attempts).await;
        let refused: Vec<_> = results.iter().filter(|(s, ..)| *s == 503).collect();
        let succeeded = results.iter().filter(|(s, ..)| *s == 200).count();
        assert!(!refused.is_empty(), "{results:?}");
        assert!(succeeded >= 1, "{results:?}");
        assert_eq!(refused.len() + succeeded, results.len(), "{results:?}");
        for (_, body, retry_after) in &refused {
            assert_eq!(
                body,
                &json!({ "error": "Too many requests at once; try again shortly." })
            );
            assert!(retry_after.is_some_and(|s| s >= 1), "{retry_after:?}");
        }
        let stats = server.app.services.stats();
        assert_eq!(stats.logins.refused, refused.len() as u64);
        assert_eq!(stats.logins.succeeded, succeeded as u64);
        assert_eq!(stats.hash_pool.queued, 0, "the queue empties again");
        assert_eq!(server.login("crowd").await.split('|').count(), 2);
        server.stop().await;
    }
}
