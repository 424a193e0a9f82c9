//! The token endpoint (RFC 6749 §3.2): authorization codes and refresh tokens exchanged for
//! access, refresh and ID tokens, and applications' own tokens (`client_credentials`).
//!
//! Access tokens are ordinary login tokens of the person's browser session, carrying only the
//! granted OIDC scopes: ending the session ends them, and `/api` routes that need any other
//! scope refuse them. Each names its grant, so a reused code or refresh token revokes the
//! whole family at once.

use super::clients::{id_token_algorithm, is_public, ClientCredentials};
use super::codes::SEALED_CODE_PREFIX;
use super::error::{refused, ErrorCode, OAuthResult};
use super::grants::DEVICE_CODE_GRANT;
use super::grants::{new_secret, ACCESS_TOKEN_LIFETIME, CLIENT_TOKEN_PREFIX};
use super::id_token::IdTokenContext;
use crate::ids::Secret;
use crate::model::{
    Application, ClientInfo, ClientToken, Grant, NewActivity, NewToken, Session,
    StoredRefreshToken, Tenant, TokenKind, User,
};
use crate::services::Services;
use crate::tokens::{hash_secret, TokenSecret};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The token request's form fields, as sent. Its `Debug` hides the code, the verifier and the
/// refresh token, as [`Secret`]'s does.
#[derive(Default)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    pub refresh_token: Option<String>,
    pub scope: Option<String>,
    /// RFC 8628's `device_code`.
    pub device_code: Option<String>,
}

impl std::fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |value: &Option<String>| value.as_ref().map(|_| "***");
        f.debug_struct("TokenRequest")
            .field("grant_type", &self.grant_type)
            .field("code", &hidden(&self.code))
            .field("redirect_uri", &self.redirect_uri)
            .field("code_verifier", &hidden(&self.code_verifier))
            .field("refresh_token", &hidden(&self.refresh_token))
            .field("scope", &self.scope)
            .field("device_code", &hidden(&self.device_code))
            .finish()
    }
}

/// A successful token response (RFC 6749 §5.1, OIDC Core §3.1.3.3).
#[derive(Debug)]
pub struct IssuedTokens {
    pub access_token: Secret,
    pub expires_in: i64,
    pub refresh_token: Option<Secret>,
    pub id_token: Option<String>,
    /// Space-separated.
    pub scope: String,
}

/// A live session and its user, which every token of a grant needs.
pub(super) struct Signer {
    pub(super) session: Session,
    pub(super) user: User,
}

impl Services {
    /// Answers a token request from a client with these credentials. `issuer` is the
    /// tenant's issuer as the client sees it (see discovery).
    pub async fn token_exchange(
        &self,
        tenant: &Tenant,
        credentials: &ClientCredentials,
        request: &TokenRequest,
        issuer: &str,
        client: &ClientInfo,
    ) -> OAuthResult<IssuedTokens> {
        let grant_type = match request.grant_type.as_deref() {
            Some(grant_type) => grant_type,
            None => return refused(ErrorCode::InvalidRequest, "grant_type is required."),
        };
        if !matches!(
            grant_type,
            "authorization_code" | "refresh_token" | "client_credentials" | DEVICE_CODE_GRANT
        ) {
            return refused(
                ErrorCode::UnsupportedGrantType,
                "Supported grant types: authorization_code, refresh_token, client_credentials, urn:ietf:params:oauth:grant-type:device_code.",
            );
        }
        let application = self.authenticate_client(tenant, credentials).await?;
        if !registered_for(&application, grant_type) {
            return refused(
                ErrorCode::UnauthorizedClient,
                "The client did not register this grant type (its grant_types).",
            );
        }
        match grant_type {
            "authorization_code" => {
                self.redeem_code(tenant, &application, request, issuer, client)
                    .await
            }
            "refresh_token" => {
                self.refresh(tenant, &application, request, issuer, client)
                    .await
            }
            DEVICE_CODE_GRANT => {
                self.redeem_device_code(tenant, &application, request, issuer, client)
                    .await
            }
            _ => {
                self.client_credentials(tenant, &application, request, issuer)
                    .await
            }
        }
    }

