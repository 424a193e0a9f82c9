//! `GET/POST /device`: a signed-in person enters the user code a device shows (RFC 8628),
//! sees which application asks and for what, and approves or denies. The rules (throttled
//! guesses, the application's roles, the session the device gets) are the services'.

use super::context::Page;
use super::form::PageForm;
use super::login::{pair_value, query_pairs};
use super::view::{wait_message, Errors};
use crate::common::html::{redirect, render, with_retry_after, Chrome, MessagePage};
use crate::common::page_error::PageError;
use crate::common::state::AppState;
use crate::common::web_session::WebSession;
use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use portcullis_core::oidc::device::DeviceRequest;
use portcullis_core::oidc::discovery::DEVICE_PAGE_PATH;
use portcullis_core::Error;

#[derive(Template)]
#[template(path = "pages/device.html")]
struct DevicePage<'a> {
    chrome: &'a Chrome,
    title: &'a str,
    /// The code typed so far (the form), or prefilled from `?user_code=`.
    user_code: &'a str,
    errors: &'a Errors,
    /// Set once a live code was entered: what the person approves or denies.
    request: Option<&'a DeviceRequest>,
    /// What the application would learn, in the person's words.
    scopes: Vec<&'static str>,
}

/// What a scope lets the application know, as the person reads it.
fn claim(scope: &str) -> &'static str {
    match scope {
        "openid" => "know that it is you (your account's identifier)",
        "profile" => "see your name and username",
        "email" => "see your email address",
        _ => "other information about your account",
    }
}

/// The login page, coming back here (with the code, when the link carried one).
fn sign_in(user_code: &str) -> Response {
    let back = match user_code.trim() {
        "" => DEVICE_PAGE_PATH.to_owned(),
        code => format!(
            "{DEVICE_PAGE_PATH}?{}",
            serde_urlencoded::to_string([("user_code", code)]).unwrap_or_default()
        ),
    };
    let query = serde_urlencoded::to_string([("return_to", back)]).unwrap_or_default();
    redirect(&format!("/login?{query}"))
}

fn form(
    page: &Page,
    user_code: &str,
    request: Option<&DeviceRequest>,
    errors: &Errors,
    status: StatusCode,
) -> Response {
    let view = DevicePage {
        chrome: &page.chrome,
        title: "Connect a device",
        user_code,
        errors,
        request,
        scopes: request
            .map(|r| r.scopes.iter().map(|s| claim(s)).collect())
            .unwrap_or_default(),
    };
    render(status, &view, &page.chrome)
}

/// A refusal of the services, shown on the form (or, signed out, the way to sign in).
fn refusal(page: &Page, user_code: &str, error: Error) -> Result<Response, PageError> {
    let (status, message) = match error {
        Error::Throttled {
            of: _,
            retry_after_seconds,
        } => {
            let text = wait_message(portcullis_core::model::Limited::Logins, retry_after_seconds)
                .replace("sign-in attempts", "wrong codes");
            let errors = Errors::from_problems(vec![("user_code".to_owned(), text)]);
            let response = form(
                page,
                user_code,
                None,
                &errors,
                StatusCode::TOO_MANY_REQUESTS,
            );
            return Ok(with_retry_after(response, retry_after_seconds));
        }
        Error::Refused(message) => (StatusCode::UNPROCESSABLE_ENTITY, message),
        Error::Banned => (
            StatusCode::FORBIDDEN,
            "This account is disabled, so it cannot sign in a device.",
        ),
        Error::Unauthenticated => return Ok(sign_in(user_code)),
        other => return Err(other.into()),
    };
    let errors = Errors::from_problems(vec![("user_code".to_owned(), message.to_owned())]);
    Ok(form(page, user_code, None, &errors, status))
}

pub async fn show(
    page: Page,
    WebSession(session): WebSession,
    uri: Uri,
) -> Result<Response, PageError> {
    let pairs = query_pairs(&uri);
    let user_code = portcullis_core::field::without_nul(pair_value(&pairs, "user_code"));
    if session.is_none() {
        return Ok(sign_in(&user_code));
    }
    Ok(form(
        &page,
        &user_code,
        None,
        &Errors::none(),
        StatusCode::OK,
    ))
}

pub async fn submit(
    State(state): State<AppState>,
    page: Page,
    WebSession(session): WebSession,
    form_data: PageForm,
) -> Result<Response, PageError> {
    let user_code = form_data.text("user_code");
    let Some(principal) = session else {
        return Ok(sign_in(&user_code));
    };
    let services = &state.services;
    let approve = match form_data.value("decision") {
        None => {
            return match services
                .device_request(&page.tenant, &principal, &user_code, &page.client)
                .await
            {
                Ok(request) => Ok(form(
                    &page,
                    &user_code,
                    Some(&request),
                    &Errors::none(),
                    StatusCode::OK,
                )),
                Err(error) => refusal(&page, &user_code, error),
            };
        }
        Some("approve") => true,
        Some(_) => false,
    };
    let decided = services
        .decide_device_request(&page.tenant, &principal, &user_code, approve, &page.client)
        .await;
    let request = match decided {
        Ok(request) => request,
        Err(error) => return refusal(&page, &user_code, error),
    };
    let (heading, text) = if approve {
        (
            "Device connected",
            format!(
                "{} is signed in on your device. You can close this page and go back to the \
                 device.",
                request.application
            ),
        )
    } else {
        (
            "Request denied",
            format!(
                "{} was not signed in on the device. If you did not start this, nothing more \
                 needs doing.",
                request.application
            ),
        )
    };
    let view = MessagePage {
        chrome: &page.chrome,
        title: heading,
        heading,
        text: &text,
        link: Some(("/account", "Go to your account")),
    };
    Ok(render(StatusCode::OK, &view, &page.chrome))
}
