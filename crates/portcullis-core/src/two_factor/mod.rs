//! Two-factor authentication: an authenticator app (TOTP), or a code sent by mail or text
//! message at each login, plus single-use recovery codes.
//!
//! A login whose password is right but whose account has a second factor gets a challenge
//! instead of a token; [`Services::complete_login`] trades the challenge and a code for the
//! session. Challenges expire, allow a few attempts, and are used once; TOTP codes are accepted
//! once each, within one 30-second step of clock skew.

use crate::auth::IssuedToken;
use crate::error::{Error, Result};
use crate::field::Rule;
use crate::ids::Secret;
use crate::mail::with_link;
use crate::model::{
    Challenge, ClientInfo, Method, NewChallenge, NewTwoFactor, Principal, SessionClient, Tenant,
    TwoFactor, User,
};
use crate::sealing::SealedFor;
use crate::services::Services;
use subtle::ConstantTimeEq;
use time::Duration;
use totp_rs::{Builder, Secret as TotpSecret, Totp};

/// How long a login challenge stays good.
pub const CHALLENGE_LIFETIME: Duration = Duration::minutes(10);
/// Wrong codes allowed per challenge.
pub const MAX_ATTEMPTS: i64 = 5;
/// Recovery codes issued at a time.
pub const RECOVERY_CODES: usize = 10;
const CHALLENGE_LEN: usize = 40;

/// What enabling a method gives back.
#[derive(Debug)]
pub enum Enrolment {
    /// Active now.
    Enabled(Box<User>),
    /// Add this to an authenticator app, then confirm with its first code.
    Totp { otpauth_url: String, secret: Secret },
}

fn hash(text: &str) -> String {
    crate::tokens::hash_secret(text)
}

/// A login challenge that is unknown, used up or expired.
pub(crate) fn invalid_challenge() -> Error {
    Error::invalid(
        "challenge",
        Rule::Other("The challenge is invalid or has expired.".into()),
    )
}

/// Six random digits.
fn numeric_code() -> String {
    use rand::Rng;
    format!("{:06}", rand::rng().random_range(0..1_000_000))
}

/// `xxxxx-xxxxx` of lowercase letters and digits.
fn recovery_code() -> String {
    let raw = crate::random::base62(10).to_ascii_lowercase();
    format!("{}-{}", &raw[..5], &raw[5..])
}

fn totp(secret_base32: &str, account: &str, issuer: &str) -> Result<Totp> {
    let secret = TotpSecret::try_from_base32(secret_base32)
        .map_err(|e| Error::Internal(format!("stored TOTP secret: {e}")))?;
    // Issuer and account may not contain ':' in an otpauth URL.
    let clean = |s: &str| s.replace(':', " ");
    Builder::new()
        .with_secret(secret)
        .with_account_name(clean(account))
        .with_issuer(Some(clean(issuer)))
        .build()
        .map_err(|e| Error::Internal(format!("TOTP: {e}")))
}

fn already_enabled() -> Error {
    Error::Conflict("2FA is already enabled for this user.")
}

fn not_enabled() -> Error {
    Error::Conflict("2FA is not enabled for this user.")
}

/// A second-factor code that is not the right one (the pages word it their own way).
fn wrong_code() -> Rule {
    Rule::Other("The two-factor code is invalid.".into())
}

impl Services {
    /// The user's confirmed second factor, when the tenant uses two-factor authentication.
    pub(crate) async fn active_two_factor(
        &self,
        tenant: &Tenant,
        user: &User,
    ) -> Result<Option<TwoFactor>> {
        if !tenant.settings.two_factor_enabled {
            return Ok(None);
        }
        Ok(self
            .store
            .two_factor(user.id)
            .await?
            .filter(|t| t.confirmed_at.is_some()))
    }

