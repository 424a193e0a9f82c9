//! Every `/api` route that takes a token refuses one without the scope the route declares in
//! its OpenAPI `security`, and lets one with that scope past the scope check; a user whose role
//! lacks the route's permission is refused before the request is read.

use crate::harness::each_backend;
use crate::tokens::make_token;
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn every_route_refuses_a_token_without_its_scope() {
    each_backend!(|server| {
        let admin = server.signed_in("boss", "Admin").await;
        let (_, document) = server.call(Method::GET, "/openapi/api.json").await;
        let (_, registry) = server.get("/api/scopes", &admin).await;
        let builtin: Vec<&str> = registry
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["builtin"] == true)
            .map(|s| s["name"].as_str().unwrap())
            .collect();

        let mut checked = 0;
        for (template, item) in document["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let Some(security) = operation["security"].as_array() else {
                    continue;
                };
                let scopes = &security[0]["bearer"];
                let Some(scope) = scopes.get(0).and_then(Value::as_str) else {
                    assert_eq!(scopes, &json!([]), "{method} {template}");
                    continue;
                };
                // Ids that name nothing, so that a request let through changes nothing.
                let path = template
                    .replace("{id}", "999999")
                    .replace("{name}", "no-such-scope");
                let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();

                let others: Vec<&str> = builtin.iter().copied().filter(|s| *s != scope).collect();
                let without = make_token(&server, &admin, &others).await;
                let (status, body) = server
                    .send(method.clone(), &path, &without, json!({}))
                    .await;
                assert_eq!(
                    (status, &body),
                    (
                        403,
                        &json!({ "error": "Forbidden.", "missing_scope": scope })
                    ),
                    "[{}] {method} {template} without {scope}",
                    server.backend_name
                );

                let with = make_token(&server, &admin, &[scope]).await;
                let (status, body) = server.send(method.clone(), &path, &with, json!({})).await;
                assert!(
                    body.get("missing_scope").is_none() && status != 401,
                    "[{}] {method} {template} with {scope}: {status} {body}",
                    server.backend_name
                );
                checked += 1;
            }
        }
        assert!(checked >= 45, "walked only {checked} routes");
    });
}

#[tokio::test]
async fn any_token_may_log_out_and_ask_about_itself() {
    each_backend!(|server| {
        let pat = server.signed_in("pat", "User").await;
        let narrow = make_token(&server, &pat, &["view-profile"]).await;
        let (status, current) = server.get("/api/me/token", &narrow).await;
        assert_eq!(
            (status, &current["scopes"]),
            (200, &json!(["view-profile"]))
        );
        let (status, _) = server
            .send(Method::POST, "/api/logout", &narrow, json!({}))
            .await;
        assert_eq!(status, 200);
        assert_eq!(server.get("/api/me", &narrow).await.0, 401);
        assert_eq!(
            server.get("/api/me", &pat).await.0,
            200,
            "the login lives on"
        );
    });
}

/// The route's permission is checked with its scope, before the request is read: a user whose
/// role lacks it learns nothing from how its path, body or query would have been answered.
#[tokio::test]
async fn a_user_without_the_permission_is_refused_before_the_request_is_read() {
    each_backend!(|server| {
        let pat = server.signed_in("pat", "User").await;
        let forbidden = json!({ "error": "Forbidden." });
        let requests = [
            (Method::GET, "/api/roles/not-a-number", json!({})),
            (Method::POST, "/api/roles", json!({ "name": 5 })),
            (
                Method::PATCH,
                "/api/settings",
                json!({ "throttle_attempts": "many" }),
            ),
            (Method::PUT, "/api/users/0", json!({ "email": 5 })),
        ];
        for (method, path, body) in requests {
            let (status, answer) = server.send(method.clone(), path, &pat, body).await;
            assert_eq!(
                (status, &answer),
                (403, &forbidden),
                "[{}] {method} {path}",
                server.backend_name
            );
        }
        let (status, answer) = server.get("/api/users?status=Nobody", &pat).await;
        assert_eq!(
            (status, &answer),
            (403, &forbidden),
            "[{}]",
            server.backend_name
        );
    });
}
