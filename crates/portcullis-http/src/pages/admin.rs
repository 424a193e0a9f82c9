//! The administration console (`/admin`): the sections a signed-in person's permissions allow,
//! as server-rendered pages. Every action calls the same service as the APIs, which checks the
//! permission again; the console only chooses what to show.

use super::account::{when, AccountForm};
use super::context::Page;
use crate::common::html::{ok, redirect};
use crate::common::page_error::PageError;
use crate::common::state::AppState;
use crate::common::web_session::WebSession;
use askama::Template;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use portcullis_core::console::ConsoleAccess;
use portcullis_core::directory::AccountInput;
use portcullis_core::ids::UserId;
use portcullis_core::model::{Paging, Principal, UserStatus};
use portcullis_core::stats::Stats;
use serde::Deserialize;

/// Users per page of the list.
const PER_PAGE: i64 = 25;
/// The chart's drawing height, in SVG units.
const CHART_HEIGHT: i64 = 120;

/// The person behind a console request, and what they may see: anyone signed out is sent to
/// sign in (and back), anyone with no section gets a 403 page.
pub(super) async fn console(
    state: &AppState,
    session: Option<Principal>,
    back_to: &str,
) -> Result<Result<(Principal, ConsoleAccess), Response>, PageError> {
    let Some(principal) = session else {
        let query = serde_urlencoded::to_string([("return_to", back_to)]).unwrap_or_default();
        return Ok(Err(redirect(&format!("/login?{query}"))));
    };
    let access = state.services.console_access(&principal).await?;
    Ok(Ok((principal, access)))
}

/// One bar of the registrations chart.
struct Bar {
    label: &'static str,
    count: i64,
    x: i64,
    y: i64,
    height: i64,
}

#[derive(Template)]
#[template(path = "pages/admin/overview.html")]
struct OverviewPage<'a> {
    chrome: &'a crate::common::html::Chrome,
    title: &'a str,
    access: ConsoleAccess,
    figures: Option<Figures>,
}

struct Figures {
    total: i64,
    new: i64,
    banned: i64,
    unconfirmed: i64,
    bars: Vec<Bar>,
    year_total: i64,
    latest: Vec<UserRow>,
}

struct UserRow {
    id: i64,
    name: String,
    email: String,
    status: &'static str,
    created: String,
}

/// `GET /admin`: the overview, with the tenant's figures for whoever manages users.
pub async fn overview(
    State(state): State<AppState>,
    page: Page,
    WebSession(session): WebSession,
) -> Result<Response, PageError> {
    let (principal, access) = match console(&state, session, "/admin").await? {
        Ok(found) => found,
        Err(sign_in) => return Ok(sign_in),
    };
    let figures = match access.users {
        false => None,
        true => match state.services.dashboard_stats(&principal).await? {
            Stats::Admin(stats) => Some(figures(stats, &principal)),
            Stats::Activity(_) => None,
        },
    };
    let view = OverviewPage {
        chrome: &page.chrome,
        title: "Console",
        access,
        figures,
    };
    Ok(ok(&view, &page.chrome))
}

