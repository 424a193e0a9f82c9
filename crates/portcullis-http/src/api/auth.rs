//! `POST /api/login` and `POST /api/logout`.

use super::error::{ApiError, ApiResult, FieldErrors};
use super::extract::{Auth, HostTenant};
use super::input::Input;
use crate::{AppState, ClientAddr};
use axum::extract::State;
use axum::Json;
use portcullis_core::auth::LoginRequest;
use portcullis_core::Secret;
use serde_json::{json, Value};

pub async fn login(
    State(state): State<AppState>,
    HostTenant(tenant): HostTenant,
    ClientAddr(client): ClientAddr,
    input: Input,
) -> ApiResult<Json<Value>> {
    let mut errors = FieldErrors::default();
    let username = input.required_string("username", &mut errors);
    let password = input.required_secret("password", &mut errors);
    let device_name = input.optional_string("device_name", &mut errors);
    let (Some(login), Some(password), true) = (username, password, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let issued = state
        .services
        .login(
            &tenant,
            LoginRequest {
                login,
                password: Secret::new(password),
                client,
                client_name: device_name.unwrap_or_else(|| "api".to_owned()),
            },
        )
        .await?;
    Ok(Json(json!({ "token": issued.bearer.expose() })))
}

pub async fn logout(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ClientAddr(client): ClientAddr,
) -> ApiResult<Json<Value>> {
    state.services.logout(&principal, &client).await?;
    Ok(Json(json!({ "success": true })))
}
