//! The mail queue.

use super::StoreResult;
use crate::ids::TenantId;
use crate::model::{Mail, QueuedMail};
use async_trait::async_trait;
use time::OffsetDateTime;

#[async_trait]
pub trait MailStore: Send + Sync {
    async fn enqueue_mail(
        &self,
        tenant: &TenantId,
        mail: &Mail,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    /// Takes up to `limit` messages due at `now` by moving their next attempt to
    /// `claimed_until`, so no other node takes them meanwhile.
    async fn claim_due_mail(
        &self,
        now: OffsetDateTime,
        claimed_until: OffsetDateTime,
        limit: i64,
    ) -> StoreResult<Vec<QueuedMail>>;
    async fn mail_sent(&self, id: i64, now: OffsetDateTime) -> StoreResult<()>;
    async fn mail_failed(
        &self,
        id: i64,
        error: &str,
        next_attempt_at: OffsetDateTime,
    ) -> StoreResult<()>;
}
