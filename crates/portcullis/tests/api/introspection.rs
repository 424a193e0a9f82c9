//! Document 000's application scopes as resource servers see them (registered, granted,
//! introspected and revoked), and its device endpoint, over HTTP.

use crate::harness::{each_backend, TestServer};
use crate::tokens::make_token;
use reqwest::Method;
use serde_json::{json, Value};

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
        let pat = server.signed_in("pat", "User").await;
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
        // Every failing field at once: a missing password beside a name too long.
        let (status, answer) = server
            .post(
                "/api/sanctum/token",
                json!({ "email": "boss@example.com", "device_name": "d".repeat(256) }),
            )
            .await;
        assert_eq!(
            (status, answer),
            (
                422,
                json!({
                    "password": ["The password field is required."],
                    "device_name": ["The device name may not be greater than 255 characters."]
                })
            )
        );

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
async fn an_application_introspects_with_its_client_credentials() {
    each_backend!(|server| {
        let pat = server.signed_in("pat", "User").await;
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
