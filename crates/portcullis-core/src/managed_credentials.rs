//! A managed user's credentials as the management API (document 003) sees them: the password
//! (id `password`, imported or set there) and the passkeys their owner registered (ids
//! `webauthn_<n>`), which the API may disable, enable, annotate and delete but never create:
//! a passkey is made by its authenticator, in its owner's hands.

use crate::error::{Error, Result};
use crate::ids::PasskeyId;
use crate::managed_users::{CredentialInput, PASSWORD_CREDENTIAL_ID};
use crate::metadata;
use crate::model::{ClientInfo, CredentialWrite, Metadata, Passkey, PasswordCredential, Tenant};
use crate::services::Services;

/// How a passkey's credential id starts.
const PASSKEY_PREFIX: &str = "webauthn_";

/// One of a user's credentials.
#[derive(Debug, Clone)]
pub enum ManagedCredential {
    Password(PasswordCredential),
    Passkey(Passkey),
}

/// What the management API may change on a passkey.
#[derive(Debug, Clone)]
pub struct PasskeyChange {
    pub disabled: bool,
    pub metadata: Metadata,
}

/// The management API's id of a passkey.
pub fn passkey_credential_id(id: PasskeyId) -> String {
    format!("{PASSKEY_PREFIX}{id}")
}

/// The passkey a credential id names, if it names one.
pub fn passkey_of_credential_id(credential: &str) -> Option<PasskeyId> {
    credential
        .strip_prefix(PASSKEY_PREFIX)
        .and_then(|n| n.parse().ok())
        .map(PasskeyId)
}

impl Services {
    /// The user's credentials: their password credential, if any, then their passkeys.
    pub async fn managed_credentials(
        &self,
        tenant: &Tenant,
        uid: &str,
    ) -> Result<Vec<ManagedCredential>> {
        let user = self.managed_user(tenant, uid).await?;
        let password = self.store.password_credential(user.id).await?;
        let passkeys = self.store.passkeys_of(user.id).await?;
        Ok(password
            .map(ManagedCredential::Password)
            .into_iter()
            .chain(passkeys.into_iter().map(ManagedCredential::Passkey))
            .collect())
    }

    /// One credential by id: `password`, or a passkey's `webauthn_<n>`.
    pub async fn managed_credential(
        &self,
        tenant: &Tenant,
        uid: &str,
        credential: &str,
    ) -> Result<ManagedCredential> {
        let user = self.managed_user(tenant, uid).await?;
        let found = if credential == PASSWORD_CREDENTIAL_ID {
            self.store
                .password_credential(user.id)
                .await?
                .map(ManagedCredential::Password)
        } else if let Some(id) = passkey_of_credential_id(credential) {
            self.store
                .passkey(user.id, id)
                .await?
                .map(ManagedCredential::Passkey)
        } else {
            None
        };
        found.ok_or(Error::NotFound)
    }

    /// Sets the password credential: `replace` makes a new one (the collection's POST),
    /// otherwise the existing one changes (the object's POST; a `password` equal to the stored
    /// one, as a GET returned it, is kept as it is rather than imported again).
    pub async fn put_managed_credential(
        &self,
        tenant: &Tenant,
        uid: &str,
        credential: &str,
        input: CredentialInput,
        replace: bool,
        actor: &str,
    ) -> Result<PasswordCredential> {
        if credential != PASSWORD_CREDENTIAL_ID {
            return Err(Error::NotFound);
        }
        metadata::check(&input.metadata)?;
        let user = self.managed_user(tenant, uid).await?;
        let existing = self.store.password_credential(user.id).await?;
        let unchanged = existing.filter(|c| {
            !replace
                && c.hash.alg == input.password.alg
                && c.hash.hash == input.password.hash.expose()
        });
        let hash = match unchanged {
            Some(existing) => existing.hash,
            None => {
                self.hasher
                    .import(&input.password.alg, &input.password.hash)
                    .await?
            }
        };
        let write = CredentialWrite {
            hash,
            disabled: input.disabled,
            metadata: input.metadata,
            replace,
        };
        let activity = self.activity(
            &tenant.id,
            Some(&user),
            &ClientInfo::default(),
            &format!("Set the password credential ({actor})."),
        );
        let stored = self
            .store
            .put_password_credential(user.id, &write, &activity, self.now())
            .await?;
        self.principals.forget_user(user.id);
        Ok(stored)
    }

    /// Disables or enables a passkey and replaces its metadata; a disabled passkey signs
    /// nobody in.
    pub async fn update_managed_passkey(
        &self,
        tenant: &Tenant,
        uid: &str,
        credential: &str,
        change: PasskeyChange,
        actor: &str,
    ) -> Result<Passkey> {
        metadata::check(&change.metadata)?;
        let ManagedCredential::Passkey(passkey) =
            self.managed_credential(tenant, uid, credential).await?
        else {
            return Err(Error::NotFound);
        };
        let user = self.managed_user(tenant, uid).await?;
        let what = if change.disabled { "Disabled" } else { "Set" };
        let activity = self.activity(
            &tenant.id,
            Some(&user),
            &ClientInfo::default(),
            &format!("{what} the passkey {} ({actor}).", passkey.name),
        );
        let updated = self
            .store
            .set_passkey_state(
                passkey.id,
                change.disabled,
                &change.metadata,
                &activity,
                self.now(),
            )
            .await?
            .ok_or(Error::NotFound)?;
        self.principals.forget_user(user.id);
        Ok(updated)
    }

    /// Removes a credential; returns its last version. Without a password the user can still
    /// reset one; without a passkey, sign in otherwise.
    pub async fn delete_managed_credential(
        &self,
        tenant: &Tenant,
        uid: &str,
        credential: &str,
        actor: &str,
    ) -> Result<ManagedCredential> {
        let last = self.managed_credential(tenant, uid, credential).await?;
        let user = self.managed_user(tenant, uid).await?;
        let what = match &last {
            ManagedCredential::Password(_) => "the password credential".to_owned(),
            ManagedCredential::Passkey(passkey) => format!("the passkey {}", passkey.name),
        };
        let activity = self.activity(
            &tenant.id,
            Some(&user),
            &ClientInfo::default(),
            &format!("Deleted {what} ({actor})."),
        );
        let deleted = match &last {
            ManagedCredential::Password(_) => {
                self.store
                    .delete_password_credential(user.id, &activity)
                    .await?
            }
            ManagedCredential::Passkey(passkey) => {
                self.store.delete_passkey(passkey.id, &activity).await?
            }
        };
        if !deleted {
            return Err(Error::NotFound);
        }
        self.principals.forget_user(user.id);
        Ok(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passkey_ids_read_back() {
        let id = passkey_credential_id(PasskeyId(42));
        assert_eq!(id, "webauthn_42");
        assert_eq!(passkey_of_credential_id(&id), Some(PasskeyId(42)));
        assert_eq!(passkey_of_credential_id("password"), None);
        assert_eq!(passkey_of_credential_id("webauthn_x"), None);
    }
}
