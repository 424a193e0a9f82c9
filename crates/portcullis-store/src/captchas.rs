//! Document 002's image captchas.

use crate::error::{store_error, Result};
use crate::pool::{on_pool, on_writer};
use crate::rows::{from_db, opt_from_db, opt_to_db, to_db};
use crate::sql_store::SqlStore;
use async_trait::async_trait;
use portcullis_core::ids::TenantId;
use portcullis_core::model::StoredCaptcha;
use portcullis_core::store::CaptchaStore;
use sqlx::FromRow;
use time::OffsetDateTime;

/// Expired captchas deleted at most per new one: enough to keep up with any creation rate,
/// small enough to keep the insert quick.
const PURGE_BATCH: i64 = 100;

#[derive(FromRow)]
struct CaptchaRow {
    key_hash: String,
    tenant_id: String,
    answer_hash: String,
    created_at: i64,
    expires_at: i64,
    solved_until: Option<i64>,
    used_at: Option<i64>,
}

impl From<CaptchaRow> for StoredCaptcha {
    fn from(row: CaptchaRow) -> Self {
        Self {
            key_hash: row.key_hash,
            tenant_id: TenantId(row.tenant_id),
            answer_hash: row.answer_hash,
            created_at: from_db(row.created_at),
            expires_at: from_db(row.expires_at),
            solved_until: opt_from_db(row.solved_until),
            used_at: opt_from_db(row.used_at),
        }
    }
}

#[async_trait]
impl CaptchaStore for SqlStore {
    async fn insert_captcha(
        &self,
        captcha: &StoredCaptcha,
        purge_before: OffsetDateTime,
    ) -> Result<()> {
        on_writer!(&self.pool, pool => {
            // Neither backend takes LIMIT on DELETE; a subquery does it on both.
            sqlx::query(
                "DELETE FROM captchas WHERE key_hash IN \
                 (SELECT key_hash FROM captchas WHERE expires_at < $1 LIMIT $2)",
            )
            .bind(to_db(purge_before))
            .bind(PURGE_BATCH)
            .execute(pool)
            .await?;
            sqlx::query(
                "INSERT INTO captchas (key_hash, tenant_id, answer_hash, created_at, expires_at, \
                 solved_until, used_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&captcha.key_hash)
            .bind(captcha.tenant_id.as_str())
            .bind(&captcha.answer_hash)
            .bind(to_db(captcha.created_at))
            .bind(to_db(captcha.expires_at))
            .bind(opt_to_db(captcha.solved_until))
            .bind(opt_to_db(captcha.used_at))
            .execute(pool)
            .await
            .map(|_| ())
        })
        .map_err(store_error)?;
        Ok(())
    }

    async fn captcha(&self, key_hash: &str) -> Result<Option<StoredCaptcha>> {
        let row: Option<CaptchaRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(
                "SELECT key_hash, tenant_id, answer_hash, created_at, expires_at, solved_until, \
                 used_at FROM captchas WHERE key_hash = $1",
            )
            .bind(key_hash)
            .fetch_optional(pool)
            .await
        })
        .map_err(store_error)?;
        Ok(row.map(StoredCaptcha::from))
    }

    async fn solve_captcha(
        &self,
        key_hash: &str,
        now: OffsetDateTime,
        grace_until: OffsetDateTime,
    ) -> Result<bool> {
        let solved = on_writer!(&self.pool, pool => {
            sqlx::query(
                "UPDATE captchas SET solved_until = COALESCE(solved_until, $3) \
                 WHERE key_hash = $1 AND used_at IS NULL \
                 AND ((solved_until IS NULL AND expires_at > $2) OR solved_until > $2)",
            )
            .bind(key_hash)
            .bind(to_db(now))
            .bind(to_db(grace_until))
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })
        .map_err(store_error)?;
        Ok(solved == 1)
    }

    async fn burn_captcha(&self, key_hash: &str, now: OffsetDateTime) -> Result<bool> {
        let burned = on_writer!(&self.pool, pool => {
            sqlx::query("UPDATE captchas SET used_at = $2 WHERE key_hash = $1 AND used_at IS NULL")
                .bind(key_hash)
                .bind(to_db(now))
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })
        .map_err(store_error)?;
        Ok(burned == 1)
    }
}
