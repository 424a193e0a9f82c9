//! The caller's second factor: `PUT`/`DELETE /api/me/2fa`, confirming an authenticator app,
//! and recovery codes.

use super::error::{ApiError, ApiResult};
use super::extract::Auth;
use super::json::UserJson;
use super::schema::ErrorJson;
use super::Input;
use crate::common::client::ClientAddr;
use crate::common::laravel::FieldErrors;
use crate::common::state::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use portcullis_core::account_changes::CURRENT_PASSWORD;
use portcullis_core::model::Method;
use portcullis_core::two_factor::Enrolment;
use portcullis_core::{Rule, Secret};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(ToSchema)]
#[allow(dead_code)] // describes the body; the handler reads it field by field
pub struct EnableBody {
    /// `totp` or `email`; leave it out (as document 001 does) and send a phone number for
    /// codes by text message.
    pub method: Option<String>,
    pub country_code: Option<i64>,
    pub phone_number: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct TotpSetupJson {
    /// Show it as a QR code for the authenticator app.
    otpauth_url: String,
    /// The same secret in base32, for typing in.
    secret: String,
}

#[derive(ToSchema)]
#[allow(dead_code)] // describes the body; the handler reads it field by field
pub struct CodeBody {
    pub code: String,
}

#[derive(Serialize, ToSchema)]
pub struct RecoveryCodesJson {
    /// Each logs in once in place of a code; shown only now.
    recovery_codes: Vec<String>,
}

fn codes(codes: Vec<Secret>) -> Json<RecoveryCodesJson> {
    Json(RecoveryCodesJson {
        recovery_codes: codes.iter().map(|c| c.expose().to_owned()).collect(),
    })
}

/// Turns on two-factor authentication: codes by text message (`country_code` and
/// `phone_number`), by mail (`"method": "email"`), or an authenticator app
/// (`"method": "totp"`, confirmed at `/api/me/2fa/verify`).
#[utoipa::path(
    put,
    path = "/api/me/2fa",
    tag = "two-factor",
    request_body(content(
        (EnableBody = "application/json"),
        (EnableBody = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "The user (text message, mail), or the authenticator-app secret", body = UserJson),
        (status = 403, description = "The tenant does not use 2FA, or the token lacks `update-profile`", body = ErrorJson),
        (status = 422, description = "`2FA is already enabled for this user.`, or invalid fields", body = ErrorJson),
    ),
)]
pub async fn enable(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ClientAddr(client): ClientAddr,
    input: Input,
) -> ApiResult<Response> {
    let mut errors = FieldErrors::default();
    let (method, phone) = enable_request(&input, &mut errors);
    let current_password = input.optional_secret(CURRENT_PASSWORD, &mut errors);
    errors.into_result()?;
    let current_password = current_password.map(Secret::new);
    let enrolment = state
        .services
        .enable_two_factor(
            &principal,
            method,
            phone,
            current_password.as_ref(),
            &client,
        )
        .await?;
    Ok(match enrolment {
        Enrolment::Enabled(user) => Json(UserJson::new(*user, &principal.settings)).into_response(),
        Enrolment::Totp {
            otpauth_url,
            secret,
        } => Json(TotpSetupJson {
            otpauth_url,
            secret: secret.expose().to_owned(),
        })
        .into_response(),
    })
}

/// The method and phone number of an enabling request: codes by text message unless
/// `method` names another.
pub fn enable_request(input: &Input, errors: &mut FieldErrors) -> (Method, Option<(i64, String)>) {
    let method = input.optional_string("method", errors);
    match method.as_deref().map(Method::parse) {
        Some(None) => {
            errors.add_rule("method", Rule::Unknown);
            (Method::Phone, None)
        }
        Some(Some(Method::Phone)) | None => {
            let country = input.optional_integer("country_code", errors);
            let number = input.optional_integer("phone_number", errors);
            if !country.is_some_and(|c| (1..=999).contains(&c)) {
                errors.add_rule("country_code", Rule::Required);
            }
            if !number.is_some_and(|n| (1..=999_999_999_999_999).contains(&n)) {
                errors.add_rule("phone_number", Rule::Required);
            }
            (Method::Phone, country.zip(number.map(|n| n.to_string())))
        }
        Some(Some(method)) => (method, None),
    }
}

/// Confirms an authenticator-app setup with its first code; answers the recovery codes.
#[utoipa::path(
    post,
    path = "/api/me/2fa/verify",
    tag = "two-factor",
    request_body(content(
        (CodeBody = "application/json"),
        (CodeBody = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "Enabled", body = RecoveryCodesJson),
        (status = 422, description = "A wrong code, or no setup pending", body = FieldErrors),
    ),
)]
pub async fn verify(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ClientAddr(client): ClientAddr,
    input: Input,
) -> ApiResult<Json<RecoveryCodesJson>> {
    let mut errors = FieldErrors::default();
    let Some(code) = input.required_string("code", &mut errors) else {
        return Err(ApiError::Validation(errors));
    };
    let recovery = state
        .services
        .confirm_totp(&principal, &code, &client)
        .await?;
    Ok(codes(recovery))
}

/// Issues new recovery codes; the old ones stop working.
#[utoipa::path(
    post,
    path = "/api/me/2fa/recovery-codes",
    tag = "two-factor",
    responses(
        (status = 200, description = "New codes, shown once", body = RecoveryCodesJson),
        (status = 422, description = "`2FA is not enabled for this user.`", body = ErrorJson),
    ),
)]
pub async fn recovery_codes(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ClientAddr(client): ClientAddr,
    input: Input,
) -> ApiResult<Json<RecoveryCodesJson>> {
    let current_password = current_password(&input)?;
    let recovery = state
        .services
        .new_recovery_codes(&principal, current_password.as_ref(), &client)
        .await?;
    Ok(codes(recovery))
}

/// Turns two-factor authentication off.
#[utoipa::path(
    delete,
    path = "/api/me/2fa",
    tag = "two-factor",
    responses(
        (status = 200, description = "The user", body = UserJson),
        (status = 403, description = "The tenant does not use 2FA, or the token lacks `update-profile`", body = ErrorJson),
        (status = 422, description = "`2FA is not enabled for this user.`", body = ErrorJson),
    ),
)]
pub async fn disable(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ClientAddr(client): ClientAddr,
    input: Input,
) -> ApiResult<Json<UserJson>> {
    let current_password = current_password(&input)?;
    let user = state
        .services
        .disable_two_factor(&principal, current_password.as_ref(), &client)
        .await?;
    Ok(Json(UserJson::new(user, &principal.settings)))
}

/// The step-up's `current_password`, where the tenant asks for one (see
/// [`portcullis_core::account_changes`]).
fn current_password(input: &Input) -> ApiResult<Option<Secret>> {
    let mut errors = FieldErrors::default();
    let password = input.optional_secret(CURRENT_PASSWORD, &mut errors);
    errors.into_result()?;
    Ok(password.map(Secret::new))
}
