//! `GET/POST /forgot-password` and `GET/POST /reset-password?token=…&email=…`. The first
//! always gives the same answer, so it tells nobody which addresses have accounts.

use super::context::Page;
use super::form::PageForm;
use super::login::{pair_value, query_pairs};
use super::view::{wait_message, Errors};
use crate::common::html::{ok, render, with_retry_after, Chrome, MessagePage};
use crate::common::page_error::PageError;
use crate::common::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use portcullis_core::lifecycle::PasswordReset;
use portcullis_core::{Error, Secret};

#[derive(Template)]
#[template(path = "pages/forgot.html")]
struct ForgotPage<'a> {
    chrome: &'a Chrome,
    title: &'a str,
    email: &'a str,
    errors: &'a Errors,
}

#[derive(Template)]
#[template(path = "pages/reset.html")]
struct ResetPage<'a> {
    chrome: &'a Chrome,
    title: &'a str,
    token: &'a str,
    email: &'a str,
    errors: &'a Errors,
}

fn closed(page: &Page) -> Response {
    let view = MessagePage {
        chrome: &page.chrome,
        title: "Password resets are off",
        heading: "Password resets are off",
        text: "Passwords cannot be reset here. Ask an administrator for help.",
        link: Some(("/login", "Sign in")),
    };
    render(StatusCode::NOT_FOUND, &view, &page.chrome)
}

fn forgot_page(page: &Page, email: &str, errors: &Errors, status: StatusCode) -> Response {
    let view = ForgotPage {
        chrome: &page.chrome,
        title: "Forgot your password?",
        email,
        errors,
    };
    render(status, &view, &page.chrome)
}

pub async fn forgot_form(page: Page) -> Response {
    if !page.tenant.settings.forgot_password {
        return closed(&page);
    }
    forgot_page(&page, "", &Errors::none(), StatusCode::OK)
}

pub async fn forgot(
    State(state): State<AppState>,
    page: Page,
    form: PageForm,
) -> Result<Response, PageError> {
    let email = form.text("email");
    let sent = state
        .services
        .remind_password_quietly(&page.tenant, &email, &page.client)
        .await;
    match sent {
        Ok(()) => {
            let view = MessagePage {
                chrome: &page.chrome,
                title: "Check your email",
                heading: "Check your email",
                text: "If an account exists for that address, we have sent it a link to reset \
                       the password.",
                link: Some(("/login", "Back to sign in")),
            };
            Ok(ok(&view, &page.chrome))
        }
        Err(Error::Invalid(problems)) => {
            let errors = Errors::from_field_errors(&problems);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(forgot_page(&page, &email, &errors, status))
        }
        Err(Error::Throttled {
            of,
            retry_after_seconds,
        }) => {
            let errors = Errors::general(wait_message(of, retry_after_seconds));
            let status = StatusCode::TOO_MANY_REQUESTS;
            let response = forgot_page(&page, &email, &errors, status);
            Ok(with_retry_after(response, retry_after_seconds))
        }
        Err(Error::NotFound) => Ok(closed(&page)),
        Err(other) => Err(other.into()),
    }
}

fn reset_page(
    page: &Page,
    token: &str,
    email: &str,
    errors: &Errors,
    status: StatusCode,
) -> Response {
    let view = ResetPage {
        chrome: &page.chrome,
        title: "Choose a new password",
        token,
        email,
        errors,
    };
    render(status, &view, &page.chrome)
}

pub async fn reset_form(page: Page, uri: Uri) -> Response {
    if !page.tenant.settings.forgot_password {
        return closed(&page);
    }
    let pairs = query_pairs(&uri);
    reset_page(
        &page,
        pair_value(&pairs, "token"),
        pair_value(&pairs, "email"),
        &Errors::none(),
        StatusCode::OK,
    )
}

pub async fn reset(
    State(state): State<AppState>,
    page: Page,
    form: PageForm,
) -> Result<Response, PageError> {
    let token = form.text("token");
    let email = form.text("email");
    let input = PasswordReset {
        token: token.clone(),
        email: email.clone(),
        password: Secret::new(form.value("password").unwrap_or("")),
        password_confirmation: Secret::new(form.value("password_confirmation").unwrap_or("")),
        client: page.client.clone(),
    };
    let errors = match state.services.reset_password(&page.tenant, input).await {
        Ok(()) => {
            let view = MessagePage {
                chrome: &page.chrome,
                title: "Password changed",
                heading: "Password changed",
                text: "Your password was changed and every session was signed out. Sign in \
                       with your new password.",
                link: Some(("/login", "Sign in")),
            };
            return Ok(ok(&view, &page.chrome));
        }
        Err(Error::InvalidToken) => Errors::general(
            "This reset link is invalid or has expired. Ask for a new one on the \"Forgot your \
             password?\" page.",
        ),
        Err(Error::Invalid(problems)) => Errors::from_field_errors(&problems),
        Err(Error::NotFound) => return Ok(closed(&page)),
        Err(other) => return Err(other.into()),
    };
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(reset_page(&page, &token, &email, &errors, status))
}
