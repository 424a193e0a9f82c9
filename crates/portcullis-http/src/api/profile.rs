//! `PATCH /api/me/details` and `PATCH /api/me/details/auth`.

use super::error::{ApiError, ApiResult};
use super::extract::Auth;
use super::json::UserJson;
use super::schema::ErrorJson;
use super::Input;
use crate::common::client::ClientAddr;
use crate::common::laravel::FieldErrors;
use crate::common::state::AppState;
use axum::extract::State;
use axum::Json;
use portcullis_core::account_changes::CredentialsChange;
use portcullis_core::model::DetailsChange;
use portcullis_core::Secret;
use utoipa::ToSchema;

#[derive(ToSchema)]
#[allow(dead_code)] // describes the body; the handler reads it field by field
pub struct DetailsBody {
    #[schema(max_length = 255)]
    pub first_name: Option<String>,
    #[schema(max_length = 255)]
    pub last_name: Option<String>,
    /// `YYYY-MM-DD`.
    pub birthday: Option<String>,
    #[schema(max_length = 50)]
    pub phone: Option<String>,
    #[schema(max_length = 255)]
    pub address: Option<String>,
    pub country_id: Option<i64>,
}

#[derive(ToSchema)]
#[allow(dead_code)] // describes the body; the handler reads it field by field
pub struct CredentialsBody {
    pub email: String,
    pub username: Option<String>,
    /// A new password, if it changes; ends every other session.
    pub password: Option<String>,
    pub password_confirmation: Option<String>,
}

/// Changes any of the caller's profile details; fields left out stay as they are, `null`
/// clears one.
#[utoipa::path(
    patch,
    path = "/api/me/details",
    tag = "profile",
    request_body(content(
        (DetailsBody = "application/json"),
        (DetailsBody = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "The updated user", body = UserJson),
        (status = 403, description = "The token lacks the `update-profile` scope", body = ErrorJson),
        (status = 422, description = "Invalid fields", body = FieldErrors),
    ),
)]
pub async fn update_details(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ClientAddr(client): ClientAddr,
    input: Input,
) -> ApiResult<Json<UserJson>> {
    let mut errors = FieldErrors::default();
    let change = details_change(&input, &mut errors);
    errors.into_result()?;
    let user = state
        .services
        .update_details(&principal, change, &client)
        .await?;
    Ok(Json(UserJson::new(user, &principal.settings)))
}

/// The profile fields of a body, shared by the caller's own and the administrators' paths.
pub fn details_change(input: &Input, errors: &mut FieldErrors) -> DetailsChange {
    DetailsChange {
        first_name: input.nullable_string("first_name", 255, errors),
        last_name: input.nullable_string("last_name", 255, errors),
        birthday: input.nullable_date("birthday", errors),
        phone: input.nullable_string("phone", 50, errors),
        address: input.nullable_string("address", 255, errors),
        country_id: input.nullable_integer("country_id", errors),
    }
}

/// Changes the caller's email, username and, when given, password.
#[utoipa::path(
    patch,
    path = "/api/me/details/auth",
    tag = "profile",
    request_body(content(
        (CredentialsBody = "application/json"),
        (CredentialsBody = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "The updated user", body = UserJson),
        (status = 403, description = "The token lacks the `update-profile` scope", body = ErrorJson),
        (status = 422, description = "Invalid or taken fields", body = FieldErrors),
    ),
)]
pub async fn update_credentials(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ClientAddr(client): ClientAddr,
    input: Input,
) -> ApiResult<Json<UserJson>> {
    let mut errors = FieldErrors::default();
    let email = input.required_string("email", &mut errors);
    let username = input.nullable_string("username", 255, &mut errors);
    let password = input.optional_secret("password", &mut errors);
    let confirmation = input.optional_secret("password_confirmation", &mut errors);
    let current_password = input.optional_secret("current_password", &mut errors);
    let (Some(email), true) = (email, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let change = CredentialsChange {
        email,
        username,
        password: password.map(|p| {
            (
                Secret::new(p),
                Secret::new(confirmation.unwrap_or_default()),
            )
        }),
        current_password: current_password.map(Secret::new),
        always_confirm: false,
        client,
    };
    let user = state
        .services
        .update_credentials(&principal, change)
        .await?;
    Ok(Json(UserJson::new(user, &principal.settings)))
}
