//! OpenID Connect, the code flow: `/oauth2/authorize`, `/oauth2/token`, `/oauth2/userinfo` and
//! `/oauth2/logout`, driven by a real relying-party library (`openidconnect`) and by hand for
//! every way a request can go wrong.

use crate::harness::{each_backend, json, text, TestServer};
use crate::mgmt::{api_key, v1};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::header::{CACHE_CONTROL, LOCATION, SET_COOKIE, WWW_AUTHENTICATE};
use reqwest::{Method, Response};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub(crate) const CALLBACK: &str = "https://rp.example.test/callback";
const SIGNED_OUT: &str = "https://rp.example.test/signed-out";

/// An application of the default tenant, created through `/v1`.
#[derive(Clone)]
pub(crate) struct App {
    pub(crate) id: String,
    pub(crate) secret: String,
}

pub(crate) async fn create_app(server: &TestServer, metadata: Value) -> App {
    let key = api_key(server, None).await;
    let path = format!("/v1/tenants/{}/applications", server.tenant.id.0);
    let body = json!({
        "type": "Application",
        "name": "Backups",
        "login_url": "https://rp.example.test/login",
        "logout_urls": [SIGNED_OUT],
        "redirect_urls": [CALLBACK, "https://rp.example.test/other"],
        "metadata": metadata,
    });
    let (status, _, created) = v1(server, Method::POST, &path, &key, Some(body)).await;
    assert_eq!(status, 200, "{created}");
    App {
        id: created["id"].as_str().unwrap().to_owned(),
        secret: created["secret"].as_str().unwrap().to_owned(),
    }
}

/// A person signed in in a browser: the session cookie's value (a login token from
/// `POST /api/login`, as the hosted login page sets it).
pub(crate) async fn browser(server: &TestServer, username: &str) -> String {
    server.create_user(username, "User").await;
    server.login(username).await
}

/// An HTTP client that does not follow redirects, as a test of a redirect must.
pub(crate) fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// `GET <path_and_query>` with the session cookie (if any).
pub(crate) async fn browse(
    server: &TestServer,
    path_and_query: &str,
    cookie: Option<&str>,
) -> Response {
    let mut request = no_redirects().get(format!("{}{path_and_query}", server.base));
    if let Some(cookie) = cookie {
        request = request.header("cookie", format!("portcullis_session={cookie}"));
    }
    request.send().await.unwrap()
}

