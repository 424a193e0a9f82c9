//! `POST /oauth2/device_authorization` (RFC 8628 §3.1): a device without a browser asks for a
//! device code and a user code; the person enters the user code on the `/device` page.

use super::discovery::plain_http;
use super::error::{OAuthError, OAuthErrorJson};
use super::token::{client_credentials, no_nul};
use crate::common::client::ClientAddr;
use crate::common::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::request::Parts;
use axum::response::Response;
use axum::Json;
use portcullis_core::oidc::device::DeviceAuthorization;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A device authorization request.
#[derive(Deserialize, ToSchema)]
pub struct DeviceAuthorizationForm {
    /// OIDC scopes, `openid` among them.
    #[schema(example = "openid profile email")]
    scope: Option<String>,
    /// `client_secret_post`, or a public client's id.
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// RFC 8628 §3.2.
#[derive(Serialize, ToSchema)]
pub struct DeviceAuthorizationJson {
    device_code: String,
    #[schema(example = "WDJB-MJHT")]
    user_code: String,
    #[schema(example = "https://login.example.com/device")]
    verification_uri: String,
    #[schema(example = "https://login.example.com/device?user_code=WDJB-MJHT")]
    verification_uri_complete: String,
    #[schema(example = 600)]
    expires_in: i64,
    /// Seconds to wait between polls of the token endpoint.
    #[schema(example = 5)]
    interval: i64,
}

impl From<DeviceAuthorization> for DeviceAuthorizationJson {
    fn from(made: DeviceAuthorization) -> Self {
        Self {
            device_code: made.device_code.expose().to_owned(),
            user_code: made.user_code,
            verification_uri: made.verification_uri,
            verification_uri_complete: made.verification_uri_complete,
            expires_in: made.expires_in,
            interval: made.interval,
        }
    }
}

/// Starts a device's sign-in. The client authenticates as at the token endpoint, and its
/// metadata must have `device_flow` = `"true"`. The device then polls `/oauth2/token` with
/// `grant_type=urn:ietf:params:oauth:grant-type:device_code` and the `device_code`.
#[utoipa::path(
    post,
    path = "/oauth2/device_authorization",
    tag = "oidc",
    request_body(content((DeviceAuthorizationForm = "application/x-www-form-urlencoded"))),
    responses(
        (status = 200, description = "The codes", body = DeviceAuthorizationJson),
        (status = 400, description = "invalid_request, invalid_scope, unauthorized_client", body = OAuthErrorJson),
        (status = 401, description = "invalid_client", body = OAuthErrorJson),
    ),
)]
pub async fn device_authorization(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    parts: Parts,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let form: DeviceAuthorizationForm = serde_urlencoded::from_bytes(&body).map_err(|_| {
        OAuthError::InvalidRequest(
            "Send a form (application/x-www-form-urlencoded), each field once.",
        )
    })?;
    no_nul(&[&form.scope])?;
    let credentials = client_credentials(&parts, form.client_id, form.client_secret)?;
    let services = &state.services;
    let tenant = services
        .tenant_for_host(crate::common::client::host(&parts))
        .await?;
    let issuer = services.discovery(&tenant, plain_http(&parts)).issuer;
    let made = services
        .device_authorization(
            &tenant,
            &credentials,
            form.scope.as_deref(),
            &issuer,
            &client,
        )
        .await?;
    Ok(crate::common::response::no_store(Json(
        DeviceAuthorizationJson::from(made),
    )))
}
