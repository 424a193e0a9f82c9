//! The account's own sub-pages: activity, "Your data" (export and deletion) and linked
//! sign-ins; their forms' CSRF checks and what a signed-out browser gets.

use super::*;
use portcullis_core::store::{AccessStore, PasskeyStore, UserStore};
use reqwest::header::USER_AGENT;
use serde_json::Value;

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0";

/// The account sub-pages' forms.
const FORMS: &[&str] = &[
    "/account/data/export",
    "/account/data/delete",
    "/account/linked/unlink",
];

/// A browser signed in as `username` (with the test password), from Firefox.
async fn signed_in_browser(server: &TestServer, username: &str) -> Browser {
    let mut browser = Browser::new(server);
    let form = browser.get("/login").await;
    assert_eq!(form.status, 200);
    let csrf = browser.cookie("portcullis_csrf").unwrap();
    let request = browser
        .http
        .post(format!("{}/login", server.base))
        .header(USER_AGENT, FIREFOX)
        .form(&[
            ("login", username),
            ("password", PASSWORD),
            ("csrf_token", &csrf),
        ]);
    let answer = browser.send(request).await;
    assert_eq!(
        (answer.status, answer.location()),
        (303, "/account"),
        "[{}] {}",
        server.backend_name,
        answer.body
    );
    browser
}

