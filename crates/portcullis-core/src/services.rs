//! The handle every surface calls: the store, the clock and the password verifier together.

use crate::auth::PrincipalCache;
use crate::clock::Clock;
use crate::health::Counters;
use crate::password::PasswordHasher;
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
}

impl Services {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, hasher: PasswordHasher) -> Self {
        Self {
            store,
            clock,
            hasher,
            principals: Arc::default(),
            counters: Arc::default(),
        }
    }

    /// Remembers token lookups for `ttl` (zero turns it off); see [`PrincipalCache`].
    pub fn with_principal_cache(mut self, ttl: time::Duration) -> Self {
        self.principals = Arc::new(PrincipalCache::new(ttl));
        self
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
