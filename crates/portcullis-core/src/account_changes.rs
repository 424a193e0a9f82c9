//! The account-change service: an account's email, password and second factor change only
//! here, whoever asks (the account API, the pages), under three rules:
//! - **presence**: only the token of a login session makes these changes, never a personal API
//!   token or an application's access token, whatever their scopes; and where the tenant sets
//!   `reauth_seconds`, a sign-in older than that must give the current password again;
//! - **verification**: a new address is never verified by the change itself; where the tenant
//!   requires confirmation, the account keeps its old address until the new one is confirmed;
//! - **notice**: the account's previous address hears of every such change, with a link to the
//!   password-reset flow, so an owner whose session was taken over can take the account back.

use crate::accounts::{
    check_email, check_password_rules, check_username, confirmation_matches, new_logins, taken,
};
use crate::authz::Action;
use crate::error::{Error, Result};
use crate::field::Rule;
use crate::ids::Secret;
use crate::lifecycle::{mailed_secret, VERIFY_EMAIL_LIFETIME};
use crate::mail::with_link;
use crate::model::{
    Change, ClientInfo, CredentialsWrite, Mail, NewOneTimeToken, Principal, TenantSettings,
    TokenKind, TokenPurpose, User,
};
use crate::services::Services;
use crate::throttle::Throttling;

/// The field a step-up asks for.
pub const CURRENT_PASSWORD: &str = "current_password";
const CONFIRM_PASSWORD: &str = "Confirm your current password to make this change.";
const WRONG_PASSWORD: &str = "The current password is incorrect.";

/// New login credentials. The email is always given (document 001 requires it); the password
/// only when it changes.
#[derive(Debug, Clone)]
pub struct CredentialsChange {
    pub email: String,
    pub username: Change<String>,
    pub password: Option<(Secret, Secret)>,
    /// The step-up's proof, when the sign-in is older than the tenant allows.
    pub current_password: Option<Secret>,
    /// Whether a new password or address needs the current password however recent the
    /// sign-in, when the account has one (the account page asks for it; document 001's API
    /// keeps its own contract, the step-up alone).
    pub always_confirm: bool,
    pub client: ClientInfo,
}

/// Whether the principal's token is a login session's own (not a personal token, not an
/// application's access token riding on a session with fewer scopes).
pub(crate) fn is_login_session(principal: &Principal) -> bool {
    principal.token_kind == TokenKind::Session
        && principal.session_id.is_some()
        && principal.scopes.allows_all()
}

impl Services {
    /// The presence rule, for `principal` about to make a sensitive change:
    /// [`Error::Forbidden`] unless its token is a login session's; then, where the tenant sets
    /// `reauth_seconds` and the sign-in is older, the current password must come along (a 422
    /// on [`CURRENT_PASSWORD`] when missing or wrong; wrong ones count like login attempts).
    pub async fn require_presence(
        &self,
        principal: &Principal,
        current_password: Option<&Secret>,
        client: &ClientInfo,
    ) -> Result<()> {
        if !is_login_session(principal) {
            return Err(Error::Forbidden);
        }
        let Some(window) = principal.settings.reauth_seconds else {
            return Ok(());
        };
        let now = self.now();
        let recent = principal
            .authenticated_at
            .is_some_and(|at| (now - at).whole_seconds() <= window.max(0));
        if recent {
            return Ok(());
        }
        self.confirm_current_password(principal, current_password, client)
            .await
    }

    /// Whether the caller's account has a password (an account made with a passkey or a
    /// social network may not).
    pub async fn has_password(&self, principal: &Principal) -> Result<bool> {
        self.authorize(principal, Action::ViewProfile).await?;
        Ok(self
            .store
            .password_credential(principal.user.id)
            .await?
            .is_some())
    }

