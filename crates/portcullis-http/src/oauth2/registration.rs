//! `POST /oauth2/register` (RFC 7591, OpenID Connect Dynamic Client Registration 1.0) and
//! `GET`/`PUT`/`DELETE /oauth2/register/{client_id}` (RFC 7592). Errors use RFC 7591 §3.2.2's
//! codes in RFC 6749's shape; a missing or wrong token is RFC 6750's `invalid_token`.

use super::discovery::plain_http;
use super::error::OAuthError;
use crate::common::body::{read_limited, BodyError};
use crate::common::client::{bearer_token, ClientAddr};
use crate::common::response::no_store;
use crate::common::state::{AppState, HostTenant};
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::header::{AUTHORIZATION, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use portcullis_core::field::{FieldError, Rule};
use portcullis_core::oidc::registration::{ClientMetadata, RegisteredClient, DESCRIPTIVE_URIS};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

/// What registration answers when it refuses.
#[derive(Debug)]
pub enum RegistrationError {
    /// No initial access token where one is needed, or a wrong one; on RFC 7592's endpoint,
    /// anything but the client's own registration access token.
    InvalidToken,
    /// `invalid_redirect_uri` or `invalid_client_metadata`, with what is wrong.
    Invalid(&'static str, String),
    /// Too many registrations without a token from this address: 429 with `Retry-After`.
    Throttled {
        retry_after_seconds: u64,
    },
    Other(OAuthError),
}

/// RFC 7591 §3.2.2's error, RFC 6749's shape.
#[derive(Serialize, ToSchema)]
pub struct RegistrationErrorJson {
    #[schema(example = "invalid_redirect_uri")]
    error: &'static str,
    #[schema(example = "redirect_uris[0]: Must be an https URL.")]
    error_description: String,
}

const INVALID_METADATA: &str = "invalid_client_metadata";

/// A problem in the registrant's words: the rules registration itself checks say theirs.
fn problem_words(problem: &FieldError) -> String {
    match &problem.rule {
        Rule::Required => "Required.".to_owned(),
        Rule::Other(words) => words.to_string(),
        _ => crate::mgmt::field_message(problem),
    }
}

impl From<portcullis_core::Error> for RegistrationError {
    fn from(error: portcullis_core::Error) -> Self {
        match error {
            portcullis_core::Error::Unauthenticated => Self::InvalidToken,
            portcullis_core::Error::Invalid(problems) => {
                let code = if problems
                    .iter()
                    .any(|p| p.field.starts_with("redirect_uris"))
                {
                    "invalid_redirect_uri"
                } else {
                    INVALID_METADATA
                };
                let description = problems
                    .iter()
                    .map(|p| format!("{}: {}", p.field, problem_words(p)))
                    .collect::<Vec<_>>()
                    .join(" ");
                Self::Invalid(code, description)
            }
            portcullis_core::Error::Throttled {
                retry_after_seconds,
                ..
            } => Self::Throttled {
                retry_after_seconds,
            },
            other => Self::Other(other.into()),
        }
    }
}

impl From<BodyError> for RegistrationError {
    fn from(error: BodyError) -> Self {
        match error {
            BodyError::TooLarge => Self::Other(OAuthError::PayloadTooLarge),
            BodyError::UnsupportedType | BodyError::Malformed(_) => Self::Invalid(
                INVALID_METADATA,
                "The body must be a JSON object of client metadata (RFC 7591 §2).".to_owned(),
            ),
        }
    }
}

impl IntoResponse for RegistrationError {
    fn into_response(self) -> Response {
        let (status, error, error_description) = match self {
            Self::Other(other) => return other.into_response(),
            Self::InvalidToken => (
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "A valid token is required (Authorization: Bearer ...): to register, an API key \
                 of the tenant or a registration token, unless the tenant allows open \
                 registration; to read, change or delete a client, its registration access token."
                    .to_owned(),
            ),
            Self::Invalid(code, description) => (StatusCode::BAD_REQUEST, code, description),
            Self::Throttled {
                retry_after_seconds,
            } => {
                let mut response = no_store((
                    StatusCode::TOO_MANY_REQUESTS,
                    Json(RegistrationErrorJson {
                        error: "temporarily_unavailable",
                        error_description: format!(
                            "Too many registrations from this address; try again in \
                             {retry_after_seconds} s, or register with an initial access token."
                        ),
                    }),
                ));
                response
                    .headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from(retry_after_seconds));
                return response;
            }
        };
        let mut response = no_store((
            status,
            Json(RegistrationErrorJson {
                error,
                error_description,
            }),
        ));
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"portcullis\", error=\"invalid_token\""),
            );
        }
        response
    }
}

