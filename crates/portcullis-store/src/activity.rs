use crate::error::{store_error, Result};
use crate::pool::{on_pool, on_writer};
use crate::rows::{from_db, to_db};
use crate::sql_store::SqlStore;
use async_trait::async_trait;
use portcullis_core::ids::{TenantId, UserId};
use portcullis_core::model::{Activity, ActivityFilter, NewActivity, Paging};
use portcullis_core::store::ActivityStore;
use sqlx::FromRow;

pub(crate) const INSERT_ACTIVITY: &str = "INSERT INTO activities \
    (tenant_id, user_id, ip_address, user_agent, description, created_at) VALUES ($1, $2, $3, $4, $5, $6)";

/// Inserts an activity row on any executor, so other writes can include it in their
/// transaction.
macro_rules! insert_activity {
    ($executor:expr, $activity:expr) => {{
        let a: &portcullis_core::model::NewActivity = $activity;
        sqlx::query($crate::activity::INSERT_ACTIVITY)
            .bind(a.tenant_id.as_str())
            .bind(a.user_id.map(|id| id.0))
            .bind(a.ip_address.as_deref())
            .bind(a.user_agent.as_deref())
            .bind(a.description.as_str())
            .bind($crate::rows::to_db(a.created_at))
            .execute($executor)
            .await
            .map(|_| ())
    }};
}
pub(crate) use insert_activity;

/// A change and the activity row that records it, in one write transaction: both land or
/// neither. The body runs with the transaction bound to `$tx`; its value is the result.
macro_rules! audited_write {
    ($pool:expr, $activity:expr, |$tx:ident| $body:block) => {
        $crate::pool::on_pool!($pool, pool => {
            let mut $tx = pool.begin_write().await?;
            let value = $body;
            $crate::activity::insert_activity!(&mut *$tx, $activity)?;
            $tx.commit().await.map(|_| value)
        })
        .map_err($crate::error::store_error)
    };
}
pub(crate) use audited_write;

#[derive(FromRow)]
struct ActivityRow {
    id: i64,
    user_id: Option<i64>,
    ip_address: Option<String>,
    user_agent: Option<String>,
    description: String,
    created_at: i64,
}

/// `text` as a `LIKE` pattern that matches it anywhere, with `%`, `_` and `\` taken literally
/// (the queries say `ESCAPE '\'`).
pub(crate) fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[async_trait]
impl ActivityStore for SqlStore {
    async fn record_activity(&self, activity: &NewActivity) -> Result<()> {
        on_writer!(&self.pool, pool => insert_activity!(pool, activity)).map_err(store_error)
    }

    async fn activities(
        &self,
        tenant: &TenantId,
        filter: &ActivityFilter,
        paging: Paging,
    ) -> Result<(Vec<Activity>, i64)> {
        let ActivityFilter {
            user,
            search,
            ip_address,
            from,
            until,
            kind,
        } = filter;
        // $2 to $6 are optional filters: NULL means "any". A kind adds its patterns as $7…,
        // numbered in the order they appear, then come the limit and offset.
        let patterns = kind.map(|k| k.patterns()).unwrap_or_default();
        let kind_filter = match patterns.len() {
            0 => String::new(),
            n => format!(
                " AND ({})",
                (7..7 + n)
                    .map(|i| format!("lower(description) LIKE ${i}"))
                    .collect::<Vec<_>>()
                    .join(" OR ")
            ),
        };
        let filter = format!(
            "tenant_id = $1 AND ($2 IS NULL OR user_id = $2) \
             AND ($3 IS NULL OR lower(description) LIKE $3 ESCAPE '\\') \
             AND ($4 IS NULL OR ip_address = $4) \
             AND ($5 IS NULL OR created_at >= $5) AND ($6 IS NULL OR created_at < $6){kind_filter}"
        );
        let (from, until) = (from.map(to_db), until.map(to_db));
        let count_sql = format!("SELECT COUNT(*) FROM activities WHERE {filter}");
        let (limit, offset) = (7 + patterns.len(), 8 + patterns.len());
        let page_sql = format!(
            "SELECT id, user_id, ip_address, user_agent, description, created_at FROM activities \
             WHERE {filter} ORDER BY created_at DESC, id DESC LIMIT ${limit} OFFSET ${offset}"
        );
        let user = user.map(|u| u.0);
        let pattern = search.as_deref().map(contains_pattern);
        let (total, rows): (i64, Vec<ActivityRow>) = on_pool!(&self.pool, pool => {
            let mut count = sqlx::query_scalar(&count_sql)
                .bind(tenant.as_str())
                .bind(user)
                .bind(&pattern)
                .bind(ip_address)
                .bind(from)
                .bind(until);
            for kind_pattern in patterns {
                count = count.bind(*kind_pattern);
            }
            let total: i64 = count.fetch_one(pool).await?;
            let mut page = sqlx::query_as(&page_sql)
                .bind(tenant.as_str())
                .bind(user)
                .bind(&pattern)
                .bind(ip_address)
                .bind(from)
                .bind(until);
            for kind_pattern in patterns {
                page = page.bind(*kind_pattern);
            }
            let rows = page
                .bind(paging.per_page)
                .bind(paging.offset())
                .fetch_all(pool)
                .await?;
            Ok::<_, sqlx::Error>((total, rows))
        })
        .map_err(store_error)?;
        let items = rows
            .into_iter()
            .map(|r| Activity {
                id: r.id,
                user_id: r.user_id.map(UserId),
                ip_address: r.ip_address,
                user_agent: r.user_agent,
                browser: None,
                platform: None,
                device: None,
                description: r.description,
                created_at: from_db(r.created_at),
            })
            .collect();
        Ok((items, total))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(super::contains_pattern("Logged"), "%logged%");
        assert_eq!(super::contains_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
