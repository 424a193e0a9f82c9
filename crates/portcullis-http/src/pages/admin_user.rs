//! One user in the console (`/admin/users/{id}`, `users.manage`): profile, role, status,
//! confirmed address, second factor, passkeys, password, sessions, personal tokens, metadata
//! and activity, each changed by a posted form through the same core service as the APIs. A
//! refusal shows the page again with the service's words.

use super::account::when;
use super::admin::{activity_row, console, row, ActivityRow, ConsoleForm, ConsoleSession, UserRow};
use super::context::Page;
use crate::common::html::{redirect, render, Chrome};
use crate::common::page_error::PageError;
use crate::common::state::AppState;
use askama::Template;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use portcullis_core::console::ConsoleAccess;
use portcullis_core::console_users::UserCredentials;
use portcullis_core::directory::AccountInput;
use portcullis_core::ids::{PasskeyId, TokenId, UserId};
use portcullis_core::model::{Metadata, Paging, Principal, User, UserStatus};
use portcullis_core::Error;
use serde::Deserialize;

/// Blank rows the metadata editor offers for new keys.
const NEW_METADATA_ROWS: usize = 3;

#[derive(Template)]
#[template(path = "pages/admin/user.html")]
struct UserPage<'a> {
    chrome: &'a Chrome,
    title: &'a str,
    access: ConsoleAccess,
    user: UserRow,
    username: String,
    verified: bool,
    banned: bool,
    sessions: Vec<SessionRow>,
    activity: Vec<ActivityRow>,
    said: Said,
    roles: Vec<(i64, String)>,
    role: i64,
    /// Whether the tenant uses second factors (so one may be turned off here).
    two_factor_allowed: bool,
    /// Whether the user has a confirmed second factor.
    two_factor: bool,
    /// `None`: the user has no password (a passkey or social account).
    password: Option<PasswordRow>,
    passkeys: Vec<PasskeyRow>,
    tokens: Vec<TokenRow>,
    /// The metadata editor's rows: the user's keys, then blank ones.
    metadata: Vec<(String, String)>,
}

/// What the last form did or why it did not.
#[derive(Default)]
struct Said {
    /// Why the last form did not do what it was asked.
    problem: Option<String>,
    /// What the last form did, when that is worth saying.
    notice: Option<&'static str>,
    /// Recovery codes just made, shown this once.
    codes: Vec<String>,
}

impl Said {
    fn problem(text: impl Into<String>) -> Self {
        Self {
            problem: Some(text.into()),
            ..Self::default()
        }
    }
}

struct SessionRow {
    id: String,
    what: String,
    ip: String,
    last_active: String,
}

struct PasswordRow {
    disabled: bool,
    changed: String,
}

struct PasskeyRow {
    id: i64,
    name: String,
    created: String,
    last_used: String,
    disabled: bool,
}

struct TokenRow {
    id: i64,
    name: String,
    scopes: String,
    created: String,
    last_used: String,
    expires: String,
}

fn user_id(path: Result<Path<i64>, PathRejection>) -> Result<UserId, PageError> {
    path.map(|Path(id)| UserId(id))
        .map_err(|_| PageError::NotFound)
}

fn back_to(id: UserId) -> Response {
    redirect(&format!("/admin/users/{}", id.0))
}

/// A number a form names (a passkey, a token); anything else is a bad form.
fn number(text: &str) -> Result<i64, PageError> {
    text.trim().parse().map_err(|_| PageError::BadForm)
}

#[derive(Deserialize, Default)]
pub struct UserQuery {
    /// Set after a reset mail was sent.
    mailed: Option<String>,
}

/// `GET /admin/users/{id}`: one user of the tenant (another tenant's is not found).
pub async fn user(
    State(state): State<AppState>,
    page: Page,
    ConsoleSession(session): ConsoleSession,
    path: Result<Path<i64>, PathRejection>,
    query: Result<Query<UserQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let mailed = query.is_ok_and(|Query(q)| q.mailed.is_some());
    let id = user_id(path)?;
    let back = format!("/admin/users/{}", id.0);
    let (principal, access) = console(&state, session, &back, |a| a.users).await?;
    let user = state.services.user_for_admin(&principal, id).await?;
    let said = Said {
        notice: mailed.then_some("A password-reset mail is on its way."),
        ..Said::default()
    };
    user_page(&state, &page, &principal, (access, user), said).await
}

/// The page again after a posted form, with what it said.
async fn again(
    state: &AppState,
    page: &Page,
    principal: &Principal,
    id: UserId,
    said: Said,
) -> Result<Response, PageError> {
    let user = state.services.user_for_admin(principal, id).await?;
    let access = state.services.console_access(principal).await?;
    user_page(state, page, principal, (access, user), said).await
}

