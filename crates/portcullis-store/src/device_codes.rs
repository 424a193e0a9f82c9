//! The device authorization grant's codes. Approval, denial and redemption are each one
//! conditional UPDATE whose affected-row count decides who won.

use crate::error::{store_error, Result};
use crate::oauth::{insert_grant, scopes_from_db, GrantRow, GRANT_COLUMNS, PURGE_AFTER};
use crate::pool::{on_pool, on_writer, BeginWrite};
use crate::rows::{from_db, opt_from_db, opt_to_db, scopes_to_db, to_db};
use crate::sql_store::SqlStore;
use async_trait::async_trait;
use portcullis_core::ids::{TenantId, TokenId};
use portcullis_core::model::{DeviceCode, Grant, NewToken, StoredRefreshToken};
use portcullis_core::store::DeviceCodeStore;
use sqlx::FromRow;
use time::OffsetDateTime;

const DEVICE_COLUMNS: &str = "device_code_hash, tenant_id, application_id, user_code_hash, \
    scopes, ip_address, user_agent, created_at, expires_at, interval_seconds, last_polled_at, \
    grant_id, denied_at, redeemed_at";

#[derive(FromRow)]
struct DeviceRow {
    device_code_hash: String,
    tenant_id: String,
    application_id: String,
    user_code_hash: String,
    scopes: String,
    ip_address: Option<String>,
    user_agent: Option<String>,
    created_at: i64,
    expires_at: i64,
    interval_seconds: i64,
    last_polled_at: Option<i64>,
    grant_id: Option<String>,
    denied_at: Option<i64>,
    redeemed_at: Option<i64>,
}

impl TryFrom<DeviceRow> for DeviceCode {
    type Error = portcullis_core::StoreError;
    fn try_from(row: DeviceRow) -> Result<Self> {
        Ok(Self {
            scopes: scopes_from_db(&row.scopes)?,
            device_code_hash: row.device_code_hash,
            tenant_id: TenantId(row.tenant_id),
            application_id: row.application_id,
            user_code_hash: row.user_code_hash,
            ip_address: row.ip_address,
            user_agent: row.user_agent,
            created_at: from_db(row.created_at),
            expires_at: from_db(row.expires_at),
            interval_seconds: row.interval_seconds,
            last_polled_at: opt_from_db(row.last_polled_at),
            grant_id: row.grant_id,
            denied_at: opt_from_db(row.denied_at),
            redeemed_at: opt_from_db(row.redeemed_at),
        })
    }
}

/// Claims an undecided, unexpired code: `$1` the time, `$2` the device-code hash.
const UNDECIDED: &str = "device_code_hash = $2 AND grant_id IS NULL AND denied_at IS NULL \
    AND expires_at > $1";

