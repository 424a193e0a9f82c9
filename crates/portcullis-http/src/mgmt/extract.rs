//! What management handlers take from a request: the API key, the body, paging.

use super::error::MgmtError;
use crate::common::body::{read_limited, BodyError};
use crate::common::route_table::{Needs, Route};
use crate::common::state::AppState;
use axum::extract::{FromRequest, FromRequestParts, MatchedPath, Path, Request};
use axum::http::request::Parts;
use portcullis_core::field::ANY_FIELD;
use portcullis_core::model::{ApiKey, Tenant};
use portcullis_core::{FieldError, Rule};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::collections::HashMap;

/// The calling service, proven by `Authorization: Bearer <API key>` on a route whose row in the
/// table (`routes.rs`) asks for one.
pub struct Key(pub ApiKey);

impl FromRequestParts<AppState> for Key {
    type Rejection = MgmtError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let presented = crate::common::client::bearer_token(parts)
            .ok_or_else(MgmtError::authentication_failure)?;
        let key = state.services.authenticate_api_key(presented).await?;
        // Fails closed: a route that takes a key must have a row that asks for one.
        if Route::of(parts).map(|r| r.needs) != Some(Needs::Credential(super::API_KEY)) {
            let route = parts
                .extensions
                .get::<MatchedPath>()
                .map(MatchedPath::as_str);
            tracing::error!(route, "a route takes an API key but its row asks for none");
            return Err(portcullis_core::Error::Forbidden.into());
        }
        Ok(Self(key))
    }
}

/// The tenant the path's `{tenant_id}` names, as the caller's key reaches it: 404 `not_found`
/// otherwise, as for a tenant that does not exist (see `Services::tenant_for_key`). Every
/// route under a tenant takes its tenant from here, so none can skip the check.
pub struct KeyTenant {
    pub key: ApiKey,
    pub tenant: Tenant,
}

impl FromRequestParts<AppState> for KeyTenant {
    type Rejection = MgmtError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Key(key) = Key::from_request_parts(parts, state).await?;
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|_| MgmtError::not_found())?;
        let id = params.get("tenant_id").ok_or_else(MgmtError::not_found)?;
        let tenant = state.services.tenant_for_key(&key, id).await?;
        Ok(Self { key, tenant })
    }
}

/// A JSON body read into `T`; unknown fields are ignored, as document 003 asks.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for Body<T> {
    type Rejection = MgmtError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let limit = state.http.max_body_bytes;
        let bytes = read_limited(req, limit)
            .await
            .map_err(|error| match error {
                BodyError::TooLarge => MgmtError::new(
                    axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                    "request_too_large",
                    format!("The body may be at most {limit} bytes."),
                ),
                BodyError::UnsupportedType | BodyError::Malformed(_) => {
                    MgmtError::bad_request("The body could not be read.")
                }
            })?;
        // PostgreSQL cannot store NUL characters; refused alike on every backend. (A NUL
        // reaches JSON text only escaped, so the escape is looked for before parsing.)
        if bytes.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000")) {
            let nul = FieldError::new(ANY_FIELD, Rule::Nul);
            return Err(MgmtError::bad_request(super::field_message(&nul)));
        }
        serde_json::from_slice(&bytes)
            .map(Self)
            .map_err(|e| MgmtError::bad_request(format!("The body is not the expected JSON: {e}.")))
    }
}

/// A query string read into `T`: a malformed one (`?limit=abc`, a number past 64 bits) is
/// document 003's `invalid_request`, in its Error envelope, not axum's plain text.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned> FromRequestParts<AppState> for Params<T> {
    type Rejection = MgmtError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        serde_urlencoded::from_str(parts.uri.query().unwrap_or_default())
            .map(Self)
            .map_err(|e| MgmtError::bad_request(format!("The query string is malformed: {e}.")))
    }
}

/// `/v1/tenants/{tenant_id}`: what the tenant-scoped paths document. The tenant itself is
/// read by [`KeyTenant`], which checks it against the key.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TenantPath {
    /// Tenant id
    #[expect(dead_code, reason = "documented here, read and checked by `KeyTenant`")]
    pub tenant_id: String,
}

/// `…/users/{user_id}`: documented and read in one place.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct UserPath {
    /// Tenant id
    #[expect(dead_code, reason = "documented here, read and checked by `KeyTenant`")]
    pub tenant_id: String,
    /// User id
    pub user_id: String,
}

/// `…/users/{user_id}/credentials/{credential_id}`.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct CredentialPath {
    /// Tenant id
    #[expect(dead_code, reason = "documented here, read and checked by `KeyTenant`")]
    pub tenant_id: String,
    /// User id
    pub user_id: String,
    /// `password`
    pub credential_id: String,
}

/// `…/applications/{application_id}`.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ApplicationPath {
    /// Tenant id
    #[expect(dead_code, reason = "documented here, read and checked by `KeyTenant`")]
    pub tenant_id: String,
    /// Application id
    pub application_id: String,
}

/// `limit` (default and most 100) and `offset` of a list.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

pub const MAX_LIMIT: i64 = 100;

impl Paging {
    /// `(limit, offset)`, clamped: a limit outside 1..=100 becomes 100, a negative offset 0.
    pub fn window(self) -> (i64, i64) {
        let limit = self
            .limit
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .unwrap_or(MAX_LIMIT);
        (limit, self.offset.unwrap_or(0).max(0))
    }
}

#[cfg(test)]
mod tests {
    use super::Paging;

    #[test]
    fn paging_is_clamped() {
        let window = |limit, offset| Paging { limit, offset }.window();
        assert_eq!(window(None, None), (100, 0));
        assert_eq!(window(Some(10), Some(20)), (10, 20));
        assert_eq!(window(Some(0), Some(-5)), (100, 0));
        assert_eq!(window(Some(1000), None), (100, 0));
    }
}