/// The request's bearer token: `None` without an `Authorization` header, an empty one (which
/// no check accepts) for a header of another scheme.
fn presented(parts: &Parts) -> Option<&str> {
    parts.headers.get(AUTHORIZATION)?;
    Some(bearer_token(parts).unwrap_or_default())
}

/// Client metadata (RFC 7591 §2, OpenID Connect Dynamic Client Registration 1.0 §2). Members
/// not listed are ignored; `allowed_scopes`, `allowed_roles`, `third_party`, `device_flow` and
/// `metadata` are refused: only the tenant's operators grant an application anything.
#[derive(Deserialize, ToSchema, Default)]
pub struct ClientMetadataJson {
    /// Absolute `https` URLs (`http` on localhost); required for the code flow.
    #[schema(example = json!(["https://rp.example.com/callback"]))]
    redirect_uris: Option<Vec<String>>,
    #[schema(example = "Backup dashboard")]
    client_name: Option<String>,
    /// `client_secret_basic` (the default), `client_secret_post`, or `none` (a public client,
    /// which gets no secret and must use PKCE).
    token_endpoint_auth_method: Option<String>,
    /// Of `authorization_code` (the default), `refresh_token`, `client_credentials`,
    /// `urn:ietf:params:oauth:grant-type:device_code`.
    grant_types: Option<Vec<String>>,
    /// `["code"]` only.
    response_types: Option<Vec<String>>,
    /// `RS256` (the default) or `EdDSA`.
    id_token_signed_response_alg: Option<String>,
    backchannel_logout_uri: Option<String>,
    backchannel_logout_session_required: Option<bool>,
    post_logout_redirect_uris: Option<Vec<String>>,
    client_uri: Option<String>,
    logo_uri: Option<String>,
    policy_uri: Option<String>,
    tos_uri: Option<String>,
    /// On `PUT`: the client's own id (RFC 7592 §2.2).
    client_id: Option<String>,
}

/// The body as read: the metadata, and the names of every member it carried.
pub struct MetadataBody {
    json: ClientMetadataJson,
    members: Vec<String>,
}

impl FromRequest<AppState> for MetadataBody {
    type Rejection = RegistrationError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let bytes = read_limited(req, state.http.max_body_bytes).await?;
        let object: Map<String, Value> = serde_json::from_slice(&bytes)
            .map_err(|_| BodyError::Malformed("not a JSON object"))?;
        let members = object.keys().cloned().collect();
        let json = serde_json::from_value(Value::Object(object)).map_err(|e| {
            RegistrationError::Invalid(INVALID_METADATA, format!("The metadata is malformed: {e}."))
        })?;
        Ok(Self { json, members })
    }
}

impl MetadataBody {
    fn metadata(&self) -> ClientMetadata {
        let known = [
            "redirect_uris",
            "client_name",
            "token_endpoint_auth_method",
            "grant_types",
            "response_types",
            "id_token_signed_response_alg",
            "backchannel_logout_uri",
            "backchannel_logout_session_required",
            "post_logout_redirect_uris",
            "client_id",
        ];
        let j = &self.json;
        let descriptive = [&j.client_uri, &j.logo_uri, &j.policy_uri, &j.tos_uri];
        ClientMetadata {
            redirect_uris: j.redirect_uris.clone().unwrap_or_default(),
            client_name: j.client_name.clone(),
            token_endpoint_auth_method: j.token_endpoint_auth_method.clone(),
            grant_types: j.grant_types.clone(),
            response_types: j.response_types.clone(),
            id_token_signed_response_alg: j.id_token_signed_response_alg.clone(),
            backchannel_logout_uri: j.backchannel_logout_uri.clone(),
            backchannel_logout_session_required: j.backchannel_logout_session_required,
            post_logout_redirect_uris: j.post_logout_redirect_uris.clone().unwrap_or_default(),
            descriptive_uris: DESCRIPTIVE_URIS
                .iter()
                .zip(descriptive)
                .filter_map(|(name, uri)| Some(((*name).to_owned(), uri.clone()?)))
                .collect(),
            other_members: self
                .members
                .iter()
                .filter(|m| !known.contains(&m.as_str()) && !DESCRIPTIVE_URIS.contains(&m.as_str()))
                .cloned()
                .collect(),
        }
    }
}

