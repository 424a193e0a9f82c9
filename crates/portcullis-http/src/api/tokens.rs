//! Personal API tokens (document 000): `/api/me/tokens`, and `/api/me/token` for the token in
//! use.

use super::error::{ApiError, ApiResult};
use super::extract::{path_id, Auth};
use super::schema::{ErrorJson, SuccessJson};
use super::Input;
use crate::common::client::ClientAddr;
use crate::common::laravel::{timestamp, FieldErrors};
use crate::common::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use portcullis_core::ids::TokenId;
use portcullis_core::model::Token;
use portcullis_core::personal_tokens::{CreatedToken, TokenRequest};
use serde::Serialize;
use utoipa::ToSchema;

/// A token as its owner sees it; never its secret.
#[derive(Serialize, ToSchema)]
#[schema(as = ApiToken)]
pub struct ApiTokenJson {
    id: i64,
    name: String,
    /// `*` grants everything the user may do.
    #[schema(example = json!(["view-profile", "run-backup-tasks"]))]
    scopes: Vec<String>,
    /// `personal` for tokens made here, `session` for a login's token.
    kind: &'static str,
    #[schema(example = "2026-11-27 12:00:00")]
    created_at: String,
    last_used_at: Option<String>,
    expires_at: Option<String>,
}

impl From<Token> for ApiTokenJson {
    fn from(token: Token) -> Self {
        Self {
            id: token.id.0,
            name: token.name,
            scopes: token.scopes,
            kind: token.kind.as_str(),
            created_at: timestamp(token.created_at),
            last_used_at: token.last_used_at.map(timestamp),
            expires_at: token.expires_at.map(timestamp),
        }
    }
}

/// A new or rotated token with its bearer value, shown this once.
#[derive(Serialize, ToSchema)]
#[schema(as = NewApiToken)]
pub struct NewApiTokenJson {
    #[serde(flatten)]
    details: ApiTokenJson,
    /// `<id>|<secret>`: send it as `Authorization: Bearer <token>`. It cannot be shown again.
    #[schema(example = "7|EBu8jQmpsplYoakc4Nt2PMw4jkabRAhKEBn5Zhxs")]
    token: String,
}

impl From<CreatedToken> for NewApiTokenJson {
    fn from(created: CreatedToken) -> Self {
        Self {
            token: created.bearer.expose().to_owned(),
            details: created.token.into(),
        }
    }
}

/// `POST /api/me/tokens`, as JSON or as a form.
#[derive(ToSchema)]
#[allow(dead_code)] // describes the body; the handler reads it field by field
pub struct NewTokenBody {
    /// 1 to 255 characters, around which spaces do not count.
    #[schema(min_length = 1, max_length = 255)]
    name: String,
    /// Scope names (a form may send them comma-separated); `*` for everything the user may do.
    scopes: Vec<String>,
    /// `YYYY-MM-DD HH:MM:SS` (UTC), RFC 3339, or a date; none means it never expires.
    expires_at: Option<String>,
}

/// The caller's live personal tokens, newest first.
#[utoipa::path(
    get,
    path = "/api/me/tokens",
    operation_id = "list_tokens",
    tag = "tokens",
    responses(
        (status = 200, description = "The tokens, without secrets", body = Vec<ApiTokenJson>),
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    Auth(principal): Auth,
) -> ApiResult<Json<Vec<ApiTokenJson>>> {
    let tokens = state.services.personal_tokens(&principal).await?;
    Ok(Json(tokens.into_iter().map(ApiTokenJson::from).collect()))
}

/// Makes a personal token with the chosen scopes.
#[utoipa::path(
    post,
    path = "/api/me/tokens",
    operation_id = "create_token",
    tag = "tokens",
    request_body(content(
        (NewTokenBody = "application/json"),
        (NewTokenBody = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 201, description = "The token, with its bearer value shown this once", body = NewApiTokenJson),
        (status = 422, description = "A missing name, an unknown scope, a scope beyond the user's permissions or the calling token's scopes, or a past expiry", body = FieldErrors),
    ),
)]
pub async fn create(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ClientAddr(client): ClientAddr,
    input: Input,
) -> ApiResult<(StatusCode, Json<NewApiTokenJson>)> {
    let mut errors = FieldErrors::default();
    let name = input.required_string("name", &mut errors);
    let scopes = input.name_list("scopes", &mut errors);
    let expires_at = input.optional_datetime("expires_at", &mut errors);
    let (Some(name), Some(scopes), true) = (name, scopes, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let request = TokenRequest {
        name,
        scopes,
        expires_at,
    };
    let created = state
        .services
        .create_personal_token(&principal, request, &client)
        .await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// Revokes one of the caller's personal tokens.
#[utoipa::path(
    delete,
    path = "/api/me/tokens/{id}",
    operation_id = "revoke_token",
    tag = "tokens",
    params(("id" = i64, Path, description = "Token id")),
    responses(
        (status = 200, description = "Revoked", body = SuccessJson),
        (status = 404, description = "No such live token of the caller's", body = ErrorJson),
    ),
)]
pub async fn revoke(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
) -> ApiResult<Json<SuccessJson>> {
    let id = TokenId(path_id(&id)?);
    state
        .services
        .revoke_personal_token(&principal, id, &client)
        .await?;
    Ok(Json(SuccessJson { success: true }))
}

/// Gives one of the caller's personal tokens a new secret; the old value stops working.
#[utoipa::path(
    post,
    path = "/api/me/tokens/{id}/rotate",
    operation_id = "rotate_token",
    tag = "tokens",
    params(("id" = i64, Path, description = "Token id")),
    responses(
        (status = 200, description = "The token with its new bearer value, shown this once", body = NewApiTokenJson),
        (status = 404, description = "No such live token of the caller's", body = ErrorJson),
    ),
)]
pub async fn rotate(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
) -> ApiResult<Json<NewApiTokenJson>> {
    let id = TokenId(path_id(&id)?);
    let rotated = state
        .services
        .rotate_personal_token(&principal, id, &client)
        .await?;
    Ok(Json(rotated.into()))
}

/// The token this request carries: what it is and which scopes it has. Any token may ask.
#[utoipa::path(
    get,
    path = "/api/me/token",
    operation_id = "current_token",
    tag = "tokens",
    responses(
        (status = 200, description = "The calling token, without its secret", body = ApiTokenJson),
    ),
)]
pub async fn current(
    State(state): State<AppState>,
    Auth(principal): Auth,
) -> ApiResult<Json<ApiTokenJson>> {
    let token = state.services.current_token(&principal).await?;
    Ok(Json(token.into()))
}
