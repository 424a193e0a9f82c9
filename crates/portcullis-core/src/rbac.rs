//! Roles, permissions and scopes. Every permission and scope is named once here.

use crate::model::Seed;

pub const ADMIN_ROLE: &str = "Admin";

/// Whether `role` is the built-in Admin role, which holds every permission by definition
/// (those made after it too), whatever its rows say.
pub fn is_builtin_admin(role: &crate::model::Role) -> bool {
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

/// Scope names the built-in endpoints require (described in [`BUILTIN_SCOPES`]). A
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

/// A scope Portcullis's own routes require.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltinScope {
    pub name: &'static str,
    pub description: &'static str,
    /// The permission a user must hold to grant it to a token; `None` when it only reaches
    /// the user's own account (or, for sessions and activity, when the routes decide per
    /// request whose data is asked for).
    pub permission: Option<&'static str>,
}

const fn scope(
    name: &'static str,
    description: &'static str,
    permission: Option<&'static str>,
) -> BuiltinScope {
    BuiltinScope {
        name,
        description,
        permission,
    }
}

pub const BUILTIN_SCOPES: &[BuiltinScope] = &[
    scope(scopes::VIEW_PROFILE, "View your profile", None),
    scope(
        scopes::UPDATE_PROFILE,
        "Update your profile, password, avatar and two-factor settings",
        None,
    ),
    scope(scopes::MANAGE_TOKENS, "Manage your API tokens", None),
    scope(scopes::VIEW_SESSIONS, "View sessions", None),
    scope(scopes::REVOKE_SESSIONS, "End sessions", None),
    scope(scopes::VIEW_ACTIVITY, "View the activity log", None),
    scope(
        scopes::VIEW_USERS,
        "View users",
        Some(permissions::USERS_MANAGE),
    ),
    scope(
        scopes::CREATE_USERS,
        "Create users",
        Some(permissions::USERS_MANAGE),
    ),
    scope(
        scopes::UPDATE_USERS,
        "Update users",
        Some(permissions::USERS_MANAGE),
    ),
    scope(
        scopes::DELETE_USERS,
        "Delete users",
        Some(permissions::USERS_MANAGE),
    ),
    scope(
        scopes::MANAGE_ROLES,
        "Manage roles",
        Some(permissions::ROLES_MANAGE),
    ),
    scope(
        scopes::MANAGE_PERMISSIONS,
        "Manage permissions",
        Some(permissions::PERMISSIONS_MANAGE),
    ),
    scope(
        scopes::MANAGE_SCOPES,
        "Manage the scopes applications define",
        Some(permissions::PERMISSIONS_MANAGE),
    ),
    scope(
        scopes::VIEW_SETTINGS,
        "View system settings",
        Some(permissions::SETTINGS_GENERAL),
    ),
    scope(
        scopes::UPDATE_SETTINGS,
        "Update system settings",
        Some(permissions::SETTINGS_GENERAL),
    ),
];

pub fn builtin_scope(name: &str) -> Option<&'static BuiltinScope> {
    BUILTIN_SCOPES.iter().find(|s| s.name == name)
}
