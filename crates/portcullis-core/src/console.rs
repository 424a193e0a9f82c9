//! The administration console's view of a principal: which of its sections they may open.
//! Each section's actions go through the same services as the APIs, which check again; this
//! only decides what to show.

use crate::error::{Error, Result};
use crate::model::Principal;
use crate::rbac::permissions::{
    PERMISSIONS_MANAGE, ROLES_MANAGE, SETTINGS_AUTH, SETTINGS_GENERAL, SETTINGS_NOTIFICATIONS,
    USERS_ACTIVITY, USERS_MANAGE,
};
use crate::services::Services;

/// The console's sections a principal may open (document 001's permissions).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConsoleAccess {
    /// Users, and the overview's figures about them.
    pub users: bool,
    pub activity: bool,
    pub roles: bool,
    pub permissions: bool,
    /// Any group of the settings (each of the three below).
    pub settings: bool,
    pub general_settings: bool,
    pub auth_settings: bool,
    pub notification_settings: bool,
    /// Applications (OIDC clients): operators, and whoever holds `settings.auth`.
    pub applications: bool,
    /// The operator's sections (tenants, API keys, signing keys): an Admin of the default
    /// tenant (see [`Services::is_operator`]).
    pub operator: bool,
}

impl ConsoleAccess {
    pub fn any(&self) -> bool {
        self.users
            || self.activity
            || self.roles
            || self.permissions
            || self.settings
            || self.applications
            || self.operator
    }
}

impl Services {
    /// What of the console `principal` may see; [`Error::Forbidden`] for none of it.
    pub async fn console_access(&self, principal: &Principal) -> Result<ConsoleAccess> {
        let general_settings = self.holds(principal, SETTINGS_GENERAL).await?;
        let auth_settings = self.holds(principal, SETTINGS_AUTH).await?;
        let notification_settings = self.holds(principal, SETTINGS_NOTIFICATIONS).await?;
        let operator = self.is_operator(principal).await?;
        let access = ConsoleAccess {
            users: self.holds(principal, USERS_MANAGE).await?,
            activity: self.holds(principal, USERS_ACTIVITY).await?,
            roles: self.holds(principal, ROLES_MANAGE).await?,
            permissions: self.holds(principal, PERMISSIONS_MANAGE).await?,
            settings: general_settings || auth_settings || notification_settings,
            general_settings,
            auth_settings,
            notification_settings,
            applications: operator || auth_settings,
            operator,
        };
        if access.any() {
            Ok(access)
        } else {
            Err(Error::Forbidden)
        }
    }
}
