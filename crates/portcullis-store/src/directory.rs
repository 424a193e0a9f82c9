use crate::activity::{audited_write, contains_pattern, insert_activity};
use crate::error::{store_error, Result};
use crate::logout_notices::queue_logout_notices;
use crate::pool::{on_pool, Backends, BeginWrite};
use crate::profile::{given, update_details};
use crate::rows::{opt_to_db, to_db, UserRow, USER_COLUMNS};
use crate::sql_store::SqlStore;
use crate::users::{end_all_sessions, insert_user, set_password};
use async_trait::async_trait;
use portcullis_core::ids::{TenantId, UserId};
use portcullis_core::model::{
    AccountWrite, DetailsChange, NewActivity, NewUser, Paging, PasswordHash, User, UserFilter,
    UserStatus,
};
use portcullis_core::store::{Counted, DirectoryStore, StatusCounts};
use time::OffsetDateTime;

/// Terms this long or longer are looked up in the trigram index; shorter ones are scanned.
const TRIGRAM: usize = 3;

/// The SQL condition for a search, and the value it binds as `$2`. The text searched must
/// match the one each backend's index is built on (see the `user_search` migrations).
fn search_condition(backends: &Backends, term: &str) -> (&'static str, String) {
    match backends {
        Backends::Sqlite(_) if term.chars().count() >= TRIGRAM => (
            "u.id IN (SELECT rowid FROM users_search WHERE users_search MATCH $2)",
            // One quoted phrase: the trigram tokenizer then matches it as a substring, with
            // every character (FTS5 operators included) taken literally.
            format!("\"{}\"", term.replace('"', "\"\"")),
        ),
        Backends::Sqlite(_) => (
            "u.id IN (SELECT rowid FROM users_search WHERE search_text LIKE $2 ESCAPE '\\')",
            contains_pattern(term),
        ),
        Backends::Postgres(_) => (
            "lower(coalesce(u.username, '') || ' ' || u.email || ' ' || coalesce(u.first_name, '') \
             || ' ' || coalesce(u.last_name, '')) LIKE $2 ESCAPE '\\'",
            contains_pattern(term),
        ),
    }
}

fn status_condition(filter: &UserFilter) -> &'static str {
    match filter.status {
        None => "",
        Some(UserStatus::Banned) => " AND u.disabled",
        Some(UserStatus::Unconfirmed) if filter.unverified_is_unconfirmed => {
            " AND NOT u.disabled AND u.email_verified_at IS NULL"
        }
        Some(UserStatus::Unconfirmed) => " AND FALSE",
        Some(UserStatus::Active) if filter.unverified_is_unconfirmed => {
            " AND NOT u.disabled AND u.email_verified_at IS NOT NULL"
        }
        Some(UserStatus::Active) => " AND NOT u.disabled",
    }
}

#[async_trait]
impl DirectoryStore for SqlStore {
    async fn list_users(
        &self,
        tenant: &TenantId,
        filter: &UserFilter,
        paging: Paging,
    ) -> Result<(Vec<User>, i64)> {
        let (search, term) = match filter.search.as_deref() {
            Some(term) => {
                let (condition, value) = search_condition(&self.pool.backends, term);
                (format!(" AND {condition}"), Some(value))
            }
            // `$2` still appears, so that both shapes bind the same parameters.
            None => (" AND $2 IS NULL".to_owned(), None),
        };
        // A role id is a number: written into the statement, it cannot change its meaning.
        let role = filter
            .role
            .map(|role| format!(" AND u.role_id = {}", role.0))
            .unwrap_or_default();
        let condition = format!("u.tenant_id = $1{search}{}{role}", status_condition(filter));
        let count_sql = format!("SELECT COUNT(*) FROM users u WHERE {condition}");
        let page_sql = format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE {condition} \
             ORDER BY u.id DESC LIMIT $3 OFFSET $4"
        );
        let (total, rows): (i64, Vec<UserRow>) = on_pool!(&self.pool, pool => {
            let total: i64 = sqlx::query_scalar(&count_sql)
                .bind(tenant.as_str())
                .bind(&term)
                .fetch_one(pool)
                .await?;
            let rows = sqlx::query_as(&page_sql)
                .bind(tenant.as_str())
                .bind(&term)
                .bind(paging.per_page)
                .bind(paging.offset())
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

    async fn create_account(
        &self,
        user: &NewUser,
        password: &PasswordHash,
        details: &DetailsChange,
        disabled: bool,
        activity: &NewActivity,
    ) -> Result<User> {
        let now = to_db(user.created_at);
        let id: i64 = audited_write!(&self.pool, activity, |tx| {
            let id = insert_user!(&mut tx, user, password)?;
            update_details!(&mut *tx, UserId(id), details, now)?;
            sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
                .bind(disabled)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            id
        })?;
        self.reload(UserId(id)).await
    }

    async fn update_account(&self, write: &AccountWrite, now: OffsetDateTime) -> Result<User> {
        let now = to_db(now);
        let user = write.user.0;
        let (username_given, username) = given(&write.username);
        let (verified_given, verified) = given(&write.email_verified_at);
        let keep = write.keep_session.as_ref().map(|s| s.as_str().to_owned());
        on_pool!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            update_details!(&mut *tx, write.user, &write.details, now)?;
            sqlx::query(
                "UPDATE users SET email = COALESCE($1, email), \
                 username = CASE WHEN $2 THEN $3 ELSE username END, \
                 role_id = COALESCE($4, role_id), disabled = COALESCE($5, disabled), \
                 email_verified_at = CASE WHEN $6 THEN $7 ELSE email_verified_at END \
                 WHERE id = $8",
            )
            .bind(&write.email)
            .bind(username_given)
            .bind(&username)
            .bind(write.role.map(|r| r.0))
            .bind(write.disabled)
            .bind(verified_given)
            .bind(opt_to_db(verified))
            .bind(user)
            .execute(&mut *tx)
            .await?;
            if let Some(password) = &write.password {
                set_password!(&mut tx, user, password, now)?;
            }
            if write.end_sessions {
                end_all_sessions!(&mut tx, user, keep.as_deref(), now)?;
            }
            insert_activity!(&mut *tx, &write.activity)?;
            tx.commit().await
        })
        .map_err(store_error)?;
        self.reload(write.user).await
    }

