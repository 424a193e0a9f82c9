//! Administering a tenant's users: listing and searching them, creating, changing, banning and
//! deleting accounts (`users.manage`).

use crate::accounts::{
    check_email, check_password_rules, check_username, confirmation_matches, new_logins, taken,
};
use crate::authz::Action;
use crate::error::{Error, Result};
use crate::field::{FieldError, Rule};
use crate::ids::{RoleId, Secret, UserId};
use crate::model::{
    AccountWrite, Change, ClientInfo, DetailsChange, NewUser, Page, Paging, Principal, User,
    UserFilter, UserStatus,
};
use crate::services::Services;

/// An administrator's account fields. On update, absent fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct AccountInput {
    pub email: Option<String>,
    pub username: Change<String>,
    /// The new password and its confirmation.
    pub password: Option<(Secret, Secret)>,
    pub role_id: Option<RoleId>,
    pub status: Option<UserStatus>,
    pub details: DetailsChange,
}

impl Services {
    /// A page of the tenant's users, newest first.
    pub async fn list_users(
        &self,
        principal: &Principal,
        search: Option<&str>,
        status: Option<&str>,
        paging: Paging,
    ) -> Result<Page<User>> {
        self.list_users_in_role(principal, search, status, None, paging)
            .await
    }

    /// [`Services::list_users`], of one role's holders only (when `role` names one).
    pub async fn list_users_in_role(
        &self,
        principal: &Principal,
        search: Option<&str>,
        status: Option<&str>,
        role: Option<RoleId>,
        paging: Paging,
    ) -> Result<Page<User>> {
        self.authorize(principal, Action::ViewUsers).await?;
        // An unknown status matches nobody rather than everybody.
        let status = match status.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(text) => match UserStatus::parse(text) {
                Some(status) => Some(status),
                None => return Ok(Page::empty(paging)),
            },
        };
        let filter = UserFilter {
            search: search
                .map(|s| s.trim().to_lowercase())
                .filter(|s| !s.is_empty()),
            status,
            role,
            unverified_is_unconfirmed: !principal.settings.allow_unverified,
        };
        let (items, total) = self
            .store
            .list_users(&principal.tenant_id, &filter, paging)
            .await?;
        Ok(Page {
            items,
            total,
            page: paging,
        })
    }

    /// One user of the caller's tenant.
    pub async fn user_for_admin(&self, principal: &Principal, id: UserId) -> Result<User> {
        self.authorize(principal, Action::ViewUsers).await?;
        self.tenant_user(principal, id).await
    }

    pub(crate) async fn tenant_user(&self, principal: &Principal, id: UserId) -> Result<User> {
        self.store
            .user(&principal.tenant_id, id)
            .await?
            .ok_or(Error::NotFound)
    }

    /// What is wrong with a new account's fields (every field at once, as document 001's
    /// validation reports them), for a surface that found problems of its own in the request
    /// and reports them together.
    pub async fn new_account_problems(
        &self,
        principal: &Principal,
        input: &AccountInput,
    ) -> Result<Vec<FieldError>> {
        Ok(self.new_account_checks(principal, input).await?.0)
    }

    /// The checks of a new account: its problems, and the email and username as stored.
    async fn new_account_checks(
        &self,
        principal: &Principal,
        input: &AccountInput,
    ) -> Result<(Vec<FieldError>, Option<String>, Option<String>)> {
        self.authorize(principal, Action::CreateUsers).await?;
        let mut problems = Vec::new();
        let email = match &input.email {
            Some(email) => Some(check_email(email, &mut problems)),
            None => {
                problems.push(required("email"));
                None
            }
        };
        let username = input
            .username
            .as_ref()
            .and_then(|u| check_username(u.as_deref(), &mut problems));
        match &input.password {
            Some(password) => check_new_password(password, &mut problems),
            None => problems.push(required("password")),
        }
        if input.role_id.is_none() {
            problems.push(required("role_id"));
        }
        self.check_references(principal, input, &mut problems)
            .await?;
        if let Some(email) = &email {
            self.check_taken(
                &principal.tenant_id,
                Some(email),
                username.as_deref(),
                &mut problems,
            )
            .await?;
        }
        Ok((problems, email, username))
    }

    /// Creates an account; it is confirmed unless `status` says `Unconfirmed`.
    pub async fn create_account(
        &self,
        principal: &Principal,
        input: AccountInput,
        client: &ClientInfo,
    ) -> Result<User> {
        let (problems, email, username) = self.new_account_checks(principal, &input).await?;
        let (Some(email), Some((password, _)), Some(role_id), true) =
            (email, &input.password, input.role_id, problems.is_empty())
        else {
            return Err(Error::Invalid(problems));
        };
        self.check_may_grant(principal, role_id).await?;
        let hash = self.hasher.hash(password).await?;
        let now = self.now();
        let status = input.status.unwrap_or(UserStatus::Active);
        let new = NewUser {
            uid: crate::random::base62(12),
            tenant_id: principal.tenant_id.clone(),
            username,
            email,
            first_name: input.details.first_name.clone().flatten(),
            last_name: input.details.last_name.clone().flatten(),
            role_id,
            email_verified_at: (status != UserStatus::Unconfirmed).then_some(now),
            created_at: now,
        };
        let description = format!("Created an account for {}.", new.email);
        let activity = self.activity_of(principal, client, &description);
        let disabled = status == UserStatus::Banned;
        self.store
            .create_account(&new, &hash, &input.details, disabled, &activity)
            .await
            .map_err(taken)
    }

    /// Invites someone: creates the account with a password nobody knows and mails its owner
    /// the tenant's password-reset link, with which they choose their own. Refused (before
    /// anything is created) where the tenant turned password resets off.
    pub async fn invite_account(
        &self,
        principal: &Principal,
        tenant: &crate::model::Tenant,
        mut input: AccountInput,
        client: &ClientInfo,
    ) -> Result<User> {
        if tenant.id != principal.tenant_id {
            return Err(Error::NotFound);
        }
        crate::lifecycle::password_resets_open(tenant)?;
        let unknown = Secret::new(crate::random::base62(40));
        input.password = Some((unknown.clone(), unknown));
        let user = self.create_account(principal, input, client).await?;
        self.remind_password(tenant, &user.email, client).await?;
        Ok(user)
    }

    /// Mails a user of the tenant the password-reset link, at an administrator's request
    /// (`update-users`); the mail throttles apply as to a request from the user.
    pub async fn send_reset_mail(
        &self,
        principal: &Principal,
        tenant: &crate::model::Tenant,
        id: UserId,
        client: &ClientInfo,
    ) -> Result<()> {
        self.authorize(principal, Action::UpdateUsers).await?;
        if tenant.id != principal.tenant_id {
            return Err(Error::NotFound);
        }
        let user = self.tenant_user(principal, id).await?;
        self.remind_password(tenant, &user.email, client).await
    }

    /// Changes any of an account's fields. Banning ends the user's sessions and tokens at once;
    /// so does a new password (but for the caller's own session).
    pub async fn update_account(
        &self,
        principal: &Principal,
        id: UserId,
        input: AccountInput,
        client: &ClientInfo,
    ) -> Result<User> {
        self.authorize(principal, Action::UpdateUsers).await?;
        let user = self.tenant_user(principal, id).await?;
        let mut problems = Vec::new();
        let email = input.email.as_ref().map(|e| check_email(e, &mut problems));
        let username = input
            .username
            .as_ref()
            .map(|u| check_username(u.as_deref(), &mut problems));
        if let Some(password) = &input.password {
            check_new_password(password, &mut problems);
        }
        self.check_references(principal, &input, &mut problems)
            .await?;
        let (new_email, new_username) = new_logins(
            &user,
            email.as_deref(),
            username.as_ref().and_then(|u| u.as_deref()),
        );
        self.check_taken(&principal.tenant_id, new_email, new_username, &mut problems)
            .await?;
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let changes_sign_in = new_email.is_some() || input.password.is_some();
        let reaches_above = changes_sign_in
            || input.username.is_some()
            || input.status.is_some()
            || input.role_id.is_some_and(|role| role != user.role_id);
        if reaches_above {
            self.check_outranks(principal, &user).await?;
        }
        // One's own sign-in changes through the account-change service's presence rule
        // whichever path asks (a personal token with `update-users` is no login session).
        if changes_sign_in && user.id == principal.user.id {
            self.require_presence(principal, None, client).await?;
        }
        if let Some(role) = input.role_id.filter(|role| *role != user.role_id) {
            self.check_may_grant(principal, role).await?;
        }
        let password = match &input.password {
            Some((password, _)) => Some(self.hasher.hash(password).await?),
            None => None,
        };
        let now = self.now();
        let (disabled, email_verified_at) = match input.status {
            None => (None, None),
            Some(UserStatus::Banned) => (Some(true), None),
            Some(UserStatus::Active) => (
                Some(false),
                user.email_verified_at.is_none().then_some(Some(now)),
            ),
            Some(UserStatus::Unconfirmed) => (Some(false), Some(None)),
        };
        let banning = disabled == Some(true) && !user.disabled;
        let description = match (banning, disabled == Some(false) && user.disabled) {
            (true, _) => format!("Banned {}.", user.email),
            (_, true) => format!("Lifted the ban on {}.", user.email),
            _ => format!("Updated the account of {}.", user.email),
        };
        let write = AccountWrite {
            user: user.id,
            details: input.details,
            email,
            username,
            role: input.role_id,
            end_sessions: banning || password.is_some(),
            password,
            disabled,
            email_verified_at,
            keep_session: (user.id == principal.user.id)
                .then(|| principal.session_id.clone())
                .flatten(),
            activity: self.activity_of(principal, client, &description),
        };
        let updated = self
            .store
            .update_account(&write, now)
            .await
            .map_err(taken)?;
        self.principals.forget_user(user.id);
        Ok(updated)
    }

    /// Deletes an account with everything that belongs to it. Nobody may delete themself.
    pub async fn delete_account(
        &self,
        principal: &Principal,
        id: UserId,
        client: &ClientInfo,
    ) -> Result<()> {
        self.authorize(principal, Action::DeleteUsers).await?;
        let user = self.tenant_user(principal, id).await?;
        if user.id == principal.user.id {
            return Err(Error::Refused("You cannot delete yourself."));
        }
        self.check_outranks(principal, &user).await?;
        let description = format!("Deleted the account of {}.", user.email);
        let activity = self.activity_of(principal, client, &description);
        self.store.delete_user(user.id, &activity).await?;
        self.principals.forget_user(user.id);
        Ok(())
    }

    /// A user the caller may change (`users.manage`), for the per-user avatar and 2FA paths.
    /// Refused for a user whose role holds a permission the caller's lacks (their second
    /// factor is a credential too).
    pub async fn user_to_update(&self, principal: &Principal, id: UserId) -> Result<User> {
        self.authorize(principal, Action::UpdateUsers).await?;
        let user = self.tenant_user(principal, id).await?;
        self.check_outranks(principal, &user).await?;
        Ok(user)
    }

    /// [`Error::Forbidden`] unless the caller's role holds every permission of `role`: nobody
    /// hands out rights they do not have (`users.manage` must not be a way to Admin).
    pub(crate) async fn check_may_grant(&self, principal: &Principal, role: RoleId) -> Result<()> {
        // The built-in Admin role holds every permission, whatever its rows say (custom
        // permissions are never linked to it): only an Admin's full-scope token reaches it.
        let target = self.store.role(&principal.tenant_id, role).await?;
        if target.is_some_and(|r| crate::rbac::is_builtin_admin(&r)) {
            let caller = self
                .store
                .role(&principal.tenant_id, principal.user.role_id)
                .await?;
            let is_admin = caller.is_some_and(|r| crate::rbac::is_builtin_admin(&r));
            return if is_admin && principal.scopes.allows_all() {
                Ok(())
            } else {
                Err(Error::Forbidden)
            };
        }
        let theirs = self.store.role_permissions(role).await?;
        if self.holds_all(principal, &theirs).await? {
            Ok(())
        } else {
            Err(Error::Forbidden)
        }
    }

    /// [`Error::Forbidden`] when `user`'s role holds a permission the caller's lacks: their
    /// credentials, email and role are out of the caller's reach.
    pub(crate) async fn check_outranks(&self, principal: &Principal, user: &User) -> Result<()> {
        self.check_may_grant(principal, user.role_id).await
    }

    /// Role and country ids must name existing rows.
    async fn check_references(
        &self,
        principal: &Principal,
        input: &AccountInput,
        problems: &mut Vec<FieldError>,
    ) -> Result<()> {
        if let Some(role) = input.role_id {
            if self.store.role(&principal.tenant_id, role).await?.is_none() {
                problems.push(FieldError::new("role_id", Rule::Unknown));
            }
        }
        if let Some(Some(country)) = input.details.country_id {
            if self.store.country(country).await?.is_none() {
                problems.push(FieldError::new("country_id", Rule::Unknown));
            }
        }
        Ok(())
    }
}

fn required(field: &str) -> FieldError {
    FieldError::new(field, Rule::Required)
}

fn check_new_password((password, confirmation): &(Secret, Secret), problems: &mut Vec<FieldError>) {
    confirmation_matches(password, confirmation, problems);
    check_password_rules(password, problems);
}