    async fn redeem_code(
        &self,
        tenant: &Tenant,
        application: &Application,
        request: &TokenRequest,
        issuer: &str,
        client: &ClientInfo,
    ) -> OAuthResult<IssuedTokens> {
        let Some(code) = request.code.as_deref() else {
            return refused(ErrorCode::InvalidRequest, "code is required.");
        };
        let sealed = code.starts_with(SEALED_CODE_PREFIX);
        let found = if sealed {
            self.open_code(code, &tenant.id, &application.id)?
        } else {
            self.store.code(&hash_secret(code)).await?
        };
        let Some((stored, grant)) = found else {
            return refused(ErrorCode::InvalidGrant, CODE_INVALID);
        };
        if grant.tenant_id != tenant.id || grant.application_id != application.id {
            return refused(ErrorCode::InvalidGrant, CODE_INVALID);
        }
        let now = self.now();
        if stored.used_at.is_some() {
            // RFC 6749 §4.1.2: someone holds a copy of a code; nothing it led to is safe.
            self.revoke_family(&grant, client, "its code was used twice.")
                .await?;
            return refused(ErrorCode::InvalidGrant, CODE_REUSED);
        }
        if stored.expires_at <= now {
            return refused(ErrorCode::InvalidGrant, "The code has expired.");
        }
        if grant.revoked_at.is_some() {
            return refused(ErrorCode::InvalidGrant, CODE_INVALID);
        }
        if request.redirect_uri.as_deref() != Some(stored.redirect_uri.as_str()) {
            return refused(
                ErrorCode::InvalidGrant,
                "redirect_uri differs from the authorization request's.",
            );
        }
        match (&stored.code_challenge, request.code_verifier.as_deref()) {
            (Some(challenge), Some(verifier)) if pkce_matches(verifier, challenge) => {}
            (Some(_), Some(_)) => {
                return refused(ErrorCode::InvalidGrant, "The code_verifier does not match.")
            }
            (Some(_), None) => {
                return refused(ErrorCode::InvalidGrant, "code_verifier is required.")
            }
            (None, Some(_)) => {
                return refused(
                    ErrorCode::InvalidGrant,
                    "The authorization request had no code_challenge.",
                )
            }
            // Public clients cannot get here without a challenge (see authorize).
            (None, None) if is_public(application) => {
                return refused(ErrorCode::InvalidGrant, "code_verifier is required.")
            }
            (None, None) => {}
        }
        let signer = self.signer(application, &grant).await?;
        let (access, access_secret) = self.access_token(application, &grant, &signer.session);
        let (refresh_secret, refresh) = refresh_token(&grant, now);
        let description = format!("Signed in to the application {:?}.", application.name);
        let activity = self.activity(&tenant.id, Some(&signer.user), client, &description);
        let redeemed = if sealed {
            self.store
                .redeem_sealed_code(&grant, &access, &refresh, &activity)
                .await?
        } else {
            self.store
                .redeem_code(&stored.code_hash, now, &access, &refresh, &activity)
                .await?
        };
        let Some(token_id) = redeemed else {
            // Another redemption won the race: the code was used twice.
            self.revoke_family(&grant, client, "its code was used twice.")
                .await?;
            return refused(ErrorCode::InvalidGrant, CODE_REUSED);
        };
        let access_token = access_secret.bearer(token_id);
        self.respond(
            application,
            &grant,
            &signer,
            access,
            access_token,
            Some(refresh_secret),
            stored.nonce.as_deref(),
            issuer,
        )
        .await
    }

    async fn refresh(
        &self,
        tenant: &Tenant,
        application: &Application,
        request: &TokenRequest,
        issuer: &str,
        client: &ClientInfo,
    ) -> OAuthResult<IssuedTokens> {
        let Some(presented) = request.refresh_token.as_deref() else {
            return refused(ErrorCode::InvalidRequest, "refresh_token is required.");
        };
        let Some((stored, grant)) = self.store.refresh_token(&hash_secret(presented)).await? else {
            return refused(ErrorCode::InvalidGrant, REFRESH_INVALID);
        };
        if grant.tenant_id != tenant.id || grant.application_id != application.id {
            return refused(ErrorCode::InvalidGrant, REFRESH_INVALID);
        }
        if stored.revoked_at.is_some() || grant.revoked_at.is_some() {
            return refused(ErrorCode::InvalidGrant, REFRESH_INVALID);
        }
        if stored.used_at.is_some() {
            // A rotated-out token came back: one of the two holders is not the client.
            self.revoke_family(&grant, client, "a refresh token was used twice.")
                .await?;
            return refused(ErrorCode::InvalidGrant, REFRESH_REUSED);
        }
        let scopes = match request.scope.as_deref() {
            None => grant.scopes.clone(),
            Some(scope) => {
                let asked: Vec<String> =
                    scope.split_ascii_whitespace().map(str::to_owned).collect();
                if asked.iter().any(|s| !grant.scopes.contains(s)) {
                    return refused(
                        ErrorCode::InvalidScope,
                        "A refresh may narrow the granted scope, never widen it.",
                    );
                }
                asked
            }
        };
        let signer = self.signer(application, &grant).await?;
        let now = self.now();
        let narrowed = Grant {
            scopes,
            ..grant.clone()
        };
        let (access, access_secret) = self.access_token(application, &narrowed, &signer.session);
        let (refresh_secret, next) = refresh_token(&grant, now);
        let Some(token_id) = self
            .store
            .rotate_refresh_token(&stored.secret_hash, now, &access, &next)
            .await?
        else {
            self.revoke_family(&grant, client, "a refresh token was used twice.")
                .await?;
            return refused(ErrorCode::InvalidGrant, REFRESH_REUSED);
        };
        let access_token = access_secret.bearer(token_id);
        self.respond(
            application,
            &narrowed,
            &signer,
            access,
            access_token,
            Some(refresh_secret),
            None,
            issuer,
        )
        .await
    }

