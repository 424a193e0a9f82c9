//! Turning a bearer token into a principal: the one place that decides whether a token is good.

use crate::error::{Error, Result};
use crate::model::{Principal, Scopes, TokenLookup};
use crate::runtime::Epoch;
use crate::services::Services;
use std::sync::{Arc, OnceLock};
use time::{Duration, OffsetDateTime};

/// Activity timestamps are written at most this often per session, so that reads stay reads.
pub const ACTIVITY_GRANULARITY: Duration = Duration::minutes(1);

impl Services {
    /// Resolves a bearer value (without the `Bearer ` prefix). Any failure is
    /// [`Error::Unauthenticated`], whatever the reason, so callers learn nothing from it.
    pub async fn authenticate(&self, bearer: &str) -> Result<Principal> {
        let (found, epoch) = self.live_lookup(bearer).await?;
        self.principal(found, epoch).await
    }

    /// [`authenticate`](Self::authenticate) for a request to `host` (its `Host` header): a
    /// token of another tenant than the one the host picks is unknown there.
    pub async fn authenticate_on_host(
        &self,
        bearer: &str,
        host: Option<&str>,
    ) -> Result<Principal> {
        let (found, epoch) = self.live_lookup(bearer).await?;
        if !self
            .host_is_for(host, &found.token.tenant_id, &found.settings)
            .await?
        {
            return Err(Error::Unauthenticated);
        }
        self.principal(found, epoch).await
    }

    async fn principal(&self, found: Arc<TokenLookup>, epoch: Epoch) -> Result<Principal> {
        self.record_use(&found, self.now(), epoch).await?;
        let token = &found.token;
        Ok(Principal {
            tenant_id: token.tenant_id.clone(),
            scopes: Scopes::new(token.scopes.clone()),
            token_id: token.id,
            token_kind: token.kind,
            session_id: token.session_id.clone(),
            token_expires_at: token.expires_at,
            authenticated_at: found.session.as_ref().map(|session| session.created_at),
            user: found.user.clone(),
            settings: found.settings.clone(),
            role_permissions: OnceLock::new(),
            acting_from: None,
        })
    }

    /// The lookup of a live token (from the cache when it is fresh there), with its secret,
    /// expiry, session and user checked; [`Error::Unauthenticated`] for anything else.
    /// Also gives the cache epoch read before the lookup, for storing what is learnt later.
    pub(crate) async fn live_lookup(&self, bearer: &str) -> Result<(Arc<TokenLookup>, Epoch)> {
        let parsed = crate::tokens::parse(bearer).ok_or(Error::Unauthenticated)?;
        let now = self.now();
        let epoch = self.principals.epoch();
        let found = match self.principals.get(parsed.id, now) {
            Some(found) => found,
            None => {
                let found = self.store.lookup_token(parsed.id).await?;
                let found = Arc::new(found.ok_or(Error::Unauthenticated)?);
                self.principals.put(Arc::clone(&found), now, epoch);
                found
            }
        };
        // Checked on every request, cached or not.
        if !crate::tokens::secret_matches(parsed.secret, &found.token.secret_hash) {
            return Err(Error::Unauthenticated);
        }
        let token = &found.token;
        let token_live = token.revoked_at.is_none() && token.expires_at.is_none_or(|at| at > now);
        let session_live = match (&token.session_id, &found.session) {
            (Some(_), Some(session)) => session.is_live(now),
            (Some(_), None) => false,
            (None, _) => true,
        };
        if !token_live || !session_live || found.user.disabled {
            return Err(Error::Unauthenticated);
        }
        Ok((found, epoch))
    }

    /// Moves the session's `last_activity` (or a session-less token's `last_used_at`) forward,
    /// at most once per [`ACTIVITY_GRANULARITY`].
    async fn record_use(
        &self,
        found: &TokenLookup,
        now: OffsetDateTime,
        epoch: Epoch,
    ) -> Result<()> {
        let token = &found.token;
        let stale = |at: OffsetDateTime| now - at >= ACTIVITY_GRANULARITY;
        match &found.session {
            Some(session) if stale(session.last_activity) => {
                self.store.touch_session(&session.id, token.id, now).await?;
            }
            None if token.last_used_at.is_none_or(stale) => {
                self.store.touch_token(token.id, now).await?;
            }
            _ => return Ok(()),
        }
        let mut fresh = found.clone();
        fresh.token.last_used_at = Some(now);
        if let Some(session) = fresh.session.as_mut() {
            session.last_activity = now;
        }
        self.principals.put(Arc::new(fresh), now, epoch);
        Ok(())
    }
}
