//! The back-channel logout outbox. Notices are written by the store itself, in the transaction
//! that ends a session (whatever ends it), for every application with a
//! `backchannel_logout_uri` that received tokens in that session; here they are claimed and
//! settled.

use super::StoreResult;
use crate::model::{LogoutNotice, NewActivity};
use async_trait::async_trait;
use time::OffsetDateTime;

#[async_trait]
pub trait LogoutNoticeStore: Send + Sync {
    /// Takes up to `limit` notices due at `now` by moving their next attempt to
    /// `claimed_until`, so no other node takes them meanwhile.
    async fn claim_due_logout_notices(
        &self,
        now: OffsetDateTime,
        claimed_until: OffsetDateTime,
        limit: i64,
    ) -> StoreResult<Vec<LogoutNotice>>;
    /// The application answered: done, with the activity row that says so. Also clears away a
    /// few notices finished before `purge_before`.
    async fn logout_notice_delivered(
        &self,
        id: i64,
        now: OffsetDateTime,
        activity: &NewActivity,
        purge_before: OffsetDateTime,
    ) -> StoreResult<()>;
    /// Try again at `next_attempt_at`.
    async fn logout_notice_failed(
        &self,
        id: i64,
        error: &str,
        next_attempt_at: OffsetDateTime,
    ) -> StoreResult<()>;
    /// No more tries, with the activity row that says so.
    async fn logout_notice_given_up(
        &self,
        id: i64,
        error: &str,
        now: OffsetDateTime,
        activity: &NewActivity,
    ) -> StoreResult<()>;
}
