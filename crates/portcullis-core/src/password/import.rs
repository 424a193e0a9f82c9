//! Document 003's password import: a hash from another system becomes a stored hash this
//! verifier reads. `plain` is hashed with the policy, `bcrypt` is kept (within a cost tolerance),
//! and hex digests are wrapped in bcrypt as `DIGEST|bcrypt`. The first right login replaces
//! whatever was imported with a hash of the current policy (see [`super::Verification`]).

use super::algorithm::{bcrypt_cost, Digest, BCRYPT_IMPORT_TOLERANCE, STANDARD_BCRYPT_COST};
use super::PasswordHasher;
use crate::error::{Error, Result};
use crate::field::Rule;
use crate::ids::Secret;
use crate::model::PasswordHash;

/// The `alg` values an imported password may have.
pub const IMPORT_ALGORITHMS: &str = "bcrypt, plain, md5, sha1, sha256, sha512";

/// What an import asks for, checked and ready to hash.
#[derive(Debug)]
enum Import {
    Plain(Secret),
    Bcrypt(String),
    Digest(Digest, String),
}

/// Checks an imported `{alg, hash}`; the errors are on the field `password`.
fn check(alg: &str, hash: &Secret) -> Result<Import> {
    let value = hash.expose();
    match alg {
        "plain" if value.is_empty() => Err(invalid("a plain password may not be empty")),
        "plain" => Ok(Import::Plain(hash.clone())),
        "bcrypt" => check_bcrypt(value).map(|()| Import::Bcrypt(value.to_owned())),
        _ => {
            let digest = Digest::parse(alg).ok_or_else(|| {
                invalid(format!(
                    "alg must be one of {IMPORT_ALGORITHMS}, not {alg:?}"
                ))
            })?;
            let hex = value.trim().to_ascii_lowercase();
            if hex.len() != digest.hex_len() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(invalid(format!(
                    "a {alg} hash is {} hex characters",
                    digest.hex_len()
                )));
            }
            Ok(Import::Digest(digest, hex))
        }
    }
}

/// A modular-crypt bcrypt hash (`$2a$`, `$2b$` or `$2y$`) whose cost is within the tolerance
/// of the standard.
fn check_bcrypt(hash: &str) -> Result<()> {
    let well_formed = hash.len() == 60
        && ["$2a$", "$2b$", "$2y$"].iter().any(|p| hash.starts_with(p))
        && hash.as_bytes()[6] == b'$'
        && hash[7..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'/');
    let cost = bcrypt_cost(hash).filter(|_| well_formed).ok_or_else(|| {
        invalid("a bcrypt hash looks like $2a$10$ followed by 53 characters of ./A-Za-z0-9")
    })?;
    let (low, high) = (
        STANDARD_BCRYPT_COST - BCRYPT_IMPORT_TOLERANCE,
        STANDARD_BCRYPT_COST + BCRYPT_IMPORT_TOLERANCE,
    );
    if !(low..=high).contains(&cost) {
        return Err(invalid(format!(
            "the bcrypt cost must be between {low} and {high} (the standard is \
             {STANDARD_BCRYPT_COST}), not {cost}"
        )));
    }
    Ok(())
}

fn invalid(message: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::invalid("password", Rule::Other(message.into()))
}

impl PasswordHasher {
    /// Turns an imported `{alg, hash}` into a stored hash, hashing on the pool where needed.
    /// [`Error::Invalid`] (field `password`) for an unknown `alg` or a malformed hash.
    pub async fn import(&self, alg: &str, hash: &Secret) -> Result<PasswordHash> {
        match check(alg, hash)? {
            Import::Plain(password) => self.hash(&password).await,
            Import::Bcrypt(hash) => Ok(PasswordHash {
                alg: "bcrypt".to_owned(),
                hash,
            }),
            Import::Digest(digest, hex) => {
                let policy = self.policy().clone();
                self.run(move || policy.wrap(digest, &hex)).await?
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Policy, Verification};
    use super::*;

    fn hasher() -> PasswordHasher {
        PasswordHasher::new(Policy::Bcrypt { cost: 4 }, 1)
    }

    #[tokio::test]
    async fn imported_digests_verify_and_ask_for_an_upgrade() {
        let hasher = hasher();
        let stored = hasher
            .import(
                "sha256",
                &Secret::new("C775E7B757EDE630CD0AA1113BD102661AB38829CA52A6422AB782862F268646"),
            )
            .await
            .unwrap();
        assert_eq!(stored.alg, "sha256|bcrypt");
        match hasher.verify(&Secret::new("1234567890"), &stored).await {
            Ok(Verification::Match { rehash: Some(new) }) => assert_eq!(new.alg, "bcrypt"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            hasher.verify(&Secret::new("x"), &stored).await.unwrap(),
            Verification::Mismatch
        );
    }

    #[tokio::test]
    async fn bcrypt_is_kept_within_the_cost_tolerance() {
        let hasher = hasher();
        let ten = bcrypt::hash("pw", 10).unwrap().replacen("$2b$", "$2y$", 1);
        let kept = hasher.import("bcrypt", &Secret::new(ten.clone())).await;
        assert_eq!(kept.unwrap().hash, ten);
        for cost in [4, 7, 13, 14] {
            let hash = format!("$2a${cost:02}${}", "a".repeat(53));
            assert!(hasher.import("bcrypt", &Secret::new(hash)).await.is_err());
        }
        assert!(hasher
            .import("bcrypt", &Secret::new(format!("$2a$08${}", "a".repeat(53))))
            .await
            .is_ok());
        assert!(hasher
            .import("bcrypt", &Secret::new("not a hash"))
            .await
            .is_err());
    }

    #[tokio::test]
    async fn bad_imports_are_refused() {
        let hasher = hasher();
        for (alg, hash) in [
            ("md5", "abc"),
            ("sha1", "zz".repeat(20).as_str()),
            ("argon2id", "x"),
            ("plain", ""),
        ] {
            assert!(
                matches!(
                    hasher.import(alg, &Secret::new(hash)).await,
                    Err(Error::Invalid(_))
                ),
                "{alg}"
            );
        }
    }
}
