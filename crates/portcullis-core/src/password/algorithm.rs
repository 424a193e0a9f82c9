//! Password hash algorithms and the policy that picks one for new hashes.

use crate::error::{Error, Result};
use crate::model::PasswordHash;
use argon2::password_hash::{
    PasswordHash as Phc, PasswordHasher as _, PasswordVerifier as _, SaltString,
};
use argon2::{Argon2, Params};

/// An algorithm a stored hash may have been made with. Imported legacy hashes (document 003's
/// `md5|bcrypt` … `sha512|bcrypt`) are a bcrypt of the hex digest of the password; they verify
/// here like any other, and the policy never makes them, so the first right login replaces them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Algorithm {
    Bcrypt,
    Argon2id,
    /// `DIGEST|bcrypt`: bcrypt over the lowercase hex digest of the password.
    Wrapped(Digest),
}

/// The unsalted digests an imported hash may have been made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Digest {
    Md5,
    Sha1,
    Sha256,
    Sha512,
}

impl Digest {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "md5" => Some(Self::Md5),
            "sha1" => Some(Self::Sha1),
            "sha256" => Some(Self::Sha256),
            "sha512" => Some(Self::Sha512),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Md5 => "md5",
            Self::Sha1 => "sha1",
            Self::Sha256 => "sha256",
            Self::Sha512 => "sha512",
        }
    }

    /// Length of the digest in hex characters.
    pub fn hex_len(self) -> usize {
        match self {
            Self::Md5 => 32,
            Self::Sha1 => 40,
            Self::Sha256 => 64,
            Self::Sha512 => 128,
        }
    }

    /// The lowercase hex digest of `password`, as `md5sum` and friends print it.
    pub fn hex(self, password: &str) -> String {
        use sha2::Digest as _;
        let bytes = password.as_bytes();
        match self {
            Self::Md5 => hex::encode(md5::Md5::digest(bytes)),
            Self::Sha1 => hex::encode(sha1::Sha1::digest(bytes)),
            Self::Sha256 => hex::encode(sha2::Sha256::digest(bytes)),
            Self::Sha512 => hex::encode(sha2::Sha512::digest(bytes)),
        }
    }
}

impl Algorithm {
    pub fn parse(alg: &str) -> Option<Self> {
        match alg {
            "bcrypt" => Some(Self::Bcrypt),
            "argon2id" => Some(Self::Argon2id),
            _ => alg
                .strip_suffix("|bcrypt")
                .and_then(Digest::parse)
                .map(Self::Wrapped),
        }
    }

    /// The name stored with the hash (and shown as `password.alg`).
    pub fn name(&self) -> String {
        match self {
            Self::Bcrypt => "bcrypt".to_owned(),
            Self::Argon2id => "argon2id".to_owned(),
            Self::Wrapped(digest) => format!("{}|bcrypt", digest.name()),
        }
    }

    pub fn verify(&self, password: &str, hash: &str) -> Result<bool> {
        match self {
            // The bcrypt crate reads the `$2a$`, `$2b$` and `$2y$` prefixes alike.
            Self::Bcrypt => Ok(bcrypt::verify(password, hash).unwrap_or(false)),
            Self::Argon2id => match Phc::new(hash) {
                Ok(phc) => Ok(Argon2::default()
                    .verify_password(password.as_bytes(), &phc)
                    .is_ok()),
                Err(_) => Ok(false),
            },
            Self::Wrapped(digest) => {
                Ok(bcrypt::verify(digest.hex(password), hash).unwrap_or(false))
            }
        }
    }
}

/// Document 003's standard bcrypt cost; imported bcrypt hashes must be within
/// [`BCRYPT_IMPORT_TOLERANCE`] of it.
pub const STANDARD_BCRYPT_COST: u32 = 10;
pub const BCRYPT_IMPORT_TOLERANCE: u32 = 2;

/// How new password hashes are made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Policy {
    Bcrypt {
        cost: u32,
    },
    Argon2id {
        memory_kib: u32,
        iterations: u32,
        parallelism: u32,
    },
}

impl Default for Policy {
    fn default() -> Self {
        Self::Bcrypt { cost: 10 }
    }
}

