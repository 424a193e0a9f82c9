//! The account page's second factor: an authenticator app set up from a server-drawn QR code
//! and its key in text, confirmed by a first code, recovery codes shown once with a download;
//! codes by mail or text message; new codes; off — each under the step-up rule.

use super::second_factor::app_code;
use super::*;
use base64::Engine;

fn between<'a>(body: &'a str, start: &str, end: &str) -> &'a str {
    let from = body
        .find(start)
        .unwrap_or_else(|| panic!("{start} in {body}"))
        + start.len();
    &body[from..from + body[from..].find(end).unwrap()]
}

#[tokio::test]
async fn an_authenticator_app_is_set_up_confirmed_and_turned_off() {
    each_backend!(|server| {
        server.create_user("pat", "User").await;
        let mut browser = Browser::new(&server);
        assert_eq!(browser.sign_in("pat", PASSWORD).await.status, 303);
        let off = browser.get("/account/second-factor").await;
        assert!(
            off.body.contains("id=\"two-factor-unavailable\""),
            "{}",
            off.body
        );
        assert_eq!(
            browser.post("/account/second-factor/app", &[]).await.status,
            403
        );

        server.set_settings(|s| s.two_factor_enabled = true).await;
        let page = browser.get("/account/second-factor").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_security_headers(&page);
        assert!(page.body.contains("id=\"set-up-app\""));

        let setup = browser.post("/account/second-factor/app", &[]).await;
        assert_eq!(setup.status, 200, "{}", setup.body);
        assert_eq!(setup.headers["cache-control"], "no-store");
        let secret = between(&setup.body, "<code id=\"totp-secret\">", "<").to_owned();
        let qr = between(&setup.body, "data:image/svg+xml;base64,", "\"");
        let svg = base64::engine::general_purpose::STANDARD
            .decode(qr)
            .unwrap();
        assert!(String::from_utf8(svg).unwrap().contains("<svg"));
        assert!(setup.body.contains("alt=\"A QR code"));

        // Not on until a first code confirms it.
        assert_eq!(server.try_login("pat", PASSWORD).await.0, 200);
        let wrong = browser
            .post("/account/second-factor/confirm", &[("code", "000000")])
            .await;
        assert_eq!(wrong.status, 422, "{}", wrong.body);
        let code = app_code(&server, &secret, 0);
        let on = browser
            .post("/account/second-factor/confirm", &[("code", &code)])
            .await;
        assert_eq!(on.status, 200, "{}", on.body);
        assert_eq!(on.headers["cache-control"], "no-store");
        let codes: Vec<&str> = on
            .body
            .split("<li><code>")
            .skip(1)
            .map(|rest| rest.split('<').next().unwrap())
            .collect();
        assert!(codes.len() >= 8, "{}", on.body);
        let file = between(&on.body, "data:text/plain;charset=utf-8;base64,", "\"");
        let file = base64::engine::general_purpose::STANDARD
            .decode(file)
            .unwrap();
        let file = String::from_utf8(file).unwrap();
        assert!(codes.iter().all(|c| file.contains(c)), "{file}");
        assert!(on.body.contains("download=\"recovery-codes.txt\""));
        // The password alone signs in no more.
        let (_, challenge) = server.try_login("pat", PASSWORD).await;
        assert!(challenge.get("token").is_none(), "{challenge}");
        let page = browser.get("/account/second-factor").await;
        assert!(page.body.contains("authenticator app"), "{}", page.body);
        assert!(!page.body.contains(codes[0]), "shown once");

        let again = browser
            .post("/account/second-factor/recovery-codes", &[])
            .await;
        assert_eq!(again.status, 200, "{}", again.body);
        assert!(!again.body.contains(codes[0]), "new ones");
        server
            .wait_for_mail_with("pat@example.com", "recovery codes", 1)
            .await;

        let turned_off = browser.post("/account/second-factor/off", &[]).await;
        assert_eq!(turned_off.status, 303, "{}", turned_off.body);
        assert_eq!(server.try_login("pat", PASSWORD).await.0, 200);
        let forged = browser
            .send(
                reqwest::Client::new()
                    .post(format!("{}/account/second-factor/app", server.base))
                    .form(&[("x", "y")]),
            )
            .await;
        assert_eq!(forged.status, 403);
        assert_eq!(browser.get("/account/second-factor/off").await.status, 405);
    });
}

