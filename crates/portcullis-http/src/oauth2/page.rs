//! The few responses of the browser-facing endpoints that are not JSON: a small HTML page (an
//! error a person must see, or "signed out") and redirects.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// `text` with HTML's special characters escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A minimal page with a heading and a message; never cached, never framed.
pub fn page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;\
         padding:0 1rem;color:#222}}h1{{font-size:1.4rem}}</style></head>\
         <body><main><h1>{title}</h1><p>{message}</p></main></body></html>\n",
        title = escape(title),
        message = escape(message),
    );
    html(
        status,
        body,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        ),
    )
}

/// An HTML answer under `policy`: never cached, never framed, no `Referer` onwards.
fn html(status: StatusCode, body: String, policy: HeaderValue) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert("content-security-policy", policy);
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    response
}

/// The one script of the form-post page: it sends the form at once. The page's policy allows
/// this script by its hash, and nothing else.
const SUBMIT_SCRIPT: &str = "document.forms[0].submit();";

/// `response_mode=form_post` (OAuth 2.0 Form Post Response Mode): a page whose form posts
/// `fields` to `action` (the client's verified redirect URI) by itself, or at a click where
/// scripts are off. Its policy lets the form go to that origin only.
pub fn form_post(action: &str, fields: &[(String, String)]) -> Response {
    use base64::Engine;
    use sha2::Digest;
    let Some(target) = portcullis_core::oidc::urls::origin(action) else {
        return server_error();
    };
    let inputs: String = fields
        .iter()
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape(name),
                escape(value)
            )
        })
        .collect();
    let body = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Returning to the application</title></head>\
         <body><main><h1>Returning to the application</h1>\
         <form method=\"post\" action=\"{action}\">{inputs}\
         <button type=\"submit\">Continue</button></form></main>\
         <script>{SUBMIT_SCRIPT}</script></body></html>\n",
        action = escape(action),
    );
    let hash = base64::engine::general_purpose::STANDARD
        .encode(sha2::Sha256::digest(SUBMIT_SCRIPT.as_bytes()));
    let policy = format!(
        "default-src 'none'; script-src 'sha256-{hash}'; form-action {target}; frame-ancestors 'none'"
    );
    match HeaderValue::from_str(&policy) {
        Ok(policy) => html(StatusCode::OK, body, policy),
        Err(_) => server_error(),
    }
}

/// A request the person's browser made that cannot be answered to any application.
pub fn bad_request(message: &str) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "This request cannot be completed",
        message,
    )
}

/// Something failed on our side.
pub fn server_error() -> Response {
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "Please try again in a moment.",
    )
}

/// `302 Found` to `location` (which, with its query, may hold a code: never cached, and no
/// `Referer` leaks it further).
pub fn redirect(location: &str) -> Response {
    let Ok(value) = HeaderValue::from_str(location) else {
        return server_error();
    };
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    headers.insert(LOCATION, value);
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    response
}

/// The page for a domain failure, logged here.
pub fn failed(error: portcullis_core::Error) -> Response {
    if error.is_unavailable() {
        tracing::warn!(%error, "request failed: unavailable");
        // Away for a moment, not broken: say when to come back, as every surface does.
        let mut response = page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Unavailable for a moment",
            "Please try again in a few seconds.",
        );
        response.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            HeaderValue::from_static("5"),
        );
        return response;
    }
    tracing::error!(%error, "request failed");
    server_error()
}
