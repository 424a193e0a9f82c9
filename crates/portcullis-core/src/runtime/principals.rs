//! A short-lived, in-process memory of token lookups, so that a busy client's every request
//! does not read the same rows again.
//!
//! Correctness rests on invalidation: every service that revokes, ends, bans or edits calls
//! [`PrincipalCache::forget_user`], which is exact on one node (SQLite is always one node).
//! With several nodes on PostgreSQL, the cache is built [`with_change_feed`] and the server
//! forwards the database's change notifications to it, so a change made on any node reaches
//! every node within moments. Two rules keep that exact:
//!
//! - an *epoch* moves on every forget; a lookup read from the database is stored only if the
//!   epoch did not move while it was read, so a row read just before another node's change
//!   committed is not kept after that change's notification has come and gone;
//! - while the feed is not connected, changes may go unheard, so the cache serves and keeps
//!   nothing, and it starts empty on every (re)connection.
//!
//! [`with_change_feed`]: PrincipalCache::with_change_feed

use crate::ids::{TenantId, TokenId, UserId};
use crate::model::TokenLookup;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use time::{Duration, OffsetDateTime};

/// Entries kept at most; past this the cache starts over rather than grow without bound.
const CAPACITY: usize = 50_000;
/// Host names remembered at most (they come from request headers, so anyone can send many).
const HOST_CAPACITY: usize = 1_000;

#[derive(Default)]
pub struct PrincipalCache {
    ttl: Duration,
    state: Mutex<State>,
    /// Moved (while `state` is locked) by every forget and every change of the feed.
    epoch: AtomicU64,
    hits: AtomicU64,
    /// Lookups that had to read the database, including every lookup while the cache is off.
    misses: AtomicU64,
}

#[derive(Default)]
struct State {
    entries: HashMap<TokenId, (Arc<TokenLookup>, OffsetDateTime)>,
    /// Which tenant (if any) has each recently seen `Host` as its domain, so that checking a
    /// token against its request's host does not read the tenants on every request.
    hosts: HashMap<String, (Option<TenantId>, OffsetDateTime)>,
    /// False while a cache that depends on a change feed has none connected.
    synced: bool,
}

/// Lookups served from memory and from the database since start, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
}

/// The value of [`PrincipalCache::epoch`], taken before a database read and handed back to
/// [`PrincipalCache::put`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Epoch(u64);

impl PrincipalCache {
    /// A cache for a database only this process writes through its services.
    pub fn new(ttl: Duration) -> Self {
        Self::starting(ttl, true)
    }

    /// A cache for a database other processes change too: it serves nothing until
    /// [`feed_connected`](Self::feed_connected).
    pub fn with_change_feed(ttl: Duration) -> Self {
        Self::starting(ttl, false)
    }

