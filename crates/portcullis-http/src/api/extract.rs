//! Extractors for the account API: who is calling (`Auth`) and which tenant a host names.

use super::error::ApiError;
use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, HOST};
use axum::http::request::Parts;
use portcullis_core::auth::Principal;
use portcullis_core::model::Tenant;

/// The caller, proven by `Authorization: Bearer <token>`; rejects with 401 otherwise.
pub struct Auth(pub Principal);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let bearer = bearer_token(parts).ok_or(ApiError::Unauthorized)?;
        Ok(Self(state.services.authenticate(bearer).await?))
    }
}

/// The value of an `Authorization: Bearer` header; the scheme is matched case-insensitively.
pub fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// The tenant named by the `Host` header, or the default tenant.
pub struct HostTenant(pub Tenant);

impl FromRequestParts<AppState> for HostTenant {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let host = parts
            .headers
            .get(HOST)
            .and_then(|v| v.to_str().ok())
            .or_else(|| parts.uri.host());
        Ok(Self(state.services.tenant_for_host(host).await?))
    }
}

/// A positive integer id from the path; anything else names nothing (404).
pub fn path_id(text: &str) -> Result<i64, ApiError> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(ApiError::NotFound)
}

pub fn user_id(text: &str) -> Result<portcullis_core::UserId, ApiError> {
    path_id(text).map(portcullis_core::UserId)
}
