//! Administering users: `GET`/`POST /api/users`, `GET`/`PUT`/`DELETE /api/users/{id}`.

use super::error::{ApiError, ApiResult};
use super::extract::{user_id, Auth};
use super::json::{includes, CountryJson, RoleJson, UserJson};
use super::page::{ListQuery, PageJson, PageMeta};
use super::profile::details_change;
use super::schema::{ErrorJson, SuccessJson};
use super::Input;
use crate::common::client::ClientAddr;
use crate::common::laravel::FieldErrors;
use crate::common::state::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::Json;
use portcullis_core::directory::AccountInput;
use portcullis_core::model::{Principal, User, UserStatus};
use portcullis_core::{RoleId, Rule, Secret};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsersQuery {
    /// `Active`, `Unconfirmed` or `Banned`.
    status: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserIncludeQuery {
    /// Relations to embed, comma-separated: `role`, `country`.
    include: Option<String>,
}

/// A page of users in document 001's envelope.
#[derive(ToSchema)]
#[allow(dead_code)] // describes `PageJson<UserJson>` for the document
pub struct UserPage {
    data: Vec<UserJson>,
    meta: PageMeta,
}

#[derive(ToSchema)]
#[allow(dead_code)] // describes the body; the handler reads it field by field
pub struct AccountBody {
    pub email: String,
    pub password: String,
    pub password_confirmation: String,
    pub role_id: i64,
    pub username: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub country_id: Option<i64>,
    /// `YYYY-MM-DD`.
    pub birthday: Option<String>,
    /// `Active`, `Unconfirmed` or `Banned`; banning ends the user's sessions and tokens.
    pub status: Option<String>,
}

/// The tenant's users, newest first, filtered by `search` (username, email, first or last
/// name, case-insensitive substring) and `status`.
#[utoipa::path(
    get,
    path = "/api/users",
    operation_id = "list_users",
    tag = "users",
    params(ListQuery, UsersQuery),
    responses(
        (status = 200, description = "A page of users", body = UserPage),
        (status = 403, description = "Forbidden.", body = ErrorJson),
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    Auth(principal): Auth,
    uri: Uri,
    query: Result<Query<ListQuery>, QueryRejection>,
    status: Result<Query<UsersQuery>, QueryRejection>,
) -> ApiResult<Json<PageJson<UserJson>>> {
    // A malformed query string reads as no parameters, as the original's does.
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let status = status.map(|Query(q)| q).unwrap_or_default().status;
    let mut page = state
        .services
        .list_users(
            &principal,
            query.search.as_deref(),
            status.as_deref(),
            query.paging(),
        )
        .await?;
    let users = std::mem::take(&mut page.items);
    let data = render(&state, &principal, users, query.include.as_deref()).await?;
    Ok(Json(PageJson::new(page, data, uri.path(), uri.query())))
}

/// Users as JSON with the relations `include` names, read in one query each.
async fn render(
    state: &AppState,
    principal: &Principal,
    users: Vec<User>,
    include: Option<&str>,
) -> ApiResult<Vec<UserJson>> {
    let wants = includes(include);
    let roles = if wants("role") {
        state.services.tenant_roles(principal).await?
    } else {
        Vec::new()
    };
    let countries = if wants("country") && users.iter().any(|u| u.country_id.is_some()) {
        state.services.countries().await?
    } else {
        Vec::new()
    };
    Ok(users
        .into_iter()
        .map(|user| {
            let role = roles.iter().find(|r| r.id == user.role_id).cloned();
            let country = user
                .country_id
                .and_then(|id| countries.iter().find(|c| c.id == id).cloned());
            let mut json = UserJson::new(user, &principal.settings);
            if wants("role") {
                json.role = role.map(RoleJson::from);
            }
            if wants("country") {
                json.country = Some(country.map(|c| CountryJson::new(c, &state.http.public_url)));
            }
            json
        })
        .collect())
}

async fn render_one(
    state: &AppState,
    principal: &Principal,
    user: User,
    include: Option<&str>,
) -> ApiResult<UserJson> {
    let mut rendered = render(state, principal, vec![user], include).await?;
    Ok(rendered.remove(0))
}

/// An account body read field by field; `required` fields are left to the service to demand.
fn account_input(input: &Input, errors: &mut FieldErrors) -> AccountInput {
    let password = input.optional_secret("password", errors);
    let confirmation = input.optional_secret("password_confirmation", errors);
    let status = input.optional_string("status", errors);
    let status = status.and_then(|text| {
        let parsed = UserStatus::parse(&text);
        if parsed.is_none() {
            errors.add_rule("status", Rule::Unknown);
        }
        parsed
    });
    AccountInput {
        email: input.optional_string("email", errors),
        username: input.nullable_string("username", 255, errors),
        password: password.map(|p| {
            (
                Secret::new(p),
                Secret::new(confirmation.unwrap_or_default()),
            )
        }),
        role_id: input.optional_integer("role_id", errors).map(RoleId),
        status,
        details: details_change(input, errors),
    }
}

/// Creates an account (active and confirmed unless `status` says otherwise).
#[utoipa::path(
    post,
    path = "/api/users",
    operation_id = "create_user",
    tag = "users",
    request_body(content(
        (AccountBody = "application/json"),
        (AccountBody = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 201, description = "The new user", body = UserJson),
        (status = 403, description = "Forbidden.", body = ErrorJson),
        (status = 422, description = "Invalid or taken fields", body = FieldErrors),
    ),
)]
pub async fn create(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ClientAddr(client): ClientAddr,
    input: Input,
) -> ApiResult<(StatusCode, Json<UserJson>)> {
    let mut errors = FieldErrors::default();
    let account = account_input(&input, &mut errors);
    if !errors.is_empty() {
        // Document 001's validation reports every failing field at once: the domain's checks
        // of the other fields join what this request got wrong in its shape.
        let unreadable: Vec<String> = errors.fields().map(str::to_owned).collect();
        let problems = state
            .services
            .new_account_problems(&principal, &account)
            .await?;
        for problem in &problems {
            if !unreadable.contains(&problem.field) {
                errors.add_error(problem);
            }
        }
        return Err(ApiError::Validation(errors));
    }
    let user = state
        .services
        .create_account(&principal, account, &client)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(UserJson::new(user, &principal.settings)),
    ))
}

