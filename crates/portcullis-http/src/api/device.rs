//! Document 000's device endpoint, `POST /api/sanctum/token`: email and password in, a
//! full-access token out. Off unless the operator turns it on.

use super::error::{ApiError, ApiResult};
use super::extract::HostTenant;
use super::schema::{ErrorJson, TokenJson};
use super::Input;
use crate::common::client::ClientAddr;
use crate::common::laravel::FieldErrors;
use crate::common::state::AppState;
use axum::extract::State;
use axum::Json;
use portcullis_core::auth::device_name_problem;
use portcullis_core::{Error, Secret};
use utoipa::ToSchema;

/// `POST /api/sanctum/token`, as JSON or as a form.
#[derive(ToSchema)]
#[allow(dead_code)] // describes the body; the handler reads it field by field
pub struct DeviceTokenBody {
    #[schema(example = "user@example.com")]
    email: String,
    password: String,
    /// Names the session, e.g. `iPhone 16 Pro`.
    #[schema(example = "iPhone 16 Pro")]
    device_name: String,
}

/// Trades an email and password for a token with every scope, named after the device.
#[utoipa::path(
    post,
    path = "/api/sanctum/token",
    operation_id = "device_token",
    tag = "auth",
    request_body(content(
        (DeviceTokenBody = "application/json"),
        (DeviceTokenBody = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "A full-access token for the device", body = TokenJson),
        (status = 403, description = "The account is banned", body = ErrorJson),
        (status = 404, description = "The endpoint is turned off (`ENABLE_DEVICE_AUTH_ENDPOINT`)", body = ErrorJson),
        (status = 422, description = "Missing fields, or wrong credentials (on `email`)", body = FieldErrors),
        (status = 429, description = "Too many failed attempts from this address or for this login: `Too many login attempts. Please try again in N seconds.`, with `Retry-After: N`", body = ErrorJson),
    ),
)]
pub async fn token(
    State(state): State<AppState>,
    HostTenant { tenant, .. }: HostTenant,
    ClientAddr(client): ClientAddr,
    input: Result<Input, ApiError>,
) -> ApiResult<Json<TokenJson>> {
    // Before anything about the body, so a turned-off endpoint looks like no route at all.
    state.services.device_endpoint_open()?;
    let input = input?;
    let mut errors = FieldErrors::default();
    let email = input.required_string("email", &mut errors);
    let password = input.required_secret("password", &mut errors);
    let device_name = input.required_string("device_name", &mut errors);
    if let Some(problem) = device_name.as_deref().and_then(device_name_problem) {
        errors.add_error(&problem);
    }
    let (Some(email), Some(password), Some(device_name), true) =
        (email, password, device_name, errors.is_empty())
    else {
        return Err(ApiError::Validation(errors));
    };
    let issued = state
        .services
        .device_login(
            &tenant,
            &email,
            &Secret::new(password),
            &device_name,
            &client,
        )
        .await
        .map_err(|error| match error {
            Error::InvalidCredentials => {
                let mut errors = FieldErrors::default();
                errors.add("email", "The provided credentials are incorrect.");
                ApiError::Validation(errors)
            }
            other => other.into(),
        })?;
    Ok(Json(TokenJson {
        token: issued.bearer.expose().to_owned(),
    }))
}
