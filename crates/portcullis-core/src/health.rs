//! What an operator watches: whether this node can serve (readiness) and what it is doing
//! (counters and pool figures for metrics).

use crate::auth::CacheStats;
use crate::error::{Error, Result};
use crate::password::PoolStats as HashPoolStats;
use crate::store::PoolStats;
use crate::Services;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The result of one readiness check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    Ok,
    /// Not run, because a check it depends on failed.
    Skipped,
    Failed(String),
}

impl Check {
    pub fn is_ok(&self) -> bool {
        matches!(self, Self::Ok)
    }
}

/// Whether this node can serve requests: the database answers and its schema is current.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    pub database: Check,
    pub migrations: Check,
}

impl Readiness {
    pub fn is_ready(&self) -> bool {
        self.database.is_ok() && self.migrations.is_ok()
    }
}

/// Counts of logins since start, whatever the surface.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    logins_succeeded: AtomicU64,
    logins_failed: AtomicU64,
    logins_refused: AtomicU64,
}

impl Counters {
    /// Counts a password check that did not lead to a login: a wrong password, an unknown or
    /// banned user (failed), or a throttle or a full hash queue (refused). Passes the result through.
    pub(crate) fn count_failed_check<T>(&self, checked: Result<T>) -> Result<T> {
        let counter = match &checked {
            Ok(_) => return checked,
            Err(Error::InvalidCredentials | Error::Banned | Error::EmailNotConfirmed) => {
                &self.logins_failed
            }
            Err(Error::Overloaded { .. } | Error::Throttled { .. }) => &self.logins_refused,
            Err(_) => return checked,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        checked
    }

    pub(crate) fn count_login(&self) {
        self.logins_succeeded.fetch_add(1, Ordering::Relaxed);
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoginStats {
    pub succeeded: u64,
    pub failed: u64,
    /// Refused unchecked: throttled, or the password-hash queue was full.
    pub refused: u64,
}

/// A snapshot of this node's figures.
#[derive(Debug, Clone, Copy)]
pub struct Stats {
    pub hash_pool: HashPoolStats,
    pub database_pool: PoolStats,
    pub token_cache: CacheStats,
    pub logins: LoginStats,
}

impl Services {
    /// Checks the database within `timeout`; never fails, it reports.
    pub async fn readiness(&self, timeout: Duration) -> Readiness {
        let checks = async {
            if let Err(error) = self.store.ping().await {
                return (Check::Failed(error.to_string()), Check::Skipped);
            }
            let migrations = match self.store.pending_migrations().await {
                Ok(pending) if pending.is_empty() => Check::Ok,
                Ok(pending) => Check::Failed(format!("pending migrations: {pending:?}")),
                Err(error) => Check::Failed(error.to_string()),
            };
            (Check::Ok, migrations)
        };
        match tokio::time::timeout(timeout, checks).await {
            Ok((database, migrations)) => Readiness {
                database,
                migrations,
            },
            Err(_) => Readiness {
                database: Check::Failed(format!("no answer within {timeout:?}")),
                migrations: Check::Skipped,
            },
        }
    }

    pub fn stats(&self) -> Stats {
        let counters = &self.counters;
        Stats {
            hash_pool: self.hasher.stats(),
            database_pool: self.store.pool_stats(),
            token_cache: self.principals.stats(),
            logins: LoginStats {
                succeeded: counters.logins_succeeded.load(Ordering::Relaxed),
                failed: counters.logins_failed.load(Ordering::Relaxed),
                refused: counters.logins_refused.load(Ordering::Relaxed),
            },
        }
    }
}