fn figures(stats: portcullis_core::stats::AdminStats, principal: &Principal) -> Figures {
    let most = stats
        .users_per_month
        .iter()
        .map(|(_, n)| *n)
        .max()
        .unwrap_or(0)
        .max(1);
    let bars = stats
        .users_per_month
        .iter()
        .enumerate()
        .map(|(i, (month, count))| {
            let height = count * CHART_HEIGHT / most;
            Bar {
                label: MONTHS[usize::from(u8::from(*month)) - 1],
                count: *count,
                x: i64::try_from(i).unwrap_or(0) * 40 + 10,
                y: CHART_HEIGHT - height + 10,
                height,
            }
        })
        .collect::<Vec<_>>();
    Figures {
        total: stats.total,
        new: stats.new,
        banned: stats.banned,
        unconfirmed: stats.unconfirmed,
        year_total: bars.iter().map(|b| b.count).sum(),
        bars,
        latest: stats
            .latest_registrations
            .into_iter()
            .map(|user| row(user, principal))
            .collect(),
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn row(user: portcullis_core::model::User, principal: &Principal) -> UserRow {
    UserRow {
        id: user.id.0,
        name: user.full_name(),
        status: user.status(&principal.settings).as_str(),
        created: when(user.created_at),
        email: user.email,
    }
}

#[derive(Deserialize, Default)]
pub struct UsersQuery {
    search: Option<String>,
    status: Option<String>,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "pages/admin/users.html")]
struct UsersPage<'a> {
    chrome: &'a crate::common::html::Chrome,
    title: &'a str,
    access: ConsoleAccess,
    search: String,
    status: String,
    statuses: [&'static str; 3],
    users: Vec<UserRow>,
    total: i64,
    page: i64,
    previous: Option<String>,
    next: Option<String>,
}

/// `GET /admin/users`: the tenant's users, searched and filtered, a page at a time.
pub async fn users(
    State(state): State<AppState>,
    page: Page,
    WebSession(session): WebSession,
    query: Result<Query<UsersQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let (principal, access) = match console(&state, session, "/admin/users").await? {
        Ok(found) => found,
        Err(sign_in) => return Ok(sign_in),
    };
    if !access.users {
        return Err(PageError::Forbidden);
    }
    let Query(query) = query.unwrap_or_default();
    let number = query.page.unwrap_or(1).clamp(1, 1_000_000);
    let search = query.search.unwrap_or_default();
    let status = query.status.unwrap_or_default();
    let found = state
        .services
        .list_users(
            &principal,
            Some(search.as_str()),
            Some(status.as_str()),
            Paging {
                page: number,
                per_page: PER_PAGE,
            },
        )
        .await?;
    let link = |to: i64| {
        let query = serde_urlencoded::to_string([
            ("search", search.as_str()),
            ("status", status.as_str()),
            ("page", &to.to_string()),
        ])
        .unwrap_or_default();
        format!("/admin/users?{query}")
    };
    let view = UsersPage {
        chrome: &page.chrome,
        title: "Users",
        access,
        previous: (number > 1).then(|| link(number - 1)),
        next: (number * PER_PAGE < found.total).then(|| link(number + 1)),
        users: found
            .items
            .into_iter()
            .map(|user| row(user, &principal))
            .collect(),
        total: found.total,
        page: number,
        statuses: ["Active", "Unconfirmed", "Banned"],
        search,
        status,
    };
    Ok(ok(&view, &page.chrome))
}

#[derive(Template)]
#[template(path = "pages/admin/user.html")]
struct UserPage<'a> {
    chrome: &'a crate::common::html::Chrome,
    title: &'a str,
    access: ConsoleAccess,
    user: UserRow,
    username: String,
    verified: bool,
    banned: bool,
    sessions: usize,
}

/// The user id of a path; anything else is no user.
fn user_id(path: Result<Path<i64>, PathRejection>) -> Result<UserId, PageError> {
    path.map(|Path(id)| UserId(id))
        .map_err(|_| PageError::NotFound)
}

/// `GET /admin/users/{id}`: one user of the tenant (another tenant's is not found).
pub async fn user(
    State(state): State<AppState>,
    page: Page,
    WebSession(session): WebSession,
    path: Result<Path<i64>, PathRejection>,
) -> Result<Response, PageError> {
    let id = user_id(path)?;
    let back = format!("/admin/users/{}", id.0);
    let (principal, access) = match console(&state, session, &back).await? {
        Ok(found) => found,
        Err(sign_in) => return Ok(sign_in),
    };
    if !access.users {
        return Err(PageError::Forbidden);
    }
    let services = &state.services;
    let user = services.user_for_admin(&principal, id).await?;
    let sessions = services.sessions_of(&principal, user.id).await?.len();
    let view = UserPage {
        chrome: &page.chrome,
        title: "User",
        access,
        username: user.username.clone().unwrap_or_default(),
        verified: user.email_verified_at.is_some(),
        banned: user.disabled,
        sessions,
        user: row(user, &principal),
    };
    Ok(ok(&view, &page.chrome))
}

/// `POST /admin/users/{id}/status`: bans (`status=Banned`, which ends every session) or lets
/// back in (`status=Active`), through the same service as `PUT /api/users/{id}`.
pub async fn set_status(
    State(state): State<AppState>,
    page: Page,
    path: Result<Path<i64>, PathRejection>,
    AccountForm { principal, form }: AccountForm,
) -> Result<Response, PageError> {
    let id = user_id(path)?;
    let status = match form.text("status").as_str() {
        "Banned" => UserStatus::Banned,
        "Active" => UserStatus::Active,
        _ => return Err(PageError::BadForm),
    };
    let change = AccountInput {
        status: Some(status),
        ..AccountInput::default()
    };
    state
        .services
        .update_account(&principal, id, change, &page.client)
        .await?;
    Ok(redirect(&format!("/admin/users/{}", id.0)))
}
