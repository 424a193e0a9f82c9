use crate::error::{store_error, Result};
use crate::pool::{on_pool, on_writer, Backends};
use crate::rows::{to_db, TenantRow, TENANT_COLUMNS};
use crate::sql_store::SqlStore;
use async_trait::async_trait;
use portcullis_core::ids::TenantId;
use portcullis_core::model::{Tenant, TenantSettings};
use portcullis_core::store::TenantStore;
use portcullis_core::StoreError;
use time::OffsetDateTime;

impl SqlStore {
    async fn tenant_where(&self, column: &str, value: &str) -> Result<Option<Tenant>> {
        let sql = format!("SELECT {TENANT_COLUMNS} FROM tenants WHERE {column} = $1");
        let row: Option<TenantRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql).bind(value).fetch_optional(pool).await
        })
        .map_err(store_error)?;
        row.map(Tenant::try_from).transpose()
    }
}

#[async_trait]
impl TenantStore for SqlStore {
    async fn ensure_tenant(
        &self,
        id: &TenantId,
        name: &str,
        settings: &TenantSettings,
        now: OffsetDateTime,
    ) -> Result<Tenant> {
        let settings_json =
            serde_json::to_string(settings).map_err(|e| StoreError::Other(e.to_string()))?;
        on_writer!(&self.pool, pool => {
            sqlx::query(
                "INSERT INTO tenants (id, name, domain, settings, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (name) DO NOTHING",
            )
            .bind(id.as_str())
            .bind(name)
            .bind(settings.domain.as_deref())
            .bind(&settings_json)
            .bind(to_db(now))
            .execute(pool)
            .await
            .map(|_| ())
        })
        .map_err(store_error)?;
        self.tenant_where("name", name)
            .await?
            .ok_or_else(|| StoreError::Other(format!("tenant {name} vanished after insert")))
    }

    async fn tenant_by_name(&self, name: &str) -> Result<Option<Tenant>> {
        self.tenant_where("name", name).await
    }

    async fn tenant_by_id(&self, id: &TenantId) -> Result<Option<Tenant>> {
        self.tenant_where("id", id.as_str()).await
    }

    async fn tenants(&self, offset: i64, limit: i64) -> Result<(Vec<Tenant>, i64)> {
        let sql = format!(
            "SELECT {TENANT_COLUMNS} FROM tenants ORDER BY created_at, id LIMIT $1 OFFSET $2"
        );
        let (rows, total): (Vec<TenantRow>, i64) = on_pool!(&self.pool, pool => {
            let rows = sqlx::query_as(&sql).bind(limit).bind(offset).fetch_all(pool).await?;
            let total = sqlx::query_scalar("SELECT COUNT(*) FROM tenants").fetch_one(pool).await?;
            Ok::<_, sqlx::Error>((rows, total))
        })
        .map_err(store_error)?;
        let tenants = rows
            .into_iter()
            .map(Tenant::try_from)
            .collect::<Result<_>>()?;
        Ok((tenants, total))
    }

    async fn tenant_by_domain(&self, domain: &str) -> Result<Option<Tenant>> {
        self.tenant_where("domain", domain).await
    }

