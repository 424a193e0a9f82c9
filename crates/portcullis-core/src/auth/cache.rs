//! A short-lived, in-process memory of token lookups, so that a busy client's every request
//! does not read the same rows again.
//!
//! Correctness rests on invalidation: every service that revokes, ends, bans or edits calls
//! [`PrincipalCache::forget_user`]. That is exact on one node (SQLite is always one node); with
//! several nodes on PostgreSQL another node may serve a revoked token until the entry ages out,
//! which is why the time-to-live is configurable and off by default there.

use crate::ids::{TokenId, UserId};
use crate::model::TokenLookup;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use time::{Duration, OffsetDateTime};

/// Entries kept at most; past this the cache starts over rather than grow without bound.
const CAPACITY: usize = 50_000;

#[derive(Default)]
pub struct PrincipalCache {
    ttl: Duration,
    entries: Mutex<HashMap<TokenId, (Arc<TokenLookup>, OffsetDateTime)>>,
    hits: AtomicU64,
    /// Lookups that had to read the database, including every lookup while the cache is off.
    misses: AtomicU64,
}

/// Lookups served from memory and from the database since start, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
}

impl PrincipalCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            ..Self::default()
        }
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }

    pub fn enabled(&self) -> bool {
        self.ttl > Duration::ZERO
    }

    pub fn get(&self, id: TokenId, now: OffsetDateTime) -> Option<Arc<TokenLookup>> {
        let found = self.find(id, now);
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    fn find(&self, id: TokenId, now: OffsetDateTime) -> Option<Arc<TokenLookup>> {
        if !self.enabled() {
            return None;
        }
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let (lookup, fetched_at) = entries.get(&id)?;
        (now >= *fetched_at && now - *fetched_at < self.ttl).then(|| Arc::clone(lookup))
    }

    pub fn put(&self, lookup: Arc<TokenLookup>, now: OffsetDateTime) {
        if !self.enabled() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(lookup.token.id, (lookup, now));
    }

    /// Drops every entry (after a change that touches every principal, such as a tenant's
    /// settings).
    pub fn forget_all(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Drops every entry of this user's tokens.
    pub fn forget_user(&self, user: UserId) {
        if !self.enabled() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|_, (lookup, _)| lookup.user.id != user);
    }
}
