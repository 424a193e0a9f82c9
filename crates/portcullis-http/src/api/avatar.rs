//! `PUT /api/me/avatar` (raw image bytes), `PUT /api/me/avatar/external`, and the public
//! `GET /api/avatars/{name}` that serves uploads.

use super::error::{ApiError, ApiResult};
use super::extract::Auth;
use super::json::UserJson;
use super::schema::ErrorJson;
use super::Input;
use crate::common::body::read_body;
use crate::common::client::ClientAddr;
use crate::common::laravel::FieldErrors;
use crate::common::state::AppState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use utoipa::ToSchema;

#[derive(ToSchema)]
#[allow(dead_code)] // describes the body; the handler reads it field by field
pub struct ExternalAvatarBody {
    /// An absolute `http(s)` URL of an image.
    pub url: String,
}

/// Sets the caller's avatar from the raw bytes of a PNG, JPEG, GIF or WebP image, which is
/// cropped to a square, scaled to 160×160 and stored as PNG.
#[utoipa::path(
    put,
    path = "/api/me/avatar",
    tag = "profile",
    request_body(content(
        ("image/png"), ("image/jpeg"), ("image/gif"), ("image/webp"),
    )),
    responses(
        (status = 200, description = "The updated user", body = UserJson),
        (status = 403, description = "The token lacks the `update-profile` scope", body = ErrorJson),
        (status = 413, description = "Larger than `max_upload_bytes`", body = ErrorJson),
        (status = 422, description = "`The file is required.` / `The file must be an image.`", body = FieldErrors),
        (status = 503, description = "Too many images being decoded at once; see `Retry-After`", body = ErrorJson),
    ),
)]
pub async fn upload(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ClientAddr(client): ClientAddr,
    body: Body,
) -> ApiResult<Json<UserJson>> {
    let bytes = read_body(body, state.http.max_upload_bytes).await?.to_vec();
    let user = state
        .services
        .upload_own_avatar(&principal, bytes, &client)
        .await?;
    Ok(Json(UserJson::new(user, &principal.settings)))
}

/// Sets the caller's avatar to an external image URL.
#[utoipa::path(
    put,
    path = "/api/me/avatar/external",
    tag = "profile",
    request_body(content(
        (ExternalAvatarBody = "application/json"),
        (ExternalAvatarBody = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "The updated user", body = UserJson),
        (status = 403, description = "The token lacks the `update-profile` scope", body = ErrorJson),
        (status = 422, description = "`The url field is required.` / `The url format is invalid.`", body = FieldErrors),
    ),
)]
pub async fn external(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ClientAddr(client): ClientAddr,
    input: Input,
) -> ApiResult<Json<UserJson>> {
    let mut errors = FieldErrors::default();
    let Some(url) = input.required_string("url", &mut errors) else {
        return Err(ApiError::Validation(errors));
    };
    let user = state
        .services
        .set_own_external_avatar(&principal, &url, &client)
        .await?;
    Ok(Json(UserJson::new(user, &principal.settings)))
}

/// An uploaded avatar image; public, so pages can show it.
#[utoipa::path(
    get,
    path = "/api/avatars/{name}",
    tag = "profile",
    params(("name" = String, Path, description = "The name in the user's `avatar` URL")),
    responses(
        (status = 200, description = "The image", content_type = "image/png"),
        (status = 404, description = "No such avatar", body = ErrorJson),
    ),
)]
pub async fn serve(State(state): State<AppState>, Path(name): Path<String>) -> ApiResult<Response> {
    let image = state
        .services
        .avatar(&name)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, image.content_type),
            // A new upload gets a new name, so a name's content never changes.
            (
                header::CACHE_CONTROL,
                "public, max-age=31536000, immutable".to_owned(),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        image.bytes,
    )
        .into_response())
}
