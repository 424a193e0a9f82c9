//! `GET`/`POST /oauth2/logout`: RP-initiated logout.

use super::discovery::plain_http;
use super::page::{bad_request, failed, page, redirect, with_cookie};
use crate::web_session::{clear_session_cookie, WebSession};
use crate::{AppState, ClientAddr};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Response;
use portcullis_core::model::ClientInfo;
use portcullis_core::oidc::logout::{LogoutOutcome, LogoutParams};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// An RP-initiated logout request.
#[derive(Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct LogoutQuery {
    /// An ID token this provider issued to the application (expired ones are fine).
    id_token_hint: Option<String>,
    client_id: Option<String>,
    /// Must be one of the application's `logout_urls`.
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
}

/// Ends the browser's session, then redirects to `post_logout_redirect_uri` (with `state`) or
/// shows a "signed out" page. A URI that is not one of the application's logout URLs gets a
/// 400 page and ends nothing.
#[utoipa::path(
    get,
    path = "/oauth2/logout",
    operation_id = "end_session",
    tag = "oidc",
    params(LogoutQuery),
    responses(
        (status = 302, description = "Signed out; to the post_logout_redirect_uri"),
        (status = 200, description = "Signed out (HTML)"),
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
    answer(&state, &parts, session, &client, query.as_bytes()).await
}

/// The same, as a form post.
#[utoipa::path(
    post,
    path = "/oauth2/logout",
    operation_id = "end_session_post",
    tag = "oidc",
    request_body(content((LogoutQuery = "application/x-www-form-urlencoded"))),
    responses(
        (status = 302, description = "Signed out; to the post_logout_redirect_uri"),
        (status = 200, description = "Signed out (HTML)"),
        (status = 400, description = "An unverified post_logout_redirect_uri or id_token_hint (HTML)"),
    ),
)]
pub async fn logout_post(
    State(state): State<AppState>,
    WebSession(session): WebSession,
    ClientAddr(client): ClientAddr,
    parts: Parts,
    body: Bytes,
) -> Response {
    answer(&state, &parts, session, &client, &body).await
}

async fn answer(
    state: &AppState,
    parts: &Parts,
    session: Option<portcullis_core::auth::Principal>,
    client: &ClientInfo,
    encoded: &[u8],
) -> Response {
    let Ok(query) = serde_urlencoded::from_bytes::<LogoutQuery>(encoded) else {
        return bad_request("The request's parameters are malformed (each may appear once).");
    };
    if query
        .client_id
        .as_deref()
        .is_some_and(|id| id.contains('\0'))
    {
        return bad_request("The request's parameters hold a NUL character.");
    }
    let params = LogoutParams {
        id_token_hint: query.id_token_hint,
        client_id: query.client_id,
        post_logout_redirect_uri: query.post_logout_redirect_uri,
        state: query.state,
    };
    let services = &state.services;
    let tenant = match services.tenant_for_host(crate::client::host(parts)).await {
        Ok(tenant) => tenant,
        Err(error) => return failed(error),
    };
    let issuer = services.discovery(&tenant, plain_http(parts)).issuer;
    let outcome = services
        .rp_logout(&tenant, &issuer, &params, session.as_ref(), client)
        .await;
    match outcome {
        Ok(LogoutOutcome::BadRequest(message)) => bad_request(message),
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
