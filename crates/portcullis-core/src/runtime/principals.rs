//! A short-lived, in-process memory of token lookups, so that a busy client's every request
//! does not read the same rows again; and, under the same rules, of what the token endpoint
//! reads on every request: the tenant a host names, applications as clients, the opened
//! signing keys and the revoked JWT access tokens.
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

use super::kept::Kept;
use crate::ids::{RoleId, TenantId, TokenId, UserId};
use crate::model::{ApiKey, KnownClient, Tenant, TokenLookup};
use crate::signing::KeyRing;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use time::{Duration, OffsetDateTime};

/// Entries kept at most; past this the cache starts over rather than grow without bound.
const CAPACITY: usize = 50_000;
/// Host names remembered at most (they come from request headers, so anyone can send many).
const HOST_CAPACITY: usize = 1_000;
/// Applications remembered at most (client ids come from requests too).
const CLIENT_CAPACITY: usize = 10_000;

/// What scopes a token means: its tenant, its user's role, and its scopes as written.
pub type ScopesKey = (TenantId, RoleId, String);

/// The one key under which the single-valued memories (the key ring, the revocations) live.
type Only = ();

pub struct PrincipalCache {
    ttl: Duration,
    state: Mutex<State>,
    /// Moved (while `state` is locked) by every forget and every change of the feed.
    epoch: AtomicU64,
    /// Moved (while `state` is locked) by every revocation of a JWT, and with `epoch`.
    revocations_epoch: AtomicU64,
    hits: AtomicU64,
    /// Lookups that had to read the database, including every lookup while the cache is off.
    misses: AtomicU64,
}

struct State {
    entries: Kept<TokenId, Arc<TokenLookup>>,
    /// Which tenant (if any) has each recently seen `Host` as its domain, so that checking a
    /// token against its request's host does not read the tenants on every request.
    hosts: Kept<String, Option<TenantId>>,
    /// The tenant each recently seen `Host` (lowercase, without its port; empty for none)
    /// picks, the default tenant included.
    tenants: Kept<String, Arc<Tenant>>,
    /// Applications by tenant and client id, as clients authenticate.
    clients: Kept<(TenantId, String), Arc<KnownClient>>,
    key_ring: Kept<Only, Arc<KeyRing>>,
    /// Every revoked JWT access token not yet expired (by `jti`, with its expiry), complete as
    /// of when it was read, and kept complete since: a revocation adds its entry (here, or
    /// from the feed's payload) rather than dropping the list. It has an epoch of its own, so
    /// revocations never hold back what the other memories learn.
    revoked_jwts: Option<(HashMap<String, OffsetDateTime>, OffsetDateTime)>,
    /// API keys by id, as services present them.
    api_keys: Kept<String, Arc<ApiKey>>,
    /// The scopes tokens spell out (introspection's answer), by what they depend on.
    effective_scopes: Kept<ScopesKey, Arc<Vec<String>>>,
    /// False while a cache that depends on a change feed has none connected.
    synced: bool,
}

impl State {
    fn new(synced: bool) -> Self {
        Self {
            entries: Kept::new(CAPACITY),
            hosts: Kept::new(HOST_CAPACITY),
            tenants: Kept::new(HOST_CAPACITY),
            clients: Kept::new(CLIENT_CAPACITY),
            key_ring: Kept::new(1),
            revoked_jwts: None,
            api_keys: Kept::new(CLIENT_CAPACITY),
            effective_scopes: Kept::new(CLIENT_CAPACITY),
            synced,
        }
    }