    async fn client_credentials(
        &self,
        tenant: &Tenant,
        application: &Application,
        request: &TokenRequest,
        issuer: &str,
    ) -> OAuthResult<IssuedTokens> {
        if is_public(application) {
            return refused(
                ErrorCode::UnauthorizedClient,
                "A public client cannot use client_credentials.",
            );
        }
        // An application acting for itself may hold the tenant's registered scopes (which
        // resource servers enforce) that its own `allowed_scopes` names, never Portcullis's
        // own, which act on users.
        let scopes: Vec<String> = request
            .scope
            .as_deref()
            .unwrap_or("")
            .split_ascii_whitespace()
            .map(str::to_owned)
            .collect();
        if !scopes.is_empty() {
            let registered = self.store.custom_scopes(&tenant.id).await?;
            let allowed = super::clients::allowed_scopes(application);
            if scopes.iter().any(|scope| {
                !registered.iter().any(|r| &r.name == scope) || !allowed.contains(&scope.as_str())
            }) {
                return refused(
                    ErrorCode::InvalidScope,
                    "client_credentials may only ask for the tenant's registered scopes that the application's allowed_scopes names.",
                );
            }
        }
        if !super::access_tokens::wants_opaque(application) {
            let (access_token, expires_in) =
                self.issue_access_jwt(application, &scopes, issuer).await?;
            return Ok(IssuedTokens {
                access_token: Secret::new(access_token),
                expires_in,
                refresh_token: None,
                id_token: None,
                scope: scopes.join(" "),
            });
        }
        let now = self.now();
        let secret = TokenSecret::generate();
        let mut token = ClientToken {
            id: 0,
            tenant_id: tenant.id.clone(),
            application_id: application.id.clone(),
            secret_hash: secret.hash.clone(),
            scopes,
            created_at: now,
            expires_at: now + ACCESS_TOKEN_LIFETIME,
            revoked_at: None,
        };
        token.id = self.store.create_client_token(&token).await?;
        Ok(IssuedTokens {
            access_token: Secret::new(format!(
                "{CLIENT_TOKEN_PREFIX}{}|{}",
                token.id,
                secret.secret.expose()
            )),
            expires_in: ACCESS_TOKEN_LIFETIME.whole_seconds(),
            refresh_token: None,
            id_token: None,
            scope: token.scopes.join(" "),
        })
    }

    /// The grant's session and user, while the session lives, the user may sign in, and the
    /// application still takes the user's role (a role changed since loses the grant).
    pub(super) async fn signer(
        &self,
        application: &Application,
        grant: &Grant,
    ) -> OAuthResult<Signer> {
        let now = self.now();
        let session = self
            .store
            .session(&grant.session_id)
            .await?
            .filter(|session| session.is_live(now));
        let user = self
            .store
            .user(&grant.tenant_id, grant.user_id)
            .await?
            .filter(|user| !user.disabled);
        let user = match user {
            Some(user) if self.may_use_application(application, &user).await? => Some(user),
            _ => None,
        };
        match (session, user) {
            (Some(session), Some(user)) => Ok(Signer { session, user }),
            _ => refused(
                ErrorCode::InvalidGrant,
                "The sign-in this grant was made in has ended.",
            ),
        }
    }

