//! OpenID Connect provider: signing keys, the discovery document, signed JWTs.

pub mod access_tokens;
pub mod authorize;
pub mod backchannel;
pub mod clients;
pub mod codes;
pub mod consent;
pub mod cors;
pub mod device;
pub mod discovery;
pub mod error;
pub mod grants;
pub mod id_token;
pub mod logout;
pub mod registration;
pub mod token;
pub mod urls;
pub mod userinfo;

use crate::error::{Error, Result};
use crate::ids::TenantId;
use crate::model::{Algorithm, SigningKeySecret, StoredSigningKey};
use crate::services::Services;
use crate::signing::{self as keys, KeyRing, MAX_TOKEN_LIFETIME};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::sync::Arc;

impl Services {
    /// Seals signing keys with `secret` (see [`SigningKeySecret`]).
    pub fn with_signing_key_secret(mut self, secret: SigningKeySecret) -> Self {
        self.signing_secret = Some(Arc::new(secret));
        self
    }

    pub(crate) fn signing_secret(&self) -> Result<Arc<SigningKeySecret>> {
        self.signing_secret
            .clone()
            .ok_or_else(|| Error::Internal("no signing key secret configured".into()))
    }

    /// Makes sure there is an active key of every algorithm, generating the missing ones, and
    /// that this node's secret opens every active key. Nodes starting at once on one database
    /// may each generate a key, but only one per algorithm is stored (the store refuses a
    /// second active key), and every node then uses that one.
    pub async fn ensure_signing_keys(&self) -> Result<()> {
        let secret = self.signing_secret()?;
        let now = self.now();
        let present = self.store.signing_keys(now).await?;
        for algorithm in Algorithm::ALL {
            if present
                .iter()
                .any(|key| key.is_active() && key.algorithm == algorithm)
            {
                continue;
            }
            let key = generate(algorithm, &secret, now).await?;
            if self.store.insert_signing_key_unless_active(&key).await? {
                tracing::info!(kid = %key.id, alg = algorithm.as_str(), "created a signing key");
                self.principals.forget_key_ring();
            }
        }
        for key in self.store.signing_keys(now).await? {
            if key.is_active() {
                key.open(&secret)?;
            }
        }
        // Another node may have stored the keys this one found missing.
        self.principals.forget_key_ring();
        Ok(())
    }

    /// Replaces every active key with a new one of its algorithm. The old keys stop signing at
    /// once and stay published for [`MAX_TOKEN_LIFETIME`], so what they signed still
    /// verifies. Returns the new keys.
    pub async fn rotate_signing_keys(&self) -> Result<Vec<StoredSigningKey>> {
        let secret = self.signing_secret()?;
        let now = self.now();
        let mut new = Vec::new();
        for algorithm in Algorithm::ALL {
            new.push(generate(algorithm, &secret, now).await?);
        }
        self.store
            .rotate_signing_keys(&new, now, now + MAX_TOKEN_LIFETIME)
            .await?;
        self.principals.forget_key_ring();
        Ok(new)
    }

    /// The keys a relying party may see signatures of: every active key and every retired one
    /// not yet expired, oldest first.
    pub async fn published_signing_keys(&self) -> Result<Vec<StoredSigningKey>> {
        let now = self.now();
        let mut keys = self.store.signing_keys(now).await?;
        keys.retain(|key| key.is_published(now));
        Ok(keys)
    }

    /// A compact JWS of `claims` (a JSON object), signed with the active key of `algorithm`
    /// and naming it in the header's `kid`. Keys are server-wide for now; `tenant` is taken
    /// so that callers stay as they are when keys become per-tenant.
    pub async fn sign_jwt(
        &self,
        tenant: &TenantId,
        algorithm: Algorithm,
        claims: &serde_json::Value,
    ) -> Result<String> {
        self.sign_typed_jwt(tenant, algorithm, "JWT", claims).await
    }

    /// [`Self::sign_jwt`] with a header `typ` of its own, which keeps one kind of token from
    /// passing for another (`logout+jwt`, `at+jwt`).
    pub async fn sign_typed_jwt(
        &self,
        _tenant: &TenantId,
        algorithm: Algorithm,
        typ: &str,
        claims: &serde_json::Value,
    ) -> Result<String> {
        let ring = self.key_ring().await?;
        let (kid, key) = ring
            .active(algorithm)
            .ok_or_else(|| Error::Internal(format!("no active {} key", algorithm.as_str())))?;
        let header = serde_json::json!({"alg": algorithm.as_str(), "typ": typ, "kid": kid});
        let encode = |value: &serde_json::Value| {
            serde_json::to_vec(value)
                .map(|bytes| URL_SAFE_NO_PAD.encode(bytes))
                .map_err(|e| Error::Internal(e.to_string()))
        };
        let signing_input = format!("{}.{}", encode(&header)?, encode(claims)?);
        let signature = if key.signs_slowly() {
            let key = Arc::clone(key);
            let message = signing_input.clone().into_bytes();
            tokio::task::spawn_blocking(move || key.sign(&message))
                .await
                .map_err(|e| Error::Internal(e.to_string()))?
        } else {
            key.sign(signing_input.as_bytes())
        };
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }

    /// The published signing keys, opened: remembered between requests like token lookups,
    /// and forgotten on every node when keys are rotated.
    pub async fn key_ring(&self) -> Result<Arc<KeyRing>> {
        let now = self.now();
        if let Some(ring) = self.principals.key_ring(now) {
            if ring.is_current(now) {
                return Ok(ring);
            }
        }
        let epoch = self.principals.epoch();
        let published = self.published_signing_keys().await?;
        let secret = self.signing_secret()?;
        let ring = tokio::task::spawn_blocking(move || KeyRing::open(&published, &secret))
            .await
            .map_err(|e| Error::Internal(e.to_string()))??;
        let ring = Arc::new(ring);
        self.principals.put_key_ring(Arc::clone(&ring), now, epoch);
        Ok(ring)
    }
}

/// Generates a key on a blocking thread: a 2048-bit RSA key takes a while.
async fn generate(
    algorithm: Algorithm,
    secret: &Arc<SigningKeySecret>,
    now: time::OffsetDateTime,
) -> Result<StoredSigningKey> {
    let secret = Arc::clone(secret);
    tokio::task::spawn_blocking(move || keys::generate(algorithm, &secret, now))
        .await
        .map_err(|e| Error::Internal(e.to_string()))?
}
