//! Tenants and their settings.

use super::StoreResult;
use crate::ids::TenantId;
use crate::model::{Tenant, TenantSettings};
use async_trait::async_trait;
use time::OffsetDateTime;

#[async_trait]
pub trait TenantStore: Send + Sync {
    /// Creates the tenant unless one of that name exists; returns the stored one either way.
    async fn ensure_tenant(
        &self,
        id: &TenantId,
        name: &str,
        settings: &TenantSettings,
        now: OffsetDateTime,
    ) -> StoreResult<Tenant>;
    async fn tenant_by_name(&self, name: &str) -> StoreResult<Option<Tenant>>;
    async fn tenant_by_id(&self, id: &TenantId) -> StoreResult<Option<Tenant>>;
    /// A page of every tenant, oldest first, with how many there are.
    async fn tenants(&self, offset: i64, limit: i64) -> StoreResult<(Vec<Tenant>, i64)>;
    async fn tenant_by_domain(&self, domain: &str) -> StoreResult<Option<Tenant>>;
    /// Inserts a new tenant; [`StoreError::Conflict`] when its name or domain is taken.
    async fn create_tenant(&self, tenant: &Tenant) -> StoreResult<()>;
    /// The tenant's social networks as the database holds them (JSON text of the list, as
    /// stored); `None` for no such tenant or no list.
    async fn stored_social_networks(&self, tenant: &TenantId) -> StoreResult<Option<String>>;
    /// Replaces the tenant's social networks with `new` (JSON) only while they are still
    /// `old` (as [`stored_social_networks`](Self::stored_social_networks) gave them).
    async fn replace_social_networks(
        &self,
        tenant: &TenantId,
        old: &str,
        new: &str,
    ) -> StoreResult<bool>;
    /// Writes the tenant's name and metadata, and these top-level settings fields over what
    /// the database holds (as [`merge_tenant_settings`](Self::merge_tenant_settings) does),
    /// keeping the domain column in step; `false` when there is no such tenant.
    async fn update_tenant(
        &self,
        id: &TenantId,
        name: &str,
        metadata: &crate::model::Metadata,
        settings: &serde_json::Map<String, serde_json::Value>,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// Sets these top-level fields of the tenant's settings (field name → JSON value) and
    /// leaves every other field as it is in the database at that moment: one statement, so a
    /// concurrent change of other fields is never undone. The domain column follows the
    /// merged settings. The settings afterwards.
    async fn merge_tenant_settings(
        &self,
        tenant: &TenantId,
        fields: &serde_json::Map<String, serde_json::Value>,
        now: OffsetDateTime,
    ) -> StoreResult<TenantSettings>;
}
