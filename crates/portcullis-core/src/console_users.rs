//! What an administrator does to a user from the console beyond the account API's fields: the
//! user's password credential and passkeys (document 003's credentials), personal tokens,
//! metadata, confirmed address and recovery codes. Every service here first finds the user as
//! [`Services::user_to_update`] does (`users.manage`, the same tenant, and never a user who
//! holds a permission the caller lacks); a change to one's own account also passes the
//! presence rule, as every credential change does.

use crate::error::{Error, Result};
use crate::ids::{PasskeyId, Secret, TokenId, UserId};
use crate::metadata;
use crate::model::{
    ClientInfo, CredentialWrite, ManagedFields, Metadata, Passkey, PasswordCredential, Principal,
    Token, User,
};
use crate::services::Services;

/// A user's ways in and standing tokens, as the console's user page lists them.
#[derive(Debug, Clone, Default)]
pub struct UserCredentials {
    pub password: Option<PasswordCredential>,
    pub passkeys: Vec<Passkey>,
    /// Live personal API tokens, newest first.
    pub tokens: Vec<Token>,
    /// Whether a confirmed second factor is on.
    pub two_factor: bool,
}

impl Services {
    /// The user's credentials and tokens, for whoever may see the user.
    pub async fn user_credentials(
        &self,
        principal: &Principal,
        id: UserId,
    ) -> Result<UserCredentials> {
        let user = self.user_for_admin(principal, id).await?;
        let (password, passkeys, tokens, two_factor) = tokio::try_join!(
            self.store.password_credential(user.id),
            self.store.passkeys_of(user.id),
            self.store.personal_tokens(user.id),
            self.store.two_factor(user.id),
        )?;
        Ok(UserCredentials {
            password,
            passkeys,
            tokens,
            two_factor: two_factor.is_some_and(|t| t.confirmed_at.is_some()),
        })
    }

    /// The user a credential change reaches: one the caller may change, and, for the caller's
    /// own account, only under the presence rule.
    async fn credential_owner(
        &self,
        principal: &Principal,
        id: UserId,
        client: &ClientInfo,
    ) -> Result<User> {
        let user = self.user_to_update(principal, id).await?;
        if user.id == principal.user.id {
            self.require_presence(principal, None, client).await?;
        }
        Ok(user)
    }

    /// Turns the user's password off (a disabled password signs nobody in; a reset mail
    /// still lets its owner choose a new one) or back on.
    pub async fn set_password_disabled(
        &self,
        principal: &Principal,
        id: UserId,
        disabled: bool,
        client: &ClientInfo,
    ) -> Result<PasswordCredential> {
        let user = self.credential_owner(principal, id, client).await?;
        let existing = self
            .store
            .password_credential(user.id)
            .await?
            .ok_or(Error::NotFound)?;
        let what = if disabled { "Disabled" } else { "Enabled" };
        let activity = self.activity_of(
            principal,
            client,
            &format!("{what} the password of {}.", user.email),
        );
        let write = CredentialWrite {
            hash: existing.hash,
            disabled,
            metadata: existing.metadata,
            replace: false,
        };
        let stored = self
            .store
            .put_password_credential(user.id, &write, &activity, self.now())
            .await?;
        self.principals.forget_user(user.id);
        Ok(stored)
    }

    /// Turns one of the user's passkeys off or back on; its name and metadata stay.
    pub async fn set_user_passkey_disabled(
        &self,
        principal: &Principal,
        (id, passkey): (UserId, PasskeyId),
        disabled: bool,
        client: &ClientInfo,
    ) -> Result<Passkey> {
        let user = self.credential_owner(principal, id, client).await?;
        let found = self
            .store
            .passkey(user.id, passkey)
            .await?
            .ok_or(Error::NotFound)?;
        let what = if disabled { "Disabled" } else { "Enabled" };
        let activity = self.activity_of(
            principal,
            client,
            &format!("{what} the passkey {} of {}.", found.name, user.email),
        );
        let updated = self
            .store
            .set_passkey_state(found.id, disabled, &found.metadata, &activity, self.now())
            .await?
            .ok_or(Error::NotFound)?;
        self.principals.forget_user(user.id);
        Ok(updated)
    }

