//! The one password verifier. Every login path on every surface checks passwords here, so the
//! upgrade-on-login rule (rehash with the current policy) lives in one place.
//!
//! Hashing is slow on purpose, so it runs on tokio's blocking threads, at most `workers` at a
//! time: the async workers never hash, and a burst of logins queues instead of piling threads.

mod algorithm;

pub use algorithm::{Algorithm, Policy};

use crate::error::{Error, Result};
use crate::ids::Secret;
use crate::model::PasswordHash;
use std::sync::Arc;
use tokio::sync::{OnceCell, Semaphore};

/// The outcome of checking a password against a stored hash.
#[derive(Debug, PartialEq, Eq)]
pub enum Verification {
    Mismatch,
    /// The password is right; `rehash` is set when the stored hash should be replaced because
    /// it was made by another algorithm or cost than the current policy.
    Match {
        rehash: Option<PasswordHash>,
    },
}

#[derive(Clone)]
pub struct PasswordHasher {
    inner: Arc<Inner>,
}

struct Inner {
    policy: Policy,
    permits: Arc<Semaphore>,
    workers: usize,
    /// A hash of a random password, checked when a login names no known user, so that an
    /// unknown user takes as long to reject as a wrong password.
    decoy: OnceCell<PasswordHash>,
}

impl PasswordHasher {
    /// `workers` bounds how many hashes run at once; the number of cores is the natural choice.
    pub fn new(policy: Policy, workers: usize) -> Self {
        let workers = workers.max(1);
        Self {
            inner: Arc::new(Inner {
                policy,
                permits: Arc::new(Semaphore::new(workers)),
                workers,
                decoy: OnceCell::new(),
            }),
        }
    }

    pub fn policy(&self) -> &Policy {
        &self.inner.policy
    }

    pub fn workers(&self) -> usize {
        self.inner.workers
    }

    /// Hashes with the current policy.
    pub async fn hash(&self, password: &Secret) -> Result<PasswordHash> {
        let policy = self.inner.policy.clone();
        let password = password.clone();
        self.run(move || policy.hash(password.expose())).await?
    }

    /// Checks `password` against `stored`, and prepares an upgraded hash when the policy moved.
    pub async fn verify(&self, password: &Secret, stored: &PasswordHash) -> Result<Verification> {
        let policy = self.inner.policy.clone();
        let password = password.clone();
        let stored = stored.clone();
        self.run(move || {
            let algorithm = Algorithm::parse(&stored.alg).ok_or_else(|| {
                Error::Internal(format!("unknown password algorithm {}", stored.alg))
            })?;
            if !algorithm.verify(password.expose(), &stored.hash)? {
                return Ok(Verification::Mismatch);
            }
            let rehash = if policy.wants_rehash(&algorithm, &stored.hash) {
                Some(policy.hash(password.expose())?)
            } else {
                None
            };
            Ok(Verification::Match { rehash })
        })
        .await?
    }

    /// Spends the time of one verification and always fails; for unknown users.
    pub async fn verify_decoy(&self, password: &Secret) -> Result<()> {
        let decoy = self
            .inner
            .decoy
            .get_or_try_init(|| async { self.hash(&Secret::new(crate::random::base62(32))).await })
            .await?
            .clone();
        self.verify(password, &decoy).await.map(|_| ())
    }

    async fn run<T: Send + 'static>(&self, job: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let permit = Arc::clone(&self.inner.permits)
            .acquire_owned()
            .await
            .map_err(|_| Error::Internal("password pool closed".into()))?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            job()
        })
        .await
        .map_err(|e| Error::Internal(format!("password job failed: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bcrypt(cost: u32) -> PasswordHasher {
        PasswordHasher::new(Policy::Bcrypt { cost }, 2)
    }

    #[tokio::test]
    async fn hash_then_verify() {
        let hasher = bcrypt(4);
        let stored = hasher.hash(&Secret::new("correct horse")).await.unwrap();
        assert_eq!(stored.alg, "bcrypt");
        assert!(stored.hash.starts_with("$2b$04$"));
        let ok = hasher
            .verify(&Secret::new("correct horse"), &stored)
            .await
            .unwrap();
        assert_eq!(ok, Verification::Match { rehash: None });
        let bad = hasher.verify(&Secret::new("wrong"), &stored).await.unwrap();
        assert_eq!(bad, Verification::Mismatch);
    }

    #[tokio::test]
    async fn other_cost_is_upgraded_on_match_only() {
        let old = bcrypt(5).hash(&Secret::new("pw")).await.unwrap();
        let hasher = bcrypt(4);
        match hasher.verify(&Secret::new("pw"), &old).await.unwrap() {
            Verification::Match { rehash: Some(new) } => assert!(new.hash.starts_with("$2b$04$")),
            other => panic!("expected an upgrade, got {other:?}"),
        }
        assert_eq!(
            hasher.verify(&Secret::new("nope"), &old).await.unwrap(),
            Verification::Mismatch
        );
    }

    #[tokio::test]
    async fn bcrypt_is_upgraded_to_argon2id_when_policy_says_so() {
        let old = bcrypt(4).hash(&Secret::new("pw")).await.unwrap();
        let hasher = PasswordHasher::new(Policy::test_argon2id(), 1);
        match hasher.verify(&Secret::new("pw"), &old).await.unwrap() {
            Verification::Match { rehash: Some(new) } => {
                assert_eq!(new.alg, "argon2id");
                let again = hasher.verify(&Secret::new("pw"), &new).await.unwrap();
                assert_eq!(again, Verification::Match { rehash: None });
            }
            other => panic!("expected an upgrade, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn decoy_never_matches() {
        bcrypt(4)
            .verify_decoy(&Secret::new("anything"))
            .await
            .unwrap();
    }
}
