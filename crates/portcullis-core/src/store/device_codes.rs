//! The device authorization grant's codes (RFC 8628).

use super::StoreResult;
use crate::ids::{TenantId, TokenId};
use crate::model::{DeviceCode, Grant, NewToken, StoredRefreshToken};
use async_trait::async_trait;
use time::OffsetDateTime;

/// Device codes, from the request to the one redemption. Every change of state is one
/// conditional statement, so of concurrent approvals, denials or redemptions one wins.
#[async_trait]
pub trait DeviceCodeStore: Send + Sync {
    /// Stores a new code, clearing away a few that expired long ago. A user code another code
    /// of the tenant holds is a [`crate::StoreError::Conflict`].
    async fn create_device_code(&self, code: &DeviceCode) -> StoreResult<()>;
    /// The code with this device-code hash, and its grant once approved.
    async fn device_code(
        &self,
        device_code_hash: &str,
    ) -> StoreResult<Option<(DeviceCode, Option<Grant>)>>;
    /// The tenant's code with this user-code hash.
    async fn device_code_by_user_code(
        &self,
        tenant: &TenantId,
        user_code_hash: &str,
    ) -> StoreResult<Option<DeviceCode>>;
    /// Notes a poll at `now` and the interval the device must keep from now on.
    async fn record_device_poll(
        &self,
        device_code_hash: &str,
        now: OffsetDateTime,
        interval_seconds: i64,
    ) -> StoreResult<()>;
    /// Stores `grant` and binds the code to it, all or nothing; `false` (nothing stored)
    /// unless the code was still undecided and unexpired at `now`.
    async fn approve_device_code(
        &self,
        device_code_hash: &str,
        grant: &Grant,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// Marks the code denied; `false` unless it was still undecided and unexpired at `now`.
    async fn deny_device_code(
        &self,
        device_code_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// Marks the approved code redeemed and stores its grant's first access token and refresh
    /// token, all or nothing; `None` (nothing stored) when it was redeemed already or its
    /// grant was revoked.
    async fn redeem_device_code(
        &self,
        device_code_hash: &str,
        now: OffsetDateTime,
        access: &NewToken,
        refresh: &StoredRefreshToken,
    ) -> StoreResult<Option<TokenId>>;
}
