//! What an operator watches: whether this node can serve (readiness) and what it is doing
//! (counters and pool figures for metrics).

use crate::password::PoolStats as HashPoolStats;
use crate::runtime::{CacheStats, LoginStats};
use crate::services::Services;
use crate::store::PoolStats;
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

/// A snapshot of this node's figures.
#[derive(Debug, Clone)]
pub struct Stats {
    pub hash_pool: HashPoolStats,
    pub database_pool: PoolStats,
    pub token_cache: CacheStats,
    pub logins: LoginStats,
    /// Outbound requests the egress policy refused, by reason.
    pub egress_refused: Vec<(&'static str, u64)>,
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
        Stats {
            hash_pool: self.hasher.stats(),
            database_pool: self.store.pool_stats(),
            token_cache: self.principals.stats(),
            logins: self.counters.snapshot(),
            egress_refused: self.counters.egress_refusals(),
        }
    }
}
