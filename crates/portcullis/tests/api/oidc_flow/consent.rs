//! Consent: third-party applications ask the person first (where the tenant wants it, and
//! always when they registered themselves), `prompt=consent` asks anyway, and the person can
//! withdraw an application's access on the account page.

use super::*;
use crate::harness::PASSWORD;
use crate::pages::Browser;

/// Answers the consent page `page` with `answer` (`allow` or `deny`), as its form does.
async fn answer(browser: &mut Browser, page: &str, answer: &str) -> pages::Answer {
    let mut fields: Vec<(String, String)> = hidden_fields(page)
        .into_iter()
        .filter(|(name, _)| name != "csrf_token")
        .collect();
    fields.push(("consent".into(), answer.into()));
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    browser.post("/oauth2/authorize", &fields).await
}

use crate::pages;

async fn third_party_app(server: &TestServer) -> App {
    create_app(server, json!({ "third_party": "true" })).await
}

#[tokio::test]
async fn third_party_applications_ask_once_where_the_tenant_wants_it() {
    each_backend!(|server| {
        let app = third_party_app(&server).await;
        let own = create_app(&server, json!({})).await;
        server.create_user("alice", "User").await;
        let mut browser = Browser::new(&server);
        browser.sign_in("alice", PASSWORD).await;

        // Off (the default): the tenant's word is enough, as for its own applications.
        let (_, path) = pkce_authorize_path(&app.id, &[]);
        let direct = browser.get(&path).await;
        assert_eq!(direct.status, 302, "{}", direct.body);
        assert!(param(direct.location(), "code").is_some());

        server.set_settings(|s| s.third_party_consent = true).await;
        // The tenant's own applications still do not ask.
        let (_, path) = pkce_authorize_path(&own.id, &[]);
        assert!(param(browser.get(&path).await.location(), "code").is_some());

        // prompt=none cannot ask: consent_required.
        let path = authorize_path(&app.id, &[("prompt", "none")]);
        let refused = browser.get(&path).await;
        assert_eq!(
            param(refused.location(), "error").as_deref(),
            Some("consent_required")
        );

        // The screen: the application's name and what it would learn.
        let (verifier, path) = pkce_authorize_path(&app.id, &[("scope", "openid email")]);
        let screen = browser.get(&path).await;
        assert_eq!(screen.status, 200, "{}", screen.body);
        assert!(
            screen.body.contains("Allow Backups access?"),
            "{}",
            screen.body
        );
        assert!(
            screen.body.contains("Your email address"),
            "{}",
            screen.body
        );
        assert!(!screen.body.contains("Your name and username"));
        let policy = screen.headers["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("https://rp.example.test"), "{policy}");

        // A post without the page's CSRF token answers nothing.
        let mut fields: Vec<(String, String)> = hidden_fields(&screen.body)
            .into_iter()
            .filter(|(name, _)| name != "csrf_token")
            .collect();
        fields.push(("consent".into(), "allow".into()));
        let forged = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .post(format!("{}/oauth2/authorize", server.base))
            .header(
                "cookie",
                format!(
                    "portcullis_session={}",
                    browser.cookie("portcullis_session").unwrap()
                ),
            )
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 403);

        // Denying sends access_denied back.
        let denied = answer(&mut browser, &screen.body, "deny").await;
        assert_eq!(
            param(denied.location(), "error").as_deref(),
            Some("access_denied"),
            "{}",
            denied.location()
        );

        // Allowing gives the code, once asked.
        let allowed = answer(&mut browser, &screen.body, "allow").await;
        assert_eq!(allowed.status, 302, "{}", allowed.body);
        let code = param(allowed.location(), "code").expect("a code");
        let (status, issued) = redeem(&server, &app, &code, &verifier).await;
        assert_eq!(status, 200, "{issued}");

        // Not asked again for as much; asked again for more, and at prompt=consent.
        let (_, path) = pkce_authorize_path(&app.id, &[("scope", "openid")]);
        assert!(param(browser.get(&path).await.location(), "code").is_some());
        let (_, path) = pkce_authorize_path(&app.id, &[("scope", "openid email profile")]);
        assert_eq!(browser.get(&path).await.status, 200, "more is asked for");
        let (_, path) = pkce_authorize_path(&own.id, &[("prompt", "consent")]);
        let asked = browser.get(&path).await;
        assert_eq!(
            asked.status, 200,
            "prompt=consent asks even a first party's"
        );
        let allowed = answer(&mut browser, &asked.body, "allow").await;
        assert!(param(allowed.location(), "code").is_some());

        // The account page lists both, and withdrawing ends the application's tokens.
        let account = browser.get("/account").await;
        assert!(
            account.body.contains("Applications with access"),
            "{}",
            account.body
        );
        assert!(
            account.body.contains("may have: openid, email"),
            "{}",
            account.body
        );
        let access = issued["access_token"].as_str().unwrap();
        let (status, _) = server.get("/oauth2/userinfo", access).await;
        assert_eq!(status, 200);
        let withdrawn = browser
            .post(
                "/account/applications/withdraw",
                &[("application_id", app.id.as_str())],
            )
            .await;
        assert_eq!(withdrawn.status, 303, "{}", withdrawn.body);
        let (status, _) = server.get("/oauth2/userinfo", access).await;
        assert_eq!(status, 401, "the cached token dies at once");
        let (status, body) = token(
            &server,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", issued["refresh_token"].as_str().unwrap()),
            ],
            Some(&app),
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant"))
        );
        let (_, path) = pkce_authorize_path(&app.id, &[("scope", "openid")]);
        assert_eq!(browser.get(&path).await.status, 200, "it asks again");
        let account = browser.get("/account").await;
        assert!(!account.body.contains("may have: openid, email"));

        let admin = server.signed_in("boss", "Admin").await;
        let (_, log) = server.get("/api/activity?per_page=100", &admin).await;
        let log = log.to_string();
        assert!(log.contains("Allowed the application"), "{log}");
        assert!(log.contains("Withdrew the access"), "{log}");
    });
}

