//! The login page: its cookies, CSRF, where it goes afterwards, and what it says to bad input.

use super::*;

#[tokio::test]
async fn login_sets_a_secure_cookie_for_a_session_the_api_lists_and_can_end() {
    each_backend!(|server| {
        server.create_user("webby", "User").await;
        let mut browser = Browser::new(&server);
        let page = browser.get("/login").await;
        assert_eq!(page.status, 200);
        assert_security_headers(&page);
        assert!(page.body.contains("<html lang=\"en\">"));
        assert!(page.body.contains("<label for=\"login\">"));
        assert!(page.body.contains("name=\"password\""));
        let csrf = page.set_cookie("portcullis_csrf").expect("a CSRF cookie");
        for attribute in ["HttpOnly", "Secure", "SameSite=Strict"] {
            assert!(csrf.contains(attribute), "{csrf}");
        }
        assert_eq!(
            input_value(&page.body, "csrf_token"),
            browser.cookie("portcullis_csrf").unwrap()
        );
        let stylesheet = browser.get("/assets/pages.css").await;
        assert_eq!(stylesheet.status, 200);
        assert!(stylesheet.body.contains(":focus-visible"));

        let signed_in = browser
            .post("/login", &[("login", "webby"), ("password", PASSWORD)])
            .await;
        assert_eq!(signed_in.status, 303, "{}", signed_in.body);
        assert_eq!(signed_in.location(), "/account");
        assert_security_headers(&signed_in);
        let cookie = signed_in.set_cookie("portcullis_session").unwrap();
        let max_age = format!("Max-Age={}", server.tenant.settings.remember_login_seconds);
        for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/", &max_age] {
            assert!(cookie.contains(attribute), "{attribute} in {cookie}");
        }
        let bearer = browser.cookie("portcullis_session").unwrap();
        let (status, sessions) = server.get("/api/me/sessions", &bearer).await;
        assert_eq!(status, 200, "{sessions}");
        let sessions = sessions.as_array().unwrap().clone();
        assert_eq!(sessions.len(), 1);

        let account = browser.get("/account").await;
        assert_eq!(account.status, 200);
        assert!(account.body.contains("webby@example.com"));
        assert!(account.body.contains("This browser"));
        // Signed in already: the login form is skipped.
        assert_eq!(browser.get("/login").await.location(), "/account");

        let api = server.login("webby").await;
        let path = format!("/api/sessions/{}", sessions[0]["id"].as_str().unwrap());
        let (status, body) = server.send(Method::DELETE, &path, &api, json!({})).await;
        assert!(status == 200 || status == 204, "{status} {body}");
        let account = browser.get("/account").await;
        assert_eq!(account.status, 303);
        assert_eq!(account.location(), "/login?return_to=%2Faccount");
    });
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_page() {
    each_backend!(|server| {
        server.create_user("known", "User").await;
        let mut browser = Browser::new(&server);
        let wrong = browser.sign_in("known", "not-the-password").await;
        let unknown = browser.sign_in("nobody-here", "not-the-password").await;
        assert_eq!(wrong.status, 401);
        // Identical but for the login typed, which the form shows again.
        let unknown_body = unknown.body.replace("nobody-here", "known");
        assert_eq!((wrong.status, &wrong.body), (unknown.status, &unknown_body));
        assert!(wrong
            .body
            .contains("The username, email or password is not right."));
        assert!(wrong.set_cookie("portcullis_session").is_none());
        // What was typed comes back, escaped; the password does not.
        let typed = browser.sign_in("<b>known</b>", "not-the-password").await;
        assert!(!typed.body.contains("<b>known"), "{}", typed.body);
        assert!(typed.body.contains("known&#60;/b&#62;"), "{}", typed.body);
        assert!(!typed.body.contains("not-the-password"));
    });
}

