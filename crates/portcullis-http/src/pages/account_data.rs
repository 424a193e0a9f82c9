//! `GET /account/data` ("Your data"): downloading everything held about the account as JSON
//! (`POST /account/data/export`), and deleting the account (`POST /account/data/delete`)
//! where the tenant lets people do so. The rules (what the export leaves out, what deleting
//! asks for) are the services'.

use super::account::AccountForm;
use super::context::Page;
use super::view::Errors;
use crate::common::html::{ok, render, with_cookie, Chrome, MessagePage};
use crate::common::page_error::PageError;
use crate::common::state::AppState;
use crate::common::web_session::{clear_session_cookie, WebSession};
use askama::Template;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portcullis_core::account_changes::CURRENT_PASSWORD;
use portcullis_core::model::Principal;
use portcullis_core::self_deletion::{OwnDeletion, SelfDeletion, CONFIRM_EMAIL};

const PATH: &str = "/account/data";

#[derive(Template)]
#[template(path = "pages/account/data.html")]
struct DataPage<'a> {
    chrome: &'a Chrome,
    title: &'a str,
    email: &'a str,
    deletion: SelfDeletion,
    typed_email: &'a str,
    errors: &'a Errors,
}

async fn data_page(
    state: &AppState,
    page: &Page,
    principal: &Principal,
    typed_email: &str,
    errors: &Errors,
    status: StatusCode,
) -> Result<Response, PageError> {
    let deletion = state.services.self_deletion(principal).await?;
    let view = DataPage {
        chrome: &page.chrome,
        title: "Your data",
        email: &principal.user.email,
        deletion,
        typed_email,
        errors,
    };
    Ok(render(status, &view, &page.chrome))
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    WebSession(session): WebSession,
) -> Result<Response, PageError> {
    let Some(principal) = session else {
        return Err(PageError::SignIn(PATH.to_owned()));
    };
    data_page(
        &state,
        &page,
        &principal,
        "",
        &Errors::none(),
        StatusCode::OK,
    )
    .await
}

/// The export as a file to save; never kept by a cache on the way.
pub async fn export(
    State(state): State<AppState>,
    AccountForm {
        principal,
        form: _form,
    }: AccountForm,
) -> Result<Response, PageError> {
    let export = state.services.export_own_account(&principal).await?;
    let body = serde_json::to_string_pretty(&export).map_err(|_| PageError::Internal)?;
    Ok((
        [
            (CONTENT_TYPE, "application/json"),
            (CONTENT_DISPOSITION, "attachment; filename=\"account.json\""),
            (CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}

pub async fn delete(
    State(state): State<AppState>,
    page: Page,
    AccountForm { principal, form }: AccountForm,
) -> Result<Response, PageError> {
    let typed_email = form.text(CONFIRM_EMAIL);
    let deletion = OwnDeletion {
        typed_email: typed_email.clone(),
        current_password: form.secret(CURRENT_PASSWORD),
        client: page.client.clone(),
    };
    let (errors, status) = match state
        .services
        .delete_own_account(&principal, deletion)
        .await
    {
        Ok(()) => {
            let view = MessagePage {
                chrome: &page.chrome,
                title: "Account deleted",
                heading: "Your account is deleted",
                text: "Your account and everything kept with it are gone, and you are signed out everywhere. Goodbye.",
                link: None,
            };
            return Ok(with_cookie(ok(&view, &page.chrome), clear_session_cookie()));
        }
        Err(error) => super::view::refusal(error, "Sign in again to delete your account.")?,
    };
    data_page(&state, &page, &principal, &typed_email, &errors, status).await
}
