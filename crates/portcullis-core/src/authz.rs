//! Who may do what: every action a caller can attempt is named once here, with the scope its
//! token must carry and the permission its role must hold (as crates.io names its actions in
//! one enum). Surfaces call [`Services::authorize`] and never check permissions themselves.

use crate::auth::Principal;
use crate::error::{Error, Result};
use crate::rbac::{permissions, scopes};
use crate::Services;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ViewProfile,
    UpdateProfile,
    ViewOwnSessions,
    EndOwnSession,
    ViewUserSessions,
    EndUserSession,
    ViewActivity,
    ViewUsers,
    CreateUsers,
    UpdateUsers,
    DeleteUsers,
    ManageRoles,
    ManagePermissions,
    /// Reading the settings, and changing `app_name`.
    GeneralSettings,
    /// Changing login, registration, throttling and two-factor settings.
    AuthSettings,
    /// Changing who is mailed about what.
    NotificationSettings,
    /// The dashboard figures; what they show depends on `users.manage`.
    ViewStats,
    ViewCountries,
}

impl Action {
    /// The scope the token must carry.
    pub fn scope(self) -> &'static str {
        match self {
            Self::ViewOwnSessions | Self::ViewUserSessions => scopes::VIEW_SESSIONS,
            Self::EndOwnSession | Self::EndUserSession => scopes::REVOKE_SESSIONS,
            Self::ViewActivity | Self::ViewStats => scopes::VIEW_ACTIVITY,
            Self::ViewUsers => scopes::VIEW_USERS,
            Self::CreateUsers => scopes::CREATE_USERS,
            Self::UpdateUsers => scopes::UPDATE_USERS,
            Self::DeleteUsers => scopes::DELETE_USERS,
            Self::ManageRoles | Self::ManagePermissions => scopes::MANAGE_ROLES,
            Self::GeneralSettings | Self::AuthSettings | Self::NotificationSettings => {
                scopes::MANAGE_SETTINGS
            }
            Self::ViewProfile | Self::ViewCountries => scopes::VIEW_PROFILE,
            Self::UpdateProfile => scopes::UPDATE_PROFILE,
        }
    }

    /// The permission the caller's role must hold; `None` for what anyone may do to their own
    /// account.
    pub fn permission(self) -> Option<&'static str> {
        match self {
            Self::ViewProfile
            | Self::UpdateProfile
            | Self::ViewOwnSessions
            | Self::EndOwnSession
            | Self::ViewStats
            | Self::ViewCountries => None,
            Self::ViewUserSessions
            | Self::EndUserSession
            | Self::ViewUsers
            | Self::CreateUsers
            | Self::UpdateUsers
            | Self::DeleteUsers => Some(permissions::USERS_MANAGE),
            Self::ViewActivity => Some(permissions::USERS_ACTIVITY),
            Self::ManageRoles => Some(permissions::ROLES_MANAGE),
            Self::ManagePermissions => Some(permissions::PERMISSIONS_MANAGE),
            Self::GeneralSettings => Some(permissions::SETTINGS_GENERAL),
            Self::AuthSettings => Some(permissions::SETTINGS_AUTH),
            Self::NotificationSettings => Some(permissions::SETTINGS_NOTIFICATIONS),
        }
    }
}

impl Services {
    /// [`Error::Forbidden`] unless the principal's token carries the action's scope and its
    /// role holds the action's permission.
    pub async fn authorize(&self, principal: &Principal, action: Action) -> Result<()> {
        principal.require_scope(action.scope())?;
        let Some(permission) = action.permission() else {
            return Ok(());
        };
        if self.holds(principal, permission).await? {
            Ok(())
        } else {
            Err(Error::Forbidden)
        }
    }

    /// Whether the principal's role holds `permission` (ignoring token scopes).
    pub async fn holds(&self, principal: &Principal, permission: &str) -> Result<bool> {
        let permissions = self.store.role_permissions(principal.user.role_id).await?;
        Ok(permissions.iter().any(|p| p.name == permission))
    }
}
