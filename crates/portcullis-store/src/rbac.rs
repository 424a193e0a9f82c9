use crate::error::{store_error, Result};
use crate::pool::on_pool;
use crate::rows::{to_db, RoleRow, RBAC_COLUMNS};
use crate::SqlStore;
use async_trait::async_trait;
use portcullis_core::ids::{RoleId, TenantId};
use portcullis_core::model::{Permission, Role};
use portcullis_core::store::{RbacStore, Seed};
use time::OffsetDateTime;

#[async_trait]
impl RbacStore for SqlStore {
    async fn ensure_rbac(
        &self,
        tenant: &TenantId,
        roles: &[Seed],
        permissions: &[Seed],
        grant_all_to: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        let now = to_db(now);
        on_pool!(&self.pool, pool => {
            let mut tx = pool.begin().await?;
            for (table, seeds) in [("roles", roles), ("permissions", permissions)] {
                let sql = format!(
                    "INSERT INTO {table} (tenant_id, name, display_name, description, removable, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (tenant_id, name) DO NOTHING"
                );
                for seed in seeds {
                    sqlx::query(&sql)
                        .bind(tenant.as_str())
                        .bind(seed.name)
                        .bind(seed.display_name)
                        .bind(seed.description)
                        .bind(seed.removable)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            for seed in permissions {
                sqlx::query(
                    "INSERT INTO permission_role (permission_id, role_id) \
                     SELECT p.id, r.id FROM permissions p, roles r \
                     WHERE p.tenant_id = $1 AND p.name = $2 AND r.tenant_id = $1 AND r.name = $3 \
                     ON CONFLICT DO NOTHING",
                )
                .bind(tenant.as_str())
                .bind(seed.name)
                .bind(grant_all_to)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await
        })
        .map_err(store_error)
    }

    async fn role_by_name(&self, tenant: &TenantId, name: &str) -> Result<Option<Role>> {
        let sql = format!("SELECT {RBAC_COLUMNS} FROM roles WHERE tenant_id = $1 AND name = $2");
        let row: Option<RoleRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql).bind(tenant.as_str()).bind(name).fetch_optional(pool).await
        })
        .map_err(store_error)?;
        Ok(row.map(Role::from))
    }

    async fn role(&self, tenant: &TenantId, id: RoleId) -> Result<Option<Role>> {
        let sql = format!("SELECT {RBAC_COLUMNS} FROM roles WHERE tenant_id = $1 AND id = $2");
        let row: Option<RoleRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql).bind(tenant.as_str()).bind(id.0).fetch_optional(pool).await
        })
        .map_err(store_error)?;
        Ok(row.map(Role::from))
    }

    async fn role_permissions(&self, role: RoleId) -> Result<Vec<Permission>> {
        let columns = RBAC_COLUMNS
            .split(", ")
            .map(|c| format!("p.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {columns} FROM permissions p JOIN permission_role pr ON pr.permission_id = p.id \
             WHERE pr.role_id = $1 ORDER BY p.id"
        );
        let rows: Vec<RoleRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql).bind(role.0).fetch_all(pool).await
        })
        .map_err(store_error)?;
        Ok(rows.into_iter().map(Permission::from).collect())
    }
}