    /// Starts a second-factor challenge for a login, sending the code where the method needs
    /// one. Returns the challenge for the client.
    pub(crate) async fn start_challenge(
        &self,
        tenant: &Tenant,
        user: &User,
        two_factor: &TwoFactor,
        opener: &SessionClient,
        amr: Vec<String>,
    ) -> Result<(Secret, Method)> {
        let now = self.now();
        let challenge = crate::random::base62(CHALLENGE_LEN);
        let code = (two_factor.method != Method::Totp).then(numeric_code);
        let record = NewChallenge {
            id_hash: hash(&challenge),
            challenge: Challenge {
                tenant_id: tenant.id.clone(),
                user_id: user.id,
                code_hash: code.as_deref().map(hash),
                client: opener.name().to_owned(),
                amr,
                attempts: 0,
                expires_at: now + CHALLENGE_LIFETIME,
                used: false,
            },
            created_at: now,
        };
        let app = &tenant.settings.app_name;
        let mail = match (two_factor.method, &code) {
            (Method::Email, Some(code)) => Some(with_link(
                &user.email,
                app,
                "Your login code",
                &format!(
                    "Your login code is {code}. It is good for {} minutes. If you did not try \
                     to log in, change your password.",
                    CHALLENGE_LIFETIME.whole_minutes()
                ),
                &self.public_origin(&tenant.settings),
            )),
            _ => None,
        };
        self.store.create_challenge(&record, mail.as_ref()).await?;
        if mail.is_some() {
            self.mail_queued();
        }
        if let (Method::Phone, Some(code)) = (two_factor.method, &code) {
            let to = phone_number(user)
                .ok_or_else(|| Error::Internal("phone 2FA without a phone number".to_owned()))?;
            let text = format!("{app}: your login code is {code}");
            self.texter()?
                .send(&to, &text)
                .await
                .map_err(Error::Unavailable)?;
        }
        Ok((Secret::new(challenge), two_factor.method))
    }

    /// Trades a challenge and a code (or a recovery code) for a session, opened for whom
    /// `opener` names given the client the login that started it named: the account API
    /// keeps that name (`SessionClient::Named`), the hosted pages open a browser's session
    /// whatever surface the login started on.
    ///
    /// Guessing is bounded twice: each challenge allows [`MAX_ATTEMPTS`] codes, claimed one
    /// by one before a code is looked at; and each account allows `throttle_attempts` wrong
    /// codes per `throttle_lockout_time`, however many challenges a right password mints.
    pub async fn complete_login(
        &self,
        tenant: &Tenant,
        challenge: &str,
        code: &str,
        client: &ClientInfo,
        opener: impl FnOnce(String) -> SessionClient,
    ) -> Result<IssuedToken> {
        let id_hash = hash(challenge.trim());
        let now = self.now();
        let found = self
            .store
            .challenge(&id_hash)
            .await?
            .filter(|c| c.tenant_id == tenant.id)
            .ok_or_else(invalid_challenge)?;
        let user = self
            .store
            .user(&tenant.id, found.user_id)
            .await?
            .ok_or_else(invalid_challenge)?;
        if user.disabled {
            return Err(Error::Banned);
        }
        let two_factor = self
            .active_two_factor(tenant, &user)
            .await?
            .ok_or_else(invalid_challenge)?;
        let guess = self.reserve_second_factor(tenant, user.id).await?;
        if !self
            .store
            .claim_challenge_attempt(&id_hash, now, MAX_ATTEMPTS)
            .await?
        {
            self.second_factor_unchecked(&guess).await?;
            return Err(invalid_challenge());
        }
        if !self
            .code_is_right(tenant, &user, &two_factor, &found, code)
            .await?
        {
            if guess.locks_now() {
                self.mail_second_factor_locked(tenant, &user).await?;
            }
            return Err(Error::invalid("code", wrong_code()));
        }
        self.second_factor_unchecked(&guess).await?;
        // A code (or recovery code) on top of the first factor.
        self.finish_second_step(tenant, user, found, &id_hash, "otp", client, opener)
            .await
    }