    /// Removes one of the user's passkeys.
    pub async fn remove_user_passkey(
        &self,
        principal: &Principal,
        (id, passkey): (UserId, PasskeyId),
        client: &ClientInfo,
    ) -> Result<()> {
        let user = self.credential_owner(principal, id, client).await?;
        let found = self
            .store
            .passkey(user.id, passkey)
            .await?
            .ok_or(Error::NotFound)?;
        let activity = self.activity_of(
            principal,
            client,
            &format!("Removed the passkey {} of {}.", found.name, user.email),
        );
        if !self.store.delete_passkey(found.id, &activity).await? {
            return Err(Error::NotFound);
        }
        self.principals.forget_user(user.id);
        Ok(())
    }

    /// Revokes one of the user's personal API tokens; it answers 401 at once on every node.
    pub async fn revoke_user_token(
        &self,
        principal: &Principal,
        (id, token): (UserId, TokenId),
        client: &ClientInfo,
    ) -> Result<()> {
        let user = self.user_to_update(principal, id).await?;
        let found = self
            .store
            .personal_tokens(user.id)
            .await?
            .into_iter()
            .find(|t| t.id == token)
            .ok_or(Error::NotFound)?;
        let activity = self.activity_of(
            principal,
            client,
            &format!("Revoked the API token {:?} of {}.", found.name, user.email),
        );
        self.store
            .revoke_token(found.id, &activity, self.now())
            .await?;
        self.principals.forget_user(user.id);
        Ok(())
    }

    /// Replaces the user's metadata (document 003's key-value pairs, under its limits).
    pub async fn set_user_metadata(
        &self,
        principal: &Principal,
        id: UserId,
        metadata: Metadata,
        client: &ClientInfo,
    ) -> Result<User> {
        metadata::check(&metadata)?;
        let user = self.user_to_update(principal, id).await?;
        let description = format!("Changed the metadata of {}.", user.email);
        self.rewrite_fields(principal, user, client, &description, |fields| {
            fields.metadata = metadata
        })
        .await
    }

    /// Marks the user's address confirmed (now, unless it was already) or unconfirmed; where
    /// the tenant requires confirmation, an unconfirmed user cannot sign in.
    pub async fn set_email_verified(
        &self,
        principal: &Principal,
        id: UserId,
        verified: bool,
        client: &ClientInfo,
    ) -> Result<User> {
        let user = self.credential_owner(principal, id, client).await?;
        let now = self.now();
        let description = match verified {
            true => format!("Marked the address of {} confirmed.", user.email),
            false => format!("Marked the address of {} unconfirmed.", user.email),
        };
        self.rewrite_fields(principal, user, client, &description, |fields| {
            fields.email_verified_at = match verified {
                true => fields.email_verified_at.or(Some(now)),
                false => None,
            }
        })
        .await
    }

    /// Writes the user's management fields with `change` made to them.
    async fn rewrite_fields(
        &self,
        principal: &Principal,
        user: User,
        client: &ClientInfo,
        description: &str,
        change: impl FnOnce(&mut ManagedFields),
    ) -> Result<User> {
        let mut fields = ManagedFields {
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            email_verified_at: user.email_verified_at,
            disabled: user.disabled,
            metadata: user.metadata.clone(),
        };
        change(&mut fields);
        let activity = self.activity_of(principal, client, description);
        let updated = self
            .store
            .update_managed_user(user.id, &fields, &activity, self.now())
            .await?;
        self.principals.forget_user(user.id);
        Ok(updated)
    }

    /// New recovery codes for the user (the old ones stop working), shown this once to the
    /// administrator who hands them over; the account's address is told.
    pub async fn new_user_recovery_codes(
        &self,
        principal: &Principal,
        id: UserId,
        client: &ClientInfo,
    ) -> Result<Vec<Secret>> {
        let user = self.credential_owner(principal, id, client).await?;
        let codes = self.issue_recovery_codes(principal, &user, client).await?;
        let what = "An administrator made new two-factor recovery codes for your account; the old ones no longer work.";
        self.send_change_notice(&principal.settings, &user, what)
            .await?;
        Ok(codes)
    }
}
