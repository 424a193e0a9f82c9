//! Password hash algorithms and the policy that picks one for new hashes.

use crate::error::{Error, Result};
use crate::model::PasswordHash;
use argon2::password_hash::{
    PasswordHash as Phc, PasswordHasher as _, PasswordVerifier as _, SaltString,
};
use argon2::{Argon2, Params};

/// An algorithm a stored hash may have been made with. Imported legacy schemes (document 003's
/// `md5|bcrypt` and friends) become further variants here; callers don't change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Algorithm {
    Bcrypt,
    Argon2id,
}

impl Algorithm {
    pub fn parse(alg: &str) -> Option<Self> {
        match alg {
            "bcrypt" => Some(Self::Bcrypt),
            "argon2id" => Some(Self::Argon2id),
            _ => None,
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
        }
    }
}

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
fn bcrypt_cost(hash: &str) -> Option<u32> {
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
    fn malformed_hashes_do_not_verify() {
        assert!(!Algorithm::Bcrypt.verify("x", "not a hash").unwrap());
        assert!(!Algorithm::Argon2id.verify("x", "not a hash").unwrap());
    }
}
