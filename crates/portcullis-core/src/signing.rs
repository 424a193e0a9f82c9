//! The keys that sign ID, logout and access tokens: generated here, stored by the store with the private half sealed
//! (ChaCha20-Poly1305 under the server's [`SigningKeySecret`]), published as JWKs.
//!
//! Keys are server-wide for now: every tenant publishes the same key set.

use crate::error::{Error, Result};
use crate::model::{Algorithm, SigningKeySecret, StoredSigningKey};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::Nonce;
use serde_json::{Map, Value};
use time::OffsetDateTime;

/// The longest any token signed with a key may live: a retired key stays published this long
/// after it stops signing, so every token it signed still verifies.
pub const MAX_TOKEN_LIFETIME: time::Duration = time::Duration::days(1);

/// An opened key, ready to sign and verify.
pub(crate) enum KeyPair {
    Rsa {
        signing: Box<ring::rsa::KeyPair>,
        verifying: Box<rsa::pkcs1v15::VerifyingKey<sha2::Sha256>>,
    },
    Ed25519(Box<ed25519_dalek::SigningKey>),
}

impl KeyPair {
    /// The JWS signature of `message` (RFC 7518 §3.3 for RS256, RFC 8037 §3.1 for EdDSA). RSA
    /// signatures are ring's, which are blinded and constant-time.
    pub(crate) fn sign(&self, message: &[u8]) -> Vec<u8> {
        match self {
            Self::Rsa { signing, .. } => {
                let mut signature = vec![0; signing.public().modulus_len()];
                signing
                    .sign(
                        &ring::signature::RSA_PKCS1_SHA256,
                        &ring::rand::SystemRandom::new(),
                        message,
                        &mut signature,
                    )
                    .expect("a 2048-bit key signs into a buffer of its modulus' length");
                signature
            }
            Self::Ed25519(key) => {
                use ed25519_dalek::Signer;
                key.sign(message).to_bytes().to_vec()
            }
        }
    }

    /// Whether signing takes long enough (milliseconds, for RSA) to belong off the async
    /// workers; an Ed25519 signature costs less than handing it to another thread.
    pub(crate) fn signs_slowly(&self) -> bool {
        matches!(self, Self::Rsa { .. })
    }

    /// Whether `signature` is this key's JWS signature of `message`.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            Self::Rsa { verifying, .. } => {
                use rsa::signature::Verifier;
                rsa::pkcs1v15::Signature::try_from(signature)
                    .is_ok_and(|signature| verifying.verify(message, &signature).is_ok())
            }
            Self::Ed25519(key) => {
                ed25519_dalek::Signature::from_slice(signature).is_ok_and(|signature| {
                    key.verifying_key()
                        .verify_strict(message, &signature)
                        .is_ok()
                })
            }
        }
    }
}

/// The published keys, opened once: what a node signs and verifies with between changes, and
/// the JWKS it serves (rendered once, as relying parties fetch it often).
pub struct KeyRing {
    keys: Vec<RingKey>,
    jwks: String,
    /// When the first retired key leaves the key set: the ring is stale from then on.
    changes_at: Option<OffsetDateTime>,
}

struct RingKey {
    id: String,
    algorithm: Algorithm,
    active: bool,
    pair: std::sync::Arc<KeyPair>,
}

impl KeyRing {
    /// Opens `published` (the keys of the JWKS, oldest first) with `secret`. Slow for RSA keys:
    /// call it off the async workers.
    pub fn open(published: &[StoredSigningKey], secret: &SigningKeySecret) -> Result<Self> {
        // A key that does not open signs and verifies nothing, and takes no other key down
        // with it (its public half stays in the JWKS).
        let keys = published
            .iter()
            .filter_map(|key| match key.open(secret) {
                Ok(pair) => Some(RingKey {
                    id: key.id.clone(),
                    algorithm: key.algorithm,
                    active: key.is_active(),
                    pair: std::sync::Arc::new(pair),
                }),
                Err(error) => {
                    tracing::error!(kid = %key.id, %error, "a signing key does not open");
                    None
                }
            })
            .collect();
        let jwks = serde_json::json!({
            "keys": published.iter().map(StoredSigningKey::jwk).collect::<Vec<_>>()
        })
        .to_string();
        let changes_at = published.iter().filter_map(|key| key.expires_at).min();
        Ok(Self {
            keys,
            jwks,
            changes_at,
        })
    }

    /// Whether the ring is still the key set at `now` (no retired key has left it since).
    pub fn is_current(&self, now: OffsetDateTime) -> bool {
        self.changes_at.is_none_or(|at| now < at)
    }

    /// The active key of `algorithm`: its `kid` and the key.
    pub(crate) fn active(&self, algorithm: Algorithm) -> Option<(&str, &std::sync::Arc<KeyPair>)> {
        self.keys
            .iter()
            .find(|key| key.active && key.algorithm == algorithm)
            .map(|key| (key.id.as_str(), &key.pair))
    }

    /// Whether `signature` over `message` is that of the published key `kid`, whose
    /// algorithm must be `alg`.
    pub(crate) fn verifies(&self, kid: &str, alg: &str, message: &[u8], signature: &[u8]) -> bool {
        self.keys
            .iter()
            .find(|key| key.id == kid && key.algorithm.as_str() == alg)
            .is_some_and(|key| key.pair.verify(message, signature))
    }

    /// The JSON Web Key Set (RFC 7517 §5) of every published key.
    pub fn jwks(&self) -> &str {
        &self.jwks
    }
}

