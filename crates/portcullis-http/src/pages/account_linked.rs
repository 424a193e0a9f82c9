//! `GET /account/linked`: the social networks linked to the account, each with a form to
//! unlink it (`POST /account/linked/unlink`), which the service refuses when it is the only
//! way in, and the tenant's other networks, each with a form that links it
//! (`POST /account/linked/link`: off to the network's consent, back through the login page's
//! callback, which links it to this account in this browser session only).

use super::account::{when, AccountForm};
use super::context::Page;
use super::view::Errors;
use crate::common::html::{redirect, render, with_cookie, Chrome};
use crate::common::page_error::PageError;
use crate::common::state::AppState;
use crate::common::web_session::{cookie_value, WebSession, SESSION_COOKIE};
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use portcullis_core::account_changes::CURRENT_PASSWORD;
use portcullis_core::model::Principal;
use portcullis_core::Error;

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
    /// The tenant's networks not linked yet (name, label), while it takes social sign-ins.
    linkable: Vec<(String, String)>,
    /// A network just linked, by label.
    linked: Option<String>,
    /// Whether unlinking may need the current password (the tenant's `reauth_seconds`).
    reauth: bool,
    unlinked: Option<String>,
    errors: &'a Errors,
}

async fn linked_page(
    state: &AppState,
    page: &Page,
    principal: &Principal,
    (unlinked, linked): (Option<String>, Option<String>),
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
        .collect::<Vec<LinkRow>>();
    let linkable = state
        .services
        .social_buttons(&page.tenant)
        .into_iter()
        .filter(|b| !links.iter().any(|l| l.network == b.network))
        .map(|b| (b.network, b.label))
        .collect();
    let view = LinkedPage {
        chrome: &page.chrome,
        title: "Linked sign-ins",
        links,
        linkable,
        linked,
        reauth: principal.settings.reauth_seconds.is_some(),
        unlinked,
        errors,
    };
    Ok(render(status, &view, &page.chrome))
}

#[derive(serde::Deserialize, Default)]
pub struct LinkedQuery {
    /// A network just linked.
    linked: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    WebSession(session): WebSession,
    query: Result<Query<LinkedQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let Some(principal) = session else {
        return Err(PageError::SignIn(PATH.to_owned()));
    };
    let linked = query
        .ok()
        .and_then(|Query(q)| q.linked)
        .map(|network| portcullis_core::social::network_label(&network));
    linked_page(
        &state,
        &page,
        &principal,
        (None, linked),
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
    let password = form.secret(CURRENT_PASSWORD);
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
                (Some(label), None),
                &Errors::none(),
                StatusCode::OK,
            )
            .await;
        }
        // Not linked there (any more): the list shows how things are.
        Err(Error::NotFound) => return Ok(redirect(PATH)),
        // Refused as the only way in: a conflict with how things are, not a permission.
        Err(Error::Refused(why)) => (Errors::general(why), StatusCode::CONFLICT),
        Err(error) => super::view::refusal(error, "Sign in again to change how you sign in.")?,
    };
    linked_page(&state, &page, &principal, (None, None), &errors, status).await
}

/// `POST /account/linked/link`: off to the network (`network`) to link it, under the step-up
/// rule (`current_password` when the sign-in is old).
pub async fn link(
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    AccountForm { principal, form }: AccountForm,
) -> Result<Response, PageError> {
    let network = form.text("network");
    let password = form.secret(CURRENT_PASSWORD);
    let started = state
        .services
        .start_social_link(
            &principal,
            &page.tenant,
            network.trim(),
            password.as_ref(),
            &page.client,
        )
        .await;
    let errors = match started {
        Ok(started) => {
            // The trip is bound to this browser's session cookie (the one `AccountForm` read).
            let bearer = cookie_value(&headers, SESSION_COOKIE).ok_or(PageError::Forbidden)?;
            return Ok(with_cookie(
                redirect(&started.authorize_url),
                super::social::link_cookie(&started.pending, &bearer),
            ));
        }
        Err(Error::Invalid(problems)) => Errors::from_field_errors(&problems),
        Err(other) => return Err(other.into()),
    };
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    linked_page(&state, &page, &principal, (None, None), &errors, status).await
}
