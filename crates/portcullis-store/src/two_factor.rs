use crate::activity::audited_write;
use crate::error::{store_error, Result};
use crate::mail::insert_mail;
use crate::pool::{on_pool, on_writer, BeginWrite};
use crate::rows::{from_db, opt_from_db, to_db};
use crate::sql_store::SqlStore;
use async_trait::async_trait;
use portcullis_core::ids::{TenantId, UserId};
use portcullis_core::model::{
    Challenge, Mail, Method, NewActivity, NewChallenge, NewTwoFactor, TwoFactor, User,
};
use portcullis_core::store::TwoFactorStore;
use portcullis_core::StoreError;
use sqlx::FromRow;
use time::OffsetDateTime;

#[derive(FromRow)]
struct TwoFactorRow {
    user_id: i64,
    method: String,
    totp_secret: Option<String>,
    last_totp_step: Option<i64>,
    confirmed_at: Option<i64>,
}

#[derive(FromRow)]
struct ChallengeRow {
    tenant_id: String,
    user_id: i64,
    code_hash: Option<String>,
    client: String,
    attempts: i64,
    expires_at: i64,
    used_at: Option<i64>,
    amr: String,
}

impl SqlStore {
    async fn reload_user(&self, user: UserId) -> Result<User> {
        self.user_by_id(user)
            .await?
            .ok_or_else(|| StoreError::Other("user vanished after update".into()))
    }
}

#[async_trait]
impl TwoFactorStore for SqlStore {
    async fn totp_seeds_not(&self, sealed: &str) -> Result<Vec<(UserId, String)>> {
        let rows: Vec<(i64, String)> = on_pool!(&self.pool, pool => {
            sqlx::query_as(
                "SELECT user_id, totp_secret FROM two_factor \
                 WHERE totp_secret IS NOT NULL AND totp_secret NOT LIKE $1",
            )
            .bind(format!("{sealed}%"))
            .fetch_all(pool)
            .await
        })
        .map_err(store_error)?;
        Ok(rows
            .into_iter()
            .map(|(user, seed)| (UserId(user), seed))
            .collect())
    }

    async fn replace_totp_seed(&self, user: UserId, old: &str, new: &str) -> Result<bool> {
        on_writer!(&self.pool, pool => {
            sqlx::query("UPDATE two_factor SET totp_secret = $1 WHERE user_id = $2 AND totp_secret = $3")
                .bind(new)
                .bind(user.0)
                .bind(old)
                .execute(pool)
                .await
                .map(|done| done.rows_affected() == 1)
        })
        .map_err(store_error)
    }

