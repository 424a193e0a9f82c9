use crate::activity::insert_activity;
use crate::error::{store_error, Result};
use crate::pool::on_pool;
use crate::rows::to_db;
use crate::SqlStore;
use portcullis_core::avatars::AvatarImage;
use portcullis_core::ids::UserId;
use portcullis_core::model::{NewActivity, User};
use portcullis_core::StoreError;
use sqlx::FromRow;
use time::OffsetDateTime;

#[derive(FromRow)]
struct AvatarRow {
    name: String,
    content_type: String,
    bytes: Vec<u8>,
}

impl SqlStore {
    pub(crate) async fn write_avatar(
        &self,
        user: UserId,
        url: Option<&str>,
        image: Option<&AvatarImage>,
        activity: &NewActivity,
        now: OffsetDateTime,
    ) -> Result<User> {
        let now = to_db(now);
        let tenant = activity.tenant_id.as_str();
        on_pool!(&self.pool, pool => {
            let mut tx = pool.begin().await?;
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
            insert_activity!(&mut *tx, activity)?;
            tx.commit().await
        })
        .map_err(store_error)?;
        self.user_by_id(user)
            .await?
            .ok_or_else(|| StoreError::Other("user vanished after update".into()))
    }

    pub(crate) async fn read_avatar(&self, name: &str) -> Result<Option<AvatarImage>> {
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