    /// The account's current password, given again (a 422 on [`CURRENT_PASSWORD`] when
    /// missing or wrong; wrong ones count like login attempts).
    pub(crate) async fn confirm_current_password(
        &self,
        principal: &Principal,
        current_password: Option<&Secret>,
        client: &ClientInfo,
    ) -> Result<()> {
        let Some(password) = current_password.filter(|p| !p.expose().is_empty()) else {
            return Err(Error::invalid(
                CURRENT_PASSWORD,
                Rule::Other(CONFIRM_PASSWORD.into()),
            ));
        };
        let tenant = self
            .store
            .tenant_by_id(&principal.tenant_id)
            .await?
            .ok_or(Error::Unauthenticated)?;
        let checked = self
            .check_password(
                &tenant,
                &principal.user.email,
                password,
                client,
                Throttling::CountFailures,
            )
            .await;
        match checked {
            Ok(user) if user.id == principal.user.id => Ok(()),
            Ok(_) | Err(Error::InvalidCredentials) => Err(Error::invalid(
                CURRENT_PASSWORD,
                Rule::Other(WRONG_PASSWORD.into()),
            )),
            Err(other) => Err(other),
        }
    }

    /// The notice to `to` (the account's address before the change) that `what` happened.
    pub(crate) fn change_notice(&self, settings: &TenantSettings, to: &str, what: &str) -> Mail {
        let origin = self.public_origin(settings);
        with_link(
            to,
            &settings.app_name,
            "Your account was changed",
            &format!(
                "{what} If you did not do this, someone else may be using your account: reset \
                 your password now."
            ),
            &format!("{origin}/forgot-password"),
        )
    }

    /// Mails `user`'s address that `what` happened (after the change is stored).
    pub(crate) async fn send_change_notice(
        &self,
        settings: &TenantSettings,
        user: &User,
        what: &str,
    ) -> Result<()> {
        let mail = self.change_notice(settings, &user.email, what);
        self.queue_mail(&user.tenant_id, &mail).await
    }

    /// Changes the caller's email, username and (optionally) password, under the presence
    /// rule. A new password ends every other session of the user. A new email is never
    /// verified by the change: where the tenant requires confirmation it waits for it (the
    /// old address stays in force), elsewhere it replaces the old one unverified. The old
    /// address is told either way.
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
        // Before looking addresses up, so that no token but a present session's learns
        // which are taken.
        let current = change.current_password.as_ref();
        if email_changed || change.password.is_some() {
            let confirm =
                change.always_confirm && self.store.password_credential(user.id).await?.is_some();
            let present = if !confirm {
                self.require_presence(principal, current, &change.client)
                    .await
            } else if !is_login_session(principal) {
                Err(Error::Forbidden)
            } else {
                self.confirm_current_password(principal, current, &change.client)
                    .await
            };
            // A missing or wrong current password is one more problem of the form.
            match present {
                Ok(()) => {}
                Err(Error::Invalid(more)) => {
                    problems.extend(more);
                    return Err(Error::Invalid(problems));
                }
                Err(other) => return Err(other),
            }
        }
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
        let waits = email_changed && !settings.allow_unverified;
        let reverify = waits.then(|| {
            let (secret, secret_hash) = mailed_secret();
            let token = NewOneTimeToken {
                tenant_id: tenant.clone(),
                purpose: TokenPurpose::VerifyEmail,
                secret_hash,
                email: Some(email.clone()),
                created_at: now,
                expires_at: now + VERIFY_EMAIL_LIFETIME,
            };
            (token, self.verification_mail(settings, &email, &secret))
        });
        let mut notices = Vec::new();
        if email_changed {
            let what = if waits {
                format!("A change of your account's email address to {email} was asked for; it takes effect once confirmed from that address.")
            } else {
                format!("Your account's email address was changed to {email}.")
            };
            notices.push(self.change_notice(settings, &user.email, &what));
        }
        if change.password.is_some() {
            notices.push(self.change_notice(
                settings,
                &user.email,
                "Your account's password was changed.",
            ));
        }
        let queued_mail = reverify.is_some() || !notices.is_empty();
        let write = CredentialsWrite {
            user: user.id,
            email: if waits { user.email.clone() } else { email },
            unverify: email_changed && !waits,
            username,
            password,
            reverify,
            notices,
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
