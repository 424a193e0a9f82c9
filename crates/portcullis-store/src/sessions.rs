use crate::access::insert_token;
use crate::activity::{audited_write, insert_activity};
use crate::error::{store_error, Result};
use crate::logout_notices::queue_logout_notices;
use crate::pool::{on_pool, on_writer, BeginWrite};
use crate::rows::{
    from_db, opt_from_db, to_db, TokenLookupRow, TOKEN_LOOKUP_COLUMNS, USER_COLUMNS,
};
use crate::sql_store::SqlStore;
use async_trait::async_trait;
use portcullis_core::ids::{SessionId, TenantId, TokenId, UserId};
use portcullis_core::model::{NewActivity, NewToken, Session, TokenLookup};
use portcullis_core::store::{LimitedLogin, SessionLimit, SessionStore};
use sqlx::FromRow;
use time::OffsetDateTime;

/// Inserts a login's session, its token, the user's `last_login` and the activity row inside
/// the transaction `$tx`, evaluating to the token's id.
macro_rules! insert_login {
    ($tx:expr, $session:expr, $token:expr, $activity:expr) => {{
        let session: &Session = $session;
        let tx = $tx;
        async {
            sqlx::query(
                "INSERT INTO sessions (id, tenant_id, user_id, ip_address, user_agent, browser, platform, device, \
                 client, created_at, last_activity, expires_at, amr) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12)",
            )
            .bind(session.id.as_str())
            .bind(session.tenant_id.as_str())
            .bind(session.user_id.0)
            .bind(&session.ip_address)
            .bind(&session.user_agent)
            .bind(&session.browser)
            .bind(&session.platform)
            .bind(&session.device)
            .bind(&session.client)
            .bind(to_db(session.created_at))
            .bind(to_db(session.expires_at))
            .bind(session.amr.join(" "))
            .execute(&mut **tx)
            .await?;
            let id = insert_token!(&mut **tx, $token)?;
            sqlx::query("UPDATE users SET last_login = $1 WHERE id = $2")
                .bind(to_db(session.created_at))
                .bind(session.user_id.0)
                .execute(&mut **tx)
                .await?;
            insert_activity!(&mut **tx, $activity)?;
            Ok::<i64, sqlx::Error>(id)
        }
        .await
    }};
}

