//! `GET/POST /verify-email?token=…`: the link of the confirmation mail opens a page whose
//! button confirms, so a mail scanner that follows links uses up nothing.

use super::context::Page;
use super::form::PageForm;
use super::login::query_pairs;
use crate::common::html::{ok, render, Chrome, MessagePage};
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
}

pub async fn show(page: Page, uri: Uri) -> Response {
    let token = query_pairs(&uri)
        .into_iter()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v)
        .unwrap_or_default();
    let view = VerifyPage {
        chrome: &page.chrome,
        title: "Confirm your email address",
        token: &token,
    };
    ok(&view, &page.chrome)
}

pub async fn submit(
    State(state): State<AppState>,
    page: Page,
    form: PageForm,
) -> Result<Response, PageError> {
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