pub(crate) fn location(response: &Response) -> String {
    assert_eq!(response.status(), 302, "a redirect");
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

/// The query parameter `name` of an absolute URL or a path.
pub(crate) fn param(url: &str, name: &str) -> Option<String> {
    let url = url::Url::parse(url)
        .or_else(|_| url::Url::parse(&format!("http://x{url}")))
        .unwrap();
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A PKCE verifier and its S256 challenge.
pub(crate) fn pkce() -> (String, String) {
    let verifier = portcullis_core::random::base62(64);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// The authorization request's query, for `client_id` with these extra parameters.
pub(crate) fn authorize_path(client_id: &str, extra: &[(&str, &str)]) -> String {
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", CALLBACK),
        ("scope", "openid profile email"),
        ("state", "st-1"),
        ("nonce", "n-1"),
    ];
    for (name, value) in extra {
        pairs.retain(|(n, _)| n != name);
        if !value.is_empty() {
            pairs.push((name, value));
        }
    }
    format!(
        "/oauth2/authorize?{}",
        serde_urlencoded::to_string(&pairs).unwrap()
    )
}

/// Runs the authorization request with the cookie and returns the code it redirected with.
pub(crate) async fn code_for(server: &TestServer, cookie: &str, path: &str) -> String {
    let to = location(&browse(server, path, Some(cookie)).await);
    assert!(to.starts_with(CALLBACK), "{to}");
    assert_eq!(param(&to, "state").as_deref(), Some("st-1"), "{to}");
    param(&to, "code").unwrap_or_else(|| panic!("a code: {to}"))
}

/// `POST /oauth2/token` with this form, authenticating with HTTP Basic when asked.
pub(crate) async fn token(
    server: &TestServer,
    form: &[(&str, &str)],
    basic: Option<&App>,
) -> (u16, Value) {
    let mut request = server.request(Method::POST, "/oauth2/token").form(form);
    if let Some(app) = basic {
        request = request.basic_auth(&app.id, Some(&app.secret));
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
    json(response).await
}

/// Redeems a code issued for `CALLBACK` with PKCE `verifier`.
pub(crate) async fn redeem(
    server: &TestServer,
    app: &App,
    code: &str,
    verifier: &str,
) -> (u16, Value) {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", CALLBACK),
        ("code_verifier", verifier),
    ];
    token(server, &form, Some(app)).await
}

/// The code flow by hand up to the tokens.
pub(crate) async fn tokens(server: &TestServer, app: &App, cookie: &str) -> Value {
    let (verifier, challenge) = pkce();
    let path = authorize_path(
        &app.id,
        &[
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    );
    let code = code_for(server, cookie, &path).await;
    let (status, body) = redeem(server, app, &code, &verifier).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// `/oauth2/introspect` as the application.
pub(crate) async fn introspect(server: &TestServer, app: &App, token: &str) -> Value {
    let response = server
        .request(Method::POST, "/oauth2/introspect")
        .basic_auth(&app.id, Some(&app.secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    let (status, body) = json(response).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn userinfo(server: &TestServer, access_token: &str) -> (u16, Value, String) {
    let response = server
        .request(Method::GET, "/oauth2/userinfo")
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    let challenge = response
        .headers()
        .get(WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let (status, body) = json(response).await;
    (status, body, challenge)
}

pub(crate) fn str_of<'a>(body: &'a Value, field: &str) -> &'a str {
    body[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} in {body}"))
}

mod relying_party {
    //! The `openidconnect` crate's client, talking to the test server through a small HTTP
    //! adapter (the issuer is `http://portcullis.test`; requests go to the test port).

    use super::*;
    use openidconnect::core::{
        CoreAuthenticationFlow, CoreClient, CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
        CoreProviderMetadata,
    };
    use openidconnect::{
        AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, HttpRequest,
        HttpResponse, Nonce, OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope,
        TokenResponse,
    };

    async fn send(base: String, request: HttpRequest) -> Result<HttpResponse, reqwest::Error> {
        let target = request
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default();
        let mut outgoing =
            no_redirects().request(request.method().clone(), format!("{base}{target}"));
        for (name, value) in request.headers() {
            outgoing = outgoing.header(name, value);
        }
        let response = outgoing.body(request.body().clone()).send().await?;
        let mut incoming = openidconnect::http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            incoming = incoming.header(name, value);
        }
        Ok(incoming.body(response.bytes().await?.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn the_whole_code_flow_with_pkce_for_both_signing_algorithms() {
        each_backend!(|server| {
            let cookie = browser(&server, "alice").await;
            let discovery = server
                .request(Method::GET, "/.well-known/openid-configuration")
                .send()
                .await
                .unwrap();
            let (_, discovery) = json(discovery).await;
            let keys = server
                .request(Method::GET, "/oauth2/jwks")
                .send()
                .await
                .unwrap();
            let (_, keys) = json(keys).await;
            let keys: CoreJsonWebKeySet = serde_json::from_value(keys).unwrap();
            let metadata: CoreProviderMetadata = serde_json::from_value(discovery).unwrap();
            let metadata = metadata.set_jwks(keys);
            let base = server.base.clone();
            let http = move |request: HttpRequest| send(base.clone(), request);

            for (alg, metadata_field) in [
                (CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256, json!({})),
                (
                    CoreJwsSigningAlgorithm::EdDsa,
                    json!({ "id_token_signed_response_alg": "EdDSA" }),
                ),
            ] {
                let app = create_app(&server, metadata_field).await;
                let client = CoreClient::from_provider_metadata(
                    metadata.clone(),
                    ClientId::new(app.id.clone()),
                    Some(ClientSecret::new(app.secret.clone())),
                )
                .set_redirect_uri(RedirectUrl::new(CALLBACK.to_owned()).unwrap());
                let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
                let (url, state, nonce) = client
                    .authorize_url(
                        CoreAuthenticationFlow::AuthorizationCode,
                        CsrfToken::new_random,
                        Nonce::new_random,
                    )
                    .add_scope(Scope::new("profile".to_owned()))
                    .add_scope(Scope::new("email".to_owned()))
                    .set_pkce_challenge(challenge)
                    .url();
                assert_eq!(url.host_str(), Some("portcullis.test"));
                let path = format!("{}?{}", url.path(), url.query().unwrap());
                let to = location(&browse(&server, &path, Some(&cookie)).await);
                assert!(to.starts_with(CALLBACK), "{to}");
                assert_eq!(
                    param(&to, "state").as_deref(),
                    Some(state.secret().as_str())
                );
                let code = param(&to, "code").unwrap();

                let response = client
                    .exchange_code(AuthorizationCode::new(code))
                    .unwrap()
                    .set_pkce_verifier(verifier)
                    .request_async(&http)
                    .await
                    .unwrap_or_else(|e| panic!("exchange: {e:?}"));
                let verifier = client.id_token_verifier().set_allowed_algs([alg.clone()]);
                let id_token = response.id_token().expect("an ID token");
                let claims = id_token
                    .claims(&verifier, &nonce)
                    .expect("the ID token verifies");
                assert_eq!(id_token.signing_alg().unwrap(), &alg);
                assert_eq!(claims.issuer().as_str(), "http://portcullis.test");
                assert_eq!(claims.email().unwrap().as_str(), "alice@example.com");
                assert_eq!(claims.email_verified(), Some(true));
                assert_eq!(claims.preferred_username().unwrap().as_str(), "alice");
                assert!(claims.auth_time().is_some());
                let expected = AccessTokenHash::from_token(
                    response.access_token(),
                    id_token.signing_alg().unwrap(),
                    id_token.signing_key(&verifier).unwrap(),
                )
                .unwrap();
                assert_eq!(claims.access_token_hash(), Some(&expected), "at_hash");
                let scopes: Vec<String> = response
                    .scopes()
                    .unwrap()
                    .iter()
                    .map(|s| s.to_string())
                    .collect();
                assert_eq!(scopes, ["openid", "profile", "email"]);

                let info: openidconnect::core::CoreUserInfoClaims = client
                    .user_info(
                        response.access_token().clone(),
                        Some(claims.subject().clone()),
                    )
                    .unwrap()
                    .request_async(&http)
                    .await
                    .unwrap_or_else(|e| panic!("userinfo: {e:?}"));
                assert_eq!(info.email().unwrap().as_str(), "alice@example.com");

                let refreshed = client
                    .exchange_refresh_token(response.refresh_token().unwrap())
                    .unwrap()
                    .request_async(&http)
                    .await
                    .unwrap_or_else(|e| panic!("refresh: {e:?}"));
                assert_ne!(
                    refreshed.refresh_token().unwrap().secret(),
                    response.refresh_token().unwrap().secret(),
                    "rotated"
                );
                let again = refreshed
                    .id_token()
                    .expect("an ID token on refresh")
                    .claims(&verifier, |nonce: Option<&Nonce>| {
                        assert!(nonce.is_none(), "no nonce on refresh");
                        Ok(())
                    })
                    .unwrap();
                assert_eq!(again.subject(), claims.subject());

                // RP-initiated logout, then the sign-in and its tokens are gone.
                let logout = format!(
                    "/oauth2/logout?{}",
                    serde_urlencoded::to_string([
                        ("id_token_hint", id_token.to_string().as_str()),
                        ("post_logout_redirect_uri", SIGNED_OUT),
                        ("state", "bye"),
                    ])
                    .unwrap()
                );
                let mut session_cookie = cookie.clone();
                if alg == CoreJwsSigningAlgorithm::EdDsa {
                    let response = browse(&server, &logout, Some(&session_cookie)).await;
                    let cleared = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
                    assert!(cleared.starts_with("portcullis_session=;"), "{cleared}");
                    assert!(cleared.contains("Max-Age=0"), "{cleared}");
                    assert_eq!(location(&response), format!("{SIGNED_OUT}?state=bye"));
                    let (status, body, _) =
                        userinfo(&server, refreshed.access_token().secret()).await;
                    assert_eq!((status, &body), (401, &json!({"error": "invalid_token"})));
                    let (status, _) = server.get("/api/me", &session_cookie).await;
                    assert_eq!(status, 401, "the browser's session has ended");
                    session_cookie.clear();
                }
                let _ = session_cookie;
            }
        });
    }
}

#[tokio::test]
async fn an_unverified_client_or_redirect_uri_gets_a_page_never_a_redirect() {
    each_backend!(|server| {
        let cookie = browser(&server, "alice").await;
        let app = create_app(&server, json!({})).await;
        for (path, message) in [
            (
                authorize_path(&app.id, &[("redirect_uri", "https://evil.test/callback")]),
                "The redirect_uri is not registered for this client.",
            ),
            (
                // Exact match only: a prefix of a registered URI is not it.
                authorize_path(
                    &app.id,
                    &[("redirect_uri", "https://rp.example.test/callback/x")],
                ),
                "The redirect_uri is not registered for this client.",
            ),
            (
                authorize_path("nosuchclient", &[]),
                "The client (client_id) is unknown.",
            ),
            (
                authorize_path(&app.id, &[("redirect_uri", "")]),
                "The request names no redirect_uri.",
            ),
        ] {
            let response = browse(&server, &path, Some(&cookie)).await;
            assert!(response.headers().get(LOCATION).is_none());
            let (status, content_type, body) = text(response).await;
            assert_eq!(status, 400, "{path}");
            assert!(content_type.starts_with("text/html"), "{content_type}");
            assert!(body.contains(message), "{path}: {body}");
        }
    });
}

#[tokio::test]
async fn errors_after_the_redirect_uri_is_verified_go_back_to_the_client() {
    each_backend!(|server| {
        let cookie = browser(&server, "alice").await;
        let app = create_app(&server, json!({})).await;
        let public = create_app(&server, json!({ "token_endpoint_auth_method": "none" })).await;
        let (_, challenge) = pkce();
        for (client, extra, error, description) in [
            (
                &app,
                vec![("response_type", "token")],
                "unsupported_response_type",
                "Only the authorization code flow (response_type=code) is supported.",
            ),
            (
                &app,
                vec![("scope", "profile email")],
                "invalid_scope",
                "The scope must include openid.",
            ),
            (
                &app,
                vec![
                    ("code_challenge", challenge.as_str()),
                    ("code_challenge_method", "plain"),
                ],
                "invalid_request",
                "Only code_challenge_method=S256 is supported.",
            ),
            (
                &app,
                vec![("code_challenge", challenge.as_str())],
                "invalid_request",
                "Only code_challenge_method=S256 is supported.",
            ),
            (
                &public,
                vec![],
                "invalid_request",
                "This client must use PKCE: send code_challenge and code_challenge_method=S256.",
            ),
        ] {
            let path = authorize_path(&client.id, &extra);
            let to = location(&browse(&server, &path, Some(&cookie)).await);
            assert!(to.starts_with(CALLBACK), "{to}");
            assert_eq!(param(&to, "error").as_deref(), Some(error), "{to}");
            assert_eq!(
                param(&to, "error_description").as_deref(),
                Some(description)
            );
            assert_eq!(param(&to, "state").as_deref(), Some("st-1"));
            assert_eq!(param(&to, "code"), None);
        }
    });
}

#[tokio::test]
async fn signing_in_prompt_none_prompt_login_and_max_age() {
    each_backend!(|server| {
        let app = create_app(&server, json!({})).await;
        let cookie = browser(&server, "alice").await;

        // No session, prompt=none: the client hears login_required, the person sees nothing.
        let path = authorize_path(&app.id, &[("prompt", "none")]);
        let to = location(&browse(&server, &path, None).await);
        assert_eq!(
            param(&to, "error").as_deref(),
            Some("login_required"),
            "{to}"
        );
        assert_eq!(param(&to, "state").as_deref(), Some("st-1"));

        // No session: to the login page, which comes back to the same request.
        let path = authorize_path(&app.id, &[]);
        let to = location(&browse(&server, &path, None).await);
        assert!(to.starts_with("/login?return_to="), "{to}");
        assert_eq!(param(&to, "return_to").as_deref(), Some(path.as_str()));
        // A cookie that is not a live session counts as none.
        let to = location(&browse(&server, &path, Some("1|nonsense")).await);
        assert!(to.starts_with("/login?"), "{to}");
        // A login_hint rides along and fills the login page's field.
        let path = authorize_path(&app.id, &[("login_hint", "alice@example.com")]);
        let to = location(&browse(&server, &path, None).await);
        let back = param(&to, "return_to").unwrap();
        assert_eq!(
            param(&back, "login_hint").as_deref(),
            Some("alice@example.com")
        );
        let page = browse(&server, &to, None).await.text().await.unwrap();
        assert!(
            page.contains("name=\"login\" type=\"text\" value=\"alice@example.com\""),
            "{page}"
        );

        // prompt=login: to the login page even with a session; coming back with the same old
        // session asks again, and a new sign-in ends the loop.
        server.clock.advance(time::Duration::seconds(30));
        let path = authorize_path(&app.id, &[("prompt", "login")]);
        let to = location(&browse(&server, &path, Some(&cookie)).await);
        let back = param(&to, "return_to").unwrap();
        assert!(back.starts_with("/oauth2/authorize?"), "{back}");
        assert_eq!(param(&back, "prompt"), None, "{back}");
        assert!(param(&back, "login_after").is_some(), "{back}");
        assert_eq!(param(&back, "state").as_deref(), Some("st-1"));
        let again = location(&browse(&server, &back, Some(&cookie)).await);
        assert!(again.starts_with("/login?"), "{again}");
        // The login page asks that browser to sign in again instead of sending it back.
        let page = browse(&server, &again, Some(&cookie)).await;
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap().contains("name=\"password\""));
        let fresh = server.login("alice").await;
        code_for(&server, &fresh, &back).await;

        // prompt=select_account: one session per browser, so choosing means signing in.
        let path = authorize_path(&app.id, &[("prompt", "select_account")]);
        let to = location(&browse(&server, &path, Some(&fresh)).await);
        let back = param(&to, "return_to").unwrap();
        assert_eq!(param(&back, "prompt"), None, "{back}");
        assert!(param(&back, "login_after").is_some(), "{back}");

        // max_age: an old sign-in goes to the login page, a recent enough one gets a code.
        server.clock.advance(time::Duration::seconds(120));
        let path = authorize_path(&app.id, &[("max_age", "60")]);
        let to = location(&browse(&server, &path, Some(&fresh)).await);
        let back = param(&to, "return_to").unwrap();
        assert_eq!(param(&back, "max_age"), None, "{back}");
        let newer = server.login("alice").await;
        code_for(&server, &newer, &back).await;
        code_for(
            &server,
            &fresh,
            &authorize_path(&app.id, &[("max_age", "600")]),
        )
        .await;
        // prompt=none with a sign-in too old for max_age.
        let path = authorize_path(&app.id, &[("max_age", "10"), ("prompt", "none")]);
        let to = location(&browse(&server, &path, Some(&fresh)).await);
        assert_eq!(
            param(&to, "error").as_deref(),
            Some("login_required"),
            "{to}"
        );
    });
}

#[tokio::test]
async fn a_reused_code_fails_and_revokes_the_tokens_it_issued() {
    each_backend!(|server| {
        let cookie = browser(&server, "alice").await;
        let app = create_app(&server, json!({})).await;
        let (verifier, challenge) = pkce();
        let path = authorize_path(
            &app.id,
            &[
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ],
        );
        let code = code_for(&server, &cookie, &path).await;
        let (status, first) = redeem(&server, &app, &code, &verifier).await;
        assert_eq!(status, 200, "{first}");
        assert_eq!(first["token_type"], "Bearer");
        assert_eq!(first["expires_in"], 3600);
        let access = str_of(&first, "access_token");
        let refresh = str_of(&first, "refresh_token");
        let live = introspect(&server, &app, access).await;
        assert_eq!(live["active"], true);
        assert_eq!(live["client_id"], app.id.as_str());
        assert_eq!(live["scope"], "openid profile email");

        let (status, body) = redeem(&server, &app, &code, &verifier).await;
        assert_eq!(
            (status, body),
            (
                400,
                json!({"error": "invalid_grant", "error_description": "The code was used already; every token it led to has been revoked."})
            )
        );
        assert_eq!(
            introspect(&server, &app, access).await,
            json!({"active": false})
        );
        let (status, _, _) = userinfo(&server, access).await;
        assert_eq!(status, 401);
        let form = [("grant_type", "refresh_token"), ("refresh_token", refresh)];
        let (status, body) = token(&server, &form, Some(&app)).await;
        assert_eq!(
            (status, &body["error"]),
            (400, &json!("invalid_grant")),
            "{body}"
        );
        // The browser's own session is not the family's: it still works.
        let (status, _) = server.get("/api/me", &cookie).await;
        assert_eq!(status, 200);
    });
}

#[tokio::test]
async fn pkce_expiry_redirect_uri_and_client_authentication_are_checked() {
    each_backend!(|server| {
        let cookie = browser(&server, "alice").await;
        let app = create_app(&server, json!({})).await;
        let public = create_app(&server, json!({ "token_endpoint_auth_method": "none" })).await;
        let (verifier, challenge) = pkce();
        let with_pkce = |id: &str| {
            authorize_path(
                id,
                &[
                    ("code_challenge", &challenge),
                    ("code_challenge_method", "S256"),
                ],
            )
        };
        let refused =
            |description: &str| json!({"error": "invalid_grant", "error_description": description});

        // A wrong verifier, then none at all; the code survives both.
        let code = code_for(&server, &cookie, &with_pkce(&app.id)).await;
        let (wrong, _) = pkce();
        let (status, body) = redeem(&server, &app, &code, &wrong).await;
        assert_eq!(
            (status, body),
            (400, refused("The code_verifier does not match."))
        );
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CALLBACK),
        ];
        let (status, body) = token(&server, &form, Some(&app)).await;
        assert_eq!((status, body), (400, refused("code_verifier is required.")));
        // Another redirect_uri than the request's.
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", "https://rp.example.test/other"),
            ("code_verifier", verifier.as_str()),
        ];
        let (status, body) = token(&server, &form, Some(&app)).await;
        assert_eq!(
            (status, body),
            (
                400,
                refused("redirect_uri differs from the authorization request's.")
            )
        );

        // Wrong secrets, by HTTP Basic and in the form.
        let wrong_secret = App {
            id: app.id.clone(),
            secret: "not-the-secret".into(),
        };
        let response = server
            .request(Method::POST, "/oauth2/token")
            .basic_auth(&wrong_secret.id, Some(&wrong_secret.secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", CALLBACK),
                ("code_verifier", verifier.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert!(response.headers()[WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .contains("Basic"));
        let (status, body) = json(response).await;
        assert_eq!(
            (status, &body["error"]),
            (401, &json!("invalid_client")),
            "{body}"
        );
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CALLBACK),
            ("code_verifier", verifier.as_str()),
            ("client_id", app.id.as_str()),
            ("client_secret", "not-the-secret"),
        ];
        let (status, body) = token(&server, &form, None).await;
        assert_eq!(
            (status, &body["error"]),
            (401, &json!("invalid_client")),
            "{body}"
        );
        // A confidential client without its secret.
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CALLBACK),
            ("code_verifier", verifier.as_str()),
            ("client_id", app.id.as_str()),
        ];
        let (status, body) = token(&server, &form, None).await;
        assert_eq!(
            (status, &body["error"]),
            (401, &json!("invalid_client")),
            "{body}"
        );
        // The right secret in the form (client_secret_post) still redeems it.
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CALLBACK),
            ("code_verifier", verifier.as_str()),
            ("client_id", app.id.as_str()),
            ("client_secret", app.secret.as_str()),
        ];
        let (status, body) = token(&server, &form, None).await;
        assert_eq!(status, 200, "{body}");

        // A code is another client's business only.
        let code = code_for(&server, &cookie, &with_pkce(&app.id)).await;
        let (status, body) = redeem(
            &server,
            &create_app(&server, json!({})).await,
            &code,
            &verifier,
        )
        .await;
        assert_eq!(
            (status, body),
            (
                400,
                refused("The code is unknown, or was issued to another client.")
            )
        );

        // Codes live 60 seconds.
        let code = code_for(&server, &cookie, &with_pkce(&app.id)).await;
        server.clock.advance(time::Duration::seconds(61));
        let (status, body) = redeem(&server, &app, &code, &verifier).await;
        assert_eq!((status, body), (400, refused("The code has expired.")));

        // A public client sends its id alone, and its code needs the verifier.
        let code = code_for(&server, &cookie, &with_pkce(&public.id)).await;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CALLBACK),
            ("client_id", public.id.as_str()),
        ];
        let (status, body) = token(&server, &form, None).await;
        assert_eq!((status, body), (400, refused("code_verifier is required.")));
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CALLBACK),
            ("client_id", public.id.as_str()),
            ("code_verifier", verifier.as_str()),
        ];
        let (status, body) = token(&server, &form, None).await;
        assert_eq!(status, 200, "{body}");
        assert!(body["id_token"].is_string());

        let (status, body) = token(&server, &[("grant_type", "password")], Some(&app)).await;
        assert_eq!(
            (status, &body["error"]),
            (400, &json!("unsupported_grant_type"))
        );
    });
}