/// Turns on an authenticator app for `username` through the API: its secret and the
/// recovery codes shown once.
async fn totp_with_codes(server: &TestServer, username: &str) -> (String, Vec<String>) {
    let token = server.login(username).await;
    let (_, setup) = server
        .send(
            Method::PUT,
            "/api/me/2fa",
            &token,
            json!({ "method": "totp" }),
        )
        .await;
    let secret = setup["secret"].as_str().unwrap().to_owned();
    let totp = totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(&secret).unwrap())
        .build()
        .unwrap();
    let code = totp
        .generate(server.clock_now().unix_timestamp() as u64)
        .to_string();
    let (status, body) = server
        .send(
            Method::POST,
            "/api/me/2fa/verify",
            &token,
            json!({ "code": code }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let codes = body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect::<Vec<_>>();
    assert!(!codes.is_empty());
    (secret, codes)
}

#[tokio::test]
async fn the_forms_refuse_a_missing_or_foreign_csrf_token_and_gets_to_them_are_405() {
    each_backend!(|server| {
        server.create_user("careful", "User").await;
        let mut browser = signed_in_browser(&server, "careful").await;
        let mut other = Browser::new(&server);
        other.get("/login").await;
        let foreign = other.cookie("portcullis_csrf").unwrap();
        let email = "careful@example.com";
        for path in FORMS {
            let url = format!("{}{path}", server.base);
            for token in [None, Some(foreign.as_str())] {
                let mut fields = vec![
                    ("confirm_email", email),
                    ("current_password", PASSWORD),
                    ("network", "google"),
                ];
                if let Some(token) = token {
                    fields.push(("csrf_token", token));
                }
                let answer = browser
                    .send(reqwest::Client::new().post(&url).form(&fields))
                    .await;
                assert_eq!(answer.status, 403, "{path} with {token:?}: {}", answer.body);
                assert!(!answer.body.contains("\"profile\""), "{path}");
            }
            assert_eq!(browser.get(path).await.status, 405, "GET {path}");
        }
        // Nothing was deleted.
        assert_eq!(server.try_login("careful", PASSWORD).await.0, 200);
        assert_eq!(browser.get("/account/data").await.status, 200);
    });
}

#[tokio::test]
async fn a_signed_out_browser_is_sent_to_sign_in() {
    each_backend!(|server| {
        let mut browser = Browser::new(&server);
        for (path, back) in [
            (
                "/account/activity",
                "/login?return_to=%2Faccount%2Factivity",
            ),
            ("/account/data", "/login?return_to=%2Faccount%2Fdata"),
            ("/account/linked", "/login?return_to=%2Faccount%2Flinked"),
        ] {
            let answer = browser.get(path).await;
            assert_eq!((answer.status, answer.location()), (303, back), "{path}");
        }
        browser.get("/login").await;
        for path in FORMS {
            let answer = browser
                .post(path, &[("confirm_email", "x@example.com")])
                .await;
            assert_eq!(answer.status, 303, "{path}");
            assert!(answer.location().starts_with("/login?return_to="), "{path}");
        }
    });
}

#[tokio::test]
async fn the_activity_page_shows_ones_own_entries_only_with_the_browser() {
    each_backend!(|server| {
        server.create_user("walker", "User").await;
        let other = server.signed_in("stranger", "User").await;
        crate::tokens::make_token(&server, &other, &["view-profile"]).await;
        assert_ne!(server.try_login("stranger", "wrong-password").await.0, 200);
        let mut browser = signed_in_browser(&server, "walker").await;
        let mine = server.login("walker").await;
        let body = json!({ "name": "walkers-own-token", "scopes": ["view-profile"] });
        let (status, _) = server
            .send(Method::POST, "/api/me/tokens", &mine, body)
            .await;
        assert_eq!(status, 201);

        let page = browser.get("/account/activity").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_security_headers(&page);
        assert!(page.body.contains("href=\"/account/activity\""), "the nav");
        assert!(page.body.contains("Logged in."), "{}", page.body);
        assert!(page.body.contains("walkers-own-token"), "{}", page.body);
        assert!(page.body.contains("Firefox"), "{}", page.body);
        assert!(page.body.contains("Linux"), "{}", page.body);
        // The stranger's token and failed sign-in are not the walker's business.
        assert!(!page.body.contains("&#34;script&#34;"), "{}", page.body);
        assert!(
            !page.body.contains("Failed login attempt."),
            "{}",
            page.body
        );
        // Newest first: the token was made after the sign-ins.
        let token_at = page.body.find("walkers-own-token").unwrap();
        let login_at = page.body.find("Logged in.").unwrap();
        assert!(token_at < login_at);

        // Fifty a page, then the next page.
        for n in 0..55 {
            let body = json!({ "name": format!("many-{n}"), "scopes": ["view-profile"] });
            server
                .send(Method::POST, "/api/me/tokens", &mine, body)
                .await;
        }
        let first = browser.get("/account/activity").await;
        assert_eq!(first.body.matches("<tr><td>").count(), 50);
        assert!(first.body.contains("href=\"/account/activity?page=2\""));
        assert!(!first.body.contains("id=\"previous-page\""));
        let second = browser.get("/account/activity?page=2").await;
        assert!(second.body.contains("Logged in."), "{}", second.body);
        assert!(second.body.contains("id=\"previous-page\""));
        assert!(!second.body.contains("id=\"next-page\""));
        // Nonsense pages are the first.
        assert_eq!(browser.get("/account/activity?page=x").await.status, 200);
    });
}

#[tokio::test]
async fn the_export_holds_the_account_and_no_secret() {
    each_backend!(|server| {
        server.set_settings(|s| s.two_factor_enabled = true).await;
        server.create_user("exported", "User").await;
        let id = crate::harness::user_id(&server, "exported").await;
        let login = server.login("exported").await;
        let personal =
            crate::tokens::make_token(&server, &login, &["view-profile", "manage-tokens"]).await;
        let (secret, codes) = totp_with_codes(&server, "exported").await;
        let (_, passkey) = crate::passkeys::register(&server, &login, "Laptop key").await;
        assert_eq!(passkey["name"], "Laptop key");
        // Used once, so a last-use date is there to export.
        assert_eq!(server.get("/api/me", &personal).await.0, 200);

        // The browser signs in with the second factor's recovery code.
        let mut browser = Browser::new(&server);
        let first = browser.sign_in("exported", PASSWORD).await;
        assert!(first.location().starts_with("/login/second-factor"));
        let location = first.location().to_owned();
        browser.get(&location).await;
        let done = browser
            .post("/login/second-factor", &[("code", &codes[0])])
            .await;
        assert_eq!(done.status, 303, "{}", done.body);
        let session = browser.cookie("portcullis_session").unwrap();

        let page = browser.get("/account/data").await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("action=\"/account/data/export\""));
        let export = browser.post("/account/data/export", &[]).await;
        assert_eq!(export.status, 200, "{}", export.body);
        let header = |name: &str| {
            export
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(
            header("content-disposition"),
            "attachment; filename=\"account.json\""
        );
        assert_eq!(header("cache-control"), "no-store");
        assert!(header("content-type").starts_with("application/json"));
        let text = export.body.clone();
        let data: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(data["profile"]["email"], "exported@example.com");
        assert_eq!(data["profile"]["username"], "exported");
        assert_eq!(data["profile"]["role"], "User");
        assert_eq!(data["password"]["set"], true);
        assert_eq!(
            data["second_factor"],
            json!({ "enabled": true, "method": "totp" })
        );
        assert_eq!(data["passkeys"][0]["name"], "Laptop key");
        let tokens = data["personal_tokens"].as_array().unwrap();
        assert_eq!(tokens.len(), 1, "{text}");
        assert_eq!(tokens[0]["name"], "script");
        assert!(tokens[0]["last_used_at"].is_string(), "{text}");
        assert!(!data["sessions"].as_array().unwrap().is_empty());
        assert!(text.contains("Logged in."));

        // Not one secret, in any form.
        let (_, token_secret) = personal.split_once('|').unwrap();
        let (_, session_secret) = session.split_once('|').unwrap();
        let (_, login_secret) = login.split_once('|').unwrap();
        let stored = server
            .app
            .store
            .password_credential(id)
            .await
            .unwrap()
            .unwrap();
        let stored_tokens = server.app.store.personal_tokens(id).await.unwrap();
        let passkeys = server.app.store.passkeys_of(id).await.unwrap();
        let credential: Value = serde_json::from_str(&passkeys[0].credential).unwrap();
        let mut secrets = vec![
            personal.clone(),
            token_secret.to_owned(),
            session.clone(),
            session_secret.to_owned(),
            login_secret.to_owned(),
            PASSWORD.to_owned(),
            secret.clone(),
            stored.hash.hash.clone(),
            passkeys[0].credential.clone(),
            passkeys[0].credential_id.clone(),
            stored_tokens[0].secret_hash.clone(),
        ];
        secrets.extend(codes.iter().cloned());
        // Every long string inside the passkey's stored credential (its key material).
        let mut pending = vec![credential];
        while let Some(value) = pending.pop() {
            match value {
                Value::String(s) if s.len() >= 16 => secrets.push(s),
                Value::Array(items) => pending.extend(items),
                Value::Object(map) => pending.extend(map.into_iter().map(|(_, v)| v)),
                _ => {}
            }
        }
        for value in &secrets {
            assert!(!value.is_empty());
            assert!(
                !text.contains(value.as_str()),
                "[{}] the export holds {value:?}:\n{text}",
                server.backend_name
            );
        }
        // The TOTP seed in lower case, too.
        assert!(!text.to_lowercase().contains(&secret.to_lowercase()));
    });
}

#[tokio::test]
async fn deleting_ones_account_needs_the_address_and_password_and_ends_everything_at_once() {
    each_backend!(|server| {
        server.create_user("leaving", "User").await;
        let login = server.login("leaving").await;
        let personal = crate::tokens::make_token(&server, &login, &["view-profile"]).await;
        let unused = crate::tokens::make_token(&server, &login, &["view-profile"]).await;
        // Used once before, so the token cache holds them.
        assert_eq!(server.get("/api/me", &personal).await.0, 200);
        assert_eq!(server.get("/api/me", &login).await.0, 200);
        let mut browser = signed_in_browser(&server, "leaving").await;
        let session = browser.cookie("portcullis_session").unwrap();
        assert_eq!(server.get("/api/me", &session).await.0, 200);

        let page = browser.get("/account/data").await;
        assert!(page.body.contains("name=\"confirm_email\""));
        assert!(page
            .body
            .contains("Type your email address (leaving@example.com) to confirm"));
        assert!(page.body.contains("name=\"current_password\""));

        let wrong_password = browser
            .post(
                "/account/data/delete",
                &[
                    ("confirm_email", "leaving@example.com"),
                    ("current_password", "not-the-password"),
                ],
            )
            .await;
        assert_eq!(wrong_password.status, 422, "{}", wrong_password.body);
        assert!(wrong_password
            .body
            .contains("id=\"current_password-error\""));
        assert!(wrong_password
            .body
            .contains("The current password is incorrect."));
        let no_password = browser
            .post(
                "/account/data/delete",
                &[("confirm_email", "leaving@example.com")],
            )
            .await;
        assert_eq!(no_password.status, 422);
        assert!(no_password.body.contains("id=\"current_password-error\""));
        let wrong_email = browser
            .post(
                "/account/data/delete",
                &[
                    ("confirm_email", "someone@example.com"),
                    ("current_password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(wrong_email.status, 422);
        assert!(wrong_email.body.contains("id=\"confirm_email-error\""));
        assert!(wrong_email.body.contains("value=\"someone@example.com\""));

        // The wrong password counted like a failed sign-in.
        let admin = server.signed_in("overseer", "Admin").await;

        let (_, log) = server.get("/api/activity?search=Failed", &admin).await;
        assert!(log.to_string().contains("Failed login attempt."), "{log}");

        // Turned off by the tenant (in the console): refused, whatever was typed.
        let mut console = super::admin::admin_browser(&server).await;
        let settings = console.get("/admin/settings").await;
        assert!(settings
            .body
            .contains("People may delete their own account"));
        let saved =
            super::admin_settings::post_auth(&mut console, &[("allow_self_deletion", "")]).await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        let off_page = browser.get("/account/data").await;
        assert!(off_page.body.contains("id=\"deletion-off\""));
        assert!(!off_page.body.contains("name=\"confirm_email\""));
        let refused = browser
            .post(
                "/account/data/delete",
                &[
                    ("confirm_email", "leaving@example.com"),
                    ("current_password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert!(refused
            .body
            .contains("does not let people delete their own account"));
        assert_eq!(server.try_login("leaving", PASSWORD).await.0, 200);

        server.set_settings(|s| s.allow_self_deletion = true).await;
        let deleted = browser
            .post(
                "/account/data/delete",
                &[
                    ("confirm_email", " Leaving@Example.com "),
                    ("current_password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(deleted.status, 200, "{}", deleted.body);
        assert!(deleted.body.contains("Your account is deleted"));
        let cleared = deleted.set_cookie("portcullis_session").unwrap();
        assert!(cleared.contains("Max-Age=0"), "{cleared}");
        assert!(browser.cookie("portcullis_session").is_none());

        // Every token ends at once, cached or not, and nothing signs in any more.
        for token in [&personal, &unused, &login, &session] {
            assert_eq!(server.get("/api/me", token).await.0, 401, "{token}");
        }
        assert_ne!(server.try_login("leaving", PASSWORD).await.0, 200);
        let again = browser.sign_in("leaving", PASSWORD).await;
        assert_ne!(again.status, 303);
        assert!(browser.cookie("portcullis_session").is_none());
        assert_eq!(browser.get("/account/data").await.status, 303);

        // The log keeps one entry about it, naming nobody.
        let (_, log) = server
            .get("/api/activity?search=their%20own%20account", &admin)
            .await;
        let entries = log["data"].as_array().unwrap();
        assert_eq!(entries.len(), 1, "{log}");
        assert_eq!(entries[0]["description"], "Deleted their own account.");
        assert!(entries[0]["user_id"].is_null(), "{log}");
        assert!(!log.to_string().contains("leaving"), "{log}");
    });
}

#[tokio::test]
async fn an_account_without_a_password_is_deleted_with_its_address_typed() {
    let provider = crate::social::start_provider().await;
    each_backend!(|server| {
        crate::social::configure(&mut server, &provider).await;
        let (status, body) = crate::social::social(&server, "acme", "token-carol").await;
        assert_eq!(status, 200, "{body}");
        let token = body["token"].as_str().unwrap().to_owned();
        let mut browser = Browser::new(&server);
        browser
            .cookies
            .insert("portcullis_session".into(), token.clone());
        let page = browser.get("/account/data").await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("name=\"confirm_email\""));
        assert!(!page.body.contains("name=\"current_password\""));
        let wrong = browser
            .post(
                "/account/data/delete",
                &[("confirm_email", "bob@example.com")],
            )
            .await;
        assert_eq!(wrong.status, 422);
        // Even where the tenant asks no step-up, a sign-in older than a quarter of an hour
        // is not enough on its own.
        server.clock.advance(time::Duration::minutes(16));
        let old = browser
            .post(
                "/account/data/delete",
                &[("confirm_email", "carol@example.com")],
            )
            .await;
        assert_eq!(old.status, 403, "{}", old.body);
        let (_, body) = crate::social::social(&server, "acme", "token-carol").await;
        let token = body["token"].as_str().unwrap().to_owned();
        browser
            .cookies
            .insert("portcullis_session".into(), token.clone());
        // With nothing else to ask, the sign-in itself must be recent where the tenant says.
        server.set_settings(|s| s.reauth_seconds = Some(60)).await;
        server.clock.advance(time::Duration::minutes(2));
        let stale = browser
            .post(
                "/account/data/delete",
                &[("confirm_email", "carol@example.com")],
            )
            .await;
        assert_eq!(stale.status, 403, "{}", stale.body);
        assert!(stale.body.contains("sign in again"), "{}", stale.body);
        let (_, body) = crate::social::social(&server, "acme", "token-carol").await;
        let token = body["token"].as_str().unwrap().to_owned();
        browser
            .cookies
            .insert("portcullis_session".into(), token.clone());
        let deleted = browser
            .post(
                "/account/data/delete",
                &[("confirm_email", "carol@example.com")],
            )
            .await;
        assert_eq!(deleted.status, 200, "{}", deleted.body);
        assert_eq!(server.get("/api/me", &token).await.0, 401);
    });
}

#[tokio::test]
async fn a_link_is_unlinked_unless_it_is_the_only_way_in() {
    let provider = crate::social::start_provider().await;
    each_backend!(|server| {
        crate::social::configure(&mut server, &provider).await;
        // Google also takes browsers on the sign-in page.
        server
            .set_settings(|s| {
                let google = &mut s.social_networks[0];
                google.client_secret = Some("our-secret".into());
                google.authorize_url = Some(format!("{provider}/authorize"));
                google.token_url = Some(format!("{provider}/token"));
            })
            .await;
        // Carol exists only through her network: it is her one way in.
        let (status, body) = crate::social::social(&server, "acme", "token-carol").await;
        assert_eq!(status, 200, "{body}");
        let carol = body["token"].as_str().unwrap().to_owned();
        let mut browser = Browser::new(&server);
        browser
            .cookies
            .insert("portcullis_session".into(), carol.clone());
        let page = browser.get("/account/linked").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("Unlink Acme"), "{}", page.body);
        assert!(page.body.contains("Link Google"), "{}", page.body);
        assert!(page.body.contains("Google"), "the tenant's networks");
        let refused = browser
            .post("/account/linked/unlink", &[("network", "acme")])
            .await;
        assert_eq!(refused.status, 409, "{}", refused.body);
        assert!(refused.body.contains("only way you can sign in"));
        assert_eq!(
            crate::social::social(&server, "acme", "token-carol")
                .await
                .0,
            200
        );

        // With a passkey she has another way in.
        crate::passkeys::register(&server, &carol, "Phone").await;
        let done = browser
            .post("/account/linked/unlink", &[("network", "acme")])
            .await;
        assert_eq!(done.status, 200, "{}", done.body);
        assert!(done.body.contains("id=\"unlinked\""));
        assert!(done.body.contains("id=\"no-links\""));
        let activity = browser.get("/account/activity").await;
        assert!(activity.body.contains("Unlinked the Acme sign-in."));
        // A network it is not linked to changes nothing.
        let nothing = browser
            .post("/account/linked/unlink", &[("network", "google")])
            .await;
        assert_eq!(
            (nothing.status, nothing.location()),
            (303, "/account/linked")
        );

        // Bob has a password: his link goes at once.
        server.create_user("bob", "User").await;
        assert_eq!(
            crate::social::social(&server, "google", "token-bob")
                .await
                .0,
            200
        );
        let mut bob = signed_in_browser(&server, "bob").await;
        let page = bob.get("/account/linked").await;
        assert!(page.body.contains("Unlink Google"), "{}", page.body);
        let done = bob
            .post("/account/linked/unlink", &[("network", "google")])
            .await;
        assert_eq!(done.status, 200, "{}", done.body);
        assert!(done.body.contains("Google is no longer linked"));

        // A sign-in older than the tenant allows: unlinking asks the password again.
        assert_eq!(
            crate::social::social(&server, "google", "token-bob")
                .await
                .0,
            200
        );
        server.set_settings(|s| s.reauth_seconds = Some(60)).await;
        server.clock.advance(time::Duration::minutes(2));
        let page = bob.get("/account/linked").await;
        assert!(
            page.body.contains("name=\"current_password\""),
            "{}",
            page.body
        );
        let asked = bob
            .post("/account/linked/unlink", &[("network", "google")])
            .await;
        assert_eq!(asked.status, 422, "{}", asked.body);
        assert!(asked.body.contains("id=\"unlink-password-error\""));
        let wrong = bob
            .post(
                "/account/linked/unlink",
                &[
                    ("network", "google"),
                    ("current_password", "nope-nope-nope"),
                ],
            )
            .await;
        assert_eq!(wrong.status, 422);
        let done = bob
            .post(
                "/account/linked/unlink",
                &[("network", "google"), ("current_password", PASSWORD)],
            )
            .await;
        assert_eq!(done.status, 200, "{}", done.body);
        assert!(done.body.contains("id=\"unlinked\""));

        // Social sign-ins turned off: the page lists no networks to sign in with.
        server.set_settings(|s| s.allow_social = false).await;
        let page = bob.get("/account/linked").await;
        assert!(!page.body.contains("id=\"linking-note\""));
    });
}

#[tokio::test]
async fn the_store_lists_and_removes_one_users_links_at_one_network_only() {
    use portcullis_core::model::NewActivity;
    use portcullis_core::store::SocialStore;
    each_backend!(|server| {
        let one = server.create_user("linked-one", "User").await.id;
        let two = server.create_user("linked-two", "User").await.id;
        let store = &server.app.store;
        let tenant = &server.tenant.id;
        let at = |minutes: i64| server.clock_now() + time::Duration::minutes(minutes);
        store
            .link_social_identity(tenant, "google", "g-1", one, at(2))
            .await
            .unwrap();
        store
            .link_social_identity(tenant, "acme", "a-1", one, at(1))
            .await
            .unwrap();
        store
            .link_social_identity(tenant, "google", "g-2", two, at(0))
            .await
            .unwrap();
        let links = store.social_identities_of(one).await.unwrap();
        let names: Vec<(&str, &str)> = links
            .iter()
            .map(|l| (l.network.as_str(), l.subject.as_str()))
            .collect();
        assert_eq!(names, [("acme", "a-1"), ("google", "g-1")], "oldest first");
        assert_eq!(links[0].created_at.unix_timestamp(), at(1).unix_timestamp());

        let activity = NewActivity {
            tenant_id: tenant.clone(),
            user_id: Some(one),
            ip_address: None,
            user_agent: None,
            description: "Unlinked the Google sign-in.".into(),
            created_at: at(3),
        };
        assert!(store
            .unlink_social_identities(one, "google", &activity)
            .await
            .unwrap());
        assert!(!store
            .unlink_social_identities(one, "google", &activity)
            .await
            .unwrap());
        let left = store.social_identities_of(one).await.unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].network, "acme");
        // The other user's link at the same network stays.
        assert_eq!(store.social_identities_of(two).await.unwrap().len(), 1);
        let db = server.inspect().await;
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM activities WHERE description = 'Unlinked the Google sign-in.'",
        )
        .fetch_one(&db)
        .await
        .unwrap();
        assert_eq!(count, 2, "each write records its entry");
        db.close().await;
    });
}

#[tokio::test]
async fn the_last_administrator_cannot_delete_their_own_account() {
    each_backend!(|server| {
        server.create_user("solo", "Admin").await;
        let mut browser = signed_in_browser(&server, "solo").await;
        let fields = [
            ("confirm_email", "solo@example.com"),
            ("current_password", PASSWORD),
        ];
        let refused = browser.post("/account/data/delete", &fields).await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert!(
            refused.body.contains("only administrator"),
            "{}",
            refused.body
        );
        assert_eq!(server.try_login("solo", PASSWORD).await.0, 200);

        // A banned Admin administers nothing; an active one does.
        let admin = server.login("solo").await;
        server.create_user("benched", "Admin").await;
        let benched = crate::harness::user_id(&server, "benched").await;
        let path = format!("/api/users/{}", benched.0);
        let (status, _) = server
            .send(Method::PUT, &path, &admin, json!({ "status": "Banned" }))
            .await;
        assert!((200..300).contains(&status), "{status}");
        let still = browser.post("/account/data/delete", &fields).await;
        assert_eq!(still.status, 403, "{}", still.body);
        server.create_user("deputy", "Admin").await;
        let deleted = browser.post("/account/data/delete", &fields).await;
        assert_eq!(deleted.status, 200, "{}", deleted.body);
        assert_eq!(server.try_login("deputy", PASSWORD).await.0, 200);
    });
}

#[tokio::test]
async fn a_deleted_account_s_tokens_end_on_every_node() {
    // Many nodes run on PostgreSQL; on SQLite there is only ever one (see the README).
    let postgres = crate::harness::backends()
        .into_iter()
        .filter(|b| matches!(b, crate::harness::Backend::Postgres(_)));
    for backend in postgres {
        // Nodes sharing a database share the signing keys' secret.
        let secret = |c: &mut portcullis::Config| {
            c.signing_key_secret = Some("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".to_owned())
        };
        let first = TestServer::start_with(&backend, secret).await;
        let url = first.database_url.clone();
        let second = TestServer::start_with(&backend, |c| {
            secret(c);
            c.database_url = Some(url.clone());
        })
        .await;
        first.create_user("leaving", "User").await;
        let login = first.login("leaving").await;
        let personal = crate::tokens::make_token(&first, &login, &["view-profile"]).await;
        // Both nodes hold the tokens in their caches.
        for node in [&first, &second] {
            for token in [&login, &personal] {
                assert_eq!(
                    node.get("/api/me", token).await.0,
                    200,
                    "{}",
                    node.backend_name
                );
            }
        }
        let mut browser = signed_in_browser(&first, "leaving").await;
        browser.get("/account/data").await;
        let deleted = browser
            .post(
                "/account/data/delete",
                &[
                    ("confirm_email", "leaving@example.com"),
                    ("current_password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(deleted.status, 200, "{}", deleted.body);
        for token in [&login, &personal] {
            assert_eq!(first.get("/api/me", token).await.0, 401);
            // The other node hears of it through the cache's change feed.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
            loop {
                let status = second.get("/api/me", token).await.0;
                if status == 401 {
                    break;
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "[{}] still {status} on the other node",
                    second.backend_name
                );
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        }
        assert_ne!(second.try_login("leaving", PASSWORD).await.0, 200);
        second.stop().await;
        first.stop().await;
    }
}
