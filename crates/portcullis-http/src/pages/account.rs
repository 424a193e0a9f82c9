//! `GET /account` (profile, sessions, personal API tokens: document 000's "Manage API Tokens"),
//! the forms it posts to, and `POST /logout`. Everything goes through the account API's
//! services with the browser's principal, so the same permissions apply.

use super::context::Page;
use super::form::PageForm;
use super::view::{field_message, Errors};
use crate::common::html::{redirect, render, with_cookie, Chrome};
use crate::common::page_error::PageError;
use crate::common::state::AppState;
use crate::common::web_session::{clear_session_cookie, WebSession};
use askama::Template;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portcullis_core::model::Principal;
use portcullis_core::personal_tokens::TokenRequest;
use portcullis_core::{Error, TokenId};
use time::{Date, OffsetDateTime, Time};

pub(super) use super::form::SIGN_IN;

#[derive(Template)]
#[template(path = "pages/account.html")]
struct AccountPage<'a> {
    chrome: &'a Chrome,
    title: &'a str,
    name: String,
    username: String,
    email: String,
    sessions: Vec<SessionRow>,
    tokens: Option<Vec<TokenRow>>,
    scopes: Vec<ScopeRow>,
    created: Option<(String, String)>,
    token_name: &'a str,
    errors: &'a Errors,
    devices: i64,
    passkeys: Vec<PasskeyRow>,
    /// Whether the tenant takes new passkeys (registered ones stay listed either way).
    adding_passkeys: bool,
    /// Whether a sensitive change may need the current password (the tenant's
    /// `reauth_seconds`).
    reauth: bool,
    added_passkey: Option<String>,
    passkey_name: &'a str,
    applications: Vec<ApplicationRow>,
}

/// An application the person allowed access on the consent screen.
struct ApplicationRow {
    id: String,
    name: String,
    claims: String,
    since: String,
}

struct PasskeyRow {
    id: i64,
    name: String,
    created: String,
    last_used: String,
}

struct SessionRow {
    id: String,
    what: String,
    ip: String,
    started: String,
    last_active: String,
    current: bool,
}

struct TokenRow {
    id: i64,
    name: String,
    scopes: String,
    created: String,
    last_used: String,
    expires: String,
}

struct ScopeRow {
    name: String,
    description: String,
    checked: bool,
}

pub(super) fn when(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute()
    )
}

/// What the page shows besides the lists: a token or passkey just made, or the form's
/// problems.
#[derive(Default)]
pub(super) struct Extra<'a> {
    pub created: Option<(String, String)>,
    pub token_name: &'a str,
    pub chosen: Vec<String>,
    pub errors: Errors,
    pub added_passkey: Option<String>,
    pub passkey_name: &'a str,
}

pub(super) async fn account_page(
    state: &AppState,
    page: &Page,
    principal: &Principal,
    extra: Extra<'_>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let services = &state.services;
    let user = &principal.user;
    let sessions = services
        .sessions_of(principal, user.id)
        .await?
        .into_iter()
        .map(|s| SessionRow {
            current: principal.session_id.as_ref() == Some(&s.id),
            what: [s.browser, s.platform, s.device]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ")
                .chars()
                .take(120)
                .collect::<String>()
                + &format!(" ({})", s.client),
            ip: s.ip_address.unwrap_or_default(),
            started: when(s.created_at),
            last_active: when(s.last_activity),
            id: s.id.0,
        })
        .collect();
    // A role without `manage-tokens` sees no token section rather than an error.
    let tokens = match services.personal_tokens(principal).await {
        Ok(tokens) => Some(
            tokens
                .into_iter()
                .map(|t| TokenRow {
                    id: t.id.0,
                    name: t.name,
                    scopes: t.scopes.join(", "),
                    created: when(t.created_at),
                    last_used: t.last_used_at.map(when).unwrap_or_else(|| "never".into()),
                    expires: t.expires_at.map(when).unwrap_or_else(|| "never".into()),
                })
                .collect(),
        ),
        Err(Error::Forbidden) => None,
        Err(other) => return Err(other.into()),
    };
    let scopes = match tokens {
        Some(_) => services
            .grantable_scopes(principal)
            .await?
            .into_iter()
            .map(|s| ScopeRow {
                checked: extra.chosen.contains(&s.name),
                name: s.name,
                description: s.description,
            })
            .collect(),
        None => Vec::new(),
    };
    let name = [user.first_name.as_deref(), user.last_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let view = AccountPage {
        chrome: &page.chrome,
        title: "Your account",
        name: user
            .display_name
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or(name),
        username: user.username.clone().unwrap_or_default(),
        email: user.email.clone(),
        sessions,
        tokens,
        scopes,
        created: extra.created,
        token_name: extra.token_name,
        errors: &extra.errors,
        devices: services.remembered_device_count(principal).await?,
        passkeys: services
            .passkeys(principal)
            .await?
            .into_iter()
            .map(|p| PasskeyRow {
                id: p.id.0,
                name: p.name,
                created: when(p.created_at),
                last_used: p.last_used_at.map(when).unwrap_or_else(|| "never".into()),
            })
            .collect(),
        adding_passkeys: principal.settings.allow_hardware,
        reauth: principal.settings.reauth_seconds.is_some(),
        added_passkey: extra.added_passkey,
        passkey_name: extra.passkey_name,
        applications: services
            .consented_applications(principal)
            .await?
            .into_iter()
            .map(|a| ApplicationRow {
                id: a.consent.application_id,
                name: a.application_name,
                claims: a.consent.scopes.join(", "),
                since: when(a.consent.created_at),
            })
            .collect(),
    };
    Ok(render(status, &view, &page.chrome))
}

/// A posted form of the account page, and the signed-in person it acts for: the form's CSRF
/// check comes first, as on every form; anyone signed out is then sent to sign in.
pub(super) struct AccountForm {
    pub principal: Principal,
    pub form: PageForm,
}

impl FromRequest<AppState> for AccountForm {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let session = WebSession::from_request_parts(&mut parts, state).await;
        let form = PageForm::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        match session {
            Ok(WebSession(Some(principal))) => Ok(Self { principal, form }),
            _ => Err(redirect(SIGN_IN)),
        }
    }
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    WebSession(session): WebSession,
) -> Result<Response, PageError> {
    let Some(principal) = session else {
        return Ok(redirect(SIGN_IN));
    };
    account_page(&state, &page, &principal, Extra::default(), StatusCode::OK).await
}

