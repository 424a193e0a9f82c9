//! Passkeys through the account API: the caller's own (`/api/me/passkeys`: the registration
//! ceremony, list, rename, remove) and signing in with one (`/api/login/passkey`). The
//! ceremonies' options are WebAuthn's own JSON, ready for `navigator.credentials.create()` or
//! `.get()` once their binary members are decoded from base64url, with the `challenge_id` to
//! send back with the answer.

use super::error::{ApiError, ApiResult};
use super::extract::{path_id, Auth, HostTenant};
use super::schema::{ErrorJson, LoginJson, SuccessJson, TokenJson};
use super::Input;
use crate::common::client::{ClientAddr, Transport};
use crate::common::laravel::{timestamp, FieldErrors};
use crate::common::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use portcullis_core::account_changes::CURRENT_PASSWORD;
use portcullis_core::ids::PasskeyId;
use portcullis_core::model::{Passkey, SessionClient};
use portcullis_core::passkeys::{Answer, Begun};
use portcullis_core::Secret;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// A passkey as its owner sees it: never its key material.
#[derive(Serialize, ToSchema)]
#[schema(as = Passkey)]
pub struct PasskeyJson {
    id: i64,
    name: String,
    /// The authenticator model, when it says (all zeros when it does not).
    aaguid: String,
    /// Whether the passkey may be synchronised between devices, and is.
    backup_eligible: bool,
    backed_up: bool,
    #[schema(example = "2026-11-27 12:00:00")]
    created_at: String,
    last_used_at: Option<String>,
}

impl From<Passkey> for PasskeyJson {
    fn from(passkey: Passkey) -> Self {
        Self {
            id: passkey.id.0,
            name: passkey.name,
            aaguid: passkey.aaguid,
            backup_eligible: passkey.backup_eligible,
            backed_up: passkey.backed_up,
            created_at: timestamp(passkey.created_at),
            last_used_at: passkey.last_used_at.map(timestamp),
        }
    }
}

/// A ceremony's options.
#[derive(Serialize, ToSchema)]
#[schema(as = PasskeyOptions)]
pub struct OptionsJson {
    /// Send it back with the answer; good once, for five minutes.
    challenge_id: String,
    /// `PublicKeyCredentialCreationOptions` or `PublicKeyCredentialRequestOptions`, binary
    /// members in base64url.
    #[serde(rename = "publicKey")]
    #[schema(value_type = Object)]
    public_key: Value,
}

impl From<Begun> for OptionsJson {
    fn from(begun: Begun) -> Self {
        Self {
            challenge_id: begun.handle.expose().to_owned(),
            public_key: begun.public_key,
        }
    }
}

#[derive(ToSchema)]
#[allow(dead_code)] // describes the body; the handler reads it field by field
pub struct RegisterOptionsBody {
    /// Needed where the tenant sets `reauth_seconds` and the sign-in is older.
    current_password: Option<String>,
}

#[derive(ToSchema)]
#[allow(dead_code)] // describes the body; the handler reads it field by field
#[schema(as = PasskeyBody)] // not `POST /api/register`'s body: one name, one schema
pub struct RegisterBody {
    challenge_id: String,
    /// What the owner calls it (at most 100 characters).
    name: String,
    /// The `PublicKeyCredential` `navigator.credentials.create()` returned, as its `toJSON()`
    /// writes it (in a form: that JSON as a string).
    #[schema(value_type = Object)]
    credential: Value,
}

#[derive(ToSchema)]
#[allow(dead_code)] // describes the body; the handler reads it field by field
pub struct RenameBody {
    name: String,
}

#[derive(ToSchema)]
#[allow(dead_code)] // describes the body; the handler reads it field by field
pub struct PasskeyLoginBody {
    challenge_id: String,
    /// The `PublicKeyCredential` `navigator.credentials.get()` returned, as its `toJSON()`
    /// writes it.
    #[schema(value_type = Object)]
    credential: Value,
    /// Names the session, as at `/api/login`.
    device_name: Option<String>,
}

/// A ceremony's answer from the body.
pub(super) fn answer(input: &Input, errors: &mut FieldErrors) -> Option<Answer> {
    let handle = input.required_string("challenge_id", errors);
    let credential = input.required_object("credential", errors);
    Some(Answer {
        handle: Secret::new(handle?),
        credential: credential?,
    })
}

