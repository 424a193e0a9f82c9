//! `GET`/`POST /oauth2/authorize`: the browser arrives from an application, signs in if needed,
//! and goes back to the application with a code.

use super::page::{bad_request, failed, redirect};
use crate::common::state::AppState;
use crate::common::web_session::WebSession;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::request::Parts;
use axum::response::Response;
use portcullis_core::oidc::authorize::{AuthorizeOutcome, AuthorizeParams};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// The hosted login page; it sends the person back to `return_to` once signed in.
const LOGIN_PATH: &str = "/login";

/// An authorization request (OIDC Core §3.1.2.1).
#[derive(Deserialize, Default, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct AuthorizeQuery {
    /// The application's id.
    client_id: Option<String>,
    /// Exactly one of the application's `redirect_urls`.
    redirect_uri: Option<String>,
    /// `code`.
    response_type: Option<String>,
    /// Must include `openid`; `profile` and `email` release more claims.
    scope: Option<String>,
    state: Option<String>,
    nonce: Option<String>,
    /// PKCE (RFC 7636): required for public clients.
    code_challenge: Option<String>,
    /// `S256` (plain is refused).
    code_challenge_method: Option<String>,
    /// `login` (sign in again) or `none` (never show a page).
    prompt: Option<String>,
    /// Seconds since the last sign-in beyond which the person must sign in again.
    max_age: Option<String>,
    /// Who the application thinks is signing in (an email or username): fills in the login
    /// page's field.
    login_hint: Option<String>,
    /// Set by Portcullis itself on the way back from the login page.
    login_after: Option<String>,
}

impl From<AuthorizeQuery> for AuthorizeParams {
    fn from(q: AuthorizeQuery) -> Self {
        Self {
            client_id: q.client_id,
            redirect_uri: q.redirect_uri,
            response_type: q.response_type,
            scope: q.scope,
            state: q.state,
            nonce: q.nonce,
            code_challenge: q.code_challenge,
            code_challenge_method: q.code_challenge_method,
            prompt: q.prompt,
            max_age: q.max_age,
            login_hint: q.login_hint,
            login_after: q.login_after,
        }
    }
}

/// Starts the code flow: redirects to the application with a code (or an error), or to the
/// login page; a request whose client or redirect URI is not verified gets a 400 page.
#[utoipa::path(
    get,
    path = "/oauth2/authorize",
    tag = "oidc",
    params(AuthorizeQuery),
    responses(
        (status = 302, description = "To the redirect_uri (code or error), or to /login"),
        (status = 400, description = "Unknown client or unregistered redirect_uri (HTML)"),
    ),
)]
pub async fn authorize(
    State(state): State<AppState>,
    WebSession(session): WebSession,
    parts: Parts,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    answer(&state, &parts, session, query.as_bytes()).await
}

/// The same request as a form post (OIDC Core §3.1.2.1 allows both).
#[utoipa::path(
    post,
    path = "/oauth2/authorize",
    tag = "oidc",
    request_body(content((AuthorizeQuery = "application/x-www-form-urlencoded"))),
    responses(
        (status = 302, description = "To the redirect_uri (code or error), or to /login"),
        (status = 400, description = "Unknown client or unregistered redirect_uri (HTML)"),
    ),
)]
pub async fn authorize_post(
    State(state): State<AppState>,
    WebSession(session): WebSession,
    parts: Parts,
    body: Bytes,
) -> Response {
    answer(&state, &parts, session, &body).await
}

async fn answer(
    state: &AppState,
    parts: &Parts,
    session: Option<portcullis_core::model::Principal>,
    encoded: &[u8],
) -> Response {
    let Ok(query) = serde_urlencoded::from_bytes::<AuthorizeQuery>(encoded) else {
        return bad_request("The request's parameters are malformed (each may appear once).");
    };
    let params = AuthorizeParams::from(query);
    if any_nul(&params) {
        return bad_request("The request's parameters hold a NUL character.");
    }
    let services = &state.services;
    let tenant = match services
        .tenant_for_host(crate::common::client::host(parts))
        .await
    {
        Ok(tenant) => tenant,
        Err(error) => return failed(error),
    };
    match services
        .authorize_request(&tenant, &params, session.as_ref())
        .await
    {
        Ok(AuthorizeOutcome::BadRequest(message)) => bad_request(message),
        Ok(AuthorizeOutcome::Redirect(location)) => redirect(&location),
        Ok(AuthorizeOutcome::SignIn { return_to }) => {
            let query = serde_urlencoded::to_string([("return_to", return_to)]).unwrap_or_default();
            redirect(&format!("{LOGIN_PATH}?{query}"))
        }
        Err(error) => failed(error),
    }
}

/// Text with a NUL cannot be stored on PostgreSQL; such a request is malformed anyway.
fn any_nul(params: &AuthorizeParams) -> bool {
    [
        &params.client_id,
        &params.redirect_uri,
        &params.state,
        &params.nonce,
        &params.scope,
        &params.code_challenge,
    ]
    .into_iter()
    .flatten()
    .any(|value| portcullis_core::field::has_nul(value))
}
