//! Self-contained access tokens for applications acting for themselves (`client_credentials`):
//! JWTs in RFC 9068's profile, signed by the active key, verified by their signature wherever
//! they are presented. Issuing one writes nothing; revoking one writes its `jti` to a short list
//! every node keeps in memory (forgotten on every node at once through the change feed).
//!
//! An application whose metadata says `access_token_format: opaque` keeps getting opaque
//! tokens (`cc_<id>|<secret>`), one row each.

use super::grants::ACCESS_TOKEN_LIFETIME;
use crate::error::Result;
use crate::ids::TenantId;
use crate::model::{Algorithm, Application, RevokedJwt};
use crate::services::Services;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

/// The metadata key choosing an application's `client_credentials` tokens: `jwt` (the
/// default) or `opaque`.
pub const ACCESS_TOKEN_FORMAT_KEY: &str = "access_token_format";
/// The metadata key choosing the algorithm its JWT access tokens are signed with: `EdDSA` or
/// `RS256`; without it, the one its ID tokens use (RS256 unless it says otherwise).
pub const ACCESS_TOKEN_ALG_KEY: &str = "access_token_signed_response_alg";
/// The JOSE `typ` of an access token (RFC 9068 §2.1), which no ID or logout token carries.
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";

/// Whether the application gets opaque `client_credentials` tokens.
pub fn wants_opaque(application: &Application) -> bool {
    application
        .metadata
        .get(ACCESS_TOKEN_FORMAT_KEY)
        .is_some_and(|format| format == "opaque")
}

/// The algorithm the application's JWT access tokens are signed with.
pub fn access_token_algorithm(application: &Application) -> Algorithm {
    application
        .metadata
        .get(ACCESS_TOKEN_ALG_KEY)
        .and_then(|name| Algorithm::parse(name))
        .unwrap_or_else(|| super::clients::id_token_algorithm(application))
}

/// A live JWT access token of ours, as its claims say.
#[derive(Debug, Clone)]
pub struct AccessJwt {
    pub jti: String,
    pub tenant_id: TenantId,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub issued_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// The claims read back; `tid` is ours (the tenant), the rest are RFC 9068's.
#[derive(Deserialize)]
struct Claims {
    jti: String,
    tid: String,
    client_id: String,
    #[serde(default)]
    scope: Option<String>,
    iat: i64,
    exp: i64,
}

/// Whether `bearer` has a compact JWS's shape (three base64url parts, a JSON header): none of
/// our opaque tokens does.
pub fn looks_like_jwt(bearer: &str) -> bool {
    bearer.starts_with("eyJ") && bearer.bytes().filter(|b| *b == b'.').count() == 2
}

impl Services {
    /// A signed access token for `application` itself, with `scopes`, for `issuer`'s resource
    /// servers. Returns the token and its lifetime in seconds.
    pub(crate) async fn issue_access_jwt(
        &self,
        application: &Application,
        scopes: &[String],
        issuer: &str,
    ) -> Result<(String, i64)> {
        let now = self.now();
        let mut claims = json!({
            "iss": issuer,
            "sub": application.id,
            "aud": issuer,
            "client_id": application.id,
            "tid": application.tenant_id.as_str(),
            "jti": crate::random::base62(22),
            "iat": now.unix_timestamp(),
            "exp": (now + ACCESS_TOKEN_LIFETIME).unix_timestamp(),
        });
        if !scopes.is_empty() {
            claims["scope"] = json!(scopes.join(" "));
        }
        let token = self
            .sign_typed_jwt(
                &application.tenant_id,
                access_token_algorithm(application),
                ACCESS_TOKEN_TYPE,
                &claims,
            )
            .await?;
        Ok((token, ACCESS_TOKEN_LIFETIME.whole_seconds()))
    }

    /// The token when it is one of our JWT access tokens, signed by a published key, unexpired,
    /// not revoked, and its application still there; `None` otherwise, whatever the reason.
    pub(crate) async fn live_access_jwt(&self, token: &str) -> Result<Option<AccessJwt>> {
        let Some(claims) = self.verified_access_jwt(token).await? else {
            return Ok(None);
        };
        let now = self.now();
        if claims.expires_at <= now || self.jwt_revoked(&claims.jti).await? {
            return Ok(None);
        }
        let application = self
            .known_client(&claims.tenant_id, &claims.client_id)
            .await?;
        Ok(application.is_some().then_some(claims))
    }

    /// The claims of a JWT access token this server signed with a published key, expired or
    /// revoked or not.
    async fn verified_access_jwt(&self, token: &str) -> Result<Option<AccessJwt>> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Ok(None);
        };
        let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).ok();
        let Some(header) = decode(header)
            .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        else {
            return Ok(None);
        };
        let field = |name: &str| header.get(name).and_then(serde_json::Value::as_str);
        if field("typ").map(str::to_ascii_lowercase).as_deref() != Some(ACCESS_TOKEN_TYPE) {
            return Ok(None);
        }
        let (Some(kid), Some(alg), Some(signature)) =
            (field("kid"), field("alg"), decode(signature))
        else {
            return Ok(None);
        };
        // The signing input is everything before the last dot.
        let signing_input = &token[..token.rfind('.').unwrap_or(0)];
        let ring = self.key_ring().await?;
        if !ring.verifies(kid, alg, signing_input.as_bytes(), &signature) {
            return Ok(None);
        }
        let Some(claims) =
            decode(payload).and_then(|bytes| serde_json::from_slice::<Claims>(&bytes).ok())
        else {
            return Ok(None);
        };
        let time = |seconds| OffsetDateTime::from_unix_timestamp(seconds).ok();
        let (Some(issued_at), Some(expires_at)) = (time(claims.iat), time(claims.exp)) else {
            return Ok(None);
        };
        Ok(Some(AccessJwt {
            jti: claims.jti,
            tenant_id: TenantId(claims.tid),
            client_id: claims.client_id,
            scopes: claims
                .scope
                .unwrap_or_default()
                .split_ascii_whitespace()
                .map(str::to_owned)
                .collect(),
            issued_at,
            expires_at,
        }))
    }

    /// Revokes a live JWT access token on every node.
    pub(crate) async fn revoke_access_jwt(&self, token: &AccessJwt) -> Result<()> {
        let revoked = RevokedJwt {
            jti: token.jti.clone(),
            tenant_id: token.tenant_id.clone(),
            expires_at: token.expires_at,
            revoked_at: self.now(),
        };
        self.store.revoke_jwt(&revoked).await?;
        self.principals
            .revoke_jwt(revoked.jti, revoked.expires_at, revoked.revoked_at);
        Ok(())
    }

    /// Whether the JWT access token `jti` was revoked; the list of every revoked one is
    /// remembered like token lookups, and kept complete as revocations come.
    async fn jwt_revoked(&self, jti: &str) -> Result<bool> {
        let now = self.now();
        if let Some(revoked) = self.principals.jwt_revoked(jti, now) {
            return Ok(revoked);
        }
        let epoch = self.principals.revocations_epoch();
        let revoked: std::collections::HashMap<_, _> =
            self.store.revoked_jwts(now).await?.into_iter().collect();
        let found = revoked.contains_key(jti);
        self.principals.put_revoked_jwts(revoked, now, epoch);
        Ok(found)
    }
}
