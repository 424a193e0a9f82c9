//! Sessions, their tokens, and the activity log.

use super::StoreResult;
use crate::ids::{SessionId, TenantId, TokenId, UserId};
use crate::model::{NewActivity, NewToken, Session, TokenLookup};
use async_trait::async_trait;
use time::OffsetDateTime;

/// How many live sessions a login may find, and which one to end first to make room.
#[derive(Debug, Clone)]
pub struct SessionLimit {
    /// `None`: unlimited.
    pub max: Option<i64>,
    /// A session of the user's to end (with the activity row that records it) before counting.
    pub end_first: Option<(SessionId, NewActivity)>,
}

/// What [`SessionStore::create_limited_login`] did.
#[derive(Debug)]
pub enum LimitedLogin {
    Created {
        token: TokenId,
        ended: bool,
    },
    /// At the limit: nothing was created; the user's live sessions, most recently active first.
    /// `ended` says whether the named session was ended all the same.
    Full {
        sessions: Vec<Session>,
        ended: bool,
    },
    /// `end_first` names no live session of the user's; nothing changed.
    UnknownSession,
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Records a login (the session, its token, the user's `last_login` and the activity
    /// row, all or nothing) unless the user already has `limit.max` live sessions, first ending the
    /// session `limit.end_first` names (with its activity row). The check and the insert are
    /// one step: concurrent logins of one user cannot overshoot the limit.
    async fn create_limited_login(
        &self,
        session: &Session,
        token: &NewToken,
        activity: &NewActivity,
        limit: &SessionLimit,
    ) -> StoreResult<LimitedLogin>;
    async fn lookup_token(&self, id: TokenId) -> StoreResult<Option<TokenLookup>>;
    async fn touch_session(
        &self,
        session: &SessionId,
        token: TokenId,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    async fn touch_token(&self, token: TokenId, now: OffsetDateTime) -> StoreResult<()>;
    /// Ends the session and revokes every token it issued, and records the activity.
    async fn end_session(
        &self,
        session: &SessionId,
        activity: &NewActivity,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    async fn revoke_token(
        &self,
        token: TokenId,
        activity: &NewActivity,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    async fn session(&self, id: &SessionId) -> StoreResult<Option<Session>>;
    /// The user's sessions that have not ended or expired, most recently active first.
    async fn live_sessions(&self, user: UserId, now: OffsetDateTime) -> StoreResult<Vec<Session>>;
}

#[async_trait]
pub trait ActivityStore: Send + Sync {
    async fn record_activity(&self, activity: &NewActivity) -> StoreResult<()>;
    /// A page of the tenant's activity that `filter` selects, newest first; and how many match
    /// in all. Browser, platform and device are left for the caller to read from the user
    /// agent.
    async fn activities(
        &self,
        tenant: &TenantId,
        filter: &crate::model::ActivityFilter,
        paging: crate::model::Paging,
    ) -> StoreResult<(Vec<crate::model::Activity>, i64)>;
}
