use crate::error::{store_error, Result};
use crate::pool::on_pool;
use crate::sql_store::SqlStore;
use async_trait::async_trait;
use portcullis_core::store::{HealthStore, PoolStats};

#[async_trait]
impl HealthStore for SqlStore {
    async fn ping(&self) -> Result<()> {
        on_pool!(&self.pool, pool => {
            sqlx::query("SELECT 1").execute(pool).await.map(drop)
        })
        .map_err(store_error)
    }

    async fn pending_migrations(&self) -> Result<Vec<i64>> {
        self.unapplied_migrations().await
    }

    fn pool_stats(&self) -> PoolStats {
        self.pool.stats()
    }
}
