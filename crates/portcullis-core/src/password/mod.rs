//! The one password verifier. Every login path on every surface checks passwords here, so the
//! upgrade-on-login rule (rehash with the current policy) lives in one place.
//!
//! Hashing is slow on purpose, so it runs on tokio's blocking threads, at most `workers` at a
//! time: the async workers never hash, and a burst of logins queues instead of piling threads.

mod algorithm;
mod import;

pub use algorithm::{Algorithm, Digest, Policy, BCRYPT_IMPORT_TOLERANCE, STANDARD_BCRYPT_COST};
pub use import::IMPORT_ALGORITHMS;

use crate::error::{Error, Result};
use crate::ids::Secret;
use crate::model::PasswordHash;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
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
    /// Jobs waiting for a worker right now.
    queued: AtomicUsize,
    /// Past this many waiting jobs, new ones are refused at once with [`Error::Overloaded`]:
    /// a login that would wait longer than its client does only makes the queue worse.
    queue_max: AtomicUsize,
    /// How long one hash with the policy took when [`PasswordHasher::calibrate`] measured it;
    /// zero until then.
    hash_micros: AtomicU64,
}

/// What the pool is doing right now, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    pub workers: usize,
    pub in_use: usize,
    pub queued: usize,
    pub queue_max: usize,
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
                queued: AtomicUsize::new(0),
                queue_max: AtomicUsize::new(usize::MAX),
                hash_micros: AtomicU64::new(0),
            }),
        }
    }

    /// Bounds the queue explicitly instead of by [`calibrate`](Self::calibrate)'s measure.
    pub fn with_queue_max(self, queue_max: usize) -> Self {
        self.inner.queue_max.store(queue_max, Ordering::Relaxed);
        self
    }

    /// Measures one hash with the current policy (preparing the decoy hash with it, which is
    /// needed anyway) and, unless the queue was bounded explicitly, bounds it at
    /// `queue_seconds` of work for all workers.
    pub async fn calibrate(&self, queue_seconds: f64) -> Result<()> {
        let started = Instant::now();
        self.decoy().await?;
        let per_hash = started.elapsed().max(Duration::from_micros(1));
        self.inner
            .hash_micros
            .store(per_hash.as_micros() as u64, Ordering::Relaxed);
        if self.inner.queue_max.load(Ordering::Relaxed) == usize::MAX {
            let per_worker = (queue_seconds / per_hash.as_secs_f64()).ceil();
            let bound = (per_worker * self.inner.workers as f64).clamp(1.0, 1_000_000.0);
            self.inner
                .queue_max
                .store((bound as usize).max(self.inner.workers), Ordering::Relaxed);
        }
        Ok(())
    }

    pub fn stats(&self) -> PoolStats {
        let free = self.inner.permits.available_permits();
        PoolStats {
            workers: self.inner.workers,
            in_use: self.inner.workers.saturating_sub(free),
            queued: self.inner.queued.load(Ordering::Relaxed),
            queue_max: self.inner.queue_max.load(Ordering::Relaxed),
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
        let decoy = self.decoy().await?;
        self.verify(password, &decoy).await.map(|_| ())
    }

    async fn decoy(&self) -> Result<PasswordHash> {
        self.inner
            .decoy
            .get_or_try_init(|| async { self.hash(&Secret::new(crate::random::base62(32))).await })
            .await
            .cloned()
    }

    pub(crate) async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        let inner = &self.inner;
        let waiting = Waiting::join(&inner.queued);
        if inner.permits.available_permits() == 0
            && waiting.ahead >= inner.queue_max.load(Ordering::Relaxed)
        {
            return Err(Error::Overloaded {
                retry_after_seconds: self.drain_seconds(waiting.ahead),
            });
        }
        let permit = Arc::clone(&inner.permits)
            .acquire_owned()
            .await
            .map_err(|_| Error::Internal("password pool closed".into()))?;
        drop(waiting);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            job()
        })
        .await
        .map_err(|e| Error::Internal(format!("password job failed: {e}")))
    }

    /// Roughly how long the workers need to get through `jobs` queued hashes; at least 1 s.
    fn drain_seconds(&self, jobs: usize) -> u64 {
        let micros = self.inner.hash_micros.load(Ordering::Relaxed).max(1);
        let total = micros.saturating_mul(jobs as u64 + 1) / self.inner.workers as u64;
        total.div_ceil(1_000_000).max(1)
    }
}

/// A place in the queue, given up when the job gets a worker or its caller goes away.
struct Waiting<'a> {
    queued: &'a AtomicUsize,
    /// Jobs that were waiting when this one arrived.
    ahead: usize,
}

impl<'a> Waiting<'a> {
    fn join(queued: &'a AtomicUsize) -> Self {
        let ahead = queued.fetch_add(1, Ordering::AcqRel);
        Self { queued, ahead }
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.queued.fetch_sub(1, Ordering::AcqRel);
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_queue_refuses_at_once_and_empties_again() {
        let hasher = bcrypt(4).with_queue_max(2);
        let stored = hasher.hash(&Secret::new("pw")).await.unwrap();
        // Hold both workers, then fill the queue behind them.
        let held: Vec<_> = (0..2)
            .map(|_| {
                Arc::clone(&hasher.inner.permits)
                    .try_acquire_owned()
                    .unwrap()
            })
            .collect();
        let waiting: Vec<_> = (0..2)
            .map(|_| {
                let (hasher, stored) = (hasher.clone(), stored.clone());
                tokio::spawn(async move { hasher.verify(&Secret::new("pw"), &stored).await })
            })
            .collect();
        while hasher.stats().queued < 2 {
            tokio::task::yield_now().await;
        }
        let refused = hasher.verify(&Secret::new("pw"), &stored).await;
        assert!(
            matches!(refused, Err(Error::Overloaded { retry_after_seconds }) if retry_after_seconds >= 1),
            "{refused:?}"
        );
        assert_eq!(hasher.stats().in_use, 2);
        drop(held);
        for job in waiting {
            assert_eq!(
                job.await.unwrap().unwrap(),
                Verification::Match { rehash: None }
            );
        }
        assert_eq!(hasher.stats().queued, 0);
    }

    #[tokio::test]
    async fn calibration_bounds_the_queue_by_time() {
        let hasher = bcrypt(4);
        assert_eq!(hasher.stats().queue_max, usize::MAX);
        hasher.calibrate(3.0).await.unwrap();
        assert!(hasher.stats().queue_max >= 2, "{:?}", hasher.stats());
        let explicit = bcrypt(4).with_queue_max(7);
        explicit.calibrate(3.0).await.unwrap();
        assert_eq!(explicit.stats().queue_max, 7);
    }

    #[tokio::test]
    async fn decoy_never_matches() {
        bcrypt(4)
            .verify_decoy(&Secret::new("anything"))
            .await
            .unwrap();
    }
}
