//! `POST /api/v1/token`: a login and password in; a token and the user out, or, at the
//! session limit, 419 with the user's sessions so the client can name one to end.

use super::error::{MessageJson, ValidationJson, VmsError};
use super::extract::HostTenant;
use crate::common::client::ClientAddr;
use crate::common::laravel::{timestamp, FieldErrors, Input};
use crate::common::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use portcullis_core::auth::{client_kind, LimitedLoginRequest, LimitedOutcome, LiveSession};
use portcullis_core::captcha::CAPTCHA_GRACE;
use portcullis_core::model::{Permission, User};
use portcullis_core::{Secret, SessionId};
use serde::Serialize;
use utoipa::ToSchema;

/// Document 002's status for "too many sessions" (Laravel's "page expired").
const SESSION_LIMIT: u16 = 419;

/// `POST /api/v1/token`, as JSON or as a form.
#[derive(ToSchema)]
#[allow(dead_code)] // describes the body; the handler reads it field by field
pub struct TokenBody {
    /// A username or an email address.
    #[schema(example = "mylogin@mail.com")]
    login: String,
    password: String,
    /// After a 419: one of the listed sessions, to end it and log in (`null` or `"null"`
    /// otherwise).
    session_id: Option<String>,
    /// The captcha's text, when the tenant has captcha on (see `GET /api/v1/captcha`).
    captcha: Option<String>,
    /// The captcha's key.
    key: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TokenJson {
    user: VmsUserJson,
    /// The ready-to-send `Authorization` header value.
    #[schema(example = "Bearer 5|EBu8jQmpsplYoakc4Nt2PMw4jkabRAhKEBn5Zhxs")]
    access_token: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = VmsUser)]
pub struct VmsUserJson {
    id: i64,
    /// The username, or the email address when there is none.
    login: String,
    name: String,
    parent_id: Option<i64>,
    /// What the user's role grants.
    permissions: Vec<PermissionJson>,
    #[schema(example = "2022-04-21 16:37:46")]
    created_at: String,
    updated_at: String,
    /// The new session's id (end it with `session_id` after a later 419).
    access_token_id: String,
    can_update_password: bool,
    /// Analytics licences; none are configured here.
    analytic_license: Vec<LicenseJson>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = VmsPermission)]
pub struct PermissionJson {
    id: i64,
    name: String,
}

#[derive(Serialize, ToSchema)]
pub struct LicenseJson {
    #[serde(rename = "type")]
    kind: String,
    type_pretty: String,
    all: i64,
    free: i64,
    used: i64,
}

#[derive(Serialize, ToSchema)]
pub struct SessionsLimitJson {
    /// The user's live sessions, most recently active first.
    sessions: Vec<LimitSessionJson>,
    sessions_limit: i64,
    sessions_count: usize,
    /// With captcha on: seconds for which the same captcha answer stays good for a retry.
    #[serde(skip_serializing_if = "Option::is_none")]
    captcha_will_required_in: Option<i64>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = VmsSession)]
pub struct LimitSessionJson {
    id: String,
    /// Always `false` here: the request that gets this list has no session yet.
    is_current: bool,
    user_agent: Option<String>,
    /// `android`, `ios`, `web`, `desktop` or `other`.
    client: &'static str,
    /// Active in the last 5 minutes.
    online: bool,
    ip: Option<String>,
}

impl From<LiveSession> for LimitSessionJson {
    fn from(live: LiveSession) -> Self {
        Self {
            id: live.session.id.0,
            is_current: false,
            user_agent: live.session.user_agent,
            client: live.client,
            online: live.online,
            ip: live.session.ip_address,
        }
    }
}

fn display_name(user: &User) -> String {
    let parts: Vec<&str> = [&user.first_name, &user.last_name]
        .into_iter()
        .flatten()
        .map(|part| part.trim())
        .filter(|part| !part.is_empty())
        .collect();
    if parts.is_empty() {
        user.username.clone().unwrap_or_else(|| user.email.clone())
    } else {
        parts.join(" ")
    }
}

fn user_json(user: User, permissions: Vec<Permission>, session: SessionId) -> VmsUserJson {
    VmsUserJson {
        id: user.id.0,
        login: user.username.clone().unwrap_or_else(|| user.email.clone()),
        name: display_name(&user),
        parent_id: None,
        permissions: permissions
            .into_iter()
            .map(|p| PermissionJson {
                id: p.id.0,
                name: p.name,
            })
            .collect(),
        created_at: timestamp(user.created_at),
        updated_at: timestamp(user.updated_at),
        access_token_id: session.0,
        can_update_password: true,
        analytic_license: Vec::new(),
    }
}

/// Trades a login and password for a token, within the tenant's limit of concurrent sessions.
#[utoipa::path(
    post,
    path = "/api/v1/token",
    operation_id = "vms_token",
    tag = "token",
    request_body(content(
        (TokenBody = "application/json"),
        (TokenBody = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "The token and the user", body = TokenJson),
        (status = 403, description = "The account is banned", body = MessageJson),
        (status = 419, description = "The session limit is reached: retry with `session_id` naming one of these to end it", body = SessionsLimitJson),
        (status = 422, description = "Missing fields, wrong credentials, a wrong or expired captcha, an unknown `session_id`", body = ValidationJson),
        (status = 429, description = "Too many attempts from this address or for this login (every request counts); see `Retry-After`", body = MessageJson),
    ),
)]
pub async fn token(
    State(state): State<AppState>,
    HostTenant { tenant, .. }: HostTenant,
    ClientAddr(client): ClientAddr,
    input: Input<VmsError>,
) -> Result<Response, VmsError> {
    let mut errors = FieldErrors::default();
    let login = input.required_string("login", &mut errors);
    let password = input.required_secret("password", &mut errors);
    let session_id = input
        .optional_string("session_id", &mut errors)
        .filter(|id| id != "null");
    let captcha_answer = input.optional_string("captcha", &mut errors);
    let captcha_key = input.optional_string("key", &mut errors);
    let (Some(login), Some(password), true) = (login, password, errors.is_empty()) else {
        return Err(VmsError::Validation(errors));
    };
    let request = LimitedLoginRequest {
        login,
        password: Secret::new(password),
        end_session: session_id.map(SessionId),
        captcha_key,
        captcha_answer,
        client_name: client_kind(client.user_agent.as_deref()).to_owned(),
        client,
    };
    match state
        .services
        .session_limited_login(&tenant, request)
        .await?
    {
        LimitedOutcome::Issued(issued) => {
            let permissions = state.services.permissions_of(&issued.user).await?;
            let json = TokenJson {
                access_token: format!("Bearer {}", issued.bearer.expose()),
                user: user_json(issued.user, permissions, issued.session_id),
            };
            Ok(Json(json).into_response())
        }
        LimitedOutcome::LimitReached { sessions, limit } => {
            let json = SessionsLimitJson {
                sessions_count: sessions.len(),
                sessions: sessions.into_iter().map(LimitSessionJson::from).collect(),
                sessions_limit: limit,
                captcha_will_required_in: tenant
                    .settings
                    .captcha_enabled
                    .then(|| CAPTCHA_GRACE.whole_seconds()),
            };
            let status = StatusCode::from_u16(SESSION_LIMIT).unwrap_or(StatusCode::CONFLICT);
            Ok((status, Json(json)).into_response())
        }
    }
}
