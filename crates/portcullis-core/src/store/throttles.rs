//! Attempt counters and captcha pictures.

use super::StoreResult;
use crate::ids::TenantId;
use async_trait::async_trait;
use time::OffsetDateTime;

/// A throttle counter after a hit: how many hits its window holds, and when it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleCount {
    pub hits: i64,
    pub window_ends: OffsetDateTime,
}

/// Fixed-window attempt counters, shared by every node through the database.
#[async_trait]
pub trait ThrottleStore: Send + Sync {
    /// Counts one hit on the bucket, atomically: a bucket without a live window (none yet, or
    /// one that ended by `now`) starts one with a single hit that ends at `new_window_ends`.
    /// Of any number of concurrent hits, each sees a different count.
    async fn hit_throttle(
        &self,
        tenant: &TenantId,
        bucket: &str,
        now: OffsetDateTime,
        new_window_ends: OffsetDateTime,
    ) -> StoreResult<ThrottleCount>;
    /// The bucket's live window at `now` (`None` without one); counts nothing.
    async fn throttle_count(
        &self,
        tenant: &TenantId,
        bucket: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<ThrottleCount>>;
    /// Takes back one hit of the window that ends at `window_ends` (never below zero); does
    /// nothing once that window has been replaced.
    async fn refund_throttle(
        &self,
        tenant: &TenantId,
        bucket: &str,
        window_ends: OffsetDateTime,
    ) -> StoreResult<()>;
    /// Forgets the bucket's count.
    async fn clear_throttle(&self, tenant: &TenantId, bucket: &str) -> StoreResult<()>;
    /// Deletes every counter (of any tenant) whose window ended by `now`.
    async fn sweep_throttles(&self, now: OffsetDateTime) -> StoreResult<u64>;
}

/// Document 002's image captchas (the captcha service). Each method is one statement, so
/// concurrent answers to one captcha are decided by the database.
#[async_trait]
pub trait CaptchaStore: Send + Sync {
    /// Stores a new captcha, and deletes (some of) those that expired before `purge_before`.
    async fn insert_captcha(
        &self,
        captcha: &crate::model::StoredCaptcha,
        purge_before: OffsetDateTime,
    ) -> StoreResult<()>;
    async fn captcha(&self, key_hash: &str) -> StoreResult<Option<crate::model::StoredCaptcha>>;
    /// Marks an unused captcha solved until `grace_until`, unless it already is (the first
    /// deadline stays); `false` when it is used, expired unsolved, or past its deadline.
    async fn solve_captcha(
        &self,
        key_hash: &str,
        now: OffsetDateTime,
        grace_until: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// Marks the captcha used (a wrong answer, or a login): it passes no more. `false` when
    /// it was used already (or is unknown).
    async fn burn_captcha(&self, key_hash: &str, now: OffsetDateTime) -> StoreResult<bool>;
}
