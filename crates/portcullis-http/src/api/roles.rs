//! Roles and permissions: `/api/roles`, `/api/roles/{id}`, `/api/roles/{id}/permissions`,
//! `/api/permissions`, `/api/permissions/{id}`.

use super::error::ApiResult;
use super::extract::{path_id, Auth};
use super::json::{includes, IncludeQuery, PermissionJson, RoleJson};
use super::schema::{ErrorJson, SuccessJson};
use super::Input;
use crate::common::client::ClientAddr;
use crate::common::laravel::FieldErrors;
use crate::common::state::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::Json;
use portcullis_core::model::{Permission, RbacInput, RoleSummary};
use portcullis_core::{PermissionId, RoleId};
use utoipa::ToSchema;

fn permissions_json(permissions: Vec<Permission>) -> Json<Vec<PermissionJson>> {
    Json(permissions.into_iter().map(PermissionJson::from).collect())
}

#[derive(ToSchema)]
#[allow(dead_code)] // describes the body; the handler reads it field by field
pub struct RbacBody {
    /// Letters, digits, `_`, `-` and `.`; unique.
    #[schema(min_length = 1)]
    pub name: String,
    #[schema(max_length = 255)]
    pub display_name: Option<String>,
    #[schema(max_length = 1000)]
    pub description: Option<String>,
}

#[derive(ToSchema)]
#[allow(dead_code)] // describes the body; the handler reads it field by field
pub struct SyncBody {
    /// Ids of every permission the role should hold.
    pub permissions: Vec<i64>,
}

fn rbac_input(input: &Input, errors: &mut FieldErrors) -> RbacInput {
    RbacInput {
        name: input.optional_string("name", errors),
        display_name: input.nullable_string("display_name", 255, errors),
        description: input.nullable_string("description", 1000, errors),
    }
}

fn role_json(summary: RoleSummary) -> RoleJson {
    let mut json = RoleJson::from(summary.role);
    json.users_count = Some(summary.users_count);
    json
}

/// Every role, with `include=permissions` for what each holds.
#[utoipa::path(
    get,
    path = "/api/roles",
    tag = "roles",
    params(IncludeQuery),
    responses(
        (status = 200, description = "All roles", body = Vec<RoleJson>),
        (status = 403, description = "Forbidden.", body = ErrorJson),
    ),
)]
pub async fn list_roles(
    State(state): State<AppState>,
    Auth(principal): Auth,
    query: Result<Query<IncludeQuery>, QueryRejection>,
) -> ApiResult<Json<Vec<RoleJson>>> {
    let include = query.ok().and_then(|Query(q)| q.include);
    let roles = state.services.roles(&principal).await?;
    let pairs = if includes(include.as_deref())("permissions") {
        Some(state.services.role_permission_pairs(&principal).await?)
    } else {
        None
    };
    Ok(Json(
        roles
            .into_iter()
            .map(|summary| {
                let id = summary.role.id;
                let mut json = role_json(summary);
                json.permissions = pairs.as_ref().map(|pairs| {
                    pairs
                        .iter()
                        .filter(|(role, _)| *role == id)
                        .map(|(_, p)| PermissionJson::from(p.clone()))
                        .collect()
                });
                json
            })
            .collect(),
    ))
}

/// Creates a role. Document 001 answers it as a one-item list, and so do we.
#[utoipa::path(
    post,
    path = "/api/roles",
    tag = "roles",
    request_body(content(
        (RbacBody = "application/json"),
        (RbacBody = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "The new role", body = Vec<RoleJson>),
        (status = 403, description = "Forbidden.", body = ErrorJson),
        (status = 422, description = "A missing, malformed or taken name", body = FieldErrors),
    ),
)]
pub async fn create_role(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ClientAddr(client): ClientAddr,
    input: Input,
) -> ApiResult<Json<Vec<RoleJson>>> {
    let mut errors = FieldErrors::default();
    let fields = rbac_input(&input, &mut errors);
    errors.into_result()?;
    let role = state
        .services
        .create_role(&principal, fields, &client)
        .await?;
    Ok(Json(vec![role_json(role)]))
}

