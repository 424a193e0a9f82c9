//! What every page handler starts from: the tenant the host names, the frame of the page
//! (with the browser's CSRF token), and where the request comes from.

use crate::common::client::ClientAddr;
use crate::common::csrf::CsrfToken;
use crate::common::html::Chrome;
use crate::common::page_error::PageError;
use crate::common::state::{AppState, HostTenant};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use portcullis_core::model::{ClientInfo, Tenant};

pub struct Page {
    pub tenant: Tenant,
    pub chrome: Chrome,
    pub client: ClientInfo,
    /// Whether the browser came over plain HTTP (where the tenant's origin may be `http://`).
    pub plain_http: bool,
}

impl FromRequestParts<AppState> for Page {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let HostTenant { tenant, .. } =
            HostTenant::<PageError>::from_request_parts(parts, state).await?;
        let ClientAddr(client) = match ClientAddr::from_request_parts(parts, state).await {
            Ok(client) => client,
            Err(never) => match never {},
        };
        let transport = crate::common::client::Transport::of_parts(parts);
        let origin = state.services.origin_of(&tenant, !transport.https);
        let chrome = Chrome::new(&tenant.settings, CsrfToken::of(&parts.headers))
            .with_passkeys(&tenant.settings, &origin);
        Ok(Self {
            tenant,
            chrome,
            client,
            plain_http: !transport.https,
        })
    }
}
