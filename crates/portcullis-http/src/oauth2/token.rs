//! `POST /oauth2/token`: codes and refresh tokens for tokens, and applications' own tokens.

use super::discovery::plain_http;
use super::error::{OAuthError, OAuthErrorJson};
use super::introspect::basic_credentials;
use crate::common::client::ClientAddr;
use crate::common::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, PRAGMA};
use axum::http::request::Parts;
use axum::http::HeaderValue;
use axum::response::Response;
use axum::Json;
use portcullis_core::oidc::clients::ClientCredentials;
use portcullis_core::oidc::error::ErrorCode;
use portcullis_core::oidc::token::{IssuedTokens, TokenRequest};
use portcullis_core::Secret;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A token request (RFC 6749 §4.1.3, §6, §4.4).
#[derive(Deserialize, ToSchema)]
pub struct TokenForm {
    /// `authorization_code`, `refresh_token`, `client_credentials` or
    /// `urn:ietf:params:oauth:grant-type:device_code`.
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    /// PKCE (RFC 7636).
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    /// A refresh may narrow the granted scope; `client_credentials` may name the tenant's
    /// registered scopes.
    scope: Option<String>,
    /// `client_secret_post`, or a public client's id.
    client_id: Option<String>,
    client_secret: Option<String>,
    /// The device code of RFC 8628's grant.
    device_code: Option<String>,
}

/// RFC 6749 §5.1, with OIDC's `id_token`.
#[derive(Serialize, ToSchema)]
pub struct TokenJson {
    access_token: String,
    #[schema(example = "Bearer")]
    token_type: &'static str,
    expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    #[schema(example = "openid profile email")]
    scope: String,
}

impl From<IssuedTokens> for TokenJson {
    fn from(issued: IssuedTokens) -> Self {
        Self {
            access_token: issued.access_token.expose().to_owned(),
            token_type: "Bearer",
            expires_in: issued.expires_in,
            refresh_token: issued.refresh_token.map(|s| s.expose().to_owned()),
            id_token: issued.id_token,
            scope: issued.scope,
        }
    }
}

/// Issues tokens. Clients authenticate with HTTP Basic (`client_secret_basic`) or the form's
/// `client_id` and `client_secret` (`client_secret_post`); a public client (metadata
/// `token_endpoint_auth_method: none`) sends its `client_id` alone and must have used PKCE.
#[utoipa::path(
    post,
    path = "/oauth2/token",
    tag = "oidc",
    request_body(content((TokenForm = "application/x-www-form-urlencoded"))),
    responses(
        (status = 200, description = "The tokens", body = TokenJson),
        (status = 400, description = "invalid_request, invalid_grant, invalid_scope, unsupported_grant_type...", body = OAuthErrorJson),
        (status = 401, description = "invalid_client", body = OAuthErrorJson),
    ),
)]
pub async fn token(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    parts: Parts,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let form: TokenForm = serde_urlencoded::from_bytes(&body).map_err(|_| {
        OAuthError::InvalidRequest(
            "Send a form (application/x-www-form-urlencoded), each field once.",
        )
    })?;
    no_nul(&[&form.grant_type, &form.scope])?;
    let credentials = client_credentials(&parts, form.client_id, form.client_secret)?;
    let request = TokenRequest {
        grant_type: form.grant_type,
        code: form.code,
        redirect_uri: form.redirect_uri,
        code_verifier: form.code_verifier,
        refresh_token: form.refresh_token,
        scope: form.scope,
        device_code: form.device_code,
    };
    let services = &state.services;
    let tenant = services
        .tenant_for_host(crate::common::client::host(&parts))
        .await?;
    let issuer = services.discovery(&tenant, plain_http(&parts)).issuer;
    let issued = services
        .token_exchange(&tenant, &credentials, &request, &issuer, &client)
        .await?;
    let mut response = crate::common::response::no_store(Json(TokenJson::from(issued)));
    response
        .headers_mut()
        .insert(PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// What the client sent to prove who it is (RFC 6749 §2.3): HTTP Basic, or `client_id` and
/// `client_secret` in the form.
pub(super) fn client_credentials(
    parts: &Parts,
    client_id: Option<String>,
    client_secret: Option<String>,
) -> Result<ClientCredentials, OAuthError> {
    let basic = match parts.headers.get(AUTHORIZATION) {
        None => None,
        Some(_) => Some(basic_credentials(parts).ok_or(OAuthError::Refused(
            ErrorCode::InvalidClient,
            "The Authorization header must be HTTP Basic with the client id and secret.",
        ))?),
    };
    let basic_id = basic.as_ref().map(|(id, _)| id.clone());
    no_nul(&[&client_id, &basic_id])?;
    Ok(ClientCredentials {
        basic: basic.map(|(id, secret)| (id, Secret::new(secret))),
        form_id: client_id,
        form_secret: client_secret.map(Secret::new),
    })
}

/// Text with a NUL cannot be looked up on PostgreSQL; such a request is malformed anyway.
pub(super) fn no_nul(fields: &[&Option<String>]) -> Result<(), OAuthError> {
    if fields
        .iter()
        .filter_map(|value| value.as_deref())
        .any(portcullis_core::field::has_nul)
    {
        return Err(OAuthError::InvalidRequest(
            "The request's fields hold a NUL character.",
        ));
    }
    Ok(())
}