#[tokio::test]
async fn forms_without_the_right_csrf_token_or_from_elsewhere_are_forbidden() {
    each_backend!(|server| {
        server.create_user("guarded", "User").await;
        let mut browser = Browser::new(&server);
        // No cookie at all.
        let fields = [("login", "guarded"), ("password", PASSWORD)];
        let bare = browser.post_raw("/login", &fields).await;
        assert_eq!(bare.status, 403);
        assert!(bare.body.contains("This form has expired"));
        assert_security_headers(&bare);
        browser.get("/login").await;
        // A cookie, but no field, then a wrong one.
        assert_eq!(browser.post_raw("/login", &fields).await.status, 403);
        let wrong = [fields[0], fields[1], ("csrf_token", "x")];
        assert_eq!(browser.post_raw("/login", &wrong).await.status, 403);
        // The right token, sent from another site.
        let csrf = browser.cookie("portcullis_csrf").unwrap();
        let request = browser
            .http
            .post(format!("{}/login", server.base))
            .header("origin", "https://evil.example")
            .form(&[fields[0], fields[1], ("csrf_token", csrf.as_str())]);
        assert_eq!(browser.send(request).await.status, 403);
        assert!(browser.cookie("portcullis_session").is_none());
        // Every other form is guarded too.
        for path in ["/signup", "/forgot-password", "/logout", "/account/tokens"] {
            assert_eq!(browser.post_raw(path, &[]).await.status, 403, "{path}");
        }
        // And the right token from this site signs in.
        assert_eq!(browser.post("/login", &fields).await.status, 303);
    });
}

#[tokio::test]
async fn a_logout_link_from_elsewhere_asks_on_a_hosted_page_before_signing_out() {
    each_backend!(|server| {
        server.create_user("leaving", "User").await;
        let mut browser = Browser::new(&server);
        let signed_in = browser.sign_in("leaving", PASSWORD).await;
        assert_eq!(signed_in.status, 303, "{}", signed_in.body);
        let session = browser.cookie("portcullis_session").expect("signed in");

        let ask = browser.get("/oauth2/logout").await;
        assert_eq!(ask.status, 200, "{}", ask.body);
        assert_security_headers(&ask);
        assert!(ask
            .body
            .contains("<link rel=\"stylesheet\" href=\"/assets/pages.css\">"));
        assert!(ask.body.contains("Sign out of "), "{}", ask.body);
        assert!(ask.body.contains("leaving@example.com"), "{}", ask.body);
        assert_eq!(input_value(&ask.body, "confirm"), "yes");
        assert_eq!(
            input_value(&ask.body, "csrf_token"),
            browser.cookie("portcullis_csrf").unwrap()
        );
        assert!(
            ask.set_cookie("portcullis_csrf").is_none(),
            "the cookie is kept"
        );
        assert_eq!(browser.cookie("portcullis_session"), Some(session.clone()));
        let (status, _) = server.get("/api/me", &session).await;
        assert_eq!(status, 200, "nothing ended yet");

        // "Stay signed in" goes to the account page, still signed in.
        assert!(ask
            .body
            .contains("<a href=\"/account\" id=\"stay-signed-in\">"));
        assert_eq!(browser.get("/account").await.status, 200);

        // The form without its token is refused; with it, the session ends.
        let refused = browser
            .post_raw("/oauth2/logout", &[("confirm", "yes")])
            .await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert_security_headers(&refused);
        let (status, _) = server.get("/api/me", &session).await;
        assert_eq!(status, 200, "nothing ended");
        let out = browser.post("/oauth2/logout", &[("confirm", "yes")]).await;
        assert_eq!(out.status, 200, "{}", out.body);
        assert!(out.body.contains("You are signed out"), "{}", out.body);
        assert!(browser.cookie("portcullis_session").is_none());
        let (status, _) = server.get("/api/me", &session).await;
        assert_eq!(status, 401, "the session has ended");
    });
}

#[tokio::test]
async fn return_to_is_followed_only_to_local_paths() {
    each_backend!(|server| {
        server.create_user("returning", "User").await;
        for (return_to, expected) in [
            (
                "/oauth2/authorize?client_id=x&state=y",
                "/oauth2/authorize?client_id=x&state=y",
            ),
            ("https://evil.example", "/account"),
            ("//evil.example", "/account"),
            ("/\\evil.example", "/account"),
        ] {
            let mut browser = Browser::new(&server);
            let query = reqwest::Url::parse_with_params("http://x/", [("return_to", return_to)])
                .unwrap()
                .query()
                .unwrap()
                .to_owned();
            let page = browser.get(&format!("/login?{query}")).await;
            assert_eq!(input_value(&page.body, "return_to"), return_to);
            let answer = browser
                .sign_in_to("/login", "returning", PASSWORD, return_to)
                .await;
            assert_eq!(answer.status, 303);
            assert_eq!(answer.location(), expected, "{return_to}");
            // Signed in already: the login page goes on at once, by the same rule.
            let again = browser.get(&format!("/login?{query}")).await;
            assert_eq!(again.location(), expected, "{return_to}");
        }
    });
}

