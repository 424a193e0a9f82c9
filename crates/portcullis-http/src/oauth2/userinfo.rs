//! `GET`/`POST /oauth2/userinfo`: the claims an access token releases.

use crate::common::client::bearer_token;
use crate::common::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// RFC 6750 §3: the challenge, and the error body for clients that read one.
fn refused(status: StatusCode, challenge: &'static str, error: Option<&str>) -> Response {
    let body = match error {
        Some(error) => json!({ "error": error }),
        None => {
            json!({ "error": "invalid_request", "error_description": "Send an access token: Authorization: Bearer <token>." })
        }
    };
    let mut response = crate::common::response::no_store((status, Json(body)));
    response
        .headers_mut()
        .insert(WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
    response
}

/// The claims about the access token's holder: `sub`, and by scope the `email` and
/// `profile` claims (OIDC Core §5.3). The token must carry `openid`.
#[utoipa::path(
    get,
    path = "/oauth2/userinfo",
    tag = "oidc",
    responses(
        (status = 200, description = "The claims", body = Object),
        (status = 401, description = "No access token, or one that is not live"),
        (status = 403, description = "The token lacks the openid scope"),
    ),
)]
pub async fn userinfo(State(state): State<AppState>, parts: Parts) -> Response {
    answer(&state, &parts, bearer_token(&parts)).await
}

/// The same, as a POST (OIDC Core §5.3.1); the token may also come as the form field
/// `access_token` (RFC 6750 §2.2), but not both ways at once.
#[utoipa::path(
    post,
    path = "/oauth2/userinfo",
    tag = "oidc",
    responses(
        (status = 200, description = "The claims", body = Object),
        (status = 400, description = "The token sent both in the header and in the body"),
        (status = 401, description = "No access token, or one that is not live"),
        (status = 403, description = "The token lacks the openid scope"),
    ),
)]
pub async fn userinfo_post(State(state): State<AppState>, parts: Parts, body: Bytes) -> Response {
    let in_body = form_token(&parts, &body);
    match (bearer_token(&parts), in_body.as_deref()) {
        (Some(_), Some(_)) => refused(
            StatusCode::BAD_REQUEST,
            "Bearer realm=\"portcullis\", error=\"invalid_request\"",
            Some("invalid_request"),
        ),
        (header, body) => answer(&state, &parts, header.or(body)).await,
    }
}

/// The `access_token` field of a form body (RFC 6750 §2.2), if the body is a form that has one.
fn form_token(parts: &Parts, body: &[u8]) -> Option<String> {
    let is_form = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return None;
    }
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
    fields
        .into_iter()
        .find(|(name, _)| name == "access_token")
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

async fn answer(state: &AppState, parts: &Parts, bearer: Option<&str>) -> Response {
    let Some(bearer) = bearer else {
        return refused(
            StatusCode::UNAUTHORIZED,
            "Bearer realm=\"portcullis\"",
            None,
        );
    };
    let host = crate::common::client::host(parts);
    match state.services.userinfo(bearer, host).await {
        Ok(claims) => crate::common::response::no_store(Json(claims)),
        Err(portcullis_core::Error::Unauthenticated) => refused(
            StatusCode::UNAUTHORIZED,
            "Bearer realm=\"portcullis\", error=\"invalid_token\"",
            Some("invalid_token"),
        ),
        Err(portcullis_core::Error::Forbidden) => refused(
            StatusCode::FORBIDDEN,
            "Bearer realm=\"portcullis\", error=\"insufficient_scope\", scope=\"openid\"",
            Some("insufficient_scope"),
        ),
        Err(other) => super::OAuthError::from(other).into_response(),
    }
}
