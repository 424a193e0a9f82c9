//! A user changing their own account: profile details, and login credentials (email,
//! username, password).

use crate::accounts::{
    check_email, check_password_rules, check_username, confirmation_matches, new_logins, taken,
};
use crate::auth::Principal;
use crate::authz::Action;
use crate::error::{Error, Result};
use crate::ids::{Secret, UserId};
use crate::lifecycle::{mailed_secret, VERIFY_EMAIL_LIFETIME};
use crate::model::{ClientInfo, NewOneTimeToken, TokenPurpose, User};
use crate::Services;
use time::Date;

/// A field of a partial update: `None` leaves it alone, `Some(None)` clears it.
pub type Change<T> = Option<Option<T>>;

/// Profile fields to change; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DetailsChange {
    pub first_name: Change<String>,
    pub last_name: Change<String>,
    pub birthday: Change<Date>,
    pub phone: Change<String>,
    pub address: Change<String>,
    pub country_id: Change<i64>,
}

/// New login credentials. The email is always given (document 001 requires it); the password
/// only when it changes.
#[derive(Debug, Clone)]
pub struct CredentialsChange {
    pub email: String,
    pub username: Change<String>,
    pub password: Option<(Secret, Secret)>,
    pub client: ClientInfo,
}

/// What the store writes for a credentials change, in one transaction.
#[derive(Debug, Clone)]
pub struct CredentialsWrite {
    pub user: UserId,
    pub email: String,
    pub username: Change<String>,
    pub password: Option<crate::model::PasswordHash>,
    /// The email changed and the tenant requires confirmation: it becomes unverified, and a
    /// confirmation token and mail go with the change.
    pub reverify: Option<(NewOneTimeToken, crate::mail::Mail)>,
    /// When the password changes, every session but this one ends.
    pub keep_session: Option<crate::ids::SessionId>,
    pub activity: crate::model::NewActivity,
}

impl Services {
    /// The caller's own account.
    pub async fn own_profile(&self, principal: &Principal) -> Result<User> {
        self.authorize(principal, Action::ViewProfile).await?;
        Ok(principal.user.clone())
    }

    pub async fn update_details(
        &self,
        principal: &Principal,
        change: DetailsChange,
        client: &ClientInfo,
    ) -> Result<User> {
        self.authorize(principal, Action::UpdateProfile).await?;
        if let Some(Some(country)) = change.country_id {
            if self.store.country(country).await?.is_none() {
                return Err(Error::invalid(
                    "country_id",
                    "The selected country id is invalid.",
                ));
            }
        }
        let now = self.now();
        let user = self
            .store
            .update_user_details(principal.user.id, &change, now)
            .await?;
        self.principals.forget_user(user.id);
        let activity = self.activity(
            &principal.tenant_id,
            Some(&user),
            client,
            "Updated profile details.",
        );
        self.store.record_activity(&activity).await?;
        Ok(user)
    }

    /// Changes the caller's email, username and (optionally) password. A new password ends
    /// every other session of the user; a new email must be confirmed again where the tenant
    /// requires confirmation.
    pub async fn update_credentials(
        &self,
        principal: &Principal,
        change: CredentialsChange,
    ) -> Result<User> {
        self.authorize(principal, Action::UpdateProfile).await?;
        let user = &principal.user;
        let (tenant, settings) = (&principal.tenant_id, &principal.settings);
        let mut problems = Vec::new();
        let email = check_email(&change.email, &mut problems);
        let username = change
            .username
            .as_ref()
            .map(|name| check_username(name.as_deref(), &mut problems));
        if let Some((password, confirmation)) = &change.password {
            check_password_rules(password, &mut problems);
            confirmation_matches(password, confirmation, &mut problems);
        }
        let new_username = username.as_ref().and_then(|u| u.as_deref());
        let (new_email, new_username) = new_logins(user, Some(&email), new_username);
        let email_changed = new_email.is_some();
        self.check_taken(tenant, new_email, new_username, &mut problems)
            .await?;
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let password = match &change.password {
            Some((password, _)) => Some(self.hasher.hash(password).await?),
            None => None,
        };
        let now = self.now();
        let reverify = (email_changed && !settings.allow_unverified).then(|| {
            let (secret, secret_hash) = mailed_secret();
            let token = NewOneTimeToken {
                tenant_id: tenant.clone(),
                purpose: TokenPurpose::VerifyEmail,
                secret_hash,
                created_at: now,
                expires_at: now + VERIFY_EMAIL_LIFETIME,
            };
            (token, self.verification_mail(settings, &email, &secret))
        });
        let queued_mail = reverify.is_some();
        let write = CredentialsWrite {
            user: user.id,
            email,
            username,
            password,
            reverify,
            keep_session: principal.session_id.clone(),
            activity: self.activity(
                tenant,
                Some(user),
                &change.client,
                "Updated login credentials.",
            ),
        };
        let updated = self
            .store
            .update_credentials(&write, now)
            .await
            .map_err(taken)?;
        self.principals.forget_user(user.id);
        if queued_mail {
            self.mail_queued();
        }
        Ok(updated)
    }
}
