//! What document 002's handlers take from a request, rejected in its error shape.

use super::error::VmsError;
use crate::common::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use portcullis_core::model::Tenant;

/// The tenant named by the `Host` header, or the default tenant.
pub struct HostTenant(pub Tenant);

impl FromRequestParts<AppState> for HostTenant {
    type Rejection = VmsError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let host = crate::common::client::host(parts);
        Ok(Self(state.services.tenant_for_host(host).await?))
    }
}
