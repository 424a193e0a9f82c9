//! What resource servers ask about tokens: introspection (RFC 7662) and revocation (RFC 7009),
//! answered to callers holding an API key.

use crate::error::{Error, Result};
use crate::ids::TenantId;
use crate::model::{ApiKey, Application, ClientInfo, ClientToken, Scopes, Tenant};
use crate::oidc::access_tokens::looks_like_jwt;
use crate::oidc::grants::{CLIENT_TOKEN_PREFIX, OIDC_SCOPES};
use crate::services::Services;
use crate::tokens::hash_secret;
use time::OffsetDateTime;

/// Who asks about tokens: a service holding an API key, or a tenant's application with its
/// client credentials (RFC 6749 §2.3.1).
#[derive(Debug, Clone)]
pub enum TokenClient {
    ApiKey(ApiKey),
    Application(Application),
}

impl TokenClient {
    /// Whether a token of `tenant` issued to the application `issued_to` (`None`: a login's
    /// or a personal token, issued to no application) is this client's business: a key's
    /// when it reaches the tenant; an application's only when the token is its own (RFC 7009
    /// §2.1), so one application learns nothing of another's tokens and ends none of them.
    pub fn owns(&self, tenant: &TenantId, issued_to: Option<&str>) -> bool {
        match self {
            Self::ApiKey(key) => key.reaches(tenant),
            Self::Application(application) => {
                application.tenant_id == *tenant && issued_to == Some(application.id.as_str())
            }
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Self::ApiKey(key) => &key.name,
            Self::Application(application) => &application.name,
        }
    }
}

/// An active token as a resource server sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Introspection {
    /// What the token may do: its scopes, with `*` spelled out as every registered scope the
    /// user's role can use.
    pub scopes: Vec<String>,
    /// The user's stable id (the management API's user id); `None` for an application's own
    /// token (`client_credentials`).
    pub subject: Option<String>,
    pub username: Option<String>,
    pub email: Option<String>,
    pub tenant_id: String,
    /// The token's name: the device or client of a login (an OIDC access token's client id),
    /// a personal token's name, or the application a client token belongs to.
    pub client_id: String,
    /// `session`, `personal`, `refresh` (a code-flow refresh token), or `client` (an
    /// application's own token).
    pub kind: &'static str,
    pub issued_at: OffsetDateTime,
    pub expires_at: Option<OffsetDateTime>,
    /// A JWT access token's `jti`.
    pub jti: Option<String>,
}

impl Services {
    /// The tenant's application `client_id` when `secret` is its secret (compared in constant
    /// time); [`Error::Unauthenticated`] otherwise.
    pub async fn authenticate_application(
        &self,
        tenant: &Tenant,
        client_id: &str,
        secret: &str,
    ) -> Result<Application> {
        match self.known_client(&tenant.id, client_id).await? {
            Some(known) if known.secret_matches(secret) => Ok(known.application.clone()),
            _ => Err(Error::Unauthenticated),
        }
    }

    /// A public client (a browser or native app, holding no secret) by its id alone: it may
    /// revoke its own tokens (RFC 7009 §2.1), never introspect.
    pub async fn authenticate_public_client(
        &self,
        tenant: &Tenant,
        client_id: &str,
    ) -> Result<Application> {
        self.store
            .application(&tenant.id, client_id)
            .await?
            .filter(crate::oidc::clients::is_public)
            .ok_or(Error::Unauthenticated)
    }

    /// Describes `bearer` when it is live and of a tenant the key reaches; `None` otherwise,
    /// whatever the reason, as RFC 7662 asks. Asking does not count as using the token.
    pub async fn introspect(
        &self,
        key: &TokenClient,
        bearer: &str,
    ) -> Result<Option<Introspection>> {
        if let Some(rest) = bearer.strip_prefix(CLIENT_TOKEN_PREFIX) {
            return self.introspect_client_token(key, rest).await;
        }
        if looks_like_jwt(bearer) {
            let token = self.live_access_jwt(bearer).await?;
            let token = token.filter(|t| key.owns(&t.tenant_id, Some(&t.client_id)));
            return Ok(token.map(|token| Introspection {
                scopes: token.scopes,
                subject: None,
                username: None,
                email: None,
                tenant_id: token.tenant_id.0,
                client_id: token.client_id,
                kind: "client",
                issued_at: token.issued_at,
                expires_at: Some(token.expires_at),
                jti: Some(token.jti),
            }));
        }
        if crate::tokens::parse(bearer).is_none() {
            return self.introspect_refresh_token(key, bearer).await;
        }
        let (found, _) = match self.live_lookup(bearer).await {
            Ok(found) => found,
            Err(Error::Unauthenticated) => return Ok(None),
            Err(other) => return Err(other),
        };
        let token = &found.token;
        if !self.owns_token(key, &token.tenant_id, token.id).await? {
            return Ok(None);
        }
        let mut scopes = self
            .effective_scopes(
                &token.tenant_id,
                found.user.role_id,
                &Scopes::new(token.scopes.clone()),
            )
            .await?;
        // The OIDC scopes of an access token from the code flow are no registered scopes, and
        // are reported as granted.
        scopes.extend(
            OIDC_SCOPES
                .iter()
                .filter(|scope| token.scopes.iter().any(|s| s == *scope))
                .map(|scope| (*scope).to_owned()),
        );
        let session_end = found.session.as_ref().map(|s| s.expires_at);
        let expires_at = match (token.expires_at, session_end) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Ok(Some(Introspection {
            scopes,
            subject: Some(found.user.uid.clone()),
            username: found.user.username.clone(),
            email: Some(found.user.email.clone()),
            tenant_id: token.tenant_id.0.clone(),
            client_id: token.name.clone(),
            kind: token.kind.as_str(),
            issued_at: token.created_at,
            expires_at,
            jti: None,
        }))
    }

