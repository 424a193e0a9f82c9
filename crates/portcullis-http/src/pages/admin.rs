//! The administration console (`/admin`): the sections a signed-in person's permissions allow,
//! as server-rendered pages. Every action calls the same service as the APIs, which checks the
//! permission again; the console only chooses what to show.

use super::account::when;
use super::context::Page;
use super::cookies::CONSOLE_TENANT_COOKIE;
use super::form::PageForm;
use crate::common::html::{ok, redirect};
use crate::common::page_error::PageError;
use crate::common::state::AppState;
use crate::common::web_session::{cookie_value, WebSession};
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::FromRequestParts;
use axum::extract::{FromRequest, Request};
use axum::extract::{Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portcullis_core::console::ConsoleAccess;
use portcullis_core::directory::AccountInput;
use portcullis_core::ids::UserId;
use portcullis_core::model::{Activity, ActivityFilter, ActivityKind, Paging, Principal};
use portcullis_core::stats::Stats;
use serde::Deserialize;
use std::convert::Infallible;

/// Users per page of the list.
const PER_PAGE: i64 = 25;
/// The chart's drawing height, in SVG units.
const CHART_HEIGHT: i64 = 120;

/// The browser's signed-in person as the console acts: an operator who chose another tenant
/// acts there as its Admin (see `Services::acting_in`), anyone else as themselves.
pub struct ConsoleSession(pub Option<Principal>);

impl FromRequestParts<AppState> for ConsoleSession {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let WebSession(session) = WebSession::from_request_parts(parts, state).await?;
        let Some(session) = session else {
            return Ok(Self(None));
        };
        let chosen = cookie_value(&parts.headers, CONSOLE_TENANT_COOKIE);
        // A failure to read the choice (the database away) falls back to one's own tenant,
        // which the gate then checks like any other request.
        let acting = match state
            .services
            .acting_in(session.clone(), chosen.as_deref())
            .await
        {
            Ok(acting) => acting,
            Err(_) => session,
        };
        Ok(Self(Some(acting)))
    }
}

/// A posted console form and the person it acts as ([`ConsoleSession`]): the CSRF check
/// comes first, as on every form; anyone signed out is then sent to sign in.
pub(super) struct ConsoleForm {
    pub principal: Principal,
    pub form: PageForm,
}

impl FromRequest<AppState> for ConsoleForm {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let ConsoleSession(session) = ConsoleSession::from_request_parts(&mut parts, state)
            .await
            .unwrap_or(ConsoleSession(None));
        let form = PageForm::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        let Some(principal) = session else {
            return Err(redirect("/login?return_to=%2Fadmin"));
        };
        // A form shown for one tenant, posted after the console moved to another (in another
        // tab, say), must not change the other one.
        let shown_for = form.text("console_tenant");
        let moved = match shown_for.is_empty() {
            true => principal.acting_from.is_some(),
            false => shown_for != principal.tenant_id.as_str(),
        };
        if moved {
            return Err(PageError::Conflict(
                "This form was shown for another tenant than the one the console now manages: open the page again.",
            )
            .into_response());
        }
        Ok(Self { principal, form })
    }
}

/// The person behind a console request, and what they may see: anyone signed out is sent to
/// sign in (and back), anyone who may not open `section` gets a 403 page.
pub(super) async fn console(
    state: &AppState,
    session: Option<Principal>,
    back_to: &str,
    section: fn(&ConsoleAccess) -> bool,
) -> Result<(Principal, ConsoleAccess), PageError> {
    let Some(principal) = session else {
        return Err(PageError::SignIn(back_to.to_owned()));
    };
    let access = state.services.console_access(&principal).await?;
    if !section(&access) {
        return Err(PageError::Forbidden);
    }
    Ok((principal, access))
}

/// A list's page number as asked (1 when not, or not a number), and the links to the pages
/// before and after it, if there are any.
struct Pages {
    number: i64,
    previous: Option<String>,
    next: Option<String>,
}

impl Pages {
    fn asked(page: Option<i64>) -> i64 {
        page.unwrap_or(1).clamp(1, 1_000_000)
    }

