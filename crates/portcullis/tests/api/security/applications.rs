//! What an application may get: only the scopes its registration allows for itself, and
//! codes only for the users its registration lets in.

use crate::harness::each_backend;
use crate::oidc_flow::{
    authorize_path, browse, browser, create_app, introspect, location, param, pkce, redeem, revoke,
    token, tokens, CALLBACK,
};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn client_credentials_get_only_the_scopes_the_application_is_allowed() {
    each_backend!(|server| {
        let admin = server.signed_in("boss", "Admin").await;
        for name in ["backups-read", "backups-delete"] {
            let (status, body) = server
                .send(Method::POST, "/api/scopes", &admin, json!({ "name": name }))
                .await;
            assert_eq!(status, 201, "{body}");
        }
        let unbounded = create_app(&server, json!({})).await;
        let reader = create_app(&server, json!({ "allowed_scopes": "backups-read" })).await;
        let ask = |scope: &'static str| [("grant_type", "client_credentials"), ("scope", scope)];
        // Any confidential application used to mint every registered scope.
        for scope in ["backups-read", "backups-delete"] {
            let (status, body) = token(&server, &ask(scope), Some(&unbounded)).await;
            assert_eq!(
                (status, &body["error"]),
                (400, &json!("invalid_scope")),
                "{body}"
            );
        }
        let (status, body) = token(&server, &ask("backups-read"), Some(&reader)).await;
        assert_eq!(
            (status, &body["scope"]),
            (200, &json!("backups-read")),
            "{body}"
        );
        for scope in ["backups-delete", "backups-read backups-delete"] {
            let (status, body) = token(&server, &ask(scope), Some(&reader)).await;
            assert_eq!(
                (status, &body["error"]),
                (400, &json!("invalid_scope")),
                "{body}"
            );
        }
        // Allowed, but not registered by the tenant: still refused.
        let stray = create_app(&server, json!({ "allowed_scopes": "view-users" })).await;
        let (status, body) = token(&server, &ask("view-users"), Some(&stray)).await;
        assert_eq!(
            (status, &body["error"]),
            (400, &json!("invalid_scope")),
            "{body}"
        );
    });
}

#[tokio::test]
async fn a_user_outside_the_applications_roles_gets_access_denied_never_a_code() {
    each_backend!(|server| {
        let staff_only = create_app(&server, json!({ "allowed_roles": "Admin Staff" })).await;
        server.create_user("pat", "User").await;
        server.create_user("boss", "Admin").await;
        let (verifier, challenge) = pkce();
        let path = authorize_path(
            &staff_only.id,
            &[
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ],
        );
        let pat = server.login("pat").await;
        let to = location(&browse(&server, &path, Some(&pat)).await);
        assert!(to.starts_with(CALLBACK), "{to}");
        assert_eq!(
            param(&to, "error").as_deref(),
            Some("access_denied"),
            "{to}"
        );
        assert_eq!(param(&to, "state").as_deref(), Some("st-1"));
        assert_eq!(param(&to, "code"), None);

        // An administrator gets a code; demoted afterwards, the grant's refresh stops working.
        let boss = server.login("boss").await;
        let to = location(&browse(&server, &path, Some(&boss)).await);
        let code = param(&to, "code").unwrap_or_else(|| panic!("a code: {to}"));
        let (status, issued) = redeem(&server, &staff_only, &code, &verifier).await;
        assert_eq!(status, 200, "{issued}");
        let root = server.signed_in("root", "Admin").await;
        let boss_id = crate::harness::user_id(&server, "boss").await;
        let (_, roles) = server.get("/api/roles", &root).await;
        let user_role = roles
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "User")
            .unwrap()["id"]
            .clone();
        let (status, body) = server
            .send(
                Method::PUT,
                &format!("/api/users/{}", boss_id.0),
                &root,
                json!({ "role_id": user_role }),
            )
            .await;
        assert_eq!(status, 201, "document 001 answers an update so: {body}");
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", issued["refresh_token"].as_str().unwrap()),
        ];
        let (status, body) = token(&server, &form, Some(&staff_only)).await;
        assert_eq!(
            (status, &body["error"]),
            (400, &json!("invalid_grant")),
            "{body}"
        );
    });
}

#[tokio::test]
async fn an_application_reaches_only_its_own_tokens_and_never_the_persons_session() {
    each_backend!(|server| {
        let first = create_app(&server, json!({})).await;
        let second = create_app(&server, json!({})).await;
        let session = browser(&server, "pat").await;
        let issued = tokens(&server, &first, &session).await;
        let access = issued["access_token"].as_str().unwrap();
        let refresh = issued["refresh_token"].as_str().unwrap();
        let inactive = json!({ "active": false });
        // Another application learns nothing of the first one's tokens, or of the session.
        for token in [access, refresh, session.as_str()] {
            assert_eq!(introspect(&server, &second, token).await, inactive);
        }
        assert_eq!(
            introspect(&server, &first, session.as_str()).await,
            inactive
        );
        // ... and ends none of them.
        for token in [access, refresh, session.as_str()] {
            assert_eq!(
                revoke(&server, &second, token).await,
                200,
                "RFC 7009 answers 200 regardless"
            );
        }
        assert_eq!(introspect(&server, &first, access).await["active"], true);
        assert_eq!(introspect(&server, &first, refresh).await["active"], true);
        assert_eq!(server.get("/api/me", &session).await.0, 200);

        // The application's access token at /api/logout ends its own grant, not the session.
        let (status, _) = server
            .send(Method::POST, "/api/logout", access, json!({}))
            .await;
        assert_eq!(status, 200);
        assert_eq!(introspect(&server, &first, access).await, inactive);
        assert_eq!(introspect(&server, &first, refresh).await, inactive);
        assert_eq!(
            server.get("/api/me", &session).await.0,
            200,
            "still signed in"
        );
    });
}

#[tokio::test]
async fn a_sign_in_for_an_application_outside_its_roles_gets_a_no_access_page() {
    each_backend!(|server| {
        let staff_only = create_app(&server, json!({ "allowed_roles": "Admin" })).await;
        server.create_user("pat", "User").await;
        server.create_user("boss", "Admin").await;
        let page = format!("/login?client_id={}", staff_only.id);
        let sign_in = |login: &'static str| {
            let (server, page, client_id) = (&server, page.clone(), staff_only.id.clone());
            async move {
                let mut browser = crate::pages::Browser::new(server);
                assert_eq!(browser.get(&page).await.status, 200);
                let fields = [
                    ("login", login),
                    ("password", crate::harness::PASSWORD),
                    ("client_id", client_id.as_str()),
                ];
                browser.post("/login", &fields).await
            }
        };
        let refused = sign_in("pat").await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert!(refused.body.contains("No access to this application"));
        assert!(refused.location().is_empty(), "never on to the application");
        let let_in = sign_in("boss").await;
        assert_eq!(let_in.status, 303);
        assert_eq!(let_in.location(), "https://rp.example.test/login");
    });
}