#[tokio::test]
async fn too_many_attempts_get_a_captcha_then_a_friendly_429() {
    each_backend!(|server| {
        server.create_user("hammered", "User").await;
        let mut browser = Browser::new(&server);
        browser.get("/login").await;
        let fields = [("login", "hammered"), ("password", "wrong-password")];
        // Half the address's attempts (10 by default) are plain failures ...
        for n in 0..5 {
            let answer = browser.post("/login", &fields).await;
            assert_eq!(answer.status, 401, "attempt {n}");
            assert_eq!(
                answer.body.contains("class=\"captcha\""),
                n == 4,
                "attempt {n}"
            );
        }
        // ... then the form asks for the picture, and a post without it checks nothing.
        let asked = browser.post("/login", &fields).await;
        assert_eq!(asked.status, 422);
        assert!(asked.body.contains("Type the characters in the picture"));
        assert!(asked.body.contains("class=\"captcha\""));
        assert!(asked.body.contains("name=\"captcha_key\""));
        let wrong = [
            ("login", "hammered"),
            ("password", "wrong-password"),
            ("captcha_key", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
            ("captcha", "zzzzz"),
        ];
        let refused = browser.post("/login", &wrong).await;
        assert_eq!(refused.status, 422);
        assert!(
            refused.body.contains("The captcha has expired"),
            "{}",
            refused.body
        );
        // The address spends the rest elsewhere (the API keeps its documented fields): the
        // page then says to wait.
        for _ in 0..10 {
            if server.try_login("hammered", "wrong-password").await.0 == 429 {
                break;
            }
        }
        let last = browser.post("/login", &fields).await;
        assert_eq!(last.status, 429);
        assert!(
            last.body.contains("Too many sign-in attempts"),
            "{}",
            last.body
        );
        assert!(last.headers.contains_key("retry-after"));
        assert_security_headers(&last);
    });
}

#[tokio::test]
async fn a_login_for_an_application_goes_back_to_its_login_url_and_may_be_redirected_there() {
    each_backend!(|server| {
        server.create_user("appuser", "User").await;
        let key = crate::mgmt::api_key(&server, None).await;
        let apps = format!("/v1/tenants/{}/applications", server.tenant.id.as_str());
        let body = json!({
            "type": "Application",
            "name": "Shop",
            "login_url": "https://shop.example/welcome",
            "logout_urls": [],
            "redirect_urls": [ "https://callback.example:8443/cb" ]
        });
        let (status, _, app) =
            crate::mgmt::v1(&server, Method::POST, &apps, &key, Some(body)).await;
        assert_eq!(status, 200, "{app}");
        let client_id = app["id"].as_str().unwrap().to_owned();

        let mut browser = Browser::new(&server);
        let page = browser.get(&format!("/login?client_id={client_id}")).await;
        assert_security_headers(&page);
        let csp = page.headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("form-action 'self' https://shop.example https://callback.example:8443;"),
            "{csp}"
        );
        assert_eq!(input_value(&page.body, "client_id"), client_id);
        let signed_in = browser
            .post(
                "/login",
                &[
                    ("login", "appuser"),
                    ("password", PASSWORD),
                    ("client_id", &client_id),
                ],
            )
            .await;
        assert_eq!(signed_in.status, 303);
        assert_eq!(signed_in.location(), "https://shop.example/welcome");

        // An authorization request that sent the browser to sign in names the application too.
        let mut other = Browser::new(&server);
        let return_to = format!("/oauth2/authorize?client_id={client_id}&response_type=code");
        let query = reqwest::Url::parse_with_params("http://x/", [("return_to", &return_to)])
            .unwrap()
            .query()
            .unwrap()
            .to_owned();
        let page = other.get(&format!("/login?{query}")).await;
        let csp = page.headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("https://callback.example:8443"), "{csp}");
        // An unknown application changes nothing.
        let page = other.get("/login?client_id=nope").await;
        let csp = page.headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("form-action 'self';"), "{csp}");
    });
}

