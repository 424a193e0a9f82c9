//! The browser's session cookie, shared by the hosted pages and the OpenID Connect endpoints.
//! It holds the login token of a session (see `portcullis_core::web`); the token is checked by
//! the same code as a bearer, so ending the session anywhere logs the browser out.

use crate::common::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::header::COOKIE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use cookie::{Cookie, SameSite};
use portcullis_core::model::Principal;
use portcullis_core::Secret;
use std::convert::Infallible;

/// The cookie's name.
pub const SESSION_COOKIE: &str = "portcullis_session";

/// The signed-in person, when the request carries a good session cookie for its host.
/// Never rejects: a page decides what a missing sign-in means.
pub struct WebSession(pub Option<Principal>);

impl FromRequestParts<AppState> for WebSession {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(value) = cookie_value(&parts.headers, SESSION_COOKIE) else {
            return Ok(Self(None));
        };
        let host = crate::common::client::host(parts);
        let principal = state.services.web_principal(&value, host).await.ok();
        Ok(Self(principal))
    }
}

/// The value of the request's cookie called `name` (the first, when it is sent twice).
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|header| header.to_str().ok())
        .flat_map(|header| Cookie::split_parse(header.to_owned()))
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name)
        .map(|cookie| cookie.value().to_owned())
}

/// `Set-Cookie` for a browser session holding `bearer`, kept for `max_age_seconds`: HttpOnly
/// (no script reads it), Secure, and SameSite=Lax (sent on the top-level navigation that
/// brings a person from an application to `/oauth2/authorize`, not on cross-site posts).
pub fn session_cookie(bearer: &Secret, max_age_seconds: i64) -> HeaderValue {
    let value = bearer.expose().to_owned();
    browser_cookie((SESSION_COOKIE, value), "/", SameSite::Lax, max_age_seconds)
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_session_cookie() -> HeaderValue {
    browser_cookie((SESSION_COOKIE, String::new()), "/", SameSite::Lax, 0)
}

/// A cookie of ours for the browser: HttpOnly (no script reads it), Secure, on `path` (`/`
/// makes it a `__Host-` cookie over HTTPS), kept `max_age` seconds (0 forgets it).
pub fn browser_cookie(
    (name, value): (&str, String),
    path: &str,
    same_site: SameSite,
    max_age: i64,
) -> HeaderValue {
    let cookie = Cookie::build((name, value))
        .path(path)
        .http_only(true)
        .secure(true)
        .same_site(same_site)
        .max_age(time::Duration::seconds(max_age.max(0)))
        .build();
    // Names and values are ours (base62, `|`, `.`, url-encoded), so the header is valid.
    HeaderValue::from_str(&cookie.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}