#[tokio::test]
async fn a_client_that_registered_itself_always_asks() {
    each_backend!(|server| {
        let key = api_key(&server, None).await;
        let response = server
            .request(Method::POST, "/oauth2/register")
            .bearer_auth(&key)
            .json(&json!({ "redirect_uris": [CALLBACK], "client_name": "Stranger" }))
            .send()
            .await
            .unwrap();
        let (status, registered) = json(response).await;
        assert_eq!(status, 201, "{registered}");
        let client_id = registered["client_id"].as_str().unwrap();
        server.create_user("alice", "User").await;
        let mut browser = Browser::new(&server);
        browser.sign_in("alice", PASSWORD).await;
        let (_, path) = pkce_authorize_path(client_id, &[]);
        let screen = browser.get(&path).await;
        assert_eq!(screen.status, 200, "{}", screen.body);
        assert!(screen.body.contains("Allow Stranger access?"));

        // A consent answer a browser says came from elsewhere (a sibling site that planted a
        // CSRF cookie) is refused, token or not.
        let mut fields: Vec<(String, String)> = hidden_fields(&screen.body);
        fields.push(("consent".into(), "allow".into()));
        let cookies = format!(
            "portcullis_session={}; portcullis_csrf={}",
            browser.cookie("portcullis_session").unwrap(),
            browser.cookie("portcullis_csrf").unwrap()
        );
        let planted = no_redirects()
            .post(format!("{}/oauth2/authorize", server.base))
            .header("cookie", cookies)
            .header("sec-fetch-site", "same-site")
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(planted.status(), 403);

        // An operator replacing its metadata whole (dropping `third_party`) does not make it
        // first-party.
        let path = format!(
            "/v1/tenants/{}/applications/{client_id}",
            server.tenant.id.0
        );
        let (status, _, mut app) = v1(&server, Method::GET, &path, &key, None).await;
        assert_eq!(status, 200);
        app["metadata"] = json!({ "allowed_scopes": "" });
        let (status, _, body) = v1(&server, Method::POST, &path, &key, Some(app)).await;
        assert_eq!(status, 200, "{body}");
        let (_, path) = pkce_authorize_path(client_id, &[]);
        assert_eq!(browser.get(&path).await.status, 200, "it still asks");
    });
}
