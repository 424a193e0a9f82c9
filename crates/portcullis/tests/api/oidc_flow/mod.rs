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

/// A fresh PKCE verifier, and the authorization request that sends its S256 challenge.
pub(crate) fn pkce_authorize_path(client_id: &str, extra: &[(&str, &str)]) -> (String, String) {
    let (verifier, challenge) = pkce();
    let mut pairs = extra.to_vec();
    pairs.extend([
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ]);
    (verifier, authorize_path(client_id, &pairs))
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

/// The hidden fields of a page's form, by name, as a browser would post them.
pub(crate) fn hidden_fields(page: &str) -> Vec<(String, String)> {
    let unescape = |text: &str| {
        text.replace("&quot;", "\"")
            .replace("&#x27;", "'")
            .replace("&#39;", "'")
            .replace("&#x2f;", "/")
            .replace("&#x2F;", "/")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    };
    page.split("<input type=\"hidden\" ")
        .skip(1)
        .map(|input| {
            let attribute = |name: &str| {
                let start = input.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                let end = start + input[start..].find('"').unwrap();
                unescape(&input[start..end])
            };
            (attribute("name"), attribute("value"))
        })
        .collect()
}

/// Runs the authorization request of a client that asks for consent (one that registered
/// itself, say): the consent screen comes, the person allows it; the code.
pub(crate) async fn code_after_consent(server: &TestServer, cookie: &str, path: &str) -> String {
    let screen = browse(server, path, Some(cookie)).await;
    assert_eq!(screen.status(), 200, "the consent screen");
    let csrf = screen
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("portcullis_csrf="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
        .expect("a CSRF cookie");
    let (_, _, page) = text(screen).await;
    let mut fields = hidden_fields(&page);
    fields.push(("consent".into(), "allow".into()));
    let answered = no_redirects()
        .post(format!("{}/oauth2/authorize", server.base))
        .header(
            "cookie",
            format!("portcullis_session={cookie}; portcullis_csrf={csrf}"),
        )
        .form(&fields)
        .send()
        .await
        .unwrap();
    let to = location(&answered);
    assert!(to.starts_with(CALLBACK), "{to}");
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
    let (verifier, path) = pkce_authorize_path(&app.id, &[]);
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

/// `/oauth2/revoke` as the application; the status (RFC 7009: 200 whatever the token).
pub(crate) async fn revoke(server: &TestServer, app: &App, token: &str) -> u16 {
    server
        .request(Method::POST, "/oauth2/revoke")
        .basic_auth(&app.id, Some(&app.secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
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

mod access_jwt;
mod authorize;
mod backchannel;
mod consent;
mod cors;
mod logout;
pub(crate) mod relying_party;
pub(crate) mod tokens;