    /// The end of a login's second step, whatever answered it: the challenge used up (once,
    /// however many answers race), then a session whose `amr` adds `proof` and `mfa` to the
    /// first factor's.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn finish_second_step(
        &self,
        tenant: &Tenant,
        user: User,
        challenge: Challenge,
        id_hash: &str,
        proof: &str,
        client: &ClientInfo,
        opener: impl FnOnce(String) -> SessionClient,
    ) -> Result<IssuedToken> {
        if !self.store.use_challenge(id_hash, self.now()).await? {
            return Err(invalid_challenge());
        }
        let mut amr = challenge.amr;
        amr.extend([proof.to_owned(), "mfa".to_owned()]);
        self.open_session(tenant, user, client, opener(challenge.client), amr)
            .await
    }

    /// Whether `code` answers the challenge: a recovery code (used up), the authenticator
    /// app's current code (each step accepted once), or the code that was sent.
    async fn code_is_right(
        &self,
        tenant: &Tenant,
        user: &User,
        two_factor: &TwoFactor,
        challenge: &Challenge,
        code: &str,
    ) -> Result<bool> {
        let code = code.trim();
        let now = self.now();
        if code.contains('-') {
            return Ok(self
                .store
                .use_recovery_code(user.id, &hash(&code.to_ascii_lowercase()), now)
                .await?);
        }
        Ok(
            match (
                &two_factor.method,
                &challenge.code_hash,
                &two_factor.totp_secret,
            ) {
                (Method::Totp, _, Some(sealed)) => {
                    let secret = self.unseal(SealedFor::TotpSeed { user: user.id.0 }, sealed)?;
                    let totp = totp(&secret, &user.email, &tenant.settings.app_name)?;
                    match totp.check(code, now.unix_timestamp().max(0) as u64) {
                        Some(step) => self.store.record_totp_step(user.id, step as i64).await?,
                        None => false,
                    }
                }
                (_, Some(expected), _) => {
                    bool::from(hash(code).as_bytes().ct_eq(expected.as_bytes()))
                }
                _ => false,
            },
        )
    }

    /// Tells the account's owner that its second step is locked: someone who knows the
    /// password has been guessing codes.
    async fn mail_second_factor_locked(&self, tenant: &Tenant, user: &User) -> Result<()> {
        let settings = &tenant.settings;
        let origin = self.public_origin(settings);
        let mail = with_link(
            &user.email,
            &settings.app_name,
            "Sign-ins to your account are paused",
            &format!(
                "Wrong two-factor codes were entered {} times after your password, so signing \
                 in is paused for {} minutes. If this was not you, someone knows your \
                 password: change it now.",
                settings.throttle_attempts.max(1),
                settings.throttle_lockout_time.max(1),
            ),
            &format!("{origin}/forgot-password"),
        );
        self.queue_mail(&tenant.id, &mail).await
    }

    /// Turns on a second factor for the caller: 403 when the tenant does not use 2FA, a
    /// conflict when one is already on. A sensitive change (where the codes go decides who
    /// can sign in): the presence rule applies, and the account's address is told.
    pub async fn enable_two_factor(
        &self,
        principal: &Principal,
        method: Method,
        phone: Option<(i64, String)>,
        current_password: Option<&Secret>,
        client: &ClientInfo,
    ) -> Result<Enrolment> {
        self.authorize(principal, crate::authz::Action::UpdateProfile)
            .await?;
        self.require_presence(principal, current_password, client)
            .await?;
        self.enable_two_factor_for(principal, &principal.user, method, phone, client)
            .await
    }

    /// An administrator turns on codes by text message or mail for a user of the tenant (an
    /// authenticator app can only be set up by its owner, who must see the secret).
    pub async fn enable_user_two_factor(
        &self,
        principal: &Principal,
        id: crate::ids::UserId,
        method: Method,
        phone: Option<(i64, String)>,
        client: &ClientInfo,
    ) -> Result<User> {
        let user = self.user_to_update(principal, id).await?;
        if user.id == principal.user.id {
            self.require_presence(principal, None, client).await?;
        }
        if method == Method::Totp {
            return Err(Error::invalid("method", Rule::Unknown));
        }
        match self
            .enable_two_factor_for(principal, &user, method, phone, client)
            .await?
        {
            Enrolment::Enabled(user) => Ok(*user),
            Enrolment::Totp { .. } => Err(Error::Internal("unexpected TOTP enrolment".into())),
        }
    }

    async fn enable_two_factor_for(
        &self,
        principal: &Principal,
        user: &User,
        method: Method,
        phone: Option<(i64, String)>,
        client: &ClientInfo,
    ) -> Result<Enrolment> {
        if !principal.settings.two_factor_enabled {
            return Err(Error::Forbidden);
        }
        if !offered(&principal.settings, method) {
            return Err(Error::invalid(
                "method",
                Rule::Other("This two-factor method is not offered here.".into()),
            ));
        }
        let existing = self.store.two_factor(user.id).await?;
        if existing.as_ref().is_some_and(|t| t.confirmed_at.is_some()) {
            return Err(already_enabled());
        }
        let now = self.now();
        let seed = (method == Method::Totp)
            .then(|| TotpSecret::from(crate::random::bytes::<20>().to_vec()).to_base32());
        let (setup, description) = match method {
            Method::Totp => {
                let plain = seed.as_deref().unwrap_or_default();
                let sealed = self.seal(SealedFor::TotpSeed { user: user.id.0 }, plain)?;
                (
                    NewTwoFactor {
                        method,
                        totp_secret: Some(sealed),
                        phone: None,
                        confirmed: false,
                    },
                    "Started authenticator-app two-factor setup.",
                )
            }
            Method::Email | Method::Phone => (
                NewTwoFactor {
                    method,
                    totp_secret: None,
                    phone,
                    confirmed: true,
                },
                "Enabled two-factor authentication.",
            ),
        };
        let activity = self.activity(&principal.tenant_id, Some(user), client, description);
        let updated = self
            .store
            .set_two_factor(user.id, &setup, &activity, now)
            .await?;
        self.principals.forget_user(user.id);
        if setup.confirmed {
            let what = "Two-factor authentication was turned on for your account: sign-ins now need a code sent to the new place.";
            self.send_change_notice(&principal.settings, user, what)
                .await?;
        }
        match (method, seed) {
            (Method::Totp, Some(secret)) => {
                let totp = totp(&secret, &user.email, &principal.settings.app_name)?;
                let otpauth_url = totp
                    .to_url()
                    .map_err(|e| Error::Internal(format!("otpauth URL: {e}")))?;
                Ok(Enrolment::Totp {
                    otpauth_url,
                    secret: Secret::new(secret),
                })
            }
            _ => Ok(Enrolment::Enabled(Box::new(updated))),
        }
    }

    /// The caller's second factor: its method, and whether it is on (`false`: an
    /// authenticator-app setup waits for its first code).
    pub async fn own_two_factor(&self, principal: &Principal) -> Result<Option<(Method, bool)>> {
        self.authorize(principal, crate::authz::Action::ViewProfile)
            .await?;
        Ok(self
            .store
            .two_factor(principal.user.id)
            .await?
            .map(|t| (t.method, t.confirmed_at.is_some())))
    }

    /// Confirms a pending authenticator-app setup with its first code; returns the recovery
    /// codes, shown this once.
    pub async fn confirm_totp(
        &self,
        principal: &Principal,
        code: &str,
        client: &ClientInfo,
    ) -> Result<Vec<Secret>> {
        self.authorize(principal, crate::authz::Action::UpdateProfile)
            .await?;
        // Turning a factor on is a sensitive change: a login session's alone.
        if !crate::account_changes::is_login_session(principal) {
            return Err(Error::Forbidden);
        }
        let user = &principal.user;
        let pending = self
            .store
            .two_factor(user.id)
            .await?
            .filter(|t| t.method == Method::Totp);
        let Some(pending) = pending else {
            return Err(Error::Conflict("No authenticator-app setup is pending."));
        };
        if pending.confirmed_at.is_some() {
            return Err(already_enabled());
        }
        let sealed = pending.totp_secret.as_deref().unwrap_or_default();
        let secret = self.unseal(SealedFor::TotpSeed { user: user.id.0 }, sealed)?;
        let totp = totp(&secret, &user.email, &principal.settings.app_name)?;
        // Wrong codes count as the sign-in's second step does: a pending setup is no place to
        // guess a million codes.
        let tenant = self
            .store
            .tenant_by_id(&principal.tenant_id)
            .await?
            .ok_or(Error::Unauthenticated)?;
        let guess = self.reserve_second_factor(&tenant, user.id).await?;
        let now = self.now();
        let Some(step) = totp.check(code.trim(), now.unix_timestamp().max(0) as u64) else {
            return Err(Error::invalid("code", wrong_code()));
        };
        self.second_factor_unchecked(&guess).await?;
        let activity = self.activity(
            &principal.tenant_id,
            Some(user),
            client,
            "Enabled two-factor authentication.",
        );
        if !self
            .store
            .confirm_totp(user.id, (sealed, step as i64), &activity, now)
            .await?
        {
            return Err(Error::Conflict(
                "The setup was started again meanwhile: use the newest key's code.",
            ));
        }
        self.principals.forget_user(user.id);
        let what = "An authenticator app now guards sign-ins to your account.";
        self.send_change_notice(&principal.settings, user, what)
            .await?;
        self.issue_recovery_codes(principal, &principal.user, client)
            .await
    }

    /// Issues a fresh set of recovery codes (the old ones stop working); shown this once.
    /// A sensitive change: the presence rule applies, and the account's address is told.
    pub async fn new_recovery_codes(
        &self,
        principal: &Principal,
        current_password: Option<&Secret>,
        client: &ClientInfo,
    ) -> Result<Vec<Secret>> {
        self.authorize(principal, crate::authz::Action::UpdateProfile)
            .await?;
        self.require_presence(principal, current_password, client)
            .await?;
        let codes = self
            .issue_recovery_codes(principal, &principal.user, client)
            .await?;
        let what = "New two-factor recovery codes were made for your account; the old ones no longer work.";
        self.send_change_notice(&principal.settings, &principal.user, what)
            .await?;
        Ok(codes)
    }

    /// Replaces `user`'s recovery codes, recorded as done by `principal` (the user, or an
    /// administrator).
    pub(crate) async fn issue_recovery_codes(
        &self,
        principal: &Principal,
        user: &User,
        client: &ClientInfo,
    ) -> Result<Vec<Secret>> {
        let active = self.store.two_factor(user.id).await?;
        if active.is_none_or(|t| t.confirmed_at.is_none()) {
            return Err(not_enabled());
        }
        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
        let hashes: Vec<String> = codes.iter().map(|c| hash(c)).collect();
        let description = match user.id == principal.user.id {
            true => "Generated two-factor recovery codes.".to_owned(),
            false => format!("Generated two-factor recovery codes for {}.", user.email),
        };
        let activity = self.activity(&principal.tenant_id, Some(user), client, &description);
        self.store
            .replace_recovery_codes(user.id, &hashes, &activity)
            .await?;
        Ok(codes.into_iter().map(Secret::new).collect())
    }

    /// Turns the caller's second factor off: a sensitive change, so the presence rule
    /// applies and the account's address is told.
    pub async fn disable_two_factor(
        &self,
        principal: &Principal,
        current_password: Option<&Secret>,
        client: &ClientInfo,
    ) -> Result<User> {
        self.authorize(principal, crate::authz::Action::UpdateProfile)
            .await?;
        self.require_presence(principal, current_password, client)
            .await?;
        self.disable_two_factor_for(principal, &principal.user, client)
            .await
    }

    /// An administrator turns a user's second factor off.
    pub async fn disable_user_two_factor(
        &self,
        principal: &Principal,
        id: crate::ids::UserId,
        client: &ClientInfo,
    ) -> Result<User> {
        let user = self.user_to_update(principal, id).await?;
        if user.id == principal.user.id {
            self.require_presence(principal, None, client).await?;
        }
        self.disable_two_factor_for(principal, &user, client).await
    }

    async fn disable_two_factor_for(
        &self,
        principal: &Principal,
        user: &User,
        client: &ClientInfo,
    ) -> Result<User> {
        if !principal.settings.two_factor_enabled {
            return Err(Error::Forbidden);
        }
        if self.store.two_factor(user.id).await?.is_none() {
            return Err(not_enabled());
        }
        let activity = self.activity(
            &principal.tenant_id,
            Some(user),
            client,
            "Disabled two-factor authentication.",
        );
        let updated = self
            .store
            .clear_two_factor(user.id, &activity, self.now())
            .await?;
        self.principals.forget_user(user.id);
        let what = "Two-factor authentication was turned off for your account.";
        self.send_change_notice(&principal.settings, user, what)
            .await?;
        Ok(updated)
    }
}

