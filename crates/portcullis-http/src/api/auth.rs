//! `POST /api/login` and `POST /api/logout`.

use super::error::{ApiError, ApiResult};
use super::extract::{Auth, HostTenant};
use super::schema::{
    ErrorJson, LoginBody, LoginJson, SecondFactorBody, SocialLoginBody, SuccessJson, TokenJson,
};
use super::Input;
use crate::common::client::ClientAddr;
use crate::common::laravel::FieldErrors;
use crate::common::state::AppState;
use axum::extract::State;
use axum::Json;
use portcullis_core::auth::LoginRequest;
use portcullis_core::model::SessionClient;
use portcullis_core::Secret;

/// Logs in with a username or email and a password, opening a session.
#[utoipa::path(
    post,
    path = "/api/login",
    tag = "auth",
    request_body(content(
        (LoginBody = "application/json"),
        (LoginBody = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "A new session's token, or, for an account with a second factor, a challenge to complete at `/api/login/2fa`", body = LoginJson),
        (status = 401, description = "`Invalid credentials.`", body = ErrorJson),
        (status = 403, description = "The account is banned", body = ErrorJson),
        (status = 422, description = "Missing or mistyped fields", body = FieldErrors),
        (status = 429, description = "Too many failed attempts from this address or for this login (`throttle_attempts` per `throttle_lockout_time` minutes): `Too many login attempts. Please try again in N seconds.`, with `Retry-After: N`", body = ErrorJson),
        (status = 503, description = "Too many logins at once (the password pool is full), or the database is unavailable; see `Retry-After`", body = ErrorJson),
    ),
)]
pub async fn login(
    State(state): State<AppState>,
    HostTenant { tenant, .. }: HostTenant,
    ClientAddr(client): ClientAddr,
    input: Input,
) -> ApiResult<Json<LoginJson>> {
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
    Ok(Json(LoginJson::from(issued)))
}

/// Logs in with a social network's access token, creating the account when the tenant takes
/// sign-ups.
#[utoipa::path(
    post,
    path = "/api/login/social",
    tag = "auth",
    request_body(content(
        (SocialLoginBody = "application/json"),
        (SocialLoginBody = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "A new session's token, or a second-factor challenge", body = LoginJson),
        (status = 403, description = "Banned, or `Only users who already created an account can log in.`", body = ErrorJson),
        (status = 422, description = "Missing fields or an unknown network", body = FieldErrors),
        (status = 500, description = "`Could not connect to specified social network.`", body = ErrorJson),
    ),
)]
pub async fn social(
    State(state): State<AppState>,
    HostTenant { tenant, .. }: HostTenant,
    ClientAddr(client): ClientAddr,
    input: Input,
) -> ApiResult<Json<LoginJson>> {
    let mut errors = FieldErrors::default();
    let network = input.required_string("network", &mut errors);
    let token = input.required_secret("social_token", &mut errors);
    let (Some(network), Some(token), true) = (network, token, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let outcome = state
        .services
        .social_login(&tenant, &network, &token, &client)
        .await?;
    Ok(Json(LoginJson::from(outcome)))
}

/// Completes a login that asked for a second factor.
#[utoipa::path(
    post,
    path = "/api/login/2fa",
    tag = "auth",
    request_body(content(
        (SecondFactorBody = "application/json"),
        (SecondFactorBody = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "A new session's token", body = TokenJson),
        (status = 403, description = "The account is banned", body = ErrorJson),
        (status = 401, description = "A passkey answer that does not verify", body = ErrorJson),
        (status = 422, description = "A wrong code, or an unknown, used or expired challenge", body = FieldErrors),
    ),
)]
pub async fn second_factor(
    State(state): State<AppState>,
    HostTenant { tenant, .. }: HostTenant,
    ClientAddr(client): ClientAddr,
    transport: crate::common::client::Transport,
    input: Input,
) -> ApiResult<Json<TokenJson>> {
    let mut errors = FieldErrors::default();
    let challenge = input.required_string("challenge", &mut errors);
    let services = &state.services;
    let issued = if input.has("credential") {
        let answer = super::passkeys::answer(&input, &mut errors);
        let (Some(challenge), Some(answer), true) = (challenge, answer, errors.is_empty()) else {
            return Err(ApiError::Validation(errors));
        };
        let plain_http = !transport.https;
        let named = SessionClient::Named;
        services
            .complete_login_with_passkey(&tenant, &challenge, &answer, &client, named, plain_http)
            .await?
    } else {
        let code = input.required_string("code", &mut errors);
        let (Some(challenge), Some(code), true) = (challenge, code, errors.is_empty()) else {
            return Err(ApiError::Validation(errors));
        };
        services
            .complete_login(&tenant, &challenge, &code, &client, SessionClient::Named)
            .await?
    };
    Ok(Json(TokenJson {
        token: issued.bearer.expose().to_owned(),
    }))
}

/// Ends the token's session and revokes every token it issued.
#[utoipa::path(
    post,
    path = "/api/logout",
    tag = "auth",
    responses(
        (status = 200, description = "Logged out", body = SuccessJson),
    ),
)]
pub async fn logout(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ClientAddr(client): ClientAddr,
) -> ApiResult<Json<SuccessJson>> {
    state.services.logout(&principal, &client).await?;
    Ok(Json(SuccessJson { success: true }))
}