#[tokio::test]
async fn refresh_tokens_rotate_narrow_and_a_reused_one_revokes_the_family() {
    each_backend!(|server| {
        let cookie = browser(&server, "alice").await;
        let app = create_app(&server, json!({})).await;
        let first = tokens(&server, &app, &cookie).await;
        let refresh = |token: &str, scope: Option<&str>| {
            let mut form = vec![
                ("grant_type", "refresh_token".to_owned()),
                ("refresh_token", token.to_owned()),
            ];
            if let Some(scope) = scope {
                form.push(("scope", scope.to_owned()));
            }
            form
        };
        let send = |form: Vec<(&'static str, String)>| {
            let server = &server;
            let app = &app;
            async move {
                let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                token(server, &form, Some(app)).await
            }
        };
        let (status, body) = send(refresh(
            str_of(&first, "refresh_token"),
            Some("openid phone"),
        ))
        .await;
        assert_eq!(
            (status, body),
            (
                400,
                json!({"error": "invalid_scope", "error_description": "A refresh may narrow the granted scope, never widen it."})
            )
        );
        let (status, second) = send(refresh(str_of(&first, "refresh_token"), Some("openid"))).await;
        assert_eq!(status, 200, "{second}");
        assert_eq!(second["scope"], "openid");
        let (status, info, _) = userinfo(&server, str_of(&second, "access_token")).await;
        assert_eq!(status, 200);
        assert!(info.get("email").is_none(), "narrowed: {info}");
        // A refresh token introspects as live until it is used.
        let live = introspect(&server, &app, str_of(&second, "refresh_token")).await;
        assert_eq!(live["active"], true, "{live}");
        assert_eq!(live["token_kind"], "refresh");
        assert_eq!(live["client_id"], app.id.as_str());
        assert_eq!(live["scope"], "openid profile email");
        let used = introspect(&server, &app, str_of(&first, "refresh_token")).await;
        assert_eq!(used, json!({"active": false}));
        let (status, third) = send(refresh(str_of(&second, "refresh_token"), None)).await;
        assert_eq!(status, 200, "{third}");
        assert_eq!(third["scope"], "openid profile email", "the grant's scope");

        // The first refresh token again: rotated out, so the whole family dies.
        let (status, body) = send(refresh(str_of(&first, "refresh_token"), None)).await;
        assert_eq!(
            (status, body),
            (
                400,
                json!({"error": "invalid_grant", "error_description": "The refresh token was used already; every token of its grant has been revoked."})
            )
        );
        for issued in [&first, &second, &third] {
            let access = str_of(issued, "access_token");
            assert_eq!(
                introspect(&server, &app, access).await,
                json!({"active": false})
            );
        }
        let (status, body) = send(refresh(str_of(&third, "refresh_token"), None)).await;
        assert_eq!((status, &body["error"]), (400, &json!("invalid_grant")));
    });
}

