//! First-start seeding: the default tenant with its settings, built-in roles and permissions.
//! Safe to run on every start and on many nodes at once: it only creates what is missing.

use crate::error::{Error, Result};
use crate::field::Rule;
use crate::ids::TenantId;
use crate::model::{Tenant, TenantSettings, DEFAULT_TENANT};
use crate::rbac::{ADMIN_ROLE, BUILTIN_PERMISSIONS, BUILTIN_ROLES};
use crate::services::Services;
use std::sync::Arc;

impl Services {
    /// Makes sure the default tenant and its built-in roles and permissions exist.
    pub async fn ensure_defaults(&self) -> Result<Tenant> {
        self.ensure_tenant(DEFAULT_TENANT).await
    }

    /// Makes sure a tenant of this name exists, with the built-in roles and permissions.
    pub async fn ensure_tenant(&self, name: &str) -> Result<Tenant> {
        let now = self.now();
        let id = TenantId(crate::random::base62(16));
        let tenant = self
            .store
            .ensure_tenant(&id, name, &TenantSettings::default(), now)
            .await?;
        self.store
            .ensure_rbac(
                &tenant.id,
                BUILTIN_ROLES,
                BUILTIN_PERMISSIONS,
                ADMIN_ROLE,
                now,
            )
            .await?;
        Ok(tenant)
    }

    pub async fn default_tenant(&self) -> Result<Tenant> {
        match self.store.tenant_by_name(DEFAULT_TENANT).await? {
            Some(tenant) => Ok(tenant),
            None => self.ensure_defaults().await,
        }
    }

    /// The tenant with this id or, failing that, this name (for operators on the command line).
    pub async fn tenant_named(&self, id_or_name: &str) -> Result<Tenant> {
        if let Some(tenant) = self
            .store
            .tenant_by_id(&TenantId(id_or_name.to_owned()))
            .await?
        {
            return Ok(tenant);
        }
        self.store.tenant_by_name(id_or_name).await?.ok_or_else(|| {
            Error::invalid(
                "tenant",
                Rule::Other(format!("No tenant has the id or name {id_or_name:?}.").into()),
            )
        })
    }

    /// Sets these top-level fields of the tenant's settings (by their names in the record),
    /// over what the database holds now; every remembered token lookup is dropped.
    pub async fn merge_settings(
        &self,
        tenant: &Tenant,
        fields: serde_json::Map<String, serde_json::Value>,
    ) -> Result<Tenant> {
        let now = self.now();
        let settings = self
            .store
            .merge_tenant_settings(&tenant.id, &fields, now)
            .await?;
        self.principals.forget_all();
        Ok(Tenant {
            settings,
            updated_at: now,
            ..tenant.clone()
        })
    }

    /// Replaces the tenant's settings (every field this version knows; fields of a newer
    /// version stay); every remembered token lookup is dropped, since each carries its
    /// tenant's settings.
    pub async fn update_settings(
        &self,
        tenant: &Tenant,
        settings: TenantSettings,
    ) -> Result<Tenant> {
        let serde_json::Value::Object(fields) = serde_json::to_value(&settings)
            .map_err(|e| Error::Internal(format!("settings: {e}")))?
        else {
            return Err(Error::Internal("settings are not a JSON object".into()));
        };
        self.merge_settings(tenant, fields).await
    }

    /// The tenant a request's `Host` names, falling back to the default tenant.
    /// Remembered like token lookups (and forgotten with them on any tenant change), since
    /// every request to the provider asks.
    pub async fn tenant_for_host(&self, host: Option<&str>) -> Result<Tenant> {
        self.shared_tenant_for_host(host)
            .await
            .map(Arc::unwrap_or_clone)
    }

    /// [`Self::tenant_for_host`] as this node remembers it, shared rather than copied.
    pub async fn shared_tenant_for_host(&self, host: Option<&str>) -> Result<Arc<Tenant>> {
        let host = domain_of(host).unwrap_or_default();
        let now = self.now();
        if let Some(tenant) = self.principals.tenant_for_host(&host, now) {
            return Ok(tenant);
        }
        let epoch = self.principals.epoch();
        let by_domain = match host.as_str() {
            "" => None,
            host => self.store.tenant_by_domain(host).await?,
        };
        let tenant = match by_domain {
            Some(tenant) => tenant,
            None => self.default_tenant().await?,
        };
        let tenant = Arc::new(tenant);
        self.principals
            .put_tenant_for_host(&host, Arc::clone(&tenant), now, epoch);
        Ok(tenant)
    }

    /// Whether a request to `host` is one for `tenant` (whose settings are `settings`): the
    /// host is the tenant's domain, or the tenant is the default one and no tenant has the
    /// host as its domain. The first case costs no query.
    pub(crate) async fn host_is_for(
        &self,
        host: Option<&str>,
        tenant: &TenantId,
        settings: &TenantSettings,
    ) -> Result<bool> {
        let Some(host) = domain_of(host) else {
            return Ok(*tenant == self.default_tenant_id().await?);
        };
        if settings.domain.as_deref() == Some(host.as_str()) {
            return Ok(true);
        }
        match self.host_owner(&host).await? {
            Some(owner) => Ok(owner == *tenant),
            None => Ok(*tenant == self.default_tenant_id().await?),
        }
    }

    /// The tenant whose domain `host` is, remembered like token lookups (and forgotten with
    /// them on any tenant change), since every authenticated request asks.
    async fn host_owner(&self, host: &str) -> Result<Option<TenantId>> {
        let now = self.now();
        if let Some(owner) = self.principals.host_owner(host, now) {
            return Ok(owner);
        }
        let epoch = self.principals.epoch();
        let owner = self.store.tenant_by_domain(host).await?.map(|t| t.id);
        self.principals
            .put_host_owner(host, owner.clone(), now, epoch);
        Ok(owner)
    }

    /// The default tenant's id, read once: it never changes (the tenant is never deleted and
    /// keeps its name).
    async fn default_tenant_id(&self) -> Result<TenantId> {
        if let Some(id) = self.default_tenant_id.get() {
            return Ok(id.clone());
        }
        let id = self.default_tenant().await?.id;
        Ok(self.default_tenant_id.get_or_init(|| id).clone())
    }
}

/// A `Host` header as a tenant's domain is written: lowercase, without its port; `None` for
/// none or an empty one.
fn domain_of(host: Option<&str>) -> Option<String> {
    host.map(strip_port)
        .filter(|h| !h.is_empty())
        .map(str::to_ascii_lowercase)
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.split_once(']').map_or(host, |(h, _)| &h[1..]);
    }
    host.rsplit_once(':').map_or(host, |(h, _)| h)
}

#[cfg(test)]
mod tests {
    #[test]
    fn strips_ports() {
        assert_eq!(
            super::strip_port("auth.example.com:8080"),
            "auth.example.com"
        );
        assert_eq!(super::strip_port("auth.example.com"), "auth.example.com");
        assert_eq!(super::strip_port("[::1]:80"), "::1");
    }
}
