//! An administrator changing a user's avatar and second factor: `PUT /api/users/{id}/avatar`
//! (raw bytes), `PUT /api/users/{id}/avatar/external`, `DELETE /api/users/{id}/avatar`, and
//! `PUT`/`DELETE /api/users/{id}/2fa`. The same services as the caller's own paths do the work.

use super::avatar::ExternalAvatarBody;
use super::error::{ApiError, ApiResult};
use super::extract::{user_id, Auth};
use super::json::UserJson;
use super::schema::ErrorJson;
use super::two_factor::{enable_request, EnableBody};
use super::Input;
use crate::common::body::read_body;
use crate::common::client::ClientAddr;
use crate::common::laravel::FieldErrors;
use crate::common::state::AppState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::Json;

/// Sets a user's avatar from the raw bytes of an image (see `PUT /api/me/avatar`).
#[utoipa::path(
    put,
    path = "/api/users/{id}/avatar",
    operation_id = "upload_user_avatar",
    tag = "users",
    params(("id" = i64, Path, description = "User id")),
    request_body(content(
        ("image/png"), ("image/jpeg"), ("image/gif"), ("image/webp"),
    )),
    responses(
        (status = 200, description = "The updated user", body = UserJson),
        (status = 403, description = "Forbidden.", body = ErrorJson),
        (status = 404, description = "Resource not found.", body = ErrorJson),
        (status = 413, description = "Larger than `max_upload_bytes`", body = ErrorJson),
        (status = 422, description = "`The file is required.` / `The file must be an image.`", body = FieldErrors),
    ),
)]
pub async fn upload_avatar(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    body: Body,
) -> ApiResult<Json<UserJson>> {
    let user = state
        .services
        .user_to_update(&principal, user_id(&id)?)
        .await?;
    let bytes = read_body(body, state.http.max_upload_bytes).await?.to_vec();
    let user = state.services.upload_avatar(&user, bytes, &client).await?;
    Ok(Json(UserJson::new(user, &principal.settings)))
}

/// Points a user's avatar at an external image URL.
#[utoipa::path(
    put,
    path = "/api/users/{id}/avatar/external",
    operation_id = "external_user_avatar",
    tag = "users",
    params(("id" = i64, Path, description = "User id")),
    request_body(content(
        (ExternalAvatarBody = "application/json"),
        (ExternalAvatarBody = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "The updated user", body = UserJson),
        (status = 403, description = "Forbidden.", body = ErrorJson),
        (status = 404, description = "Resource not found.", body = ErrorJson),
        (status = 422, description = "`The url field is required.` / `The url format is invalid.`", body = FieldErrors),
    ),
)]
pub async fn external_avatar(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    input: Input,
) -> ApiResult<Json<UserJson>> {
    let user = state
        .services
        .user_to_update(&principal, user_id(&id)?)
        .await?;
    let mut errors = FieldErrors::default();
    let Some(url) = input.required_string("url", &mut errors) else {
        return Err(ApiError::Validation(errors));
    };
    let user = state
        .services
        .set_external_avatar(&user, &url, &client)
        .await?;
    Ok(Json(UserJson::new(user, &principal.settings)))
}

/// Removes a user's avatar.
#[utoipa::path(
    delete,
    path = "/api/users/{id}/avatar",
    operation_id = "remove_user_avatar",
    tag = "users",
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 200, description = "The updated user", body = UserJson),
        (status = 403, description = "Forbidden.", body = ErrorJson),
        (status = 404, description = "Resource not found.", body = ErrorJson),
    ),
)]
pub async fn remove_avatar(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
) -> ApiResult<Json<UserJson>> {
    let user = state
        .services
        .user_to_update(&principal, user_id(&id)?)
        .await?;
    let user = state.services.remove_avatar(&user, &client).await?;
    Ok(Json(UserJson::new(user, &principal.settings)))
}

/// Turns on codes by text message (`country_code`, `phone_number`) or, with
/// `"method": "email"`, by mail for a user.
#[utoipa::path(
    put,
    path = "/api/users/{id}/2fa",
    operation_id = "enable_user_2fa",
    tag = "users",
    params(("id" = i64, Path, description = "User id")),
    request_body(content(
        (EnableBody = "application/json"),
        (EnableBody = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "The updated user", body = UserJson),
        (status = 403, description = "Forbidden., or the tenant does not use 2FA", body = ErrorJson),
        (status = 404, description = "Resource not found.", body = ErrorJson),
        (status = 422, description = "`2FA is already enabled for this user.`, or invalid fields", body = ErrorJson),
    ),
)]
pub async fn enable_two_factor(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    input: Input,
) -> ApiResult<Json<UserJson>> {
    let id = user_id(&id)?;
    let mut errors = FieldErrors::default();
    let (method, phone) = enable_request(&input, &mut errors);
    errors.into_result()?;
    let user = state
        .services
        .enable_user_two_factor(&principal, id, method, phone, &client)
        .await?;
    Ok(Json(UserJson::new(user, &principal.settings)))
}

/// Turns a user's second factor off.
#[utoipa::path(
    delete,
    path = "/api/users/{id}/2fa",
    operation_id = "disable_user_2fa",
    tag = "users",
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 200, description = "The updated user", body = UserJson),
        (status = 403, description = "Forbidden., or the tenant does not use 2FA", body = ErrorJson),
        (status = 404, description = "Resource not found.", body = ErrorJson),
        (status = 422, description = "`2FA is not enabled for this user.`", body = ErrorJson),
    ),
)]
pub async fn disable_two_factor(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
) -> ApiResult<Json<UserJson>> {
    let user = state
        .services
        .disable_user_two_factor(&principal, user_id(&id)?, &client)
        .await?;
    Ok(Json(UserJson::new(user, &principal.settings)))
}