/// A refusal the page words for the person (a form problem, a state the change needs), or the
/// error page for anything else.
async fn refused(
    state: &AppState,
    page: &Page,
    principal: &Principal,
    id: UserId,
    error: Error,
) -> Result<Response, PageError> {
    let text = match error {
        Error::Invalid(problems) => problems
            .iter()
            .map(super::view::field_message)
            .collect::<Vec<_>>()
            .join(" "),
        Error::Conflict(why) | Error::Refused(why) => why.to_owned(),
        other => return Err(other.into()),
    };
    again(state, page, principal, id, Said::problem(text)).await
}

/// Back to the user's page once `outcome` is done; the page with its refusal otherwise.
async fn settled<T>(
    state: &AppState,
    page: &Page,
    principal: &Principal,
    id: UserId,
    outcome: Result<T, Error>,
) -> Result<Response, PageError> {
    match outcome {
        Ok(_) => Ok(back_to(id)),
        Err(error) => refused(state, page, principal, id, error).await,
    }
}

async fn user_page(
    state: &AppState,
    page: &Page,
    principal: &Principal,
    (access, user): (ConsoleAccess, User),
    said: Said,
) -> Result<Response, PageError> {
    let services = &state.services;
    let roles = services
        .tenant_roles(principal)
        .await?
        .into_iter()
        .map(|role| (role.id.0, role.display_name.unwrap_or(role.name)))
        .collect();
    let sessions = services
        .sessions_of(principal, user.id)
        .await?
        .into_iter()
        .map(|s| SessionRow {
            what: [s.browser, s.platform, s.device]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ")
                + &format!(" ({})", s.client),
            ip: s.ip_address.unwrap_or_default(),
            last_active: when(s.last_activity),
            id: s.id.0,
        })
        .collect();
    let activity = match access.activity {
        false => Vec::new(),
        true => services
            .activity_log(
                principal,
                Some(user.id),
                None,
                Paging {
                    page: 1,
                    per_page: 20,
                },
            )
            .await?
            .items
            .into_iter()
            .map(activity_row)
            .collect(),
    };
    let UserCredentials {
        password,
        passkeys,
        tokens,
        two_factor,
    } = services.user_credentials(principal, user.id).await?;
    let never = || "never".to_owned();
    let metadata = user
        .metadata
        .iter()
        .map(|(key, value)| (key.clone(), value.clone()))
        .chain(std::iter::repeat_n(
            (String::new(), String::new()),
            NEW_METADATA_ROWS,
        ))
        .collect();
    let view = UserPage {
        chrome: &page.chrome,
        title: "User",
        access,
        username: user.username.clone().unwrap_or_default(),
        verified: user.email_verified_at.is_some(),
        banned: user.disabled,
        sessions,
        activity,
        roles,
        role: user.role_id.0,
        two_factor_allowed: principal.settings.two_factor_enabled,
        two_factor,
        password: password.map(|p| PasswordRow {
            disabled: p.disabled,
            changed: when(p.updated_at),
        }),
        passkeys: passkeys
            .into_iter()
            .map(|p| PasskeyRow {
                id: p.id.0,
                name: p.name,
                created: when(p.created_at),
                last_used: p.last_used_at.map(when).unwrap_or_else(never),
                disabled: p.disabled,
            })
            .collect(),
        tokens: tokens
            .into_iter()
            .map(|t| TokenRow {
                id: t.id.0,
                name: t.name,
                scopes: t.scopes.join(" "),
                created: when(t.created_at),
                last_used: t.last_used_at.map(when).unwrap_or_else(never),
                expires: t.expires_at.map(when).unwrap_or_else(never),
            })
            .collect(),
        metadata,
        user: row(user, principal),
        said,
    };
    let status = match view.said.problem {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    let mut response = render(status, &view, &page.chrome);
    if !view.said.codes.is_empty() {
        response
            .headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(response)
}

/// `POST /admin/users/{id}/status`: bans (`status=Banned`, which ends every session) or lets
/// back in (`status=Active`), through the same service as `PUT /api/users/{id}`.
pub async fn set_status(
    State(state): State<AppState>,
    page: Page,
    path: Result<Path<i64>, PathRejection>,
    ConsoleForm { principal, form }: ConsoleForm,
) -> Result<Response, PageError> {
    let id = user_id(path)?;
    let status = match form.text("status").as_str() {
        "Banned" => UserStatus::Banned,
        "Active" => UserStatus::Active,
        _ => return Err(PageError::BadForm),
    };
    let change = AccountInput {
        status: Some(status),
        ..AccountInput::default()
    };
    let outcome = state
        .services
        .update_account(&principal, id, change, &page.client)
        .await;
    settled(&state, &page, &principal, id, outcome).await
}

/// `POST /admin/users/{id}/role`: gives the user another role (`role_id`), through the same
/// service as `PUT /api/users/{id}` (which refuses a role the caller could not grant).
pub async fn set_role(
    State(state): State<AppState>,
    page: Page,
    path: Result<Path<i64>, PathRejection>,
    ConsoleForm { principal, form }: ConsoleForm,
) -> Result<Response, PageError> {
    let id = user_id(path)?;
    let role = number(&form.text("role_id"))?;
    let change = AccountInput {
        role_id: Some(portcullis_core::ids::RoleId(role)),
        ..AccountInput::default()
    };
    let outcome = state
        .services
        .update_account(&principal, id, change, &page.client)
        .await;
    settled(&state, &page, &principal, id, outcome).await
}

/// `POST /admin/users/{id}/verified`: marks the address confirmed (`verified=true`) or not.
pub async fn set_verified(
    State(state): State<AppState>,
    page: Page,
    path: Result<Path<i64>, PathRejection>,
    ConsoleForm { principal, form }: ConsoleForm,
) -> Result<Response, PageError> {
    let id = user_id(path)?;
    let verified = match form.text("verified").as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(PageError::BadForm),
    };
    let outcome = state
        .services
        .set_email_verified(&principal, id, verified, &page.client)
        .await;
    settled(&state, &page, &principal, id, outcome).await
}

/// `POST /admin/users/{id}/reset-mail`: mails the user the password-reset link.
pub async fn reset_mail(
    State(state): State<AppState>,
    page: Page,
    path: Result<Path<i64>, PathRejection>,
    ConsoleForm { principal, .. }: ConsoleForm,
) -> Result<Response, PageError> {
    let id = user_id(path)?;
    let services = &state.services;
    let tenant = services.console_tenant(&principal).await?;
    let said = match services
        .send_reset_mail(&principal, &tenant, id, &page.client)
        .await
    {
        Ok(()) => return Ok(redirect(&format!("/admin/users/{}?mailed=1", id.0))),
        Err(Error::Throttled { .. }) => "Too many reset mails for now; try again later.",
        Err(Error::NotFound) => "This tenant has password resets turned off.",
        Err(other) => return Err(other.into()),
    };
    again(&state, &page, &principal, id, Said::problem(said)).await
}

/// `POST /admin/users/{id}/password`: turns the password off (`disabled=true`) or back on.
pub async fn set_password_disabled(
    State(state): State<AppState>,
    page: Page,
    path: Result<Path<i64>, PathRejection>,
    ConsoleForm { principal, form }: ConsoleForm,
) -> Result<Response, PageError> {
    let id = user_id(path)?;
    let disabled = form.text("disabled") == "true";
    let outcome = state
        .services
        .set_password_disabled(&principal, id, disabled, &page.client)
        .await;
    settled(&state, &page, &principal, id, outcome).await
}

/// `POST /admin/users/{id}/two-factor/off`: turns the user's second factor off, through the
/// same service as `DELETE /api/users/{id}/2fa`.
pub async fn two_factor_off(
    State(state): State<AppState>,
    page: Page,
    path: Result<Path<i64>, PathRejection>,
    ConsoleForm { principal, .. }: ConsoleForm,
) -> Result<Response, PageError> {
    let id = user_id(path)?;
    let outcome = state
        .services
        .disable_user_two_factor(&principal, id, &page.client)
        .await;
    settled(&state, &page, &principal, id, outcome).await
}

/// `POST /admin/users/{id}/two-factor/recovery-codes`: new recovery codes, shown on this
/// answer only (not cached), for the administrator to hand over.
pub async fn recovery_codes(
    State(state): State<AppState>,
    page: Page,
    path: Result<Path<i64>, PathRejection>,
    ConsoleForm { principal, .. }: ConsoleForm,
) -> Result<Response, PageError> {
    let id = user_id(path)?;
    match state
        .services
        .new_user_recovery_codes(&principal, id, &page.client)
        .await
    {
        Ok(codes) => {
            let said = Said {
                codes: codes.iter().map(|c| c.expose().to_owned()).collect(),
                ..Said::default()
            };
            again(&state, &page, &principal, id, said).await
        }
        Err(error) => refused(&state, &page, &principal, id, error).await,
    }
}

/// `POST /admin/users/{id}/passkeys`: `action` `disable`, `enable` or `remove` on the
/// passkey `passkey_id`.
pub async fn passkey(
    State(state): State<AppState>,
    page: Page,
    path: Result<Path<i64>, PathRejection>,
    ConsoleForm { principal, form }: ConsoleForm,
) -> Result<Response, PageError> {
    let id = user_id(path)?;
    let passkey = PasskeyId(number(&form.text("passkey_id"))?);
    let services = &state.services;
    let client = &page.client;
    let done = match form.text("action").as_str() {
        "disable" => services
            .set_user_passkey_disabled(&principal, (id, passkey), true, client)
            .await
            .map(drop),
        "enable" => services
            .set_user_passkey_disabled(&principal, (id, passkey), false, client)
            .await
            .map(drop),
        "remove" => {
            services
                .remove_user_passkey(&principal, (id, passkey), client)
                .await
        }
        _ => return Err(PageError::BadForm),
    };
    settled(&state, &page, &principal, id, done).await
}

/// `POST /admin/users/{id}/tokens/revoke`: revokes the personal token `token_id`.
pub async fn revoke_token(
    State(state): State<AppState>,
    page: Page,
    path: Result<Path<i64>, PathRejection>,
    ConsoleForm { principal, form }: ConsoleForm,
) -> Result<Response, PageError> {
    let id = user_id(path)?;
    let token = TokenId(number(&form.text("token_id"))?);
    let outcome = state
        .services
        .revoke_user_token(&principal, (id, token), &page.client)
        .await;
    settled(&state, &page, &principal, id, outcome).await
}

/// `POST /admin/users/{id}/metadata`: the editor's rows (`key`, `value`, in pairs) become the
/// user's metadata; a row with an empty key is left out, so emptying a key removes it.
pub async fn set_metadata(
    State(state): State<AppState>,
    page: Page,
    path: Result<Path<i64>, PathRejection>,
    ConsoleForm { principal, form }: ConsoleForm,
) -> Result<Response, PageError> {
    let id = user_id(path)?;
    let (keys, values) = (form.all("key"), form.all("value"));
    if keys.len() != values.len() {
        return Err(PageError::BadForm);
    }
    let mut metadata = Metadata::new();
    for (key, value) in keys.into_iter().zip(values) {
        let key = key.trim();
        if key.is_empty() {
            continue;
        }
        if metadata.insert(key.to_owned(), value).is_some() {
            let said = Said::problem(format!("The key {key:?} is there twice."));
            return again(&state, &page, &principal, id, said).await;
        }
    }
    let outcome = state
        .services
        .set_user_metadata(&principal, id, metadata, &page.client)
        .await;
    settled(&state, &page, &principal, id, outcome).await
}

/// `POST /admin/users/{id}/sessions/end`: ends one of the user's sessions (`session_id`), or
/// all of them (`session_id=all`).
pub async fn end_sessions(
    State(state): State<AppState>,
    page: Page,
    path: Result<Path<i64>, PathRejection>,
    ConsoleForm { principal, form }: ConsoleForm,
) -> Result<Response, PageError> {
    let id = user_id(path)?;
    let services = &state.services;
    let chosen = form.text("session_id");
    let ending: Vec<String> = match chosen.trim() {
        "all" => services
            .sessions_of(&principal, id)
            .await?
            .into_iter()
            .map(|s| s.id.0)
            .collect(),
        one => vec![one.to_owned()],
    };
    for session in ending {
        match services
            .end_session(&principal, &session, &page.client)
            .await
        {
            Ok(()) | Err(Error::NotFound) => {}
            Err(other) => return Err(other.into()),
        }
    }
    Ok(back_to(id))
}

/// `POST /admin/users/{id}/delete`: deletes the user once the form repeats their email
/// address (`confirm`), through the same service as `DELETE /api/users/{id}`.
pub async fn delete_user(
    State(state): State<AppState>,
    page: Page,
    path: Result<Path<i64>, PathRejection>,
    ConsoleForm { principal, form }: ConsoleForm,
) -> Result<Response, PageError> {
    let id = user_id(path)?;
    let services = &state.services;
    let user = services.user_for_admin(&principal, id).await?;
    if form.text("confirm").trim() != user.email {
        let said = Said::problem("Type the user's email address to confirm the deletion.");
        return again(&state, &page, &principal, id, said).await;
    }
    match services.delete_account(&principal, id, &page.client).await {
        Ok(()) => Ok(redirect("/admin/users")),
        Err(error) => refused(&state, &page, &principal, id, error).await,
    }
}
