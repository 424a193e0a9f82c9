//! Passkeys and the WebAuthn ceremonies in flight.

use super::StoreResult;
use crate::ids::{PasskeyId, TenantId, UserId};
use crate::model::{Metadata, NewActivity, NewPasskey, Passkey, PasskeyUse, WebauthnChallenge};
use async_trait::async_trait;
use time::OffsetDateTime;

#[async_trait]
pub trait PasskeyStore: Send + Sync {
    /// Stores a passkey with its activity row; [`crate::Constraint::PasskeyCredential`] when
    /// the tenant already holds this credential id.
    async fn add_passkey(
        &self,
        passkey: &NewPasskey,
        activity: &NewActivity,
    ) -> StoreResult<Passkey>;
    /// The user's passkeys, oldest first.
    async fn passkeys_of(&self, user: UserId) -> StoreResult<Vec<Passkey>>;
    async fn passkey(&self, user: UserId, id: PasskeyId) -> StoreResult<Option<Passkey>>;
    async fn passkey_by_credential(
        &self,
        tenant: &TenantId,
        credential_id: &str,
    ) -> StoreResult<Option<Passkey>>;
    /// Records a use, only while the stored sign count is still `seen_count` and the passkey
    /// is enabled: of two uses racing with one count, one is recorded and the other answered
    /// `false`, and a use racing a disable loses.
    async fn record_passkey_use(
        &self,
        id: PasskeyId,
        seen_count: i64,
        change: &PasskeyUse,
        activity: &NewActivity,
    ) -> StoreResult<bool>;
    /// Renames a passkey; `None` when it is gone.
    async fn rename_passkey(
        &self,
        id: PasskeyId,
        name: &str,
        activity: &NewActivity,
        now: OffsetDateTime,
    ) -> StoreResult<Option<Passkey>>;
    /// Disables or enables a passkey and replaces its metadata; `None` when it is gone.
    async fn set_passkey_state(
        &self,
        id: PasskeyId,
        disabled: bool,
        metadata: &Metadata,
        activity: &NewActivity,
        now: OffsetDateTime,
    ) -> StoreResult<Option<Passkey>>;
    /// Removes a passkey; `false` when it was already gone.
    async fn delete_passkey(&self, id: PasskeyId, activity: &NewActivity) -> StoreResult<bool>;
    async fn create_webauthn_challenge(&self, challenge: &WebauthnChallenge) -> StoreResult<()>;
    /// Takes a ceremony out of the store (so it is good once), unless it expired by `now`.
    async fn take_webauthn_challenge(
        &self,
        tenant: &TenantId,
        id_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<WebauthnChallenge>>;
    /// Whether any user of the tenant holds a passkey.
    async fn tenant_has_passkeys(&self, tenant: &TenantId) -> StoreResult<bool>;
    /// Removes ceremonies that expired by `now`; how many.
    async fn sweep_webauthn_challenges(&self, now: OffsetDateTime) -> StoreResult<u64>;
}
