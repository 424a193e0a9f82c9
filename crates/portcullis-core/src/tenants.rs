//! Tenants as the management API (document 003) sees them: reached through an API key bound
//! to one tenant or to all.

use crate::api_keys::ApiKey;
use crate::error::{Error, Result};
use crate::ids::TenantId;
use crate::model::Tenant;
use crate::Services;

impl Services {
    /// The tenants the key reaches, a page at a time, with how many there are.
    pub async fn tenants_for_key(
        &self,
        key: &ApiKey,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<Tenant>, i64)> {
        match &key.tenant_id {
            None => Ok(self.store.tenants(offset, limit).await?),
            Some(id) => {
                let tenant = self.store.tenant_by_id(id).await?;
                let total = i64::from(tenant.is_some());
                let page = tenant
                    .into_iter()
                    .skip(offset as usize)
                    .take(limit as usize);
                Ok((page.collect(), total))
            }
        }
    }

    /// The tenant `id` names, when the key reaches it; [`Error::NotFound`] otherwise, so a key
    /// learns nothing about other tenants.
    pub async fn tenant_for_key(&self, key: &ApiKey, id: &str) -> Result<Tenant> {
        let id = TenantId(id.to_owned());
        if !key.reaches(&id) {
            return Err(Error::NotFound);
        }
        self.store.tenant_by_id(&id).await?.ok_or(Error::NotFound)
    }
}