impl Policy {
    /// OWASP's recommended argon2id parameters (19 MiB, 2 passes, 1 lane).
    pub fn argon2id() -> Self {
        Self::Argon2id {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }

    /// Cheap argon2id for tests only.
    pub fn test_argon2id() -> Self {
        Self::Argon2id {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        }
    }

    pub fn hash(&self, password: &str) -> Result<PasswordHash> {
        match *self {
            Self::Bcrypt { cost } => {
                let hash = bcrypt::hash(password, cost)
                    .map_err(|e| Error::Internal(format!("bcrypt: {e}")))?;
                Ok(PasswordHash {
                    alg: "bcrypt".into(),
                    hash,
                })
            }
            Self::Argon2id {
                memory_kib,
                iterations,
                parallelism,
            } => {
                let argon = self.argon2(memory_kib, iterations, parallelism)?;
                let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
                let hash = argon
                    .hash_password(password.as_bytes(), &salt)
                    .map_err(|e| Error::Internal(format!("argon2: {e}")))?
                    .to_string();
                Ok(PasswordHash {
                    alg: "argon2id".into(),
                    hash,
                })
            }
        }
    }

    /// The bcrypt cost of new hashes: the policy's, or document 003's standard 10 when the
    /// policy is not bcrypt (imported digests are always wrapped in bcrypt).
    pub fn bcrypt_cost(&self) -> u32 {
        match *self {
            Self::Bcrypt { cost } => cost,
            Self::Argon2id { .. } => STANDARD_BCRYPT_COST,
        }
    }

    /// Wraps an imported hex digest in bcrypt: `DIGEST|bcrypt`.
    pub fn wrap(&self, digest: Digest, hex_digest: &str) -> Result<PasswordHash> {
        let hash = bcrypt::hash(hex_digest, self.bcrypt_cost())
            .map_err(|e| Error::Internal(format!("bcrypt: {e}")))?;
        Ok(PasswordHash {
            alg: Algorithm::Wrapped(digest).name(),
            hash,
        })
    }

    /// Whether a hash that just verified should be replaced by one made with this policy.
    pub fn wants_rehash(&self, algorithm: &Algorithm, hash: &str) -> bool {
        match (self, algorithm) {
            (Self::Bcrypt { cost }, Algorithm::Bcrypt) => bcrypt_cost(hash) != Some(*cost),
            (
                Self::Argon2id {
                    memory_kib,
                    iterations,
                    parallelism,
                },
                Algorithm::Argon2id,
            ) => {
                let Ok(phc) = Phc::new(hash) else { return true };
                let Ok(params) = Params::try_from(&phc) else {
                    return true;
                };
                (params.m_cost(), params.t_cost(), params.p_cost())
                    != (*memory_kib, *iterations, *parallelism)
            }
            _ => true,
        }
    }

    fn argon2(&self, m: u32, t: u32, p: u32) -> Result<Argon2<'static>> {
        let params = Params::new(m, t, p, None)
            .map_err(|e| Error::Internal(format!("argon2 params: {e}")))?;
        Ok(Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            params,
        ))
    }
}

/// The cost field of a modular-crypt bcrypt hash (`$2b$10$...`).
pub(crate) fn bcrypt_cost(hash: &str) -> Option<u32> {
    hash.split('$').nth(2)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_bcrypt_cost() {
        assert_eq!(bcrypt_cost("$2y$10$abcdefghijklmnopqrstuv"), Some(10));
        assert_eq!(bcrypt_cost("garbage"), None);
    }

    #[test]
    fn accepts_2y_and_2a_prefixes() {
        let hash = bcrypt::hash("secret", 4).unwrap();
        for prefix in ["$2y$", "$2a$"] {
            let imported = hash.replacen("$2b$", prefix, 1);
            assert!(Algorithm::Bcrypt.verify("secret", &imported).unwrap());
            assert!(!Algorithm::Bcrypt.verify("Secret", &imported).unwrap());
        }
    }

    #[test]
    fn wrapped_digests_verify_the_hex_digest() {
        let cases = [
            ("md5", "e807f1fcf82d132f9bb018ca6738a19f"),
            ("sha1", "01b307acba4f54f55aafc33bb06bbbf6ca803e9a"),
            ("sha256", "c775e7b757ede630cd0aa1113bd102661ab38829ca52a6422ab782862f268646"),
            ("sha512", "12b03226a6d8be9c6e8cd5e55dc6c7920caaa39df14aab92d5e3ea9340d1c8a4d3d0b8e4314f1f6ef131ba4bf1ceb9186ab87c801af0d5c95b1befb8cedae2b9"),
        ];
        let policy = Policy::Bcrypt { cost: 4 };
        for (name, hex) in cases {
            let digest = Digest::parse(name).unwrap();
            assert_eq!(digest.hex("1234567890"), hex, "{name}");
            assert_eq!(digest.hex_len(), hex.len());
            let stored = policy.wrap(digest, hex).unwrap();
            assert_eq!(stored.alg, format!("{name}|bcrypt"));
            let algorithm = Algorithm::parse(&stored.alg).unwrap();
            assert_eq!(algorithm, Algorithm::Wrapped(digest));
            assert!(algorithm.verify("1234567890", &stored.hash).unwrap());
            assert!(!algorithm.verify("123456789", &stored.hash).unwrap());
            assert!(policy.wants_rehash(&algorithm, &stored.hash));
        }
        assert_eq!(Algorithm::parse("crc32|bcrypt"), None);
        assert_eq!(Algorithm::parse("md5"), None);
    }

    #[test]
    fn malformed_hashes_do_not_verify() {
        assert!(!Algorithm::Bcrypt.verify("x", "not a hash").unwrap());
        assert!(!Algorithm::Argon2id.verify("x", "not a hash").unwrap());
    }
}
