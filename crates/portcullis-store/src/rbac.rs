use crate::activity::audited_write;
use crate::error::{store_error, Result};
use crate::pool::{on_pool, BeginWrite};
use crate::profile::given;
use crate::rows::{to_db, RoleRow, RBAC_COLUMNS};
use crate::sql_store::SqlStore;
use async_trait::async_trait;
use portcullis_core::ids::{PermissionId, RoleId, TenantId};
use portcullis_core::model::{
    NewActivity, Permission, RbacInput, RbacKind, Role, RoleSummary, Seed,
};
use portcullis_core::store::RbacStore;
use sqlx::FromRow;
use time::OffsetDateTime;

fn table(kind: RbacKind) -> &'static str {
    match kind {
        RbacKind::Role => "roles",
        RbacKind::Permission => "permissions",
    }
}

/// The shared columns, qualified by `alias`.
fn columns(alias: &str) -> String {
    RBAC_COLUMNS
        .split(", ")
        .map(|c| format!("{alias}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(FromRow)]
struct CountedRoleRow {
    #[sqlx(flatten)]
    role: RoleRow,
    users_count: i64,
}

#[derive(FromRow)]
struct LinkRow {
    role_id: i64,
    #[sqlx(flatten)]
    permission: RoleRow,
}

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
            let mut tx = pool.begin_write().await?;
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
        let columns = columns("p");
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

    async fn roles_with_counts(
        &self,
        tenant: &TenantId,
        only: Option<RoleId>,
    ) -> Result<Vec<RoleSummary>> {
        let sql = format!(
            "SELECT {}, (SELECT COUNT(*) FROM users u WHERE u.role_id = r.id) AS users_count \
             FROM roles r WHERE r.tenant_id = $1 AND ($2 IS NULL OR r.id = $2) ORDER BY r.id",
            columns("r")
        );
        let rows: Vec<CountedRoleRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql).bind(tenant.as_str()).bind(only.map(|r| r.0)).fetch_all(pool).await
        })
        .map_err(store_error)?;
        Ok(rows
            .into_iter()
            .map(|row| RoleSummary {
                role: Role::from(row.role),
                users_count: row.users_count,
            })
            .collect())
    }

    async fn permissions(
        &self,
        tenant: &TenantId,
        only: Option<PermissionId>,
    ) -> Result<Vec<Permission>> {
        let sql = format!(
            "SELECT {RBAC_COLUMNS} FROM permissions WHERE tenant_id = $1 \
             AND ($2 IS NULL OR id = $2) ORDER BY id"
        );
        let rows: Vec<RoleRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql).bind(tenant.as_str()).bind(only.map(|p| p.0)).fetch_all(pool).await
        })
        .map_err(store_error)?;
        Ok(rows.into_iter().map(Permission::from).collect())
    }

    async fn role_permission_pairs(&self, tenant: &TenantId) -> Result<Vec<(RoleId, Permission)>> {
        let sql = format!(
            "SELECT pr.role_id, {} FROM permission_role pr \
             JOIN permissions p ON p.id = pr.permission_id WHERE p.tenant_id = $1 ORDER BY p.id",
            columns("p")
        );
        let rows: Vec<LinkRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql).bind(tenant.as_str()).fetch_all(pool).await
        })
        .map_err(store_error)?;
        Ok(rows
            .into_iter()
            .map(|row| (RoleId(row.role_id), Permission::from(row.permission)))
            .collect())
    }

    async fn create_rbac(
        &self,
        kind: RbacKind,
        tenant: &TenantId,
        input: &RbacInput,
        activity: &NewActivity,
    ) -> Result<i64> {
        let sql = format!(
            "INSERT INTO {} (tenant_id, name, display_name, description, removable, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, TRUE, $5, $5) RETURNING id",
            table(kind)
        );
        let now = to_db(activity.created_at);
        audited_write!(&self.pool, activity, |tx| {
            let id: i64 = sqlx::query_scalar(&sql)
                .bind(tenant.as_str())
                .bind(&input.name)
                .bind(input.display_name.clone().flatten())
                .bind(input.description.clone().flatten())
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
            id
        })
    }

    async fn update_rbac(
        &self,
        kind: RbacKind,
        id: i64,
        input: &RbacInput,
        activity: &NewActivity,
    ) -> Result<()> {
        let sql = format!(
            "UPDATE {} SET name = COALESCE($1, name), \
             display_name = CASE WHEN $2 THEN $3 ELSE display_name END, \
             description = CASE WHEN $4 THEN $5 ELSE description END, updated_at = $6 \
             WHERE id = $7",
            table(kind)
        );
        let (display_given, display_name) = given(&input.display_name);
        let (description_given, description) = given(&input.description);
        audited_write!(&self.pool, activity, |tx| {
            sqlx::query(&sql)
                .bind(&input.name)
                .bind(display_given)
                .bind(&display_name)
                .bind(description_given)
                .bind(&description)
                .bind(to_db(activity.created_at))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        })
    }

    async fn delete_role(
        &self,
        role: RoleId,
        fallback: RoleId,
        activity: &NewActivity,
        now: OffsetDateTime,
    ) -> Result<()> {
        audited_write!(&self.pool, activity, |tx| {
            sqlx::query("UPDATE users SET role_id = $1, updated_at = $2 WHERE role_id = $3")
                .bind(fallback.0)
                .bind(to_db(now))
                .bind(role.0)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM permission_role WHERE role_id = $1")
                .bind(role.0)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM roles WHERE id = $1")
                .bind(role.0)
                .execute(&mut *tx)
                .await?;
        })
    }

    async fn delete_permission(
        &self,
        permission: PermissionId,
        activity: &NewActivity,
    ) -> Result<()> {
        audited_write!(&self.pool, activity, |tx| {
            sqlx::query("DELETE FROM permission_role WHERE permission_id = $1")
                .bind(permission.0)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM permissions WHERE id = $1")
                .bind(permission.0)
                .execute(&mut *tx)
                .await?;
        })
    }

    async fn sync_role_permissions(
        &self,
        role: RoleId,
        permissions: &[PermissionId],
        activity: &NewActivity,
    ) -> Result<()> {
        audited_write!(&self.pool, activity, |tx| {
            sqlx::query("DELETE FROM permission_role WHERE role_id = $1")
                .bind(role.0)
                .execute(&mut *tx)
                .await?;
            for permission in permissions {
                sqlx::query("INSERT INTO permission_role (permission_id, role_id) VALUES ($1, $2)")
                    .bind(permission.0)
                    .bind(role.0)
                    .execute(&mut *tx)
                    .await?;
            }
        })
    }
}
