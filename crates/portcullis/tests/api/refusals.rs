//! What the router and the surfaces refuse on their own (a path nobody serves, a method a route
//! does not take, a body over the limit, a full password-hash queue) answers in the shape of
//! the surface the path belongs to: the account API, document 002's `/api/v1`, document 003's
//! `/v1`, the provider's `/oauth2` and the hosted pages (HTML).

use crate::harness::{Backend, TestServer, PASSWORD};
use reqwest::Method;
use serde_json::{json, Value};

/// The shape a surface answers in, checked on the body's text.
#[derive(Clone, Copy)]
enum Shape {
    /// `{"error": "..."}`.
    Account,
    /// `{"message": "..."}`.
    Vms,
    /// `{"type": "Error", "code": ..., "status_code": ...}`.
    Mgmt(&'static str),
    /// `{"error": "...", "error_description": "..."}`.
    OAuth(&'static str),
    /// An HTML page.
    Page,
}

fn assert_shape(shape: Shape, status: u16, body: &str, what: &str) {
    match shape {
        Shape::Page => assert!(body.starts_with("<!doctype html>"), "{what}: {body}"),
        _ => {
            let value: Value =
                serde_json::from_str(body).unwrap_or_else(|_| panic!("{what}: {body}"));
            let keys: Vec<&str> = value
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            match shape {
                Shape::Account => assert_eq!(keys, ["error"], "{what}: {body}"),
                Shape::Vms => assert_eq!(keys, ["message"], "{what}: {body}"),
                Shape::Mgmt(code) => {
                    assert_eq!(value["type"], "Error", "{what}: {body}");
                    assert_eq!(value["code"], code, "{what}: {body}");
                    assert_eq!(value["status_code"], status, "{what}: {body}");
                }
                Shape::OAuth(error) => {
                    assert_eq!(value["error"], error, "{what}: {body}");
                    assert!(value["error_description"].is_string(), "{what}: {body}");
                }
                Shape::Page => unreachable!(),
            }
        }
    }
}

#[tokio::test]
async fn every_surface_answers_an_unknown_path_a_wrong_method_and_a_large_body_in_its_own_shape() {
    let server = TestServer::start_with(&Backend::Sqlite, |config| {
        config.max_body_bytes = 1024;
    })
    .await;
    let key = crate::mgmt::api_key(&server, None).await;
    let large = "a".repeat(4096);
    // (surface, unknown path, a route and a method it does not take, a route taking a body and
    // the body's type, the shape of each of the three answers)
    let surfaces = [
        (
            "/api",
            "/api/nowhere",
            (Method::DELETE, "/api/login"),
            ("/api/login", "application/json"),
            [Shape::Account; 3],
        ),
        (
            "/api/v1",
            "/api/v1/nowhere",
            (Method::DELETE, "/api/v1/token"),
            ("/api/v1/token", "application/json"),
            [Shape::Vms; 3],
        ),
        (
            "/v1",
            "/v1/nowhere",
            (Method::DELETE, "/v1/tenants"),
            ("/v1/tenants", "application/json"),
            [
                Shape::Mgmt("not_found"),
                Shape::Mgmt("method_not_allowed"),
                Shape::Mgmt("request_too_large"),
            ],
        ),
        (
            "/oauth2",
            "/oauth2/nowhere",
            (Method::PUT, "/oauth2/token"),
            ("/oauth2/introspect", "application/x-www-form-urlencoded"),
            [Shape::OAuth("invalid_request"); 3],
        ),
        (
            "the pages",
            "/login/nowhere",
            (Method::DELETE, "/login"),
            ("/login", "application/x-www-form-urlencoded"),
            [Shape::Page; 3],
        ),
    ];
    for (surface, unknown, (method, route), (body_route, content_type), shapes) in surfaces {
        let body = if content_type == "application/json" {
            json!({ "name": large }).to_string()
        } else {
            format!("name={large}")
        };
        let requests = [
            ("unknown path", 404, server.request(Method::GET, unknown)),
            ("wrong method", 405, server.request(method, route)),
            (
                "large body",
                413,
                server
                    .request(Method::POST, body_route)
                    .header("content-type", content_type)
                    .header("authorization", format!("Bearer {key}"))
                    .body(body),
            ),
        ];
        for ((what, expected, request), shape) in requests.into_iter().zip(shapes) {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            assert_eq!(status, expected, "{surface}: {what}");
            let body = response.text().await.unwrap();
            assert_shape(shape, status, &body, &format!("{surface}: {what}"));
        }
    }
    server.stop().await;
}

/// What a burst of `requests` got: each answer's status, `Retry-After` and body.
async fn burst(requests: Vec<reqwest::RequestBuilder>) -> Vec<(u16, Option<String>, String)> {
    let answers = requests.into_iter().map(|request| async move {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        (status, retry_after, response.text().await.unwrap())
    });
    futures_util::future::join_all(answers).await
}

#[tokio::test]
async fn every_surface_that_hashes_a_password_answers_a_full_queue_in_its_own_shape() {
    let mut server = TestServer::start_with(&Backend::Sqlite, |config| {
        // Slow hashes, one worker, one waiting place: a burst must overflow.
        config.bcrypt_cost = 11;
        config.hash_workers = Some(1);
        config.hash_queue_max = Some(1);
    })
    .await;
    server.create_user("crowd", "User").await;
    // The bursts are about the hash queue, not the login throttles.
    server.set_settings(|s| s.throttle_attempts = 1000).await;
    let key = crate::mgmt::api_key(&server, None).await;
    let users = format!("/v1/tenants/{}/users", server.tenant.id);
    let created: Value = server
        .request(Method::POST, &users)
        .bearer_auth(&key)
        .json(&json!({ "profile": { "email": "imported@example.test" } }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let credentials = format!("{users}/{}/credentials", created["id"].as_str().unwrap());

    // The pages' forms need a CSRF token: one per browser, fetched before the burst.
    let mut page_requests = Vec::new();
    for _ in 0..12 {
        let mut browser = crate::pages::Browser::new(&server);
        browser.get("/login").await;
        page_requests
            .push(browser.form_post("/login", &[("login", "crowd"), ("password", PASSWORD)]));
    }
    let many = |make: &dyn Fn() -> reqwest::RequestBuilder| (0..12).map(|_| make()).collect();
    let surfaces: [(&str, Vec<reqwest::RequestBuilder>, Shape); 4] = [
        (
            "/api",
            many(&|| {
                server
                    .request(Method::POST, "/api/login")
                    .json(&json!({ "username": "crowd", "password": PASSWORD }))
            }),
            Shape::Account,
        ),
        (
            "/api/v1",
            many(&|| {
                server
                    .request(Method::POST, "/api/v1/token")
                    .json(&json!({ "login": "crowd", "password": PASSWORD, "session_id": null }))
            }),
            Shape::Vms,
        ),
        (
            "/v1",
            many(&|| {
                server
                    .request(Method::POST, &credentials)
                    .bearer_auth(&key)
                    .json(&json!({
                        "type": "PasswordCredential",
                        "password": { "alg": "plain", "hash": PASSWORD }
                    }))
            }),
            Shape::Mgmt("service_unavailable"),
        ),
        ("the pages", page_requests, Shape::Page),
    ];
    for (surface, requests, shape) in surfaces {
        let answers = burst(requests).await;
        let refused: Vec<_> = answers.iter().filter(|(s, ..)| *s == 503).collect();
        assert!(!refused.is_empty(), "{surface}: {answers:?}");
        assert!(
            answers.iter().all(|(s, ..)| *s < 500 || *s == 503),
            "{surface}: never a 500: {answers:?}"
        );
        for (status, retry_after, body) in refused {
            assert_shape(shape, *status, body, surface);
            assert!(
                retry_after
                    .as_deref()
                    .is_some_and(|s| s.parse::<u64>().is_ok()),
                "{surface}: Retry-After {retry_after:?}"
            );
        }
    }
    server.stop().await;
}
