//! `GET /account/activity`: the signed-in person's own entries of the activity log (sign-ins
//! with their address and browser, changes), newest first, a page at a time.

use super::account::when;
use super::context::Page;
use crate::common::html::{ok, Chrome};
use crate::common::page_error::PageError;
use crate::common::state::AppState;
use crate::common::web_session::WebSession;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use portcullis_core::model::{Activity, Paging};
use serde::Deserialize;

const PATH: &str = "/account/activity";
/// Entries per page.
const PER_PAGE: i64 = 50;

#[derive(Deserialize, Default)]
pub struct ActivityQuery {
    page: Option<i64>,
}

struct EntryRow {
    when: String,
    description: String,
    ip: String,
    /// Browser, platform and device, as read from the user agent.
    browser: String,
}

#[derive(Template)]
#[template(path = "pages/account/activity.html")]
struct ActivityPage<'a> {
    chrome: &'a Chrome,
    title: &'a str,
    entries: Vec<EntryRow>,
    total: i64,
    page: i64,
    previous: Option<String>,
    next: Option<String>,
}

fn row(entry: Activity) -> EntryRow {
    EntryRow {
        when: when(entry.created_at),
        description: entry.description,
        ip: entry.ip_address.unwrap_or_default(),
        browser: [entry.browser, entry.platform, entry.device]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", "),
    }
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    WebSession(session): WebSession,
    query: Result<Query<ActivityQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let Some(principal) = session else {
        return Err(PageError::SignIn(PATH.to_owned()));
    };
    let Query(query) = query.unwrap_or_default();
    let number = query.page.unwrap_or(1).clamp(1, 1_000_000);
    let found = state
        .services
        .own_activity(
            &principal,
            Paging {
                page: number,
                per_page: PER_PAGE,
            },
        )
        .await?;
    let link = |to: i64| format!("{PATH}?page={to}");
    let view = ActivityPage {
        chrome: &page.chrome,
        title: "Your activity",
        previous: (number > 1).then(|| link(number - 1)),
        next: (number * PER_PAGE < found.total).then(|| link(number + 1)),
        entries: found.items.into_iter().map(row).collect(),
        total: found.total,
        page: number,
    };
    Ok(ok(&view, &page.chrome))
}
