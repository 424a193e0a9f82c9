//! The handle every surface calls: the store, the clock and the password verifier together.

use crate::clock::Clock;
use crate::mail::{MailWorker, Mailer, Texter};
use crate::outbound::{CaptchaVerifier, NetworkClient};
use crate::password::PasswordHasher;
use crate::runtime::{Counters, PrincipalCache};
use crate::store::Store;
use std::sync::Arc;
use time::OffsetDateTime;

#[derive(Clone)]
pub struct Services {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) hasher: PasswordHasher,
    /// Every service that revokes, bans or edits a user must call `forget_user` on it.
    pub(crate) principals: Arc<PrincipalCache>,
    pub(crate) counters: Arc<Counters>,
    /// Where users reach this server; links in mail start with it.
    pub(crate) public_url: Arc<str>,
    /// Delivers queued mail; `None` until a transport is configured (mail then waits in the
    /// queue).
    pub(crate) mail: Option<MailWorker>,
    /// Sends 2FA codes by text message; `None` until configured.
    pub(crate) texter: Option<Arc<dyn Texter>>,
    /// Asks social networks who a token belongs to; `None` until configured.
    pub(crate) networks: Option<Arc<dyn NetworkClient>>,
    /// Checks registration captchas; `None` until configured (captchas then fail closed).
    pub(crate) captcha: Option<Arc<dyn CaptchaVerifier>>,
    pub(crate) throttle_sweeper: Arc<crate::runtime::Sweeper>,
    /// Read once, on the first request that needs it (see `host_is_for`).
    pub(crate) default_tenant_id: Arc<std::sync::OnceLock<crate::ids::TenantId>>,
    /// Seals ID-token signing keys; `None` until configured (see `with_signing_key_secret`).
    pub(crate) signing_secret: Option<Arc<crate::model::SigningKeySecret>>,
    /// Image decodes running at once (avatars): as many as the password pool has workers.
    pub(crate) decoders: Arc<tokio::sync::Semaphore>,
    /// Whether document 000's device endpoint answers (off unless the operator says so).
    pub(crate) device_endpoint: bool,
    /// Where requests made on a tenant's say-so may go (checked again, resolved, by the
    /// outbound client).
    pub(crate) egress: Arc<crate::egress::EgressPolicy>,
}

impl Services {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, hasher: PasswordHasher) -> Self {
        let decoders = Arc::new(tokio::sync::Semaphore::new(hasher.workers()));
        Self {
            decoders,
            store,
            clock,
            hasher,
            principals: Arc::default(),
            counters: Arc::default(),
            public_url: Arc::from("http://localhost"),
            mail: None,
            texter: None,
            networks: None,
            captcha: None,
            throttle_sweeper: Arc::default(),
            default_tenant_id: Arc::default(),
            signing_secret: None,
            device_endpoint: false,
            egress: Arc::default(),
        }
    }

    /// The base URL (no trailing slash) that links in mail start with.
    pub fn with_public_url(mut self, public_url: &str) -> Self {
        self.public_url = Arc::from(public_url.trim_end_matches('/'));
        self
    }

    /// Delivers queued mail through `mailer`, from `from`, giving up on one attempt after
    /// `timeout` (it is retried later).
    pub fn with_mailer(
        mut self,
        mailer: Arc<dyn Mailer>,
        from: String,
        timeout: std::time::Duration,
    ) -> Self {
        self.mail = Some(MailWorker::new(
            Arc::clone(&self.store),
            Arc::clone(&self.clock),
            mailer,
            from,
            timeout,
        ));
        self
    }

    /// Opens document 000's device endpoint (`POST /api/sanctum/token`).
    pub fn with_device_endpoint(mut self, open: bool) -> Self {
        self.device_endpoint = open;
        self
    }

    /// Sends 2FA codes by text message through `texter`.
    pub fn with_texter(mut self, texter: Arc<dyn Texter>) -> Self {
        self.texter = Some(texter);
        self
    }

    /// Talks to social networks (userinfo, code exchange) through `client`.
    /// The operator's egress policy (see [`crate::egress`]).
    pub fn with_egress_policy(mut self, policy: crate::egress::EgressPolicy) -> Self {
        self.egress = Arc::new(policy);
        self
    }

    pub fn with_network_client(mut self, client: Arc<dyn NetworkClient>) -> Self {
        self.networks = Some(client);
        self
    }

    /// Checks captcha answers with `verifier`.
    pub fn with_captcha_verifier(mut self, verifier: Arc<dyn CaptchaVerifier>) -> Self {
        self.captcha = Some(verifier);
        self
    }

    pub(crate) fn texter(&self) -> crate::error::Result<&dyn Texter> {
        self.texter.as_deref().ok_or_else(|| {
            crate::error::Error::Internal("no text-message transport configured".into())
        })
    }

    /// The worker to run in the background while serving.
    pub fn mail_worker(&self) -> Option<MailWorker> {
        self.mail.clone()
    }

    /// Queues one mail of the tenant's, outside any other write, and wakes the worker.
    pub(crate) async fn queue_mail(
        &self,
        tenant: &crate::ids::TenantId,
        mail: &crate::model::Mail,
    ) -> crate::error::Result<()> {
        self.store.enqueue_mail(tenant, mail, self.now()).await?;
        self.mail_queued();
        Ok(())
    }

    /// Tells the worker that mail was queued.
    pub(crate) fn mail_queued(&self) {
        if let Some(worker) = &self.mail {
            worker.wake();
        }
    }

    /// Remembers token lookups for `ttl` (zero turns it off); see [`PrincipalCache`].
    pub fn with_principal_cache(mut self, ttl: time::Duration) -> Self {
        self.principals = Arc::new(PrincipalCache::new(ttl));
        self
    }

    /// Like [`with_principal_cache`](Self::with_principal_cache), for a database that other
    /// nodes change too: nothing is served from memory until the caller feeds the cache the
    /// database's changes (see [`principal_cache`](Self::principal_cache)).
    pub fn with_principal_cache_on_change_feed(mut self, ttl: time::Duration) -> Self {
        self.principals = Arc::new(PrincipalCache::with_change_feed(ttl));
        self
    }

    /// The token-lookup cache, for whoever forwards the database's change feed to it.
    pub fn principal_cache(&self) -> &PrincipalCache {
        &self.principals
    }

    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    pub fn hasher(&self) -> &PasswordHasher {
        &self.hasher
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }
}
