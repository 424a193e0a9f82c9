//! The second-factor page: authenticator apps, mailed codes, remembered browsers.

use super::*;
use crate::harness::with_mailed_codes;

pub(super) use crate::two_factor::{app_code, enable_totp};

#[tokio::test]
async fn an_authenticator_code_completes_the_login_and_a_remembered_browser_skips_it() {
    each_backend!(|server| {
        server.set_settings(|s| s.two_factor_enabled = true).await;
        server.create_user("twostep", "User").await;
        let secret = enable_totp(&server, "twostep").await;
        let mut browser = Browser::new(&server);
        let first = browser
            .sign_in_to("/login", "twostep", PASSWORD, "/account?tab=tokens")
            .await;
        assert_eq!(first.status, 303);
        assert!(first.location().starts_with("/login/second-factor"));
        assert!(first.set_cookie("portcullis_session").is_none());
        let challenge = first.set_cookie("portcullis_challenge").unwrap();
        for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/login"] {
            assert!(challenge.contains(attribute), "{challenge}");
        }
        assert!(!first
            .location()
            .contains(&browser.cookie("portcullis_challenge").unwrap()));
        let location = first.location().to_owned();
        let page = browser.get(&location).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("authenticator app"));
        assert!(page.body.contains("name=\"remember_device\""));
        let return_to = input_value(&page.body, "return_to");
        assert_eq!(return_to, "/account?tab=tokens");

        let wrong = browser
            .post(
                "/login/second-factor",
                &[("code", "000000"), ("return_to", &return_to)],
            )
            .await;
        assert_eq!(wrong.status, 422);
        assert!(wrong.body.contains("id=\"code-error\""));
        // The step after the one that confirmed the app (each code is accepted once).
        let code = app_code(&server, &secret, 30);
        let done = browser
            .post(
                "/login/second-factor",
                &[
                    ("code", &code),
                    ("remember_device", "1"),
                    ("return_to", &return_to),
                ],
            )
            .await;
        assert_eq!(done.status, 303, "{}", done.body);
        assert_eq!(done.location(), "/account?tab=tokens");
        assert!(browser.cookie("portcullis_session").is_some());
        assert!(browser.cookie("portcullis_challenge").is_none());
        assert!(browser.cookie("portcullis_device").is_some());

        // Signed out, then in again on the remembered browser: no second step.
        let out = browser.post("/logout", &[]).await;
        assert_eq!((out.status, out.location()), (303, "/login"));
        assert!(browser.cookie("portcullis_session").is_none());
        let again = browser.sign_in("twostep", PASSWORD).await;
        assert_eq!((again.status, again.location()), (303, "/account"));

        // The secret is bound to its user: another account on this browser still gets asked.
        server.create_user("another", "User").await;
        enable_totp(&server, "another").await;
        browser.post("/logout", &[]).await;
        let other = browser.sign_in("another", PASSWORD).await;
        assert!(other.location().starts_with("/login/second-factor"));

        // Forgetting remembered browsers brings the second step back.
        browser.cookies.remove("portcullis_challenge");
        let code = app_code(&server, &secret, -30);
        browser.sign_in("twostep", PASSWORD).await;
        browser
            .post("/login/second-factor", &[("code", &code)])
            .await;
        let account = browser.get("/account").await;
        assert!(account.body.contains("Forget remembered browsers"));
        browser.post("/account/devices/forget", &[]).await;
        browser.post("/logout", &[]).await;
        let asked = browser.sign_in("twostep", PASSWORD).await;
        assert!(asked.location().starts_with("/login/second-factor"));

        // Remembered again, then banned: the remembered browser is refused all the same.
        browser.cookies.remove("portcullis_challenge");
        // Later, so the app shows a code not used yet.
        server.clock.advance(time::Duration::minutes(2));
        browser.sign_in("twostep", PASSWORD).await;
        let code = app_code(&server, &secret, 0);
        let remembered = browser
            .post(
                "/login/second-factor",
                &[("code", &code), ("remember_device", "1")],
            )
            .await;
        assert_eq!(remembered.status, 303, "{}", remembered.body);
        browser.post("/logout", &[]).await;
        let admin = server.signed_in("boss", "Admin").await;
        let id = crate::harness::user_id(&server, "twostep").await;
        let path = format!("/api/users/{}", id.0);
        let (_, body) = server
            .send(Method::PUT, &path, &admin, json!({ "status": "Banned" }))
            .await;
        assert_eq!(body["status"], "Banned", "{body}");
        let banned = browser.sign_in("twostep", PASSWORD).await;
        assert_eq!(banned.status, 403);
        assert!(banned.body.contains("disabled"));
        assert!(banned.set_cookie("portcullis_session").is_none());
    });
}

#[tokio::test]
async fn a_mailed_code_completes_the_login() {
    each_backend!(|server| {
        with_mailed_codes(&mut server, "mailed").await;
        let mut browser = Browser::new(&server);
        let first = browser.sign_in("mailed", PASSWORD).await;
        let location = first.location().to_owned();
        assert!(location.starts_with("/login/second-factor"), "{location}");
        let page = browser.get(&location).await;
        assert!(page.body.contains("sent a 6-digit code to your email"));
        let mail = server
            .wait_for_mail_with("mailed@example.com", "Your login code is ", 1)
            .await;
        let code = token_after(&mail, "Your login code is ");
        let done = browser
            .post("/login/second-factor", &[("code", &code)])
            .await;
        assert_eq!((done.status, done.location()), (303, "/account"));
        // The challenge is used up: its page sends the browser back to sign in.
        let again = browser.get("/login/second-factor").await;
        assert_eq!(again.location(), "/login");
    });
}
