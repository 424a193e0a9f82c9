use crate::activity::{audited_write, insert_activity};
use crate::error::{store_error, Result};
use crate::lifecycle::insert_one_time_token;
use crate::mail::insert_mail;
use crate::pool::{on_pool, BeginWrite};
use crate::rows::to_db;
use crate::sql_store::SqlStore;
use crate::users::{end_all_sessions, set_password};
use async_trait::async_trait;
use portcullis_core::ids::UserId;
use portcullis_core::model::{
    AvatarImage, Change, CredentialsWrite, DetailsChange, NewActivity, User,
};
use portcullis_core::store::ProfileStore;
use portcullis_core::StoreError;
use sqlx::FromRow;
use time::OffsetDateTime;

pub(crate) const DATE: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

#[derive(FromRow)]
struct AvatarRow {
    name: String,
    content_type: String,
    bytes: Vec<u8>,
}

/// `(given, value)` for a `CASE WHEN given THEN value ELSE column END` update.
pub(crate) fn given<T: Clone>(change: &Change<T>) -> (bool, Option<T>) {
    (change.is_some(), change.clone().flatten())
}

/// Applies a [`DetailsChange`] to a user on any executor, so that other writes can include it
/// in their transaction.
macro_rules! update_details {
    ($executor:expr, $user:expr, $change:expr, $now:expr) => {{
        use $crate::profile::given;
        let (user, change, now): (UserId, &DetailsChange, i64) = ($user, $change, $now);
        let (first_given, first) = given(&change.first_name);
        let (last_given, last) = given(&change.last_name);
        let (birthday_given, birthday) = given(&change.birthday);
        let birthday = birthday.and_then(|d| d.format($crate::profile::DATE).ok());
        let (phone_given, phone) = given(&change.phone);
        let (address_given, address) = given(&change.address);
        let (country_given, country) = given(&change.country_id);
        sqlx::query(
            "UPDATE users SET \
             first_name = CASE WHEN $1 THEN $2 ELSE first_name END, \
             last_name = CASE WHEN $3 THEN $4 ELSE last_name END, \
             birthday = CASE WHEN $5 THEN $6 ELSE birthday END, \
             phone = CASE WHEN $7 THEN $8 ELSE phone END, \
             address = CASE WHEN $9 THEN $10 ELSE address END, \
             country_id = CASE WHEN $11 THEN $12 ELSE country_id END, \
             updated_at = $13 WHERE id = $14",
        )
        .bind(first_given)
        .bind(first)
        .bind(last_given)
        .bind(last)
        .bind(birthday_given)
        .bind(birthday)
        .bind(phone_given)
        .bind(phone)
        .bind(address_given)
        .bind(address)
        .bind(country_given)
        .bind(country)
        .bind(now)
        .bind(user.0)
        .execute($executor)
        .await
        .map(|_| ())
    }};
}
pub(crate) use update_details;

impl SqlStore {
    pub(crate) async fn reload(&self, user: UserId) -> Result<User> {
        self.user_by_id(user)
            .await?
            .ok_or_else(|| StoreError::Other("user vanished after update".into()))
    }
}

#[async_trait]
impl ProfileStore for SqlStore {
    async fn update_user_details(
        &self,
        user: UserId,
        change: &DetailsChange,
        now: OffsetDateTime,
    ) -> Result<User> {
        on_pool!(&self.pool, pool => update_details!(pool, user, change, to_db(now)))
            .map_err(store_error)?;
        self.reload(user).await
    }

    async fn update_credentials(
        &self,
        write: &CredentialsWrite,
        now: OffsetDateTime,
    ) -> Result<User> {
        let now = to_db(now);
        let (username_given, username) = given(&write.username);
        let user = write.user.0;
        on_pool!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "UPDATE users SET email = $1, \
                 username = CASE WHEN $2 THEN $3 ELSE username END, \
                 email_verified_at = CASE WHEN $4 THEN NULL ELSE email_verified_at END, \
                 updated_at = $5 WHERE id = $6",
            )
            .bind(&write.email)
            .bind(username_given)
            .bind(&username)
            .bind(write.unverify)
            .bind(now)
            .bind(user)
            .execute(&mut *tx)
            .await?;
            if let Some(password) = &write.password {
                set_password!(&mut tx, user, password, now)?;
                let keep = write.keep_session.as_ref().map(|s| s.as_str());
                end_all_sessions!(&mut tx, user, keep, now)?;
            }
            if let Some((token, mail)) = &write.reverify {
                insert_one_time_token!(&mut tx, user, token)?;
                insert_mail!(&mut tx, &token.tenant_id, mail, token.created_at)?;
            }
            for notice in &write.notices {
                insert_mail!(&mut tx, &write.activity.tenant_id, notice, write.activity.created_at)?;
            }
            insert_activity!(&mut *tx, &write.activity)?;
            tx.commit().await
        })
        .map_err(store_error)?;
        self.reload(write.user).await
    }

    async fn replace_avatar(
        &self,
        user: UserId,
        url: Option<&str>,
        image: Option<&AvatarImage>,
        activity: &NewActivity,
        now: OffsetDateTime,
    ) -> Result<User> {
        let now = to_db(now);
        let tenant = activity.tenant_id.as_str();
        audited_write!(&self.pool, activity, |tx| {
            sqlx::query("DELETE FROM avatars WHERE user_id = $1")
                .bind(user.0)
                .execute(&mut *tx)
                .await?;
            if let Some(image) = image {
                sqlx::query(
                    "INSERT INTO avatars (name, tenant_id, user_id, content_type, bytes, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&image.name)
                .bind(tenant)
                .bind(user.0)
                .bind(&image.content_type)
                .bind(&image.bytes)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query("UPDATE users SET avatar = $1, updated_at = $2 WHERE id = $3")
                .bind(url)
                .bind(now)
                .bind(user.0)
                .execute(&mut *tx)
                .await?;
        })?;
        self.reload(user).await
    }

    async fn avatar(&self, name: &str) -> Result<Option<AvatarImage>> {
        let row: Option<AvatarRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as("SELECT name, content_type, bytes FROM avatars WHERE name = $1")
                .bind(name)
                .fetch_optional(pool)
                .await
        })
        .map_err(store_error)?;
        Ok(row.map(|r| AvatarImage {
            name: r.name,
            content_type: r.content_type,
            bytes: r.bytes,
        }))
    }
}