    fn clear(&mut self) {
        self.entries.clear();
        self.hosts.clear();
        self.tenants.clear();
        self.clients.clear();
        self.key_ring.clear();
        self.revoked_jwts = None;
        self.api_keys.clear();
        self.effective_scopes.clear();
    }
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

/// Off: remembers nothing.
impl Default for PrincipalCache {
    fn default() -> Self {
        Self::new(Duration::ZERO)
    }
}

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
            state: Mutex::new(State::new(synced)),
            epoch: AtomicU64::new(0),
            revocations_epoch: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
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
        self.kept(|state| state.entries.get(&id, now, self.ttl))
    }

    /// Remembers a lookup read since `epoch` was taken, unless something was forgotten (or the
    /// feed changed) meanwhile: the read may predate that change.
    pub fn put(&self, lookup: Arc<TokenLookup>, now: OffsetDateTime, epoch: Epoch) {
        if !self.enabled() {
            return;
        }
        self.keep(epoch, |state| {
            state.entries.insert(lookup.token.id, lookup, now);
        });
    }

    /// The tenant whose domain `host` is (`Some(None)`: no tenant's), when remembered.
    pub fn host_owner(&self, host: &str, now: OffsetDateTime) -> Option<Option<TenantId>> {
        self.kept(|state| state.hosts.get(host, now, self.ttl))
    }

    /// Remembers which tenant has `host` as its domain, under the same rule as [`put`](Self::put).
    pub fn put_host_owner(
        &self,
        host: &str,
        owner: Option<TenantId>,
        now: OffsetDateTime,
        epoch: Epoch,
    ) {
        self.keep(epoch, |state| {
            state.hosts.insert(host.to_owned(), owner, now)
        });
    }

    /// The tenant a request to `host` (normalised: lowercase, no port, empty for none) is
    /// for, when remembered.
    pub fn tenant_for_host(&self, host: &str, now: OffsetDateTime) -> Option<Arc<Tenant>> {
        self.kept(|state| state.tenants.get(host, now, self.ttl))
    }

    pub fn put_tenant_for_host(
        &self,
        host: &str,
        tenant: Arc<Tenant>,
        now: OffsetDateTime,
        epoch: Epoch,
    ) {
        self.keep(epoch, |state| {
            state.tenants.insert(host.to_owned(), tenant, now)
        });
    }

    /// The application `client_id` of `tenant`, when remembered.
    pub fn client(
        &self,
        tenant: &TenantId,
        client_id: &str,
        now: OffsetDateTime,
    ) -> Option<Arc<KnownClient>> {
        let key = (tenant.clone(), client_id.to_owned());
        self.kept(|state| state.clients.get(&key, now, self.ttl))
    }

    pub fn put_client(&self, client: Arc<KnownClient>, now: OffsetDateTime, epoch: Epoch) {
        let key = (
            client.application.tenant_id.clone(),
            client.application.id.clone(),
        );
        self.keep(epoch, |state| state.clients.insert(key, client, now));
    }

    /// Drops every remembered application (one changed or went).
    pub fn forget_clients(&self) {
        self.lock_moving_epoch().clients.clear();
    }

    /// The opened signing keys, when remembered.
    pub fn key_ring(&self, now: OffsetDateTime) -> Option<Arc<KeyRing>> {
        self.kept(|state| state.key_ring.get(&(), now, self.ttl))
    }

    pub fn put_key_ring(&self, ring: Arc<KeyRing>, now: OffsetDateTime, epoch: Epoch) {
        self.keep(epoch, |state| state.key_ring.insert((), ring, now));
    }

    /// Drops the opened signing keys (they were rotated).
    pub fn forget_key_ring(&self) {
        self.lock_moving_epoch().key_ring.clear();
    }

    /// Whether the JWT access token `jti` is revoked, when the list is remembered.
    pub fn jwt_revoked(&self, jti: &str, now: OffsetDateTime) -> Option<bool> {
        self.kept(|state| {
            let (revoked, read_at) = state.revoked_jwts.as_ref()?;
            (now >= *read_at && now - *read_at < self.ttl).then(|| revoked.contains_key(jti))
        })
    }

    /// Take this before reading the revoked JWTs, and pass it to
    /// [`put_revoked_jwts`](Self::put_revoked_jwts).
    pub fn revocations_epoch(&self) -> Epoch {
        Epoch(self.revocations_epoch.load(Ordering::SeqCst))
    }

    /// Remembers the whole list of revoked JWTs, read since `epoch`, unless one was revoked
    /// (or everything forgotten) meanwhile.
    pub fn put_revoked_jwts(
        &self,
        revoked: HashMap<String, OffsetDateTime>,
        now: OffsetDateTime,
        epoch: Epoch,
    ) {
        if !self.enabled() {
            return;
        }
        let mut state = self.lock();
        if !state.synced || self.revocations_epoch() != epoch {
            return;
        }
        state.revoked_jwts = Some((revoked, now));
    }

    /// A JWT access token was revoked (here, or on another node): the list gains it, and drops
    /// the entries whose tokens have expired.
    pub fn revoke_jwt(&self, jti: String, expires_at: OffsetDateTime, now: OffsetDateTime) {
        let mut state = self.lock();
        self.revocations_epoch.fetch_add(1, Ordering::SeqCst);
        if let Some((revoked, _)) = state.revoked_jwts.as_mut() {
            revoked.retain(|_, until| *until > now);
            revoked.insert(jti, expires_at);
        }
    }

    /// Drops the list of revoked JWTs (a revocation was announced without naming the token).
    pub fn forget_revoked_jwts(&self) {
        let mut state = self.lock();
        self.revocations_epoch.fetch_add(1, Ordering::SeqCst);
        state.revoked_jwts = None;
    }

    /// The API key `id`, when remembered.
    pub fn api_key(&self, id: &str, now: OffsetDateTime) -> Option<Arc<ApiKey>> {
        self.kept(|state| state.api_keys.get(id, now, self.ttl))
    }

    pub fn put_api_key(&self, key: Arc<ApiKey>, now: OffsetDateTime, epoch: Epoch) {
        self.keep(epoch, |state| {
            state.api_keys.insert(key.id.clone(), key, now)
        });
    }

    /// The scopes a token with these scopes means to its tenant and role, when remembered.
    pub fn effective_scopes(
        &self,
        key: &ScopesKey,
        now: OffsetDateTime,
    ) -> Option<Arc<Vec<String>>> {
        self.kept(|state| state.effective_scopes.get(key, now, self.ttl))
    }

    pub fn put_effective_scopes(
        &self,
        key: ScopesKey,
        scopes: Arc<Vec<String>>,
        now: OffsetDateTime,
        epoch: Epoch,
    ) {
        self.keep(epoch, |state| {
            state.effective_scopes.insert(key, scopes, now)
        });
    }

    /// What `read` finds in the memory, while the cache is on and may serve.
    fn kept<T>(&self, read: impl FnOnce(&State) -> Option<T>) -> Option<T> {
        if !self.enabled() {
            return None;
        }
        let state = self.lock();
        if !state.synced {
            return None;
        }
        read(&state)
    }

    /// Runs `write` on the memory, unless the cache is off or waits for its feed, or something
    /// was forgotten since `epoch` was taken: the value being kept may predate that change.
    fn keep(&self, epoch: Epoch, write: impl FnOnce(&mut State)) {
        if !self.enabled() {
            return;
        }
        let mut state = self.lock();
        if !state.synced || self.epoch() != epoch {
            return;
        }
        write(&mut state);
    }

    /// Drops every entry (after a change that touches every principal, such as a tenant's
    /// settings or domain).
    pub fn forget_all(&self) {
        self.lock_moving_epoch().clear();
    }

    /// Drops every entry of this user's tokens.
    pub fn forget_user(&self, user: UserId) {
        let mut state = self.lock_moving_epoch();
        state.entries.retain(|lookup| lookup.user.id != user);
    }

    /// The change feed is listening: every change from now on will be forgotten here, so
    /// lookups read from now on may be kept.
    pub fn feed_connected(&self) {
        let mut state = self.lock_moving_epoch();
        state.clear();
        state.synced = true;
    }

    /// The change feed lost its connection: changes may go unheard until it is back.
    pub fn feed_lost(&self) {
        let mut state = self.lock_moving_epoch();
        state.clear();
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
        self.revocations_epoch.fetch_add(1, Ordering::SeqCst);
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