    fn around(number: i64, per_page: i64, total: i64, link: impl Fn(i64) -> String) -> Self {
        Self {
            number,
            previous: (number > 1).then(|| link(number - 1)),
            next: (number * per_page < total).then(|| link(number + 1)),
        }
    }
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
    /// Sign-ins per day for 30 days: one bar each.
    days: Vec<DayBar>,
    sign_ins: i64,
}

struct DayBar {
    label: String,
    count: i64,
    x: i64,
    y: i64,
    height: i64,
}

pub(super) struct UserRow {
    pub(super) id: i64,
    pub(super) name: String,
    pub(super) email: String,
    pub(super) status: &'static str,
    pub(super) created: String,
}

/// `GET /admin`: the overview, with the tenant's figures for whoever manages users.
pub async fn overview(
    State(state): State<AppState>,
    page: Page,
    ConsoleSession(session): ConsoleSession,
) -> Result<Response, PageError> {
    let (principal, access) = console(&state, session, "/admin", ConsoleAccess::any).await?;
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
    let most_in_a_day = stats
        .sign_ins_per_day
        .iter()
        .map(|(_, n)| *n)
        .max()
        .unwrap_or(0)
        .max(1);
    let days: Vec<DayBar> = stats
        .sign_ins_per_day
        .iter()
        .enumerate()
        .map(|(i, (day, count))| {
            let height = count * CHART_HEIGHT / most_in_a_day;
            DayBar {
                label: format!(
                    "{} {}",
                    MONTHS[usize::from(u8::from(day.month())) - 1],
                    day.day()
                ),
                count: *count,
                x: i64::try_from(i).unwrap_or(0) * 16 + 10,
                y: CHART_HEIGHT - height + 10,
                height,
            }
        })
        .collect();
    Figures {
        sign_ins: days.iter().map(|d| d.count).sum(),
        days,
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

pub(super) fn row(user: portcullis_core::model::User, principal: &Principal) -> UserRow {
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
    /// A role's id; empty for any.
    role: Option<String>,
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
    roles: Vec<(i64, String)>,
    role: i64,
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
    ConsoleSession(session): ConsoleSession,
    query: Result<Query<UsersQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let (principal, access) = console(&state, session, "/admin/users", |a| a.users).await?;
    let Query(query) = query.unwrap_or_default();
    let number = Pages::asked(query.page);
    let search = query.search.unwrap_or_default();
    let status = query.status.unwrap_or_default();
    // A role that is not a number is no filter; one of another tenant matches nobody.
    let role = query.role.and_then(|r| r.trim().parse::<i64>().ok());
    let found = state
        .services
        .list_users_in_role(
            &principal,
            Some(search.as_str()),
            Some(status.as_str()),
            role.map(portcullis_core::ids::RoleId),
            Paging {
                page: number,
                per_page: PER_PAGE,
            },
        )
        .await?;
    let link = |to: i64| {
        let role = role.map(|r| r.to_string()).unwrap_or_default();
        let query = serde_urlencoded::to_string([
            ("search", search.as_str()),
            ("status", status.as_str()),
            ("role", role.as_str()),
            ("page", &to.to_string()),
        ])
        .unwrap_or_default();
        format!("/admin/users?{query}")
    };
    let pages = Pages::around(number, PER_PAGE, found.total, link);
    let view = UsersPage {
        chrome: &page.chrome,
        title: "Users",
        access,
        previous: pages.previous,
        next: pages.next,
        users: found
            .items
            .into_iter()
            .map(|user| row(user, &principal))
            .collect(),
        total: found.total,
        page: pages.number,
        statuses: ["Active", "Unconfirmed", "Banned"],
        roles: state
            .services
            .tenant_roles(&principal)
            .await?
            .into_iter()
            .map(|r| (r.id.0, r.display_name.unwrap_or(r.name)))
            .collect(),
        role: role.unwrap_or(0),
        search,
        status,
    };
    Ok(ok(&view, &page.chrome))
}

#[derive(Template)]
#[template(path = "pages/admin/invite.html")]
struct InvitePage<'a> {
    chrome: &'a crate::common::html::Chrome,
    title: &'a str,
    access: ConsoleAccess,
    roles: Vec<(i64, String)>,
    email: String,
    username: String,
    role: i64,
    errors: &'a super::view::Errors,
}

/// `GET /admin/users/new`: the form that invites someone.
pub async fn invite_form(
    State(state): State<AppState>,
    page: Page,
    ConsoleSession(session): ConsoleSession,
) -> Result<Response, PageError> {
    let (principal, access) = console(&state, session, "/admin/users/new", |a| a.users).await?;
    invite_page(
        &state,
        &page,
        &principal,
        access,
        InviteForm::default(),
        &Default::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Default)]
struct InviteForm {
    email: String,
    username: String,
    role: i64,
}

async fn invite_page(
    state: &AppState,
    page: &Page,
    principal: &Principal,
    access: ConsoleAccess,
    form: InviteForm,
    errors: &super::view::Errors,
    status: StatusCode,
) -> Result<Response, PageError> {
    let roles = state.services.tenant_roles(principal).await?;
    // Nothing chosen yet: the least, the built-in User role (never the first, which is Admin).
    let role = match form.role {
        0 => roles
            .iter()
            .find(|r| r.name == portcullis_core::rbac::USER_ROLE && !r.removable)
            .map_or(0, |r| r.id.0),
        chosen => chosen,
    };
    let roles = roles
        .into_iter()
        .map(|role| (role.id.0, role.display_name.unwrap_or(role.name)))
        .collect();
    let view = InvitePage {
        chrome: &page.chrome,
        title: "Invite a user",
        access,
        roles,
        email: form.email,
        username: form.username,
        role,
        errors,
    };
    Ok(crate::common::html::render(status, &view, &page.chrome))
}

/// `POST /admin/users`: invites someone (the account is made, and its owner is mailed a link
/// to choose a password), through the same checks as `POST /api/users`; the form again with
/// its problems next to the fields otherwise.
pub async fn invite(
    State(state): State<AppState>,
    page: Page,
    ConsoleForm { principal, form }: ConsoleForm,
) -> Result<Response, PageError> {
    let typed = InviteForm {
        email: form.text("email").trim().to_owned(),
        username: form.text("username").trim().to_owned(),
        role: form.text("role_id").trim().parse().unwrap_or(0),
    };
    let input = AccountInput {
        email: Some(typed.email.clone()),
        username: (!typed.username.is_empty()).then(|| Some(typed.username.clone())),
        role_id: Some(portcullis_core::ids::RoleId(typed.role)),
        ..AccountInput::default()
    };
    let tenant = state.services.console_tenant(&principal).await?;
    match state
        .services
        .invite_account(&principal, &tenant, input, &page.client)
        .await
    {
        Ok(user) => Ok(redirect(&format!("/admin/users/{}", user.id.0))),
        Err(portcullis_core::Error::Invalid(problems)) => {
            let access = state.services.console_access(&principal).await?;
            let errors = super::view::Errors::from_field_errors(&problems);
            invite_page(
                &state,
                &page,
                &principal,
                access,
                typed,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

pub(super) struct ActivityRow {
    pub(super) when: String,
    pub(super) description: String,
    pub(super) ip: String,
    pub(super) user: Option<i64>,
}

pub(super) fn activity_row(entry: Activity) -> ActivityRow {
    ActivityRow {
        when: when(entry.created_at),
        description: entry.description,
        ip: entry.ip_address.unwrap_or_default(),
        user: entry.user_id.map(|id| id.0),
    }
}

#[derive(Deserialize, Default)]
pub struct ActivityQuery {
    search: Option<String>,
    /// One user's entries only (their id).
    user: Option<i64>,
    /// One client address's entries only.
    address: Option<String>,
    /// `YYYY-MM-DD`: entries of that day (UTC) or later.
    from: Option<String>,
    /// `YYYY-MM-DD`: entries of that day (UTC) or earlier.
    until: Option<String>,
    /// An [`ActivityKind`]'s name; anything else filters nothing.
    kind: Option<String>,
    page: Option<i64>,
}

impl ActivityQuery {
    /// The filter this query asks for; a date that is not one filters nothing.
    fn filter(&self) -> ActivityFilter {
        let day = |text: &Option<String>| {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            text.as_deref()
                .and_then(|t| time::Date::parse(t.trim(), &format).ok())
                .map(|d| d.with_time(time::Time::MIDNIGHT).assume_utc())
        };
        ActivityFilter {
            user: self.user.map(UserId),
            search: self.search.clone(),
            ip_address: self.address.clone(),
            from: day(&self.from),
            until: day(&self.until).map(|d| d + time::Duration::days(1)),
            kind: self.kind.as_deref().and_then(ActivityKind::parse),
        }
    }

    /// This query again, to another page (`None`: no page).
    fn link(&self, path: &str, page: Option<i64>) -> String {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        let mut pairs = vec![
            ("search", text(&self.search)),
            ("address", text(&self.address)),
            ("from", text(&self.from)),
            ("until", text(&self.until)),
            ("kind", text(&self.kind)),
        ];
        if let Some(user) = self.user {
            pairs.push(("user", user.to_string()));
        }
        if let Some(page) = page {
            pairs.push(("page", page.to_string()));
        }
        format!(
            "{path}?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    }
}

#[derive(Template)]
#[template(path = "pages/admin/activity.html")]
struct ActivityPage<'a> {
    chrome: &'a crate::common::html::Chrome,
    title: &'a str,
    access: ConsoleAccess,
    search: String,
    entries: Vec<ActivityRow>,
    total: i64,
    page: i64,
    previous: Option<String>,
    next: Option<String>,
    export: String,
    /// The user filtered on (their id), or empty.
    user: String,
    address: String,
    from: String,
    until: String,
    /// Every kind, as (name, label, chosen).
    kinds: Vec<(&'static str, &'static str, bool)>,
}

/// Entries per page of the activity log.
const ACTIVITY_PER_PAGE: i64 = 50;
/// The most entries one export holds.
const EXPORT_MAX: i64 = 10_000;

/// `GET /admin/activity`: the tenant's activity log, searched, a page at a time.
pub async fn activity(
    State(state): State<AppState>,
    page: Page,
    ConsoleSession(session): ConsoleSession,
    query: Result<Query<ActivityQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let (principal, access) = console(&state, session, "/admin/activity", |a| a.activity).await?;
    let Query(query) = query.unwrap_or_default();
    let number = Pages::asked(query.page);
    let found = state
        .services
        .filtered_activity_log(
            &principal,
            query.filter(),
            Paging {
                page: number,
                per_page: ACTIVITY_PER_PAGE,
            },
        )
        .await?;
    let pages = Pages::around(number, ACTIVITY_PER_PAGE, found.total, |to| {
        query.link("/admin/activity", Some(to))
    });
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let view = ActivityPage {
        chrome: &page.chrome,
        title: "Activity",
        access,
        previous: pages.previous,
        next: pages.next,
        export: query.link("/admin/activity/export", None),
        entries: found.items.into_iter().map(activity_row).collect(),
        total: found.total,
        page: pages.number,
        search: text(&query.search),
        user: query.user.map(|id| id.to_string()).unwrap_or_default(),
        address: text(&query.address),
        from: text(&query.from),
        until: text(&query.until),
        kinds: ActivityKind::ALL
            .into_iter()
            .map(|k| {
                (
                    k.as_str(),
                    k.label(),
                    query.kind.as_deref() == Some(k.as_str()),
                )
            })
            .collect(),
    };
    Ok(ok(&view, &page.chrome))
}

/// `GET /admin/activity/export`: the activity log's matching entries (newest first, at most
/// [`EXPORT_MAX`]) as JSON lines, to download.
pub async fn export_activity(
    State(state): State<AppState>,
    ConsoleSession(session): ConsoleSession,
    query: Result<Query<ActivityQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let (principal, _) = console(&state, session, "/admin/activity", |a| a.activity).await?;
    let Query(query) = query.unwrap_or_default();
    let found = state
        .services
        .filtered_activity_log(
            &principal,
            query.filter(),
            Paging {
                page: 1,
                per_page: EXPORT_MAX,
            },
        )
        .await?;
    let mut body = String::new();
    for entry in found.items {
        let line = serde_json::json!({
            "id": entry.id,
            "user_id": entry.user_id.map(|id| id.0),
            "ip_address": entry.ip_address,
            "user_agent": entry.user_agent,
            "description": entry.description,
            "created_at": entry.created_at.unix_timestamp(),
        });
        body.push_str(&line.to_string());
        body.push('\n');
    }
    Ok((
        [
            (CONTENT_TYPE, "application/x-ndjson"),
            (
                CONTENT_DISPOSITION,
                "attachment; filename=\"activity.jsonl\"",
            ),
        ],
        body,
    )
        .into_response())
}
