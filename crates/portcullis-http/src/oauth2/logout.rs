//! `GET`/`POST /oauth2/logout`: RP-initiated logout.

use super::discovery::plain_http;
use super::page::{bad_request, failed, page, redirect};
use crate::common::client::ClientAddr;
use crate::common::csrf;
use crate::common::csrf::CsrfToken;
use crate::common::html::{ok, security_headers, with_cookie, Chrome};
use crate::common::page_error::PageError;
use crate::common::state::AppState;
use crate::common::web_session::{clear_session_cookie, WebSession};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::header::CONTENT_SECURITY_POLICY;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portcullis_core::model::{ClientInfo, Principal, Tenant};
use portcullis_core::oidc::logout::{ConfirmLogout, LogoutOutcome, LogoutParams};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// An RP-initiated logout request.
#[derive(Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct LogoutQuery {
    /// An ID token this provider issued to the application (expired ones are fine). One of
    /// the browser's own session ends it without asking.
    id_token_hint: Option<String>,
    client_id: Option<String>,
    /// Must be one of the application's `logout_urls`.
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
}

/// The confirmation form's own fields, in a post.
#[derive(Deserialize)]
struct Confirmation {
    confirm: Option<String>,
    csrf_token: Option<String>,
}

/// The page that asks before a session ends.
#[derive(Template)]
#[template(path = "pages/logout.html")]
struct ConfirmPage<'a> {
    chrome: &'a Chrome,
    title: &'a str,
    email: &'a str,
    client_id: Option<&'a str>,
    post_logout_redirect_uri: Option<&'a str>,
    state: Option<&'a str>,
}

/// Ends the browser's session, then redirects to `post_logout_redirect_uri` (with `state`) or
/// shows a "signed out" page. Without an `id_token_hint` of the browser's own session, it
/// first asks the person (an HTML page whose form posts back with `confirm=yes`). A URI that
/// is not one of the application's logout URLs gets a 400 page and ends nothing.
#[utoipa::path(
    get,
    path = "/oauth2/logout",
    operation_id = "end_session",
    tag = "oidc",
    params(LogoutQuery),
    responses(
        (status = 302, description = "Signed out; to the post_logout_redirect_uri"),
        (status = 200, description = "Signed out, or asked to confirm (HTML)"),
        (status = 400, description = "An unverified post_logout_redirect_uri or id_token_hint (HTML)"),
    ),
)]
pub async fn logout(
    State(state): State<AppState>,
    WebSession(session): WebSession,
    ClientAddr(client): ClientAddr,
    parts: Parts,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    answer(&state, &parts, session, &client, query.as_bytes(), false).await
}

/// The same, as a form post; and the confirmation form's post (`confirm=yes` with the pages'
/// `csrf_token`, else 403).
#[utoipa::path(
    post,
    path = "/oauth2/logout",
    operation_id = "end_session_post",
    tag = "oidc",
    request_body(content((LogoutQuery = "application/x-www-form-urlencoded"))),
    responses(
        (status = 302, description = "Signed out; to the post_logout_redirect_uri"),
        (status = 200, description = "Signed out, or asked to confirm (HTML)"),
        (status = 400, description = "An unverified post_logout_redirect_uri or id_token_hint (HTML)"),
        (status = 403, description = "A confirmation that failed the CSRF check (HTML)"),
    ),
)]
pub async fn logout_post(
    State(state): State<AppState>,
    WebSession(session): WebSession,
    ClientAddr(client): ClientAddr,
    parts: Parts,
    body: Bytes,
) -> Response {
    answer(&state, &parts, session, &client, &body, true).await
}

async fn answer(
    state: &AppState,
    parts: &Parts,
    session: Option<Principal>,
    client: &ClientInfo,
    encoded: &[u8],
    posted: bool,
) -> Response {
    let (Ok(query), Ok(confirmation)) = (
        serde_urlencoded::from_bytes::<LogoutQuery>(encoded),
        serde_urlencoded::from_bytes::<Confirmation>(encoded),
    ) else {
        return bad_request("The request's parameters are malformed (each may appear once).");
    };
    // Only our confirmation form confirms: a post from this site with the browser's token.
    let confirmed = posted && confirmation.confirm.as_deref() == Some("yes");
    if confirmed && !csrf::passes(&parts.headers, confirmation.csrf_token.as_deref()) {
        return security_headers(PageError::Csrf.into_response()).await;
    }
    if query
        .client_id
        .as_deref()
        .is_some_and(portcullis_core::field::has_nul)
    {
        return bad_request("The request's parameters hold a NUL character.");
    }
    let params = LogoutParams {
        id_token_hint: query.id_token_hint,
        client_id: query.client_id,
        post_logout_redirect_uri: query.post_logout_redirect_uri,
        state: query.state,
        confirmed,
    };
    let services = &state.services;
    let tenant = match services
        .tenant_for_host(crate::common::client::host(parts))
        .await
    {
        Ok(tenant) => tenant,
        Err(error) => return failed(error),
    };
    let issuer = services.discovery(&tenant, plain_http(parts)).issuer;
    let outcome = services
        .rp_logout(&tenant, &issuer, &params, session.as_ref(), client)
        .await;
    match outcome {
        Ok(LogoutOutcome::BadRequest(message)) => bad_request(message),
        Ok(LogoutOutcome::Confirm(confirm)) => {
            confirm_page(&tenant, parts, session.as_ref(), &confirm).await
        }
        Ok(LogoutOutcome::SignedOut { redirect: to }) => {
            let response = match to {
                Some(location) => redirect(&location),
                None => page(
                    StatusCode::OK,
                    "You are signed out",
                    "You have been signed out. You may close this window.",
                ),
            };
            with_cookie(response, clear_session_cookie())
        }
        Err(error) => failed(error),
    }
}

/// "Sign out of …?", styled and guarded like the hosted pages (their CSRF cookie, their
/// security headers), its `form-action` also allowing where the post is redirected to.
async fn confirm_page(
    tenant: &Tenant,
    parts: &Parts,
    session: Option<&Principal>,
    confirm: &ConfirmLogout,
) -> Response {
    let chrome = Chrome::new(&tenant.settings, CsrfToken::of(&parts.headers));
    let page = ConfirmPage {
        chrome: &chrome,
        title: "Sign out",
        email: session.map(|p| p.user.email.as_str()).unwrap_or(""),
        client_id: confirm.client_id.as_deref(),
        post_logout_redirect_uri: confirm.post_logout_redirect_uri.as_deref(),
        state: confirm.state.as_deref(),
    };
    let mut response = ok(&page, &chrome);
    let targets: Vec<String> = confirm.redirect_origin.iter().cloned().collect();
    if let (false, Some(policy)) = (targets.is_empty(), chrome.policy(&targets)) {
        response
            .headers_mut()
            .insert(CONTENT_SECURITY_POLICY, policy);
    }
    security_headers(response).await
}
