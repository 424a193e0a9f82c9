//! Applications (document 003's OIDC clients).

use crate::error::{store_error, Result};
use crate::pool::{on_pool, on_writer};
use crate::rows::{corrupt, from_db, to_db};
use crate::sql_store::SqlStore;
use async_trait::async_trait;
use portcullis_core::ids::{Secret, TenantId};
use portcullis_core::model::Application;
use portcullis_core::store::ApplicationStore;
use portcullis_core::StoreError;
use sqlx::FromRow;

const APPLICATION_COLUMNS: &str = "id, tenant_id, name, secret, login_url, logout_urls, \
    redirect_urls, metadata, created_at, updated_at";

#[derive(FromRow)]
struct ApplicationRow {
    id: String,
    tenant_id: String,
    name: String,
    secret: String,
    login_url: String,
    logout_urls: String,
    redirect_urls: String,
    metadata: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<ApplicationRow> for Application {
    type Error = StoreError;
    fn try_from(row: ApplicationRow) -> Result<Self> {
        Ok(Self {
            id: row.id,
            tenant_id: TenantId(row.tenant_id),
            name: row.name,
            secret: Secret::new(row.secret),
            login_url: row.login_url,
            logout_urls: serde_json::from_str(&row.logout_urls)
                .map_err(|e| corrupt("application logout_urls", e))?,
            redirect_urls: serde_json::from_str(&row.redirect_urls)
                .map_err(|e| corrupt("application redirect_urls", e))?,
            metadata: serde_json::from_str(&row.metadata)
                .map_err(|e| corrupt("application metadata", e))?,
            created_at: from_db(row.created_at),
            updated_at: from_db(row.updated_at),
        })
    }
}

/// The metadata's back-channel logout URI, kept in a column of its own so that ending a session
/// can find the applications to tell in SQL (see `logout_notices`).
fn backchannel_logout_uri(application: &Application) -> Option<&str> {
    application
        .metadata
        .get(portcullis_core::oidc::clients::BACKCHANNEL_LOGOUT_URI_KEY)
        .map(String::as_str)
}

/// The JSON columns of an application: logout URLs, redirect URLs, metadata.
fn json_columns(application: &Application) -> Result<(String, String, String)> {
    let text =
        |value: serde_json::Result<String>| value.map_err(|e| StoreError::Other(e.to_string()));
    Ok((
        text(serde_json::to_string(&application.logout_urls))?,
        text(serde_json::to_string(&application.redirect_urls))?,
        text(serde_json::to_string(&application.metadata))?,
    ))
}

#[async_trait]
impl ApplicationStore for SqlStore {
    async fn applications_with_secrets_not(&self, sealed: &str) -> Result<Vec<Application>> {
        let sql =
            format!("SELECT {APPLICATION_COLUMNS} FROM applications WHERE secret NOT LIKE $1");
        let rows: Vec<ApplicationRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql)
                .bind(format!("{sealed}%"))
                .fetch_all(pool)
                .await
        })
        .map_err(store_error)?;
        rows.into_iter().map(Application::try_from).collect()
    }

    async fn replace_application_secret(
        &self,
        tenant: &TenantId,
        id: &str,
        old: &str,
        new: &str,
    ) -> Result<bool> {
        on_writer!(&self.pool, pool => {
            sqlx::query(
                "UPDATE applications SET secret = $1 WHERE tenant_id = $2 AND id = $3 AND secret = $4",
            )
            .bind(new)
            .bind(tenant.as_str())
            .bind(id)
            .bind(old)
            .execute(pool)
            .await
            .map(|done| done.rows_affected() == 1)
        })
        .map_err(store_error)
    }

    async fn create_application(&self, application: &Application) -> Result<()> {
        let (logout_urls, redirect_urls, metadata) = json_columns(application)?;
        on_writer!(&self.pool, pool => {
            sqlx::query(
                "INSERT INTO applications (id, tenant_id, name, secret, login_url, logout_urls, \
                 redirect_urls, metadata, created_at, updated_at, backchannel_logout_uri) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(&application.id)
            .bind(application.tenant_id.as_str())
            .bind(&application.name)
            .bind(application.secret.expose())
            .bind(&application.login_url)
            .bind(&logout_urls)
            .bind(&redirect_urls)
            .bind(&metadata)
            .bind(to_db(application.created_at))
            .bind(to_db(application.updated_at))
            .bind(backchannel_logout_uri(application))
            .execute(pool)
            .await
            .map(|_| ())
        })
        .map_err(store_error)
    }

    async fn application(&self, tenant: &TenantId, id: &str) -> Result<Option<Application>> {
        let sql = format!(
            "SELECT {APPLICATION_COLUMNS} FROM applications WHERE tenant_id = $1 AND id = $2"
        );
        let row: Option<ApplicationRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql).bind(tenant.as_str()).bind(id).fetch_optional(pool).await
        })
        .map_err(store_error)?;
        row.map(Application::try_from).transpose()
    }

    async fn applications(
        &self,
        tenant: &TenantId,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<Application>, i64)> {
        let sql = format!(
            "SELECT {APPLICATION_COLUMNS} FROM applications WHERE tenant_id = $1 \
             ORDER BY created_at, id LIMIT $2 OFFSET $3"
        );
        let (rows, total): (Vec<ApplicationRow>, i64) = on_pool!(&self.pool, pool => {
            let rows = sqlx::query_as(&sql)
                .bind(tenant.as_str())
                .bind(limit)
                .bind(offset)
                .fetch_all(pool)
                .await?;
            let total = sqlx::query_scalar("SELECT COUNT(*) FROM applications WHERE tenant_id = $1")
                .bind(tenant.as_str())
                .fetch_one(pool)
                .await?;
            Ok::<_, sqlx::Error>((rows, total))
        })
        .map_err(store_error)?;
        let applications = rows
            .into_iter()
            .map(Application::try_from)
            .collect::<Result<_>>()?;
        Ok((applications, total))
    }

    async fn update_application(&self, application: &Application) -> Result<bool> {
        let (logout_urls, redirect_urls, metadata) = json_columns(application)?;
        on_writer!(&self.pool, pool => {
            sqlx::query(
                "UPDATE applications SET name = $1, login_url = $2, logout_urls = $3, \
                 redirect_urls = $4, metadata = $5, updated_at = $6, backchannel_logout_uri = $9 \
                 WHERE tenant_id = $7 AND id = $8",
            )
            .bind(&application.name)
            .bind(&application.login_url)
            .bind(&logout_urls)
            .bind(&redirect_urls)
            .bind(&metadata)
            .bind(to_db(application.updated_at))
            .bind(application.tenant_id.as_str())
            .bind(&application.id)
            .bind(backchannel_logout_uri(application))
            .execute(pool)
            .await
            .map(|done| done.rows_affected() > 0)
        })
        .map_err(store_error)
    }

    async fn delete_application(&self, tenant: &TenantId, id: &str) -> Result<Option<Application>> {
        let sql = format!(
            "DELETE FROM applications WHERE tenant_id = $1 AND id = $2 \
             RETURNING {APPLICATION_COLUMNS}"
        );
        let row: Option<ApplicationRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql).bind(tenant.as_str()).bind(id).fetch_optional(pool).await
        })
        .map_err(store_error)?;
        row.map(Application::try_from).transpose()
    }
}
