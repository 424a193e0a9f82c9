//! ID tokens (OIDC Core §2) and the claims about a person that ID tokens and the userinfo
//! endpoint share; and checking that an `id_token_hint` is one of ours.

use crate::error::{Error, Result};
use crate::ids::SessionId;
use crate::model::{Algorithm, User};
use crate::services::Services;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256, Sha512};
use time::OffsetDateTime;

/// The claims about `user` that `scopes` release (OIDC Core §5.4): `sub` always, the email
/// claims with `email`, the name claims with `profile`.
pub fn user_claims(user: &User, scopes: &[String]) -> Map<String, Value> {
    let has = |scope: &str| scopes.iter().any(|s| s == scope);
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(user.uid));
    if has("email") {
        claims.insert("email".into(), json!(user.email));
        claims.insert(
            "email_verified".into(),
            json!(user.email_verified_at.is_some()),
        );
    }
    if has("profile") {
        let name = user.full_name();
        let mut put = |claim: &str, value: Option<&str>| {
            if let Some(value) = value.filter(|v| !v.is_empty()) {
                claims.insert(claim.into(), json!(value));
            }
        };
        put("name", Some(&name));
        put("given_name", user.first_name.as_deref());
        put("family_name", user.last_name.as_deref());
        put("preferred_username", user.username.as_deref());
        claims.insert("updated_at".into(), json!(user.updated_at.unix_timestamp()));
    }
    claims
}

/// `at_hash` (OIDC Core §3.1.3.6): the left half of the hash of the access token, with the
/// hash the signing algorithm uses (SHA-256 for RS256, SHA-512 for Ed25519).
pub fn at_hash(access_token: &str, algorithm: Algorithm) -> String {
    let digest = match algorithm {
        Algorithm::Rs256 => Sha256::digest(access_token.as_bytes()).to_vec(),
        Algorithm::EdDsa => Sha512::digest(access_token.as_bytes()).to_vec(),
    };
    URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

/// The sign-in's assurance as OpenID's EAP ACR values name it: `phr` (phishing-resistant)
/// for a passkey or security key, whose signature is bound to this host; nothing for a sign-in
/// a look-alike site could relay (passwords, codes). Not `phrh`: without attestation nothing
/// proves the key lives in hardware.
fn acr(amr: &[String]) -> Option<&'static str> {
    let has = |value: &str| amr.iter().any(|m| m == value);
    (has("hwk") && (has("user") || has("mfa"))).then_some("phr")
}

/// What goes into an ID token besides the person's claims.
pub(crate) struct IdTokenContext<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub auth_time: OffsetDateTime,
    pub nonce: Option<&'a str>,
    pub access_token: &'a str,
    pub session_id: &'a SessionId,
    /// How the person signed in (RFC 8176); left out when no registered value says.
    pub amr: &'a [String],
    pub algorithm: Algorithm,
}

/// An ID token lives as long as the access token it comes with.
const ID_TOKEN_LIFETIME: time::Duration = super::grants::ACCESS_TOKEN_LIFETIME;

impl Services {
    /// A signed ID token for `user`.
    pub(crate) async fn id_token(
        &self,
        tenant: &crate::ids::TenantId,
        user: &User,
        scopes: &[String],
        context: IdTokenContext<'_>,
    ) -> Result<String> {
        let now = self.now();
        let mut claims = user_claims(user, scopes);
        let mut put = |name: &str, value: Value| {
            claims.insert(name.to_owned(), value);
        };
        put("iss", json!(context.issuer));
        put("aud", json!(context.client_id));
        put("azp", json!(context.client_id));
        put("iat", json!(now.unix_timestamp()));
        put("exp", json!((now + ID_TOKEN_LIFETIME).unix_timestamp()));
        put("auth_time", json!(context.auth_time.unix_timestamp()));
        put("sid", json!(context.session_id.as_str()));
        if !context.amr.is_empty() {
            put("amr", json!(context.amr));
        }
        if let Some(acr) = acr(context.amr) {
            put("acr", json!(acr));
        }
        put(
            "at_hash",
            json!(at_hash(context.access_token, context.algorithm)),
        );
        if let Some(nonce) = context.nonce {
            put("nonce", json!(nonce));
        }
        self.sign_jwt(tenant, context.algorithm, &Value::Object(claims))
            .await
    }

    /// The claims of an ID token this server signed (with a key still published) for
    /// `issuer`, expired or not, as RP-initiated logout's `id_token_hint` asks;
    /// [`Error::Unauthenticated`] for anything else.
    pub async fn verify_id_token_hint(
        &self,
        token: &str,
        issuer: &str,
    ) -> Result<Map<String, Value>> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Error::Unauthenticated);
        };
        let decode_json = |part: &str| -> Result<Map<String, Value>> {
            let bytes = URL_SAFE_NO_PAD
                .decode(part)
                .map_err(|_| Error::Unauthenticated)?;
            serde_json::from_slice(&bytes).map_err(|_| Error::Unauthenticated)
        };
        let header = decode_json(header)?;
        // Only ID tokens: logout tokens (`logout+jwt`) and access tokens (`at+jwt`) are signed
        // by the same keys but are not ones.
        if !matches!(
            header.get("typ").and_then(Value::as_str),
            None | Some("JWT")
        ) {
            return Err(Error::Unauthenticated);
        }
        let signature_bytes = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| Error::Unauthenticated)?;
        let kid = header
            .get("kid")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let alg = header
            .get("alg")
            .and_then(Value::as_str)
            .unwrap_or_default();
        // The signing input is everything before the last dot.
        let signing_input = &token[..token.len() - signature.len() - 1];
        let ring = self.key_ring().await?;
        if !ring.verifies(kid, alg, signing_input.as_bytes(), &signature_bytes) {
            return Err(Error::Unauthenticated);
        }
        let claims = decode_json(payload)?;
        if claims.contains_key("events")
            || claims.get("iss").and_then(Value::as_str) != Some(issuer)
        {
            return Err(Error::Unauthenticated);
        }
        Ok(claims)
    }
}