/// The caller's passkeys, oldest first.
#[utoipa::path(
    get,
    path = "/api/me/passkeys",
    operation_id = "list_passkeys",
    tag = "passkeys",
    responses((status = 200, description = "The passkeys", body = Vec<PasskeyJson>)),
)]
pub async fn list(
    State(state): State<AppState>,
    Auth(principal): Auth,
) -> ApiResult<Json<Vec<PasskeyJson>>> {
    let passkeys = state.services.passkeys(&principal).await?;
    Ok(Json(passkeys.into_iter().map(PasskeyJson::from).collect()))
}

/// Begins adding a passkey: a sensitive change, so only a login session's token may, with
/// `current_password` where the tenant sets `reauth_seconds` and the sign-in is older.
#[utoipa::path(
    post,
    path = "/api/me/passkeys/register/options",
    operation_id = "passkey_registration_options",
    tag = "passkeys",
    request_body(content(
        (RegisterOptionsBody = "application/json"),
        (RegisterOptionsBody = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "Options for `navigator.credentials.create()`", body = OptionsJson),
        (status = 403, description = "`Passkeys are turned off for this tenant.`, or not a login session's token", body = ErrorJson),
        (status = 422, description = "`current_password` missing or wrong", body = FieldErrors),
    ),
)]
pub async fn register_options(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ClientAddr(client): ClientAddr,
    transport: Transport,
    input: Input,
) -> ApiResult<Json<OptionsJson>> {
    let mut errors = FieldErrors::default();
    let current = input.optional_secret(CURRENT_PASSWORD, &mut errors);
    errors.into_result()?;
    let begun = state
        .services
        .begin_passkey_registration(
            &principal,
            current.map(Secret::new).as_ref(),
            &client,
            !transport.https,
        )
        .await?;
    Ok(Json(begun.into()))
}

/// Finishes adding a passkey with the browser's answer.
#[utoipa::path(
    post,
    path = "/api/me/passkeys",
    operation_id = "register_passkey",
    tag = "passkeys",
    request_body(content(
        (RegisterBody = "application/json"),
        (RegisterBody = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 201, description = "The new passkey", body = PasskeyJson),
        (status = 403, description = "Passkeys are off, or the key is not one the tenant accepts", body = ErrorJson),
        (status = 409, description = "`This passkey is already registered.`", body = ErrorJson),
        (status = 422, description = "A missing name, an unknown or spent `challenge_id`, or a credential that does not verify", body = FieldErrors),
    ),
)]
pub async fn register(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ClientAddr(client): ClientAddr,
    transport: Transport,
    input: Input,
) -> ApiResult<(StatusCode, Json<PasskeyJson>)> {
    let mut errors = FieldErrors::default();
    let name = input.required_string("name", &mut errors);
    let answer = answer(&input, &mut errors);
    let (Some(name), Some(answer), true) = (name, answer, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let passkey = state
        .services
        .finish_passkey_registration(&principal, &answer, &name, &client, !transport.https)
        .await?;
    Ok((StatusCode::CREATED, Json(passkey.into())))
}

/// Renames one of the caller's passkeys.
#[utoipa::path(
    patch,
    path = "/api/me/passkeys/{id}",
    operation_id = "rename_passkey",
    tag = "passkeys",
    params(("id" = i64, Path, description = "Passkey id")),
    request_body(content(
        (RenameBody = "application/json"),
        (RenameBody = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "The passkey", body = PasskeyJson),
        (status = 404, description = "No such passkey of the caller's", body = ErrorJson),
        (status = 422, description = "A missing or too long name", body = FieldErrors),
    ),
)]
pub async fn rename(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    input: Input,
) -> ApiResult<Json<PasskeyJson>> {
    let id = PasskeyId(path_id(&id)?);
    let mut errors = FieldErrors::default();
    let name = input.required_string("name", &mut errors);
    let (Some(name), true) = (name, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let passkey = state
        .services
        .rename_passkey(&principal, id, &name, &client)
        .await?;
    Ok(Json(passkey.into()))
}

/// Removes one of the caller's passkeys: a sensitive change, like adding one.
#[utoipa::path(
    delete,
    path = "/api/me/passkeys/{id}",
    operation_id = "remove_passkey",
    tag = "passkeys",
    params(("id" = i64, Path, description = "Passkey id")),
    responses(
        (status = 200, description = "Removed", body = SuccessJson),
        (status = 403, description = "Not a login session's token", body = ErrorJson),
        (status = 404, description = "No such passkey of the caller's", body = ErrorJson),
        (status = 422, description = "`current_password` missing or wrong", body = FieldErrors),
    ),
)]
pub async fn remove(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    input: Input,
) -> ApiResult<Json<SuccessJson>> {
    let id = PasskeyId(path_id(&id)?);
    let mut errors = FieldErrors::default();
    let current = input.optional_secret(CURRENT_PASSWORD, &mut errors);
    errors.into_result()?;
    state
        .services
        .remove_passkey(&principal, id, current.map(Secret::new).as_ref(), &client)
        .await?;
    Ok(Json(SuccessJson { success: true }))
}

