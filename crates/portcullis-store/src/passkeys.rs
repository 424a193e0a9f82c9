//! Passkeys and the WebAuthn ceremonies in flight.

use crate::activity::{audited_write, insert_activity};
use crate::error::{store_error, Result};
use crate::pool::{on_pool, on_writer, BeginWrite};
use crate::rows::{corrupt, from_db, opt_from_db, to_db};
use crate::sql_store::SqlStore;
use async_trait::async_trait;
use portcullis_core::ids::{PasskeyId, SessionId, TenantId, UserId};
use portcullis_core::metadata;
use portcullis_core::model::{
    Ceremony, Metadata, NewActivity, NewPasskey, Passkey, PasskeyUse, WebauthnChallenge,
};
use portcullis_core::store::PasskeyStore;
use portcullis_core::StoreError;
use sqlx::FromRow;
use time::OffsetDateTime;

pub(crate) const PASSKEY_COLUMNS: &str =
    "id, tenant_id, user_id, name, credential_id, user_handle, \
    credential, aaguid, sign_count, backup_eligible, backed_up, disabled, metadata, created_at, \
    updated_at, last_used_at";

/// Inserts a passkey inside the transaction `$tx`; yields its row.
macro_rules! insert_passkey {
    ($tx:expr, $passkey:expr) => {{
        let passkey: &portcullis_core::model::NewPasskey = $passkey;
        let sql = format!(
            "INSERT INTO passkeys (tenant_id, user_id, name, credential_id, user_handle, \
             credential, aaguid, sign_count, backup_eligible, backed_up, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING {}",
            $crate::passkeys::PASSKEY_COLUMNS
        );
        sqlx::query_as::<_, $crate::passkeys::PasskeyRow>(&sql)
            .bind(passkey.tenant_id.as_str())
            .bind(passkey.user_id.0)
            .bind(&passkey.name)
            .bind(&passkey.credential_id)
            .bind(&passkey.user_handle)
            .bind(&passkey.credential)
            .bind(&passkey.aaguid)
            .bind(passkey.sign_count)
            .bind(passkey.backup_eligible)
            .bind(passkey.backed_up)
            .bind($crate::rows::to_db(passkey.created_at))
            .fetch_one(&mut **$tx)
            .await
    }};
}
pub(crate) use insert_passkey;

#[derive(FromRow)]
pub(crate) struct PasskeyRow {
    id: i64,
    tenant_id: String,
    user_id: i64,
    name: String,
    credential_id: String,
    user_handle: String,
    credential: String,
    aaguid: String,
    sign_count: i64,
    backup_eligible: bool,
    backed_up: bool,
    disabled: bool,
    metadata: String,
    created_at: i64,
    updated_at: i64,
    last_used_at: Option<i64>,
}

impl TryFrom<PasskeyRow> for Passkey {
    type Error = StoreError;

    fn try_from(row: PasskeyRow) -> Result<Self> {
        Ok(Self {
            id: PasskeyId(row.id),
            tenant_id: TenantId(row.tenant_id),
            user_id: UserId(row.user_id),
            name: row.name,
            credential_id: row.credential_id,
            user_handle: row.user_handle,
            credential: row.credential,
            aaguid: row.aaguid,
            sign_count: row.sign_count,
            backup_eligible: row.backup_eligible,
            backed_up: row.backed_up,
            disabled: row.disabled,
            metadata: serde_json::from_str(&row.metadata)
                .map_err(|e| corrupt("passkey metadata", e))?,
            created_at: from_db(row.created_at),
            updated_at: from_db(row.updated_at),
            last_used_at: opt_from_db(row.last_used_at),
        })
    }
}

fn passkeys(rows: Vec<PasskeyRow>) -> Result<Vec<Passkey>> {
    rows.into_iter().map(Passkey::try_from).collect()
}

#[derive(FromRow)]
struct ChallengeRow {
    id_hash: String,
    tenant_id: String,
    ceremony: String,
    user_id: Option<i64>,
    session_id: Option<String>,
    binding: Option<String>,
    state: String,
    expires_at: i64,
}

impl TryFrom<ChallengeRow> for WebauthnChallenge {
    type Error = StoreError;

    fn try_from(row: ChallengeRow) -> Result<Self> {
        Ok(Self {
            ceremony: Ceremony::parse(&row.ceremony)
                .ok_or_else(|| corrupt("webauthn ceremony", &row.ceremony))?,
            id_hash: row.id_hash,
            tenant_id: TenantId(row.tenant_id),
            user_id: row.user_id.map(UserId),
            session_id: row.session_id.map(SessionId),
            binding: row.binding,
            state: row.state,
            expires_at: from_db(row.expires_at),
        })
    }
}

#[async_trait]
impl PasskeyStore for SqlStore {
    async fn add_passkey(&self, passkey: &NewPasskey, activity: &NewActivity) -> Result<Passkey> {
        let row: PasskeyRow = audited_write!(&self.pool, activity, |tx| {
            insert_passkey!(&mut tx, passkey)?
        })?;
        row.try_into()
    }