#[tokio::test]
async fn a_browser_session_lasts_remember_login_seconds_and_other_sessions_can_be_ended() {
    each_backend!(|server| {
        server
            .set_settings(|s| s.remember_login_seconds = 3600)
            .await;
        let api = server.signed_in("timed", "User").await;
        let mut browser = Browser::new(&server);
        let signed_in = browser.sign_in("timed", PASSWORD).await;
        let cookie = signed_in.set_cookie("portcullis_session").unwrap();
        assert!(cookie.contains("Max-Age=3600"), "{cookie}");

        // The API login is listed too, and the page ends it.
        let account = browser.get("/account").await;
        let (_, sessions) = server.get("/api/me/sessions", &api).await;
        assert_eq!(sessions.as_array().unwrap().len(), 2);
        // The page marks this browser's session; the other one is the API's.
        let marked = &account.body[account.body.find("row current").expect("marked")..];
        let current = input_value(marked, "session_id");
        let other = sessions
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .find(|id| *id != current && account.body.contains(id.as_str()))
            .expect("the other session is on the page");
        let ended = browser
            .post("/account/sessions/end", &[("session_id", &other)])
            .await;
        assert_eq!((ended.status, ended.location()), (303, "/account"));
        assert_eq!(server.get("/api/me", &api).await.0, 401);
        assert_eq!(browser.get("/account").await.status, 200);

        server.clock.advance(time::Duration::seconds(3601));
        let later = browser.get("/account").await;
        assert_eq!(later.location(), "/login?return_to=%2Faccount");
    });
}

#[tokio::test]
async fn bad_form_input_gets_the_page_again_or_a_clear_error_never_a_500() {
    each_backend!(|server| {
        server.create_user("careless", "User").await;
        let mut browser = Browser::new(&server);
        browser.sign_in("careless", PASSWORD).await;
        let odd_date = browser
            .post(
                "/account/tokens",
                &[
                    ("token_name", "x"),
                    ("scopes", "view-profile"),
                    ("expires_at", "next tuesday"),
                ],
            )
            .await;
        assert_eq!(odd_date.status, 422);
        assert!(odd_date.body.contains("id=\"expires_at-error\""));
        let past = browser
            .post(
                "/account/tokens",
                &[
                    ("token_name", "x"),
                    ("scopes", "no-such-scope"),
                    ("expires_at", "2001-01-01"),
                ],
            )
            .await;
        assert_eq!(past.status, 422);
        assert!(past.body.contains("The expiry must be in the future."));
        let long = "n".repeat(300);
        let named = browser
            .post(
                "/account/tokens",
                &[("token_name", &long), ("scopes", "view-profile")],
            )
            .await;
        assert_eq!(named.status, 422);
        assert!(named.body.contains("id=\"token_name-error\""));
        let nul = browser
            .post("/login", &[("login", "care\0less"), ("password", "x\0")])
            .await;
        assert_eq!(nul.status, 401);
        let ended = browser
            .post("/account/sessions/end", &[("session_id", "\0nope")])
            .await;
        assert_eq!(ended.status, 303);
        // Bytes that are no form at all.
        let csrf = browser.cookie("portcullis_csrf").unwrap();
        let request = browser
            .http
            .post(format!("{}/login", server.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("csrf_token={csrf}&login=%FF%FE&password=x"));
        let garbage = browser.send(request).await;
        assert!(
            garbage.status == 400 || garbage.status == 401,
            "{}",
            garbage.status
        );
    });
}

#[tokio::test]
async fn a_return_to_that_cannot_be_a_location_goes_to_the_account_page() {
    each_backend!(|server| {
        server.create_user("webby", "User").await;
        let mut browser = Browser::new(&server);
        let done = browser
            .sign_in_to("/login", "webby", PASSWORD, "/caf\u{e9}")
            .await;
        assert_eq!(done.status, 303, "{}", done.body);
        assert_eq!(done.location(), "/account");
    });
}
