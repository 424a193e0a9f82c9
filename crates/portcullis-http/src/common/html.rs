//! The frame every HTML answer shares, on the pages and the provider's own pages alike: the
//! tenant's name and logo text, the developer-mode banner and the CSRF token; rendering, redirects
//! and the security headers.

use crate::common::csrf::CsrfToken;
use askama::Template;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION, REFERRER_POLICY, RETRY_AFTER,
    SET_COOKIE, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use portcullis_core::model::TenantSettings;

/// The policy of every page: nothing but our own stylesheet and images, forms posted only to
/// us, never framed.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
    form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Where the pages' one script is served: the WebAuthn calls, and nothing else.
pub const PASSKEY_SCRIPT: &str = "/assets/passkeys.js";

/// What every page shows around its content.
pub struct Chrome {
    pub company: String,
    pub logo: String,
    /// The address the footer offers for help; empty: no footer.
    pub support: String,
    /// Whether the tenant takes social sign-ins (the account pages offer their section).
    pub social: bool,
    pub developer_mode: bool,
    pub csrf: CsrfToken,
    /// The passkey script's absolute URL, where the tenant takes passkeys: the pages' policy
    /// names exactly it in `script-src`, and allows `fetch` to our own origin for its options.
    pub passkey_script: Option<String>,
}

impl Chrome {
    pub fn new(settings: &TenantSettings, csrf: CsrfToken) -> Self {
        let company = match settings.company_name.trim() {
            "" => settings.app_name.clone(),
            name => name.to_owned(),
        };
        Self {
            company,
            logo: settings.logo_image_text.trim().to_owned(),
            support: settings.support_email.trim().to_owned(),
            social: settings.allow_social,
            developer_mode: settings.developer_mode,
            csrf,
            passkey_script: None,
        }
    }

    /// With the passkey script, served from `origin` (the tenant's own), when the tenant takes
    /// passkeys.
    pub fn with_passkeys(mut self, settings: &TenantSettings, origin: &str) -> Self {
        if settings.allow_hardware {
            self.passkey_script = Some(format!("{origin}{PASSKEY_SCRIPT}"));
        }
        self
    }

    /// The page's policy: [`CSP`], with `form-action` also allowing `form_targets` and, where
    /// the page carries it, the passkey script.
    pub fn policy(&self, form_targets: &[String]) -> Option<HeaderValue> {
        let mut policy = CSP.to_owned();
        if !form_targets.is_empty() {
            let targets = form_targets.join(" ");
            policy = policy.replace(
                "form-action 'self'",
                &format!("form-action 'self' {targets}"),
            );
        }
        if let Some(script) = &self.passkey_script {
            policy.push_str(&format!("; script-src {script}; connect-src 'self'"));
        }
        HeaderValue::from_str(&policy).ok()
    }

    /// For error pages, which may not know the tenant.
    pub fn plain() -> Self {
        Self {
            company: "Portcullis".to_owned(),
            logo: String::new(),
            support: String::new(),
            social: false,
            developer_mode: false,
            csrf: CsrfToken {
                value: String::new(),
                fresh: false,
            },
            passkey_script: None,
        }
    }
}

/// A page with a heading, a paragraph and maybe a link.
#[derive(Template)]
#[template(path = "pages/message.html")]
pub struct MessagePage<'a> {
    pub chrome: &'a Chrome,
    pub title: &'a str,
    pub heading: &'a str,
    pub text: &'a str,
    pub link: Option<(&'a str, &'a str)>,
}

/// A page as HTML with `status`, setting the CSRF cookie when the token is new.
pub fn render(status: StatusCode, page: &impl Template, chrome: &Chrome) -> Response {
    let html = match page.render() {
        Ok(html) => html,
        Err(error) => {
            tracing::error!(%error, "a page template failed");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(CONTENT_TYPE, "text/plain; charset=utf-8")],
                "Something went wrong.",
            )
                .into_response();
        }
    };
    let mut response = (status, [(CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    if chrome.passkey_script.is_some() {
        if let Some(policy) = chrome.policy(&[]) {
            response
                .headers_mut()
                .insert(CONTENT_SECURITY_POLICY, policy);
        }
    }
    if chrome.csrf.fresh {
        response
            .headers_mut()
            .append(SET_COOKIE, chrome.csrf.set_cookie());
    }
    response
}

/// `200 OK` with the page.
pub fn ok(page: &impl Template, chrome: &Chrome) -> Response {
    render(StatusCode::OK, page, chrome)
}

/// `303 See Other` to `location` (a form post becomes a GET there).
pub fn redirect(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

/// Adds `Retry-After` to a response (the form shown again with [`wait_message`]).
pub fn with_retry_after(mut response: Response, retry_after_seconds: u64) -> Response {
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(retry_after_seconds));
    response
}

/// Adds a `Set-Cookie` to a response.
pub fn with_cookie(mut response: Response, cookie: HeaderValue) -> Response {
    response.headers_mut().append(SET_COOKIE, cookie);
    response
}

/// The security headers of every page (a handler may have set its own policy first).
pub async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers
        .entry(CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(CSP));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Reset and confirmation tokens travel in page URLs: never pass them on.
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers
        .entry(CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}
