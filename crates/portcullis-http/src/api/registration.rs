//! `POST /api/register` and `POST /api/registration/verify-email/{token}`.

use super::error::{ApiError, ApiResult};
use super::extract::HostTenant;
use super::schema::{ErrorJson, SuccessJson};
use super::Input;
use crate::common::client::ClientAddr;
use crate::common::laravel::FieldErrors;
use crate::common::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use portcullis_core::lifecycle::{self, CaptchaAnswer, Registration};
use portcullis_core::{Error, Secret};
use serde::Serialize;
use utoipa::ToSchema;

/// `POST /api/register`, as JSON or as a form.
#[derive(ToSchema)]
#[allow(dead_code)] // describes the body; the handler reads it field by field
pub struct RegisterBody {
    pub username: String,
    pub email: String,
    pub password: String,
    pub password_confirmation: String,
    /// Required when the tenant turned registration captcha on.
    #[schema(rename = "g-recaptcha-response")]
    pub g_recaptcha_response: Option<String>,
    /// Required when the tenant has Terms of Service.
    pub tos: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct RegisteredJson {
    /// When true, the user got a mail and must confirm the address before logging in.
    requires_email_confirmation: bool,
}

/// Creates an account, when the tenant allows sign-ups.
#[utoipa::path(
    post,
    path = "/api/register",
    tag = "registration",
    request_body(content(
        (RegisterBody = "application/json"),
        (RegisterBody = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 201, description = "Registered", body = RegisteredJson),
        (status = 404, description = "Registration is off", body = ErrorJson),
        (status = 422, description = "Invalid fields", body = FieldErrors),
        (status = 429, description = "Too many sign-ups and reset requests from this address (`throttle_attempts` per `throttle_lockout_time` minutes): `Too many requests for emails. Please try again in N seconds.`, with `Retry-After: N`", body = ErrorJson),
    ),
)]
pub async fn register(
    State(state): State<AppState>,
    HostTenant { tenant, .. }: HostTenant,
    ClientAddr(client): ClientAddr,
    input: Input,
) -> ApiResult<(StatusCode, Json<RegisteredJson>)> {
    lifecycle::registration_open(&tenant)?;
    let mut errors = FieldErrors::default();
    let email = input.required_string("email", &mut errors);
    let username = input.required_string("username", &mut errors);
    let password = match tenant.settings.is_passwordless() {
        // A passwordless tenant's accounts make a passkey instead (see `Services::register`).
        true => Some(
            input
                .optional_secret("password", &mut errors)
                .unwrap_or_default(),
        ),
        false => input.required_secret("password", &mut errors),
    };
    let confirmation = input.optional_secret("password_confirmation", &mut errors);
    let captcha = input.optional_string("g-recaptcha-response", &mut errors);
    let (Some(email), Some(password), true) = (email, password, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let registered = state
        .services
        .register(
            &tenant,
            Registration {
                username,
                email,
                password: Secret::new(password),
                password_confirmation: Secret::new(confirmation.unwrap_or_default()),
                tos_accepted: input.accepted("tos"),
                captcha: captcha.map(CaptchaAnswer::Token),
                client,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(RegisteredJson {
            requires_email_confirmation: registered.requires_email_confirmation,
        }),
    ))
}

/// Confirms an email address with the token from the registration mail.
#[utoipa::path(
    post,
    path = "/api/registration/verify-email/{token}",
    tag = "registration",
    params(("token" = String, Path, description = "The token from the confirmation mail")),
    responses(
        (status = 200, description = "Confirmed", body = SuccessJson),
        (status = 400, description = "`Invalid confirmation token.`", body = ErrorJson),
        (status = 404, description = "The tenant does not require confirmation", body = ErrorJson),
    ),
)]
pub async fn verify_email(
    State(state): State<AppState>,
    HostTenant { tenant, .. }: HostTenant,
    ClientAddr(client): ClientAddr,
    Path(token): Path<String>,
) -> ApiResult<Json<SuccessJson>> {
    state
        .services
        .verify_email(&tenant, &token, &client)
        .await
        .map_err(|error| match error {
            Error::InvalidToken => ApiError::BadRequest("Invalid confirmation token."),
            other => other.into(),
        })?;
    Ok(Json(SuccessJson { success: true }))
}
