//! `GET /account/linked`: the social networks linked to the account, each with a form to
//! unlink it (`POST /account/linked/unlink`), which the service refuses when it is the only
//! way in. Linking another network is not offered here: the login page's social flow signs
//! in as the account the network's address belongs to, it does not link the signed-in one.

use super::account::{when, AccountForm};
use super::context::Page;
use super::view::{field_message, wait_message, Errors};
use crate::common::html::{redirect, render, Chrome};
use crate::common::page_error::PageError;
use crate::common::state::AppState;
use crate::common::web_session::WebSession;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use portcullis_core::account_changes::CURRENT_PASSWORD;
use portcullis_core::model::Principal;
use portcullis_core::{Error, Secret};

const PATH: &str = "/account/linked";

struct LinkRow {
    network: String,
    label: String,
    since: String,
}

#[derive(Template)]
#[template(path = "pages/account/linked.html")]
struct LinkedPage<'a> {
    chrome: &'a Chrome,
    title: &'a str,
    links: Vec<LinkRow>,
    /// The tenant's networks a person can sign in with (by label), while it takes social
    /// sign-ins.
    networks: Vec<String>,
    /// Whether unlinking may need the current password (the tenant's `reauth_seconds`).
    reauth: bool,
    unlinked: Option<String>,
    errors: &'a Errors,
}

async fn linked_page(
    state: &AppState,
    page: &Page,
    principal: &Principal,
    unlinked: Option<String>,
    errors: &Errors,
    status: StatusCode,
) -> Result<Response, PageError> {
    let links = state
        .services
        .linked_networks(principal)
        .await?
        .into_iter()
        .map(|n| LinkRow {
            network: n.network,
            label: n.label,
            since: when(n.linked_at),
        })
        .collect();
    let view = LinkedPage {
        chrome: &page.chrome,
        title: "Linked sign-ins",
        links,
        networks: state
            .services
            .social_buttons(&page.tenant)
            .into_iter()
            .map(|b| b.label)
            .collect(),
        reauth: principal.settings.reauth_seconds.is_some(),
        unlinked,
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
    linked_page(
        &state,
        &page,
        &principal,
        None,
        &Errors::none(),
        StatusCode::OK,
    )
    .await
}

pub async fn unlink(
    State(state): State<AppState>,
    page: Page,
    AccountForm { principal, form }: AccountForm,
) -> Result<Response, PageError> {
    let network = form.text("network");
    let password = form.text(CURRENT_PASSWORD);
    let password = (!password.is_empty()).then(|| Secret::new(password));
    let outcome = state
        .services
        .unlink_network(&principal, network.trim(), password.as_ref(), &page.client)
        .await;
    let (errors, status) = match outcome {
        Ok(()) => {
            let label = portcullis_core::social::network_label(network.trim());
            return linked_page(
                &state,
                &page,
                &principal,
                Some(label),
                &Errors::none(),
                StatusCode::OK,
            )
            .await;
        }
        // Not linked there (any more): the list shows how things are.
        Err(Error::NotFound) => return Ok(redirect(PATH)),
        Err(Error::Invalid(problems)) => (
            Errors::from_problems(
                problems
                    .iter()
                    .map(|p| (p.field.clone(), field_message(p)))
                    .collect(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(Error::Refused(why)) => (Errors::general(why), StatusCode::CONFLICT),
        Err(Error::Forbidden) => (
            Errors::general("Sign in again to change how you sign in."),
            StatusCode::FORBIDDEN,
        ),
        Err(Error::Throttled {
            of,
            retry_after_seconds,
        }) => (
            Errors::general(wait_message(of, retry_after_seconds)),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Err(other) => return Err(other.into()),
    };
    linked_page(&state, &page, &principal, None, &errors, status).await
}
