//! Roles, permissions and the application scopes that lean on them.

use crate::ids::{PermissionId, RoleId, TenantId};
use crate::model::Change;
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    pub id: RoleId,
    pub tenant_id: TenantId,
    pub name: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub removable: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Permission {
    pub id: PermissionId,
    pub tenant_id: TenantId,
    pub name: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub removable: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// Which of the two tables an operation is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RbacKind {
    Role,
    Permission,
}

impl RbacKind {
    pub(crate) fn noun(self) -> &'static str {
        match self {
            Self::Role => "role",
            Self::Permission => "permission",
        }
    }
}

/// The fields of a role or permission; on update, absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RbacInput {
    pub name: Option<String>,
    pub display_name: Change<String>,
    pub description: Change<String>,
}

/// A role with how many users hold it.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleSummary {
    pub role: Role,
    pub users_count: i64,
}

/// A scope a tenant registered.
#[derive(Debug, Clone)]
pub struct CustomScope {
    pub id: i64,
    pub tenant_id: TenantId,
    pub name: String,
    pub description: String,
    pub created_at: OffsetDateTime,
}

/// A built-in role or permission to create when missing.
#[derive(Debug, Clone)]
pub struct Seed {
    pub name: &'static str,
    pub display_name: &'static str,
    pub description: &'static str,
    pub removable: bool,
}
