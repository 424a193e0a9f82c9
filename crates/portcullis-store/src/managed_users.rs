//! Users and password credentials as the management API writes them.

use crate::activity::{audited_write, insert_activity};
use crate::error::{store_error, Result};
use crate::pool::{on_pool, BeginWrite};
use crate::rows::{opt_to_db, to_db, CredentialRow, UserRow, CREDENTIAL_COLUMNS, USER_COLUMNS};
use crate::sql_store::SqlStore;
use crate::users::{end_all_sessions, PASSWORD};
use async_trait::async_trait;
use portcullis_core::ids::{TenantId, UserId};
use portcullis_core::model::{
    CredentialWrite, ManagedFields, NewActivity, NewUser, PasswordCredential, PasswordHash, User,
};
use portcullis_core::store::ManagedUserStore;
use portcullis_core::{metadata, StoreError};
use time::OffsetDateTime;

#[async_trait]
impl ManagedUserStore for SqlStore {
    async fn user_by_uid(&self, tenant: &TenantId, uid: &str) -> Result<Option<User>> {
        let sql =
            format!("SELECT {USER_COLUMNS} FROM users u WHERE u.tenant_id = $1 AND u.uid = $2");
        let row: Option<UserRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql).bind(tenant.as_str()).bind(uid).fetch_optional(pool).await
        })
        .map_err(store_error)?;
        row.map(User::try_from).transpose()
    }

    async fn users_page(
        &self,
        tenant: &TenantId,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<User>, i64)> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.tenant_id = $1 \
             ORDER BY u.id LIMIT $2 OFFSET $3"
        );
        let (total, rows): (i64, Vec<UserRow>) = on_pool!(&self.pool, pool => {
            let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE tenant_id = $1")
                .bind(tenant.as_str())
                .fetch_one(pool)
                .await?;
            let rows = sqlx::query_as(&sql)
                .bind(tenant.as_str())
                .bind(limit)
                .bind(offset)
                .fetch_all(pool)
                .await?;
            Ok::<_, sqlx::Error>((total, rows))
        })
        .map_err(store_error)?;
        let users = rows
            .into_iter()
            .map(User::try_from)
            .collect::<Result<_>>()?;
        Ok((users, total))
    }

    async fn create_managed_user(
        &self,
        user: &NewUser,
        fields: &ManagedFields,
        password: Option<&PasswordHash>,
        activity: &NewActivity,
    ) -> Result<User> {
        let now = to_db(user.created_at);
        let id: i64 = on_pool!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO users (uid, tenant_id, email, first_name, last_name, display_name, \
                 role_id, disabled, email_verified_at, metadata, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
            )
            .bind(&user.uid)
            .bind(user.tenant_id.as_str())
            .bind(&fields.email)
            .bind(&fields.first_name)
            .bind(&fields.last_name)
            .bind(&fields.display_name)
            .bind(user.role_id.0)
            .bind(fields.disabled)
            .bind(opt_to_db(fields.email_verified_at))
            .bind(metadata::to_json(&fields.metadata))
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            if let Some(password) = password {
                sqlx::query(
                    "INSERT INTO credentials (user_id, kind, alg, hash, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $5)",
                )
                .bind(id)
                .bind(PASSWORD)
                .bind(&password.alg)
                .bind(&password.hash)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            let activity = NewActivity { user_id: Some(UserId(id)), ..activity.clone() };
            insert_activity!(&mut *tx, &activity)?;
            tx.commit().await.map(|_| id)
        })
        .map_err(store_error)?;
        self.user_by_id(UserId(id))
            .await?
            .ok_or_else(|| StoreError::Other("user vanished after insert".into()))
    }

    async fn update_managed_user(
        &self,
        user: UserId,
        fields: &ManagedFields,
        activity: &NewActivity,
        now: OffsetDateTime,
    ) -> Result<User> {
        let now = to_db(now);
        audited_write!(&self.pool, activity, |tx| {
            let was_disabled: bool = sqlx::query_scalar("SELECT disabled FROM users WHERE id = $1")
                .bind(user.0)
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE users SET email = $1, first_name = $2, last_name = $3, display_name = $4, \
                 disabled = $5, email_verified_at = $6, metadata = $7, updated_at = $8 \
                 WHERE id = $9",
            )
            .bind(&fields.email)
            .bind(&fields.first_name)
            .bind(&fields.last_name)
            .bind(&fields.display_name)
            .bind(fields.disabled)
            .bind(opt_to_db(fields.email_verified_at))
            .bind(metadata::to_json(&fields.metadata))
            .bind(now)
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
            if fields.disabled && !was_disabled {
                end_all_sessions!(&mut tx, user.0, None, now)?;
            }
        })?;
        self.user_by_id(user)
            .await?
            .ok_or_else(|| StoreError::Other("user vanished after update".into()))
    }

    async fn put_password_credential(
        &self,
        user: UserId,
        write: &CredentialWrite,
        activity: &NewActivity,
        now: OffsetDateTime,
    ) -> Result<PasswordCredential> {
        let sql = format!(
            "INSERT INTO credentials (user_id, kind, alg, hash, disabled, metadata, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
             ON CONFLICT (user_id, kind) DO UPDATE SET alg = excluded.alg, hash = excluded.hash, \
             disabled = excluded.disabled, metadata = excluded.metadata, \
             updated_at = excluded.updated_at, \
             created_at = CASE WHEN $8 THEN excluded.created_at ELSE credentials.created_at END \
             RETURNING {CREDENTIAL_COLUMNS}"
        );
        let row: CredentialRow = audited_write!(&self.pool, activity, |tx| {
            let row = sqlx::query_as(&sql)
                .bind(user.0)
                .bind(PASSWORD)
                .bind(&write.hash.alg)
                .bind(&write.hash.hash)
                .bind(write.disabled)
                .bind(metadata::to_json(&write.metadata))
                .bind(to_db(now))
                .bind(write.replace)
                .fetch_one(&mut *tx)
                .await?;
            row
        })?;
        row.try_into()
    }

    async fn delete_password_credential(
        &self,
        user: UserId,
        activity: &NewActivity,
    ) -> Result<bool> {
        audited_write!(&self.pool, activity, |tx| {
            let deleted = sqlx::query("DELETE FROM credentials WHERE user_id = $1 AND kind = $2")
                .bind(user.0)
                .bind(PASSWORD)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            deleted > 0
        })
    }
}
