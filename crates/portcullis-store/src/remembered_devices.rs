//! Browsers remembered after a second factor: only the hash of the cookie secret is stored.

use crate::error::{store_error, Result};
use crate::pool::{on_pool, on_writer};
use crate::rows::{from_db, to_db};
use crate::sql_store::SqlStore;
use async_trait::async_trait;
use portcullis_core::ids::{TenantId, UserId};
use portcullis_core::model::RememberedDevice;
use portcullis_core::store::RememberedDeviceStore;
use sqlx::FromRow;
use time::OffsetDateTime;

#[derive(FromRow)]
struct DeviceRow {
    secret_hash: String,
    tenant_id: String,
    user_id: i64,
    created_at: i64,
    expires_at: i64,
}

impl From<DeviceRow> for RememberedDevice {
    fn from(row: DeviceRow) -> Self {
        Self {
            secret_hash: row.secret_hash,
            tenant_id: TenantId(row.tenant_id),
            user_id: UserId(row.user_id),
            created_at: from_db(row.created_at),
            expires_at: from_db(row.expires_at),
        }
    }
}

#[async_trait]
impl RememberedDeviceStore for SqlStore {
    async fn remember_device(&self, device: &RememberedDevice) -> Result<()> {
        on_writer!(&self.pool, pool => {
            // Expired rows of the same user go when a new one comes, so they never pile up.
            sqlx::query("DELETE FROM remembered_devices WHERE user_id = $1 AND expires_at <= $2")
                .bind(device.user_id.0)
                .bind(to_db(device.created_at))
                .execute(pool)
                .await?;
            sqlx::query(
                "INSERT INTO remembered_devices (secret_hash, tenant_id, user_id, created_at, \
                 expires_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&device.secret_hash)
            .bind(device.tenant_id.as_str())
            .bind(device.user_id.0)
            .bind(to_db(device.created_at))
            .bind(to_db(device.expires_at))
            .execute(pool)
            .await
            .map(|_| ())
        })
        .map_err(store_error)
    }

    async fn remembered_device(
        &self,
        secret_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<RememberedDevice>> {
        let row: Option<DeviceRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(
                "SELECT secret_hash, tenant_id, user_id, created_at, expires_at \
                 FROM remembered_devices WHERE secret_hash = $1 AND expires_at > $2",
            )
            .bind(secret_hash)
            .bind(to_db(now))
            .fetch_optional(pool)
            .await
        })
        .map_err(store_error)?;
        Ok(row.map(RememberedDevice::from))
    }

    async fn remembered_devices(&self, user: UserId, now: OffsetDateTime) -> Result<i64> {
        let (count,): (i64,) = on_pool!(&self.pool, pool => {
            sqlx::query_as(
                "SELECT COUNT(*) FROM remembered_devices WHERE user_id = $1 AND expires_at > $2",
            )
            .bind(user.0)
            .bind(to_db(now))
            .fetch_one(pool)
            .await
        })
        .map_err(store_error)?;
        Ok(count)
    }

    async fn forget_devices(&self, user: UserId) -> Result<u64> {
        on_writer!(&self.pool, pool => {
            sqlx::query("DELETE FROM remembered_devices WHERE user_id = $1")
                .bind(user.0)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })
        .map_err(store_error)
    }
}
