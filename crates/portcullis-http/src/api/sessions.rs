//! Sessions (`/api/me/sessions`, `/api/users/{id}/sessions`, `/api/sessions/{id}`) and the
//! activity log (`/api/activity`, `/api/users/{id}/activity`).

use super::error::ApiResult;
use super::extract::{user_id, Auth};
use super::json::UserJson;
use super::page::{ListQuery, PageJson};
use super::schema::{ErrorJson, SuccessJson};
use crate::common::client::ClientAddr;
use crate::common::laravel::timestamp;
use crate::common::state::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::Uri;
use axum::Json;
use portcullis_core::ids::UserId;
use portcullis_core::model::{Activity, Session};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
#[schema(as = Session)]
pub struct SessionJson {
    id: String,
    user_id: i64,
    ip_address: Option<String>,
    user_agent: Option<String>,
    browser: Option<String>,
    platform: Option<String>,
    device: Option<String>,
    #[schema(example = "2017-08-18 14:30:09")]
    last_activity: String,
}

impl From<Session> for SessionJson {
    fn from(session: Session) -> Self {
        Self {
            id: session.id.0,
            user_id: session.user_id.0,
            ip_address: session.ip_address,
            user_agent: session.user_agent,
            browser: session.browser,
            platform: session.platform,
            device: session.device,
            last_activity: timestamp(session.last_activity),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = Activity)]
pub struct ActivityJson {
    id: i64,
    user_id: Option<i64>,
    ip_address: Option<String>,
    user_agent: Option<String>,
    browser: Option<String>,
    platform: Option<String>,
    device: Option<String>,
    description: String,
    created_at: String,
    /// With `include=user`.
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<UserJson>,
}

/// A page of activity in document 001's envelope.
#[derive(ToSchema)]
#[allow(dead_code)] // describes `PageJson<ActivityJson>` for the document
pub struct ActivityPage {
    data: Vec<ActivityJson>,
    meta: super::page::PageMeta,
}

/// The caller's live sessions.
#[utoipa::path(
    get,
    path = "/api/me/sessions",
    operation_id = "my_sessions",
    tag = "sessions",
    responses(
        (status = 200, description = "Live sessions, most recently active first", body = Vec<SessionJson>),
        (status = 403, description = "The token lacks `view-sessions`", body = ErrorJson),
    ),
)]
pub async fn mine(
    State(state): State<AppState>,
    Auth(principal): Auth,
) -> ApiResult<Json<Vec<SessionJson>>> {
    let sessions = state
        .services
        .sessions_of(&principal, principal.user.id)
        .await?;
    Ok(Json(sessions.into_iter().map(SessionJson::from).collect()))
}

/// A user's live sessions (`users.manage`, or the caller's own).
#[utoipa::path(
    get,
    path = "/api/users/{id}/sessions",
    operation_id = "user_sessions",
    tag = "sessions",
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 200, description = "Live sessions", body = Vec<SessionJson>),
        (status = 403, description = "Forbidden.", body = ErrorJson),
        (status = 404, description = "No such user", body = ErrorJson),
    ),
)]
pub async fn of_user(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<SessionJson>>> {
    let user = user_id(&id)?;
    let sessions = state.services.sessions_of(&principal, user).await?;
    Ok(Json(sessions.into_iter().map(SessionJson::from).collect()))
}

/// One session.
#[utoipa::path(
    get,
    path = "/api/sessions/{id}",
    operation_id = "show_session",
    tag = "sessions",
    params(("id" = String, Path, description = "Session id")),
    responses(
        (status = 200, description = "The session", body = SessionJson),
        (status = 403, description = "Forbidden.", body = ErrorJson),
        (status = 404, description = "No such session", body = ErrorJson),
    ),
)]
pub async fn show(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<SessionJson>> {
    let session = state.services.session(&principal, &id).await?;
    Ok(Json(session.into()))
}

/// Ends a session and every token it issued.
#[utoipa::path(
    delete,
    path = "/api/sessions/{id}",
    operation_id = "end_session",
    tag = "sessions",
    params(("id" = String, Path, description = "Session id")),
    responses(
        (status = 200, description = "Ended", body = SuccessJson),
        (status = 403, description = "Forbidden.", body = ErrorJson),
        (status = 404, description = "No such session", body = ErrorJson),
    ),
)]
pub async fn end(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
) -> ApiResult<Json<SuccessJson>> {
    state.services.end_session(&principal, &id, &client).await?;
    Ok(Json(SuccessJson { success: true }))
}

/// The tenant's activity log (`users.activity`).
#[utoipa::path(
    get,
    path = "/api/activity",
    operation_id = "activity_log",
    tag = "activity",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of activity, newest first", body = ActivityPage),
        (status = 403, description = "Forbidden.", body = ErrorJson),
    ),
)]
pub async fn log(
    State(state): State<AppState>,
    Auth(principal): Auth,
    uri: Uri,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> ApiResult<Json<PageJson<ActivityJson>>> {
    activity(state, principal, None, uri, query).await
}

/// One user's activity log (`users.activity`).
#[utoipa::path(
    get,
    path = "/api/users/{id}/activity",
    operation_id = "user_activity_log",
    tag = "activity",
    params(("id" = i64, Path, description = "User id"), ListQuery),
    responses(
        (status = 200, description = "A page of activity, newest first", body = ActivityPage),
        (status = 403, description = "Forbidden.", body = ErrorJson),
        (status = 404, description = "No such user", body = ErrorJson),
    ),
)]
pub async fn user_log(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<String>,
    uri: Uri,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> ApiResult<Json<PageJson<ActivityJson>>> {
    let user = user_id(&id)?;
    activity(state, principal, Some(user), uri, query).await
}

async fn activity(
    state: AppState,
    principal: portcullis_core::model::Principal,
    user: Option<UserId>,
    uri: Uri,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> ApiResult<Json<PageJson<ActivityJson>>> {
    // A malformed query string reads as no parameters, as the original's does.
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let mut page = state
        .services
        .activity_log(&principal, user, query.search.as_deref(), query.paging())
        .await?;
    let mut users = Vec::new();
    if super::json::includes(query.include.as_deref())("user") {
        let mut ids: Vec<UserId> = page.items.iter().filter_map(|a| a.user_id).collect();
        ids.sort_unstable();
        ids.dedup();
        users = state.services.users_by_ids(&principal, &ids).await?;
    }
    let data = std::mem::take(&mut page.items)
        .into_iter()
        .map(|a: Activity| {
            let user = a
                .user_id
                .and_then(|id| users.iter().find(|u| u.id == id))
                .map(|u| UserJson::new(u.clone(), &principal.settings));
            ActivityJson {
                id: a.id,
                user_id: a.user_id.map(|u| u.0),
                ip_address: a.ip_address,
                user_agent: a.user_agent,
                browser: a.browser,
                platform: a.platform,
                device: a.device,
                description: a.description,
                created_at: timestamp(a.created_at),
                user,
            }
        })
        .collect();
    Ok(Json(PageJson::new(page, data, uri.path(), uri.query())))
}
