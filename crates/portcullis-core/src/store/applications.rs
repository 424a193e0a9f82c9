//! Applications (OIDC clients).

use super::StoreResult;
use crate::ids::TenantId;
use crate::model::Application;
use async_trait::async_trait;

/// A tenant's OIDC clients (document 003's applications).
#[async_trait]
pub trait ApplicationStore: Send + Sync {
    async fn create_application(&self, application: &Application) -> StoreResult<()>;
    async fn application(&self, tenant: &TenantId, id: &str) -> StoreResult<Option<Application>>;
    /// A page of the tenant's applications, oldest first, with how many there are.
    async fn applications(
        &self,
        tenant: &TenantId,
        offset: i64,
        limit: i64,
    ) -> StoreResult<(Vec<Application>, i64)>;
    /// Writes everything but the id, tenant, secret and creation time; `false` when there is
    /// no such application.
    async fn update_application(&self, application: &Application) -> StoreResult<bool>;
    /// Deletes the application, returning what it was.
    async fn delete_application(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> StoreResult<Option<Application>>;
    /// Applications (of every tenant) whose stored secret does not start with `sealed`.
    async fn applications_with_secrets_not(&self, sealed: &str) -> StoreResult<Vec<Application>>;
    /// Replaces an application's stored secret `old` with `new`; `false` (and nothing) when it
    /// changed meanwhile.
    async fn replace_application_secret(
        &self,
        tenant: &TenantId,
        id: &str,
        old: &str,
        new: &str,
    ) -> StoreResult<bool>;
}