#[tokio::test]
async fn mailed_and_texted_codes_and_the_step_up() {
    each_backend!(|server| {
        server
            .set_settings(|s| {
                s.two_factor_enabled = true;
                s.allow_totp_email = true;
                s.reauth_seconds = Some(300);
            })
            .await;
        server.create_user("pat", "User").await;
        let mut browser = Browser::new(&server);
        assert_eq!(browser.sign_in("pat", PASSWORD).await.status, 303);
        browser.get("/account/second-factor").await;

        let bad = browser
            .post(
                "/account/second-factor/phone",
                &[("country_code", "44"), ("phone_number", "call me")],
            )
            .await;
        assert_eq!(bad.status, 422, "{}", bad.body);
        assert!(
            bad.body.contains("id=\"phone_number-error\""),
            "{}",
            bad.body
        );

        let mailed = browser.post("/account/second-factor/mail", &[]).await;
        assert_eq!(mailed.status, 303, "{}", mailed.body);
        let page = browser.get("/account/second-factor?done=on").await;
        assert!(page.body.contains("codes by mail"), "{}", page.body);

        // Signed in a while ago: turning it off asks for the password.
        server.clock.advance(time::Duration::seconds(301));
        let asked = browser.post("/account/second-factor/off", &[]).await;
        assert_eq!(asked.status, 422, "{}", asked.body);
        assert!(
            asked.body.contains("id=\"off_current_password-error\""),
            "{}",
            asked.body
        );
        let done = browser
            .post(
                "/account/second-factor/off",
                &[("off_current_password", PASSWORD)],
            )
            .await;
        assert_eq!(done.status, 303, "{}", done.body);
        let texted = browser
            .post(
                "/account/second-factor/phone",
                &[
                    ("country_code", "+44"),
                    ("phone_number", "7700 900123"),
                    ("phone_current_password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(texted.status, 303, "{}", texted.body);
        let page = browser.get("/account/second-factor").await;
        assert!(page.body.contains("codes by text message"), "{}", page.body);
    });
}

#[tokio::test]
async fn a_pending_setup_takes_few_wrong_codes_and_only_from_a_login_session() {
    each_backend!(|server| {
        server
            .set_settings(|s| {
                s.two_factor_enabled = true;
                s.throttle_attempts = 3;
            })
            .await;
        let login = server.signed_in("pat", "User").await;
        let personal =
            crate::tokens::make_token(&server, &login, &["update-profile", "view-profile"]).await;
        let mut browser = Browser::new(&server);
        assert_eq!(browser.sign_in("pat", PASSWORD).await.status, 303);
        browser.get("/account/second-factor").await;
        let setup = browser.post("/account/second-factor/app", &[]).await;
        let secret = between(&setup.body, "<code id=\"totp-secret\">", "<").to_owned();

        // A personal token turns nothing on, even with the right code.
        let (status, _) = server
            .send(
                Method::POST,
                "/api/me/2fa/verify",
                &personal,
                json!({ "code": app_code(&server, &secret, 0) }),
            )
            .await;
        assert_eq!(status, 403);

        // Wrong codes are counted; past the tenant's limit even the right one waits.
        for _ in 0..3 {
            let wrong = browser
                .post("/account/second-factor/confirm", &[("code", "000000")])
                .await;
            assert_eq!(wrong.status, 422, "{}", wrong.body);
        }
        let locked = browser
            .post(
                "/account/second-factor/confirm",
                &[("code", &app_code(&server, &secret, 0))],
            )
            .await;
        assert_eq!(locked.status, 429, "{}", locked.body);
        assert!(locked.headers.contains_key("retry-after"));
        let page = browser.get("/account/second-factor").await;
        assert!(page.body.contains("id=\"confirm-totp\""), "still pending");
    });
}

#[tokio::test]
async fn every_sensitive_change_asks_the_password_after_a_sign_in_grown_old() {
    each_backend!(|server| {
        server
            .set_settings(|s| {
                s.two_factor_enabled = true;
                s.allow_totp_email = true;
                s.reauth_seconds = Some(300);
            })
            .await;
        server.create_user("pat", "User").await;
        let mut browser = Browser::new(&server);
        assert_eq!(browser.sign_in("pat", PASSWORD).await.status, 303);
        browser.get("/account/second-factor").await;
        server.clock.advance(time::Duration::seconds(301));
        for (path, field) in [
            ("/account/second-factor/app", "app_current_password"),
            ("/account/second-factor/mail", "mail_current_password"),
        ] {
            let asked = browser.post(path, &[]).await;
            assert_eq!(asked.status, 422, "{path}: {}", asked.body);
            assert!(
                asked.body.contains(&format!("id=\"{field}-error\"")),
                "{path}: {}",
                asked.body
            );
        }
        let asked = browser
            .post(
                "/account/second-factor/phone",
                &[("country_code", "44"), ("phone_number", "7700900123")],
            )
            .await;
        assert_eq!(asked.status, 422, "{}", asked.body);
        // Nothing was turned on.
        let page = browser.get("/account/second-factor").await;
        assert!(page.body.contains("id=\"set-up-app\""), "{}", page.body);
        // With the password, it goes on; new codes then ask again.
        let on = browser
            .post(
                "/account/second-factor/mail",
                &[("mail_current_password", PASSWORD)],
            )
            .await;
        assert_eq!(on.status, 303, "{}", on.body);
        let codes = browser
            .post("/account/second-factor/recovery-codes", &[])
            .await;
        assert_eq!(codes.status, 422, "{}", codes.body);
        assert!(codes.body.contains("id=\"codes_current_password-error\""));
    });
}
