//! An account's life by its own hand: registering, confirming the email address, and resetting
//! a forgotten password. Every secret sent by mail is single-use, expires, and is stored only
//! as a hash.

use crate::accounts::{
    check_email, check_password_rules, check_username, confirmation_matches, taken,
};
use crate::error::{Error, Result};
use crate::field::{FieldError, Rule};
use crate::ids::Secret;
use crate::mail::with_link;
use crate::model::{
    ClientInfo, Mail, NewOneTimeToken, NewUser, Tenant, TenantSettings, TokenPurpose,
};
use crate::services::Services;
use time::Duration;

/// Length of mailed secrets (base62).
pub const MAILED_SECRET_LEN: usize = 60;
/// How long an email-confirmation link stays good.
pub const VERIFY_EMAIL_LIFETIME: Duration = Duration::days(7);
/// The role a self-registered user gets.
pub const REGISTERED_ROLE: &str = "User";

#[derive(Debug, Clone)]
pub struct Registration {
    pub username: Option<String>,
    pub email: String,
    pub password: Secret,
    pub password_confirmation: Secret,
    pub tos_accepted: bool,
    /// The proof of being a person, when sent (needed while the tenant has `captcha_enabled`).
    pub captcha: Option<CaptchaAnswer>,
    pub client: ClientInfo,
}