/// A registered client (RFC 7591 §3.2.1, RFC 7592 §3).
#[derive(Serialize, ToSchema)]
pub struct RegisteredClientJson {
    #[schema(example = "J3Or5KNHIUDl")]
    client_id: String,
    /// Confidential clients only.
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
    /// Seconds since the epoch.
    client_id_issued_at: i64,
    /// 0: the secret does not expire.
    client_secret_expires_at: i64,
    /// The bearer token for `registration_client_uri`; keep it: it is stored only as a hash.
    registration_access_token: String,
    #[schema(example = "https://login.example.com/oauth2/register/J3Or5KNHIUDl")]
    registration_client_uri: String,
    redirect_uris: Vec<String>,
    client_name: String,
    token_endpoint_auth_method: String,
    grant_types: Vec<String>,
    response_types: Vec<String>,
    id_token_signed_response_alg: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    backchannel_logout_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    backchannel_logout_session_required: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    post_logout_redirect_uris: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    logo_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tos_uri: Option<String>,
}

impl RegisteredClientJson {
    fn new(client: RegisteredClient, registration_client_uri: String) -> Self {
        let uri = |name: &str| {
            client
                .metadata
                .descriptive_uris
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, uri)| uri.clone())
        };
        let metadata = &client.metadata;
        Self {
            client_id: client.application.id.clone(),
            client_secret: client.client_secret().map(|s| s.expose().to_owned()),
            client_id_issued_at: client.application.created_at.unix_timestamp(),
            client_secret_expires_at: 0,
            registration_access_token: client.registration_access_token.expose().to_owned(),
            registration_client_uri,
            redirect_uris: metadata.redirect_uris.clone(),
            client_name: metadata.client_name.clone().unwrap_or_default(),
            token_endpoint_auth_method: metadata
                .token_endpoint_auth_method
                .clone()
                .unwrap_or_default(),
            grant_types: metadata.grant_types.clone().unwrap_or_default(),
            response_types: metadata.response_types.clone().unwrap_or_default(),
            id_token_signed_response_alg: metadata
                .id_token_signed_response_alg
                .clone()
                .unwrap_or_default(),
            backchannel_logout_uri: metadata.backchannel_logout_uri.clone(),
            backchannel_logout_session_required: metadata.backchannel_logout_session_required,
            post_logout_redirect_uris: metadata.post_logout_redirect_uris.clone(),
            client_uri: uri("client_uri"),
            logo_uri: uri("logo_uri"),
            policy_uri: uri("policy_uri"),
            tos_uri: uri("tos_uri"),
        }
    }
}

