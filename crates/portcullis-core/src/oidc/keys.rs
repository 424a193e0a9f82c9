//! ID-token signing keys: generated here, stored by the store with the private half sealed
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

/// An opened private key, ready to sign.
pub(crate) enum PrivateKey {
    Rsa(Box<rsa::RsaPrivateKey>),
    Ed25519(Box<ed25519_dalek::SigningKey>),
}

impl PrivateKey {
    /// The JWS signature of `message` (RFC 7518 §3.3 for RS256, RFC 8037 §3.1 for EdDSA).
    pub(crate) fn sign(self, message: &[u8]) -> Vec<u8> {
        match self {
            Self::Rsa(key) => {
                use rsa::signature::{SignatureEncoding, Signer};
                let key = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(*key);
                key.sign(message).to_vec()
            }
            Self::Ed25519(key) => {
                use ed25519_dalek::Signer;
                key.sign(message).to_bytes().to_vec()
            }
        }
    }
}

impl PrivateKey {
    /// Whether `signature` is this key's JWS signature of `message`.
    pub(crate) fn verify(self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            Self::Rsa(key) => {
                use rsa::signature::Verifier;
                let key = rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(key.to_public_key());
                rsa::pkcs1v15::Signature::try_from(signature)
                    .is_ok_and(|signature| key.verify(message, &signature).is_ok())
            }
            Self::Ed25519(key) => {
                use ed25519_dalek::Verifier;
                ed25519_dalek::Signature::from_slice(signature)
                    .is_ok_and(|signature| key.verifying_key().verify(message, &signature).is_ok())
            }
        }
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
    pub(crate) fn open(&self, secret: &SigningKeySecret) -> Result<PrivateKey> {
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
                rsa::RsaPrivateKey::from_pkcs8_der(&der)
                    .map(|key| PrivateKey::Rsa(Box::new(key)))
                    .map_err(|e| corrupt(e.to_string()))
            }
            Algorithm::EdDsa => {
                use ed25519_dalek::pkcs8::DecodePrivateKey;
                ed25519_dalek::SigningKey::from_pkcs8_der(&der)
                    .map(|key| PrivateKey::Ed25519(Box::new(key)))
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
