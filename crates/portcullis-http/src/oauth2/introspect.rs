//! `POST /oauth2/introspect` and `POST /oauth2/revoke`.

use super::error::{OAuthError, OAuthErrorJson};
use crate::common::body::read_limited;
use crate::common::client::{bearer_token, ClientAddr};
use crate::common::state::AppState;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::response::Response;
use axum::Json;
use portcullis_core::introspection::TokenClient;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The calling service: a holder of an API key (`Authorization: Bearer <key>`, or HTTP Basic
/// with the key as the password or split into `pcsk_<id>` and the secret), or one of the
/// host's tenant's applications with its client id and secret as HTTP Basic (RFC 6749
/// §2.3.1), as OAuth client libraries send them.
pub struct Service(TokenClient);

impl FromRequestParts<AppState> for Service {
    type Rejection = OAuthError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let services = &state.services;
        if let Some(key) = bearer_token(parts) {
            return Ok(Self(TokenClient::ApiKey(
                services.authenticate_api_key(key).await?,
            )));
        }
        let (id, secret) = basic_credentials(parts).ok_or(OAuthError::InvalidClient)?;
        let prefix = portcullis_core::api_keys::PREFIX;
        if secret.starts_with(prefix) || id.starts_with(prefix) {
            let key = if secret.starts_with(prefix) {
                secret
            } else {
                format!("{id}_{secret}")
            };
            return Ok(Self(TokenClient::ApiKey(
                services.authenticate_api_key(&key).await?,
            )));
        }
        let tenant = services
            .tenant_for_host(crate::common::client::host(parts))
            .await?;
        let application = services
            .authenticate_application(&tenant, &id, &secret)
            .await?;
        Ok(Self(TokenClient::Application(application)))
    }
}

/// The client id and secret of an `Authorization: Basic` header.
pub(super) fn basic_credentials(parts: &Parts) -> Option<(String, String)> {
    use base64::Engine;
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    // RFC 6749 §2.3.1 form-encodes both parts before joining them.
    let (id, secret) = decoded.split_once(':')?;
    Some((form_decoded(id)?, form_decoded(secret)?))
}

fn form_decoded(text: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&format!("v={text}")).ok()?;
    pairs.into_iter().next().map(|(_, value)| value)
}

/// The form both endpoints take (RFC 7662 §2.1, RFC 7009 §2.1).
#[derive(Deserialize, ToSchema)]
#[schema(as = TokenParameter)] // not the token endpoint's `TokenForm`: one name, one schema
pub struct TokenForm {
    /// The bearer value a client presented, `<id>|<secret>`.
    token: String,
    /// Accepted and ignored: every token here is an access token.
    #[allow(dead_code)]
    token_type_hint: Option<String>,
    /// A public client, which has no secret to authenticate with, names itself here (revoke
    /// only).
    client_id: Option<String>,
}

impl FromRequest<AppState> for TokenForm {
    type Rejection = OAuthError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let bytes = read_limited(req, state.http.max_body_bytes).await?;
        serde_urlencoded::from_bytes::<TokenForm>(&bytes)
            .ok()
            .filter(|form| !form.token.trim().is_empty())
            .ok_or(OAuthError::InvalidRequest(
                "Send the token as a form field: token=<token>.",
            ))
    }
}

/// RFC 7662's answer: only `active: false` for a token that is not live.
#[derive(Serialize, ToSchema)]
pub struct IntrospectionJson {
    active: bool,
    /// Space-separated scopes; a full-access token lists every scope its user can use.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "view-backup-tasks run-backup-tasks")]
    scope: Option<String>,
    /// The user's stable id.
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<String>,
    /// The username, or the email address when the user has no username.
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    /// Seconds since the epoch after which the token is dead (a login token: when its session
    /// ends at the latest).
    #[serde(skip_serializing_if = "Option::is_none")]
    exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iat: Option<i64>,
    /// The client the token was issued to: a personal token's name, or a login's device.
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "Bearer")]
    token_type: Option<&'static str>,
    /// `personal`, `session`, `refresh`, or `client` (an application's own token, with no
    /// user).
    #[serde(skip_serializing_if = "Option::is_none")]
    token_kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant: Option<String>,
    /// A JWT access token's id (RFC 9068's `jti`).
    #[serde(skip_serializing_if = "Option::is_none")]
    jti: Option<String>,
}