/// A `YYYY-MM-DD` date as the end of that day, UTC.
fn end_of_day(text: &str) -> Option<OffsetDateTime> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = Date::parse(text.trim(), &format).ok()?;
    Some(
        date.with_time(Time::from_hms(23, 59, 59).ok()?)
            .assume_utc(),
    )
}

pub async fn create_token(
    State(state): State<AppState>,
    page: Page,
    AccountForm { principal, form }: AccountForm,
) -> Result<Response, PageError> {
    let token_name = form.text("token_name");
    let chosen = form.all("scopes");
    let expires = form.text("expires_at");
    let expires_at = match expires.trim() {
        "" => None,
        text => match end_of_day(text) {
            Some(at) => Some(at),
            None => {
                let extra = Extra {
                    token_name: &token_name,
                    chosen,
                    errors: Errors::from_problems(vec![(
                        "expires_at".to_owned(),
                        "Enter the expiry date as YYYY-MM-DD.".to_owned(),
                    )]),
                    ..Extra::default()
                };
                let status = StatusCode::UNPROCESSABLE_ENTITY;
                return account_page(&state, &page, &principal, extra, status).await;
            }
        },
    };
    let request = TokenRequest {
        name: token_name.clone(),
        scopes: chosen.clone(),
        expires_at,
    };
    let created = state
        .services
        .create_personal_token(&principal, request, &page.client)
        .await;
    let (extra, status) = match created {
        Ok(created) => (
            Extra {
                created: Some((created.token.name, created.bearer.expose().to_owned())),
                ..Extra::default()
            },
            StatusCode::OK,
        ),
        Err(Error::Invalid(problems)) => (
            Extra {
                token_name: &token_name,
                chosen,
                // Worded as the domain's field, shown under the form's (`token_name`).
                errors: Errors::from_problems(
                    problems
                        .iter()
                        .map(|p| {
                            let field = if p.field == "name" {
                                "token_name"
                            } else {
                                &p.field
                            };
                            (field.to_owned(), field_message(p))
                        })
                        .collect(),
                ),
                ..Extra::default()
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(other) => return Err(other.into()),
    };
    account_page(&state, &page, &principal, extra, status).await
}

pub async fn revoke_token(
    State(state): State<AppState>,
    page: Page,
    AccountForm { principal, form }: AccountForm,
) -> Result<Response, PageError> {
    // An id that is not a number names no token: nothing to do.
    if let Ok(id) = form.text("token_id").trim().parse::<i64>() {
        match state
            .services
            .revoke_personal_token(&principal, TokenId(id), &page.client)
            .await
        {
            Ok(()) | Err(Error::NotFound) => {}
            Err(other) => return Err(other.into()),
        }
    }
    Ok(redirect("/account"))
}

pub async fn end_session(
    State(state): State<AppState>,
    page: Page,
    AccountForm { principal, form }: AccountForm,
) -> Result<Response, PageError> {
    let id = form.text("session_id");
    match state
        .services
        .end_session(&principal, id.trim(), &page.client)
        .await
    {
        Ok(()) | Err(Error::NotFound) => {}
        Err(other) => return Err(other.into()),
    }
    if principal.session_id.as_ref().map(|s| s.0.as_str()) == Some(id.trim()) {
        return Ok(with_cookie(redirect("/login"), clear_session_cookie()));
    }
    Ok(redirect("/account"))
}

/// Withdraws an application's access: its tokens of the person's stop working, and it asks
/// again next time.
pub async fn withdraw_application(
    State(state): State<AppState>,
    page: Page,
    AccountForm { principal, form }: AccountForm,
) -> Result<Response, PageError> {
    let id = form.text("application_id");
    state
        .services
        .withdraw_consent(&principal, id.trim(), &page.client)
        .await?;
    Ok(redirect("/account"))
}

pub async fn forget_devices(
    State(state): State<AppState>,
    page: Page,
    AccountForm {
        principal,
        form: _form,
    }: AccountForm,
) -> Result<Response, PageError> {
    state
        .services
        .forget_devices(&principal, &page.client)
        .await?;
    Ok(redirect("/account"))
}

pub async fn logout(
    State(state): State<AppState>,
    page: Page,
    WebSession(session): WebSession,
    _form: PageForm,
) -> Result<Response, PageError> {
    if let Some(principal) = session {
        state.services.logout(&principal, &page.client).await?;
    }
    Ok(with_cookie(redirect("/login"), clear_session_cookie()))
}
