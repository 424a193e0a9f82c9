//! The account page, and what a tenant's settings change on the pages.

use super::*;

#[tokio::test]
async fn the_account_page_creates_a_scoped_token_shown_once_and_revokes_it() {
    each_backend!(|server| {
        server.create_user("tokened", "User").await;
        let mut browser = Browser::new(&server);
        browser.sign_in("tokened", PASSWORD).await;
        let account = browser.get("/account").await;
        assert_eq!(account.status, 200);
        assert_security_headers(&account);
        assert!(account.body.contains("name=\"token_name\""));
        assert!(account.body.contains("value=\"view-profile\""));
        // A user's role cannot grant what it cannot do.
        assert!(!account.body.contains("value=\"delete-users\""));

        let none = browser
            .post("/account/tokens", &[("token_name", "backup")])
            .await;
        assert_eq!(none.status, 422);
        assert!(none.body.contains("Choose at least one scope."));
        let created = browser
            .post(
                "/account/tokens",
                &[
                    ("token_name", "backup"),
                    ("scopes", "view-profile"),
                    ("scopes", "manage-tokens"),
                    ("expires_at", "2999-12-31"),
                ],
            )
            .await;
        assert_eq!(created.status, 200, "{}", created.body);
        let value = input_value(&created.body, "new_token");
        assert!(value.contains('|'), "{value}");
        let (status, current) = server.get("/api/me/token", &value).await;
        assert_eq!(status, 200, "{current}");
        assert_eq!(current["scopes"], json!(["view-profile", "manage-tokens"]));
        assert_eq!(current["name"], "backup");
        // Shown once: the page after it lists the token, not its value.
        let listed = browser.get("/account").await;
        assert!(listed.body.contains("backup"));
        assert!(!listed.body.contains(&value));

        let id = current["id"].to_string();
        let revoked = browser
            .post("/account/tokens/revoke", &[("token_id", &id)])
            .await;
        assert_eq!((revoked.status, revoked.location()), (303, "/account"));
        assert_eq!(server.get("/api/me/token", &value).await.0, 401);
        // Nonsense ids change nothing and break nothing.
        let odd = browser
            .post("/account/tokens/revoke", &[("token_id", "x")])
            .await;
        assert_eq!(odd.status, 303);
    });
}

#[tokio::test]
async fn closed_sign_ups_and_password_logins_turned_off() {
    each_backend!(|server| {
        server.create_user("settled", "User").await;
        server.set_settings(|s| s.allow_signups = false).await;
        let mut browser = Browser::new(&server);
        let closed = browser.get("/signup").await;
        assert_eq!(closed.status, 404);
        assert!(closed.body.contains("Sign-ups are closed"));
        assert!(!closed.body.contains("name=\"password\""));
        let login = browser.get("/login").await;
        assert!(!login.body.contains("/signup"));

        server.set_settings(|s| s.allow_passwords = false).await;
        let page = browser.get("/login").await;
        assert_eq!(page.status, 200);
        assert!(!page.body.contains("name=\"password\""));
        assert!(page.body.contains("turned off"));
        let refused = browser
            .post("/login", &[("login", "settled"), ("password", PASSWORD)])
            .await;
        assert!(refused.set_cookie("portcullis_session").is_none());
        assert_ne!(refused.status, 303);
    });
}

#[tokio::test]
async fn developer_mode_shows_a_banner_and_the_brand_is_the_tenants() {
    each_backend!(|server| {
        server
            .set_settings(|s| {
                s.developer_mode = true;
                s.company_name = "Acme <Corp>".into();
                s.logo_image_text = "AC".into();
            })
            .await;
        let mut browser = Browser::new(&server);
        let page = browser.get("/login").await;
        assert!(page.body.contains("id=\"developer-mode\""));
        assert!(page.body.contains("Acme &#60;Corp&#62;"), "{}", page.body);
        assert!(page.body.contains(">AC<"));
    });
}

#[tokio::test]
async fn every_account_form_refuses_a_missing_or_foreign_csrf_token_and_gets_change_nothing() {
    each_backend!(|server| {
        server
            .set_settings(|s| {
                s.two_factor_enabled = true;
                s.allow_totp_email = true;
            })
            .await;
        let token = server.signed_in("pat", "User").await;
        let mut browser = Browser::new(&server);
        assert_eq!(browser.sign_in("pat", PASSWORD).await.status, 303);
        let mut other = Browser::new(&server);
        other.get("/login").await;
        let foreign = other.cookie("portcullis_csrf").unwrap();
        let (_, before) = server.get("/api/me", &token).await;
        let paths: Vec<&str> = portcullis_http::pages::PATHS
            .iter()
            .copied()
            .filter(|path| path.starts_with("/account"))
            .collect();
        assert!(paths.len() >= 20, "{paths:?}");
        let mut refused = 0;
        for path in &paths {
            let url = format!("{}{path}", server.base);
            for csrf in [None, Some(foreign.as_str())] {
                let mut fields = vec![
                    ("first_name", "Forged"),
                    ("email", "forged@example.com"),
                    ("password", "a forged long passphrase"),
                    ("password_confirmation", "a forged long passphrase"),
                ];
                if let Some(csrf) = csrf {
                    fields.push(("csrf_token", csrf));
                }
                let answer = browser
                    .send(reqwest::Client::new().post(&url).form(&fields))
                    .await;
                // The picture takes multipart forms only (its own test forges one).
                let expected: &[u16] = match *path {
                    "/account/profile/avatar" => &[400],
                    _ => &[403, 405],
                };
                assert!(
                    expected.contains(&answer.status),
                    "{path} with {csrf:?}: {}",
                    answer.status
                );
                refused += usize::from(answer.status == 403);
            }
            let shown = browser.get(path).await;
            assert!(
                [200, 303, 400, 404, 405].contains(&shown.status),
                "GET {path}: {}",
                shown.status
            );
        }
        assert!(refused >= 30, "{refused}");
        let (_, after) = server.get("/api/me", &token).await;
        assert_eq!(before, after);
        assert_eq!(server.try_login("pat", PASSWORD).await.0, 200);
    });
}
