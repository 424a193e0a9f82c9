//! `POST /api/password/remind` and `POST /api/password/reset`.

use super::error::{ApiError, ApiResult};
use super::extract::HostTenant;
use super::schema::{ErrorJson, SuccessJson};
use super::Input;
use crate::common::client::ClientAddr;
use crate::common::laravel::FieldErrors;
use crate::common::state::AppState;
use axum::extract::State;
use axum::Json;
use portcullis_core::lifecycle::{self, PasswordReset};
use portcullis_core::{Error, Secret};
use utoipa::ToSchema;

#[derive(ToSchema)]
#[allow(dead_code)] // describes the body; the handler reads it field by field
pub struct RemindBody {
    pub email: String,
}

#[derive(ToSchema)]
#[allow(dead_code)] // describes the body; the handler reads it field by field
pub struct ResetBody {
    /// The token from the reset mail.
    pub token: String,
    pub email: String,
    pub password: String,
    pub password_confirmation: String,
}

/// Mails a password-reset token to the account with this email.
#[utoipa::path(
    post,
    path = "/api/password/remind",
    tag = "password",
    request_body(content(
        (RemindBody = "application/json"),
        (RemindBody = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "Mail queued", body = SuccessJson),
        (status = 404, description = "Password resets are off", body = ErrorJson),
        (status = 422, description = "Missing, invalid or unknown email", body = FieldErrors),
        (status = 429, description = "Too many sign-ups and reset requests from this address (`throttle_attempts` per `throttle_lockout_time` minutes), or more than 3 reset mails for the account in that time: `Too many requests for emails. Please try again in N seconds.`, with `Retry-After: N`", body = ErrorJson),
    ),
)]
pub async fn remind(
    State(state): State<AppState>,
    HostTenant { tenant, .. }: HostTenant,
    ClientAddr(client): ClientAddr,
    input: Input,
) -> ApiResult<Json<SuccessJson>> {
    lifecycle::password_resets_open(&tenant)?;
    let mut errors = FieldErrors::default();
    let Some(email) = input.required_string("email", &mut errors) else {
        return Err(ApiError::Validation(errors));
    };
    state
        .services
        .remind_password(&tenant, &email, &client)
        .await?;
    Ok(Json(SuccessJson { success: true }))
}

/// Sets a new password with the token from the reset mail; ends every session of the account.
#[utoipa::path(
    post,
    path = "/api/password/reset",
    tag = "password",
    request_body(content(
        (ResetBody = "application/json"),
        (ResetBody = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "Password changed", body = SuccessJson),
        (status = 400, description = "`This password reset token is invalid.`", body = ErrorJson),
        (status = 404, description = "Password resets are off", body = ErrorJson),
        (status = 422, description = "Invalid fields", body = FieldErrors),
    ),
)]
pub async fn reset(
    State(state): State<AppState>,
    HostTenant { tenant, .. }: HostTenant,
    ClientAddr(client): ClientAddr,
    input: Input,
) -> ApiResult<Json<SuccessJson>> {
    lifecycle::password_resets_open(&tenant)?;
    let mut errors = FieldErrors::default();
    let token = input.required_string("token", &mut errors);
    let email = input.required_string("email", &mut errors);
    let password = input.required_secret("password", &mut errors);
    let confirmation = input.optional_secret("password_confirmation", &mut errors);
    let (Some(token), Some(email), Some(password), true) =
        (token, email, password, errors.is_empty())
    else {
        return Err(ApiError::Validation(errors));
    };
    state
        .services
        .reset_password(
            &tenant,
            PasswordReset {
                token,
                email,
                password: Secret::new(password),
                password_confirmation: Secret::new(confirmation.unwrap_or_default()),
                client,
            },
        )
        .await
        .map_err(|error| match error {
            Error::InvalidToken => ApiError::BadRequest("This password reset token is invalid."),
            other => other.into(),
        })?;
    Ok(Json(SuccessJson { success: true }))
}
