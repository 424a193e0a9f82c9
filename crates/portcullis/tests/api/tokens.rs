//! Personal tokens and their scopes (document 000), over HTTP. The token cache
//! is on, so revocation and rotation must reach the next request.

use crate::harness::{each_backend, TestServer};
use reqwest::Method;
use serde_json::{json, Value};

/// Makes a personal token with `scopes` using `token`; the bearer value.
pub async fn make_token(server: &TestServer, token: &str, scopes: &[&str]) -> String {
    let body = json!({ "name": "script", "scopes": scopes });
    let (status, created) = server
        .send(Method::POST, "/api/me/tokens", token, body)
        .await;
    assert_eq!(status, 201, "[{}] {created}", server.backend_name);
    created["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn personal_tokens_are_created_listed_used_rotated_and_revoked() {
    each_backend!(|server| {
        let admin = server.signed_in("boss", "Admin").await;

        let body = json!({ "name": "  backup script ", "scopes": ["view-profile", "view-users"], "expires_at": "2999-01-01 00:00:00" });
        let (status, created) = server
            .send(Method::POST, "/api/me/tokens", &admin, body)
            .await;
        assert_eq!(status, 201, "{created}");
        let bearer = created["token"].as_str().unwrap().to_owned();
        let (id, secret) = bearer.split_once('|').unwrap();
        assert_eq!(id, created["id"].to_string());
        assert_eq!(secret.len(), 40);
        assert_eq!(created["name"], "backup script");
        assert_eq!(created["scopes"], json!(["view-profile", "view-users"]));
        assert_eq!(created["kind"], "personal");
        assert_eq!(created["expires_at"], "2999-01-01 00:00:00");
        assert_eq!(created["last_used_at"], Value::Null);

        // Used: allowed where its scopes reach, refused elsewhere with the scope named.
        assert_eq!(server.get("/api/me", &bearer).await.0, 200);
        assert_eq!(server.get("/api/users", &bearer).await.0, 200);
        let (status, refused) = server.get("/api/roles", &bearer).await;
        assert_eq!(status, 403);
        assert_eq!(
            refused,
            json!({ "error": "Forbidden.", "missing_scope": "manage-roles" })
        );
        // It may not list or make tokens: that needs manage-tokens.
        let (status, refused) = server.get("/api/me/tokens", &bearer).await;
        assert_eq!(
            (status, &refused["missing_scope"]),
            (403, &json!("manage-tokens"))
        );

        let (status, current) = server.get("/api/me/token", &bearer).await;
        assert_eq!(status, 200, "{current}");
        assert_eq!(current["scopes"], json!(["view-profile", "view-users"]));
        assert!(current["last_used_at"].is_string(), "{current}");
        assert!(current.get("token").is_none() && current.get("secret_hash").is_none());
        let (_, login_token) = server.get("/api/me/token", &admin).await;
        assert_eq!(
            (&login_token["scopes"], &login_token["kind"]),
            (&json!(["*"]), &json!("session"))
        );

        let (status, listed) = server.get("/api/me/tokens", &admin).await;
        assert_eq!(status, 200);
        let listed = listed.as_array().unwrap();
        assert_eq!(listed.len(), 1, "login tokens are not listed: {listed:?}");
        let keys: Vec<&String> = listed[0].as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "created_at",
                "expires_at",
                "id",
                "kind",
                "last_used_at",
                "name",
                "scopes"
            ]
        );

        // Rotation: the old value dies at once (it was cached), the new one works.
        let path = format!("/api/me/tokens/{id}/rotate");
        let (status, rotated) = server.send(Method::POST, &path, &admin, json!({})).await;
        assert_eq!(status, 200, "{rotated}");
        let fresh = rotated["token"].as_str().unwrap().to_owned();
        assert!(fresh.starts_with(&format!("{id}|")) && fresh != bearer);
        assert_eq!(server.get("/api/me", &bearer).await.0, 401);
        assert_eq!(server.get("/api/me", &fresh).await.0, 200);

        // Revocation.
        let path = format!("/api/me/tokens/{id}");
        let (status, body) = server.send(Method::DELETE, &path, &admin, json!({})).await;
        assert_eq!((status, body), (200, json!({ "success": true })));
        assert_eq!(server.get("/api/me", &fresh).await.0, 401);
        assert_eq!(server.get("/api/me/tokens", &admin).await.1, json!([]));
        for gone in [
            path.as_str(),
            "/api/me/tokens/999999",
            "/api/me/tokens/abc",
            "/api/me/tokens/-1",
        ] {
            let (status, body) = server.send(Method::DELETE, gone, &admin, json!({})).await;
            assert_eq!(
                (status, body),
                (404, json!({ "error": "Resource not found." })),
                "{gone}"
            );
        }

        // Another user's token, and a login token, are not the caller's personal tokens.
        let pat = server.signed_in("pat", "User").await;
        let pats = make_token(&server, &pat, &["view-profile"]).await;
        let pats_id = pats.split_once('|').unwrap().0;
        let path = format!("/api/me/tokens/{pats_id}");
        assert_eq!(
            server
                .send(Method::DELETE, &path, &admin, json!({}))
                .await
                .0,
            404
        );
        let (_, own) = server.get("/api/me/token", &admin).await;
        let path = format!("/api/me/tokens/{}/rotate", own["id"]);
        assert_eq!(
            server.send(Method::POST, &path, &admin, json!({})).await.0,
            404
        );
        assert_eq!(server.get("/api/me", &pats).await.0, 200);

        let (status, log) = server.get("/api/activity?search=API%20token", &admin).await;
        assert_eq!(status, 200, "{log}");
        let described: Vec<&str> = log["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["description"].as_str().unwrap())
            .collect();
        for wanted in [
            "Created the API token \"backup script\".",
            "Rotated the API token \"backup script\".",
            "Revoked the API token \"backup script\".",
        ] {
            assert!(described.contains(&wanted), "{wanted} in {described:?}");
        }
    });
}

