//! Passkeys on the hosted pages: signing in with one on `/login` (a button, and the browser's
//! autofill), and adding, renaming and removing them on the account page. The script
//! (`/assets/passkeys.js`) only makes the WebAuthn calls: it fetches a ceremony's options here
//! and posts the browser's answer with an ordinary form, so every rule stays the services'.
//!
//! A sign-in ceremony is bound to the browser's CSRF secret, so only the browser that asked
//! can answer it.

use super::account::{account_page, AccountForm, Extra};
use super::context::Page;
use super::form::PageForm;
use super::login::{answer_outcome, Next};
use crate::common::html::redirect;
use crate::common::page_error::PageError;
use crate::common::state::AppState;
use crate::common::web_session::WebSession;
use axum::extract::State;
use axum::http::header::CACHE_CONTROL;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use portcullis_core::account_changes::CURRENT_PASSWORD;
use portcullis_core::auth::LoginOutcome;
use portcullis_core::ids::PasskeyId;
use portcullis_core::model::SessionClient;
use portcullis_core::passkeys::{Answer, Begun};
use portcullis_core::{Error, Secret};
use serde_json::{json, Value};

const SCRIPT: &str = include_str!("../../templates/pages/passkeys.js");

/// The passkey script, cached for a day (it changes only with the binary).
pub async fn script() -> Response {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/javascript; charset=utf-8",
            ),
            (CACHE_CONTROL, "public, max-age=86400"),
        ],
        SCRIPT,
    )
        .into_response()
}

/// A ceremony's options for the script, or why there are none, as JSON.
pub(super) fn options(begun: Result<Begun, Error>) -> Result<Response, PageError> {
    let (status, body) = match begun {
        Ok(begun) => {
            let body = json!({
                "challenge_id": begun.handle.expose(),
                "publicKey": begun.public_key,
            });
            (StatusCode::OK, body)
        }
        Err(Error::Refused(message)) => (StatusCode::FORBIDDEN, json!({ "error": message })),
        Err(Error::Conflict(message)) => (StatusCode::CONFLICT, json!({ "error": message })),
        Err(Error::Throttled { .. }) => (
            StatusCode::TOO_MANY_REQUESTS,
            json!({ "error": "Too many attempts. Please wait a few minutes and try again." }),
        ),
        Err(Error::Forbidden) => (
            StatusCode::FORBIDDEN,
            json!({ "error": "Sign in again to add a passkey." }),
        ),
        Err(Error::Invalid(problems)) => {
            let message = problems
                .first()
                .map(super::view::field_message)
                .unwrap_or_default();
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({ "error": message }),
            )
        }
        Err(other) => return Err(other.into()),
    };
    Ok((status, Json::<Value>(body)).into_response())
}

/// The ceremony's answer a form carries (`challenge_id`, and `credential` as JSON).
pub(super) fn answer(form: &PageForm) -> Answer {
    Answer {
        handle: Secret::new(form.text("challenge_id")),
        credential: serde_json::from_str(form.value("credential").unwrap_or(""))
            .unwrap_or(Value::Null),
    }
}

/// `POST /login/passkey/options`: a sign-in ceremony for this browser.
pub async fn sign_in_options(
    State(state): State<AppState>,
    page: Page,
    _form: PageForm,
) -> Result<Response, PageError> {
    let begun = state
        .services
        .begin_passkey_sign_in(
            &page.tenant,
            Some(&page.chrome.csrf.value),
            page.client.ip.as_deref(),
            page.plain_http,
        )
        .await;
    options(begun)
}

/// `POST /login/passkey`: the browser's answer; signed in like a password sign-in (the
/// session cookie, then on to the application), but without a second step.
pub async fn sign_in(
    State(state): State<AppState>,
    page: Page,
    form: PageForm,
) -> Result<Response, PageError> {
    let next = Next::from_form(&form);
    let outcome = state
        .services
        .passkey_login(
            &page.tenant,
            &answer(&form),
            Some(&page.chrome.csrf.value),
            &page.client,
            SessionClient::Browser,
            page.plain_http,
        )
        .await
        .map(|issued| LoginOutcome::Issued(Box::new(issued)));
    let outcome = match outcome {
        // A stale or foreign ceremony reads as what it is for a person: try again.
        Err(Error::Invalid(_)) => Err(Error::Refused(
            "That passkey sign-in was not completed. Please try again.",
        )),
        other => other,
    };
    answer_outcome(&state, &page, &next, "", outcome).await
}

