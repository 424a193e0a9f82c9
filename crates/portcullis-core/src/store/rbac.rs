//! Roles, permissions and the built-ins seeded at start.

use super::StoreResult;
use crate::ids::{PermissionId, RoleId, TenantId};
use crate::model::{NewActivity, Permission, Role, Seed};
use async_trait::async_trait;
use time::OffsetDateTime;

#[async_trait]
pub trait RbacStore: Send + Sync {
    /// Creates missing roles and permissions and grants every listed permission to the roles
    /// named in `grant_all_to`; leaves existing rows alone.
    async fn ensure_rbac(
        &self,
        tenant: &TenantId,
        roles: &[Seed],
        permissions: &[Seed],
        grant_all_to: &str,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    async fn role_by_name(&self, tenant: &TenantId, name: &str) -> StoreResult<Option<Role>>;
    async fn role(&self, tenant: &TenantId, id: RoleId) -> StoreResult<Option<Role>>;
    async fn role_permissions(&self, role: RoleId) -> StoreResult<Vec<Permission>>;
    /// The tenant's roles (or just `only`) with their user counts, by id.
    async fn roles_with_counts(
        &self,
        tenant: &TenantId,
        only: Option<RoleId>,
    ) -> StoreResult<Vec<crate::model::RoleSummary>>;
    /// The tenant's permissions (or just `only`), by id.
    async fn permissions(
        &self,
        tenant: &TenantId,
        only: Option<PermissionId>,
    ) -> StoreResult<Vec<Permission>>;
    /// Every (role, permission) link of the tenant, in one query.
    async fn role_permission_pairs(
        &self,
        tenant: &TenantId,
    ) -> StoreResult<Vec<(RoleId, Permission)>>;
    /// Creates a removable role or permission (`input.name` is set); yields its id.
    /// [`StoreError::Conflict`] when the name is taken.
    async fn create_rbac(
        &self,
        kind: crate::model::RbacKind,
        tenant: &TenantId,
        input: &crate::model::RbacInput,
        activity: &NewActivity,
    ) -> StoreResult<i64>;
    async fn update_rbac(
        &self,
        kind: crate::model::RbacKind,
        id: i64,
        input: &crate::model::RbacInput,
        activity: &NewActivity,
    ) -> StoreResult<()>;
    /// Deletes a role, moving its users to `fallback`.
    async fn delete_role(
        &self,
        role: RoleId,
        fallback: RoleId,
        activity: &NewActivity,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    async fn delete_permission(
        &self,
        permission: PermissionId,
        activity: &NewActivity,
    ) -> StoreResult<()>;
    /// Makes the role hold exactly these permissions.
    async fn sync_role_permissions(
        &self,
        role: RoleId,
        permissions: &[PermissionId],
        activity: &NewActivity,
    ) -> StoreResult<()>;
}
