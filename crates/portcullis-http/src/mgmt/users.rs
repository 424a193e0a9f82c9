//! `/v1/tenants/{tenant_id}/users`: the tenant's users in document 003's shape.

use super::error::{ErrorJson, MgmtError};
use super::extract::{Body, KeyTenant, Paging, Params, TenantPath, UserPath};
use super::list::{rfc3339, ListJson};
use crate::common::state::AppState;
use axum::extract::{Path, State};
use axum::Json;
use portcullis_core::managed_users::ManagedUser;
use portcullis_core::model::{ApiKey, Metadata, User};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// A user as document 003 shows it; false and empty values are left out.
#[derive(Serialize, ToSchema)]
#[schema(as = User)]
pub struct UserJson {
    #[serde(rename = "type")]
    #[schema(example = "User")]
    kind: &'static str,
    #[schema(example = "9cb0Q44OoPO4")]
    id: String,
    #[schema(example = "2023-08-21T15:04:24.344871427Z")]
    created_at: String,
    updated_at: String,
    #[serde(skip_serializing_if = "Metadata::is_empty")]
    metadata: Metadata,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    disabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    verified_at: Option<String>,
    profile: ProfileJson,
}

#[derive(Serialize, ToSchema)]
#[schema(as = UserProfile)]
pub struct ProfileJson {
    #[serde(skip_serializing_if = "String::is_empty")]
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    family_name: Option<String>,
    email: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    email_verified: bool,
}

impl From<User> for UserJson {
    fn from(user: User) -> Self {
        let name = user.full_name();
        Self {
            kind: "User",
            created_at: rfc3339(user.created_at),
            updated_at: rfc3339(user.updated_at),
            disabled: user.disabled,
            verified_at: user.email_verified_at.map(rfc3339),
            profile: ProfileJson {
                name,
                given_name: user.first_name.filter(|n| !n.is_empty()),
                family_name: user.last_name.filter(|n| !n.is_empty()),
                email: user.email,
                email_verified: user.email_verified_at.is_some(),
            },
            metadata: user.metadata,
            id: user.uid,
        }
    }
}

/// A written user: the whole object. Absent or null fields are their zero value; `id`,
/// `created_at`, `updated_at`, `verified_at` and unknown fields are ignored.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = UserInput)]
pub struct UserBody {
    #[schema(value_type = Option<super::json::MetadataBody>)]
    metadata: Option<Value>,
    disabled: Option<bool>,
    /// Required: a user is known by its email address.
    #[schema(value_type = ProfileBody, required = true)]
    profile: Option<ProfileBody>,
}

#[derive(Deserialize, Default, ToSchema)]
#[schema(as = UserProfileInput)]
pub struct ProfileBody {
    #[schema(value_type = String, required = true)]
    email: Option<String>,
    name: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    email_verified: Option<bool>,
}

impl UserBody {
    fn into_input(self) -> Result<ManagedUser, MgmtError> {
        let profile = self.profile.unwrap_or_default();
        Ok(ManagedUser {
            email: profile.email.unwrap_or_default(),
            name: profile.name,
            given_name: profile.given_name,
            family_name: profile.family_name,
            email_verified: profile.email_verified.unwrap_or(false),
            disabled: self.disabled.unwrap_or(false),
            metadata: super::json::metadata(self.metadata)?,
        })
    }
}

/// Who the activity log names for a change made with this key.
pub(super) fn actor(key: &ApiKey) -> String {
    format!("management API key {}", key.id)
}

