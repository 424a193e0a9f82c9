//! What resource servers ask about tokens: introspection (RFC 7662) and revocation (RFC 7009),
//! answered to callers holding an API key.

use crate::api_keys::ApiKey;
use crate::error::{Error, Result};
use crate::model::ClientInfo;
use crate::rbac::Scopes;
use crate::Services;
use time::OffsetDateTime;

/// An active token as a resource server sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Introspection {
    /// What the token may do: its scopes, with `*` spelled out as every registered scope the
    /// user's role can use.
    pub scopes: Vec<String>,
    /// The user's stable id (the management API's user id).
    pub subject: String,
    pub username: Option<String>,
    pub email: String,
    pub tenant_id: String,
    /// The token's name: the device or client of a login, or a personal token's name.
    pub client_id: String,
    pub kind: crate::model::TokenKind,
    pub issued_at: OffsetDateTime,
    pub expires_at: Option<OffsetDateTime>,
}

impl Services {
    /// Describes `bearer` when it is live and of a tenant the key reaches; `None` otherwise,
    /// whatever the reason, as RFC 7662 asks. Asking does not count as using the token.
    pub async fn introspect(&self, key: &ApiKey, bearer: &str) -> Result<Option<Introspection>> {
        let (found, _) = match self.live_lookup(bearer).await {
            Ok(found) => found,
            Err(Error::Unauthenticated) => return Ok(None),
            Err(other) => return Err(other),
        };
        let token = &found.token;
        if !key.reaches(&token.tenant_id) {
            return Ok(None);
        }
        let scopes = self
            .effective_scopes(
                &token.tenant_id,
                found.user.role_id,
                &Scopes::new(token.scopes.clone()),
            )
            .await?;
        let session_end = found.session.as_ref().map(|s| s.expires_at);
        let expires_at = match (token.expires_at, session_end) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Ok(Some(Introspection {
            scopes,
            subject: found.user.uid.clone(),
            username: found.user.username.clone(),
            email: found.user.email.clone(),
            tenant_id: token.tenant_id.0.clone(),
            client_id: token.name.clone(),
            kind: token.kind,
            issued_at: token.created_at,
            expires_at,
        }))
    }

    /// Ends `bearer`: the session behind a login token, or a personal token alone. Unknown,
    /// dead and other tenants' tokens are ignored, as RFC 7009 asks.
    pub async fn revoke_bearer(
        &self,
        key: &ApiKey,
        bearer: &str,
        client: &ClientInfo,
    ) -> Result<()> {
        let (found, _) = match self.live_lookup(bearer).await {
            Ok(found) => found,
            Err(Error::Unauthenticated) => return Ok(()),
            Err(other) => return Err(other),
        };
        let token = &found.token;
        if !key.reaches(&token.tenant_id) {
            return Ok(());
        }
        let now = self.now();
        let description = format!("Token revoked by the service {:?}.", key.name);
        let activity = self.activity(&token.tenant_id, Some(&found.user), client, &description);
        match &token.session_id {
            Some(session) => self.store.end_session(session, &activity, now).await?,
            None => self.store.revoke_token(token.id, &activity, now).await?,
        }
        self.principals.forget_user(found.user.id);
        Ok(())
    }
}