/// One user.
#[utoipa::path(
    get,
    path = "/api/users/{id}",
    operation_id = "show_user",
    tag = "users",
    params(("id" = i64, Path, description = "User id"), UserIncludeQuery),
    responses(
        (status = 200, description = "The user", body = UserJson),
        (status = 403, description = "Forbidden.", body = ErrorJson),
        (status = 404, description = "Resource not found.", body = ErrorJson),
    ),
)]
pub async fn show(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<String>,
    query: Result<Query<UserIncludeQuery>, QueryRejection>,
) -> ApiResult<Json<UserJson>> {
    let include = query.ok().and_then(|Query(q)| q.include);
    let user = state
        .services
        .user_for_admin(&principal, user_id(&id)?)
        .await?;
    Ok(Json(
        render_one(&state, &principal, user, include.as_deref()).await?,
    ))
}

/// Changes the fields sent; the others stay. Answers 201, as document 001 says.
#[utoipa::path(
    put,
    path = "/api/users/{id}",
    operation_id = "update_user",
    tag = "users",
    params(("id" = i64, Path, description = "User id")),
    request_body(content(
        (AccountBody = "application/json"),
        (AccountBody = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 201, description = "The updated user", body = UserJson),
        (status = 403, description = "Forbidden.", body = ErrorJson),
        (status = 404, description = "Resource not found.", body = ErrorJson),
        (status = 422, description = "Invalid or taken fields", body = FieldErrors),
    ),
)]
pub async fn update(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    input: Input,
) -> ApiResult<(StatusCode, Json<UserJson>)> {
    let id = user_id(&id)?;
    let mut errors = FieldErrors::default();
    let account = account_input(&input, &mut errors);
    errors.into_result()?;
    let user = state
        .services
        .update_account(&principal, id, account, &client)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(UserJson::new(user, &principal.settings)),
    ))
}

/// Deletes an account and everything that is its own.
#[utoipa::path(
    delete,
    path = "/api/users/{id}",
    operation_id = "delete_user",
    tag = "users",
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 200, description = "Deleted", body = SuccessJson),
        (status = 403, description = "Forbidden., or `You cannot delete yourself.`", body = ErrorJson),
        (status = 404, description = "Resource not found.", body = ErrorJson),
    ),
)]
pub async fn delete(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
) -> ApiResult<Json<SuccessJson>> {
    let id = user_id(&id)?;
    state
        .services
        .delete_account(&principal, id, &client)
        .await?;
    Ok(Json(SuccessJson { success: true }))
}
