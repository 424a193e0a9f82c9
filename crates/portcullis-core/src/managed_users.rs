//! A tenant's users as the management API (document 003) and
//! `portcullis import users` see them. These are the same users the account API lists: same
//! table, the tenant's `User` role. Callers have already checked that they reach the tenant
//! (see [`Services::tenant_for_key`]).

use crate::accounts::{check_email, taken};
use crate::error::{Error, Result};
use crate::field::{FieldError, Rule};
use crate::ids::Secret;
use crate::metadata;
use crate::model::{ClientInfo, ManagedFields, Metadata, NewUser, Tenant, User};
use crate::services::Services;
use time::OffsetDateTime;

/// The only credential id there is: one password per user.
pub const PASSWORD_CREDENTIAL_ID: &str = "password";

/// The role managed users get.
const USER_ROLE: &str = "User";

/// A user object as the management API writes it: the whole of it, every time.
#[derive(Debug, Clone, Default)]
pub struct ManagedUser {
    pub email: String,
    /// The display name; without one the user is called "given family".
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub email_verified: bool,
    pub disabled: bool,
    pub metadata: Metadata,
}

/// An imported password: `alg` is one of [`crate::password::IMPORT_ALGORITHMS`].
#[derive(Debug, Clone)]
pub struct ImportedPassword {
    pub alg: String,
    pub hash: Secret,
}

/// A password credential as the management API writes it.
#[derive(Debug, Clone)]
pub struct CredentialInput {
    pub password: ImportedPassword,
    pub disabled: bool,
    pub metadata: Metadata,
}

fn blank_to_none(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

impl Services {
    /// A page of the tenant's users, oldest first, with how many there are.
    pub async fn managed_users(
        &self,
        tenant: &Tenant,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<User>, i64)> {
        Ok(self.store.users_page(&tenant.id, offset, limit).await?)
    }

    /// The tenant's user with this management id.
    pub async fn managed_user(&self, tenant: &Tenant, uid: &str) -> Result<User> {
        self.store
            .user_by_uid(&tenant.id, uid)
            .await?
            .ok_or(Error::NotFound)
    }

    /// Creates a user with the tenant's `User` role and, when given, an imported password;
    /// without one the user cannot log in until a credential is set or they reset their
    /// password. [`Error::Conflict`] when the email belongs to a user of the tenant (checked
    /// before any hashing, so an import that meets it again skips it cheaply).
    pub async fn create_managed_user(
        &self,
        tenant: &Tenant,
        input: ManagedUser,
        password: Option<ImportedPassword>,
        actor: &str,
    ) -> Result<User> {
        let now = self.now();
        let fields = self.check_managed(input, None, now)?;
        let (email_taken, _) = self
            .store
            .logins_taken(&tenant.id, &fields.email, None)
            .await?;
        if email_taken {
            return Err(Error::Conflict(
                "A user of this tenant already has this email.",
            ));
        }
        let role = self
            .store
            .role_by_name(&tenant.id, USER_ROLE)
            .await?
            .ok_or_else(|| Error::Internal(format!("tenant {} has no User role", tenant.id)))?;
        let hash = match password {
            Some(p) => Some(self.hasher.import(&p.alg, &p.hash).await?),
            None => None,
        };
        let new = NewUser {
            uid: crate::random::base62(12),
            tenant_id: tenant.id.clone(),
            username: None,
            email: fields.email.clone(),
            first_name: fields.first_name.clone(),
            last_name: fields.last_name.clone(),
            role_id: role.id,
            email_verified_at: fields.email_verified_at,
            created_at: now,
        };
        let activity = self.activity(
            &tenant.id,
            None,
            &ClientInfo::default(),
            &format!("Created the account of {} ({actor}).", new.email),
        );
        self.store
            .create_managed_user(&new, &fields, hash.as_ref(), &activity)
            .await
            .map_err(conflict)
    }

    /// Replaces the user's fields. Disabling ends every session and token of the user at once,
    /// as a ban does; `email_verified` keeps the time it was first verified.
    pub async fn update_managed_user(
        &self,
        tenant: &Tenant,
        uid: &str,
        input: ManagedUser,
        actor: &str,
    ) -> Result<User> {
        let user = self.managed_user(tenant, uid).await?;
        let now = self.now();
        let fields = self.check_managed(input, Some(&user), now)?;
        if !fields.email.eq_ignore_ascii_case(&user.email) {
            let (email_taken, _) = self
                .store
                .logins_taken(&tenant.id, &fields.email, None)
                .await?;
            if email_taken {
                return Err(Error::Conflict(
                    "A user of this tenant already has this email.",
                ));
            }
        }
        let description = match (fields.disabled, user.disabled) {
            (true, false) => format!("Disabled the account of {} ({actor}).", user.email),
            (false, true) => format!("Enabled the account of {} ({actor}).", user.email),
            _ => format!("Updated the account of {} ({actor}).", user.email),
        };
        let activity = self.activity(
            &tenant.id,
            Some(&user),
            &ClientInfo::default(),
            &description,
        );
        let updated = self
            .store
            .update_managed_user(user.id, &fields, &activity, now)
            .await
            .map_err(conflict)?;
        self.principals.forget_user(user.id);
        Ok(updated)
    }

    /// Deletes the user with everything that is theirs; returns the last version.
    pub async fn delete_managed_user(
        &self,
        tenant: &Tenant,
        uid: &str,
        actor: &str,
    ) -> Result<User> {
        let user = self.managed_user(tenant, uid).await?;
        let activity = self.activity(
            &tenant.id,
            None,
            &ClientInfo::default(),
            &format!("Deleted the account of {} ({actor}).", user.email),
        );
        self.store.delete_user(user.id, &activity).await?;
        self.principals.forget_user(user.id);
        Ok(user)
    }

    /// Checks a written user; `existing` is the user being replaced, if any.
    fn check_managed(
        &self,
        input: ManagedUser,
        existing: Option<&User>,
        now: OffsetDateTime,
    ) -> Result<ManagedFields> {
        let mut problems = Vec::new();
        let email = if input.email.trim().is_empty() {
            problems.push(FieldError::new("email", Rule::Required));
            String::new()
        } else {
            check_email(&input.email, &mut problems)
        };
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        metadata::check(&input.metadata)?;
        let email_verified_at = match existing.and_then(|u| u.email_verified_at) {
            Some(at) if input.email_verified => Some(at),
            _ if input.email_verified => Some(now),
            _ => None,
        };
        Ok(ManagedFields {
            email,
            display_name: blank_to_none(input.name),
            first_name: blank_to_none(input.given_name),
            last_name: blank_to_none(input.family_name),
            email_verified_at,
            disabled: input.disabled,
            metadata: input.metadata,
        })
    }
}

/// A race on the unique email index reads as the same conflict as the check before it.
fn conflict(error: crate::error::StoreError) -> Error {
    match taken(error) {
        Error::Invalid(problems) if problems.iter().any(|p| p.is("email", &Rule::Taken)) => {
            Error::Conflict("A user of this tenant already has this email.")
        }
        other => other,
    }
}