#[tokio::test]
async fn ending_the_session_ends_refresh_and_access_tokens() {
    each_backend!(|server| {
        let cookie = browser(&server, "alice").await;
        let app = create_app(&server, json!({})).await;
        let issued = tokens(&server, &app, &cookie).await;
        let other = server.login("alice").await;
        let (status, sessions) = server.get("/api/me/sessions", &other).await;
        assert_eq!(status, 200);
        assert_eq!(sessions.as_array().unwrap().len(), 2, "{sessions}");
        // The browser's session is the older one; the other login ends it.
        let (_, me) = server.get("/api/me", &cookie).await;
        let browser_session = sessions
            .as_array()
            .unwrap()
            .iter()
            .map(|s| str_of(s, "id").to_owned())
            .find(|id| {
                let claims = id_token_claims(str_of(&issued, "id_token"));
                claims["sid"] == id.as_str()
            })
            .expect("the ID token's sid is a session of /api/me/sessions");
        let (status, body) = server
            .send(
                Method::DELETE,
                &format!("/api/sessions/{browser_session}"),
                &other,
                json!({}),
            )
            .await;
        assert_eq!(status, 200, "{body} {me}");
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", str_of(&issued, "refresh_token")),
        ];
        let (status, body) = token(&server, &form, Some(&app)).await;
        assert_eq!(
            (status, body),
            (
                400,
                json!({"error": "invalid_grant", "error_description": "The sign-in this grant was made in has ended."})
            )
        );
        let (status, _, challenge) = userinfo(&server, str_of(&issued, "access_token")).await;
        assert_eq!(status, 401);
        assert!(challenge.contains("invalid_token"), "{challenge}");
    });
}