/// `POST /account/passkeys/options`: a registration ceremony for the signed-in person.
pub async fn register_options(
    State(state): State<AppState>,
    page: Page,
    WebSession(session): WebSession,
    form: PageForm,
) -> Result<Response, PageError> {
    let Some(principal) = session else {
        return options(Err(Error::Forbidden));
    };
    let current = form.value(CURRENT_PASSWORD).map(Secret::new);
    let begun = state
        .services
        .begin_passkey_registration(&principal, current.as_ref(), &page.client, page.plain_http)
        .await;
    options(begun)
}

/// `POST /account/passkeys`: the browser's answer, and the passkey's name.
pub async fn register(
    State(state): State<AppState>,
    page: Page,
    AccountForm { principal, form }: AccountForm,
) -> Result<Response, PageError> {
    let name = form.text("passkey_name");
    let added = state
        .services
        .finish_passkey_registration(
            &principal,
            &answer(&form),
            &name,
            &page.client,
            page.plain_http,
        )
        .await;
    let (extra, status) = match added {
        Ok(passkey) => (
            Extra {
                added_passkey: Some(passkey.name),
                ..Extra::default()
            },
            StatusCode::OK,
        ),
        Err(error) => (
            Extra {
                passkey_name: &name,
                errors: passkey_errors(error)?,
                ..Extra::default()
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    };
    account_page(&state, &page, &principal, extra, status).await
}

/// A passkey change's refusal, worded under the add form.
fn passkey_errors(error: Error) -> Result<super::view::Errors, PageError> {
    use super::view::Errors;
    Ok(match error {
        Error::Invalid(problems) => Errors::from_problems(
            problems
                .iter()
                .map(|p| {
                    let field = match p.field.as_str() {
                        "name" => "passkey_name",
                        CURRENT_PASSWORD => CURRENT_PASSWORD,
                        _ => "passkey",
                    };
                    let message = match field {
                        "passkey" => "The passkey could not be added. Please try again.".to_owned(),
                        _ => super::view::field_message(p),
                    };
                    (field.to_owned(), message)
                })
                .collect(),
        ),
        Error::Refused(message) | Error::Conflict(message) => {
            Errors::from_problems(vec![("passkey".to_owned(), message.to_owned())])
        }
        Error::Forbidden => Errors::from_problems(vec![(
            "passkey".to_owned(),
            "Sign in again to change your passkeys.".to_owned(),
        )]),
        other => return Err(other.into()),
    })
}

/// The account page after a change to a passkey: on to it, or the page again saying why not
/// (a passkey that is gone meanwhile needs no saying).
async fn back_to_account<T>(
    state: &AppState,
    page: &Page,
    principal: &portcullis_core::model::Principal,
    changed: Result<T, Error>,
) -> Result<Response, PageError> {
    match changed {
        Ok(_) | Err(Error::NotFound) => Ok(redirect("/account")),
        Err(error) => {
            let extra = Extra {
                errors: passkey_errors(error)?,
                ..Extra::default()
            };
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            account_page(state, page, principal, extra, status).await
        }
    }
}

/// The passkey a form names; an id that is not a number names none.
fn passkey_id(form: &PageForm) -> Option<PasskeyId> {
    form.text("passkey_id").trim().parse().ok().map(PasskeyId)
}

/// `POST /account/passkeys/rename`.
pub async fn rename(
    State(state): State<AppState>,
    page: Page,
    AccountForm { principal, form }: AccountForm,
) -> Result<Response, PageError> {
    let Some(id) = passkey_id(&form) else {
        return Ok(redirect("/account"));
    };
    let renamed = state
        .services
        .rename_passkey(&principal, id, &form.text("name"), &page.client)
        .await;
    back_to_account(&state, &page, &principal, renamed).await
}

/// `POST /account/passkeys/remove`.
pub async fn remove(
    State(state): State<AppState>,
    page: Page,
    AccountForm { principal, form }: AccountForm,
) -> Result<Response, PageError> {
    let Some(id) = passkey_id(&form) else {
        return Ok(redirect("/account"));
    };
    let current = form.value(CURRENT_PASSWORD).map(Secret::new);
    let removed = state
        .services
        .remove_passkey(&principal, id, current.as_ref(), &page.client)
        .await;
    back_to_account(&state, &page, &principal, removed).await
}
