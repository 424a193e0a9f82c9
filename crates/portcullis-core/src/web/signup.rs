//! Signing up on the hosted pages, without telling anyone which email addresses have accounts.

use super::WEB_CLIENT;
use crate::auth::IssuedToken;
use crate::error::{Error, Result};
use crate::lifecycle::Registration;
use crate::model::Tenant;
use crate::Services;

/// The account API's message for a registered address; the page never shows it.
const EMAIL_TAKEN: &str = "The email has already been taken.";

/// What a sign-up on the page leads to.
#[derive(Debug)]
pub enum SignupOutcome {
    /// The tenant lets unconfirmed users in: signed in already.
    SignedIn(Box<IssuedToken>),
    /// "Check your email": said both when a confirmation mail went out and when the address
    /// already has an account, so the page does not reveal who is registered.
    CheckEmail,
}

impl Services {
    /// [`Services::register`] for the hosted page: an address that already has an account is
    /// answered with [`SignupOutcome::CheckEmail`] (its other problems are still shown, minus
    /// that one), and a user who may log in unconfirmed gets a web session at once.
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
                    .open_session(tenant, user, &client, WEB_CLIENT.to_owned())
                    .await?;
                Ok(SignupOutcome::SignedIn(Box::new(issued)))
            }
            Err(Error::Invalid(problems)) => {
                let rest: Vec<_> = problems
                    .into_iter()
                    .filter(|(field, message)| !(field == "email" && message == EMAIL_TAKEN))
                    .collect();
                if rest.is_empty() {
                    Ok(SignupOutcome::CheckEmail)
                } else {
                    Err(Error::Invalid(rest))
                }
            }
            Err(other) => Err(other),
        }
    }
}
