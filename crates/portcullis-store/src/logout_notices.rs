//! The back-channel logout outbox. Every statement that ends sessions is preceded, in its
//! transaction, by [`queue_logout_notices!`], so whatever ends a session (a sign-out, a ban, a
//! new password, an administrator, a deleted user) tells the applications that received tokens
//! in it.

use crate::activity::insert_activity;
use crate::error::{store_error, Result};
use crate::pool::{on_pool, on_writer, BeginWrite};
use crate::rows::{from_db, to_db};
use crate::sql_store::SqlStore;
use async_trait::async_trait;
use portcullis_core::ids::{SessionId, TenantId, UserId};
use portcullis_core::model::{LogoutNotice, NewActivity};
use portcullis_core::store::LogoutNoticeStore;
use sqlx::FromRow;
use time::OffsetDateTime;

/// A notice per application with a back-channel logout URI and per live session matching the
/// condition that follows (on `s`, the sessions; its parameters begin at `$2`), when the
/// application received tokens in that session (a grant of it has a refresh token: every token
/// response carries one) and still holds them (a revoked grant, as after the person withdrew
/// the application's access, learns nothing more). `$1` is now.
pub(crate) const QUEUE_LOGOUT_NOTICES: &str = "INSERT INTO logout_notices \
    (tenant_id, application_id, session_id, user_id, subject, next_attempt_at, created_at) \
    SELECT DISTINCT g.tenant_id, g.application_id, g.session_id, g.user_id, u.uid, $1, $1 \
    FROM oauth_grants g \
    JOIN sessions s ON s.id = g.session_id \
    JOIN applications a ON a.id = g.application_id \
    JOIN users u ON u.id = g.user_id \
    WHERE s.ended_at IS NULL AND g.revoked_at IS NULL AND a.backchannel_logout_uri IS NOT NULL \
    AND EXISTS (SELECT 1 FROM oauth_refresh_tokens r WHERE r.grant_id = g.id) AND ";

/// Queues the logout notices of sessions about to end, inside the transaction `$tx` (a `&mut
/// Transaction`), before the statement that ends them: either one session (`session: &str`) or
/// every session of a user but one (`user: i64, keep: Option<&str>`).
macro_rules! queue_logout_notices {
    ($tx:expr, $now:expr, session: $session:expr) => {{
        let (now, session): (i64, &str) = ($now, $session);
        sqlx::query(&format!(
            "{}s.id = $2",
            $crate::logout_notices::QUEUE_LOGOUT_NOTICES
        ))
        .bind(now)
        .bind(session)
        .execute(&mut **$tx)
        .await
        .map(|_| ())
    }};
    ($tx:expr, $now:expr, user: $user:expr, keep: $keep:expr) => {{
        let (now, user, keep): (i64, i64, Option<&str>) = ($now, $user, $keep);
        sqlx::query(&format!(
            "{}s.user_id = $2 AND ($3 IS NULL OR s.id <> $3)",
            $crate::logout_notices::QUEUE_LOGOUT_NOTICES
        ))
        .bind(now)
        .bind(user)
        .bind(keep)
        .execute(&mut **$tx)
        .await
        .map(|_| ())
    }};
}
pub(crate) use queue_logout_notices;

#[derive(FromRow)]
struct NoticeRow {
    id: i64,
    tenant_id: String,
    application_id: String,
    session_id: String,
    user_id: i64,
    subject: String,
    attempts: i64,
    created_at: i64,
}

impl From<NoticeRow> for LogoutNotice {
    fn from(row: NoticeRow) -> Self {
        Self {
            id: row.id,
            tenant_id: TenantId(row.tenant_id),
            application_id: row.application_id,
            session_id: SessionId(row.session_id),
            user_id: UserId(row.user_id),
            subject: row.subject,
            attempts: row.attempts,
            created_at: from_db(row.created_at),
        }
    }
}

/// Notices still to be tried.
const PENDING: &str = "delivered_at IS NULL AND gave_up_at IS NULL";

#[async_trait]
impl LogoutNoticeStore for SqlStore {
    async fn claim_due_logout_notices(
        &self,
        now: OffsetDateTime,
        claimed_until: OffsetDateTime,
        limit: i64,
    ) -> Result<Vec<LogoutNotice>> {
        // The outer condition is checked again on each row as it is updated, so when two nodes
        // race for a row, the second finds it already moved into the future and skips it.
        let sql = format!(
            "UPDATE logout_notices SET next_attempt_at = $1 \
             WHERE id IN (SELECT id FROM logout_notices WHERE {PENDING} AND next_attempt_at <= $2 \
                          ORDER BY next_attempt_at LIMIT $3) \
             AND {PENDING} AND next_attempt_at <= $2 \
             RETURNING id, tenant_id, application_id, session_id, user_id, subject, attempts, created_at"
        );
        let rows: Vec<NoticeRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql)
                .bind(to_db(claimed_until))
                .bind(to_db(now))
                .bind(limit)
                .fetch_all(pool)
                .await
        })
        .map_err(store_error)?;
        Ok(rows.into_iter().map(LogoutNotice::from).collect())
    }

    async fn logout_notice_delivered(
        &self,
        id: i64,
        now: OffsetDateTime,
        activity: &NewActivity,
        purge_before: OffsetDateTime,
    ) -> Result<()> {
        on_pool!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "UPDATE logout_notices SET delivered_at = $1, attempts = attempts + 1, \
                 last_error = NULL WHERE id = $2",
            )
            .bind(to_db(now))
            .bind(id)
            .execute(&mut *tx)
            .await?;
            sqlx::query(&format!(
                "DELETE FROM logout_notices WHERE id IN (SELECT id FROM logout_notices \
                 WHERE created_at < $1 AND NOT ({PENDING}) ORDER BY created_at LIMIT 20)"
            ))
            .bind(to_db(purge_before))
            .execute(&mut *tx)
            .await?;
            insert_activity!(&mut *tx, activity)?;
            tx.commit().await
        })
        .map_err(store_error)
    }

    async fn logout_notice_failed(
        &self,
        id: i64,
        error: &str,
        next_attempt_at: OffsetDateTime,
    ) -> Result<()> {
        let error: String = error.chars().take(1000).collect();
        on_writer!(&self.pool, pool => {
            sqlx::query(
                "UPDATE logout_notices SET attempts = attempts + 1, last_error = $1, \
                 next_attempt_at = $2 WHERE id = $3",
            )
            .bind(&error)
            .bind(to_db(next_attempt_at))
            .bind(id)
            .execute(pool)
            .await
            .map(|_| ())
        })
        .map_err(store_error)
    }

    async fn logout_notice_given_up(
        &self,
        id: i64,
        error: &str,
        now: OffsetDateTime,
        activity: &NewActivity,
    ) -> Result<()> {
        let error: String = error.chars().take(1000).collect();
        on_pool!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "UPDATE logout_notices SET attempts = attempts + 1, last_error = $1, \
                 gave_up_at = $2 WHERE id = $3",
            )
            .bind(&error)
            .bind(to_db(now))
            .bind(id)
            .execute(&mut *tx)
            .await?;
            insert_activity!(&mut *tx, activity)?;
            tx.commit().await
        })
        .map_err(store_error)
    }
}
