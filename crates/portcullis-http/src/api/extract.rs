//! Extractors for the account API: who is calling (`Auth`) and which tenant a host names.

use super::error::ApiError;
use super::route_scopes::{Required, RouteScopes};
use crate::common::client::bearer_token;
use crate::AppState;
use axum::extract::{FromRequestParts, MatchedPath};
use axum::http::request::Parts;
use portcullis_core::model::{Principal, Tenant};
use std::sync::Arc;

/// The caller, proven by `Authorization: Bearer <token>` (401 otherwise), whose token carries
/// the scope the route declares (403 with `missing_scope` otherwise).
pub struct Auth(pub Principal);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let bearer = bearer_token(parts).ok_or(ApiError::Unauthorized)?;
        // A token works only on its own tenant's host.
        let host = crate::common::client::host(parts);
        let principal = state.services.authenticate_on_host(bearer, host).await?;
        let route = parts
            .extensions
            .get::<MatchedPath>()
            .map(MatchedPath::as_str);
        let required = parts
            .extensions
            .get::<Arc<RouteScopes>>()
            .zip(route)
            .and_then(|(table, route)| table.required(&parts.method, route));
        match required {
            Some(Required::AnyToken) => {}
            Some(Required::Scope(scope)) if principal.scopes.allows(scope) => {}
            Some(Required::Scope(scope)) => return Err(ApiError::MissingScope(scope.clone())),
            None => {
                // Fails closed: a route that takes a token must say which scope it needs.
                tracing::error!(route, "a route takes a bearer token but declares no scope");
                return Err(ApiError::Forbidden);
            }
        }
        Ok(Self(principal))
    }
}

/// The tenant named by the `Host` header, or the default tenant.
pub struct HostTenant(pub Tenant);

impl FromRequestParts<AppState> for HostTenant {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let host = crate::common::client::host(parts);
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
