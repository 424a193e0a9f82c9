//! The operator in the console: an Admin of the default tenant, who may do there what the
//! command line and an all-tenants API key do (tenants, API keys, signing keys). Each service
//! here checks that first, so no page reaches them by a typed URL.

use crate::api_keys::CreatedApiKey;
use crate::error::{Error, Result};
use crate::model::{ApiKey, ClientInfo, Principal, StoredSigningKey, Tenant, DEFAULT_TENANT};
use crate::services::Services;
use crate::tenants::TenantInput;

impl Services {
    /// Whether `principal` is the operator: a user of the default tenant whose role is the
    /// built-in Admin role.
    pub async fn is_operator(&self, principal: &Principal) -> Result<bool> {
        let Some(tenant) = self.store.tenant_by_id(&principal.tenant_id).await? else {
            return Ok(false);
        };
        if tenant.name != DEFAULT_TENANT {
            return Ok(false);
        }
        let role = self
            .store
            .role(&principal.tenant_id, principal.user.role_id)
            .await?;
        Ok(role.is_some_and(|r| crate::rbac::is_builtin_admin(&r)))
    }

    /// [`Error::Forbidden`] unless `principal` is the operator.
    async fn require_operator(&self, principal: &Principal) -> Result<()> {
        if self.is_operator(principal).await? {
            Ok(())
        } else {
            Err(Error::Forbidden)
        }
    }

    /// An activity entry in the operator's own tenant: what they did to the server.
    async fn record_operator(
        &self,
        principal: &Principal,
        client: &ClientInfo,
        description: &str,
    ) -> Result<()> {
        let activity = self.activity(
            &principal.tenant_id,
            Some(&principal.user),
            client,
            description,
        );
        Ok(self.store.record_activity(&activity).await?)
    }

    /// Every tenant, a page at a time, with how many there are.
    pub async fn operator_tenants(
        &self,
        principal: &Principal,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<Tenant>, i64)> {
        self.require_operator(principal).await?;
        Ok(self.store.tenants(offset, limit).await?)
    }

    /// One tenant by its id; [`Error::NotFound`] when there is none.
    pub async fn operator_tenant(&self, principal: &Principal, id: &str) -> Result<Tenant> {
        self.require_operator(principal).await?;
        self.store
            .tenant_by_id(&crate::ids::TenantId(id.to_owned()))
            .await?
            .ok_or(Error::NotFound)
    }

    /// The operator turns the console to tenant `id` (see [`Services::acting_in`]), which their
    /// own tenant's activity log records.
    pub async fn operator_manage_tenant(
        &self,
        principal: &Principal,
        id: &str,
        client: &ClientInfo,
    ) -> Result<Tenant> {
        let tenant = self.operator_tenant(principal, id).await?;
        if tenant.id != principal.tenant_id {
            let description = format!("Managed the tenant {} from the console", tenant.name);
            self.record_operator(principal, client, &description)
                .await?;
        }
        Ok(tenant)
    }

    pub async fn operator_create_tenant(
        &self,
        principal: &Principal,
        input: TenantInput,
        client: &ClientInfo,
    ) -> Result<Tenant> {
        self.require_operator(principal).await?;
        let tenant = self.create_tenant(input).await?;
        let what = format!("Created the tenant {} ({})", tenant.name, tenant.id.0);
        self.record_operator(principal, client, &what).await?;
        Ok(tenant)
    }

    /// Replaces a tenant's name, management settings and metadata, as an all-tenants key
    /// does: a new domain that would strand passkeys is refused ([`Error::Conflict`]) unless
    /// `force`.
    pub async fn operator_update_tenant(
        &self,
        principal: &Principal,
        id: &str,
        input: TenantInput,
        force: bool,
        client: &ClientInfo,
    ) -> Result<Tenant> {
        let tenant = self.operator_tenant(principal, id).await?;
        let updated = self.update_tenant(tenant, input, force, true).await?;
        let domain = updated.settings.domain.as_deref().unwrap_or("none");
        let what = format!(
            "Changed the tenant {} ({}): domain {domain}",
            updated.name, updated.id.0
        );
        self.record_operator(principal, client, &what).await?;
        Ok(updated)
    }

    pub async fn operator_api_keys(&self, principal: &Principal) -> Result<Vec<ApiKey>> {
        self.require_operator(principal).await?;
        self.api_keys().await
    }

    /// A new key for one tenant (by id or name) or, with `None`, for every tenant; its value
    /// is shown this once.
    pub async fn operator_create_api_key(
        &self,
        principal: &Principal,
        name: &str,
        tenant: Option<&str>,
        client: &ClientInfo,
    ) -> Result<CreatedApiKey> {
        self.require_operator(principal).await?;
        let created = self.create_api_key(name, tenant).await?;
        let reach = match &created.key.tenant_id {
            Some(tenant) => format!("the tenant {}", tenant.0),
            None => "every tenant".to_owned(),
        };
        let what = format!("Created the API key {} for {reach}", created.key.id);
        self.record_operator(principal, client, &what).await?;
        Ok(created)
    }

    pub async fn operator_revoke_api_key(
        &self,
        principal: &Principal,
        id: &str,
        client: &ClientInfo,
    ) -> Result<()> {
        self.require_operator(principal).await?;
        self.revoke_api_key(id).await?;
        let what = format!("Revoked the API key {id}");
        self.record_operator(principal, client, &what).await
    }

    /// The signing keys relying parties may see: the active ones and the retired ones still
    /// published.
    pub async fn operator_signing_keys(
        &self,
        principal: &Principal,
    ) -> Result<Vec<StoredSigningKey>> {
        self.require_operator(principal).await?;
        self.published_signing_keys().await
    }

    pub async fn operator_rotate_signing_keys(
        &self,
        principal: &Principal,
        client: &ClientInfo,
    ) -> Result<Vec<StoredSigningKey>> {
        self.require_operator(principal).await?;
        let new = self.rotate_signing_keys().await?;
        let ids: Vec<&str> = new.iter().map(|key| key.id.as_str()).collect();
        let what = format!("Rotated the signing keys; new: {}", ids.join(", "));
        self.record_operator(principal, client, &what).await?;
        Ok(new)
    }
}