/// The claims of a JWT, unverified (the relying-party test verifies signatures).
fn id_token_claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[tokio::test]
async fn id_tokens_and_userinfo_carry_the_claims_of_their_scopes() {
    each_backend!(|server| {
        let cookie = browser(&server, "alice").await;
        let app = create_app(&server, json!({})).await;
        let issued = tokens(&server, &app, &cookie).await;
        let claims = id_token_claims(str_of(&issued, "id_token"));
        assert_eq!(claims["iss"], "http://portcullis.test");
        assert_eq!(claims["aud"], app.id.as_str());
        assert_eq!(claims["nonce"], "n-1");
        assert_eq!(claims["email"], "alice@example.com");
        assert_eq!(claims["preferred_username"], "alice");
        for claim in [
            "sub",
            "exp",
            "iat",
            "auth_time",
            "at_hash",
            "sid",
            "updated_at",
        ] {
            assert!(!claims[claim].is_null(), "{claim} in {claims}");
        }
        let (status, info, _) = userinfo(&server, str_of(&issued, "access_token")).await;
        assert_eq!(status, 200);
        assert_eq!(info["sub"], claims["sub"]);
        assert_eq!(info["email"], "alice@example.com");
        assert_eq!(info["email_verified"], true);

        // Only openid: sub alone.
        let (verifier, challenge) = pkce();
        let path = authorize_path(
            &app.id,
            &[
                ("scope", "openid"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ],
        );
        let code = code_for(&server, &cookie, &path).await;
        let (_, narrow) = redeem(&server, &app, &code, &verifier).await;
        let (_, info, _) = userinfo(&server, str_of(&narrow, "access_token")).await;
        assert_eq!(info, json!({ "sub": claims["sub"] }));

        // Userinfo wants an OIDC access token: none, a bad one, a login token without openid.
        let response = server
            .request(Method::GET, "/oauth2/userinfo")
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers()[WWW_AUTHENTICATE],
            "Bearer realm=\"portcullis\""
        );
        assert_eq!(response.status(), 401);
        let (status, body, _) = userinfo(&server, "1|nope").await;
        assert_eq!((status, body), (401, json!({"error": "invalid_token"})));
        let (status, body, challenge) = userinfo(&server, &cookie).await;
        assert_eq!(
            (status, body),
            (403, json!({"error": "insufficient_scope"}))
        );
        assert!(challenge.contains("insufficient_scope"), "{challenge}");

        // POST, with the token as a form field (RFC 6750 §2.2), but never both ways at once.
        let access = str_of(&issued, "access_token");
        let post = |bearer: Option<&str>, form: &[(&str, &str)]| {
            let mut request = server.request(Method::POST, "/oauth2/userinfo").form(form);
            if let Some(bearer) = bearer {
                request = request.bearer_auth(bearer);
            }
            async move { json(request.send().await.unwrap()).await }
        };
        let (status, info) = post(None, &[("access_token", access)]).await;
        assert_eq!((status, &info["sub"]), (200, &claims["sub"]), "{info}");
        let (status, info) = post(Some(access), &[]).await;
        assert_eq!((status, &info["sub"]), (200, &claims["sub"]), "{info}");
        let (status, body) = post(Some(access), &[("access_token", access)]).await;
        assert_eq!((status, body), (400, json!({"error": "invalid_request"})));
        let (status, body) = post(None, &[("access_token", "1|nope")]).await;
        assert_eq!((status, body), (401, json!({"error": "invalid_token"})));
    });
}

