//! Second factors, their login challenges, and remembered browsers.

use super::StoreResult;
use crate::ids::UserId;
use crate::model::{Challenge, Mail, NewActivity, NewChallenge, NewTwoFactor, TwoFactor, User};
use async_trait::async_trait;
use time::OffsetDateTime;

#[async_trait]
pub trait TwoFactorStore: Send + Sync {
    /// Users whose stored authenticator seed does not start with `sealed`, with that seed.
    async fn totp_seeds_not(&self, sealed: &str) -> StoreResult<Vec<(UserId, String)>>;
    /// Replaces a stored seed `old` with `new`; `false` (and nothing) when it changed
    /// meanwhile.
    async fn replace_totp_seed(&self, user: UserId, old: &str, new: &str) -> StoreResult<bool>;
    async fn two_factor(&self, user: UserId) -> StoreResult<Option<TwoFactor>>;
    /// Replaces the user's second factor (and the 2FA fields of the user row) and records the
    /// activity; returns the user.
    async fn set_two_factor(
        &self,
        user: UserId,
        setup: &NewTwoFactor,
        activity: &NewActivity,
        now: OffsetDateTime,
    ) -> StoreResult<User>;
    /// Activates a pending TOTP setup, remembering the step of the code that confirmed it.
    /// Confirms the pending setup whose sealed key is `sealed`, at TOTP `step`; false when
    /// that setup is no longer the pending one (started again, or confirmed meanwhile).
    async fn confirm_totp(
        &self,
        user: UserId,
        sealed_and_step: (&str, i64),
        activity: &NewActivity,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// Accepts a TOTP step once: false when it, or a later one, was already used.
    async fn record_totp_step(&self, user: UserId, step: i64) -> StoreResult<bool>;
    /// Removes the user's second factor, recovery codes and open challenges; returns the user.
    async fn clear_two_factor(
        &self,
        user: UserId,
        activity: &NewActivity,
        now: OffsetDateTime,
    ) -> StoreResult<User>;
    async fn replace_recovery_codes(
        &self,
        user: UserId,
        hashes: &[String],
        activity: &NewActivity,
    ) -> StoreResult<()>;
    /// Uses up an unused recovery code of the user; false when there is none with this hash.
    async fn use_recovery_code(
        &self,
        user: UserId,
        hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// Stores a login challenge, and queues the mail carrying its code when given.
    async fn create_challenge(
        &self,
        challenge: &NewChallenge,
        mail: Option<&Mail>,
    ) -> StoreResult<()>;
    async fn challenge(&self, id_hash: &str) -> StoreResult<Option<Challenge>>;
    /// Claims one attempt on the challenge before its code is looked at: false when it is
    /// used, expired or out of attempts. One conditional update, so of any number of
    /// concurrent guesses at most `max_attempts` are ever evaluated.
    async fn claim_challenge_attempt(
        &self,
        id_hash: &str,
        now: OffsetDateTime,
        max_attempts: i64,
    ) -> StoreResult<bool>;
    /// Uses the challenge up; false when it was used or expired meanwhile.
    async fn use_challenge(&self, id_hash: &str, now: OffsetDateTime) -> StoreResult<bool>;
}

/// Browsers remembered after a second factor (the pages' "remember this browser").
#[async_trait]
pub trait RememberedDeviceStore: Send + Sync {
    async fn remember_device(&self, device: &crate::model::RememberedDevice) -> StoreResult<()>;
    /// The device with this secret hash, unless it expired by `now`.
    async fn remembered_device(
        &self,
        secret_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<crate::model::RememberedDevice>>;
    /// How many live devices the user has remembered.
    async fn remembered_devices(&self, user: UserId, now: OffsetDateTime) -> StoreResult<i64>;
    /// Forgets every device of the user; how many there were.
    async fn forget_devices(&self, user: UserId) -> StoreResult<u64>;
}