/// A new key of `algorithm`, sealed with `secret`. Slow for RSA (a 2048-bit key): call it off
/// the async workers.
pub fn generate(
    algorithm: Algorithm,
    secret: &SigningKeySecret,
    now: OffsetDateTime,
) -> Result<StoredSigningKey> {
    let failed = |e: String| Error::Internal(format!("generating a signing key: {e}"));
    let mut rng = rand_core::OsRng;
    let (der, public_jwk) = match algorithm {
        Algorithm::Rs256 => {
            use rsa::pkcs8::EncodePrivateKey;
            use rsa::traits::PublicKeyParts;
            let key = rsa::RsaPrivateKey::new(&mut rng, 2048).map_err(|e| failed(e.to_string()))?;
            let der = key.to_pkcs8_der().map_err(|e| failed(e.to_string()))?;
            let mut public = Map::new();
            public.insert(
                "n".into(),
                URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()).into(),
            );
            public.insert(
                "e".into(),
                URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()).into(),
            );
            (der, public)
        }
        Algorithm::EdDsa => {
            use ed25519_dalek::pkcs8::EncodePrivateKey;
            let key = ed25519_dalek::SigningKey::generate(&mut rng);
            let der = key.to_pkcs8_der().map_err(|e| failed(e.to_string()))?;
            let mut public = Map::new();
            public.insert(
                "x".into(),
                URL_SAFE_NO_PAD
                    .encode(key.verifying_key().to_bytes())
                    .into(),
            );
            (der, public)
        }
    };
    let id = crate::random::base62(16);
    let nonce: [u8; 12] = crate::random::bytes();
    let sealed_private_key = secret
        .cipher()
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: der.as_bytes(),
                aad: &StoredSigningKey::associated_data(&id, algorithm),
            },
        )
        .map_err(|e| failed(e.to_string()))?;
    Ok(StoredSigningKey {
        id,
        algorithm,
        public_jwk,
        nonce: nonce.to_vec(),
        sealed_private_key,
        created_at: now,
        retired_at: None,
        expires_at: None,
    })
}

impl StoredSigningKey {
    pub fn is_active(&self) -> bool {
        self.retired_at.is_none()
    }

    /// Whether the key belongs in the JWKS at `now`.
    pub fn is_published(&self, now: OffsetDateTime) -> bool {
        self.expires_at.is_none_or(|until| until > now)
    }

    /// The public key as a JWK (RFC 7517; RFC 8037 for Ed25519).
    pub fn jwk(&self) -> Value {
        let mut jwk = Map::new();
        let mut put = |name: &str, value: &str| {
            jwk.insert(name.to_owned(), Value::String(value.to_owned()));
        };
        match self.algorithm {
            Algorithm::Rs256 => put("kty", "RSA"),
            Algorithm::EdDsa => {
                put("kty", "OKP");
                put("crv", "Ed25519");
            }
        }
        put("kid", &self.id);
        put("use", "sig");
        put("alg", self.algorithm.as_str());
        jwk.extend(self.public_jwk.clone());
        Value::Object(jwk)
    }

    /// The associated data the private key is sealed with: a sealed key moved to another row
    /// does not open.
    fn associated_data(id: &str, algorithm: Algorithm) -> Vec<u8> {
        format!("portcullis signing key {id} {}", algorithm.as_str()).into_bytes()
    }

    /// Opens the private half; fails when `secret` is not the one it was sealed with.
    pub(crate) fn open(&self, secret: &SigningKeySecret) -> Result<KeyPair> {
        let wrong = || {
            Error::Internal(format!(
                "signing key {} does not open with this signing_key_secret; every node sharing \
                 a database needs the same one",
                self.id
            ))
        };
        if self.nonce.len() != 12 {
            return Err(wrong());
        }
        let der = zeroize::Zeroizing::new(
            secret
                .cipher()
                .decrypt(
                    Nonce::from_slice(&self.nonce),
                    Payload {
                        msg: &self.sealed_private_key,
                        aad: &Self::associated_data(&self.id, self.algorithm),
                    },
                )
                .map_err(|_| wrong())?,
        );
        let corrupt = |e: String| Error::Internal(format!("signing key {}: {e}", self.id));
        match self.algorithm {
            Algorithm::Rs256 => {
                use rsa::pkcs8::DecodePrivateKey;
                let key =
                    rsa::RsaPrivateKey::from_pkcs8_der(&der).map_err(|e| corrupt(e.to_string()))?;
                let signing =
                    ring::rsa::KeyPair::from_pkcs8(&der).map_err(|e| corrupt(e.to_string()))?;
                Ok(KeyPair::Rsa {
                    verifying: Box::new(rsa::pkcs1v15::VerifyingKey::new(key.to_public_key())),
                    signing: Box::new(signing),
                })
            }
            Algorithm::EdDsa => {
                use ed25519_dalek::pkcs8::DecodePrivateKey;
                ed25519_dalek::SigningKey::from_pkcs8_der(&der)
                    .map(|key| KeyPair::Ed25519(Box::new(key)))
                    .map_err(|e| corrupt(e.to_string()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_key_opens_with_its_secret_only() {
        let secret = SigningKeySecret::generate();
        let key = generate(Algorithm::EdDsa, &secret, OffsetDateTime::UNIX_EPOCH).unwrap();
        assert!(key.open(&secret).is_ok());
        assert!(key.open(&SigningKeySecret::generate()).is_err());
        let mut moved = key.clone();
        moved.id = "another".into();
        assert!(moved.open(&secret).is_err(), "bound to its id");
    }

    #[test]
    fn secrets_read_from_base64_of_32_bytes() {
        let text = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        assert_eq!(
            SigningKeySecret::from_base64(&text).unwrap().as_bytes(),
            &[7u8; 32]
        );
        assert!(SigningKeySecret::from_base64("c2hvcnQ=").is_none());
        assert_eq!(
            format!("{:?}", SigningKeySecret::generate()),
            "SigningKeySecret(***)"
        );
    }
}