/// Begins a sign-in with a passkey: no username, the authenticator offers the passkeys it
/// holds for this host.
#[utoipa::path(
    post,
    path = "/api/login/passkey/options",
    operation_id = "passkey_login_options",
    tag = "auth",
    responses(
        (status = 200, description = "Options for `navigator.credentials.get()`", body = OptionsJson),
        (status = 403, description = "`Passkeys are turned off for this tenant.`", body = ErrorJson),
        (status = 429, description = "Too many ceremonies begun from this address", body = ErrorJson),
    ),
)]
pub async fn login_options(
    State(state): State<AppState>,
    HostTenant { tenant, .. }: HostTenant,
    ClientAddr(client): ClientAddr,
    transport: Transport,
) -> ApiResult<Json<OptionsJson>> {
    let begun = state
        .services
        .begin_passkey_sign_in(&tenant, None, client.ip.as_deref(), !transport.https)
        .await?;
    Ok(Json(begun.into()))
}

#[derive(ToSchema)]
#[allow(dead_code)] // describes the body; the handler reads it field by field
pub struct SecondFactorOptionsBody {
    /// The challenge `/api/login` gave.
    challenge: String,
}

/// Begins answering a login's second step with one of the account's passkeys or security
/// keys, in place of a code; the answer goes to `/api/login/2fa`.
#[utoipa::path(
    post,
    path = "/api/login/2fa/passkey/options",
    operation_id = "second_factor_passkey_options",
    tag = "auth",
    request_body(content(
        (SecondFactorOptionsBody = "application/json"),
        (SecondFactorOptionsBody = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "Options for `navigator.credentials.get()`", body = OptionsJson),
        (status = 403, description = "Passkeys are off, or the account has none", body = ErrorJson),
        (status = 422, description = "An unknown, used or expired challenge", body = FieldErrors),
    ),
)]
pub async fn second_factor_options(
    State(state): State<AppState>,
    HostTenant { tenant, .. }: HostTenant,
    ClientAddr(client): ClientAddr,
    transport: Transport,
    input: Input,
) -> ApiResult<Json<OptionsJson>> {
    let mut errors = FieldErrors::default();
    let challenge = input.required_string("challenge", &mut errors);
    let (Some(challenge), true) = (challenge, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let begun = state
        .services
        .begin_passkey_second_factor(&tenant, &challenge, client.ip.as_deref(), !transport.https)
        .await?;
    Ok(Json(begun.into()))
}

/// Signs in with a passkey's answer: a session's token, as `/api/login` gives. A passkey that
/// verified its user needs no second factor.
#[utoipa::path(
    post,
    path = "/api/login/passkey",
    operation_id = "passkey_login",
    tag = "auth",
    request_body(content(
        (PasskeyLoginBody = "application/json"),
        (PasskeyLoginBody = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "A new session's token", body = TokenJson),
        (status = 401, description = "`Invalid credentials.`: an unknown, disabled or copied passkey, or a signature that does not verify", body = ErrorJson),
        (status = 403, description = "The account is banned, or passkeys are off", body = ErrorJson),
        (status = 422, description = "Missing fields, or an unknown or spent `challenge_id`", body = FieldErrors),
        (status = 429, description = "Too many failed attempts, as at `/api/login`", body = ErrorJson),
    ),
)]
pub async fn login(
    State(state): State<AppState>,
    HostTenant { tenant, .. }: HostTenant,
    ClientAddr(client): ClientAddr,
    transport: Transport,
    input: Input,
) -> ApiResult<Json<LoginJson>> {
    let mut errors = FieldErrors::default();
    let answer = answer(&input, &mut errors);
    let device_name = input.optional_string("device_name", &mut errors);
    let (Some(answer), true) = (answer, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let opener = SessionClient::Named(device_name.unwrap_or_else(|| "api".to_owned()));
    let issued = state
        .services
        .passkey_login(&tenant, &answer, None, &client, opener, !transport.https)
        .await?;
    Ok(Json(LoginJson::from(
        portcullis_core::auth::LoginOutcome::Issued(Box::new(issued)),
    )))
}
