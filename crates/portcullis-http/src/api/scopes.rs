//! The scope registry (`/api/scopes`): built-in scopes and those the tenant's applications
//! register for themselves.

use super::error::{ApiError, ApiResult};
use super::extract::Auth;
use super::schema::{ErrorJson, SuccessJson};
use super::Input;
use crate::common::client::ClientAddr;
use crate::common::laravel::{timestamp, FieldErrors};
use crate::common::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use portcullis_core::scopes::ScopeEntry;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
#[schema(as = Scope)]
pub struct ScopeJson {
    #[schema(example = "run-backup-tasks")]
    name: String,
    description: String,
    /// Built-in scopes guard Portcullis's own routes and cannot be removed.
    builtin: bool,
    created_at: Option<String>,
}

impl From<ScopeEntry> for ScopeJson {
    fn from(entry: ScopeEntry) -> Self {
        Self {
            name: entry.name,
            description: entry.description,
            builtin: entry.builtin,
            created_at: entry.created_at.map(timestamp),
        }
    }
}

/// `POST /api/scopes`, as JSON or as a form.
#[derive(ToSchema)]
#[allow(dead_code)] // describes the body; the handler reads it field by field
pub struct NewScopeBody {
    /// Kebab case, at most 64 characters.
    #[schema(min_length = 1, max_length = 64, pattern = "^[a-z0-9]+(-[a-z0-9]+)*$")]
    name: String,
    #[schema(max_length = 255)]
    description: Option<String>,
}

/// Every scope a token of this tenant may carry.
#[utoipa::path(
    get,
    path = "/api/scopes",
    operation_id = "list_scopes",
    tag = "scopes",
    responses(
        (status = 200, description = "Built-in scopes, then the tenant's by name", body = Vec<ScopeJson>),
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    Auth(principal): Auth,
) -> ApiResult<Json<Vec<ScopeJson>>> {
    let scopes = state.services.scopes(&principal).await?;
    Ok(Json(scopes.into_iter().map(ScopeJson::from).collect()))
}

/// Registers a scope for the tenant's applications.
#[utoipa::path(
    post,
    path = "/api/scopes",
    operation_id = "create_scope",
    tag = "scopes",
    request_body(content(
        (NewScopeBody = "application/json"),
        (NewScopeBody = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 201, description = "The scope", body = ScopeJson),
        (status = 422, description = "A name that is not kebab case or is taken", body = FieldErrors),
    ),
)]
pub async fn create(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ClientAddr(client): ClientAddr,
    input: Input,
) -> ApiResult<(StatusCode, Json<ScopeJson>)> {
    let mut errors = FieldErrors::default();
    let name = input.required_string("name", &mut errors);
    let description = input.optional_string("description", &mut errors);
    let (Some(name), true) = (name, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let scope = state
        .services
        .register_scope(
            &principal,
            &name,
            description.as_deref().unwrap_or(""),
            &client,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(scope.into())))
}

/// Removes a scope the tenant registered.
#[utoipa::path(
    delete,
    path = "/api/scopes/{name}",
    operation_id = "delete_scope",
    tag = "scopes",
    params(("name" = String, Path, description = "Scope name")),
    responses(
        (status = 200, description = "Removed", body = SuccessJson),
        (status = 403, description = "A built-in scope", body = ErrorJson),
        (status = 404, description = "No such scope", body = ErrorJson),
    ),
)]
pub async fn delete(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ClientAddr(client): ClientAddr,
    Path(name): Path<String>,
) -> ApiResult<Json<SuccessJson>> {
    state
        .services
        .remove_scope(&principal, &name, &client)
        .await?;
    Ok(Json(SuccessJson { success: true }))
}