/// How a sign-up shows it comes from a person.
#[derive(Debug, Clone)]
pub enum CaptchaAnswer {
    /// Document 001's `g-recaptcha-response`, checked with the configured siteverify service.
    Token(String),
    /// The built-in image captcha (document 002's), which needs no script: its key and what
    /// the person read in the picture. Used up by the sign-up that sends it.
    Image { key: String, answer: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    /// The user got a mail and must confirm the address before logging in.
    pub requires_email_confirmation: bool,
}

#[derive(Debug, Clone)]
pub struct PasswordReset {
    pub token: String,
    pub email: String,
    pub password: Secret,
    pub password_confirmation: Secret,
    pub client: ClientInfo,
}

/// A new mailed secret and its hash.
pub(crate) fn mailed_secret() -> (String, String) {
    let secret = crate::random::base62(MAILED_SECRET_LEN);
    let hash = crate::tokens::hash_secret(&secret);
    (secret, hash)
}

/// [`Error::NotFound`] unless the tenant takes sign-ups; surfaces check it before reading a
/// registration, so a closed registration looks absent.
pub fn registration_open(tenant: &Tenant) -> Result<()> {
    if tenant.settings.allow_signups {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}

/// [`Error::NotFound`] unless the tenant lets users reset forgotten passwords.
pub fn password_resets_open(tenant: &Tenant) -> Result<()> {
    if tenant.settings.forgot_password {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}

/// What became of a request for a reset mail that named a well-formed address.
enum ResetMail {
    Sent,
    NoSuchAccount,
    /// The account was sent its share of reset mails in this window: the refusal.
    TooManyForAccount(Error),
}

/// The refusal of a bare confirmation on a passwordless tenant.
pub const MAKE_A_PASSKEY: &str =
    "Confirm your address by making your passkey on the page the link opens.";

impl Services {
    /// Self-registration, as the tenant's settings allow: [`Error::NotFound`] when sign-ups
    /// are closed.
    pub async fn register(&self, tenant: &Tenant, input: Registration) -> Result<Registered> {
        registration_open(tenant)?;
        self.reserve_mail_request(tenant, input.client.ip.as_deref())
            .await?;
        let settings = &tenant.settings;
        let mut problems = Vec::new();
        let email = check_email(&input.email, &mut problems);
        let username = check_username(input.username.as_deref(), &mut problems);
        if username.is_none() {
            problems.push(FieldError::new("username", Rule::Required));
        }
        // A passwordless tenant's accounts get a passkey once their address is confirmed (see
        // `Services::begin_passkey_signup`), never a password.
        let passwordless = settings.is_passwordless();
        if !passwordless {
            check_password_rules(&input.password, &mut problems);
            confirmation_matches(&input.password, &input.password_confirmation, &mut problems);
        }
        self.check_taken(&tenant.id, Some(&email), username.as_deref(), &mut problems)
            .await?;
        if settings.captcha_enabled {
            self.check_registration_captcha(
                tenant,
                input.captcha.as_ref(),
                &input.client,
                &mut problems,
            )
            .await?;
        }
        if settings.tos && !input.tos_accepted {
            problems.push(FieldError::other(
                "tos",
                "You have to accept Terms of Service.",
            ));
        }
        let role = self.store.role_by_name(&tenant.id, REGISTERED_ROLE).await?;
        let Some(role) = role.filter(|_| problems.is_empty()) else {
            return Err(if problems.is_empty() {
                Error::Internal(format!("the tenant has no {REGISTERED_ROLE} role"))
            } else {
                Error::Invalid(problems)
            });
        };
        let requires_email_confirmation = !settings.allow_unverified || passwordless;
        let hash = match passwordless {
            true => None,
            false => Some(self.hasher.hash(&input.password).await?),
        };
        let now = self.now();
        let new = NewUser {
            uid: crate::random::base62(12),
            tenant_id: tenant.id.clone(),
            username,
            email: email.clone(),
            first_name: None,
            last_name: None,
            role_id: role.id,
            email_verified_at: None,
            created_at: now,
        };
        let verification =
            requires_email_confirmation.then(|| self.verification(tenant, &email, now));
        let user = self
            .store
            .register_user(
                &new,
                hash.as_ref(),
                verification.as_ref().map(|(t, m)| (t, m)),
            )
            .await
            .map_err(taken)?;
        let activity = self.activity(
            &tenant.id,
            Some(&user),
            &input.client,
            "Created an account.",
        );
        self.store.record_activity(&activity).await?;
        if settings.notifications_signup_email {
            for admin in self.store.admin_emails(&tenant.id).await? {
                let mail = signup_notice(&admin, tenant, &user.email, user.username.as_deref());
                self.store.enqueue_mail(&tenant.id, &mail, now).await?;
            }
        }
        self.mail_queued();
        Ok(Registered {
            requires_email_confirmation,
        })
    }

    /// Confirms an email address with the token from the registration mail (on a passwordless
    /// tenant, refused: see [`MAKE_A_PASSKEY`]):
    /// [`Error::NotFound`] when the tenant does not ask for confirmation,
    /// [`Error::InvalidToken`] when the token is unknown, used or expired.
    pub async fn verify_email(
        &self,
        tenant: &Tenant,
        token: &str,
        client: &ClientInfo,
    ) -> Result<()> {
        if tenant.settings.is_passwordless() {
            // Such an account confirms its address by making its passkey (see
            // `Services::finish_passkey_signup`): confirmed without one, it could never sign in.
            return Err(Error::Refused(MAKE_A_PASSKEY));
        }
        if tenant.settings.allow_unverified {
            return Err(Error::NotFound);
        }
        let hash = crate::tokens::hash_secret(token);
        let (user, replaced) = self
            .store
            .verify_email(&tenant.id, &hash, self.now())
            .await
            .map_err(crate::accounts::taken)?
            .ok_or(Error::InvalidToken)?;
        self.principals.forget_user(user);
        if let Some(old) = replaced {
            let what = "Your account's email address was changed: the new one was confirmed.";
            let notice = self.change_notice(&tenant.settings, &old, what);
            self.queue_mail(&tenant.id, &notice).await?;
        }
        let mut activity = self.activity(&tenant.id, None, client, "Confirmed the email address.");
        activity.user_id = Some(user);
        self.store.record_activity(&activity).await?;
        Ok(())
    }

    /// Mails a password-reset link to the user with this email. [`Error::NotFound`] when the
    /// tenant turned password resets off; a 422 on `email` when no user has it (as document
    /// 001 specifies); [`Error::Throttled`] when the caller's address, or the account, has had
    /// its share of reset mails for now.
    pub async fn remind_password(
        &self,
        tenant: &Tenant,
        email: &str,
        client: &ClientInfo,
    ) -> Result<()> {
        match self.mail_reset_link(tenant, email, client).await? {
            ResetMail::Sent => Ok(()),
            ResetMail::NoSuchAccount => Err(Error::invalid("email", Rule::Unknown)),
            ResetMail::TooManyForAccount(refusal) => Err(refusal),
        }
    }

    /// [`Services::remind_password`] for a page that must not tell who has an account: an
    /// unknown address, or an account that had its share of reset mails, is answered as if a
    /// mail went out.
    pub async fn remind_password_quietly(
        &self,
        tenant: &Tenant,
        email: &str,
        client: &ClientInfo,
    ) -> Result<()> {
        self.mail_reset_link(tenant, email, client).await.map(drop)
    }

    async fn mail_reset_link(
        &self,
        tenant: &Tenant,
        email: &str,
        client: &ClientInfo,
    ) -> Result<ResetMail> {
        password_resets_open(tenant)?;
        self.reserve_mail_request(tenant, client.ip.as_deref())
            .await?;
        let mut problems = Vec::new();
        let email = check_email(email, &mut problems);
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let Some(user) = self.store.user_by_email(&tenant.id, &email).await? else {
            return Ok(ResetMail::NoSuchAccount);
        };
        if let Err(refusal) = self.reserve_mail_to(tenant, user.id).await {
            return match refusal {
                Error::Throttled { .. } => Ok(ResetMail::TooManyForAccount(refusal)),
                other => Err(other),
            };
        }
        let now = self.now();
        let (secret, secret_hash) = mailed_secret();
        let lifetime = Duration::minutes(tenant.settings.login_reset_token_lifetime.max(1));
        let token = NewOneTimeToken {
            email: None,
            tenant_id: tenant.id.clone(),
            purpose: TokenPurpose::PasswordReset,
            secret_hash,
            created_at: now,
            expires_at: now + lifetime,
        };
        // The link opens the hosted reset page of the tenant's own host (where its token is
        // good); apps may still send the token to the API.
        let origin = self.public_origin(&tenant.settings);
        let link = url::Url::parse_with_params(
            &format!("{origin}/reset-password"),
            [("token", secret.as_str()), ("email", user.email.as_str())],
        )
        .map(String::from)
        .map_err(|e| Error::Internal(format!("reset link: {e}")))?;
        let mail = with_link(
            &user.email,
            &tenant.settings.app_name,
            "Reset your password",
            &format!(
                "Someone asked to reset the password of your account. If it was you, open the \
                 link below to choose a new password, or use this token within {} minutes: \
                 {secret} (apps send it with your email address and new password to \
                 {origin}/api/password/reset). If not, ignore this message.",
                lifetime.whole_minutes(),
            ),
            &link,
        );
        self.store
            .issue_one_time_token(user.id, &token, &mail)
            .await?;
        self.mail_queued();
        let activity = self.activity(
            &tenant.id,
            Some(&user),
            client,
            "Requested a password reset email.",
        );
        self.store.record_activity(&activity).await?;
        Ok(ResetMail::Sent)
    }

    /// Sets a new password with the token from the reset mail, ending every session of the
    /// user. [`Error::InvalidToken`] when the token is unknown, used, expired or not the
    /// email's.
    pub async fn reset_password(&self, tenant: &Tenant, input: PasswordReset) -> Result<()> {
        password_resets_open(tenant)?;
        let mut problems = Vec::new();
        let email = check_email(&input.email, &mut problems);
        check_password_rules(&input.password, &mut problems);
        confirmation_matches(&input.password, &input.password_confirmation, &mut problems);
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let hash = self.hasher.hash(&input.password).await?;
        let activity = self.activity(&tenant.id, None, &input.client, "Reset the password.");
        let token_hash = crate::tokens::hash_secret(input.token.trim());
        let user = self
            .store
            .reset_password(&tenant.id, &email, &token_hash, &hash, &activity)
            .await?
            .ok_or(Error::InvalidToken)?;
        self.principals.forget_user(user);
        Ok(())
    }

    /// Asks the configured captcha service about an answer. With none configured, no answer
    /// passes: a captcha-protected form fails closed rather than letting robots through.
    async fn captcha_passes(&self, answer: &str, client: &ClientInfo) -> Result<bool> {
        let Some(verifier) = &self.captcha else {
            tracing::warn!("captcha is on but no captcha_verify_url is configured");
            return Ok(false);
        };
        verifier
            .verify(answer, client.ip.as_deref())
            .await
            .map_err(Error::Unavailable)
    }

    /// Adds a problem unless `captcha` passes: a token with the siteverify service, an image
    /// captcha with its stored answer (used up either way).
    async fn check_registration_captcha(
        &self,
        tenant: &Tenant,
        captcha: Option<&CaptchaAnswer>,
        client: &ClientInfo,
        problems: &mut Vec<FieldError>,
    ) -> Result<()> {
        match captcha {
            Some(CaptchaAnswer::Image { key, answer }) => {
                if answer.trim().is_empty() {
                    let message = "Type the characters you see in the picture.";
                    problems.push(FieldError::other("captcha", message));
                    return Ok(());
                }
                // Passed or not, it is spent: a form shown again brings a new picture.
                match self.check_captcha(tenant, key, answer).await {
                    Ok(()) => self.consume_captcha(key).await?,
                    Err(Error::Invalid(refusal)) => problems.extend(refusal),
                    Err(other) => return Err(other),
                }
            }
            Some(CaptchaAnswer::Token(token)) if !token.trim().is_empty() => {
                if !self.captcha_passes(token.trim(), client).await? {
                    problems.push(FieldError::other(
                        "g-recaptcha-response",
                        "reCAPTCHA value is invalid.",
                    ));
                }
            }
            _ => problems.push(FieldError::new("g-recaptcha-response", Rule::Required)),
        }
        Ok(())
    }

    /// A new email-confirmation token for `email`, and the mail that carries its secret.
    pub(crate) fn verification(
        &self,
        tenant: &Tenant,
        email: &str,
        now: time::OffsetDateTime,
    ) -> (NewOneTimeToken, Mail) {
        let (secret, secret_hash) = mailed_secret();
        let token = NewOneTimeToken {
            email: None,
            tenant_id: tenant.id.clone(),
            purpose: TokenPurpose::VerifyEmail,
            secret_hash,
            created_at: now,
            expires_at: now + VERIFY_EMAIL_LIFETIME,
        };
        (
            token,
            self.verification_mail(&tenant.settings, email, &secret),
        )
    }

    pub(crate) fn verification_mail(
        &self,
        settings: &TenantSettings,
        to: &str,
        secret: &str,
    ) -> Mail {
        // The link opens the hosted confirmation page of the tenant's own host, whose button
        // does the POST (a mail scanner that follows links confirms nothing); apps may still
        // POST to the API.
        let origin = self.public_origin(settings);
        let link = format!("{origin}/verify-email?token={secret}");
        with_link(
            to,
            &settings.app_name,
            "Confirm your email address",
            &format!(
                "Thanks for signing up. Confirm your email address by opening the link below. \
                 (Apps send the token as POST to {origin}/api/registration/verify-email/{secret}.)"
            ),
            &link,
        )
    }
}

fn signup_notice(to: &str, tenant: &Tenant, email: &str, username: Option<&str>) -> Mail {
    let app = &tenant.settings.app_name;
    let who = match username {
        Some(name) => format!("{name} <{email}>"),
        None => email.to_owned(),
    };
    let text = format!("Hello,\n\n{who} just registered.\n\n{app}\n");
    let html = format!(
        "<!doctype html><html><body><p>Hello,</p><p>{} just registered.</p><p>{}</p></body></html>",
        crate::mail::html_escape(&who),
        crate::mail::html_escape(app),
    );
    Mail {
        to: to.to_owned(),
        subject: format!("{app}: new registration"),
        text,
        html,
    }
}