    async fn two_factor(&self, user: UserId) -> Result<Option<TwoFactor>> {
        let row: Option<TwoFactorRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(
                "SELECT user_id, method, totp_secret, last_totp_step, confirmed_at \
                 FROM two_factor WHERE user_id = $1",
            )
            .bind(user.0)
            .fetch_optional(pool)
            .await
        })
        .map_err(store_error)?;
        row.map(|r| {
            Ok(TwoFactor {
                user_id: UserId(r.user_id),
                method: Method::parse(&r.method).ok_or_else(|| {
                    StoreError::Other(format!("unknown 2FA method {:?}", r.method))
                })?,
                totp_secret: r.totp_secret,
                last_totp_step: r.last_totp_step,
                confirmed_at: opt_from_db(r.confirmed_at),
            })
        })
        .transpose()
    }

    async fn set_two_factor(
        &self,
        user: UserId,
        setup: &NewTwoFactor,
        activity: &NewActivity,
        now: OffsetDateTime,
    ) -> Result<User> {
        let now = to_db(now);
        let confirmed = setup.confirmed.then_some(now);
        let options = serde_json::json!({ "method": setup.method.as_str() }).to_string();
        let (country, phone) = match &setup.phone {
            Some((country, phone)) => (Some(*country), Some(phone.clone())),
            None => (None, None),
        };
        audited_write!(&self.pool, activity, |tx| {
            sqlx::query("DELETE FROM two_factor WHERE user_id = $1")
                .bind(user.0)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO two_factor (user_id, method, totp_secret, confirmed_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(user.0)
            .bind(setup.method.as_str())
            .bind(&setup.totp_secret)
            .bind(confirmed)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE users SET two_factor_country_code = $1, two_factor_phone = $2, \
                 two_factor_options = $3, updated_at = $4 WHERE id = $5",
            )
            .bind(country)
            .bind(&phone)
            .bind(&options)
            .bind(now)
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        })?;
        self.reload_user(user).await
    }

    async fn confirm_totp(
        &self,
        user: UserId,
        (sealed, step): (&str, i64),
        activity: &NewActivity,
        now: OffsetDateTime,
    ) -> Result<bool> {
        on_pool!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            // Only the setup whose key was checked: one started again meanwhile stays pending.
            let done = sqlx::query(
                "UPDATE two_factor SET confirmed_at = $1, last_totp_step = $2 \
                 WHERE user_id = $3 AND confirmed_at IS NULL AND totp_secret = $4",
            )
            .bind(to_db(now))
            .bind(step)
            .bind(user.0)
            .bind(sealed)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if done {
                crate::activity::insert_activity!(&mut *tx, activity)?;
            }
            tx.commit().await.map(|_| done)
        })
        .map_err(store_error)
    }

    async fn record_totp_step(&self, user: UserId, step: i64) -> Result<bool> {
        let done = on_writer!(&self.pool, pool => {
            sqlx::query(
                "UPDATE two_factor SET last_totp_step = $1 \
                 WHERE user_id = $2 AND (last_totp_step IS NULL OR last_totp_step < $1)",
            )
            .bind(step)
            .bind(user.0)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })
        .map_err(store_error)?;
        Ok(done == 1)
    }

    async fn clear_two_factor(
        &self,
        user: UserId,
        activity: &NewActivity,
        now: OffsetDateTime,
    ) -> Result<User> {
        audited_write!(&self.pool, activity, |tx| {
            for table in ["two_factor", "recovery_codes", "login_challenges"] {
                sqlx::query(&format!("DELETE FROM {table} WHERE user_id = $1"))
                    .bind(user.0)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(
                "UPDATE users SET two_factor_country_code = NULL, two_factor_phone = NULL, \
                 two_factor_options = NULL, updated_at = $1 WHERE id = $2",
            )
            .bind(to_db(now))
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        })?;
        self.reload_user(user).await
    }

    async fn replace_recovery_codes(
        &self,
        user: UserId,
        hashes: &[String],
        activity: &NewActivity,
    ) -> Result<()> {
        audited_write!(&self.pool, activity, |tx| {
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                .bind(user.0)
                .execute(&mut *tx)
                .await?;
            for hash in hashes {
                sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                    .bind(user.0)
                    .bind(hash)
                    .execute(&mut *tx)
                    .await?;
            }
        })
    }

    async fn use_recovery_code(
        &self,
        user: UserId,
        hash: &str,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let done = on_writer!(&self.pool, pool => {
            sqlx::query(
                "UPDATE recovery_codes SET used_at = $1 \
                 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
            )
            .bind(to_db(now))
            .bind(user.0)
            .bind(hash)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })
        .map_err(store_error)?;
        Ok(done >= 1)
    }

    async fn create_challenge(&self, challenge: &NewChallenge, mail: Option<&Mail>) -> Result<()> {
        let c = &challenge.challenge;
        on_pool!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO login_challenges (id_hash, tenant_id, user_id, code_hash, client, \
                 created_at, expires_at, amr) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&challenge.id_hash)
            .bind(c.tenant_id.as_str())
            .bind(c.user_id.0)
            .bind(&c.code_hash)
            .bind(&c.client)
            .bind(to_db(challenge.created_at))
            .bind(to_db(c.expires_at))
            .bind(c.amr.join(" "))
            .execute(&mut *tx)
            .await?;
            if let Some(mail) = mail {
                insert_mail!(&mut tx, &c.tenant_id, mail, challenge.created_at)?;
            }
            tx.commit().await
        })
        .map_err(store_error)
    }

    async fn challenge(&self, id_hash: &str) -> Result<Option<Challenge>> {
        let row: Option<ChallengeRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(
                "SELECT tenant_id, user_id, code_hash, client, attempts, expires_at, used_at, amr \
                 FROM login_challenges WHERE id_hash = $1",
            )
            .bind(id_hash)
            .fetch_optional(pool)
            .await
        })
        .map_err(store_error)?;
        Ok(row.map(|r| Challenge {
            tenant_id: TenantId(r.tenant_id),
            user_id: UserId(r.user_id),
            code_hash: r.code_hash,
            client: r.client,
            amr: r.amr.split_whitespace().map(str::to_owned).collect(),
            attempts: r.attempts,
            expires_at: from_db(r.expires_at),
            used: r.used_at.is_some(),
        }))
    }

    async fn claim_challenge_attempt(
        &self,
        id_hash: &str,
        now: OffsetDateTime,
        max_attempts: i64,
    ) -> Result<bool> {
        let now = to_db(now);
        let claimed = on_writer!(&self.pool, pool => {
            sqlx::query(
                "UPDATE login_challenges SET attempts = attempts + 1 \
                 WHERE id_hash = $1 AND used_at IS NULL AND expires_at > $2 AND attempts < $3",
            )
            .bind(id_hash)
            .bind(now)
            .bind(max_attempts)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })
        .map_err(store_error)?;
        Ok(claimed == 1)
    }

    async fn use_challenge(&self, id_hash: &str, now: OffsetDateTime) -> Result<bool> {
        let now = to_db(now);
        let done = on_writer!(&self.pool, pool => {
            sqlx::query(
                "UPDATE login_challenges SET used_at = $1 \
                 WHERE id_hash = $2 AND used_at IS NULL AND expires_at > $1",
            )
            .bind(now)
            .bind(id_hash)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })
        .map_err(store_error)?;
        Ok(done == 1)
    }
}