/// The tenant's users, oldest first.
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenant_id}/users",
    operation_id = "mgmt_list_users",
    tag = "users",
    params(TenantPath, Paging),
    responses(
        (status = 200, description = "A `List` of users", body = inline(Object)),
        (status = 400, description = "`invalid_request`: a malformed query string", body = ErrorJson),
        (status = 404, description = "`not_found`", body = ErrorJson),
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    KeyTenant { tenant, .. }: KeyTenant,
    Params(paging): Params<Paging>,
) -> Result<Json<ListJson<UserJson>>, MgmtError> {
    let (limit, offset) = paging.window();
    let (users, total) = state.services.managed_users(&tenant, offset, limit).await?;
    let data = users.into_iter().map(UserJson::from).collect();
    Ok(Json(ListJson::new(data, total, limit)))
}

/// Creates a user with no credentials; `profile.email` is required and unique in the tenant
/// (409 `conflict` when taken).
#[utoipa::path(
    post,
    path = "/v1/tenants/{tenant_id}/users",
    operation_id = "mgmt_create_user",
    tag = "users",
    params(TenantPath),
    request_body = UserBody,
    responses(
        (status = 200, description = "The new user", body = UserJson),
        (status = 400, description = "`invalid_request` or `invalid_metadata`", body = ErrorJson),
        (status = 409, description = "`conflict`: the email is taken", body = ErrorJson),
    ),
)]
pub async fn create(
    State(state): State<AppState>,
    KeyTenant { key, tenant }: KeyTenant,
    Body(body): Body<UserBody>,
) -> Result<Json<UserJson>, MgmtError> {
    let user = state
        .services
        .create_managed_user(&tenant, body.into_input()?, None, &actor(&key))
        .await?;
    Ok(Json(user.into()))
}

/// One user.
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenant_id}/users/{user_id}",
    operation_id = "mgmt_show_user",
    tag = "users",
    params(UserPath),
    responses(
        (status = 200, description = "The user", body = UserJson),
        (status = 404, description = "`not_found`", body = ErrorJson),
    ),
)]
pub async fn show(
    State(state): State<AppState>,
    KeyTenant { tenant, .. }: KeyTenant,
    Path(UserPath { user_id, .. }): Path<UserPath>,
) -> Result<Json<UserJson>, MgmtError> {
    let user = state.services.managed_user(&tenant, &user_id).await?;
    Ok(Json(user.into()))
}

/// Replaces the user. `disabled: true` blocks every login and ends the user's sessions.
#[utoipa::path(
    post,
    path = "/v1/tenants/{tenant_id}/users/{user_id}",
    operation_id = "mgmt_update_user",
    tag = "users",
    params(UserPath),
    request_body = UserBody,
    responses(
        (status = 200, description = "The user", body = UserJson),
        (status = 400, description = "`invalid_request` or `invalid_metadata`", body = ErrorJson),
        (status = 404, description = "`not_found`", body = ErrorJson),
        (status = 409, description = "`conflict`: the email is taken", body = ErrorJson),
    ),
)]
pub async fn update(
    State(state): State<AppState>,
    KeyTenant { key, tenant }: KeyTenant,
    Path(UserPath { user_id, .. }): Path<UserPath>,
    Body(body): Body<UserBody>,
) -> Result<Json<UserJson>, MgmtError> {
    let user = state
        .services
        .update_managed_user(&tenant, &user_id, body.into_input()?, &actor(&key))
        .await?;
    Ok(Json(user.into()))
}

/// Deletes the user; returns its last version.
#[utoipa::path(
    delete,
    path = "/v1/tenants/{tenant_id}/users/{user_id}",
    operation_id = "mgmt_delete_user",
    tag = "users",
    params(UserPath),
    responses(
        (status = 200, description = "The deleted user", body = UserJson),
        (status = 404, description = "`not_found`", body = ErrorJson),
    ),
)]
pub async fn delete(
    State(state): State<AppState>,
    KeyTenant { key, tenant }: KeyTenant,
    Path(UserPath { user_id, .. }): Path<UserPath>,
) -> Result<Json<UserJson>, MgmtError> {
    let user = state
        .services
        .delete_managed_user(&tenant, &user_id, &actor(&key))
        .await?;
    Ok(Json(user.into()))
}
