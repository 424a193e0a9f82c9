//! Turning a bearer token into a principal: the one place that decides whether a token is good.

use crate::error::{Error, Result};
use crate::ids::{SessionId, TenantId, TokenId};
use crate::model::{TenantSettings, TokenKind, User};
use crate::rbac::Scopes;
use crate::Services;
use time::Duration;

/// Activity timestamps are written at most this often per session, so that reads stay reads.
pub const ACTIVITY_GRANULARITY: Duration = Duration::minutes(1);

/// Who is calling, as proven by a bearer token.
#[derive(Debug, Clone)]
pub struct Principal {
    pub tenant_id: TenantId,
    pub user: User,
    pub settings: TenantSettings,
    pub token_id: TokenId,
    pub token_kind: TokenKind,
    pub session_id: Option<SessionId>,
    pub scopes: Scopes,
}

impl Principal {
    /// Fails with [`Error::Forbidden`] unless the token carries `scope`.
    pub fn require_scope(&self, scope: &str) -> Result<()> {
        if self.scopes.allows(scope) {
            Ok(())
        } else {
            Err(Error::Forbidden)
        }
    }
}

impl Services {
    /// Resolves a bearer value (without the `Bearer ` prefix). Any failure is
    /// [`Error::Unauthenticated`], whatever the reason, so callers learn nothing from it.
    pub async fn authenticate(&self, bearer: &str) -> Result<Principal> {
        let parsed = crate::tokens::parse(bearer).ok_or(Error::Unauthenticated)?;
        let found = self
            .store
            .lookup_token(parsed.id)
            .await?
            .ok_or(Error::Unauthenticated)?;
        if !crate::tokens::secret_matches(parsed.secret, &found.token.secret_hash) {
            return Err(Error::Unauthenticated);
        }
        let now = self.now();
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

        match &found.session {
            Some(session) if now - session.last_activity >= ACTIVITY_GRANULARITY => {
                self.store.touch_session(&session.id, token.id, now).await?;
            }
            None if token
                .last_used_at
                .is_none_or(|at| now - at >= ACTIVITY_GRANULARITY) =>
            {
                self.store.touch_token(token.id, now).await?;
            }
            _ => {}
        }

        Ok(Principal {
            tenant_id: token.tenant_id.clone(),
            scopes: Scopes::new(token.scopes.clone()),
            token_id: token.id,
            token_kind: token.kind,
            session_id: token.session_id.clone(),
            user: found.user,
            settings: found.settings,
        })
    }
}