#[async_trait]
impl SessionStore for SqlStore {
    async fn create_limited_login(
        &self,
        session: &Session,
        token: &NewToken,
        activity: &NewActivity,
        limit: &SessionLimit,
    ) -> Result<LimitedLogin> {
        let now = to_db(session.created_at);
        let user = session.user_id.0;
        let live_sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions \
             WHERE user_id = $1 AND ended_at IS NULL AND expires_at > $2 \
             ORDER BY last_activity DESC, id"
        );
        on_pool!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            // Taken first, this write lock (a row lock on PostgreSQL, the database's write lock
            // on SQLite) queues a user's concurrent logins, so the count below cannot go stale
            // before the insert.
            sqlx::query("UPDATE users SET id = id WHERE id = $1")
                .bind(user)
                .execute(&mut *tx)
                .await?;
            let mut ended = false;
            if let Some((end, ending)) = &limit.end_first {
                queue_logout_notices!(&mut tx, now, session: end.as_str())?;
                let done = sqlx::query(
                    "UPDATE sessions SET ended_at = $1 \
                     WHERE id = $2 AND user_id = $3 AND ended_at IS NULL AND expires_at > $1",
                )
                .bind(now)
                .bind(end.as_str())
                .bind(user)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Ok(LimitedLogin::UnknownSession);
                }
                sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE session_id = $2 AND revoked_at IS NULL")
                    .bind(now)
                    .bind(end.as_str())
                    .execute(&mut *tx)
                    .await?;
                insert_activity!(&mut *tx, ending)?;
                ended = true;
            }
            if let Some(max) = limit.max {
                let live: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM sessions WHERE user_id = $1 AND ended_at IS NULL AND expires_at > $2",
                )
                .bind(user)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                if live >= max {
                    let rows: Vec<SessionRow> =
                        sqlx::query_as(&live_sql).bind(user).bind(now).fetch_all(&mut *tx).await?;
                    // A session named to make room stays ended even when that was not enough.
                    if ended {
                        tx.commit().await?;
                    }
                    let sessions = rows.into_iter().map(Session::from).collect();
                    return Ok(LimitedLogin::Full { sessions, ended });
                }
            }
            let id = insert_login!(&mut tx, session, token, activity)?;
            tx.commit().await?;
            Ok(LimitedLogin::Created { token: TokenId(id), ended })
        })
        .map_err(store_error)
    }

    async fn lookup_token(&self, id: TokenId) -> Result<Option<TokenLookup>> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, {TOKEN_LOOKUP_COLUMNS} FROM tokens t \
             JOIN users u ON u.id = t.user_id \
             JOIN tenants tn ON tn.id = t.tenant_id \
             LEFT JOIN sessions s ON s.id = t.session_id \
             WHERE t.id = $1"
        );
        let row: Option<TokenLookupRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql).bind(id.0).fetch_optional(pool).await
        })
        .map_err(store_error)?;
        row.map(TokenLookup::try_from).transpose()
    }

    async fn touch_session(
        &self,
        session: &SessionId,
        token: TokenId,
        now: OffsetDateTime,
    ) -> Result<()> {
        let now = to_db(now);
        on_pool!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("UPDATE sessions SET last_activity = $1 WHERE id = $2")
                .bind(now)
                .bind(session.as_str())
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE tokens SET last_used_at = $1 WHERE id = $2")
                .bind(now)
                .bind(token.0)
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        })
        .map_err(store_error)
    }

    async fn touch_token(&self, token: TokenId, now: OffsetDateTime) -> Result<()> {
        on_writer!(&self.pool, pool => {
            sqlx::query("UPDATE tokens SET last_used_at = $1 WHERE id = $2")
                .bind(to_db(now))
                .bind(token.0)
                .execute(pool)
                .await
                .map(|_| ())
        })
        .map_err(store_error)
    }

    async fn end_session(
        &self,
        session: &SessionId,
        activity: &NewActivity,
        now: OffsetDateTime,
    ) -> Result<()> {
        let now = to_db(now);
        audited_write!(&self.pool, activity, |tx| {
            queue_logout_notices!(&mut tx, now, session: session.as_str())?;
            sqlx::query("UPDATE sessions SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL")
                .bind(now)
                .bind(session.as_str())
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE tokens SET revoked_at = $1 WHERE session_id = $2 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(session.as_str())
            .execute(&mut *tx)
            .await?;
        })
    }

    async fn revoke_token(
        &self,
        token: TokenId,
        activity: &NewActivity,
        now: OffsetDateTime,
    ) -> Result<()> {
        audited_write!(&self.pool, activity, |tx| {
            sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(to_db(now))
                .bind(token.0)
                .execute(&mut *tx)
                .await?;
        })
    }

    async fn session(&self, id: &SessionId) -> Result<Option<Session>> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id = $1");
        let row: Option<SessionRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql).bind(id.as_str()).fetch_optional(pool).await
        })
        .map_err(store_error)?;
        Ok(row.map(Session::from))
    }

    async fn live_sessions(&self, user: UserId, now: OffsetDateTime) -> Result<Vec<Session>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions \
             WHERE user_id = $1 AND ended_at IS NULL AND expires_at > $2 \
             ORDER BY last_activity DESC, id"
        );
        let rows: Vec<SessionRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql).bind(user.0).bind(to_db(now)).fetch_all(pool).await
        })
        .map_err(store_error)?;
        Ok(rows.into_iter().map(Session::from).collect())
    }
}

const SESSION_COLUMNS: &str = "id, tenant_id, user_id, ip_address, user_agent, browser, platform, \
    device, client, created_at, last_activity, expires_at, ended_at, amr";

#[derive(FromRow)]
struct SessionRow {
    id: String,
    tenant_id: String,
    user_id: i64,
    ip_address: Option<String>,
    user_agent: Option<String>,
    browser: Option<String>,
    platform: Option<String>,
    device: Option<String>,
    client: String,
    created_at: i64,
    last_activity: i64,
    expires_at: i64,
    ended_at: Option<i64>,
    amr: String,
}

impl From<SessionRow> for Session {
    fn from(row: SessionRow) -> Self {
        Self {
            id: SessionId(row.id),
            tenant_id: TenantId(row.tenant_id),
            user_id: UserId(row.user_id),
            ip_address: row.ip_address,
            user_agent: row.user_agent,
            browser: row.browser,
            platform: row.platform,
            device: row.device,
            client: row.client,
            created_at: from_db(row.created_at),
            last_activity: from_db(row.last_activity),
            expires_at: from_db(row.expires_at),
            ended_at: opt_from_db(row.ended_at),
            amr: row.amr.split_whitespace().map(str::to_owned).collect(),
        }
    }
}
