use crate::activity::insert_activity;
use crate::error::{store_error, Result};
use crate::mail::insert_mail;
use crate::passkeys::{insert_passkey, PasskeyRow};
use crate::pool::{on_pool, BeginWrite};
use crate::rows::to_db;
use crate::sql_store::SqlStore;
use crate::users::{end_all_sessions, insert_user, insert_user_row, set_password};
use async_trait::async_trait;
use portcullis_core::ids::{TenantId, UserId};
use portcullis_core::model::{
    Mail, NewActivity, NewOneTimeToken, NewPasskey, NewUser, Passkey, PasswordHash, TokenPurpose,
    User,
};
use portcullis_core::store::{LifecycleStore, UserStore};
use portcullis_core::StoreError;
use time::OffsetDateTime;

/// Inserts a one-time token for `$user` inside the transaction `$tx`, voiding the user's
/// unused tokens of the same purpose first.
macro_rules! insert_one_time_token {
    ($tx:expr, $user:expr, $token:expr) => {
        async {
            let (user, token): (i64, &portcullis_core::model::NewOneTimeToken) = ($user, $token);
            let now = $crate::rows::to_db(token.created_at);
            sqlx::query(
                "UPDATE one_time_tokens SET used_at = $1 \
                 WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL",
            )
            .bind(now)
            .bind(user)
            .bind(token.purpose.as_str())
            .execute(&mut **$tx)
            .await?;
            sqlx::query(
                "INSERT INTO one_time_tokens (tenant_id, user_id, purpose, secret_hash, created_at, expires_at, email) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(token.tenant_id.as_str())
            .bind(user)
            .bind(token.purpose.as_str())
            .bind(&token.secret_hash)
            .bind(now)
            .bind($crate::rows::to_db(token.expires_at))
            .bind(token.email.as_deref())
            .execute(&mut **$tx)
            .await
            .map(|_| ())
        }
        .await
    };
}

/// Uses up a live token: binds now, the secret's hash, the purpose and the tenant; yields the
/// token's user when it was live.
pub(crate) use insert_one_time_token;

const USE_TOKEN: &str = "UPDATE one_time_tokens SET used_at = $1 \
     WHERE secret_hash = $2 AND purpose = $3 AND tenant_id = $4 AND used_at IS NULL AND expires_at > $1 \
     RETURNING user_id";

/// A sign-up's confirmation token (`t`) of its user (`u`): not an address change's (which
/// carries the new address), for an account whose address was never proven, not banned, and
/// holding no passkey yet. Only such a token may make an account's first passkey.
const SIGN_UP_TOKEN: &str = "t.email IS NULL AND u.email_verified_at IS NULL AND NOT u.disabled \
    AND NOT EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = u.id)";

#[async_trait]
impl LifecycleStore for SqlStore {
    async fn register_user(
        &self,
        user: &NewUser,
        password: Option<&PasswordHash>,
        verification: Option<(&NewOneTimeToken, &Mail)>,
    ) -> Result<User> {
        let id: i64 = on_pool!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            let id = match password {
                Some(password) => insert_user!(&mut tx, user, password)?,
                None => insert_user_row!(&mut tx, user)?,
            };
            if let Some((token, mail)) = verification {
                insert_one_time_token!(&mut tx, id, token)?;
                insert_mail!(&mut tx, &user.tenant_id, mail, user.created_at)?;
            }
            tx.commit().await.map(|_| id)
        })
        .map_err(store_error)?;
        self.user(&user.tenant_id, UserId(id))
            .await?
            .ok_or_else(|| StoreError::Other("user vanished after insert".into()))
    }

    async fn issue_one_time_token(
        &self,
        user: UserId,
        token: &NewOneTimeToken,
        mail: &Mail,
    ) -> Result<()> {
        on_pool!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            insert_one_time_token!(&mut tx, user.0, token)?;
            insert_mail!(&mut tx, &token.tenant_id, mail, token.created_at)?;
            tx.commit().await
        })
        .map_err(store_error)
    }

    async fn verify_email(
        &self,
        tenant: &TenantId,
        secret_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<(UserId, Option<String>)>> {
        let now = to_db(now);
        on_pool!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            let used: Option<(i64, Option<String>)> = sqlx::query_as(
                "UPDATE one_time_tokens SET used_at = $1 \
                 WHERE secret_hash = $2 AND purpose = $3 AND tenant_id = $4 AND used_at IS NULL \
                 AND expires_at > $1 RETURNING user_id, email",
            )
            .bind(now)
            .bind(secret_hash)
            .bind(TokenPurpose::VerifyEmail.as_str())
            .bind(tenant.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            let mut replaced = None;
            if let Some((user, email)) = &used {
                if email.is_some() {
                    replaced = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
                        .bind(user)
                        .fetch_optional(&mut *tx)
                        .await?;
                }
                // A pending address takes the old one's place only now, proven.
                sqlx::query(
                    "UPDATE users SET email = COALESCE($1, email), email_verified_at = $2, \
                     updated_at = $2 WHERE id = $3",
                )
                .bind(email.as_deref())
                .bind(now)
                .bind(user)
                .execute(&mut *tx)
                .await?;
            }
            let user = used.map(|(user, _)| (UserId(user), replaced));
            tx.commit().await.map(|_| user)
        })
        .map_err(store_error)
    }

    async fn verification_owner(
        &self,
        tenant: &TenantId,
        secret_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<UserId>> {
        let owner: Option<i64> = on_pool!(&self.pool, pool => {
            sqlx::query_scalar(&format!(
                "SELECT t.user_id FROM one_time_tokens t JOIN users u ON u.id = t.user_id \
                 WHERE t.secret_hash = $1 AND t.purpose = $2 AND t.tenant_id = $3 \
                 AND t.used_at IS NULL AND t.expires_at > $4 AND {SIGN_UP_TOKEN}"
            ))
            .bind(secret_hash)
            .bind(TokenPurpose::VerifyEmail.as_str())
            .bind(tenant.as_str())
            .bind(to_db(now))
            .fetch_optional(pool)
            .await
        })
        .map_err(store_error)?;
        Ok(owner.map(UserId))
    }

    async fn confirm_with_passkey(
        &self,
        secret_hash: &str,
        passkey: &NewPasskey,
        activity: &NewActivity,
    ) -> Result<Option<Passkey>> {
        let now = to_db(passkey.created_at);
        let row: Option<PasskeyRow> = on_pool!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            let used: Option<i64> = sqlx::query_scalar(&format!(
                "UPDATE one_time_tokens SET used_at = $1 \
                 WHERE secret_hash = $2 AND purpose = $3 AND tenant_id = $4 AND user_id = $5 \
                 AND used_at IS NULL AND expires_at > $1 AND user_id IN \
                 (SELECT u.id FROM users u JOIN one_time_tokens t ON t.user_id = u.id \
                  WHERE t.secret_hash = $2 AND {SIGN_UP_TOKEN}) RETURNING user_id"
            ))
            .bind(now)
            .bind(secret_hash)
            .bind(TokenPurpose::VerifyEmail.as_str())
            .bind(passkey.tenant_id.as_str())
            .bind(passkey.user_id.0)
            .fetch_optional(&mut *tx)
            .await?;
            if used.is_none() {
                tx.rollback().await?;
                return Ok(None);
            }
            sqlx::query("UPDATE users SET email_verified_at = $1, updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(passkey.user_id.0)
                .execute(&mut *tx)
                .await?;
            // Whatever was set up before the address was proven is not the owner's: a password
            // someone chose at sign-up with this address, and any session it opened.
            sqlx::query("DELETE FROM credentials WHERE user_id = $1")
                .bind(passkey.user_id.0)
                .execute(&mut *tx)
                .await?;
            end_all_sessions!(&mut tx, passkey.user_id.0, None, now)?;
            let row = insert_passkey!(&mut tx, passkey)?;
            insert_activity!(&mut *tx, activity)?;
            tx.commit().await.map(|_| Some(row))
        })
        .map_err(store_error)?;
        row.map(Passkey::try_from).transpose()
    }

    async fn reset_password(
        &self,
        tenant: &TenantId,
        email: &str,
        secret_hash: &str,
        password: &PasswordHash,
        activity: &NewActivity,
    ) -> Result<Option<UserId>> {
        let now = to_db(activity.created_at);
        on_pool!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            let owner: Option<i64> = sqlx::query_scalar(
                "SELECT t.user_id FROM one_time_tokens t JOIN users u ON u.id = t.user_id \
                 WHERE t.secret_hash = $1 AND t.purpose = $2 AND t.tenant_id = $3 \
                 AND lower(u.email) = lower($4)",
            )
            .bind(secret_hash)
            .bind(TokenPurpose::PasswordReset.as_str())
            .bind(tenant.as_str())
            .bind(email)
            .fetch_optional(&mut *tx)
            .await?;
            let used: Option<i64> = match owner {
                Some(_) => sqlx::query_scalar(USE_TOKEN)
                    .bind(now)
                    .bind(secret_hash)
                    .bind(TokenPurpose::PasswordReset.as_str())
                    .bind(tenant.as_str())
                    .fetch_optional(&mut *tx)
                    .await?,
                None => None,
            };
            let Some(user) = used else {
                tx.rollback().await?;
                return Ok(None);
            };
            set_password!(&mut tx, user, password, now)?;
            end_all_sessions!(&mut tx, user, None, now)?;
            // A reset takes the account back: a passkey someone else added goes too.
            sqlx::query("DELETE FROM passkeys WHERE user_id = $1")
                .bind(user)
                .execute(&mut *tx)
                .await?;
            let activity = NewActivity {
                user_id: Some(UserId(user)),
                ..activity.clone()
            };
            insert_activity!(&mut *tx, &activity)?;
            tx.commit().await.map(|_| Some(UserId(user)))
        })
        .map_err(store_error)
    }

    async fn admin_emails(&self, tenant: &TenantId) -> Result<Vec<String>> {
        on_pool!(&self.pool, pool => {
            sqlx::query_scalar(
                "SELECT u.email FROM users u JOIN roles r ON r.id = u.role_id \
                 WHERE u.tenant_id = $1 AND r.name = 'Admin' AND NOT u.disabled ORDER BY u.id",
            )
            .bind(tenant.as_str())
            .fetch_all(pool)
            .await
        })
        .map_err(store_error)
    }
}
