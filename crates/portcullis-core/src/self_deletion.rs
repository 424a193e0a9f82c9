//! A person deleting their own account, where the tenant lets them (`allow_self_deletion`).
//!
//! Asked of them: their email address typed out (so that a stray click deletes nothing) and,
//! for an account with a password, that password, checked like a sign-in (a wrong one counts
//! towards the throttles). An account without one (passkeys or social networks only) passes
//! the presence rule instead. The tenant's last active Admin is refused (nobody would be left
//! to administer it). Every session and token ends with the account; the activity log keeps
//! one entry that names nobody.

use crate::account_changes::{is_login_session, CURRENT_PASSWORD};
use crate::error::{Error, Result};
use crate::field::Rule;
use crate::ids::Secret;
use crate::model::{ClientInfo, Paging, Principal, UserFilter, UserStatus};
use crate::services::Services;

/// The field of the typed address.
pub const CONFIRM_EMAIL: &str = "confirm_email";
pub const SELF_DELETION_OFF: &str =
    "This organisation does not let people delete their own account. Ask an administrator.";
const EMAIL_MISMATCH: &str = "Type your email address exactly as shown to confirm.";
/// How recent the sign-in of an account without a password must be to delete it.
const PASSWORDLESS_FRESH_SECONDS: i64 = 15 * 60;
const PASSWORD_NEEDED: &str = "Enter your current password to delete your account.";
const LAST_ADMIN: &str = "You are this organisation's only administrator: make someone else an \
                          Admin before you delete your account.";
const SIGN_IN_AGAIN: &str =
    "You signed in too long ago for this: sign out, sign in again, then delete your account.";
/// What the log keeps: no id, no address, no name.
const DELETED: &str = "Deleted their own account.";

/// What the deletion form asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SelfDeletion {
    /// The tenant lets people delete their own account.
    pub allowed: bool,
    /// The account has a password that signs in, so the form asks for it.
    pub asks_password: bool,
}

/// A deletion as the person asked for it.
#[derive(Debug, Clone)]
pub struct OwnDeletion {
    pub typed_email: String,
    pub current_password: Option<Secret>,
    pub client: ClientInfo,
}

impl Services {
    /// Whether the caller may delete their account, and whether the form asks a password.
    pub async fn self_deletion(&self, principal: &Principal) -> Result<SelfDeletion> {
        Ok(SelfDeletion {
            allowed: principal.settings.allow_self_deletion,
            asks_password: self.has_usable_password(principal).await?,
        })
    }

    /// Whether the principal's account has a password it could sign in with now.
    pub(crate) async fn has_usable_password(&self, principal: &Principal) -> Result<bool> {
        if !principal.settings.allow_passwords {
            return Ok(false);
        }
        let credential = self.store.password_credential(principal.user.id).await?;
        Ok(credential.is_some_and(|c| !c.disabled))
    }

    /// Deletes the caller's own account with everything that belongs to it; its sessions and
    /// tokens stop working at once. [`Error::Forbidden`] for anything but a login session,
    /// [`Error::Refused`] where the tenant turned self-deletion off, [`Error::Invalid`] on
    /// [`CONFIRM_EMAIL`] or [`CURRENT_PASSWORD`] when what was typed is not right.
    pub async fn delete_own_account(
        &self,
        principal: &Principal,
        deletion: OwnDeletion,
    ) -> Result<()> {
        if !is_login_session(principal) {
            return Err(Error::Forbidden);
        }
        if !principal.settings.allow_self_deletion {
            return Err(Error::Refused(SELF_DELETION_OFF));
        }
        let user = &principal.user;
        if !deletion
            .typed_email
            .trim()
            .eq_ignore_ascii_case(user.email.trim())
        {
            return Err(Error::invalid(
                CONFIRM_EMAIL,
                Rule::Other(EMAIL_MISMATCH.into()),
            ));
        }
        if self.has_usable_password(principal).await? {
            self.check_own_password(
                principal,
                deletion.current_password.as_ref(),
                &deletion.client,
            )
            .await?;
        } else {
            // Nothing to type but the address: the sign-in itself must be recent enough.
            match self
                .require_presence(principal, None, &deletion.client)
                .await
            {
                Err(Error::Invalid(_)) => return Err(Error::Refused(SIGN_IN_AGAIN)),
                other => other?,
            }
            // Even where the tenant asks no step-up: a session alone, stolen or left open,
            // must not be enough to delete an account.
            let now = self.now();
            let fresh = principal
                .authenticated_at
                .is_some_and(|at| (now - at).whole_seconds() <= PASSWORDLESS_FRESH_SECONDS);
            if !fresh {
                return Err(Error::Refused(SIGN_IN_AGAIN));
            }
        }
        self.check_not_last_admin(principal).await?;
        let activity = self.activity(&principal.tenant_id, None, &ClientInfo::default(), DELETED);
        self.store.delete_user(user.id, &activity).await?;
        self.principals.forget_user(user.id);
        Ok(())
    }

    /// [`Error::Refused`] when the caller holds the built-in Admin role and no other active
    /// account does: the tenant would be left with nobody to administer it.
    async fn check_not_last_admin(&self, principal: &Principal) -> Result<()> {
        let role = self
            .store
            .role(&principal.tenant_id, principal.user.role_id)
            .await?;
        if !role.is_some_and(|r| crate::rbac::is_builtin_admin(&r)) {
            return Ok(());
        }
        let filter = UserFilter {
            search: None,
            status: Some(UserStatus::Active),
            role: Some(principal.user.role_id),
            unverified_is_unconfirmed: !principal.settings.allow_unverified,
        };
        let paging = Paging {
            page: 1,
            per_page: 2,
        };
        let (admins, _) = self
            .store
            .list_users(&principal.tenant_id, &filter, paging)
            .await?;
        if admins.iter().any(|a| a.id != principal.user.id) {
            Ok(())
        } else {
            Err(Error::Refused(LAST_ADMIN))
        }
    }

    /// The caller's password, checked as a sign-in is (a wrong one counts like a failed login).
    async fn check_own_password(
        &self,
        principal: &Principal,
        password: Option<&Secret>,
        client: &ClientInfo,
    ) -> Result<()> {
        if password.is_none_or(|p| p.expose().is_empty()) {
            return Err(Error::invalid(
                CURRENT_PASSWORD,
                Rule::Other(PASSWORD_NEEDED.into()),
            ));
        }
        self.confirm_current_password(principal, password, client)
            .await
    }
}
