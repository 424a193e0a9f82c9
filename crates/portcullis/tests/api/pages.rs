//! The hosted pages over real HTTP, as a browser without JavaScript uses them: cookies kept by
//! hand, redirects not followed, every form posted with the CSRF token of its cookie.

use crate::harness::{each_backend, token_after, TestServer, PASSWORD};
use reqwest::header::{HeaderMap, COOKIE, LOCATION, SET_COOKIE};
use reqwest::Method;
use serde_json::json;
use std::collections::BTreeMap;

/// A page's answer.
pub(crate) struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The `Set-Cookie` line for `name`, if the answer sets it.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(str::to_owned)
    }
}

/// One browser: its cookies, sent by hand on every request.
pub(crate) struct Browser {
    base: String,
    http: reqwest::Client,
    cookies: BTreeMap<String, String>,
}

impl Browser {
    pub fn new(server: &TestServer) -> Self {
        Self {
            base: server.base.clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
        }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.get(name).cloned()
    }

    pub async fn send(&mut self, request: reqwest::RequestBuilder) -> Answer {
        let header = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let request = if header.is_empty() {
            request
        } else {
            request.header(COOKIE, header)
        };
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        for line in headers.get_all(SET_COOKIE).iter() {
            let line = line.to_str().unwrap();
            let (pair, attributes) = line.split_once(';').unwrap_or((line, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let body = response.text().await.expect("body");
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        let request = self.http.get(format!("{}{path}", self.base));
        self.send(request).await
    }

    /// Posts a form with this browser's CSRF token (as the page's hidden field holds it).
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let csrf = self.cookie("portcullis_csrf").unwrap_or_default();
        let mut fields = fields.to_vec();
        fields.push(("csrf_token", &csrf));
        self.post_raw(path, &fields).await
    }

    async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let request = self.http.post(format!("{}{path}", self.base)).form(fields);
        self.send(request).await
    }

    /// Opens the login page and signs in; the answer to the form.
    pub(crate) async fn sign_in(&mut self, login: &str, password: &str) -> Answer {
        self.sign_in_to("/login", login, password, "").await
    }

    pub(crate) async fn sign_in_to(
        &mut self,
        page: &str,
        login: &str,
        password: &str,
        return_to: &str,
    ) -> Answer {
        let form = self.get(page).await;
        assert_eq!(form.status, 200, "{}", form.body);
        self.post(
            "/login",
            &[
                ("login", login),
                ("password", password),
                ("return_to", return_to),
            ],
        )
        .await
    }
}

pub(crate) fn assert_security_headers(answer: &Answer) {
    let header = |name: &str| {
        answer
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let csp = header("content-security-policy");
    for part in [
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self' data:",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ] {
        assert!(csp.contains(part), "{part} in {csp}");
    }
    assert_eq!(header("x-frame-options"), "DENY");
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(header("referrer-policy"), "no-referrer");
    assert_eq!(header("cache-control"), "no-store");
}

/// The value of the input named `name` on a page.
fn input_value(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\"");
    let at = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {body}"));
    let tag_start = body[..at].rfind('<').unwrap();
    let tag_end = at + body[at..].find('>').unwrap();
    let tag = &body[tag_start..tag_end];
    let value = tag.split("value=\"").nth(1).unwrap_or("");
    value[..value.find('"').unwrap_or(0)]
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

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

/// Turns on an authenticator app for `username` through the API; its secret.
async fn enable_totp(server: &TestServer, username: &str) -> String {
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
    let (status, body) = server
        .send(
            Method::POST,
            "/api/me/2fa/verify",
            &token,
            json!({ "code": app_code(server, &secret, 0) }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    secret
}

fn app_code(server: &TestServer, secret: &str, offset_seconds: i64) -> String {
    let totp = totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(secret).unwrap())
        .build()
        .unwrap();
    let now = server.clock_now().unix_timestamp() + offset_seconds;
    totp.generate(now as u64).to_string()
}

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
        server.create_user("boss", "Admin").await;
        let admin = server.login("boss").await;
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
        server.create_user("timed", "User").await;
        let api = server.login("timed").await;
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

#[tokio::test]
async fn a_mailed_code_completes_the_login() {
    each_backend!(|server| {
        server.set_settings(|s| s.two_factor_enabled = true).await;
        server.create_user("mailed", "User").await;
        let token = server.login("mailed").await;
        let (status, body) = server
            .send(
                Method::PUT,
                "/api/me/2fa",
                &token,
                json!({ "method": "email" }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
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
