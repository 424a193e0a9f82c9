use crate::activity::audited_write;
use crate::error::{store_error, Result};
use crate::pool::{on_pool, on_writer, BeginWrite};
use crate::rows::{from_db, to_db, UserRow, USER_COLUMNS};
use crate::sql_store::SqlStore;
use crate::users::insert_user_row;
use async_trait::async_trait;
use portcullis_core::ids::{TenantId, UserId};
use portcullis_core::model::{NewActivity, NewUser, SocialIdentity, User};
use portcullis_core::store::SocialStore;
use portcullis_core::StoreError;
use sqlx::FromRow;
use time::OffsetDateTime;

#[derive(FromRow)]
struct IdentityRow {
    network: String,
    subject: String,
    created_at: i64,
}

const INSERT_IDENTITY: &str =
    "INSERT INTO social_identities (tenant_id, network, subject, user_id, created_at) \
     VALUES ($1, $2, $3, $4, $5)";

#[async_trait]
impl SocialStore for SqlStore {
    async fn social_identity(
        &self,
        tenant: &TenantId,
        network: &str,
        subject: &str,
    ) -> Result<Option<User>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM social_identities s JOIN users u ON u.id = s.user_id \
             WHERE s.tenant_id = $1 AND s.network = $2 AND s.subject = $3"
        );
        let row: Option<UserRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql)
                .bind(tenant.as_str())
                .bind(network)
                .bind(subject)
                .fetch_optional(pool)
                .await
        })
        .map_err(store_error)?;
        row.map(User::try_from).transpose()
    }

    async fn link_social_identity(
        &self,
        tenant: &TenantId,
        network: &str,
        subject: &str,
        user: UserId,
        now: OffsetDateTime,
    ) -> Result<()> {
        on_writer!(&self.pool, pool => {
            sqlx::query(INSERT_IDENTITY)
                .bind(tenant.as_str())
                .bind(network)
                .bind(subject)
                .bind(user.0)
                .bind(to_db(now))
                .execute(pool)
                .await
                .map(drop)
        })
        .map_err(store_error)
    }

    async fn create_social_user(
        &self,
        user: &NewUser,
        network: &str,
        subject: &str,
    ) -> Result<User> {
        let now = to_db(user.created_at);
        let id: i64 = on_pool!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            let id = insert_user_row!(&mut tx, user)?;
            sqlx::query(INSERT_IDENTITY)
                .bind(user.tenant_id.as_str())
                .bind(network)
                .bind(subject)
                .bind(id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await.map(|_| id)
        })
        .map_err(store_error)?;
        self.user_by_id(UserId(id))
            .await?
            .ok_or_else(|| StoreError::Other("user vanished after insert".into()))
    }

    async fn social_identities_of(&self, user: UserId) -> Result<Vec<SocialIdentity>> {
        let rows: Vec<IdentityRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(
                "SELECT network, subject, created_at FROM social_identities \
                 WHERE user_id = $1 ORDER BY created_at, network, subject",
            )
            .bind(user.0)
            .fetch_all(pool)
            .await
        })
        .map_err(store_error)?;
        Ok(rows
            .into_iter()
            .map(|row| SocialIdentity {
                network: row.network,
                subject: row.subject,
                created_at: from_db(row.created_at),
            })
            .collect())
    }

    async fn unlink_social_identities(
        &self,
        user: UserId,
        network: &str,
        activity: &NewActivity,
    ) -> Result<bool> {
        audited_write!(&self.pool, activity, |tx| {
            sqlx::query("DELETE FROM social_identities WHERE user_id = $1 AND network = $2")
                .bind(user.0)
                .bind(network)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                > 0
        })
    }
}