    fn starting(ttl: Duration, synced: bool) -> Self {
        Self {
            ttl,
            state: Mutex::new(State {
                synced,
                ..State::default()
            }),
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

    /// Take this before reading a lookup from the database, and pass it to [`put`](Self::put).
    pub fn epoch(&self) -> Epoch {
        Epoch(self.epoch.load(Ordering::SeqCst))
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
        let state = self.lock();
        if !state.synced {
            return None;
        }
        let (lookup, fetched_at) = state.entries.get(&id)?;
        (now >= *fetched_at && now - *fetched_at < self.ttl).then(|| Arc::clone(lookup))
    }

    /// Remembers a lookup read since `epoch` was taken, unless something was forgotten (or the
    /// feed changed) meanwhile: the read may predate that change.
    pub fn put(&self, lookup: Arc<TokenLookup>, now: OffsetDateTime, epoch: Epoch) {
        if !self.enabled() {
            return;
        }
        let mut state = self.lock();
        if !state.synced || self.epoch() != epoch {
            return;
        }
        if state.entries.len() >= CAPACITY {
            state.entries.clear();
        }
        state.entries.insert(lookup.token.id, (lookup, now));
    }

    /// The tenant whose domain `host` is (`Some(None)`: no tenant's), when remembered.
    pub fn host_owner(&self, host: &str, now: OffsetDateTime) -> Option<Option<TenantId>> {
        if !self.enabled() {
            return None;
        }
        let state = self.lock();
        if !state.synced {
            return None;
        }
        let (owner, fetched_at) = state.hosts.get(host)?;
        (now >= *fetched_at && now - *fetched_at < self.ttl).then(|| owner.clone())
    }

    /// Remembers which tenant has `host` as its domain, under the same rule as [`put`](Self::put).
    pub fn put_host_owner(
        &self,
        host: &str,
        owner: Option<TenantId>,
        now: OffsetDateTime,
        epoch: Epoch,
    ) {
        if !self.enabled() {
            return;
        }
        let mut state = self.lock();
        if !state.synced || self.epoch() != epoch {
            return;
        }
        if state.hosts.len() >= HOST_CAPACITY {
            state.hosts.clear();
        }
        state.hosts.insert(host.to_owned(), (owner, now));
    }

    /// Drops every entry (after a change that touches every principal, such as a tenant's
    /// settings or domain).
    pub fn forget_all(&self) {
        let mut state = self.lock_moving_epoch();
        state.entries.clear();
        state.hosts.clear();
    }

    /// Drops every entry of this user's tokens.
    pub fn forget_user(&self, user: UserId) {
        let mut state = self.lock_moving_epoch();
        state
            .entries
            .retain(|_, (lookup, _)| lookup.user.id != user);
    }

    /// The change feed is listening: every change from now on will be forgotten here, so
    /// lookups read from now on may be kept.
    pub fn feed_connected(&self) {
        let mut state = self.lock_moving_epoch();
        state.entries.clear();
        state.hosts.clear();
        state.synced = true;
    }

    /// The change feed lost its connection: changes may go unheard until it is back.
    pub fn feed_lost(&self) {
        let mut state = self.lock_moving_epoch();
        state.entries.clear();
        state.hosts.clear();
        state.synced = false;
    }

    /// Whether the cache may serve entries (always, unless it waits for a change feed).
    pub fn synced(&self) -> bool {
        self.lock().synced
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Locks, and moves the epoch under the lock, so that a `put` either lands before this
    /// change (and is then dropped by it) or sees the new epoch and keeps nothing.
    fn lock_moving_epoch(&self) -> MutexGuard<'_, State> {
        let state = self.lock();
        self.epoch.fetch_add(1, Ordering::SeqCst);
        state
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{RoleId, TenantId};
    use crate::model::{TenantSettings, Token, TokenKind, User};

    fn lookup(token: i64, user: i64) -> Arc<TokenLookup> {
        let now = OffsetDateTime::UNIX_EPOCH;
        let tenant_id = TenantId("t".to_owned());
        Arc::new(TokenLookup {
            token: Token {
                id: TokenId(token),
                tenant_id: tenant_id.clone(),
                user_id: UserId(user),
                session_id: None,
                kind: TokenKind::Personal,
                name: "test".to_owned(),
                secret_hash: String::new(),
                scopes: Vec::new(),
                created_at: now,
                last_used_at: None,
                expires_at: None,
                revoked_at: None,
            },
            session: None,
            user: User {
                id: UserId(user),
                uid: format!("u{user}"),
                tenant_id,
                username: None,
                email: format!("{user}@example.com"),
                first_name: None,
                last_name: None,
                display_name: None,
                phone: None,
                avatar: None,
                address: None,
                country_id: None,
                role_id: RoleId(1),
                birthday: None,
                disabled: false,
                email_verified_at: None,
                last_login: None,
                two_factor_country_code: None,
                two_factor_phone: None,
                two_factor_options: None,
                metadata: Default::default(),
                created_at: now,
                updated_at: now,
            },
            settings: TenantSettings::default(),
        })
    }

    const NOW: OffsetDateTime = OffsetDateTime::UNIX_EPOCH;

    fn cache() -> PrincipalCache {
        PrincipalCache::new(Duration::seconds(10))
    }

    #[test]
    fn a_lookup_read_before_a_forget_is_not_kept() {
        let cache = cache();
        let before = cache.epoch();
        // Another node's change lands (as a notification) while this lookup is being read.
        cache.forget_user(UserId(7));
        cache.put(lookup(1, 1), NOW, before);
        assert!(
            cache.get(TokenId(1), NOW).is_none(),
            "any forget moves the epoch"
        );

        let after = cache.epoch();
        cache.put(lookup(1, 1), NOW, after);
        assert!(cache.get(TokenId(1), NOW).is_some());
    }

    #[test]
    fn host_owners_are_kept_until_everything_is_forgotten() {
        let cache = cache();
        let owner = Some(TenantId("b".to_owned()));
        let before = cache.epoch();
        cache.forget_all();
        cache.put_host_owner("b.example", owner.clone(), NOW, before);
        assert_eq!(
            cache.host_owner("b.example", NOW),
            None,
            "read before a change"
        );
        cache.put_host_owner("b.example", owner.clone(), NOW, cache.epoch());
        cache.put_host_owner("nobody.example", None, NOW, cache.epoch());
        assert_eq!(cache.host_owner("b.example", NOW), Some(owner));
        assert_eq!(cache.host_owner("nobody.example", NOW), Some(None));
        assert_eq!(
            cache.host_owner("b.example", NOW + Duration::seconds(10)),
            None,
            "expired"
        );
        cache.forget_user(UserId(1));
        assert!(
            cache.host_owner("b.example", NOW).is_some(),
            "a user's change keeps them"
        );
        cache.forget_all();
        assert_eq!(cache.host_owner("b.example", NOW), None);
    }

    #[test]
    fn forgetting_a_user_drops_only_their_tokens() {
        let cache = cache();
        cache.put(lookup(1, 1), NOW, cache.epoch());
        cache.put(lookup(2, 2), NOW, cache.epoch());
        cache.forget_user(UserId(1));
        assert!(cache.get(TokenId(1), NOW).is_none());
        assert!(cache.get(TokenId(2), NOW).is_some());
        cache.forget_all();
        assert!(cache.get(TokenId(2), NOW).is_none());
    }

    #[test]
    fn a_cache_needing_a_feed_serves_nothing_until_it_connects() {
        let cache = PrincipalCache::with_change_feed(Duration::seconds(10));
        cache.put(lookup(1, 1), NOW, cache.epoch());
        assert!(
            cache.get(TokenId(1), NOW).is_none(),
            "not kept before the feed"
        );

        let before_connect = cache.epoch();
        cache.feed_connected();
        cache.put(lookup(1, 1), NOW, before_connect);
        assert!(
            cache.get(TokenId(1), NOW).is_none(),
            "read before the feed listened: a change in between went unheard"
        );
        cache.put(lookup(1, 1), NOW, cache.epoch());
        assert!(cache.get(TokenId(1), NOW).is_some());
    }

    #[test]
    fn a_lost_feed_empties_the_cache_until_it_reconnects() {
        let cache = PrincipalCache::with_change_feed(Duration::seconds(10));
        cache.feed_connected();
        cache.put(lookup(1, 1), NOW, cache.epoch());
        let before_loss = cache.epoch();

        cache.feed_lost();
        assert!(!cache.synced());
        assert!(cache.get(TokenId(1), NOW).is_none());
        cache.put(lookup(2, 2), NOW, cache.epoch());
        assert!(
            cache.get(TokenId(2), NOW).is_none(),
            "nothing kept while lost"
        );

        cache.feed_connected();
        assert!(
            cache.get(TokenId(1), NOW).is_none(),
            "reconnecting starts empty"
        );
        cache.put(lookup(1, 1), NOW, before_loss);
        assert!(cache.get(TokenId(1), NOW).is_none());
        cache.put(lookup(1, 1), NOW, cache.epoch());
        assert!(cache.get(TokenId(1), NOW).is_some());
    }

    #[test]
    fn entries_age_out() {
        let cache = cache();
        cache.put(lookup(1, 1), NOW, cache.epoch());
        assert!(cache.get(TokenId(1), NOW + Duration::seconds(9)).is_some());
        assert!(cache.get(TokenId(1), NOW + Duration::seconds(10)).is_none());
    }
}
