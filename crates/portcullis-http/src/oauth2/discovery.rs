//! `GET /.well-known/openid-configuration` and `GET /oauth2/jwks`: what a relying party reads
//! before it trusts an ID token.

use super::error::OAuthError;
use crate::common::state::AppState;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use portcullis_core::oidc::discovery::Discovery;
use serde::Serialize;
use utoipa::ToSchema;

/// OpenID Provider metadata (OpenID Connect Discovery 1.0 §3).
#[derive(Serialize, ToSchema)]
pub struct DiscoveryJson {
    /// The tenant's public origin; ID tokens carry it as `iss`.
    #[schema(example = "https://login.example.com")]
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    userinfo_endpoint: String,
    jwks_uri: String,
    end_session_endpoint: String,
    introspection_endpoint: String,
    revocation_endpoint: String,
    /// Where clients register themselves (RFC 7591): with an initial access token (an API
    /// key of the tenant, or a registration token from the operator), or with none when the
    /// tenant's `allow_client_registration` is on.
    registration_endpoint: String,
    device_authorization_endpoint: String,
    response_types_supported: Vec<&'static str>,
    response_modes_supported: Vec<&'static str>,
    grant_types_supported: Vec<&'static str>,
    subject_types_supported: Vec<&'static str>,
    id_token_signing_alg_values_supported: Vec<&'static str>,
    token_endpoint_auth_methods_supported: Vec<&'static str>,
    code_challenge_methods_supported: Vec<&'static str>,
    scopes_supported: Vec<&'static str>,
    claims_supported: Vec<&'static str>,
    acr_values_supported: Vec<&'static str>,
    request_parameter_supported: bool,
    request_uri_parameter_supported: bool,
    backchannel_logout_supported: bool,
    backchannel_logout_session_supported: bool,
}

impl From<Discovery> for DiscoveryJson {
    fn from(d: Discovery) -> Self {
        Self {
            issuer: d.issuer,
            authorization_endpoint: d.authorization_endpoint,
            token_endpoint: d.token_endpoint,
            userinfo_endpoint: d.userinfo_endpoint,
            jwks_uri: d.jwks_uri,
            end_session_endpoint: d.end_session_endpoint,
            introspection_endpoint: d.introspection_endpoint,
            revocation_endpoint: d.revocation_endpoint,
            registration_endpoint: d.registration_endpoint,
            device_authorization_endpoint: d.device_authorization_endpoint,
            response_types_supported: d.response_types_supported.to_vec(),
            response_modes_supported: d.response_modes_supported.to_vec(),
            grant_types_supported: d.grant_types_supported.to_vec(),
            subject_types_supported: d.subject_types_supported.to_vec(),
            id_token_signing_alg_values_supported: d.id_token_signing_alg_values_supported.to_vec(),
            token_endpoint_auth_methods_supported: d.token_endpoint_auth_methods_supported.to_vec(),
            code_challenge_methods_supported: d.code_challenge_methods_supported.to_vec(),
            scopes_supported: d.scopes_supported.to_vec(),
            claims_supported: d.claims_supported.to_vec(),
            acr_values_supported: d.acr_values_supported.to_vec(),
            request_parameter_supported: d.request_parameter_supported,
            request_uri_parameter_supported: d.request_uri_parameter_supported,
            backchannel_logout_supported: d.backchannel_logout_supported,
            backchannel_logout_session_supported: d.backchannel_logout_session_supported,
        }
    }
}

/// A JSON Web Key Set (RFC 7517 §5).
#[derive(Serialize, ToSchema)]
pub struct JwksJson {
    /// `{"kty":"RSA","kid","use":"sig","alg":"RS256","n","e"}` or
    /// `{"kty":"OKP","crv":"Ed25519","kid","use":"sig","alg":"EdDSA","x"}`.
    #[schema(value_type = Vec<Object>)]
    keys: Vec<serde_json::Value>,
}

/// Relying parties may keep both documents a few minutes. A key rotated in signs at once, so
/// a relying party with a stale key set refetches it on meeting an unknown `kid` (as OIDC
/// libraries do); the retired key stays published for as long as its tokens live.
fn briefly_cacheable(response: impl IntoResponse) -> Response {
    let mut response = response.into_response();
    response.headers_mut().insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}

/// Whether the client reached us over plain HTTP: we terminate no TLS, so yes unless a
/// trusted proxy in front says it was HTTPS (see [`crate::common::client::Transport`]).
pub(super) fn plain_http(parts: &Parts) -> bool {
    !crate::common::client::Transport::of_parts(parts).https
}

/// The provider metadata of the tenant the `Host` header names (the default tenant's issuer
/// is the server's public URL).
#[utoipa::path(
    get,
    path = "/.well-known/openid-configuration",
    tag = "oidc",
    responses(
        (status = 200, description = "The provider metadata", body = DiscoveryJson),
    ),
)]
pub async fn openid_configuration(
    State(state): State<AppState>,
    parts: Parts,
) -> Result<Response, OAuthError> {
    // Shared, not copied: the document is the same for every request of an issuer.
    let host = crate::common::client::host(&parts);
    let tenant = state.services.shared_tenant_for_host(host).await?;
    let issuer = state.services.origin_of(&tenant, plain_http(&parts));
    let document = state.discovery_documents.get_or_render(&issuer, || {
        let json = DiscoveryJson::from(Discovery::for_issuer(issuer.clone()));
        serde_json::to_vec(&json)
            .expect("the discovery document is plain JSON")
            .into()
    });
    Ok(briefly_cacheable(json_document(document)))
}

/// The public keys ID tokens are signed with: the active RS256 and EdDSA keys, and keys
/// rotated out less than a day ago.
#[utoipa::path(
    get,
    path = "/oauth2/jwks",
    tag = "oidc",
    responses(
        (status = 200, description = "The signing keys", body = JwksJson),
    ),
)]
pub async fn jwks(State(state): State<AppState>) -> Result<Response, OAuthError> {
    let ring = state.services.key_ring().await?;
    Ok(briefly_cacheable(json_document(ring.jwks().to_owned())))
}

/// A JSON document rendered beforehand.
fn json_document(body: impl Into<axum::body::Body>) -> Response {
    let mut response = body.into().into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
