//! Cross-site request forgery protection for every form: a random token per browser, kept in a
//! `SameSite=Strict; HttpOnly; Secure` cookie and repeated in a hidden field of each form
//! (compared in constant time), plus, when the browser names it, an `Origin` (or `Referer`)
//! that must be this very host.
//!
//! Our pages send `Referrer-Policy: no-referrer`, under which browsers send `Origin: null` on
//! form posts; `null` therefore counts as "not named", and the token is what decides.

use crate::common::web_session::cookie_value;
use axum::http::header::{HOST, ORIGIN, REFERER};
use axum::http::{HeaderMap, HeaderValue, Uri};
use cookie::{Cookie, SameSite};
use portcullis_core::tokens::{hash_secret, secret_matches};

/// The cookie holding the browser's token.
pub const CSRF_COOKIE: &str = "portcullis_csrf";
/// The hidden form field repeating it.
pub const CSRF_FIELD: &str = "csrf_token";
const TOKEN_LEN: usize = 43;

/// The browser's token, and whether it was just made (then the page sets the cookie).
#[derive(Debug, Clone)]
pub struct CsrfToken {
    pub value: String,
    pub fresh: bool,
}

impl CsrfToken {
    /// The token the request's cookie holds, or a new one when it holds none (or a malformed
    /// one).
    pub fn of(headers: &HeaderMap) -> Self {
        match cookie_value(headers, CSRF_COOKIE).filter(|v| well_formed(v)) {
            Some(value) => Self {
                value,
                fresh: false,
            },
            None => Self {
                value: portcullis_core::random::base62(TOKEN_LEN),
                fresh: true,
            },
        }
    }

    /// The `Set-Cookie` value that stores it: for this browser session, on every path.
    pub fn set_cookie(&self) -> HeaderValue {
        let cookie = Cookie::build((CSRF_COOKIE, self.value.clone()))
            .path("/")
            .http_only(true)
            .secure(true)
            .same_site(SameSite::Strict)
            .build();
        HeaderValue::from_str(&cookie.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
    }
}

fn well_formed(value: &str) -> bool {
    value.len() == TOKEN_LEN && value.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Whether a form post may proceed: the cookie's token equals the form's, and the request
/// comes from this host when the browser says where it comes from.
pub fn passes(headers: &HeaderMap, submitted: Option<&str>) -> bool {
    let Some(cookie) = cookie_value(headers, CSRF_COOKIE).filter(|v| well_formed(v)) else {
        return false;
    };
    let Some(submitted) = submitted else {
        return false;
    };
    // Both sides hashed, so the comparison takes the same time wherever they differ.
    secret_matches(submitted, &hash_secret(&cookie)) && same_origin(headers)
}

fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers.get(HOST).and_then(|v| v.to_str().ok());
    let named = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .filter(|v| !v.is_empty() && *v != "null")
    };
    let source = named(ORIGIN).or_else(|| named(REFERER));
    match source {
        None => true,
        Some(url) => {
            let authority = url
                .parse::<Uri>()
                .ok()
                .and_then(|uri| uri.authority().map(|a| a.as_str().to_ascii_lowercase()));
            matches!((authority, host), (Some(a), Some(h)) if a == h.to_ascii_lowercase())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn the_token_must_match_and_the_origin_be_ours() {
        let token = "a".repeat(TOKEN_LEN);
        let cookie = format!("{CSRF_COOKIE}={token}");
        let base = [("cookie", cookie.as_str()), ("host", "id.test:8080")];
        assert!(passes(&headers(&base), Some(&token)));
        assert!(!passes(&headers(&base), Some("b")));
        assert!(!passes(&headers(&base), None));
        assert!(!passes(&headers(&[("host", "id.test:8080")]), Some(&token)));
        let ours = [base[0], base[1], ("origin", "http://id.test:8080")];
        assert!(passes(&headers(&ours), Some(&token)));
        let null = [base[0], base[1], ("origin", "null")];
        assert!(passes(&headers(&null), Some(&token)));
        let theirs = [base[0], base[1], ("origin", "https://evil.example")];
        assert!(!passes(&headers(&theirs), Some(&token)));
        let referer = [base[0], base[1], ("referer", "https://evil.example/x")];
        assert!(!passes(&headers(&referer), Some(&token)));
    }
}
