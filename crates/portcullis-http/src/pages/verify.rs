//! `GET/POST /verify-email?token=…`: the link of the confirmation mail opens a page whose
//! button confirms, so a mail scanner that follows links uses up nothing.

use super::context::Page;
use super::form::PageForm;
use super::login::query_pairs;
use super::login::{signed_in, Next};
use super::view::Errors;
use crate::common::html::{render, Chrome, MessagePage};
use crate::common::page_error::PageError;
use crate::common::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use portcullis_core::Error;

#[derive(Template)]
#[template(path = "pages/verify.html")]
struct VerifyPage<'a> {
    chrome: &'a Chrome,
    title: &'a str,
    token: &'a str,
    /// A passwordless tenant's account makes its passkey here.
    passwordless: bool,
    errors: &'a Errors,
}

fn verify_page(page: &Page, token: &str, errors: &Errors, status: StatusCode) -> Response {
    let view = VerifyPage {
        chrome: &page.chrome,
        title: "Confirm your email address",
        token,
        passwordless: page.tenant.settings.is_passwordless(),
        errors,
    };
    render(status, &view, &page.chrome)
}

pub async fn show(page: Page, uri: Uri) -> Response {
    let token = query_pairs(&uri)
        .into_iter()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v)
        .unwrap_or_default();
    verify_page(&page, &token, &Errors::none(), StatusCode::OK)
}

/// `POST /verify-email/passkey/options`: a passwordless sign-up's passkey ceremony, for the
/// account the (still unused) token confirms.
pub async fn passkey_options(
    State(state): State<AppState>,
    page: Page,
    form: PageForm,
) -> Result<Response, PageError> {
    let begun = state
        .services
        .begin_passkey_signup(&page.tenant, &form.text("token"), page.plain_http)
        .await;
    let begun = match begun {
        Err(Error::InvalidToken) => Err(Error::Refused(
            "The link is invalid, was already used, or has expired.",
        )),
        other => other,
    };
    super::passkeys::options(begun)
}

/// A passwordless sign-up's last step: the passkey made, the address confirmed, signed in.
async fn finish_with_passkey(
    state: &AppState,
    page: &Page,
    form: &PageForm,
) -> Result<Response, PageError> {
    let token = form.text("token");
    let answer = super::passkeys::answer(form);
    let name = form.text("passkey_name");
    let finished = state
        .services
        .finish_passkey_signup(
            &page.tenant,
            &token,
            &answer,
            &name,
            &page.client,
            page.plain_http,
        )
        .await;
    let problem = match finished {
        Ok(issued) => return signed_in(state, page, &issued, &Next::default()).await,
        Err(Error::Invalid(problems)) if problems.iter().any(|p| p.field == "name") => {
            let message = problems.first().map(super::view::field_message);
            ("passkey_name", message.unwrap_or_default())
        }
        Err(Error::Invalid(_) | Error::InvalidCredentials) => (
            "passkey",
            "The passkey was not made. Please try again.".to_owned(),
        ),
        Err(Error::Refused(message) | Error::Conflict(message)) => ("passkey", message.to_owned()),
        Err(Error::InvalidToken) => {
            let view = MessagePage {
                chrome: &page.chrome,
                title: "This link does not work",
                heading: "This link does not work",
                text: "The link is invalid, was already used, or has expired.",
                link: Some(("/signup", "Sign up again")),
            };
            return Ok(render(StatusCode::BAD_REQUEST, &view, &page.chrome));
        }
        Err(other) => return Err(other.into()),
    };
    let errors = Errors::from_problems(vec![(problem.0.to_owned(), problem.1)]);
    Ok(verify_page(
        page,
        &token,
        &errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    ))
}

pub async fn submit(
    State(state): State<AppState>,
    page: Page,
    form: PageForm,
) -> Result<Response, PageError> {
    if form.checked("credential") {
        return finish_with_passkey(&state, &page, &form).await;
    }
    let token = form.text("token");
    let done = state
        .services
        .verify_email(&page.tenant, token.trim(), &page.client)
        .await;
    let (status, heading, text) = match done {
        Ok(()) => (
            StatusCode::OK,
            "Email address confirmed",
            "Thank you. Your email address is confirmed; you can sign in now.",
        ),
        Err(Error::InvalidToken) => (
            StatusCode::BAD_REQUEST,
            "This link does not work",
            "The link is invalid, was already used, or has expired.",
        ),
        Err(Error::NotFound) => (
            StatusCode::NOT_FOUND,
            "Nothing to confirm",
            "Email addresses need no confirmation here.",
        ),
        Err(other) => return Err(other.into()),
    };
    let view = MessagePage {
        chrome: &page.chrome,
        title: heading,
        heading,
        text,
        link: Some(("/login", "Sign in")),
    };
    Ok(render(status, &view, &page.chrome))
}