    /// An access token of the grant's session: its OIDC scopes only, for an hour at most.
    pub(super) fn access_token(
        &self,
        application: &Application,
        grant: &Grant,
        session: &Session,
    ) -> (NewToken, TokenSecret) {
        let now = self.now();
        let secret = TokenSecret::generate();
        let token = NewToken {
            tenant_id: grant.tenant_id.clone(),
            user_id: grant.user_id,
            session_id: Some(grant.session_id.clone()),
            kind: TokenKind::Session,
            name: application.id.clone(),
            secret_hash: secret.hash.clone(),
            scopes: grant.scopes.clone(),
            created_at: now,
            expires_at: Some((now + ACCESS_TOKEN_LIFETIME).min(session.expires_at)),
        };
        (token, secret)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) async fn respond(
        &self,
        application: &Application,
        grant: &Grant,
        signer: &Signer,
        access: NewToken,
        access_token: Secret,
        refresh_token: Option<Secret>,
        nonce: Option<&str>,
        issuer: &str,
    ) -> OAuthResult<IssuedTokens> {
        let now = self.now();
        let id_token = if grant.scopes.iter().any(|s| s == "openid") {
            // The sign-in the grant was made in says how the person proved who they are.
            let amr = &signer.session.amr;
            let context = IdTokenContext {
                issuer,
                client_id: &application.id,
                auth_time: grant.auth_time,
                nonce,
                access_token: access_token.expose(),
                session_id: &grant.session_id,
                amr,
                algorithm: id_token_algorithm(application),
            };
            Some(
                self.id_token(&grant.tenant_id, &signer.user, &grant.scopes, context)
                    .await?,
            )
        } else {
            None
        };
        let expires_at = access.expires_at.unwrap_or(now);
        Ok(IssuedTokens {
            access_token,
            expires_in: (expires_at - now).whole_seconds().max(0),
            refresh_token,
            id_token,
            scope: grant.scopes.join(" "),
        })
    }

    /// Revokes everything a grant led to, at once on this node, and records why.
    pub(crate) async fn revoke_family(
        &self,
        grant: &Grant,
        client: &ClientInfo,
        why: &str,
    ) -> crate::error::Result<()> {
        self.store.revoke_grant(&grant.id, self.now()).await?;
        self.principals.forget_user(grant.user_id);
        let activity = NewActivity {
            tenant_id: grant.tenant_id.clone(),
            user_id: Some(grant.user_id),
            ip_address: client.ip.clone(),
            user_agent: client.user_agent.clone(),
            description: format!(
                "Revoked the tokens of the application {:?}: {why}",
                grant.application_id
            ),
            created_at: self.now(),
        };
        self.store.record_activity(&activity).await?;
        Ok(())
    }
}

/// Whether an application that registered its `grant_types` (RFC 7591 §2) named this one. Every
/// token response of a person's grant carries a refresh token, so the grants that issue them
/// allow refreshing too. Applications made by the management API name none and may use all.
fn registered_for(application: &Application, grant_type: &str) -> bool {
    let Some(registered) = application.metadata.get(super::clients::GRANT_TYPES_KEY) else {
        return true;
    };
    let named: Vec<&str> = registered.split_ascii_whitespace().collect();
    named.contains(&grant_type)
        || (grant_type == "refresh_token"
            && named
                .iter()
                .any(|g| *g == "authorization_code" || *g == DEVICE_CODE_GRANT))
}

/// A new refresh token of the grant's family.
pub(super) fn refresh_token(
    grant: &Grant,
    now: time::OffsetDateTime,
) -> (Secret, StoredRefreshToken) {
    let (secret, secret_hash) = new_secret();
    let stored = StoredRefreshToken {
        secret_hash,
        grant_id: grant.id.clone(),
        created_at: now,
        used_at: None,
        revoked_at: None,
    };
    (Secret::new(secret), stored)
}

/// Whether `verifier` is the PKCE S256 verifier of `challenge` (RFC 7636 §4.6).
fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    well_formed && bool::from(computed.as_bytes().ct_eq(challenge.as_bytes()))
}

const CODE_INVALID: &str = "The code is unknown, or was issued to another client.";
const CODE_REUSED: &str = "The code was used already; every token it led to has been revoked.";
const REFRESH_INVALID: &str = "The refresh token is unknown, revoked, or of another client.";
const REFRESH_REUSED: &str =
    "The refresh token was used already; every token of its grant has been revoked.";

#[cfg(test)]
mod tests {
    use super::{pkce_matches, TokenRequest};

    #[test]
    fn a_token_requests_debug_hides_its_secrets() {
        let request = TokenRequest {
            grant_type: Some("authorization_code".into()),
            code: Some("the-code".into()),
            code_verifier: Some("the-verifier".into()),
            refresh_token: Some("the-refresh-token".into()),
            ..TokenRequest::default()
        };
        let printed = format!("{request:?}");
        for secret in ["the-code", "the-verifier", "the-refresh-token"] {
            assert!(!printed.contains(secret), "{printed}");
        }
        assert!(printed.contains("authorization_code"), "{printed}");
    }

    #[test]
    fn pkce_s256_matches_rfc_7636s_example_only() {
        // RFC 7636, appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_matches(verifier, challenge));
        assert!(!pkce_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK",
            challenge
        ));
        assert!(!pkce_matches("short", challenge), "43 characters at least");
        assert!(
            !pkce_matches(challenge, challenge),
            "the challenge is no verifier"
        );
    }
}