#[tokio::test]
async fn access_tokens_carry_only_the_oidc_scopes() {
    each_backend!(|server| {
        let cookie = browser(&server, "alice").await;
        let app = create_app(&server, json!({})).await;
        let issued = tokens(&server, &app, &cookie).await;
        let (status, body) = server.get("/api/me", str_of(&issued, "access_token")).await;
        assert_eq!(
            (status, body),
            (
                403,
                json!({"error": "Forbidden.", "missing_scope": "view-profile"})
            )
        );
    });
}

#[tokio::test]
async fn logout_checks_the_redirect_and_ends_the_browser_session() {
    each_backend!(|server| {
        let cookie = browser(&server, "alice").await;
        let app = create_app(&server, json!({})).await;
        let issued = tokens(&server, &app, &cookie).await;
        let hint = str_of(&issued, "id_token");

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
        server.create_user("bob", "User").await;
        let bob = server.login("bob").await;
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

#[tokio::test]
async fn client_credentials_tokens_belong_to_the_application_alone() {
    each_backend!(|server| {
        let app = create_app(&server, json!({})).await;
        let public = create_app(&server, json!({ "token_endpoint_auth_method": "none" })).await;
        let (status, issued) =
            token(&server, &[("grant_type", "client_credentials")], Some(&app)).await;
        assert_eq!(status, 200, "{issued}");
        assert!(issued.get("refresh_token").is_none() && issued.get("id_token").is_none());
        let access = str_of(&issued, "access_token");
        assert!(access.starts_with("cc_"), "{access}");
        let key = api_key(&server, None).await;
        let response = server
            .request(Method::POST, "/oauth2/introspect")
            .bearer_auth(&key)
            .form(&[("token", access)])
            .send()
            .await
            .unwrap();
        let (_, live) = json(response).await;
        assert_eq!(live["active"], true, "{live}");
        assert_eq!(live["client_id"], app.id.as_str());
        assert_eq!(live["token_kind"], "client");
        assert!(
            live.get("sub").is_none() && live.get("email").is_none(),
            "{live}"
        );
        // No user, so no account API.
        let (status, _) = server.get("/api/me", access).await;
        assert_eq!(status, 401);
        // Only registered scopes.
        let form = [
            ("grant_type", "client_credentials"),
            ("scope", "view-users"),
        ];
        let (status, body) = token(&server, &form, Some(&app)).await;
        assert_eq!(
            (status, &body["error"]),
            (400, &json!("invalid_scope")),
            "{body}"
        );
        // Public clients have no credentials to act on their own.
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", public.id.as_str()),
        ];
        let (status, body) = token(&server, &form, None).await;
        assert_eq!(
            (status, &body["error"]),
            (400, &json!("unauthorized_client")),
            "{body}"
        );

        let response = server
            .request(Method::POST, "/oauth2/revoke")
            .basic_auth(&app.id, Some(&app.secret))
            .form(&[("token", access)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            introspect(&server, &app, access).await,
            json!({"active": false})
        );
    });
}

#[tokio::test]
async fn revoking_an_access_or_refresh_token_revokes_its_grant_not_the_session() {
    each_backend!(|server| {
        let cookie = browser(&server, "alice").await;
        let app = create_app(&server, json!({})).await;
        let issued = tokens(&server, &app, &cookie).await;
        let response = server
            .request(Method::POST, "/oauth2/revoke")
            .basic_auth(&app.id, Some(&app.secret))
            .form(&[("token", str_of(&issued, "refresh_token"))])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let access = str_of(&issued, "access_token");
        assert_eq!(
            introspect(&server, &app, access).await,
            json!({"active": false})
        );
        let (status, _) = server.get("/api/me", &cookie).await;
        assert_eq!(status, 200, "the person stays signed in");

        // The access token likewise takes its refresh token along, and leaves the session be.
        let issued = tokens(&server, &app, &cookie).await;
        let response = server
            .request(Method::POST, "/oauth2/revoke")
            .basic_auth(&app.id, Some(&app.secret))
            .form(&[("token", str_of(&issued, "access_token"))])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let refresh = str_of(&issued, "refresh_token");
        assert_eq!(
            introspect(&server, &app, refresh).await,
            json!({"active": false})
        );
        let form = [("grant_type", "refresh_token"), ("refresh_token", refresh)];
        let (status, body) = token(&server, &form, Some(&app)).await;
        assert_eq!((status, &body["error"]), (400, &json!("invalid_grant")));
        let (status, _) = server.get("/api/me", &cookie).await;
        assert_eq!(status, 200, "the person stays signed in");
    });
}

#[tokio::test]
async fn of_two_concurrent_redemptions_of_a_code_one_wins() {
    each_backend!(|server| {
        let cookie = browser(&server, "alice").await;
        let app = create_app(&server, json!({})).await;
        let (verifier, challenge) = pkce();
        let path = authorize_path(
            &app.id,
            &[
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ],
        );
        for _ in 0..3 {
            let code = code_for(&server, &cookie, &path).await;
            let (a, b) = tokio::join!(
                redeem(&server, &app, &code, &verifier),
                redeem(&server, &app, &code, &verifier)
            );
            let mut statuses = [a.0, b.0];
            statuses.sort();
            assert_eq!(statuses, [200, 400], "{} {}", a.1, b.1);
            let loser = if a.0 == 400 { &a.1 } else { &b.1 };
            assert_eq!(loser["error"], "invalid_grant");
        }
    });
}

#[tokio::test]
async fn codes_are_stored_hashed_and_unredeemed_ones_are_purged() {
    each_backend!(|server| {
        let cookie = browser(&server, "alice").await;
        let app = create_app(&server, json!({})).await;
        let path = authorize_path(&app.id, &[]);
        let code = code_for(&server, &cookie, &path).await;
        let db = server.inspect().await;
        let hashes: Vec<(String,)> = sqlx::query_as("SELECT code_hash FROM oauth_codes")
            .fetch_all(&db)
            .await
            .unwrap();
        assert_eq!(hashes.len(), 1);
        assert_ne!(hashes[0].0, code, "only a hash is stored");
        assert_eq!(hashes[0].0, portcullis_core::tokens::hash_secret(&code));

        // Two hours later, the next authorization clears the grant that was never redeemed.
        server.clock.advance(time::Duration::hours(2));
        let cookie = server.login("alice").await;
        code_for(&server, &cookie, &path).await;
        let grants: Vec<(String,)> = sqlx::query_as("SELECT id FROM oauth_grants")
            .fetch_all(&db)
            .await
            .unwrap();
        assert_eq!(grants.len(), 1, "{grants:?}");
        let codes: Vec<(String,)> = sqlx::query_as("SELECT code_hash FROM oauth_codes")
            .fetch_all(&db)
            .await
            .unwrap();
        assert_eq!(codes.len(), 1);
        assert_ne!(codes[0].0, hashes[0].0);
    });
}

#[tokio::test]
async fn expired_client_tokens_are_purged_as_new_ones_are_made() {
    each_backend!(|server| {
        let app = create_app(&server, json!({})).await;
        let grant = [("grant_type", "client_credentials")];
        let (status, first) = token(&server, &grant, Some(&app)).await;
        assert_eq!(status, 200, "{first}");
        let db = server.inspect().await;
        let count = || async {
            let rows: Vec<(i64,)> = sqlx::query_as("SELECT id FROM oauth_client_tokens")
                .fetch_all(&db)
                .await
                .unwrap();
            rows.len()
        };
        let (_, second) = token(&server, &grant, Some(&app)).await;
        assert_eq!(count().await, 2, "a live token stays");

        // Past their hour and the grace after it, the next token clears both away.
        server.clock.advance(time::Duration::hours(3));
        let (status, third) = token(&server, &grant, Some(&app)).await;
        assert_eq!(status, 200, "{third}");
        assert_eq!(count().await, 1);
        let key = api_key(&server, None).await;
        for (issued, active) in [(&first, false), (&second, false), (&third, true)] {
            let response = server
                .request(Method::POST, "/oauth2/introspect")
                .bearer_auth(&key)
                .form(&[("token", str_of(issued, "access_token"))])
                .send()
                .await
                .unwrap();
            assert_eq!(json(response).await.1["active"], active);
        }
    });
}

#[tokio::test]
async fn a_nul_in_a_client_id_is_a_bad_request_not_a_server_error() {
    each_backend!(|server| {
        let cookie = browser(&server, "alice").await;
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", "a\0b"),
            ("client_secret", "x"),
        ];
        let (status, body) = token(&server, &form, None).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"], "invalid_request", "{body}");
        let response = server
            .request(Method::POST, "/oauth2/token")
            .basic_auth("a\0b", Some("x"))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        let (status, body) = json(response).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"], "invalid_request", "{body}");

        let path = "/oauth2/logout?client_id=a%00b&post_logout_redirect_uri=https%3A%2F%2Fx%2F";
        let (status, _, body) = text(browse(&server, path, Some(&cookie)).await).await;
        assert_eq!(status, 400, "{body}");
        assert!(body.contains("NUL"), "{body}");
        let (status, _) = server.get("/api/me", &cookie).await;
        assert_eq!(status, 200, "nothing was ended");
    });
}

#[tokio::test]
async fn a_family_revoked_while_a_refresh_is_under_way_takes_the_new_tokens_too() {
    each_backend!(|server| {
        let cookie = browser(&server, "alice").await;
        let app = create_app(&server, json!({})).await;
        let first = tokens(&server, &app, &cookie).await;
        let refresh = |token: String| {
            let (server, app) = (&server, &app);
            async move {
                let form = [("grant_type", "refresh_token"), ("refresh_token", &token)];
                token_of(server, app, &form).await
            }
        };
        let (status, second) = refresh(str_of(&first, "refresh_token").to_owned()).await;
        assert_eq!(status, 200, "{second}");

        // On PostgreSQL, where writers do not wait for one another, the rotation below is
        // held up between writing its new access token and writing its new refresh token,
        // while the rotated-out first refresh token comes back and revokes the family.
        let db = server.inspect().await;
        let postgres = server.backend_name == "postgres";
        if postgres {
            for statement in [
                "CREATE FUNCTION slow_insert() RETURNS trigger AS $$ \
                 BEGIN PERFORM pg_sleep(1); RETURN NEW; END $$ LANGUAGE plpgsql",
                "CREATE TRIGGER slow_insert BEFORE INSERT ON oauth_refresh_tokens \
                 FOR EACH ROW EXECUTE FUNCTION slow_insert()",
            ] {
                sqlx::query(statement).execute(&db).await.unwrap();
            }
        }
        let rotation = refresh(str_of(&second, "refresh_token").to_owned());
        let reuse = async {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            refresh(str_of(&first, "refresh_token").to_owned()).await
        };
        let ((_, third), (status, body)) = tokio::join!(rotation, reuse);
        assert_eq!((status, &body["error"]), (400, &json!("invalid_grant")));
        if postgres {
            sqlx::query("DROP TRIGGER slow_insert ON oauth_refresh_tokens")
                .execute(&db)
                .await
                .unwrap();
        }
        // Whatever the rotation got, if anything, died with its family.
        if let Some(access) = third["access_token"].as_str() {
            let (status, _, _) = userinfo(&server, access).await;
            assert_eq!(status, 401, "{third}");
            assert_eq!(
                introspect(&server, &app, access).await,
                json!({"active": false})
            );
        }
        if let Some(next) = third["refresh_token"].as_str() {
            let (status, body) = refresh(next.to_owned()).await;
            assert_eq!((status, &body["error"]), (400, &json!("invalid_grant")));
        }
    });
}

async fn token_of(server: &TestServer, app: &App, form: &[(&str, &str)]) -> (u16, Value) {
    token(server, form, Some(app)).await
}

#[tokio::test]
async fn deleting_an_application_ends_its_access_tokens_at_once() {
    each_backend!(|server| {
        let cookie = browser(&server, "alice").await;
        let app = create_app(&server, json!({})).await;
        let issued = tokens(&server, &app, &cookie).await;
        let access = str_of(&issued, "access_token");
        let (status, _, _) = userinfo(&server, access).await;
        assert_eq!(
            status, 200,
            "live, and now remembered by the token-lookup cache"
        );

        let key = api_key(&server, None).await;
        let path = format!("/v1/tenants/{}/applications/{}", server.tenant.id.0, app.id);
        let (status, _, body) = v1(&server, Method::DELETE, &path, &key, None).await;
        assert_eq!(status, 200, "{body}");
        let (status, body, _) = userinfo(&server, access).await;
        assert_eq!(status, 401, "the application's grants went with it: {body}");
        let (status, _) = server.get("/api/me", &cookie).await;
        assert_eq!(status, 200, "the browser's own session lives on");
    });
}
