use crate::error::{store_error, Result};
use crate::pool::{on_pool, on_writer, BeginWrite};
use crate::rows::{to_db, CredentialRow, UserRow, CREDENTIAL_COLUMNS, USER_COLUMNS};
use crate::sql_store::SqlStore;
use async_trait::async_trait;
use portcullis_core::ids::{TenantId, UserId};
use portcullis_core::model::{NewUser, PasswordCredential, PasswordHash, User};
use portcullis_core::store::UserStore;
use portcullis_core::StoreError;
use time::OffsetDateTime;

pub(crate) const PASSWORD: &str = "password";

/// Inserts a user row inside the transaction `$tx` (a `&mut Transaction`); yields the new id.
macro_rules! insert_user_row {
    ($tx:expr, $user:expr) => {
        async {
            let user: &portcullis_core::model::NewUser = $user;
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO users (uid, tenant_id, username, email, first_name, last_name, role_id, \
                 email_verified_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
            )
            .bind(&user.uid)
            .bind(user.tenant_id.as_str())
            .bind(&user.username)
            .bind(&user.email)
            .bind(&user.first_name)
            .bind(&user.last_name)
            .bind(user.role_id.0)
            .bind($crate::rows::opt_to_db(user.email_verified_at))
            .bind($crate::rows::to_db(user.created_at))
            .fetch_one(&mut **$tx)
            .await
        }
        .await
    };
}
pub(crate) use insert_user_row;

/// Inserts a user and its password credential inside the transaction `$tx`; yields the id.
macro_rules! insert_user {
    ($tx:expr, $user:expr, $password:expr) => {
        async {
            let user: &portcullis_core::model::NewUser = $user;
            let password: &portcullis_core::model::PasswordHash = $password;
            let id = $crate::users::insert_user_row!($tx, user)?;
            sqlx::query(
                "INSERT INTO credentials (user_id, kind, alg, hash, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $5)",
            )
            .bind(id)
            .bind($crate::users::PASSWORD)
            .bind(&password.alg)
            .bind(&password.hash)
            .bind($crate::rows::to_db(user.created_at))
            .execute(&mut **$tx)
            .await?;
            Ok::<i64, sqlx::Error>(id)
        }
        .await
    };
}
pub(crate) use insert_user;

/// Ends every live session of a user and revokes every token, except the session `$keep` (an
/// `Option<&str>`; `None` spares nothing) and its tokens, inside the transaction `$tx`.
macro_rules! end_all_sessions {
    ($tx:expr, $user:expr, $keep:expr, $now:expr) => {
        async {
            let (user, keep, now): (i64, Option<&str>, i64) = ($user, $keep, $now);
            $crate::logout_notices::queue_logout_notices!($tx, now, user: user, keep: keep)?;
            sqlx::query(
                "UPDATE sessions SET ended_at = $1 WHERE user_id = $2 AND ended_at IS NULL \
                 AND ($3 IS NULL OR id <> $3)",
            )
            .bind(now)
            .bind(user)
            .bind(keep)
            .execute(&mut **$tx)
            .await?;
            sqlx::query(
                "UPDATE tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL \
                 AND ($3 IS NULL OR session_id IS NULL OR session_id <> $3)",
            )
            .bind(now)
            .bind(user)
            .bind(keep)
            .execute(&mut **$tx)
            .await?;
            // A change of address still waiting for its confirmation may be an intruder's:
            // whatever ends everyone's sessions (a new password, a reset, a ban) voids it.
            sqlx::query(
                "UPDATE one_time_tokens SET used_at = $1 WHERE user_id = $2 AND purpose = $3 \
                 AND email IS NOT NULL AND used_at IS NULL",
            )
            .bind(now)
            .bind(user)
            .bind(portcullis_core::model::TokenPurpose::VerifyEmail.as_str())
            .execute(&mut **$tx)
            .await
            .map(|_| ())
        }
        .await
    };
}
pub(crate) use end_all_sessions;

/// Replaces a user's password hash inside the transaction `$tx`.
macro_rules! set_password {
    // Creates the password credential of an account that has none (social sign-ups, users
    // made without one); keeps `disabled` as an administrator left it.
    ($tx:expr, $user:expr, $password:expr, $now:expr) => {{
        let (user, password, now): (i64, &portcullis_core::model::PasswordHash, i64) =
            ($user, $password, $now);
        sqlx::query(
            "INSERT INTO credentials (user_id, kind, alg, hash, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) \
             ON CONFLICT (user_id, kind) DO UPDATE \
             SET alg = excluded.alg, hash = excluded.hash, updated_at = excluded.updated_at",
        )
        .bind(user)
        .bind($crate::users::PASSWORD)
        .bind(&password.alg)
        .bind(&password.hash)
        .bind(now)
        .execute(&mut **$tx)
        .await
        .map(|_| ())
    }};
}
pub(crate) use set_password;

