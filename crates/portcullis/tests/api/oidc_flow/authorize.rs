//! The authorization endpoint: what it refuses, and where it sends the browser to sign in.

use super::*;

#[tokio::test]
async fn an_unverified_client_or_redirect_uri_gets_a_page_never_a_redirect() {
    each_backend!(|server| {
        let cookie = browser(&server, "alice").await;
        let app = create_app(&server, json!({})).await;
        for (path, message) in [
            (
                authorize_path(&app.id, &[("redirect_uri", "https://evil.test/callback")]),
                "The redirect_uri is not registered for this client.",
            ),
            (
                // Exact match only: a prefix of a registered URI is not it.
                authorize_path(
                    &app.id,
                    &[("redirect_uri", "https://rp.example.test/callback/x")],
                ),
                "The redirect_uri is not registered for this client.",
            ),
            (
                authorize_path("nosuchclient", &[]),
                "The client (client_id) is unknown.",
            ),
            (
                authorize_path(&app.id, &[("redirect_uri", "")]),
                "The request names no redirect_uri.",
            ),
        ] {
            let response = browse(&server, &path, Some(&cookie)).await;
            assert!(response.headers().get(LOCATION).is_none());
            let (status, content_type, body) = text(response).await;
            assert_eq!(status, 400, "{path}");
            assert!(content_type.starts_with("text/html"), "{content_type}");
            assert!(body.contains(message), "{path}: {body}");
        }
    });
}

#[tokio::test]
async fn errors_after_the_redirect_uri_is_verified_go_back_to_the_client() {
    each_backend!(|server| {
        let cookie = browser(&server, "alice").await;
        let app = create_app(&server, json!({})).await;
        let public = create_app(&server, json!({ "token_endpoint_auth_method": "none" })).await;
        let (_, challenge) = pkce();
        for (client, extra, error, description) in [
            (
                &app,
                vec![("response_type", "token")],
                "unsupported_response_type",
                "Only the authorization code flow (response_type=code) is supported.",
            ),
            (
                &app,
                vec![("scope", "profile email")],
                "invalid_scope",
                "The scope must include openid.",
            ),
            (
                &app,
                vec![
                    ("code_challenge", challenge.as_str()),
                    ("code_challenge_method", "plain"),
                ],
                "invalid_request",
                "Only code_challenge_method=S256 is supported.",
            ),
            (
                &app,
                vec![("code_challenge", challenge.as_str())],
                "invalid_request",
                "Only code_challenge_method=S256 is supported.",
            ),
            (
                &public,
                vec![],
                "invalid_request",
                "This client must use PKCE: send code_challenge and code_challenge_method=S256.",
            ),
        ] {
            let path = authorize_path(&client.id, &extra);
            let to = location(&browse(&server, &path, Some(&cookie)).await);
            assert!(to.starts_with(CALLBACK), "{to}");
            assert_eq!(param(&to, "error").as_deref(), Some(error), "{to}");
            assert_eq!(
                param(&to, "error_description").as_deref(),
                Some(description)
            );
            assert_eq!(param(&to, "state").as_deref(), Some("st-1"));
            assert_eq!(param(&to, "code"), None);
        }
    });
}