#[async_trait]
impl DeviceCodeStore for SqlStore {
    async fn create_device_code(&self, code: &DeviceCode) -> Result<()> {
        let scopes = scopes_to_db(&code.scopes)?;
        on_pool!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            // Each request leaves a row: each new one clears away a few long expired (an
            // approved one's grant stays, as the family of the tokens it led to).
            sqlx::query(
                "DELETE FROM device_codes WHERE device_code_hash IN (SELECT device_code_hash \
                 FROM device_codes WHERE expires_at < $1 ORDER BY expires_at LIMIT 20)",
            )
            .bind(to_db(code.created_at - PURGE_AFTER))
            .execute(&mut *tx)
            .await?;
            sqlx::query(&format!(
                "INSERT INTO device_codes ({DEVICE_COLUMNS}) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
            ))
            .bind(&code.device_code_hash)
            .bind(code.tenant_id.as_str())
            .bind(&code.application_id)
            .bind(&code.user_code_hash)
            .bind(&scopes)
            .bind(&code.ip_address)
            .bind(&code.user_agent)
            .bind(to_db(code.created_at))
            .bind(to_db(code.expires_at))
            .bind(code.interval_seconds)
            .bind(opt_to_db(code.last_polled_at))
            .bind(&code.grant_id)
            .bind(opt_to_db(code.denied_at))
            .bind(opt_to_db(code.redeemed_at))
            .execute(&mut *tx)
            .await?;
            tx.commit().await
        })
        .map_err(store_error)
    }

    async fn device_code(
        &self,
        device_code_hash: &str,
    ) -> Result<Option<(DeviceCode, Option<Grant>)>> {
        let code_sql =
            format!("SELECT {DEVICE_COLUMNS} FROM device_codes WHERE device_code_hash = $1");
        let grant_sql = format!("SELECT {GRANT_COLUMNS} FROM oauth_grants g WHERE g.id = $1");
        let rows: Option<(DeviceRow, Option<GrantRow>)> = on_pool!(&self.pool, pool => {
            let code: Option<DeviceRow> = sqlx::query_as(&code_sql)
                .bind(device_code_hash)
                .fetch_optional(pool)
                .await?;
            match code {
                None => Ok(None),
                Some(code) => {
                    let grant: Option<GrantRow> = match &code.grant_id {
                        Some(id) => sqlx::query_as(&grant_sql).bind(id).fetch_optional(pool).await?,
                        None => None,
                    };
                    Ok::<_, sqlx::Error>(Some((code, grant)))
                }
            }
        })
        .map_err(store_error)?;
        let Some((code, grant)) = rows else {
            return Ok(None);
        };
        Ok(Some((
            DeviceCode::try_from(code)?,
            grant.map(Grant::try_from).transpose()?,
        )))
    }

    async fn device_code_by_user_code(
        &self,
        tenant: &TenantId,
        user_code_hash: &str,
    ) -> Result<Option<DeviceCode>> {
        let sql = format!(
            "SELECT {DEVICE_COLUMNS} FROM device_codes WHERE tenant_id = $1 AND user_code_hash = $2"
        );
        let row: Option<DeviceRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql)
                .bind(tenant.as_str())
                .bind(user_code_hash)
                .fetch_optional(pool)
                .await
        })
        .map_err(store_error)?;
        row.map(DeviceCode::try_from).transpose()
    }

    async fn record_device_poll(
        &self,
        device_code_hash: &str,
        now: OffsetDateTime,
        interval_seconds: i64,
    ) -> Result<()> {
        on_writer!(&self.pool, pool => {
            sqlx::query(
                "UPDATE device_codes SET last_polled_at = $1, interval_seconds = $2 \
                 WHERE device_code_hash = $3",
            )
            .bind(to_db(now))
            .bind(interval_seconds)
            .bind(device_code_hash)
            .execute(pool)
            .await
            .map(|_| ())
        })
        .map_err(store_error)
    }

    async fn approve_device_code(
        &self,
        device_code_hash: &str,
        grant: &Grant,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let scopes = scopes_to_db(&grant.scopes)?;
        on_pool!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            insert_grant!(tx, grant, &scopes);
            let claimed = sqlx::query(&format!(
                "UPDATE device_codes SET grant_id = $3 WHERE {UNDECIDED}"
            ))
            .bind(to_db(now))
            .bind(device_code_hash)
            .bind(&grant.id)
            .execute(&mut *tx)
            .await?;
            if claimed.rows_affected() != 1 {
                // Dropped unfinished: the grant goes too.
                return Ok(false);
            }
            tx.commit().await.map(|_| true)
        })
        .map_err(store_error)
    }

    async fn deny_device_code(&self, device_code_hash: &str, now: OffsetDateTime) -> Result<bool> {
        on_writer!(&self.pool, pool => {
            sqlx::query(&format!("UPDATE device_codes SET denied_at = $1 WHERE {UNDECIDED}"))
                .bind(to_db(now))
                .bind(device_code_hash)
                .execute(pool)
                .await
                .map(|done| done.rows_affected() == 1)
        })
        .map_err(store_error)
    }

    async fn redeem_device_code(
        &self,
        device_code_hash: &str,
        now: OffsetDateTime,
        access: &NewToken,
        refresh: &StoredRefreshToken,
    ) -> Result<Option<TokenId>> {
        const CLAIM: &str = "UPDATE device_codes SET redeemed_at = $1 \
            WHERE device_code_hash = $2 AND grant_id = $3 AND redeemed_at IS NULL";
        self.issue_once(CLAIM, device_code_hash, now, access, refresh, None)
            .await
    }
}