/// `+<country code><number>` from the user's 2FA phone fields.
fn phone_number(user: &User) -> Option<String> {
    Some(format!(
        "+{}{}",
        user.two_factor_country_code?,
        user.two_factor_phone.as_deref()?
    ))
}

/// Whether the tenant lets accounts set up `method` (document 003's `allow_totp_app` and
/// `allow_totp_email`). Only new setups are refused: an account that already uses a method
/// the tenant stopped offering keeps it, rather than being locked out at its next login.
fn offered(settings: &crate::model::TenantSettings, method: Method) -> bool {
    match method {
        Method::Totp => settings.allow_totp_app,
        Method::Email => settings.allow_totp_email,
        Method::Phone => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_their_shapes() {
        let code = numeric_code();
        assert_eq!(code.len(), 6);
        assert!(code.bytes().all(|b| b.is_ascii_digit()));
        let recovery = recovery_code();
        assert_eq!(recovery.len(), 11);
        assert_eq!(&recovery[5..6], "-");
        assert_ne!(recovery_code(), recovery_code());
    }

    #[test]
    fn totp_accepts_one_step_of_skew_either_way() {
        let secret = TotpSecret::from(vec![7u8; 20]).to_base32();
        let totp = totp(&secret, "jane@example.com", "Acme: Inc").unwrap();
        let now = 1_700_000_000u64;
        for offset in [-30i64, 0, 30] {
            let code = totp.generate((now as i64 + offset) as u64).to_string();
            assert!(totp.check(&code, now).is_some(), "offset {offset}");
        }
        let late = totp.generate(now + 90).to_string();
        assert!(totp.check(&late, now).is_none());
        let url = totp.to_url().unwrap();
        assert!(url.starts_with("otpauth://totp/"), "{url}");
        assert!(url.contains("issuer=Acme"), "{url}");
    }
}
