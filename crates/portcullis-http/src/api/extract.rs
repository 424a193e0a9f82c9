//! Extractors for the account API: who is calling (`Auth`) and which tenant a host names.

use super::error::ApiError;
use crate::common::client::bearer_token;
use crate::common::route_table::{Needs, Permission, Route};
use crate::common::state::AppState;
use axum::extract::{FromRequestParts, MatchedPath};
use axum::http::request::Parts;
use portcullis_core::model::Principal;

/// The caller, proven by `Authorization: Bearer <token>` (401 otherwise), and allowed what the
/// route's row in the table (`routes.rs`) asks: its token carries the row's scope (403 with
/// `missing_scope` otherwise), and its role holds the row's permission (403 otherwise).
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
        // Fails closed: a route that takes a token must have a row that asks for one.
        let Some(route) = Route::of(parts) else {
            let route = parts
                .extensions
                .get::<MatchedPath>()
                .map(MatchedPath::as_str);
            tracing::error!(
                route,
                "a route without a row in its table takes a bearer token"
            );
            return Err(ApiError::Forbidden);
        };
        match route.needs {
            Needs::Nothing => {
                let (method, path) = (route.method.as_str(), route.path);
                tracing::error!(
                    method,
                    path,
                    "a public route's handler takes a bearer token"
                );
                return Err(ApiError::Forbidden);
            }
            Needs::Credential(_) => {}
            Needs::Scope(_, scope) if principal.scopes.allows(scope) => {}
            Needs::Scope(_, scope) => return Err(ApiError::MissingScope(scope.to_owned())),
        }
        if let Permission::Of(action) = route.permission {
            state.services.authorize(&principal, action).await?;
        }
        Ok(Self(principal))
    }
}

/// The tenant named by the `Host` header, or the default tenant.
pub type HostTenant = crate::common::state::HostTenant<ApiError>;

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
