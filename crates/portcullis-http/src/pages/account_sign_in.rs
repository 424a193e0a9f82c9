//! The account page's password and email (`/account/sign-in`), changed through the
//! account-change service as `PATCH /api/me/details/auth` does: a new password ends every other
//! session, a new address is never confirmed by the change itself, the old address is told.
//! The page asks for the current password before a new password or address, however recent
//! the sign-in (a stolen session alone changes neither).

use super::account::{AccountForm, SIGN_IN};
use super::context::Page;
use super::view::Errors;
use crate::common::html::{redirect, render, Chrome};
use crate::common::page_error::PageError;
use crate::common::state::AppState;
use crate::common::web_session::WebSession;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use portcullis_core::account_changes::CredentialsChange;
use portcullis_core::model::Principal;
use portcullis_core::{Error, Secret};
use serde::Deserialize;

const PAGE: &str = "/account/sign-in";

#[derive(Template)]
#[template(path = "pages/account/sign_in.html")]
struct SignInPage<'a> {
    chrome: &'a Chrome,
    title: &'a str,
    notice: Option<&'static str>,
    has_password: bool,
    /// Whether the tenant takes passwords at all.
    passwords: bool,
    email: String,
    verified: bool,
    /// Whether a new address waits for its confirmation (the tenant's setting).
    confirms: bool,
    new_email: String,
    password_errors: Errors,
    email_errors: Errors,
}

#[derive(Deserialize, Default)]
pub struct SignInQuery {
    /// `password` or `email`: what was just changed.
    changed: Option<String>,
}

/// Which form a refusal belongs to.
enum Refused {
    Password(Errors),
    Email(String, Errors),
}

async fn sign_in_page(
    state: &AppState,
    page: &Page,
    principal: &Principal,
    notice: Option<&'static str>,
    refused: Option<Refused>,
) -> Result<Response, PageError> {
    let user = state.services.own_profile(principal).await?;
    let (status, password_errors, (new_email, email_errors)) = match refused {
        None => (
            StatusCode::OK,
            Errors::none(),
            (String::new(), Errors::none()),
        ),
        Some(Refused::Password(errors)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            errors,
            (String::new(), Errors::none()),
        ),
        Some(Refused::Email(typed, errors)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Errors::none(),
            (typed, errors),
        ),
    };
    let view = SignInPage {
        chrome: &page.chrome,
        title: "Password and email",
        notice,
        has_password: state.services.has_password(principal).await?,
        passwords: principal.settings.allow_passwords,
        verified: user.email_verified_at.is_some(),
        email: user.email,
        confirms: !principal.settings.allow_unverified,
        new_email,
        password_errors,
        email_errors,
    };
    Ok(render(status, &view, &page.chrome))
}

/// `GET /account/sign-in`.
pub async fn show(
    State(state): State<AppState>,
    page: Page,
    WebSession(session): WebSession,
    query: Result<Query<SignInQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let Some(principal) = session else {
        return Ok(redirect(SIGN_IN));
    };
    let changed = query.ok().and_then(|Query(q)| q.changed);
    let notice = match changed.as_deref() {
        Some("password") => Some("Your password was changed; your other sessions have ended."),
        Some("email-pending") => {
            Some("Check your new address: the change takes effect once you confirm it from there.")
        }
        Some("email") => Some("Your address was changed. Confirm it from the link we sent there."),
        _ => None,
    };
    sign_in_page(&state, &page, &principal, notice, None).await
}

/// `POST /account/sign-in/password`: a new password (and its repetition), with the current
/// one.
pub async fn change_password(
    State(state): State<AppState>,
    page: Page,
    AccountForm { principal, form }: AccountForm,
) -> Result<Response, PageError> {
    let change = CredentialsChange {
        email: principal.user.email.clone(),
        username: None,
        password: Some((
            Secret::new(form.text("password")),
            Secret::new(form.text("password_confirmation")),
        )),
        current_password: form.secret("current_password"),
        always_confirm: true,
        client: page.client.clone(),
    };
    match state.services.update_credentials(&principal, change).await {
        Ok(_) => Ok(redirect(&format!("{PAGE}?changed=password"))),
        Err(Error::Invalid(problems)) => {
            let errors = Errors::from_field_errors(&problems);
            let refused = Some(Refused::Password(errors));
            sign_in_page(&state, &page, &principal, None, refused).await
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /account/sign-in/email`: a new address (with the current password when the step-up
/// asks for it).
pub async fn change_email(
    State(state): State<AppState>,
    page: Page,
    AccountForm { principal, form }: AccountForm,
) -> Result<Response, PageError> {
    let typed = form.text("email");
    let change = CredentialsChange {
        email: typed.clone(),
        username: None,
        password: None,
        current_password: form.secret("email_current_password"),
        always_confirm: true,
        client: page.client.clone(),
    };
    match state.services.update_credentials(&principal, change).await {
        Ok(user) => {
            let pending = !user.email.eq_ignore_ascii_case(typed.trim());
            let changed = if pending { "email-pending" } else { "email" };
            Ok(redirect(&format!("{PAGE}?changed={changed}")))
        }
        Err(Error::Invalid(problems)) => {
            let errors = Errors::from_field_errors(&problems);
            let refused = Some(Refused::Email(typed, errors));
            sign_in_page(&state, &page, &principal, None, refused).await
        }
        Err(other) => Err(other.into()),
    }
}