#[tokio::test]
async fn a_token_gets_only_known_scopes_its_user_and_its_maker_may_grant() {
    each_backend!(|server| {
        let pat = server.signed_in("pat", "User").await;
        let ask = |body: Value| {
            let server = &server;
            let pat = pat.clone();
            async move {
                server
                    .send(Method::POST, "/api/me/tokens", &pat, body)
                    .await
            }
        };

        let (status, errors) = ask(json!({ "name": "x", "scopes": ["no-such-scope"] })).await;
        assert_eq!(status, 422);
        assert_eq!(
            errors,
            json!({ "scopes": ["The scope \"no-such-scope\" does not exist."] })
        );
        let (status, errors) = ask(json!({ "name": "x", "scopes": ["view-users"] })).await;
        assert_eq!(
            status, 422,
            "a User may not grant what their role cannot do"
        );
        assert_eq!(
            errors,
            json!({ "scopes": ["You may not grant the view-users scope."] })
        );
        let (status, errors) =
            ask(json!({ "name": "x", "scopes": [], "expires_at": "2001-01-01" })).await;
        assert_eq!(status, 422);
        assert_eq!(
            errors,
            json!({
                "expires_at": ["The expiry must be in the future."],
                "scopes": ["Choose at least one scope."]
            })
        );
        let (status, errors) = ask(json!({ "scopes": ["*"] })).await;
        assert_eq!(
            (status, errors),
            (422, json!({ "name": ["The name field is required."] }))
        );
        for (body, field) in [
            (json!({ "name": "x" }), "scopes"),
            (json!({ "name": "x", "scopes": 7 }), "scopes"),
            (json!({ "name": "x", "scopes": [1] }), "scopes"),
            (json!({ "name": 5, "scopes": ["*"] }), "name"),
            (
                json!({ "name": "x", "scopes": ["*"], "expires_at": "soon" }),
                "expires_at",
            ),
            (json!({ "name": "x".repeat(256), "scopes": ["*"] }), "name"),
            (
                json!({ "name": "x", "scopes": ["'; DROP TABLE tokens; --"] }),
                "scopes",
            ),
        ] {
            let (status, errors) = ask(body.clone()).await;
            assert_eq!(status, 422, "{body}: {errors}");
            assert!(errors.get(field).is_some(), "{body}: {errors}");
        }

        // A token may not mint a token beyond its own scopes, `*` included.
        let narrow = make_token(&server, &pat, &["manage-tokens", "view-profile"]).await;
        let (status, errors) = server
            .send(
                Method::POST,
                "/api/me/tokens",
                &narrow,
                json!({ "name": "x", "scopes": ["update-profile"] }),
            )
            .await;
        assert_eq!(status, 422);
        assert_eq!(
            errors,
            json!({ "scopes": ["This token may not grant the update-profile scope."] })
        );
        let (status, _) = server
            .send(
                Method::POST,
                "/api/me/tokens",
                &narrow,
                json!({ "name": "x", "scopes": ["*"] }),
            )
            .await;
        assert_eq!(status, 422);
        let within = make_token(&server, &narrow, &["view-profile", "view-profile"]).await;
        let (_, current) = server.get("/api/me/token", &within).await;
        assert_eq!(
            current["scopes"],
            json!(["view-profile"]),
            "duplicates dropped"
        );

        // A form may send scopes separated by commas; `*` grants what the user may do.
        let response = server
            .request(Method::POST, "/api/me/tokens")
            .bearer_auth(&pat)
            .form(&[("name", "form"), ("scopes", "view-profile, update-profile")])
            .send()
            .await
            .unwrap();
        let (status, created) = crate::harness::json(response).await;
        assert_eq!(status, 201, "{created}");
        assert_eq!(created["scopes"], json!(["view-profile", "update-profile"]));
        let everything = make_token(&server, &pat, &["*"]).await;
        assert_eq!(server.get("/api/me", &everything).await.0, 200);
        assert_eq!(
            server.get("/api/users", &everything).await.0,
            403,
            "no users.manage"
        );
    });
}

