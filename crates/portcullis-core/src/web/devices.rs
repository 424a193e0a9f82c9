//! "Remember this browser": after a second factor, a browser may get a random secret (kept in
//! a cookie, stored here only as its SHA-256) that lets the same user's next password login on
//! it skip the second factor until the secret expires (`remember_device_seconds`) or the user
//! forgets their remembered browsers. The password, the ban and every other login rule still
//! apply: only the second step is skipped.

use crate::error::Result;
use crate::ids::{Secret, UserId};
use crate::model::{ClientInfo, Principal, RememberedDevice, Tenant, TenantSettings, User};
use crate::services::Services;
use time::Duration;

/// Length of a device secret (base62).
pub const DEVICE_SECRET_LEN: usize = 40;

/// A new device secret for the browser's cookie, and how long the cookie should last.
#[derive(Debug)]
pub struct DeviceSecret {
    pub secret: Secret,
    pub max_age_seconds: i64,
}

/// How long a browser stays remembered on this tenant; `None` while it offers no remembering.
pub fn remembered_for(settings: &TenantSettings) -> Option<Duration> {
    settings
        .remember_device
        .then(|| Duration::seconds(settings.remember_device_seconds.max(60)))
}

impl Services {
    /// Remembers a browser for `user`, when the tenant offers it (`None` otherwise).
    pub async fn remember_device(
        &self,
        tenant: &Tenant,
        user: UserId,
    ) -> Result<Option<DeviceSecret>> {
        let Some(lifetime) = remembered_for(&tenant.settings) else {
            return Ok(None);
        };
        let now = self.now();
        let secret = crate::random::base62(DEVICE_SECRET_LEN);
        let device = RememberedDevice {
            secret_hash: crate::tokens::hash_secret(&secret),
            tenant_id: tenant.id.clone(),
            user_id: user,
            created_at: now,
            expires_at: now + lifetime,
        };
        self.store.remember_device(&device).await?;
        Ok(Some(DeviceSecret {
            secret: Secret::new(secret),
            max_age_seconds: lifetime.whole_seconds(),
        }))
    }

    /// Whether this browser's secret was remembered for this very user of this tenant, and is
    /// still good while the tenant still offers remembering.
    pub(crate) async fn device_remembered(
        &self,
        tenant: &Tenant,
        user: &User,
        secret: Option<&str>,
    ) -> Result<bool> {
        let Some(secret) = secret.map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(false);
        };
        if !tenant.settings.remember_device {
            return Ok(false);
        }
        // Looked up by hash, like tokens: the secret itself is never compared or stored.
        let hash = crate::tokens::hash_secret(secret);
        let found = self.store.remembered_device(&hash, self.now()).await?;
        Ok(found.is_some_and(|d| d.tenant_id == tenant.id && d.user_id == user.id))
    }

    /// How many browsers the caller has remembered.
    pub async fn remembered_device_count(&self, principal: &Principal) -> Result<i64> {
        Ok(self
            .store
            .remembered_devices(principal.user.id, self.now())
            .await?)
    }

    /// Forgets every browser the caller remembered: their next logins ask for the second
    /// factor again.
    pub async fn forget_devices(&self, principal: &Principal, client: &ClientInfo) -> Result<()> {
        let forgotten = self.store.forget_devices(principal.user.id).await?;
        if forgotten > 0 {
            let activity = self.activity_of(principal, client, "Forgot remembered browsers.");
            self.store.record_activity(&activity).await?;
        }
        Ok(())
    }
}
