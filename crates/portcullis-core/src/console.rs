//! The administration console's view of a principal: which of its sections they may open.
//! Each section's actions go through the same services as the APIs, which check again; this
//! only decides what to show.

use crate::error::{Error, Result};
use crate::ids::TenantId;
use crate::model::{Principal, Tenant, User};
use crate::rbac::permissions::{
    PERMISSIONS_MANAGE, ROLES_MANAGE, SETTINGS_AUTH, SETTINGS_GENERAL, SETTINGS_NOTIFICATIONS,
    USERS_ACTIVITY, USERS_MANAGE,
};
use crate::services::Services;

/// The console's sections a principal may open (document 001's permissions).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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
    /// The name of the tenant an operator is managing from the console (see
    /// [`Services::acting_in`]); `None` in one's own tenant.
    pub managing: Option<String>,
    /// The tenant the console acts in: its forms carry it, and are refused in another.
    pub tenant: String,
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
        let managing = match principal.acting_from {
            None => None,
            Some(_) => self
                .store
                .tenant_by_id(&principal.tenant_id)
                .await?
                .map(|tenant| tenant.name),
        };
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
            managing,
            tenant: principal.tenant_id.as_str().to_owned(),
        };
        if access.any() {
            Ok(access)
        } else {
            Err(Error::Forbidden)
        }
    }
}

impl Services {
    /// The principal the console acts as: `session` itself, or, when `session` is the operator
    /// and `chosen` (`<tenant>.<session id>`) names another tenant and this very session, that
    /// tenant's Admin (every permission there; its activity log names the operator). Anything
    /// else (a stale or forged choice, one made in another session, a session that is no
    /// longer the operator's) leaves `session` as it is, so no one reaches a tenant the
    /// operator's console could not; the console's forms say which tenant they were shown for,
    /// so a form of one tenant never changes another.
    pub async fn acting_in(&self, session: Principal, chosen: Option<&str>) -> Result<Principal> {
        let Some((chosen, chosen_in)) = chosen.and_then(|c| c.split_once('.')) else {
            return Ok(session);
        };
        let same_session = session.session_id.as_ref().is_some_and(|id| {
            crate::tokens::secret_matches(chosen_in, &crate::tokens::hash_secret(id.as_str()))
        });
        if !same_session || chosen == session.tenant_id.as_str() {
            return Ok(session);
        }
        if !self.is_operator(&session).await? {
            return Ok(session);
        }
        let Some(tenant) = self
            .store
            .tenant_by_id(&TenantId(chosen.to_owned()))
            .await?
        else {
            return Ok(session);
        };
        let admin = self
            .store
            .role_by_name(&tenant.id, crate::rbac::ADMIN_ROLE)
            .await?
            .filter(crate::rbac::is_builtin_admin)
            .ok_or(Error::NotFound)?;
        let home = session.tenant_id.clone();
        Ok(Principal {
            tenant_id: tenant.id.clone(),
            // Keyed by another tenant, this record matches no row of the operator's own: a
            // service that writes "the caller" back changes nothing.
            user: User {
                tenant_id: tenant.id,
                role_id: admin.id,
                ..session.user
            },
            settings: tenant.settings,
            role_permissions: Default::default(),
            acting_from: Some(home),
            ..session
        })
    }

    /// The tenant the console acts in for `principal` (another one than the page's host names
    /// while an operator manages it).
    pub async fn console_tenant(&self, principal: &Principal) -> Result<Tenant> {
        self.store
            .tenant_by_id(&principal.tenant_id)
            .await?
            .ok_or(Error::NotFound)
    }
}
