//! RP-initiated logout: what it checks, and when it asks first.

use super::*;

#[tokio::test]
async fn logout_checks_the_redirect_and_ends_the_browser_session() {
    each_backend!(|server| {
        let cookie = browser(&server, "alice").await;
        let app = create_app(&server, json!({})).await;
        let issued = tokens(&server, &app, &cookie).await;
        let hint = str_of(&issued, "id_token");
        // The same keys sign access tokens (RFC 9068), which are no ID tokens.
        let (_, machine) =
            token(&server, &[("grant_type", "client_credentials")], Some(&app)).await;
        let access_jwt = str_of(&machine, "access_token").to_owned();

        for (query, message) in [
            (
                vec![
                    ("client_id", app.id.as_str()),
                    ("post_logout_redirect_uri", "https://evil.test/"),
                ],
                "The post_logout_redirect_uri is not a logout URL of this client.",
            ),
            (
                // A redirect URL is not a logout URL.
                vec![
                    ("id_token_hint", hint),
                    ("post_logout_redirect_uri", CALLBACK),
                ],
                "The post_logout_redirect_uri is not a logout URL of this client.",
            ),
            (
                vec![("post_logout_redirect_uri", SIGNED_OUT)],
                "A post_logout_redirect_uri needs a client_id or an id_token_hint.",
            ),
            (
                vec![
                    ("id_token_hint", "e30.e30.c2ln"),
                    ("post_logout_redirect_uri", SIGNED_OUT),
                ],
                "The id_token_hint is not an ID token of this provider.",
            ),
            (
                vec![
                    ("id_token_hint", access_jwt.as_str()),
                    ("post_logout_redirect_uri", SIGNED_OUT),
                ],
                "The id_token_hint is not an ID token of this provider.",
            ),
        ] {
            let path = format!(
                "/oauth2/logout?{}",
                serde_urlencoded::to_string(&query).unwrap()
            );
            let response = browse(&server, &path, Some(&cookie)).await;
            assert!(response.headers().get(LOCATION).is_none());
            let (status, content_type, body) = text(response).await;
            assert_eq!(status, 400, "{path}");
            assert!(content_type.starts_with("text/html"));
            assert!(body.contains(message), "{body}");
        }
        let (status, _) = server.get("/api/me", &cookie).await;
        assert_eq!(status, 200, "nothing was ended");

        // With a hint of this session and no redirect: ended at once, a page says so, and
        // the cookie is cleared.
        let path = format!(
            "/oauth2/logout?{}",
            serde_urlencoded::to_string([("id_token_hint", hint)]).unwrap()
        );
        let response = browse(&server, &path, Some(&cookie)).await;
        assert!(response.headers()[SET_COOKIE]
            .to_str()
            .unwrap()
            .starts_with("portcullis_session=;"));
        let (status, _, body) = text(response).await;
        assert_eq!(status, 200);
        assert!(body.contains("You are signed out"), "{body}");
        let (status, _) = server.get("/api/me", &cookie).await;
        assert_eq!(status, 401);
        let (status, _, _) = userinfo(&server, str_of(&issued, "access_token")).await;
        assert_eq!(status, 401);
        // The hint still names a client after its session ended (and, later, expired).
        server.clock.advance(time::Duration::hours(3));
        let path = format!(
            "/oauth2/logout?{}",
            serde_urlencoded::to_string([
                ("id_token_hint", hint),
                ("post_logout_redirect_uri", SIGNED_OUT)
            ])
            .unwrap()
        );
        assert_eq!(location(&browse(&server, &path, None).await), SIGNED_OUT);
    });
}

/// The value of the (hidden) input `name` of a page's form, unescaped.
fn input_value(body: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body.find(&marker)? + marker.len();
    let value = &body[start..start + body[start..].find('"')?];
    Some(value.replace("&#38;", "&").replace("&amp;", "&"))
}

/// `POST /oauth2/logout` with this form, the session cookie and (when given) the CSRF cookie.
async fn post_logout(
    server: &TestServer,
    form: &[(&str, &str)],
    session: &str,
    csrf: Option<&str>,
) -> Response {
    let mut cookies = format!("portcullis_session={session}");
    if let Some(csrf) = csrf {
        cookies.push_str(&format!("; portcullis_csrf={csrf}"));
    }
    no_redirects()
        .post(format!("{}/oauth2/logout", server.base))
        .header("cookie", cookies)
        .form(form)
        .send()
        .await
        .unwrap()
}

/// The CSRF cookie's value a response sets.
fn csrf_cookie(response: &Response) -> String {
    let line = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("portcullis_csrf="))
        .unwrap_or_else(|| panic!("a CSRF cookie: {:?}", response.headers()))
        .to_owned();
    let (pair, _) = line.split_once(';').unwrap_or((&line, ""));
    pair["portcullis_csrf=".len()..].to_owned()
}