impl SqlStore {
    pub(crate) async fn user_by_id(&self, id: UserId) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1");
        let row: Option<UserRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql).bind(id.0).fetch_optional(pool).await
        })
        .map_err(store_error)?;
        row.map(User::try_from).transpose()
    }
}

#[async_trait]
impl UserStore for SqlStore {
    async fn create_user(&self, user: &NewUser, password: &PasswordHash) -> Result<User> {
        let id: i64 = on_pool!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            let id = insert_user!(&mut tx, user, password)?;
            tx.commit().await.map(|_| id)
        })
        .map_err(store_error)?;
        self.user(&user.tenant_id, UserId(id))
            .await?
            .ok_or_else(|| StoreError::Other("user vanished after insert".into()))
    }

    async fn user(&self, tenant: &TenantId, id: UserId) -> Result<Option<User>> {
        let sql =
            format!("SELECT {USER_COLUMNS} FROM users u WHERE u.tenant_id = $1 AND u.id = $2");
        let row: Option<UserRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql).bind(tenant.as_str()).bind(id.0).fetch_optional(pool).await
        })
        .map_err(store_error)?;
        row.map(User::try_from).transpose()
    }

    async fn user_by_login(&self, tenant: &TenantId, login: &str) -> Result<Option<User>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.tenant_id = $1 \
             AND (lower(u.username) = lower($2) OR lower(u.email) = lower($2)) LIMIT 1"
        );
        let row: Option<UserRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql).bind(tenant.as_str()).bind(login).fetch_optional(pool).await
        })
        .map_err(store_error)?;
        row.map(User::try_from).transpose()
    }

    async fn logins_taken(
        &self,
        tenant: &TenantId,
        email: &str,
        username: Option<&str>,
    ) -> Result<(bool, bool)> {
        let (email, username): (i64, i64) = on_pool!(&self.pool, pool => {
            sqlx::query_as(
                "SELECT \
                 (SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND lower(email) = lower($2)), \
                 (SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND lower(username) = lower($3))",
            )
            .bind(tenant.as_str())
            .bind(email)
            .bind(username)
            .fetch_one(pool)
            .await
        })
        .map_err(store_error)?;
        Ok((email > 0, username > 0))
    }

    async fn users_by_ids(&self, tenant: &TenantId, ids: &[UserId]) -> Result<Vec<User>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // Ids are integers, so they can be spelled into the query safely; one round trip
        // however many there are (a page holds at most 100).
        let list = ids
            .iter()
            .map(|id| id.0.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.tenant_id = $1 AND u.id IN ({list})"
        );
        let rows: Vec<UserRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql).bind(tenant.as_str()).fetch_all(pool).await
        })
        .map_err(store_error)?;
        rows.into_iter().map(User::try_from).collect()
    }

    async fn user_by_email(&self, tenant: &TenantId, email: &str) -> Result<Option<User>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.tenant_id = $1 AND lower(u.email) = lower($2)"
        );
        let row: Option<UserRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql).bind(tenant.as_str()).bind(email).fetch_optional(pool).await
        })
        .map_err(store_error)?;
        row.map(User::try_from).transpose()
    }

    async fn password_credential(&self, user: UserId) -> Result<Option<PasswordCredential>> {
        let sql = format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE user_id = $1 AND kind = $2"
        );
        let row: Option<CredentialRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql)
                .bind(user.0)
                .bind(PASSWORD)
                .fetch_optional(pool)
                .await
        })
        .map_err(store_error)?;
        row.map(PasswordCredential::try_from).transpose()
    }

    async fn set_user_disabled(
        &self,
        user: UserId,
        disabled: bool,
        now: OffsetDateTime,
    ) -> Result<()> {
        let now = to_db(now);
        on_pool!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3")
                .bind(disabled)
                .bind(now)
                .bind(user.0)
                .execute(&mut *tx)
                .await?;
            if disabled {
                end_all_sessions!(&mut tx, user.0, None, now)?;
            }
            tx.commit().await
        })
        .map_err(store_error)
    }

    async fn replace_password_hash(
        &self,
        user: UserId,
        hash: &PasswordHash,
        now: OffsetDateTime,
    ) -> Result<()> {
        on_writer!(&self.pool, pool => {
            sqlx::query("UPDATE credentials SET alg = $1, hash = $2, updated_at = $3 WHERE user_id = $4 AND kind = $5")
                .bind(&hash.alg)
                .bind(&hash.hash)
                .bind(to_db(now))
                .bind(user.0)
                .bind(PASSWORD)
                .execute(pool)
                .await
                .map(|_| ())
        })
        .map_err(store_error)
    }
}
