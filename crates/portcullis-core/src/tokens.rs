//! Opaque bearer tokens in document 000's format, `"<id>|<40 random chars>"`. Only a SHA-256 of
//! the secret part is stored; lookups go by id and the hash is compared in constant time.

use crate::ids::{Secret, TokenId};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub const SECRET_LEN: usize = 40;

/// A freshly made token secret, before it has an id.
pub struct TokenSecret {
    pub secret: Secret,
    pub hash: String,
}

impl TokenSecret {
    pub fn generate() -> Self {
        let secret = Secret::new(crate::random::base62(SECRET_LEN));
        let hash = hash_secret(secret.expose());
        Self { secret, hash }
    }

    /// The full bearer value shown to the client once.
    pub fn bearer(&self, id: TokenId) -> Secret {
        Secret::new(format!("{id}|{}", self.secret.expose()))
    }
}

/// A bearer value split into its parts; says nothing yet about whether it is valid.
#[derive(Debug)]
pub struct ParsedToken<'a> {
    pub id: TokenId,
    pub secret: &'a str,
}

pub fn parse(bearer: &str) -> Option<ParsedToken<'_>> {
    let (id, secret) = bearer.split_once('|')?;
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) || secret.is_empty() {
        return None;
    }
    Some(ParsedToken {
        id: TokenId(id.parse().ok()?),
        secret,
    })
}

pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Whether `secret` hashes to `stored_hash`, in time independent of where they differ.
pub fn secret_matches(secret: &str, stored_hash: &str) -> bool {
    hash_secret(secret)
        .as_bytes()
        .ct_eq(stored_hash.as_bytes())
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let made = TokenSecret::generate();
        let bearer = made.bearer(TokenId(42));
        let parsed = parse(bearer.expose()).unwrap();
        assert_eq!(parsed.id, TokenId(42));
        assert_eq!(parsed.secret.len(), SECRET_LEN);
        assert!(secret_matches(parsed.secret, &made.hash));
        assert!(!secret_matches("x", &made.hash));
        assert_ne!(made.hash, made.secret.expose());
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "|",
            "12",
            "12|",
            "|abc",
            "a1|abc",
            "-1|abc",
            "99999999999999999999|x",
            "1 |x",
        ] {
            assert!(parse(bad).is_none(), "{bad:?} should not parse");
        }
    }
}