/// One role, with `include=permissions` for what it holds.
#[utoipa::path(
    get,
    path = "/api/roles/{id}",
    tag = "roles",
    params(("id" = i64, Path, description = "Role id"), IncludeQuery),
    responses(
        (status = 200, description = "The role", body = RoleJson),
        (status = 403, description = "Forbidden.", body = ErrorJson),
        (status = 404, description = "Resource not found.", body = ErrorJson),
    ),
)]
pub async fn show_role(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<String>,
    query: Result<Query<IncludeQuery>, QueryRejection>,
) -> ApiResult<Json<RoleJson>> {
    let id = RoleId(path_id(&id)?);
    let include = query.ok().and_then(|Query(q)| q.include);
    let summary = state.services.role_summary(&principal, id).await?;
    let mut json = role_json(summary);
    if includes(include.as_deref())("permissions") {
        let held = state.services.permissions_of_role(&principal, id).await?;
        json.permissions = Some(held.into_iter().map(PermissionJson::from).collect());
    }
    Ok(Json(json))
}

/// Changes the fields sent.
#[utoipa::path(
    patch,
    path = "/api/roles/{id}",
    tag = "roles",
    params(("id" = i64, Path, description = "Role id")),
    request_body(content(
        (RbacBody = "application/json"),
        (RbacBody = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "The role", body = RoleJson),
        (status = 403, description = "Forbidden.", body = ErrorJson),
        (status = 404, description = "Resource not found.", body = ErrorJson),
        (status = 422, description = "A malformed or taken name", body = FieldErrors),
    ),
)]
pub async fn update_role(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    input: Input,
) -> ApiResult<Json<RoleJson>> {
    let id = RoleId(path_id(&id)?);
    let mut errors = FieldErrors::default();
    let fields = rbac_input(&input, &mut errors);
    errors.into_result()?;
    let role = state
        .services
        .update_role(&principal, id, fields, &client)
        .await?;
    Ok(Json(role_json(role)))
}

/// Deletes a removable role; its users get the `User` role.
#[utoipa::path(
    delete,
    path = "/api/roles/{id}",
    tag = "roles",
    params(("id" = i64, Path, description = "Role id")),
    responses(
        (status = 200, description = "Deleted", body = SuccessJson),
        (status = 403, description = "Forbidden., or the role is built in", body = ErrorJson),
        (status = 404, description = "Resource not found.", body = ErrorJson),
    ),
)]
pub async fn delete_role(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
) -> ApiResult<Json<SuccessJson>> {
    let id = RoleId(path_id(&id)?);
    state.services.delete_role(&principal, id, &client).await?;
    Ok(Json(SuccessJson { success: true }))
}

/// The permissions a role holds.
#[utoipa::path(
    get,
    path = "/api/roles/{id}/permissions",
    tag = "roles",
    params(("id" = i64, Path, description = "Role id")),
    responses(
        (status = 200, description = "Its permissions", body = Vec<PermissionJson>),
        (status = 403, description = "Forbidden.", body = ErrorJson),
        (status = 404, description = "Resource not found.", body = ErrorJson),
    ),
)]
pub async fn role_permissions(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<PermissionJson>>> {
    let id = RoleId(path_id(&id)?);
    let held = state.services.permissions_of_role(&principal, id).await?;
    Ok(permissions_json(held))
}

/// Makes the role hold exactly the permissions whose ids are sent.
#[utoipa::path(
    put,
    path = "/api/roles/{id}/permissions",
    tag = "roles",
    params(("id" = i64, Path, description = "Role id")),
    request_body(content((SyncBody = "application/json"))),
    responses(
        (status = 200, description = "Its permissions now", body = Vec<PermissionJson>),
        (status = 403, description = "Forbidden.", body = ErrorJson),
        (status = 404, description = "Resource not found.", body = ErrorJson),
        (status = 422, description = "Not a list of the tenant's permission ids", body = FieldErrors),
    ),
)]
pub async fn sync_role_permissions(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    input: Input,
) -> ApiResult<Json<Vec<PermissionJson>>> {
    let id = RoleId(path_id(&id)?);
    let mut errors = FieldErrors::default();
    let ids = input.integer_list("permissions", &mut errors);
    errors.into_result()?;
    let ids: Vec<PermissionId> = ids
        .unwrap_or_default()
        .into_iter()
        .map(PermissionId)
        .collect();
    let held = state
        .services
        .sync_role_permissions(&principal, id, &ids, &client)
        .await?;
    Ok(permissions_json(held))
}

