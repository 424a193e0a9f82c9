//! Signing up on the hosted pages, without telling anyone which email addresses have accounts.

use crate::auth::IssuedToken;
use crate::error::{Error, Result};
use crate::field::Rule;
use crate::lifecycle::Registration;
use crate::mail::with_link;
use crate::model::{amr, SessionClient, Tenant, UserStatus};
use crate::services::Services;

/// What a sign-up on the page leads to.
#[derive(Debug)]
pub enum SignupOutcome {
    /// The tenant lets unconfirmed users in: signed in already.
    SignedIn(Box<IssuedToken>),
    /// "Check your email": said both when a confirmation mail went out and when the address
    /// already has an account (whose owner is mailed a note instead), so the page does not
    /// reveal who is registered.
    CheckEmail,
}

impl Services {
    /// [`Services::register`] for the hosted page: an address that already has an account is
    /// answered with [`SignupOutcome::CheckEmail`] (its other problems are still shown, minus
    /// that one) and its owner is told by mail, and a user who may log in unconfirmed gets a
    /// web session at once.
    pub async fn web_signup(&self, tenant: &Tenant, input: Registration) -> Result<SignupOutcome> {
        let email = input.email.trim().to_owned();
        let client = input.client.clone();
        match self.register(tenant, input).await {
            Ok(registered) if registered.requires_email_confirmation => {
                Ok(SignupOutcome::CheckEmail)
            }
            Ok(_) => {
                let user = self
                    .store
                    .user_by_email(&tenant.id, &email)
                    .await?
                    .ok_or_else(|| Error::Internal("a new user is missing".to_owned()))?;
                let issued = self
                    .open_session(tenant, user, &client, SessionClient::Browser, amr(&["pwd"]))
                    .await?;
                Ok(SignupOutcome::SignedIn(Box::new(issued)))
            }
            Err(Error::Invalid(problems)) => {
                let rest: Vec<_> = problems
                    .into_iter()
                    .filter(|problem| !problem.is("email", &Rule::Taken))
                    .collect();
                if rest.is_empty() {
                    self.mail_account_exists(tenant, &email).await?;
                    Ok(SignupOutcome::CheckEmail)
                } else {
                    Err(Error::Invalid(rest))
                }
            }
            Err(other) => Err(other),
        }
    }

    /// Tells the owner of `email` that someone tried to sign up with it: a fresh confirmation
    /// link when the account still waits for one (what the person expected), else the ways
    /// back in. Counted as a mail to the account, so repeated sign-ups cannot flood it; past
    /// that, and for a disabled account, nothing is sent.
    async fn mail_account_exists(&self, tenant: &Tenant, email: &str) -> Result<()> {
        let Some(user) = self.store.user_by_email(&tenant.id, email).await? else {
            return Ok(());
        };
        if user.disabled {
            return Ok(());
        }
        match self.reserve_mail_to(tenant, user.id).await {
            Ok(()) => {}
            Err(Error::Throttled { .. }) => return Ok(()),
            Err(other) => return Err(other),
        }
        let settings = &tenant.settings;
        let now = self.now();
        if user.status(settings) == UserStatus::Unconfirmed {
            let (token, mail) = self.verification(tenant, &user.email, now);
            self.store
                .issue_one_time_token(user.id, &token, &mail)
                .await?;
        } else {
            let origin = self.public_origin(settings);
            let forgot = if settings.forgot_password {
                format!(
                    " If you forgot your password, choose a new one at {origin}/forgot-password."
                )
            } else {
                String::new()
            };
            let mail = with_link(
                &user.email,
                &settings.app_name,
                "You already have an account",
                &format!(
                    "Someone, perhaps you, tried to sign up with this email address, which \
                     already has an account. Sign in with the link below.{forgot} If it was \
                     not you, you need do nothing."
                ),
                &format!("{origin}/login"),
            );
            self.store.enqueue_mail(&tenant.id, &mail, now).await?;
        }
        self.mail_queued();
        Ok(())
    }
}
