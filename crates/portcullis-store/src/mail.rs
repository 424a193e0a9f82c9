use crate::error::{store_error, Result};
use crate::pool::{on_pool, on_writer, BeginWrite};
use crate::rows::{from_db, to_db};
use crate::sql_store::SqlStore;
use async_trait::async_trait;
use portcullis_core::ids::TenantId;
use portcullis_core::model::{Mail, QueuedMail};
use portcullis_core::store::MailStore;
use sqlx::FromRow;
use time::OffsetDateTime;

/// Queues a message inside the transaction `$tx`, due at once.
macro_rules! insert_mail {
    ($tx:expr, $tenant:expr, $mail:expr, $now:expr) => {
        async {
            let (tenant, mail, now): (
                &portcullis_core::ids::TenantId,
                &portcullis_core::model::Mail,
                time::OffsetDateTime,
            ) = ($tenant, $mail, $now);
            let now = $crate::rows::to_db(now);
            sqlx::query(
                "INSERT INTO mail_queue (tenant_id, recipient, subject, text_body, html_body, \
                 next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
            )
            .bind(tenant.as_str())
            .bind(&mail.to)
            .bind(&mail.subject)
            .bind(&mail.text)
            .bind(&mail.html)
            .bind(now)
            .execute(&mut **$tx)
            .await
            .map(|_| ())
        }
        .await
    };
}
pub(crate) use insert_mail;

#[derive(FromRow)]
struct QueuedRow {
    id: i64,
    recipient: String,
    subject: String,
    text_body: String,
    html_body: String,
    attempts: i64,
    next_attempt_at: i64,
}

impl From<QueuedRow> for QueuedMail {
    fn from(row: QueuedRow) -> Self {
        Self {
            id: row.id,
            mail: Mail {
                to: row.recipient,
                subject: row.subject,
                text: row.text_body,
                html: row.html_body,
            },
            attempts: row.attempts,
            next_attempt_at: from_db(row.next_attempt_at),
        }
    }
}

#[async_trait]
impl MailStore for SqlStore {
    async fn enqueue_mail(
        &self,
        tenant: &TenantId,
        mail: &Mail,
        now: OffsetDateTime,
    ) -> Result<()> {
        on_pool!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            insert_mail!(&mut tx, tenant, mail, now)?;
            tx.commit().await
        })
        .map_err(store_error)
    }

    async fn claim_due_mail(
        &self,
        now: OffsetDateTime,
        claimed_until: OffsetDateTime,
        limit: i64,
    ) -> Result<Vec<QueuedMail>> {
        // The outer condition is checked again on each row as it is updated, so when two nodes
        // race for a row, the second finds it already moved into the future and skips it.
        let rows: Vec<QueuedRow> = on_writer!(&self.pool, pool => {
            sqlx::query_as(
                "UPDATE mail_queue SET next_attempt_at = $1 \
                 WHERE id IN (SELECT id FROM mail_queue WHERE sent_at IS NULL AND next_attempt_at <= $2 \
                              ORDER BY next_attempt_at LIMIT $3) \
                 AND sent_at IS NULL AND next_attempt_at <= $2 \
                 RETURNING id, recipient, subject, text_body, html_body, attempts, next_attempt_at",
            )
            .bind(to_db(claimed_until))
            .bind(to_db(now))
            .bind(limit)
            .fetch_all(pool)
            .await
        })
        .map_err(store_error)?;
        Ok(rows.into_iter().map(QueuedMail::from).collect())
    }

    async fn mail_sent(&self, id: i64, now: OffsetDateTime) -> Result<()> {
        on_writer!(&self.pool, pool => {
            sqlx::query("UPDATE mail_queue SET sent_at = $1, attempts = attempts + 1, last_error = NULL WHERE id = $2")
                .bind(to_db(now))
                .bind(id)
                .execute(pool)
                .await
                .map(|_| ())
        })
        .map_err(store_error)
    }

    async fn mail_failed(
        &self,
        id: i64,
        error: &str,
        next_attempt_at: OffsetDateTime,
    ) -> Result<()> {
        let error: String = error.chars().take(1000).collect();
        on_writer!(&self.pool, pool => {
            sqlx::query(
                "UPDATE mail_queue SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2 \
                 WHERE id = $3",
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
}
