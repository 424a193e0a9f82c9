//! Signing up, confirming an address and resetting a password on the pages.

use super::*;

#[tokio::test]
async fn sign_up_confirm_the_address_on_its_page_then_sign_in() {
    each_backend!(|server| {
        server.set_settings(|s| s.allow_unverified = false).await;
        let mut browser = Browser::new(&server);
        let page = browser.get("/signup").await;
        assert_eq!(page.status, 200);
        assert_security_headers(&page);
        let fields = [
            ("username", "newbie"),
            ("email", "newbie@example.com"),
            ("password", PASSWORD),
            ("password_confirmation", PASSWORD),
        ];
        let mismatch = [
            fields[0],
            fields[1],
            fields[2],
            ("password_confirmation", "other"),
        ];
        let bad = browser.post("/signup", &mismatch).await;
        assert_eq!(bad.status, 422);
        assert!(bad.body.contains("aria-describedby=\"password-error\""));
        let done = browser.post("/signup", &fields).await;
        assert_eq!(done.status, 200, "{}", done.body);
        assert!(done.body.contains("Check your email"));
        // Not before the address is confirmed.
        let early = browser.sign_in("newbie", PASSWORD).await;
        assert_eq!(early.status, 403);

        let first = server.wait_for_mail("newbie@example.com", 1).await;
        let first = token_after(&first, "/verify-email?token=");
        // Signing up again with the unconfirmed address mails a new link (the page says the
        // same as before) and voids the first.
        let mut again = Browser::new(&server);
        again.get("/signup").await;
        let retry = [("username", "newbie-2"), fields[1], fields[2], fields[3]];
        let answer = again.post("/signup", &retry).await;
        assert_eq!((answer.status, &answer.body), (done.status, &done.body));
        let mail = server.wait_for_mail("newbie@example.com", 2).await;
        let token = token_after(&mail, "/verify-email?token=");
        assert_ne!(token, first);
        let void = browser.post("/verify-email", &[("token", &first)]).await;
        assert_eq!(void.status, 400, "{}", void.body);
        let link = format!("/verify-email?token={token}");
        let page = browser.get(&link).await;
        assert_eq!(page.status, 200);
        assert_eq!(input_value(&page.body, "token"), token);
        // Opening the page confirms nothing (a mail scanner may open it).
        assert_eq!(browser.sign_in("newbie", PASSWORD).await.status, 403);
        let confirmed = browser.post("/verify-email", &[("token", &token)]).await;
        assert_eq!(confirmed.status, 200, "{}", confirmed.body);
        assert!(confirmed.body.contains("Email address confirmed"));
        let again = browser.post("/verify-email", &[("token", &token)]).await;
        assert_eq!(again.status, 400);
        let signed_in = browser.sign_in("newbie@example.com", PASSWORD).await;
        assert_eq!(signed_in.status, 303);
        assert!(signed_in.set_cookie("portcullis_session").is_some());

        // The address is taken now: the page says the same neutral thing.
        let mut other = Browser::new(&server);
        other.get("/signup").await;
        let taken = [
            ("username", "someone-else"),
            fields[1],
            fields[2],
            fields[3],
        ];
        let answer = other.post("/signup", &taken).await;
        assert_eq!(
            (answer.status, answer.body.contains("Check your email")),
            (200, true)
        );
        assert!(!answer.body.contains("taken"));
        // Its owner hears of it, with the way back in.
        let notice = server.wait_for_mail("newbie@example.com", 3).await;
        assert!(notice.contains("You already have an account"), "{notice}");
        assert!(notice.contains("http://portcullis.test/login"), "{notice}");
        assert!(
            notice.contains("http://portcullis.test/forgot-password"),
            "{notice}"
        );
    });
}

#[tokio::test]
async fn forgot_and_reset_a_password_on_the_pages_without_telling_who_exists() {
    each_backend!(|server| {
        server.create_user("forgetful", "User").await;
        let mut browser = Browser::new(&server);
        browser.get("/forgot-password").await;
        let unknown = browser
            .post("/forgot-password", &[("email", "ghost@example.com")])
            .await;
        let known = browser
            .post("/forgot-password", &[("email", "forgetful@example.com")])
            .await;
        assert_eq!((unknown.status, &unknown.body), (known.status, &known.body));
        assert!(known.body.contains("If an account exists"));
        let mail = server.wait_for_mail("forgetful@example.com", 1).await;
        let token = token_after(&mail, "/reset-password?token=");
        assert!(mail.contains(&format!(
            "/reset-password?token={token}&email=forgetful%40example.com"
        )));
        let page = browser
            .get(&format!(
                "/reset-password?token={token}&email=forgetful%40example.com"
            ))
            .await;
        assert_eq!(page.status, 200);
        assert_security_headers(&page);
        assert_eq!(input_value(&page.body, "email"), "forgetful@example.com");
        let new_password = "a-brand-new-password";
        let short = browser
            .post(
                "/reset-password",
                &[
                    ("token", &token),
                    ("email", "forgetful@example.com"),
                    ("password", "x"),
                    ("password_confirmation", "x"),
                ],
            )
            .await;
        assert_eq!(short.status, 422);
        let reset = browser
            .post(
                "/reset-password",
                &[
                    ("token", &token),
                    ("email", "forgetful@example.com"),
                    ("password", new_password),
                    ("password_confirmation", new_password),
                ],
            )
            .await;
        assert_eq!(reset.status, 200, "{}", reset.body);
        assert!(reset.body.contains("Password changed"));
        assert_eq!(browser.sign_in("forgetful", PASSWORD).await.status, 401);
        assert_eq!(browser.sign_in("forgetful", new_password).await.status, 303);
    });
}