/// Every permission.
#[utoipa::path(
    get,
    path = "/api/permissions",
    tag = "permissions",
    responses(
        (status = 200, description = "All permissions", body = Vec<PermissionJson>),
        (status = 403, description = "Forbidden.", body = ErrorJson),
    ),
)]
pub async fn list_permissions(
    State(state): State<AppState>,
    Auth(principal): Auth,
) -> ApiResult<Json<Vec<PermissionJson>>> {
    Ok(permissions_json(
        state.services.permissions(&principal).await?,
    ))
}

/// Creates a permission. Document 001 answers it as a one-item list, and so do we.
#[utoipa::path(
    post,
    path = "/api/permissions",
    tag = "permissions",
    request_body(content(
        (RbacBody = "application/json"),
        (RbacBody = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "The new permission", body = Vec<PermissionJson>),
        (status = 403, description = "Forbidden.", body = ErrorJson),
        (status = 422, description = "A missing, malformed or taken name", body = FieldErrors),
    ),
)]
pub async fn create_permission(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ClientAddr(client): ClientAddr,
    input: Input,
) -> ApiResult<Json<Vec<PermissionJson>>> {
    let mut errors = FieldErrors::default();
    let fields = rbac_input(&input, &mut errors);
    errors.into_result()?;
    let permission = state
        .services
        .create_permission(&principal, fields, &client)
        .await?;
    Ok(permissions_json(vec![permission]))
}

/// One permission.
#[utoipa::path(
    get,
    path = "/api/permissions/{id}",
    tag = "permissions",
    params(("id" = i64, Path, description = "Permission id")),
    responses(
        (status = 200, description = "The permission", body = PermissionJson),
        (status = 403, description = "Forbidden.", body = ErrorJson),
        (status = 404, description = "Resource not found.", body = ErrorJson),
    ),
)]
pub async fn show_permission(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<PermissionJson>> {
    let id = PermissionId(path_id(&id)?);
    let permission = state.services.permission(&principal, id).await?;
    Ok(Json(permission.into()))
}

/// Changes the fields sent.
#[utoipa::path(
    patch,
    path = "/api/permissions/{id}",
    tag = "permissions",
    params(("id" = i64, Path, description = "Permission id")),
    request_body(content(
        (RbacBody = "application/json"),
        (RbacBody = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "The permission", body = PermissionJson),
        (status = 403, description = "Forbidden.", body = ErrorJson),
        (status = 404, description = "Resource not found.", body = ErrorJson),
        (status = 422, description = "A malformed or taken name", body = FieldErrors),
    ),
)]
pub async fn update_permission(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    input: Input,
) -> ApiResult<Json<PermissionJson>> {
    let id = PermissionId(path_id(&id)?);
    let mut errors = FieldErrors::default();
    let fields = rbac_input(&input, &mut errors);
    errors.into_result()?;
    let permission = state
        .services
        .update_permission(&principal, id, fields, &client)
        .await?;
    Ok(Json(permission.into()))
}

/// Deletes a removable permission; roles stop holding it.
#[utoipa::path(
    delete,
    path = "/api/permissions/{id}",
    tag = "permissions",
    params(("id" = i64, Path, description = "Permission id")),
    responses(
        (status = 200, description = "Deleted", body = SuccessJson),
        (status = 403, description = "Forbidden., or the permission is built in", body = ErrorJson),
        (status = 404, description = "Resource not found.", body = ErrorJson),
    ),
)]
pub async fn delete_permission(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
) -> ApiResult<Json<SuccessJson>> {
    let id = PermissionId(path_id(&id)?);
    state
        .services
        .delete_permission(&principal, id, &client)
        .await?;
    Ok(Json(SuccessJson { success: true }))
}