    /// Ends `bearer`: the session behind a login token, a personal token alone, the whole
    /// grant behind an OIDC access or refresh token, or a client token. Unknown, dead and
    /// other tenants' tokens are ignored, as RFC 7009 asks.
    pub async fn revoke_bearer(
        &self,
        key: &TokenClient,
        bearer: &str,
        client: &ClientInfo,
    ) -> Result<()> {
        if let Some(rest) = bearer.strip_prefix(CLIENT_TOKEN_PREFIX) {
            if let Some(token) = self.live_client_token(rest).await? {
                if key.owns(&token.tenant_id, Some(&token.application_id)) {
                    self.store.revoke_client_token(token.id, self.now()).await?;
                }
            }
            return Ok(());
        }
        if looks_like_jwt(bearer) {
            if let Some(token) = self.live_access_jwt(bearer).await? {
                if key.owns(&token.tenant_id, Some(&token.client_id)) {
                    self.revoke_access_jwt(&token).await?;
                }
            }
            return Ok(());
        }
        let by_the_service = format!("revoked by the service {:?}.", key.name());
        if crate::tokens::parse(bearer).is_none() {
            let found = self.store.refresh_token(&hash_secret(bearer)).await?;
            let found =
                found.filter(|(_, grant)| key.owns(&grant.tenant_id, Some(&grant.application_id)));
            if let Some((_, grant)) = found {
                self.revoke_family(&grant, client, &by_the_service).await?;
            }
            return Ok(());
        }
        let (found, _) = match self.live_lookup(bearer).await {
            Ok(found) => found,
            Err(Error::Unauthenticated) => return Ok(()),
            Err(other) => return Err(other),
        };
        let token = &found.token;
        if !self.owns_token(key, &token.tenant_id, token.id).await? {
            return Ok(());
        }
        // An OIDC access token takes its grant's family with it, not the person's session.
        if let Some(grant) = self.store.grant_of_token(token.id).await? {
            self.revoke_family(&grant, client, &by_the_service).await?;
            return Ok(());
        }
        let now = self.now();
        let description = format!("Token revoked by the service {:?}.", key.name());
        let activity = self.activity(&token.tenant_id, Some(&found.user), client, &description);
        match &token.session_id {
            Some(session) => self.store.end_session(session, &activity, now).await?,
            None => self.store.revoke_token(token.id, &activity, now).await?,
        }
        self.principals.forget_user(found.user.id);
        Ok(())
    }

    /// Whether a login, personal or access token is `key`'s business; an application's only
    /// when the token is an access token of one of its own grants.
    async fn owns_token(
        &self,
        key: &TokenClient,
        tenant: &TenantId,
        token: crate::ids::TokenId,
    ) -> Result<bool> {
        Ok(match key {
            TokenClient::ApiKey(_) => key.owns(tenant, None),
            TokenClient::Application(_) => {
                let grant = self.store.grant_of_token(token).await?;
                key.owns(tenant, grant.as_ref().map(|g| g.application_id.as_str()))
            }
        })
    }

    /// A client token (`cc_` already stripped) that is live.
    async fn live_client_token(&self, rest: &str) -> Result<Option<ClientToken>> {
        let Some(parsed) = crate::tokens::parse(rest) else {
            return Ok(None);
        };
        let token = self.store.client_token(parsed.id.0).await?;
        let now = self.now();
        Ok(token.filter(|token| {
            crate::tokens::secret_matches(parsed.secret, &token.secret_hash) && token.is_live(now)
        }))
    }

    async fn introspect_client_token(
        &self,
        key: &TokenClient,
        rest: &str,
    ) -> Result<Option<Introspection>> {
        let Some(token) = self.live_client_token(rest).await? else {
            return Ok(None);
        };
        if !key.owns(&token.tenant_id, Some(&token.application_id)) {
            return Ok(None);
        }
        Ok(Some(Introspection {
            scopes: token.scopes,
            subject: None,
            username: None,
            email: None,
            tenant_id: token.tenant_id.0,
            client_id: token.application_id,
            kind: "client",
            issued_at: token.created_at,
            expires_at: Some(token.expires_at),
            jti: None,
        }))
    }

    /// A refresh token of the code flow: live while unused, unrevoked, and its session and
    /// user are.
    async fn introspect_refresh_token(
        &self,
        key: &TokenClient,
        bearer: &str,
    ) -> Result<Option<Introspection>> {
        let Some((stored, grant)) = self.store.refresh_token(&hash_secret(bearer)).await? else {
            return Ok(None);
        };
        let now = self.now();
        if !key.owns(&grant.tenant_id, Some(&grant.application_id))
            || stored.used_at.is_some()
            || stored.revoked_at.is_some()
            || grant.revoked_at.is_some()
        {
            return Ok(None);
        }
        let session = self.store.session(&grant.session_id).await?;
        let user = self.store.user(&grant.tenant_id, grant.user_id).await?;
        let (Some(session), Some(user)) = (
            session.filter(|s| s.is_live(now)),
            user.filter(|u| !u.disabled),
        ) else {
            return Ok(None);
        };
        Ok(Some(Introspection {
            scopes: grant.scopes,
            subject: Some(user.uid),
            username: user.username,
            email: Some(user.email),
            tenant_id: grant.tenant_id.0,
            client_id: grant.application_id,
            kind: "refresh",
            issued_at: stored.created_at,
            expires_at: Some(session.expires_at),
            jti: None,
        }))
    }
}
