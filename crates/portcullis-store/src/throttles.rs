//! Login-throttle counters: fixed windows, one row per bucket.

use crate::error::{store_error, Result};
use crate::pool::{on_pool, on_writer};
use crate::rows::{from_db, to_db};
use crate::sql_store::SqlStore;
use async_trait::async_trait;
use portcullis_core::ids::TenantId;
use portcullis_core::store::{ThrottleCount, ThrottleStore};
use time::OffsetDateTime;

/// One statement, so a hit is atomic on both backends: SQLite runs one writer at a time and
/// PostgreSQL locks the conflicting row, so concurrent hits on a bucket each see their own
/// count. Every `SET` expression reads the row as it was before the update.
const HIT: &str = "INSERT INTO throttles (tenant_id, bucket, hits, window_ends) \
    VALUES ($1, $2, 1, $4) \
    ON CONFLICT (tenant_id, bucket) DO UPDATE SET \
    hits = CASE WHEN throttles.window_ends <= $3 THEN 1 ELSE throttles.hits + 1 END, \
    window_ends = CASE WHEN throttles.window_ends <= $3 THEN $4 ELSE throttles.window_ends END \
    RETURNING hits, window_ends";

#[async_trait]
impl ThrottleStore for SqlStore {
    async fn hit_throttle(
        &self,
        tenant: &TenantId,
        bucket: &str,
        now: OffsetDateTime,
        new_window_ends: OffsetDateTime,
    ) -> Result<ThrottleCount> {
        let (hits, window_ends): (i64, i64) = on_writer!(&self.pool, pool => {
            sqlx::query_as(HIT)
                .bind(tenant.as_str())
                .bind(bucket)
                .bind(to_db(now))
                .bind(to_db(new_window_ends))
                .fetch_one(pool)
                .await
        })
        .map_err(store_error)?;
        Ok(ThrottleCount {
            hits,
            window_ends: from_db(window_ends),
        })
    }

    async fn throttle_count(
        &self,
        tenant: &TenantId,
        bucket: &str,
        now: OffsetDateTime,
    ) -> Result<Option<ThrottleCount>> {
        let count: Option<(i64, i64)> = on_pool!(&self.pool, pool => {
            sqlx::query_as(
                "SELECT hits, window_ends FROM throttles WHERE tenant_id = $1 AND bucket = $2 \
                 AND window_ends > $3",
            )
            .bind(tenant.as_str())
            .bind(bucket)
            .bind(to_db(now))
            .fetch_optional(pool)
            .await
        })
        .map_err(store_error)?;
        Ok(count.map(|(hits, window_ends)| ThrottleCount {
            hits,
            window_ends: from_db(window_ends),
        }))
    }

    async fn refund_throttle(
        &self,
        tenant: &TenantId,
        bucket: &str,
        window_ends: OffsetDateTime,
    ) -> Result<()> {
        on_writer!(&self.pool, pool => {
            sqlx::query(
                "UPDATE throttles SET hits = hits - 1 \
                 WHERE tenant_id = $1 AND bucket = $2 AND window_ends = $3 AND hits > 0",
            )
            .bind(tenant.as_str())
            .bind(bucket)
            .bind(to_db(window_ends))
            .execute(pool)
            .await
            .map(|_| ())
        })
        .map_err(store_error)
    }

    async fn clear_throttle(&self, tenant: &TenantId, bucket: &str) -> Result<()> {
        on_writer!(&self.pool, pool => {
            sqlx::query("DELETE FROM throttles WHERE tenant_id = $1 AND bucket = $2")
                .bind(tenant.as_str())
                .bind(bucket)
                .execute(pool)
                .await
                .map(|_| ())
        })
        .map_err(store_error)
    }

    async fn sweep_throttles(&self, now: OffsetDateTime) -> Result<u64> {
        on_writer!(&self.pool, pool => {
            sqlx::query("DELETE FROM throttles WHERE window_ends <= $1")
                .bind(to_db(now))
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })
        .map_err(store_error)
    }
}