    async fn passkeys_of(&self, user: UserId) -> Result<Vec<Passkey>> {
        let sql = format!(
            "SELECT {PASSKEY_COLUMNS} FROM passkeys WHERE user_id = $1 ORDER BY created_at, id"
        );
        let rows: Vec<PasskeyRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql).bind(user.0).fetch_all(pool).await
        })
        .map_err(store_error)?;
        passkeys(rows)
    }

    async fn passkey(&self, user: UserId, id: PasskeyId) -> Result<Option<Passkey>> {
        let sql = format!("SELECT {PASSKEY_COLUMNS} FROM passkeys WHERE user_id = $1 AND id = $2");
        let row: Option<PasskeyRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql).bind(user.0).bind(id.0).fetch_optional(pool).await
        })
        .map_err(store_error)?;
        row.map(Passkey::try_from).transpose()
    }

    async fn passkey_by_credential(
        &self,
        tenant: &TenantId,
        credential_id: &str,
    ) -> Result<Option<Passkey>> {
        let sql = format!(
            "SELECT {PASSKEY_COLUMNS} FROM passkeys WHERE tenant_id = $1 AND credential_id = $2"
        );
        let row: Option<PasskeyRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql)
                .bind(tenant.as_str())
                .bind(credential_id)
                .fetch_optional(pool)
                .await
        })
        .map_err(store_error)?;
        row.map(Passkey::try_from).transpose()
    }

    async fn record_passkey_use(
        &self,
        id: PasskeyId,
        seen_count: i64,
        change: &PasskeyUse,
        activity: &NewActivity,
    ) -> Result<bool> {
        on_pool!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            let recorded = sqlx::query(
                "UPDATE passkeys SET credential = $1, sign_count = $2, backed_up = $3, \
                 backup_eligible = $4, last_used_at = $5, updated_at = $5 \
                 WHERE id = $6 AND sign_count = $7 AND NOT disabled",
            )
            .bind(&change.credential)
            .bind(change.sign_count)
            .bind(change.backed_up)
            .bind(change.backup_eligible)
            .bind(to_db(change.at))
            .bind(id.0)
            .bind(seen_count)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                > 0;
            if recorded {
                insert_activity!(&mut *tx, activity)?;
            }
            tx.commit().await.map(|_| recorded)
        })
        .map_err(store_error)
    }

    async fn rename_passkey(
        &self,
        id: PasskeyId,
        name: &str,
        activity: &NewActivity,
        now: OffsetDateTime,
    ) -> Result<Option<Passkey>> {
        let sql = format!(
            "UPDATE passkeys SET name = $1, updated_at = $2 WHERE id = $3 \
             RETURNING {PASSKEY_COLUMNS}"
        );
        let row: Option<PasskeyRow> = audited_write!(&self.pool, activity, |tx| {
            sqlx::query_as(&sql)
                .bind(name)
                .bind(to_db(now))
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await?
        })?;
        row.map(Passkey::try_from).transpose()
    }

    async fn set_passkey_state(
        &self,
        id: PasskeyId,
        disabled: bool,
        metadata: &Metadata,
        activity: &NewActivity,
        now: OffsetDateTime,
    ) -> Result<Option<Passkey>> {
        let sql = format!(
            "UPDATE passkeys SET disabled = $1, metadata = $2, updated_at = $3 WHERE id = $4 \
             RETURNING {PASSKEY_COLUMNS}"
        );
        let row: Option<PasskeyRow> = audited_write!(&self.pool, activity, |tx| {
            sqlx::query_as(&sql)
                .bind(disabled)
                .bind(metadata::to_json(metadata))
                .bind(to_db(now))
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await?
        })?;
        row.map(Passkey::try_from).transpose()
    }

    async fn delete_passkey(&self, id: PasskeyId, activity: &NewActivity) -> Result<bool> {
        audited_write!(&self.pool, activity, |tx| {
            sqlx::query("DELETE FROM passkeys WHERE id = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                > 0
        })
    }

    async fn create_webauthn_challenge(&self, challenge: &WebauthnChallenge) -> Result<()> {
        on_writer!(&self.pool, pool => {
            sqlx::query(
                "INSERT INTO webauthn_challenges (id_hash, tenant_id, ceremony, user_id, \
                 session_id, binding, state, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&challenge.id_hash)
            .bind(challenge.tenant_id.as_str())
            .bind(challenge.ceremony.as_str())
            .bind(challenge.user_id.map(|id| id.0))
            .bind(challenge.session_id.as_ref().map(|id| id.as_str()))
            .bind(challenge.binding.as_deref())
            .bind(&challenge.state)
            .bind(to_db(challenge.expires_at))
            .execute(pool)
            .await
            .map(|_| ())
        })
        .map_err(store_error)
    }

    async fn take_webauthn_challenge(
        &self,
        tenant: &TenantId,
        id_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<WebauthnChallenge>> {
        // Deleting is the claim: of two requests with one handle, one gets the row.
        let row: Option<ChallengeRow> = on_writer!(&self.pool, pool => {
            sqlx::query_as(
                "DELETE FROM webauthn_challenges WHERE id_hash = $1 AND tenant_id = $2 \
                 RETURNING id_hash, tenant_id, ceremony, user_id, session_id, binding, state, \
                 expires_at",
            )
            .bind(id_hash)
            .bind(tenant.as_str())
            .fetch_optional(pool)
            .await
        })
        .map_err(store_error)?;
        let challenge = row.map(WebauthnChallenge::try_from).transpose()?;
        Ok(challenge.filter(|c| c.expires_at > now))
    }

    async fn tenant_has_passkeys(&self, tenant: &TenantId) -> Result<bool> {
        let found: Option<(i64,)> = on_pool!(&self.pool, pool => {
            sqlx::query_as("SELECT id FROM passkeys WHERE tenant_id = $1 LIMIT 1")
                .bind(tenant.as_str())
                .fetch_optional(pool)
                .await
        })
        .map_err(store_error)?;
        Ok(found.is_some())
    }

    async fn sweep_webauthn_challenges(&self, now: OffsetDateTime) -> Result<u64> {
        on_writer!(&self.pool, pool => {
            sqlx::query("DELETE FROM webauthn_challenges WHERE expires_at <= $1")
                .bind(to_db(now))
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })
        .map_err(store_error)
    }
}