    async fn delete_user(&self, user: UserId, activity: &NewActivity) -> Result<()> {
        let now = to_db(activity.created_at);
        audited_write!(&self.pool, activity, |tx| {
            // The user's sessions go with it: the applications they signed in to are told.
            queue_logout_notices!(&mut tx, now, user: user.0, keep: None)?;
            sqlx::query("DELETE FROM users WHERE id = $1")
                .bind(user.0)
                .execute(&mut *tx)
                .await?;
        })
    }

    async fn count_in_windows(
        &self,
        what: Counted,
        tenant: &TenantId,
        user: Option<UserId>,
        bounds: &[OffsetDateTime],
    ) -> Result<Vec<i64>> {
        let windows = bounds.len().saturating_sub(1);
        if windows == 0 {
            return Ok(Vec::new());
        }
        let (table, user_column) = match what {
            Counted::Registrations => ("users", "id"),
            Counted::Activities => ("activities", "user_id"),
            Counted::SignIns => ("sessions", "user_id"),
        };
        // $1 tenant, $2 user, then the bounds from $3: one COUNT per window.
        let counts = (0..windows)
            .map(|i| {
                format!(
                    "COUNT(CASE WHEN created_at >= ${} AND created_at < ${} THEN 1 END)",
                    i + 3,
                    i + 4
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {counts} FROM {table} WHERE tenant_id = $1 \
             AND ($2 IS NULL OR {user_column} = $2) \
             AND created_at >= $3 AND created_at < ${}",
            windows + 3
        );
        let user = user.map(|u| u.0);
        on_pool!(&self.pool, pool => {
            let mut query = sqlx::query(&sql).bind(tenant.as_str()).bind(user);
            for bound in bounds {
                query = query.bind(to_db(*bound));
            }
            let row = query.fetch_one(pool).await?;
            (0..windows)
                .map(|i| sqlx::Row::try_get::<i64, _>(&row, i))
                .collect::<std::result::Result<Vec<i64>, sqlx::Error>>()
        })
        .map_err(store_error)
    }

    async fn status_counts(
        &self,
        tenant: &TenantId,
        new_since: OffsetDateTime,
    ) -> Result<StatusCounts> {
        let (total, new, banned, unverified): (i64, i64, i64, i64) = on_pool!(&self.pool, pool => {
            sqlx::query_as(
                "SELECT COUNT(*), COUNT(CASE WHEN created_at >= $2 THEN 1 END), \
                 COUNT(CASE WHEN disabled THEN 1 END), \
                 COUNT(CASE WHEN NOT disabled AND email_verified_at IS NULL THEN 1 END) \
                 FROM users WHERE tenant_id = $1",
            )
            .bind(tenant.as_str())
            .bind(to_db(new_since))
            .fetch_one(pool)
            .await
        })
        .map_err(store_error)?;
        Ok(StatusCounts {
            total,
            new,
            banned,
            unverified,
        })
    }
}