/// The registered client's answer, not to be cached: it carries secrets.
fn answer(
    state: &AppState,
    tenant: &portcullis_core::model::Tenant,
    parts: &Parts,
    status: StatusCode,
    client: RegisteredClient,
) -> Response {
    let uri =
        state
            .services
            .registration_client_uri(tenant, plain_http(parts), &client.application.id);
    let mut response = no_store(Json(RegisteredClientJson::new(client, uri)));
    *response.status_mut() = status;
    response
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ClientPath {
    /// The client id registration gave.
    client_id: String,
}

/// Registers a client: an application of the tenant the `Host` names, which its users are
/// asked to consent to. Send an initial access token (`Authorization: Bearer`: an API key of
/// the tenant, or a registration token from `portcullis tenant registration-token create`),
/// or none when the tenant's `allow_client_registration` is on.
#[utoipa::path(
    post,
    path = "/oauth2/register",
    operation_id = "register_client",
    tag = "oidc",
    request_body = ClientMetadataJson,
    responses(
        (status = 201, description = "The registered client", body = RegisteredClientJson),
        (status = 400, description = "`invalid_redirect_uri` or `invalid_client_metadata`", body = RegistrationErrorJson),
        (status = 401, description = "`invalid_token`: no or a wrong initial access token", body = RegistrationErrorJson),
        (status = 429, description = "Too many registrations without a token from this address (`Retry-After`)", body = RegistrationErrorJson),
    ),
)]
pub async fn register(
    State(state): State<AppState>,
    HostTenant { tenant, .. }: HostTenant<RegistrationError>,
    ClientAddr(client): ClientAddr,
    parts: Parts,
    body: MetadataBody,
) -> Result<Response, RegistrationError> {
    let registered = state
        .services
        .register_client(&tenant, presented(&parts), &body.metadata(), &client)
        .await?;
    Ok(answer(
        &state,
        &tenant,
        &parts,
        StatusCode::CREATED,
        registered,
    ))
}

/// The registered client as it stands, secret included (RFC 7592 §2.1).
#[utoipa::path(
    get,
    path = "/oauth2/register/{client_id}",
    operation_id = "read_registered_client",
    tag = "oidc",
    params(ClientPath),
    responses(
        (status = 200, description = "The registered client", body = RegisteredClientJson),
        (status = 401, description = "`invalid_token`: not this client's registration access token", body = RegistrationErrorJson),
    ),
)]
pub async fn read(
    State(state): State<AppState>,
    HostTenant { tenant, .. }: HostTenant<RegistrationError>,
    Path(ClientPath { client_id }): Path<ClientPath>,
    parts: Parts,
) -> Result<Response, RegistrationError> {
    let registered = state
        .services
        .registered_client(&tenant, &client_id, presented(&parts))
        .await?;
    Ok(answer(&state, &tenant, &parts, StatusCode::OK, registered))
}

/// Replaces the client's metadata, checked as at registration; the body's `client_id` must
/// be the client's (RFC 7592 §2.2). Its id, secret and registration access token stay.
#[utoipa::path(
    put,
    path = "/oauth2/register/{client_id}",
    operation_id = "update_registered_client",
    tag = "oidc",
    params(ClientPath),
    request_body = ClientMetadataJson,
    responses(
        (status = 200, description = "The registered client as stored", body = RegisteredClientJson),
        (status = 400, description = "`invalid_redirect_uri` or `invalid_client_metadata`", body = RegistrationErrorJson),
        (status = 401, description = "`invalid_token`: not this client's registration access token", body = RegistrationErrorJson),
    ),
)]
pub async fn update(
    State(state): State<AppState>,
    HostTenant { tenant, .. }: HostTenant<RegistrationError>,
    ClientAddr(client): ClientAddr,
    Path(ClientPath { client_id }): Path<ClientPath>,
    parts: Parts,
    body: MetadataBody,
) -> Result<Response, RegistrationError> {
    let registered = state
        .services
        .update_registered_client(
            &tenant,
            &client_id,
            presented(&parts),
            body.json.client_id.as_deref(),
            &body.metadata(),
            &client,
        )
        .await?;
    Ok(answer(&state, &tenant, &parts, StatusCode::OK, registered))
}

/// Deletes the client, and with it every grant and token it was given (RFC 7592 §2.3).
#[utoipa::path(
    delete,
    path = "/oauth2/register/{client_id}",
    operation_id = "delete_registered_client",
    tag = "oidc",
    params(ClientPath),
    responses(
        (status = 204, description = "The client is gone"),
        (status = 401, description = "`invalid_token`: not this client's registration access token", body = RegistrationErrorJson),
    ),
)]
pub async fn delete(
    State(state): State<AppState>,
    HostTenant { tenant, .. }: HostTenant<RegistrationError>,
    ClientAddr(client): ClientAddr,
    Path(ClientPath { client_id }): Path<ClientPath>,
    parts: Parts,
) -> Result<Response, RegistrationError> {
    state
        .services
        .delete_registered_client(&tenant, &client_id, presented(&parts), &client)
        .await?;
    Ok(no_store(StatusCode::NO_CONTENT))
}
