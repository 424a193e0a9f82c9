//! The account page's password and email, through the account-change service: the current
//! password asked before a new one, other sessions ended, a new address confirmed from that
//! address before it counts, the old one told, and the step-up for a sign-in grown old.

use super::*;

const NEW_PASSWORD: &str = "another long and careful passphrase";

#[tokio::test]
async fn a_new_password_needs_the_current_one_and_ends_the_other_sessions() {
    each_backend!(|server| {
        let elsewhere = server.signed_in("pat", "User").await;
        let mut browser = Browser::new(&server);
        assert_eq!(browser.sign_in("pat", PASSWORD).await.status, 303);
        let page = browser.get("/account/sign-in").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_security_headers(&page);

        for (fields, field) in [
            (
                vec![
                    ("current_password", "wrong-password"),
                    ("password", NEW_PASSWORD),
                    ("password_confirmation", NEW_PASSWORD),
                ],
                "current_password",
            ),
            (
                vec![
                    ("password", NEW_PASSWORD),
                    ("password_confirmation", NEW_PASSWORD),
                ],
                "current_password",
            ),
            (
                vec![
                    ("current_password", PASSWORD),
                    ("password", "short"),
                    ("password_confirmation", "short"),
                ],
                "password",
            ),
            (
                vec![
                    ("current_password", PASSWORD),
                    ("password", NEW_PASSWORD),
                    ("password_confirmation", "something else entirely"),
                ],
                "password",
            ),
        ] {
            let refused = browser.post("/account/sign-in/password", &fields).await;
            assert_eq!(refused.status, 422, "{fields:?}: {}", refused.body);
            assert!(
                refused.body.contains(&format!("id=\"{field}-error\"")),
                "{fields:?}: {}",
                refused.body
            );
        }
        assert_eq!(server.get("/api/me", &elsewhere).await.0, 200);

        let changed = browser
            .post(
                "/account/sign-in/password",
                &[
                    ("current_password", PASSWORD),
                    ("password", NEW_PASSWORD),
                    ("password_confirmation", NEW_PASSWORD),
                ],
            )
            .await;
        assert_eq!(changed.status, 303, "{}", changed.body);
        assert_eq!(server.get("/api/me", &elsewhere).await.0, 401);
        assert_eq!(browser.get("/account/sign-in").await.status, 200);
        assert_ne!(server.try_login("pat", PASSWORD).await.0, 200);
        assert_eq!(server.try_login("pat", NEW_PASSWORD).await.0, 200);
        server
            .wait_for_mail_with("pat@example.com", "password was changed", 1)
            .await;

        let forged = browser
            .send(
                reqwest::Client::new()
                    .post(format!("{}/account/sign-in/password", server.base))
                    .form(&[("password", "x")]),
            )
            .await;
        assert_eq!(forged.status, 403);
        assert_eq!(browser.get("/account/sign-in/email").await.status, 405);
    });
}

#[tokio::test]
async fn a_new_address_counts_once_confirmed_and_the_old_one_is_told() {
    each_backend!(|server| {
        server.set_settings(|s| s.allow_unverified = false).await;
        server.create_user("pat", "User").await;
        let mut browser = Browser::new(&server);
        assert_eq!(browser.sign_in("pat", PASSWORD).await.status, 303);
        browser.get("/account/sign-in").await;

        let bad = browser
            .post(
                "/account/sign-in/email",
                &[
                    ("email", "not-an-address"),
                    ("email_current_password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(bad.status, 422, "{}", bad.body);
        assert!(bad.body.contains("id=\"email-error\""));
        assert!(bad.body.contains("value=\"not-an-address\""));

        // However recent the sign-in, the page asks for the current password first.
        let unasked = browser
            .post("/account/sign-in/email", &[("email", "pat@new.example")])
            .await;
        assert_eq!(unasked.status, 422, "{}", unasked.body);
        assert!(unasked.body.contains("id=\"email_current_password-error\""));
        let asked = browser
            .post(
                "/account/sign-in/email",
                &[
                    ("email", "pat@new.example"),
                    ("email_current_password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(asked.status, 303, "{}", asked.body);
        assert_eq!(asked.location(), "/account/sign-in?changed=email-pending");
        // Nothing changes before the new address confirms it.
        assert_eq!(server.try_login("pat@example.com", PASSWORD).await.0, 200);
        server
            .wait_for_mail_with("pat@example.com", "pat@new.example", 1)
            .await;
        let mail = server.wait_for_mail("pat@new.example", 1).await;
        let token = token_after(&mail, "/verify-email?token=");
        let confirmed = browser.post("/verify-email", &[("token", &token)]).await;
        assert_eq!(confirmed.status, 200, "{}", confirmed.body);
        assert_eq!(server.try_login("pat@new.example", PASSWORD).await.0, 200);
        let page = browser.get("/account/sign-in").await;
        assert!(page.body.contains(">pat@new.example<"), "{}", page.body);
    });
}

#[tokio::test]
async fn a_sign_in_grown_old_asks_for_the_password_before_a_new_address() {
    each_backend!(|server| {
        server.set_settings(|s| s.reauth_seconds = Some(300)).await;
        server.create_user("pat", "User").await;
        let mut browser = Browser::new(&server);
        assert_eq!(browser.sign_in("pat", PASSWORD).await.status, 303);
        browser.get("/account/sign-in").await;
        server.clock.advance(time::Duration::seconds(301));
        let asked = browser
            .post("/account/sign-in/email", &[("email", "pat@new.example")])
            .await;
        assert_eq!(asked.status, 422, "{}", asked.body);
        assert!(
            asked.body.contains("id=\"email_current_password-error\""),
            "{}",
            asked.body
        );
        let wrong = browser
            .post(
                "/account/sign-in/email",
                &[
                    ("email", "pat@new.example"),
                    ("email_current_password", "wrong-password"),
                ],
            )
            .await;
        assert_eq!(wrong.status, 422);
        let done = browser
            .post(
                "/account/sign-in/email",
                &[
                    ("email", "pat@new.example"),
                    ("email_current_password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(done.status, 303, "{}", done.body);
        assert_eq!(server.try_login("pat@new.example", PASSWORD).await.0, 200);
    });
}