#[tokio::test]
async fn an_expiring_token_stops_at_its_expiry() {
    each_backend!(|server| {
        let pat = server.signed_in("pat", "User").await;
        let soon = server.clock_now() + time::Duration::hours(1);
        let expires_at = soon
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        let body = json!({ "name": "brief", "scopes": ["view-profile"], "expires_at": expires_at });
        let (status, created) = server
            .send(Method::POST, "/api/me/tokens", &pat, body)
            .await;
        assert_eq!(status, 201, "{created}");
        let token = created["token"].as_str().unwrap().to_owned();
        assert_eq!(server.get("/api/me", &token).await.0, 200);
        server.clock.advance(time::Duration::minutes(61));
        let (status, body) = server.get("/api/me", &token).await;
        assert_eq!((status, body), (401, json!({ "error": "Unauthorized." })));
    });
}

#[tokio::test]
async fn a_personal_token_cannot_make_one_that_outlives_it() {
    each_backend!(|server| {
        let pat = server.signed_in("pat", "User").await;
        let in_a_day = server.clock_now() + time::Duration::days(1);
        let rfc3339 = |at: time::OffsetDateTime| {
            at.format(&time::format_description::well_known::Rfc3339)
                .unwrap()
        };
        let body = json!({ "name": "parent", "scopes": ["manage-tokens", "view-profile"], "expires_at": rfc3339(in_a_day) });
        let (status, parent) = server
            .send(Method::POST, "/api/me/tokens", &pat, body)
            .await;
        assert_eq!(status, 201, "{parent}");
        let parent_token = parent["token"].as_str().unwrap().to_owned();
        for expires_at in [
            Value::Null,
            json!(rfc3339(in_a_day + time::Duration::seconds(1))),
        ] {
            let body =
                json!({ "name": "child", "scopes": ["view-profile"], "expires_at": expires_at });
            let (status, errors) = server
                .send(Method::POST, "/api/me/tokens", &parent_token, body)
                .await;
            assert_eq!(status, 422, "{errors}");
            assert!(errors["expires_at"][0]
                .as_str()
                .unwrap()
                .contains("outlives"));
        }
        let body =
            json!({ "name": "child", "scopes": ["view-profile"], "expires_at": rfc3339(in_a_day) });
        let (status, _) = server
            .send(Method::POST, "/api/me/tokens", &parent_token, body)
            .await;
        assert_eq!(status, 201);

        // Expired: it can still be seen and deleted by its owner, but not rotated back to life.
        server.clock.advance(time::Duration::days(2));
        let pat = server.login("pat").await;
        let path = format!("/api/me/tokens/{}/rotate", parent["id"]);
        let (status, body) = server.send(Method::POST, &path, &pat, json!({})).await;
        assert_eq!(
            (status, body),
            (
                422,
                json!({ "error": "An expired token cannot be rotated; make a new one." })
            )
        );
        let path = format!("/api/me/tokens/{}", parent["id"]);
        assert_eq!(
            server.send(Method::DELETE, &path, &pat, json!({})).await.0,
            200
        );
    });
}

#[tokio::test]
async fn nul_characters_are_refused_alike_on_every_backend() {
    each_backend!(|server| {
        let admin = server.signed_in("boss", "Admin").await;
        let body = json!({ "name": "a\u{0}b", "scopes": ["*"] });
        let (status, errors) = server
            .send(Method::POST, "/api/me/tokens", &admin, body)
            .await;
        assert_eq!(
            (status, errors),
            (
                422,
                json!({ "name": ["The name may not contain NUL characters."] })
            )
        );
        let body = json!({ "login": "boss\u{0}", "password": crate::harness::PASSWORD });
        let (status, answer) = server.post("/api/v1/token", body).await;
        assert_eq!(status, 422, "{answer}");
        // A NUL in a path names nothing; whatever the backend, it is never a 500.
        for path in [
            "/api/scopes/a%00b",
            "/api/sessions/a%00b",
            "/api/me/tokens/%00",
        ] {
            let (status, body) = server.send(Method::DELETE, path, &admin, json!({})).await;
            assert!(
                matches!(status, 404 | 422),
                "[{}] {path}: {status} {body}",
                server.backend_name
            );
        }
    });
}
