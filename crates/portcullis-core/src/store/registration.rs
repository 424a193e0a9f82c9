//! Dynamic client registration: initial access tokens and self-registered applications.

use super::StoreResult;
use crate::ids::TenantId;
use crate::model::{ClientRegistration, RegistrationToken};
use async_trait::async_trait;
use time::OffsetDateTime;

#[async_trait]
pub trait RegistrationStore: Send + Sync {
    async fn create_registration_token(&self, token: &RegistrationToken) -> StoreResult<()>;
    async fn registration_token(&self, id: &str) -> StoreResult<Option<RegistrationToken>>;
    /// The tokens of one tenant, or of every tenant with `None`, oldest first.
    async fn registration_tokens(
        &self,
        tenant: Option<&TenantId>,
    ) -> StoreResult<Vec<RegistrationToken>>;
    /// Marks a live token revoked; `false` when there is no such token or it already was.
    async fn revoke_registration_token(&self, id: &str, at: OffsetDateTime) -> StoreResult<bool>;
    async fn create_client_registration(
        &self,
        registration: &ClientRegistration,
    ) -> StoreResult<()>;
    async fn client_registration(
        &self,
        tenant: &TenantId,
        application_id: &str,
    ) -> StoreResult<Option<ClientRegistration>>;
}
