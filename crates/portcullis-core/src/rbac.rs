//! Roles, permissions and scopes. Every permission and scope is named once here.

use crate::store::Seed;

pub const ADMIN_ROLE: &str = "Admin";

/// Whether `role` is the built-in Admin role, which holds every permission by definition
/// (those made after it too), whatever its rows say.
pub(crate) fn is_builtin_admin(role: &crate::model::Role) -> bool {
    role.name == ADMIN_ROLE && !role.removable
}
pub const USER_ROLE: &str = "User";

pub const BUILTIN_ROLES: &[Seed] = &[
    Seed {
        name: ADMIN_ROLE,
        display_name: "Admin",
        description: "System administrator.",
        removable: false,
    },
    Seed {
        name: USER_ROLE,
        display_name: "User",
        description: "Default system user.",
        removable: false,
    },
];

pub const BUILTIN_PERMISSIONS: &[Seed] = &[
    Seed {
        name: permissions::USERS_MANAGE,
        display_name: "Manage Users",
        description: "Manage users and their sessions.",
        removable: false,
    },
    Seed {
        name: permissions::USERS_ACTIVITY,
        display_name: "View System Activity Log",
        description: "View activity log for all system users.",
        removable: false,
    },
    Seed {
        name: permissions::ROLES_MANAGE,
        display_name: "Manage Roles",
        description: "Manage system roles.",
        removable: false,
    },
    Seed {
        name: permissions::PERMISSIONS_MANAGE,
        display_name: "Manage Permissions",
        description: "Manage role permissions.",
        removable: false,
    },
    Seed {
        name: permissions::SETTINGS_GENERAL,
        display_name: "Update General System Settings",
        description: "",
        removable: false,
    },
    Seed {
        name: permissions::SETTINGS_AUTH,
        display_name: "Update Authentication Settings",
        description: "Update authentication and registration system settings.",
        removable: false,
    },
    Seed {
        name: permissions::SETTINGS_NOTIFICATIONS,
        display_name: "Update Notifications Settings",
        description: "",
        removable: false,
    },
];

/// The built-in permissions' names.
pub mod permissions {
    pub const USERS_MANAGE: &str = "users.manage";
    pub const USERS_ACTIVITY: &str = "users.activity";
    pub const ROLES_MANAGE: &str = "roles.manage";
    pub const PERMISSIONS_MANAGE: &str = "permissions.manage";
    pub const SETTINGS_GENERAL: &str = "settings.general";
    pub const SETTINGS_AUTH: &str = "settings.auth";
    pub const SETTINGS_NOTIFICATIONS: &str = "settings.notifications";
}

/// Scope names the built-in endpoints require (described in [`crate::scopes::BUILTIN`]). A
/// token's authority is its user's permissions narrowed by its scopes.
pub mod scopes {
    pub const VIEW_PROFILE: &str = "view-profile";
    pub const UPDATE_PROFILE: &str = "update-profile";
    pub const MANAGE_TOKENS: &str = "manage-tokens";
    pub const VIEW_USERS: &str = "view-users";
    pub const CREATE_USERS: &str = "create-users";
    pub const UPDATE_USERS: &str = "update-users";
    pub const DELETE_USERS: &str = "delete-users";
    pub const VIEW_ACTIVITY: &str = "view-activity";
    pub const MANAGE_ROLES: &str = "manage-roles";
    pub const MANAGE_PERMISSIONS: &str = "manage-permissions";
    pub const MANAGE_SCOPES: &str = "manage-scopes";
    pub const VIEW_SESSIONS: &str = "view-sessions";
    pub const REVOKE_SESSIONS: &str = "revoke-sessions";
    pub const VIEW_SETTINGS: &str = "view-settings";
    pub const UPDATE_SETTINGS: &str = "update-settings";
}

/// The scopes a token carries. `*` grants everything its user may do.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scopes(Vec<String>);

impl Scopes {
    pub const ALL: &'static str = "*";

    pub fn new(scopes: Vec<String>) -> Self {
        Self(scopes)
    }

    pub fn all() -> Self {
        Self(vec![Self::ALL.to_owned()])
    }

    pub fn allows(&self, scope: &str) -> bool {
        self.0.iter().any(|s| s == Self::ALL || s == scope)
    }

    /// Whether the token carries `*`.
    pub fn allows_all(&self) -> bool {
        self.0.iter().any(|s| s == Self::ALL)
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::Scopes;

    #[test]
    fn wildcard_allows_everything_and_lists_allow_only_members() {
        assert!(Scopes::all().allows("view-users"));
        let some = Scopes::new(vec!["view-profile".into()]);
        assert!(some.allows("view-profile"));
        assert!(!some.allows("view-users"));
        assert!(!Scopes::default().allows("view-profile"));
    }
}