    async fn create_tenant(&self, tenant: &Tenant) -> Result<()> {
        let (settings, metadata) = tenant_json(tenant)?;
        on_writer!(&self.pool, pool => {
            sqlx::query(
                "INSERT INTO tenants (id, name, domain, settings, metadata, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(tenant.id.as_str())
            .bind(&tenant.name)
            .bind(tenant.settings.domain.as_deref())
            .bind(&settings)
            .bind(&metadata)
            .bind(to_db(tenant.created_at))
            .bind(to_db(tenant.updated_at))
            .execute(pool)
            .await
            .map(|_| ())
        })
        .map_err(store_error)
    }

    async fn update_tenant(
        &self,
        id: &TenantId,
        name: &str,
        metadata: &portcullis_core::model::Metadata,
        settings: &serde_json::Map<String, serde_json::Value>,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let metadata =
            serde_json::to_string(metadata).map_err(|e| StoreError::Other(e.to_string()))?;
        let patch =
            serde_json::to_string(settings).map_err(|e| StoreError::Other(e.to_string()))?;
        let sql = format!(
            "UPDATE tenants SET name = $1, metadata = $2, {}, updated_at = $4 WHERE id = $5",
            merged_settings(&self.pool.backends, "$3")
        );
        on_writer!(&self.pool, pool => {
            sqlx::query(&sql)
                .bind(name)
                .bind(&metadata)
                .bind(&patch)
                .bind(to_db(now))
                .bind(id.as_str())
                .execute(pool)
                .await
                .map(|done| done.rows_affected() > 0)
        })
        .map_err(store_error)
    }

    async fn stored_social_networks(&self, tenant: &TenantId) -> Result<Option<String>> {
        let sql = match &self.pool.backends {
            Backends::Sqlite(_) => {
                "SELECT json_extract(settings, '$.social_networks') FROM tenants WHERE id = $1"
            }
            Backends::Postgres(_) => {
                "SELECT (settings::jsonb -> 'social_networks')::text FROM tenants WHERE id = $1"
            }
        };
        let stored: Option<Option<String>> = on_pool!(&self.pool, pool => {
            sqlx::query_scalar(sql).bind(tenant.as_str()).fetch_optional(pool).await
        })
        .map_err(store_error)?;
        Ok(stored.flatten())
    }

    async fn replace_social_networks(
        &self,
        tenant: &TenantId,
        old: &str,
        new: &str,
    ) -> Result<bool> {
        // Compared as JSON values, so the database's own spelling of the list matches.
        let sql = match &self.pool.backends {
            Backends::Sqlite(_) => {
                "UPDATE tenants SET settings = json_set(settings, '$.social_networks', json($1)) \
                 WHERE id = $2 AND json(json_extract(settings, '$.social_networks')) = json($3)"
            }
            Backends::Postgres(_) => {
                "UPDATE tenants \
                 SET settings = jsonb_set(settings::jsonb, '{social_networks}', $1::jsonb)::text \
                 WHERE id = $2 AND settings::jsonb -> 'social_networks' = $3::jsonb"
            }
        };
        let done = on_writer!(&self.pool, pool => {
            sqlx::query(sql)
                .bind(new)
                .bind(tenant.as_str())
                .bind(old)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })
        .map_err(store_error)?;
        Ok(done == 1)
    }

    async fn merge_tenant_settings(
        &self,
        tenant: &TenantId,
        fields: &serde_json::Map<String, serde_json::Value>,
        now: OffsetDateTime,
    ) -> Result<TenantSettings> {
        let patch = serde_json::to_string(fields).map_err(|e| StoreError::Other(e.to_string()))?;
        let sql = format!(
            "UPDATE tenants SET {}, updated_at = $2 WHERE id = $3 RETURNING settings",
            merged_settings(&self.pool.backends, "$1")
        );
        let stored: Option<String> = on_pool!(&self.pool, pool => {
            sqlx::query_scalar(&sql)
                .bind(&patch)
                .bind(to_db(now))
                .bind(tenant.as_str())
                .fetch_optional(pool)
                .await
        })
        .map_err(store_error)?;
        let stored = stored.ok_or_else(|| StoreError::Other("no such tenant".to_owned()))?;
        serde_json::from_str(&stored).map_err(|e| StoreError::Other(e.to_string()))
    }
}

/// The `SET` of a settings merge: the top-level fields of the JSON object bound as `patch`
/// replace the stored ones, and the domain column follows the merged settings (both
/// expressions read the row as it was). SQLite's `json_patch` drops a field set to null,
/// PostgreSQL's `||` keeps it as null: the settings read back the same (absent = default).
fn merged_settings(backends: &Backends, patch: &str) -> String {
    match backends {
        Backends::Sqlite(_) => format!(
            "settings = json_patch(settings, {patch}), \
             domain = json_extract(json_patch(settings, {patch}), '$.domain')"
        ),
        Backends::Postgres(_) => format!(
            "settings = (settings::jsonb || {patch}::jsonb)::text, \
             domain = (settings::jsonb || {patch}::jsonb) ->> 'domain'"
        ),
    }
}

/// The settings and metadata columns of a tenant, as JSON text.
fn tenant_json(tenant: &Tenant) -> Result<(String, String)> {
    let settings = serde_json::to_string(&tenant.settings);
    let metadata = serde_json::to_string(&tenant.metadata);
    settings
        .and_then(|s| metadata.map(|m| (s, m)))
        .map_err(|e| StoreError::Other(e.to_string()))
}