impl IntrospectionJson {
    fn inactive() -> Self {
        Self {
            active: false,
            scope: None,
            sub: None,
            username: None,
            email: None,
            exp: None,
            iat: None,
            client_id: None,
            token_type: None,
            token_kind: None,
            tenant: None,
            jti: None,
        }
    }
}

impl From<portcullis_core::introspection::Introspection> for IntrospectionJson {
    fn from(found: portcullis_core::introspection::Introspection) -> Self {
        Self {
            active: true,
            scope: Some(found.scopes.join(" ")),
            username: found.username.or_else(|| found.email.clone()),
            sub: found.subject,
            email: found.email,
            exp: found.expires_at.map(|at| at.unix_timestamp()),
            iat: Some(found.issued_at.unix_timestamp()),
            client_id: Some(found.client_id),
            token_type: Some("Bearer"),
            token_kind: Some(found.kind),
            tenant: Some(found.tenant_id),
            jti: found.jti,
        }
    }
}

/// Says whether a token is live and what it may do (RFC 7662). Tokens of tenants the API key
/// does not reach are reported inactive.
#[utoipa::path(
    post,
    path = "/oauth2/introspect",
    operation_id = "introspect_token",
    tag = "oauth2",
    request_body(content((TokenForm = "application/x-www-form-urlencoded"))),
    responses(
        (status = 200, description = "The token's state", body = IntrospectionJson),
        (status = 400, description = "No `token` field", body = OAuthErrorJson),
        (status = 401, description = "No valid API key", body = OAuthErrorJson),
    ),
)]
pub async fn introspect(
    State(state): State<AppState>,
    Service(key): Service,
    form: TokenForm,
) -> Result<Response, OAuthError> {
    let found = state.services.introspect(&key, form.token.trim()).await?;
    let json = found.map_or_else(IntrospectionJson::inactive, IntrospectionJson::from);
    Ok(crate::common::response::no_store(Json(json)))
}

/// Revokes a token (RFC 7009): a login token ends its session. Answers 200 for unknown and
/// already dead tokens too.
#[utoipa::path(
    post,
    path = "/oauth2/revoke",
    operation_id = "revoke_token_oauth",
    tag = "oauth2",
    request_body(content((TokenForm = "application/x-www-form-urlencoded"))),
    responses(
        (status = 200, description = "The token is dead (or never lived)"),
        (status = 400, description = "No `token` field", body = OAuthErrorJson),
        (status = 401, description = "No valid API key or client", body = OAuthErrorJson),
    ),
)]
pub async fn revoke(
    State(state): State<AppState>,
    service: Result<Service, OAuthError>,
    ClientAddr(client): ClientAddr,
    parts: Parts,
    form: TokenForm,
) -> Result<Response, OAuthError> {
    let services = &state.services;
    let key = match (service, form.client_id.as_deref()) {
        (Ok(Service(key)), _) => key,
        // A public client presents no credentials, only its id (RFC 7009 §2.1).
        (Err(_), Some(id)) if !parts.headers.contains_key(AUTHORIZATION) => {
            let tenant = services
                .tenant_for_host(crate::common::client::host(&parts))
                .await?;
            TokenClient::Application(services.authenticate_public_client(&tenant, id).await?)
        }
        (Err(refused), _) => return Err(refused),
    };
    services
        .revoke_bearer(&key, form.token.trim(), &client)
        .await?;
    Ok(crate::common::response::no_store(()))
}
