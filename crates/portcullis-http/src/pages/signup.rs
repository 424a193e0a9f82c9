//! `GET/POST /signup`, open only while the tenant takes sign-ups.

use super::context::Page;
use super::form::PageForm;
use super::login::{signed_in, Next};
use super::view::{wait_message, CaptchaView, Errors};
use crate::common::html::{ok, redirect, render, with_retry_after, Chrome, MessagePage};
use crate::common::page_error::PageError;
use crate::common::state::AppState;
use crate::common::web_session::WebSession;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use portcullis_core::lifecycle::{CaptchaAnswer, Registration};
use portcullis_core::web::signup::SignupOutcome;
use portcullis_core::{Error, Secret};

#[derive(Template)]
#[template(path = "pages/signup.html")]
struct SignupPage<'a> {
    chrome: &'a Chrome,
    title: &'a str,
    username: &'a str,
    email: &'a str,
    tos: bool,
    captcha: Option<CaptchaView>,
    errors: &'a Errors,
    /// No password: the account's passkey is made once its address is confirmed.
    passwordless: bool,
}

fn closed(page: &Page) -> Response {
    let view = MessagePage {
        chrome: &page.chrome,
        title: "Sign-ups are closed",
        heading: "Sign-ups are closed",
        text: "New accounts cannot be created here. Ask an administrator for an account.",
        link: Some(("/login", "Sign in")),
    };
    render(StatusCode::NOT_FOUND, &view, &page.chrome)
}

/// The form; while the tenant asks for a captcha, with a fresh picture (each one counts
/// against the address's captcha allowance, as document 002's captcha endpoint does).
async fn form(
    state: &AppState,
    page: &Page,
    username: &str,
    email: &str,
    errors: &Errors,
    status: StatusCode,
) -> Result<Response, PageError> {
    let tenant = &page.tenant;
    let mut captcha = None;
    if tenant.settings.captcha_enabled {
        let services = &state.services;
        match services
            .reserve_captcha(tenant, page.client.ip.as_deref())
            .await
        {
            Ok(()) => {
                let made = services.new_captcha(tenant).await?;
                captcha = Some(CaptchaView::new(&made));
            }
            Err(Error::Throttled {
                of,
                retry_after_seconds,
            }) => {
                let waiting = Errors::general(wait_message(of, retry_after_seconds));
                let status = StatusCode::TOO_MANY_REQUESTS;
                let response = render_form(page, username, email, None, &waiting, status);
                return Ok(with_retry_after(response, retry_after_seconds));
            }
            Err(other) => return Err(other.into()),
        }
    }
    Ok(render_form(page, username, email, captcha, errors, status))
}

fn render_form(
    page: &Page,
    username: &str,
    email: &str,
    captcha: Option<CaptchaView>,
    errors: &Errors,
    status: StatusCode,
) -> Response {
    let view = SignupPage {
        chrome: &page.chrome,
        title: "Create an account",
        username,
        email,
        tos: page.tenant.settings.tos,
        captcha,
        errors,
        passwordless: page.tenant.settings.is_passwordless(),
    };
    render(status, &view, &page.chrome)
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    WebSession(session): WebSession,
) -> Result<Response, PageError> {
    if !page.tenant.settings.allow_signups {
        return Ok(closed(&page));
    }
    if session.is_some() {
        return Ok(redirect("/account"));
    }
    form(&state, &page, "", "", &Errors::none(), StatusCode::OK).await
}

pub async fn submit(
    State(state): State<AppState>,
    page: Page,
    form_data: PageForm,
) -> Result<Response, PageError> {
    if !page.tenant.settings.allow_signups {
        return Ok(closed(&page));
    }
    let username = form_data.text("username");
    let email = form_data.text("email");
    let registration = Registration {
        username: Some(username.clone()),
        email: email.clone(),
        password: Secret::new(form_data.value("password").unwrap_or("")),
        password_confirmation: Secret::new(form_data.value("password_confirmation").unwrap_or("")),
        tos_accepted: form_data.checked("tos"),
        captcha: page
            .tenant
            .settings
            .captcha_enabled
            .then(|| CaptchaAnswer::Image {
                key: form_data.text("captcha_key"),
                answer: form_data.text("captcha"),
            }),
        client: page.client.clone(),
    };
    match state.services.web_signup(&page.tenant, registration).await {
        Ok(SignupOutcome::SignedIn(issued)) => {
            signed_in(&state, &page, &issued, &Next::default()).await
        }
        Ok(SignupOutcome::CheckEmail) => {
            let view = MessagePage {
                chrome: &page.chrome,
                title: "Check your email",
                heading: "Check your email",
                text: "If this address can be used for a new account, we have sent a link to \
                       it. Follow the link to confirm your address, then sign in.",
                link: Some(("/login", "Sign in")),
            };
            Ok(ok(&view, &page.chrome))
        }
        Err(Error::Invalid(problems)) => {
            let errors = Errors::from_field_errors(&problems);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            form(&state, &page, &username, &email, &errors, status).await
        }
        Err(Error::Throttled {
            of,
            retry_after_seconds,
        }) => {
            let errors = Errors::general(wait_message(of, retry_after_seconds));
            let status = StatusCode::TOO_MANY_REQUESTS;
            let response = form(&state, &page, &username, &email, &errors, status).await?;
            Ok(with_retry_after(response, retry_after_seconds))
        }
        Err(Error::NotFound) => Ok(closed(&page)),
        Err(other) => Err(other.into()),
    }
}
