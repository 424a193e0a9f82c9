//! `GET/POST /login/second-factor`: the code from an authenticator app, a mail or a text
//! message, after a right password. The challenge travels in a short-lived cookie, never in
//! the URL; "remember this browser" stores a device secret in another cookie.

use super::context::Page;
use super::cookies::{login_cookie, CHALLENGE_COOKIE, DEVICE_COOKIE};
use super::form::PageForm;
use super::login::{signed_in, Next};
use super::view::{wait_message, Errors};
use crate::common::html::{render, with_cookie, with_retry_after, Chrome, MessagePage};
use crate::common::page_error::PageError;
use crate::common::state::AppState;
use crate::common::web_session::cookie_value;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::Response;
use portcullis_core::model::{Method, SessionClient};
use portcullis_core::Error;

fn clear_challenge() -> HeaderValue {
    login_cookie(CHALLENGE_COOKIE, String::new(), 0)
}

/// The method and challenge the browser's cookie holds.
fn challenge_of(headers: &HeaderMap) -> Option<(Method, String)> {
    let value = cookie_value(headers, CHALLENGE_COOKIE)?;
    let (method, challenge) = value.split_once('.')?;
    Some((Method::parse(method)?, challenge.to_owned()))
        .filter(|(_, challenge)| !challenge.is_empty())
}

#[derive(Template)]
#[template(path = "pages/second_factor.html")]
struct SecondFactorPage<'a> {
    chrome: &'a Chrome,
    title: &'a str,
    prompt: &'a str,
    errors: &'a Errors,
    next: &'a Next,
    remember: bool,
    remember_days: i64,
    /// The account may answer with a passkey or security key instead.
    passkeys: bool,
}

fn prompt(method: Method) -> &'static str {
    match method {
        Method::Totp => "Enter the 6-digit code from your authenticator app.",
        Method::Email => "We sent a 6-digit code to your email address. Enter it here.",
        Method::Phone => "We sent a 6-digit code to your phone. Enter it here.",
    }
}

async fn code_form(
    state: &AppState,
    page: &Page,
    (method, challenge): (Method, &str),
    next: &Next,
    errors: &Errors,
    status: StatusCode,
) -> Response {
    let remembered_for = portcullis_core::web::devices::remembered_for(&page.tenant.settings);
    let view = SecondFactorPage {
        chrome: &page.chrome,
        title: "Two-step verification",
        prompt: prompt(method),
        errors,
        next,
        remember: remembered_for.is_some(),
        remember_days: remembered_for.map_or(1, |lifetime| lifetime.whole_days().max(1)),
        passkeys: state
            .services
            .second_factor_takes_passkeys(&page.tenant, challenge)
            .await,
    };
    let response = render(status, &view, &page.chrome);
    next.with_policy(state, page, response).await
}

fn start_again(page: &Page, status: StatusCode) -> Response {
    let view = MessagePage {
        chrome: &page.chrome,
        title: "Sign in again",
        heading: "Sign in again",
        text: "This sign-in has expired or was already used. Please sign in again.",
        link: Some(("/login", "Sign in")),
    };
    with_cookie(render(status, &view, &page.chrome), clear_challenge())
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let next = Next::from_uri(&uri);
    match challenge_of(&headers) {
        Some((method, challenge)) => {
            code_form(
                &state,
                &page,
                (method, &challenge),
                &next,
                &Errors::none(),
                StatusCode::OK,
            )
            .await
        }
        None => crate::common::html::redirect(&format!("/login{}", next.query())),
    }
}

pub async fn submit(
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    form: PageForm,
) -> Result<Response, PageError> {
    let next = Next::from_form(&form);
    let Some((method, challenge)) = challenge_of(&headers) else {
        return Ok(start_again(&page, StatusCode::BAD_REQUEST));
    };
    let services = &state.services;
    let completed = if form.checked("credential") {
        // A passkey or security key in place of the code.
        let answer = super::passkeys::answer(&form);
        let browser = |_| SessionClient::Browser;
        let (tenant, client) = (&page.tenant, &page.client);
        services
            .complete_login_with_passkey(
                tenant,
                &challenge,
                &answer,
                client,
                browser,
                page.plain_http,
            )
            .await
    } else {
        let code = form.text("code");
        if code.trim().is_empty() {
            let errors =
                Errors::from_problems(vec![("code".to_owned(), "Enter the code.".to_owned())]);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(
                code_form(&state, &page, (method, &challenge), &next, &errors, status).await,
            );
        }
        services
            .complete_login(&page.tenant, &challenge, &code, &page.client, |_| {
                SessionClient::Browser
            })
            .await
    };
    match completed {
        Ok(issued) => {
            let mut response = signed_in(&state, &page, &issued, &next).await?;
            response
                .headers_mut()
                .append(axum::http::header::SET_COOKIE, clear_challenge());
            if form.checked("remember_device") {
                let device = state
                    .services
                    .remember_device(&page.tenant, issued.user.id)
                    .await?;
                if let Some(device) = device {
                    let value = login_cookie(
                        DEVICE_COOKIE,
                        device.secret.expose().to_owned(),
                        device.max_age_seconds,
                    );
                    response = with_cookie(response, value);
                }
            }
            Ok(response)
        }
        Err(Error::Invalid(problems)) if problems.iter().any(|p| p.field == "code") => {
            let errors = Errors::from_problems(vec![(
                "code".to_owned(),
                "That code is not right. Try again.".to_owned(),
            )]);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(code_form(&state, &page, (method, &challenge), &next, &errors, status).await)
        }
        Err(Error::Throttled {
            of,
            retry_after_seconds,
        }) => {
            let errors = Errors::general(wait_message(of, retry_after_seconds));
            let status = StatusCode::TOO_MANY_REQUESTS;
            let response =
                code_form(&state, &page, (method, &challenge), &next, &errors, status).await;
            Ok(with_retry_after(response, retry_after_seconds))
        }
        Err(Error::InvalidCredentials | Error::Refused(_)) => {
            let errors =
                Errors::general("The passkey was not accepted. Try again, or enter a code.");
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(code_form(&state, &page, (method, &challenge), &next, &errors, status).await)
        }
        Err(Error::Invalid(_) | Error::Banned) => Ok(start_again(&page, StatusCode::FORBIDDEN)),
        Err(other) => Err(other.into()),
    }
}

/// `POST /login/second-factor/passkey/options`: a ceremony for the login the browser's cookie
/// holds, answered with one of the account's passkeys or security keys.
pub async fn passkey_options(
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    _form: PageForm,
) -> Result<Response, PageError> {
    let Some((_, challenge)) = challenge_of(&headers) else {
        return super::passkeys::options(Err(Error::Refused("This sign-in has expired.")));
    };
    let begun = state
        .services
        .begin_passkey_second_factor(
            &page.tenant,
            &challenge,
            page.client.ip.as_deref(),
            page.plain_http,
        )
        .await;
    super::passkeys::options(begun)
}