#[tokio::test]
async fn reset_mails_stop_quietly_for_an_account_and_a_flood_from_one_address_gets_a_429() {
    each_backend!(|server| {
        server.create_user("flooded", "User").await;
        let mut browser = Browser::new(&server);
        browser.get("/forgot-password").await;
        let fields = [("email", "flooded@example.com")];
        let first = browser.post("/forgot-password", &fields).await;
        assert_eq!(first.status, 200, "{}", first.body);
        // The account gets three mails a window; the page answers the same past that.
        for _ in 0..4 {
            let again = browser.post("/forgot-password", &fields).await;
            assert_eq!((again.status, &again.body), (first.status, &first.body));
        }
        server.wait_for_mail("flooded@example.com", 3).await;
        let db = server.inspect().await;
        let queued: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM mail_queue WHERE recipient = $1")
                .bind("flooded@example.com")
                .fetch_one(&db)
                .await
                .unwrap();
        assert_eq!(queued, 3, "[{}]", server.backend_name);
        db.close().await;
        // Five of the address's ten requests are used; sign-ups count too.
        for i in 0..5 {
            let email = format!("stranger{i}@example.com");
            let answer = browser.post("/forgot-password", &[("email", &email)]).await;
            assert_eq!(answer.status, 200);
        }
        browser.get("/signup").await;
        let refused = browser
            .post(
                "/signup",
                &[
                    ("username", "late"),
                    ("email", "late@example.com"),
                    ("password", PASSWORD),
                    ("password_confirmation", PASSWORD),
                ],
            )
            .await;
        assert_eq!(refused.status, 429, "{}", refused.body);
        assert!(refused
            .body
            .contains("Too many requests from here. Please wait 10 minutes"));
        assert_eq!(refused.headers["retry-after"], "600");
        assert_security_headers(&refused);
        let refused = browser.post("/forgot-password", &fields).await;
        assert_eq!(refused.status, 429);
        assert!(refused.body.contains("Too many requests from here"));
    });
}

/// Posts the sign-up form of `username` with a captcha's key and an answer.
async fn sign_up_reading(browser: &mut Browser, username: &str, key: &str, answer: &str) -> Answer {
    let email = format!("{username}@example.com");
    let fields = [
        ("username", username),
        ("email", email.as_str()),
        ("password", PASSWORD),
        ("password_confirmation", PASSWORD),
        ("captcha_key", key),
        ("captcha", answer),
    ];
    browser.post("/signup", &fields).await
}

#[tokio::test]
async fn a_tenant_asking_for_a_captcha_gets_a_picture_to_read_on_the_sign_up_page() {
    each_backend!(|server| {
        server
            .set_settings(|s| {
                s.captcha_enabled = true;
                s.allow_unverified = false;
            })
            .await;
        let mut browser = Browser::new(&server);
        let page = browser.get("/signup").await;
        assert_eq!(page.status, 200, "{}", page.body);
        let picture = "<img class=\"captcha\" src=\"data:image";
        assert!(page.body.contains(picture), "{}", page.body);
        let key = input_value(&page.body, "captcha_key");
        let unanswered = sign_up_reading(&mut browser, "reader", &key, "").await;
        assert_eq!(unanswered.status, 422);
        assert!(unanswered
            .body
            .contains("Type the characters you see in the picture."));
        // Every form shown again has a new picture.
        let next_key = input_value(&unanswered.body, "captcha_key");
        assert_ne!(next_key, key);
        let wrong = sign_up_reading(&mut browser, "reader", &next_key, "WRONG").await;
        assert_eq!(wrong.status, 422);
        assert!(
            wrong.body.contains("The captcha is incorrect"),
            "{}",
            wrong.body
        );

        // Only a test can read a picture's answer: one made in-process, answered in any case.
        // Read right on a form with other problems, it is spent all the same.
        let spent = server
            .app
            .services
            .new_captcha(&server.tenant)
            .await
            .unwrap();
        let (key, answer) = (spent.key.expose(), spent.answer.expose());
        let nameless = sign_up_reading(&mut browser, "", key, answer).await;
        assert_eq!(nameless.status, 422);
        assert!(
            !nameless.body.contains("captcha-error"),
            "{}",
            nameless.body
        );
        let again = sign_up_reading(&mut browser, "reader", key, answer).await;
        assert_eq!(again.status, 422);
        assert!(
            again.body.contains("The captcha has expired"),
            "{}",
            again.body
        );
        let made = server
            .app
            .services
            .new_captcha(&server.tenant)
            .await
            .unwrap();
        let (key, answer) = (made.key.expose(), made.answer.expose().to_lowercase());
        let done = sign_up_reading(&mut browser, "reader", key, &answer).await;
        assert_eq!(done.status, 200, "{}", done.body);
        assert!(done.body.contains("Check your email"));
        // The sign-up used it up.
        browser.get("/signup").await;
        let again = sign_up_reading(&mut browser, "copycat", key, &answer).await;
        assert_eq!(again.status, 422);
        assert!(
            again.body.contains("The captcha has expired"),
            "{}",
            again.body
        );
    });
}

#[tokio::test]
async fn a_sign_up_needing_no_confirmation_signs_in_at_once() {
    each_backend!(|server| {
        let mut browser = Browser::new(&server);
        browser.get("/signup").await;
        let done = browser
            .post(
                "/signup",
                &[
                    ("username", "instant"),
                    ("email", "instant@example.com"),
                    ("password", PASSWORD),
                    ("password_confirmation", PASSWORD),
                ],
            )
            .await;
        assert_eq!((done.status, done.location()), (303, "/account"));
        let account = browser.get("/account").await;
        assert!(account.body.contains("instant@example.com"));
    });
}