#[tokio::test]
async fn signing_in_prompt_none_prompt_login_and_max_age() {
    each_backend!(|server| {
        let app = create_app(&server, json!({})).await;
        let cookie = browser(&server, "alice").await;

        // No session, prompt=none: the client hears login_required, the person sees nothing.
        let path = authorize_path(&app.id, &[("prompt", "none")]);
        let to = location(&browse(&server, &path, None).await);
        assert_eq!(
            param(&to, "error").as_deref(),
            Some("login_required"),
            "{to}"
        );
        assert_eq!(param(&to, "state").as_deref(), Some("st-1"));

        // No session: to the login page, which comes back to the same request.
        let path = authorize_path(&app.id, &[]);
        let to = location(&browse(&server, &path, None).await);
        assert!(to.starts_with("/login?return_to="), "{to}");
        assert_eq!(param(&to, "return_to").as_deref(), Some(path.as_str()));
        // A cookie that is not a live session counts as none.
        let to = location(&browse(&server, &path, Some("1|nonsense")).await);
        assert!(to.starts_with("/login?"), "{to}");
        // A login_hint rides along and fills the login page's field.
        let path = authorize_path(&app.id, &[("login_hint", "alice@example.com")]);
        let to = location(&browse(&server, &path, None).await);
        let back = param(&to, "return_to").unwrap();
        assert_eq!(
            param(&back, "login_hint").as_deref(),
            Some("alice@example.com")
        );
        let page = browse(&server, &to, None).await.text().await.unwrap();
        assert!(
            page.contains("name=\"login\" type=\"text\" value=\"alice@example.com\""),
            "{page}"
        );

        // prompt=login: to the login page even with a session; coming back with the same old
        // session asks again, and a new sign-in ends the loop.
        server.clock.advance(time::Duration::seconds(30));
        let path = authorize_path(&app.id, &[("prompt", "login")]);
        let to = location(&browse(&server, &path, Some(&cookie)).await);
        let back = param(&to, "return_to").unwrap();
        assert!(back.starts_with("/oauth2/authorize?"), "{back}");
        assert_eq!(param(&back, "prompt"), None, "{back}");
        assert!(param(&back, "login_after").is_some(), "{back}");
        assert_eq!(param(&back, "state").as_deref(), Some("st-1"));
        let again = location(&browse(&server, &back, Some(&cookie)).await);
        assert!(again.starts_with("/login?"), "{again}");
        // The login page asks that browser to sign in again instead of sending it back.
        let page = browse(&server, &again, Some(&cookie)).await;
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap().contains("name=\"password\""));
        let fresh = server.login("alice").await;
        code_for(&server, &fresh, &back).await;

        // prompt=select_account: one session per browser, so choosing means signing in.
        let path = authorize_path(&app.id, &[("prompt", "select_account")]);
        let to = location(&browse(&server, &path, Some(&fresh)).await);
        let back = param(&to, "return_to").unwrap();
        assert_eq!(param(&back, "prompt"), None, "{back}");
        assert!(param(&back, "login_after").is_some(), "{back}");

        // max_age: an old sign-in goes to the login page, a recent enough one gets a code.
        server.clock.advance(time::Duration::seconds(120));
        let path = authorize_path(&app.id, &[("max_age", "60")]);
        let to = location(&browse(&server, &path, Some(&fresh)).await);
        let back = param(&to, "return_to").unwrap();
        assert_eq!(param(&back, "max_age"), None, "{back}");
        let newer = server.login("alice").await;
        code_for(&server, &newer, &back).await;
        code_for(
            &server,
            &fresh,
            &authorize_path(&app.id, &[("max_age", "600")]),
        )
        .await;
        // prompt=none with a sign-in too old for max_age.
        let path = authorize_path(&app.id, &[("max_age", "10"), ("prompt", "none")]);
        let to = location(&browse(&server, &path, Some(&fresh)).await);
        assert_eq!(
            param(&to, "error").as_deref(),
            Some("login_required"),
            "{to}"
        );
    });
}

#[tokio::test]
async fn response_mode_form_post_answers_with_a_form_that_posts_itself() {
    each_backend!(|server| {
        let cookie = browser(&server, "alice").await;
        let app = create_app(&server, json!({})).await;
        let (verifier, path) = pkce_authorize_path(
            &app.id,
            &[("response_mode", "form_post"), ("state", "a&\"b")],
        );
        let response = browse(&server, &path, Some(&cookie)).await;
        let policy = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        let (status, content_type, page) = text(response).await;
        assert_eq!(status, 200, "{page}");
        assert!(content_type.starts_with("text/html"));
        assert!(
            page.contains(&format!("<form method=\"post\" action=\"{CALLBACK}\">")),
            "{page}"
        );
        // The form may go to the application's origin only, and the one script is the one
        // that submits it.
        assert!(
            policy.contains("form-action https://rp.example.test;"),
            "{policy}"
        );
        assert!(policy.contains("script-src 'sha256-"), "{policy}");
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        let fields = hidden_fields(&page);
        let field = |name: &str| {
            fields
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(field("state").as_deref(), Some("a&\"b"), "{page}");
        let code = field("code").expect("a code");
        let (status, body) = redeem(&server, &app, &code, &verifier).await;
        assert_eq!(status, 200, "{body}");

        // Errors once the redirect URI is verified come back the same way.
        let path = authorize_path(
            &app.id,
            &[("response_mode", "form_post"), ("prompt", "none")],
        );
        let (status, _, page) = text(browse(&server, &path, None).await).await;
        assert_eq!(status, 200, "{page}");
        let fields = hidden_fields(&page);
        assert!(
            fields.contains(&("error".into(), "login_required".into())),
            "{fields:?}"
        );
        assert!(
            fields.contains(&("state".into(), "st-1".into())),
            "{fields:?}"
        );

        // Through the login page, the mode is kept.
        let path = authorize_path(&app.id, &[("response_mode", "form_post")]);
        let to = location(&browse(&server, &path, None).await);
        let back = param(&to, "return_to").unwrap();
        assert_eq!(param(&back, "response_mode").as_deref(), Some("form_post"));

        // A mode we do not answer in is an error, by query.
        let path = authorize_path(&app.id, &[("response_mode", "fragment")]);
        let to = location(&browse(&server, &path, Some(&cookie)).await);
        assert!(to.starts_with(CALLBACK), "{to}");
        assert_eq!(param(&to, "error").as_deref(), Some("invalid_request"));

        let (_, discovery) = server
            .call(Method::GET, "/.well-known/openid-configuration")
            .await;
        assert_eq!(
            discovery["response_modes_supported"],
            json!(["query", "form_post"])
        );
    });
}
