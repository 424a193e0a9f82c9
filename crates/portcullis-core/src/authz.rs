//! Who may do what: every action a caller can attempt is named once here, with the permission
//! its role must hold (as crates.io names its actions in one enum). Each HTTP surface's route
//! table names, per route, the scope a token must carry and the action it attempts, and its
//! extractor checks both before the handler runs; the services check their actions again with
//! [`Services::authorize`], for every caller that reaches them another way.

use crate::error::{Error, Result};
use crate::model::Principal;
use crate::rbac::permissions;
use crate::services::Services;

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
    /// The caller's own personal tokens.
    ManageTokens,
    /// The tenant's registry of application scopes.
    ManageScopes,
}

impl Action {
    /// The permission the caller's role must hold; `None` for what anyone may do to their own
    /// account.
    pub fn permission(self) -> Option<&'static str> {
        match self {
            Self::ViewProfile
            | Self::UpdateProfile
            | Self::ViewOwnSessions
            | Self::EndOwnSession
            | Self::ViewStats
            | Self::ViewCountries
            | Self::ManageTokens => None,
            Self::ViewUserSessions
            | Self::EndUserSession
            | Self::ViewUsers
            | Self::CreateUsers
            | Self::UpdateUsers
            | Self::DeleteUsers => Some(permissions::USERS_MANAGE),
            Self::ViewActivity => Some(permissions::USERS_ACTIVITY),
            Self::ManageRoles => Some(permissions::ROLES_MANAGE),
            Self::ManagePermissions | Self::ManageScopes => Some(permissions::PERMISSIONS_MANAGE),
            Self::GeneralSettings => Some(permissions::SETTINGS_GENERAL),
            Self::AuthSettings => Some(permissions::SETTINGS_AUTH),
            Self::NotificationSettings => Some(permissions::SETTINGS_NOTIFICATIONS),
        }
    }
}

impl Services {
    /// [`Error::Forbidden`] unless the principal's role holds the action's permission.
    pub async fn authorize(&self, principal: &Principal, action: Action) -> Result<()> {
        let Some(permission) = action.permission() else {
            return Ok(());
        };
        if self.holds(principal, permission).await? {
            Ok(())
        } else {
            Err(Error::Forbidden)
        }
    }

    /// Whether the principal may hand out, or reach, every one of `wanted`: its role holds
    /// them (the built-in Admin role holds every permission, those made after it too), and a
    /// token limited to some scopes carries, for each, a scope that needs it: a token scoped
    /// to `update-users` reaches `users.manage` and nothing more, whoever its user.
    pub(crate) async fn holds_all(
        &self,
        principal: &Principal,
        wanted: &[crate::model::Permission],
    ) -> Result<bool> {
        if !principal.scopes.allows_all() {
            let covered = |permission: &str| {
                principal.scopes.as_slice().iter().any(|scope| {
                    crate::rbac::builtin_scope(scope).and_then(|s| s.permission) == Some(permission)
                })
            };
            if !wanted.iter().all(|p| covered(&p.name)) {
                return Ok(false);
            }
        }
        let role = principal.user.role_id;
        let admin = self.store.role(&principal.tenant_id, role).await?;
        if admin.is_some_and(|r| crate::rbac::is_builtin_admin(&r)) {
            return Ok(true);
        }
        let mine = self.store.role_permissions(role).await?;
        Ok(wanted.iter().all(|w| mine.iter().any(|p| p.id == w.id)))
    }

    /// Whether the principal's role holds `permission` (ignoring token scopes).
    pub async fn holds(&self, principal: &Principal, permission: &str) -> Result<bool> {
        let permissions = match principal.role_permissions.get() {
            Some(read) => read,
            None => {
                let read = self.store.role_permissions(principal.user.role_id).await?;
                principal.role_permissions.get_or_init(|| read)
            }
        };
        Ok(permissions.iter().any(|p| p.name == permission))
    }
}