#[tokio::test]
async fn logout_without_a_hint_of_this_session_asks_first() {
    each_backend!(|server| {
        let cookie = browser(&server, "alice").await;
        let app = create_app(&server, json!({})).await;
        let query = [
            ("client_id", app.id.as_str()),
            ("post_logout_redirect_uri", SIGNED_OUT),
            ("state", "bye"),
        ];
        let path = format!(
            "/oauth2/logout?{}",
            serde_urlencoded::to_string(query).unwrap()
        );

        // A link from anywhere: a page asks, and nothing ends.
        let response = browse(&server, &path, Some(&cookie)).await;
        let headers = response.headers().clone();
        let csrf = csrf_cookie(&response);
        let (status, content_type, body) = text(response).await;
        assert_eq!(status, 200, "{body}");
        assert!(content_type.starts_with("text/html"), "{content_type}");
        assert!(body.contains("Sign out of "), "{body}");
        assert!(body.contains("action=\"/oauth2/logout\""), "{body}");
        assert!(body.contains("href=\"/account\""), "{body}");
        assert!(body.contains("Stay signed in"), "{body}");
        assert!(
            body.contains("/assets/pages.css"),
            "the hosted pages' style: {body}"
        );
        for (name, value) in query.iter().chain(&[("confirm", "yes")]) {
            assert_eq!(input_value(&body, name).as_deref(), Some(*value), "{name}");
        }
        assert_eq!(input_value(&body, "csrf_token"), Some(csrf.clone()));
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("form-action 'self' https://rp.example.test"),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(headers[CACHE_CONTROL], "no-store");
        assert_eq!(headers["x-frame-options"], "DENY");
        assert_eq!(headers["referrer-policy"], "no-referrer");
        assert!(headers
            .get_all(SET_COOKIE)
            .iter()
            .all(|v| !v.to_str().unwrap().starts_with("portcullis_session=")));
        let (status, _) = server.get("/api/me", &cookie).await;
        assert_eq!(status, 200, "the session lives");

        // A link cannot confirm, even one that carries the token.
        let mut forged = query.to_vec();
        forged.extend([("confirm", "yes"), ("csrf_token", csrf.as_str())]);
        let forged = format!(
            "/oauth2/logout?{}",
            serde_urlencoded::to_string(&forged).unwrap()
        );
        let (status, _, body) = text(browse(&server, &forged, Some(&cookie)).await).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("Sign out of "), "{body}");

        // A plain form post (from any site) asks too.
        let (status, _, body) = text(post_logout(&server, &query, &cookie, None).await).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("Sign out of "), "{body}");

        // The confirmation without the CSRF token, with a wrong one, or from another site:
        // refused, and the session lives.
        let mut confirm = query.to_vec();
        confirm.push(("confirm", "yes"));
        let mut wrong = confirm.clone();
        wrong.push(("csrf_token", "x"));
        let mut right = confirm.clone();
        right.push(("csrf_token", csrf.as_str()));
        for (form, csrf_cookie) in [
            (&confirm, Some(csrf.as_str())),
            (&wrong, Some(csrf.as_str())),
            (&right, None),
        ] {
            let response = post_logout(&server, form, &cookie, csrf_cookie).await;
            assert!(response.headers().get(SET_COOKIE).is_none());
            let (status, content_type, body) = text(response).await;
            assert_eq!(status, 403, "{body}");
            assert!(content_type.starts_with("text/html"), "{content_type}");
            assert!(body.contains("This form has expired"), "{body}");
        }
        let request = no_redirects()
            .post(format!("{}/oauth2/logout", server.base))
            .header(
                "cookie",
                format!("portcullis_session={cookie}; portcullis_csrf={csrf}"),
            )
            .header("origin", "https://evil.example")
            .form(&right);
        assert_eq!(request.send().await.unwrap().status(), 403);
        let (status, _) = server.get("/api/me", &cookie).await;
        assert_eq!(status, 200, "the session lives");

        // Confirmed: the session ends, and the browser goes back with the state.
        let response = post_logout(&server, &right, &cookie, Some(&csrf)).await;
        assert_eq!(location(&response), format!("{SIGNED_OUT}?state=bye"));
        let cleared = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
        assert!(cleared.starts_with("portcullis_session=;"), "{cleared}");
        let (status, _) = server.get("/api/me", &cookie).await;
        assert_eq!(status, 401, "the session has ended");

        // Without a session there is nothing to ask about.
        let response = browse(&server, &path, Some(&cookie)).await;
        assert_eq!(location(&response), format!("{SIGNED_OUT}?state=bye"));
        let (status, _, body) = text(browse(&server, "/oauth2/logout", None).await).await;
        assert_eq!(status, 200);
        assert!(body.contains("You are signed out"), "{body}");
    });
}

#[tokio::test]
async fn only_a_hint_of_the_browsers_own_session_ends_it_at_once() {
    each_backend!(|server| {
        let first = browser(&server, "alice").await;
        let app = create_app(&server, json!({})).await;
        let issued = tokens(&server, &app, &first).await;
        let hint = str_of(&issued, "id_token");
        let path = format!(
            "/oauth2/logout?{}",
            serde_urlencoded::to_string([
                ("id_token_hint", hint),
                ("post_logout_redirect_uri", SIGNED_OUT),
                ("state", "bye"),
            ])
            .unwrap()
        );

        // The same person in another session (another `sid`), and another person: asked.
        let second = server.login("alice").await;
        let bob = server.signed_in("bob", "User").await;
        for other in [&second, &bob] {
            let (status, _, body) = text(browse(&server, &path, Some(other)).await).await;
            assert_eq!(status, 200, "{body}");
            assert!(body.contains("Sign out of "), "{body}");
            // The form posts back the hint's client, so the redirect verifies again.
            assert_eq!(input_value(&body, "client_id"), Some(app.id.clone()));
            assert_eq!(
                input_value(&body, "id_token_hint"),
                None,
                "no token in the page"
            );
            let (status, _) = server.get("/api/me", other).await;
            assert_eq!(status, 200, "the session lives");
        }

        // The hint's own session: ended at once.
        let response = browse(&server, &path, Some(&first)).await;
        assert_eq!(location(&response), format!("{SIGNED_OUT}?state=bye"));
        let (status, _) = server.get("/api/me", &first).await;
        assert_eq!(status, 401, "the session has ended");
        for other in [&second, &bob] {
            let (status, _) = server.get("/api/me", other).await;
            assert_eq!(status, 200, "the other sessions live");
        }
    });
}
