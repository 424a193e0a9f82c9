//! Consents given on the consent screen, and withdrawing them.

use crate::activity::{audited_write, insert_activity};
use crate::error::{store_error, Result};
use crate::pool::{on_pool, BeginWrite};
use crate::rows::{corrupt, from_db, to_db};
use crate::sql_store::SqlStore;
use async_trait::async_trait;
use portcullis_core::ids::{TenantId, UserId};
use portcullis_core::model::{Consent, ConsentedApplication, NewActivity};
use portcullis_core::store::ConsentStore;
use portcullis_core::StoreError;
use sqlx::FromRow;
use time::OffsetDateTime;

const CONSENT_COLUMNS: &str =
    "c.tenant_id, c.user_id, c.application_id, c.scopes, c.created_at, c.updated_at";

#[derive(FromRow)]
struct ConsentRow {
    tenant_id: String,
    user_id: i64,
    application_id: String,
    scopes: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<ConsentRow> for Consent {
    type Error = StoreError;
    fn try_from(row: ConsentRow) -> Result<Self> {
        Ok(Self {
            scopes: serde_json::from_str(&row.scopes).map_err(|e| corrupt("scopes", e))?,
            tenant_id: TenantId(row.tenant_id),
            user_id: UserId(row.user_id),
            application_id: row.application_id,
            created_at: from_db(row.created_at),
            updated_at: from_db(row.updated_at),
        })
    }
}

#[derive(FromRow)]
struct ListedRow {
    #[sqlx(flatten)]
    consent: ConsentRow,
    application_name: String,
}

#[async_trait]
impl ConsentStore for SqlStore {
    async fn consent(&self, user: UserId, application: &str) -> Result<Option<Consent>> {
        let sql = format!(
            "SELECT {CONSENT_COLUMNS} FROM consents c WHERE c.user_id = $1 AND c.application_id = $2"
        );
        let row: Option<ConsentRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql).bind(user.0).bind(application).fetch_optional(pool).await
        })
        .map_err(store_error)?;
        row.map(Consent::try_from).transpose()
    }

    async fn save_consent(&self, consent: &Consent, activity: &NewActivity) -> Result<()> {
        let scopes =
            serde_json::to_string(&consent.scopes).map_err(|e| StoreError::Other(e.to_string()))?;
        audited_write!(&self.pool, activity, |tx| {
            sqlx::query(
                "INSERT INTO consents (tenant_id, user_id, application_id, scopes, created_at, \
                 updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (user_id, application_id) DO UPDATE \
                 SET scopes = excluded.scopes, updated_at = excluded.updated_at",
            )
            .bind(consent.tenant_id.as_str())
            .bind(consent.user_id.0)
            .bind(&consent.application_id)
            .bind(&scopes)
            .bind(to_db(consent.created_at))
            .bind(to_db(consent.updated_at))
            .execute(&mut *tx)
            .await?;
        })
    }

    async fn consents_of(&self, user: UserId) -> Result<Vec<ConsentedApplication>> {
        let sql = format!(
            "SELECT {CONSENT_COLUMNS}, a.name AS application_name FROM consents c \
             JOIN applications a ON a.id = c.application_id \
             WHERE c.user_id = $1 ORDER BY c.updated_at DESC, c.application_id"
        );
        let rows: Vec<ListedRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql).bind(user.0).fetch_all(pool).await
        })
        .map_err(store_error)?;
        rows.into_iter()
            .map(|row| {
                Ok(ConsentedApplication {
                    consent: Consent::try_from(row.consent)?,
                    application_name: row.application_name,
                })
            })
            .collect()
    }

    async fn withdraw_consent(
        &self,
        user: UserId,
        application: &str,
        now: OffsetDateTime,
        activity: &NewActivity,
    ) -> Result<bool> {
        let now = to_db(now);
        let grants = "SELECT id FROM oauth_grants WHERE user_id = $2 AND application_id = $3";
        on_pool!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            let deleted = sqlx::query(
                "DELETE FROM consents WHERE user_id = $1 AND application_id = $2",
            )
            .bind(user.0)
            .bind(application)
            .execute(&mut *tx)
            .await?;
            if deleted.rows_affected() == 0 {
                return Ok(false);
            }
            // The grants first: their row locks make a redemption or refresh under way either
            // commit its new tokens before the updates below see them, or give nothing (see
            // `LOCK_LIVE_GRANT` in oauth.rs).
            for sql in [
                "UPDATE oauth_grants SET revoked_at = $1 WHERE revoked_at IS NULL AND user_id = $2 \
                 AND application_id = $3".to_owned(),
                format!("UPDATE tokens SET revoked_at = $1 WHERE revoked_at IS NULL AND grant_id IN ({grants})"),
                format!("UPDATE oauth_refresh_tokens SET revoked_at = $1 WHERE revoked_at IS NULL AND grant_id IN ({grants})"),
            ] {
                sqlx::query(&sql)
                    .bind(now)
                    .bind(user.0)
                    .bind(application)
                    .execute(&mut *tx)
                    .await?;
            }
            insert_activity!(&mut *tx, activity)?;
            tx.commit().await.map(|_| true)
        })
        .map_err(store_error)
    }
}
