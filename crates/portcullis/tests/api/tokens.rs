//! Personal tokens, scopes and the device endpoint of document 000, over HTTP. The token cache
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
        server.create_user("boss", "Admin").await;
        let admin = server.login("boss").await;

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
        server.create_user("pat", "User").await;
        let pat = server.login("pat").await;
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
        server.create_user("pat", "User").await;
        let pat = server.login("pat").await;
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
        server.create_user("pat", "User").await;
        let pat = server.login("pat").await;
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

/// Document 000's scopes, which the backup application registers for itself.
const BACKUP_SCOPES: &[&str] = &[
    "manage-tags",
    "view-backup-destinations",
    "create-backup-destinations",
    "update-backup-destinations",
    "delete-backup-destinations",
    "view-remote-servers",
    "create-remote-servers",
    "update-remote-servers",
    "delete-remote-servers",
    "view-notification-streams",
    "create-notification-streams",
    "update-notification-streams",
    "delete-notification-streams",
    "view-backup-tasks",
    "create-backup-tasks",
    "update-backup-tasks",
    "delete-backup-tasks",
    "run-backup-tasks",
];

/// `POST` a form to an `/oauth2` endpoint as the service holding `key`.
async fn oauth(server: &TestServer, path: &str, key: &str, token: &str) -> (u16, Value) {
    let response = server
        .request(Method::POST, path)
        .bearer_auth(key)
        .form(&[("token", token), ("token_type_hint", "access_token")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers().get("cache-control").unwrap(), "no-store");
    let (status, _, text) = crate::harness::text(response).await;
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    (status, body)
}

#[tokio::test]
async fn application_scopes_are_registered_granted_and_introspected() {
    each_backend!(|server| {
        server.create_user("boss", "Admin").await;
        server.create_user("pat", "User").await;
        let admin = server.login("boss").await;
        let pat = server.login("pat").await;

        for name in BACKUP_SCOPES {
            let description = format!("Allows {}", name.replace('-', " "));
            let body = json!({ "name": name, "description": description });
            let (status, created) = server.send(Method::POST, "/api/scopes", &admin, body).await;
            assert_eq!(status, 201, "{name}: {created}");
            assert_eq!(
                (&created["name"], &created["builtin"]),
                (&json!(name), &json!(false))
            );
        }
        let taken = json!({ "name": ["The name has already been taken."] });
        for name in ["run-backup-tasks", "view-users"] {
            let (status, body) = server
                .send(Method::POST, "/api/scopes", &admin, json!({ "name": name }))
                .await;
            assert_eq!((status, &body), (422, &taken), "{name}");
        }
        for bad in ["Run", "a_b", "-x", "*", "x y"] {
            let (status, _) = server
                .send(Method::POST, "/api/scopes", &admin, json!({ "name": bad }))
                .await;
            assert_eq!(status, 422, "{bad}");
        }
        let (status, listed) = server.get("/api/scopes", &admin).await;
        assert_eq!(status, 200);
        let listed = listed.as_array().unwrap();
        let builtin = listed.iter().filter(|s| s["builtin"] == true).count();
        assert!(builtin >= 14, "{listed:?}");
        assert_eq!(listed.len(), builtin + BACKUP_SCOPES.len());
        assert_eq!(server.get("/api/scopes", &pat).await.0, 403, "admins only");

        // A plain user grants the application's scopes to a token for the backup app.
        let backup = make_token(&server, &pat, &["view-backup-tasks", "run-backup-tasks"]).await;
        assert_eq!(
            server.get("/api/me", &backup).await.0,
            403,
            "no view-profile"
        );

        let key = server
            .app
            .services
            .create_api_key("backup app", None)
            .await
            .unwrap()
            .value
            .expose()
            .to_owned();
        let (status, answer) = oauth(&server, "/oauth2/introspect", &key, &backup).await;
        assert_eq!(status, 200, "{answer}");
        let pat_user = crate::harness::user_id(&server, "pat").await;
        let uid = server
            .app
            .services
            .store()
            .user(&server.tenant.id, pat_user)
            .await
            .unwrap()
            .unwrap()
            .uid;
        assert_eq!(answer["active"], true);
        assert_eq!(answer["scope"], "run-backup-tasks view-backup-tasks");
        assert_eq!(answer["sub"], json!(uid));
        assert_eq!(answer["username"], "pat");
        assert_eq!(answer["client_id"], "script");
        assert_eq!(answer["token_type"], "Bearer");
        assert_eq!(answer["token_kind"], "personal");
        assert!(answer.get("exp").is_none(), "no expiry: {answer}");
        assert!(answer["iat"].is_i64());

        // A login token spells `*` out: what the user's role can use, and every app scope.
        let (_, answer) = oauth(&server, "/oauth2/introspect", &key, &pat).await;
        let scope = answer["scope"].as_str().unwrap();
        let scopes: Vec<&str> = scope.split(' ').collect();
        assert!(scopes.contains(&"view-profile") && scopes.contains(&"manage-tags"));
        assert!(!scopes.contains(&"view-users"), "{scope}");
        assert!(!scopes.contains(&"*"));
        assert!(answer["exp"].is_i64(), "the session's end: {answer}");
        assert_eq!(answer["token_kind"], "session");

        // Removing a scope: no longer grantable; built-in scopes stay.
        let (status, _) = server
            .send(Method::DELETE, "/api/scopes/manage-tags", &admin, json!({}))
            .await;
        assert_eq!(status, 200);
        let (status, _) = server
            .send(Method::DELETE, "/api/scopes/manage-tags", &admin, json!({}))
            .await;
        assert_eq!(status, 404);
        let (status, body) = server
            .send(Method::DELETE, "/api/scopes/view-users", &admin, json!({}))
            .await;
        assert_eq!(status, 403, "{body}");
        let (status, _) = server
            .send(
                Method::POST,
                "/api/me/tokens",
                &pat,
                json!({ "name": "x", "scopes": ["manage-tags"] }),
            )
            .await;
        assert_eq!(status, 422);

        // Revocation by the service: the token dies at once (it was cached).
        assert_eq!(server.get("/api/me/token", &backup).await.0, 200);
        let (status, body) = oauth(&server, "/oauth2/revoke", &key, &backup).await;
        assert_eq!((status, body), (200, Value::Null));
        assert_eq!(server.get("/api/me/token", &backup).await.0, 401);
        let (_, answer) = oauth(&server, "/oauth2/introspect", &key, &backup).await;
        assert_eq!(answer, json!({ "active": false }));
        for nonsense in ["nonsense", "1|wrong", "999999|xxxxxxxx"] {
            let (status, answer) = oauth(&server, "/oauth2/introspect", &key, nonsense).await;
            assert_eq!((status, answer), (200, json!({ "active": false })));
            assert_eq!(
                oauth(&server, "/oauth2/revoke", &key, nonsense).await.0,
                200
            );
        }
        // Revoking a login token ends its session.
        assert_eq!(oauth(&server, "/oauth2/revoke", &key, &pat).await.0, 200);
        assert_eq!(server.get("/api/me", &pat).await.0, 401);
    });
}

#[tokio::test]
async fn introspection_needs_a_live_api_key_of_the_token_s_tenant() {
    each_backend!(|server| {
        server.create_user("pat", "User").await;
        let pat = server.login("pat").await;
        let services = &server.app.services;
        let other = services.ensure_tenant("other").await.unwrap();
        let elsewhere = services
            .create_api_key("other app", Some(other.id.as_str()))
            .await
            .unwrap();
        let (_, answer) = oauth(
            &server,
            "/oauth2/introspect",
            elsewhere.value.expose(),
            &pat,
        )
        .await;
        assert_eq!(answer, json!({ "active": false }), "another tenant's token");
        assert_eq!(
            oauth(&server, "/oauth2/revoke", elsewhere.value.expose(), &pat)
                .await
                .0,
            200
        );
        assert_eq!(
            server.get("/api/me", &pat).await.0,
            200,
            "not revoked by a stranger"
        );

        let here = services
            .create_api_key("here", Some("default"))
            .await
            .unwrap();
        let (_, answer) = oauth(&server, "/oauth2/introspect", here.value.expose(), &pat).await;
        assert_eq!(answer["active"], true);
        services.revoke_api_key(&here.key.id).await.unwrap();

        let invalid_client = json!({
            "error": "invalid_client",
            "error_description": "A valid API key is required (Authorization: Bearer pcsk_...)."
        });
        let forged = format!("pcsk_{}_{}", here.key.id, "x".repeat(40));
        for key in [here.value.expose(), forged.as_str(), "pcsk_nope", &pat] {
            let response = server
                .request(Method::POST, "/oauth2/introspect")
                .bearer_auth(key)
                .form(&[("token", pat.as_str())])
                .send()
                .await
                .unwrap();
            assert!(response.headers().get("www-authenticate").is_some());
            let (status, body) = crate::harness::json(response).await;
            assert_eq!((status, &body), (401, &invalid_client), "{key}");
        }
        let response = server
            .request(Method::POST, "/oauth2/introspect")
            .form(&[("token", pat.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);

        let live = services.create_api_key("live", None).await.unwrap();
        // OAuth client libraries send HTTP Basic: the key as the secret, or split in two.
        let full = live.value.expose();
        let (client_id, client_secret) = full.rsplit_once('_').unwrap();
        for (user, password) in [("service", full), (client_id, client_secret)] {
            let response = server
                .request(Method::POST, "/oauth2/introspect")
                .basic_auth(user, Some(password))
                .form(&[("token", pat.as_str())])
                .send()
                .await
                .unwrap();
            let (status, answer) = crate::harness::json(response).await;
            assert_eq!((status, &answer["active"]), (200, &json!(true)), "{user}");
        }
        let response = server
            .request(Method::POST, "/oauth2/introspect")
            .basic_auth(client_id, Some("wrong"))
            .form(&[("token", pat.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
        for body in ["", "tokn=x", "token=", "%ZZ"] {
            let response = server
                .request(Method::POST, "/oauth2/introspect")
                .bearer_auth(live.value.expose())
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap();
            let (status, answer) = crate::harness::json(response).await;
            assert_eq!(
                (status, &answer["error"]),
                (400, &json!("invalid_request")),
                "{body:?}"
            );
        }
        let response = server
            .request(Method::POST, "/oauth2/introspect")
            .bearer_auth(live.value.expose())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("token={}", "x".repeat(200_000)))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 413);
    });
}

#[tokio::test]
async fn the_device_endpoint_is_off_unless_turned_on() {
    each_backend!(|server| {
        server.create_user("pat", "User").await;
        let body = json!({ "email": "pat@example.com", "password": crate::harness::PASSWORD, "device_name": "iPhone 16 Pro" });
        let (status, answer) = server.post("/api/sanctum/token", body).await;
        assert_eq!(
            (status, answer),
            (404, json!({ "error": "Resource not found." }))
        );
        // Whatever the body: a turned-off endpoint reads none.
        let response = server
            .request(Method::POST, "/api/sanctum/token")
            .header("content-type", "text/plain")
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404);
    });
}

#[tokio::test]
async fn the_device_endpoint_trades_credentials_for_a_full_access_token() {
    for backend in crate::harness::backends() {
        let server = TestServer::start_with(&backend, |config| {
            config.enable_device_auth_endpoint = true;
        })
        .await;
        server.create_user("boss", "Admin").await;
        let password = crate::harness::PASSWORD;
        let body = json!({ "email": "boss@example.com", "password": password, "device_name": "iPhone 16 Pro" });
        let (status, answer) = server.post("/api/sanctum/token", body).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer.as_object().unwrap().len(), 1, "{answer}");
        let token = answer["token"].as_str().unwrap();
        let (id, secret) = token.split_once('|').unwrap();
        assert!(id.parse::<i64>().is_ok() && secret.len() == 40, "{token}");
        assert_eq!(server.get("/api/users", token).await.0, 200, "full access");
        let (_, current) = server.get("/api/me/token", token).await;
        assert_eq!(
            (&current["name"], &current["scopes"]),
            (&json!("iPhone 16 Pro"), &json!(["*"])),
            "the device names the session"
        );
        let (_, sessions) = server.get("/api/me/sessions", token).await;
        assert_eq!(sessions.as_array().unwrap().len(), 1);

        let wrong = json!({ "email": ["The provided credentials are incorrect."] });
        for body in [
            json!({ "email": "boss@example.com", "password": "nope", "device_name": "x" }),
            json!({ "email": "nobody@example.com", "password": password, "device_name": "x" }),
        ] {
            let (status, answer) = server.post("/api/sanctum/token", body).await;
            assert_eq!((status, &answer), (422, &wrong));
        }
        let (status, answer) = server.post("/api/sanctum/token", json!({})).await;
        assert_eq!(status, 422);
        assert_eq!(
            answer,
            json!({
                "email": ["The email field is required."],
                "password": ["The password field is required."],
                "device_name": ["The device name field is required."]
            })
        );
        let long = json!({ "email": "boss@example.com", "password": password, "device_name": "d".repeat(256) });
        assert_eq!(server.post("/api/sanctum/token", long).await.0, 422);

        // A banned account gets nothing, and its device token stops.
        server.create_user("pat", "User").await;
        let body =
            json!({ "email": "pat@example.com", "password": password, "device_name": "Pixel" });
        let (_, answer) = server.post("/api/sanctum/token", body.clone()).await;
        let pats = answer["token"].as_str().unwrap().to_owned();
        assert_eq!(server.get("/api/me", &pats).await.0, 200);
        let pat = crate::harness::user_id(&server, "pat").await;
        let path = format!("/api/users/{}", pat.0);
        let (status, _) = server
            .send(Method::PUT, &path, token, json!({ "status": "Banned" }))
            .await;
        assert_eq!(status, 201);
        assert_eq!(server.get("/api/me", &pats).await.0, 401);
        let (status, answer) = server.post("/api/sanctum/token", body).await;
        assert_eq!(status, 403, "{answer}");
        server.stop().await;
    }
}

#[tokio::test]
async fn a_personal_token_cannot_make_one_that_outlives_it() {
    each_backend!(|server| {
        server.create_user("pat", "User").await;
        let pat = server.login("pat").await;
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
async fn an_application_introspects_with_its_client_credentials() {
    each_backend!(|server| {
        server.create_user("pat", "User").await;
        let pat = server.login("pat").await;
        let key = server
            .app
            .services
            .create_api_key("admin", None)
            .await
            .unwrap()
            .value
            .expose()
            .to_owned();
        let path = format!("/v1/tenants/{}/applications", server.tenant.id.0);
        let body = json!({ "name": "backup", "redirect_urls": ["https://backup.example/cb"] });
        let (status, app) = server.send(Method::POST, &path, &key, body).await;
        assert!(status == 200 || status == 201, "{app}");
        let (id, secret) = (app["id"].as_str().unwrap(), app["secret"].as_str().unwrap());
        let response = server
            .request(Method::POST, "/oauth2/token")
            .basic_auth(id, Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        let (_, own) = crate::harness::json(response).await;
        let own = own["access_token"].as_str().unwrap().to_owned();
        let introspect = |user: String, password: String, token: String| {
            let server = &server;
            async move {
                let response = server
                    .request(Method::POST, "/oauth2/introspect")
                    .basic_auth(user, Some(password))
                    .form(&[("token", token.as_str())])
                    .send()
                    .await
                    .unwrap();
                crate::harness::json(response).await
            }
        };
        let (status, answer) = introspect(id.to_owned(), secret.to_owned(), own.clone()).await;
        assert_eq!((status, &answer["active"]), (200, &json!(true)), "{answer}");
        // A person's login token is no application's business (RFC 7009 §2.1's rule, applied
        // to introspection too).
        let (status, answer) = introspect(id.to_owned(), secret.to_owned(), pat.clone()).await;
        assert_eq!(
            (status, &answer["active"]),
            (200, &json!(false)),
            "{answer}"
        );
        for (user, password) in [(id, "wrong"), ("nosuchapp", secret), ("", "")] {
            let (status, answer) =
                introspect(user.to_owned(), password.to_owned(), own.clone()).await;
            assert_eq!(
                (status, &answer["error"]),
                (401, &json!("invalid_client")),
                "{user}"
            );
        }
    });
}

#[tokio::test]
async fn nul_characters_are_refused_alike_on_every_backend() {
    each_backend!(|server| {
        server.create_user("boss", "Admin").await;
        let admin = server.login("boss").await;
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
