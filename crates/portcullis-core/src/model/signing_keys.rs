//! The keys that sign ID tokens, as stored.

use serde_json::{Map, Value};
use time::OffsetDateTime;

/// A JWS algorithm Portcullis signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256, over a 2048-bit key.
    Rs256,
    /// Ed25519.
    EdDsa,
}

impl Algorithm {
    pub const ALL: [Algorithm; 2] = [Algorithm::Rs256, Algorithm::EdDsa];

    /// The JOSE name (`alg`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::EdDsa => "EdDSA",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|alg| alg.as_str() == name)
    }
}

/// A signing key as stored: the public half in clear, the private half (PKCS#8 DER) sealed.
#[derive(Debug, Clone)]
pub struct StoredSigningKey {
    /// The `kid`: 16 random base62 characters.
    pub id: String,
    pub algorithm: Algorithm,
    /// The public JWK's key parameters: `n` and `e` for RSA, `x` for Ed25519.
    pub public_jwk: Map<String, Value>,
    /// The 12-byte nonce the private key was sealed with (random per key).
    pub nonce: Vec<u8>,
    /// ChaCha20-Poly1305 ciphertext of the PKCS#8 DER private key, bound to `id` and
    /// `algorithm` as associated data.
    pub sealed_private_key: Vec<u8>,
    pub created_at: OffsetDateTime,
    /// When it stopped signing (a rotation); `None` while active.
    pub retired_at: Option<OffsetDateTime>,
    /// When it leaves the published key set; `None` while active.
    pub expires_at: Option<OffsetDateTime>,
}

/// The 32-byte key that seals signing keys at rest. Every node sharing a database must have
/// the same one.
#[derive(Clone)]
pub struct SigningKeySecret(pub(crate) [u8; 32]);

impl std::fmt::Debug for SigningKeySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKeySecret(***)")
    }
}
