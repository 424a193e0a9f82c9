//! What readiness and metrics ask of the database.

use super::StoreResult;
use async_trait::async_trait;

/// The connection pool right now, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Connections the pool may open.
    pub max: u32,
    /// Connections open, idle or in use.
    pub open: u32,
    pub idle: u32,
    /// Operations waiting for a connection (estimated: operations in flight beyond the
    /// connections in use).
    pub waiting: u32,
}

#[async_trait]
pub trait HealthStore: Send + Sync {
    /// One trivial round trip to the database.
    async fn ping(&self) -> StoreResult<()>;
    /// Versions of the migrations this binary carries that the database has not applied.
    async fn pending_migrations(&self) -> StoreResult<Vec<i64>>;
    fn pool_stats(&self) -> PoolStats;
}
