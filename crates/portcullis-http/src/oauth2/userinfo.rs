//! `GET`/`POST /oauth2/userinfo`: the claims an access token releases.

use crate::api::bearer_token;
use crate::AppState;
use axum::extract::State;
use axum::http::header::WWW_AUTHENTICATE;
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
    let mut response = crate::no_store((status, Json(body)));
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
    operation_id = "userinfo",
    tag = "oidc",
    security(("access_token" = [])),
    responses(
        (status = 200, description = "The claims", body = Object),
        (status = 401, description = "No access token, or one that is not live"),
        (status = 403, description = "The token lacks the openid scope"),
    ),
)]
pub async fn userinfo(State(state): State<AppState>, parts: Parts) -> Response {
    answer(&state, &parts).await
}

/// The same, as a POST (OIDC Core §5.3.1).
#[utoipa::path(
    post,
    path = "/oauth2/userinfo",
    operation_id = "userinfo_post",
    tag = "oidc",
    security(("access_token" = [])),
    responses(
        (status = 200, description = "The claims", body = Object),
        (status = 401, description = "No access token, or one that is not live"),
        (status = 403, description = "The token lacks the openid scope"),
    ),
)]
pub async fn userinfo_post(State(state): State<AppState>, parts: Parts) -> Response {
    answer(&state, &parts).await
}

async fn answer(state: &AppState, parts: &Parts) -> Response {
    let Some(bearer) = bearer_token(parts) else {
        return refused(
            StatusCode::UNAUTHORIZED,
            "Bearer realm=\"portcullis\"",
            None,
        );
    };
    let host = crate::client::host(parts);
    match state.services.userinfo(bearer, host).await {
        Ok(claims) => crate::no_store(Json(claims)),
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
