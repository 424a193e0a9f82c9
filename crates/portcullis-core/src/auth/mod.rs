//! The login pipeline: who may sign in, and what a sign-in creates. Every way in takes the
//! same steps, each written once:
//! 1. proof of who it is: the one password check ([`Services::check_password`]: the tenant's
//!    `allow_passwords`, the throttles, the one verifier with its hash upgrade, then bans and
//!    unconfirmed addresses), or a social network's token ([`crate::social`]: the audience
//!    check, linking only verified addresses, the same bans); the hosted page adds its captcha
//!    once an address failed often ([`Services::web_login`]);
//! 2. the second factor (`Services::sign_in`, answered by [`Services::complete_login`] with
//!    its per-challenge and per-account limits), skipped only for a remembered browser;
//! 3. a session within the tenant's limit (`Services::open_session`; document 002's 419 in
//!    [`Services::session_limited_login`]), with its activity row.
//!
//! The entry points are the surfaces' doors into it: [`Services::login`] (`/api/login`),
//! [`Services::complete_login`] (`/api/login/2fa`, `/login/second-factor`),
//! [`Services::social_login`] (`/api/login/social`), [`Services::device_login`]
//! (`/api/sanctum/token`), [`Services::session_limited_login`] (`/api/v1/token`),
//! [`Services::web_login`] (`/login`), [`Services::finish_web_social`] (the social
//! return) and [`Services::decide_device_request`] (`/device`: a device a signed-in person
//! approves gets a session of its own). A surface translates its input and its answer, nothing
//! more.

use crate::model::{
    amr, ClientInfo, NewActivity, NewToken, Principal, Session, SessionClient, Tenant, TokenKind,
    User,
};

mod bearer;
mod limited;

pub use limited::{client_kind, LimitedLoginRequest, LimitedOutcome, LiveSession, ONLINE_WINDOW};

use crate::error::{Error, Result};
use crate::field::{FieldError, Rule};
use crate::ids::{Secret, SessionId, TenantId, TokenId};
use crate::password::Verification;
use crate::services::Services;
use crate::throttle::{self, Throttling};

pub const SESSION_ID_LEN: usize = 40;

/// What the activity log says when a login ends the least recently active session.
const MADE_ROOM: &str = "Ended the least recently active session to make room for a new login.";
/// Rounds a login may take to make room before giving up, at the least; a user holding more
/// live sessions gets as many rounds as they hold.
const MIN_ROOM_ROUNDS: usize = 4;

/// The refusal of every password login while the tenant's `allow_passwords` is off.
pub const PASSWORDS_OFF: &str = "Password logins are turned off for this tenant.";

#[derive(Debug, Clone)]
pub struct LoginRequest {
    /// A username or an email address.
    pub login: String,
    pub password: Secret,
    pub client: ClientInfo,
    /// Which surface or client the session is for, e.g. `api`.
    pub client_name: String,
}

/// A successful login: the bearer value is shown to the client once and never stored.
#[derive(Debug)]
pub struct IssuedToken {
    pub bearer: Secret,
    pub token_id: TokenId,
    pub session_id: SessionId,
    pub user: User,
}

/// Moves field errors onto `field`, for a surface that names the login field otherwise.
fn on_field(error: Error, field: &str) -> Error {
    match error {
        Error::Invalid(problems) => Error::Invalid(
            problems
                .into_iter()
                .map(|problem| FieldError::new(field, problem.rule))
                .collect(),
        ),
        other => other,
    }
}

/// The rows a login writes, before they are stored.
pub(crate) struct NewLogin {
    pub session: Session,
    pub token: NewToken,
    pub secret: crate::tokens::TokenSecret,
    pub activity: NewActivity,
}

/// How a surface takes a second factor.
#[derive(Debug, Clone, Copy)]
pub(crate) enum SecondStep<'a> {
    /// It hands out a challenge for the client to answer.
    Challenge,
    /// The hosted pages: a challenge, unless the browser carries this user's remembered-device
    /// secret.
    UnlessRemembered(Option<&'a str>),
}

/// What a right password leads to.
#[derive(Debug)]
pub enum LoginOutcome {
    /// A session and its token.
    Issued(Box<IssuedToken>),
    /// The account has a second factor: the client completes the login with this challenge
    /// and a code (see [`Services::complete_login`]).
    SecondFactor {
        challenge: Secret,
        method: crate::model::Method,
    },
}

/// Longest device name a session keeps.
pub const DEVICE_NAME_MAX: usize = 255;

/// What is wrong with a device's name, if anything.
pub fn device_name_problem(name: &str) -> Option<FieldError> {
    (name.chars().count() > DEVICE_NAME_MAX).then(|| {
        FieldError::new(
            "device_name",
            Rule::TooLong {
                max: DEVICE_NAME_MAX,
            },
        )
    })
}

impl Services {
    /// Checks the password and, when it is right and the account may log in, opens a session
    /// with a token that carries every scope of its user, or, when the account has a second
    /// factor, starts a challenge for it.
    pub async fn login(&self, tenant: &Tenant, request: LoginRequest) -> Result<LoginOutcome> {
        let checked = self
            .check_password(
                tenant,
                &request.login,
                &request.password,
                &request.client,
                Throttling::CountFailures,
            )
            .await;
        let user = self.counters.count_failed_check(checked)?;
        self.sign_in(
            tenant,
            user,
            &request.client,
            SessionClient::Named(request.client_name),
            SecondStep::Challenge,
            amr(&["pwd"]),
        )
        .await
    }

    /// The second half of every sign-in, once the person proved who they are (a password, a
    /// social network): the second factor as the surface can ask for it, then a session
    /// within the tenant's limit (see [`Services::open_session`]).
    pub(crate) async fn sign_in(
        &self,
        tenant: &Tenant,
        user: User,
        client: &ClientInfo,
        opener: SessionClient,
        second: SecondStep<'_>,
        amr: Vec<String>,
    ) -> Result<LoginOutcome> {
        if let Some(two_factor) = self.active_two_factor(tenant, &user).await? {
            let remembered = match second {
                SecondStep::Challenge => false,
                SecondStep::UnlessRemembered(device) => {
                    self.device_remembered(tenant, &user, device).await?
                }
            };
            if !remembered {
                let (challenge, method) = self
                    .start_challenge(tenant, &user, &two_factor, &opener, amr)
                    .await?;
                return Ok(LoginOutcome::SecondFactor { challenge, method });
            }
        }
        self.open_session(tenant, user, client, opener, amr)
            .await
            .map(|issued| LoginOutcome::Issued(Box::new(issued)))
    }

    /// [`Error::NotFound`] unless the operator opened document 000's device endpoint: closed,
    /// it is no route at all.
    pub fn device_endpoint_open(&self) -> Result<()> {
        if self.device_endpoint {
            Ok(())
        } else {
            Err(Error::NotFound)
        }
    }

    /// Document 000's device endpoint: a password login that yields a full-access token named
    /// after the device. It has no second step, so accounts with a second factor are sent to
    /// `/api/login`.
    pub async fn device_login(
        &self,
        tenant: &Tenant,
        email: &str,
        password: &Secret,
        device_name: &str,
        client: &ClientInfo,
    ) -> Result<IssuedToken> {
        self.device_endpoint_open()?;
        if let Some(problem) = device_name_problem(device_name) {
            return Err(Error::Invalid(vec![problem]));
        }
        let user = self
            .single_step_login(tenant, email, password, client, Throttling::CountFailures)
            .await
            .map_err(|error| on_field(error, "email"))?;
        self.open_session(
            tenant,
            user,
            client,
            SessionClient::Named(device_name.to_owned()),
            amr(&["pwd"]),
        )
        .await
    }

    /// The password check of an endpoint that has no second step: accounts with a second
    /// factor are sent to `/api/login` (the refusal is on the field `login`).
    pub(crate) async fn single_step_login(
        &self,
        tenant: &Tenant,
        login: &str,
        password: &Secret,
        client: &ClientInfo,
        throttling: Throttling<'_>,
    ) -> Result<User> {
        let checked = self
            .check_password(tenant, login, password, client, throttling)
            .await;
        let user = self.counters.count_failed_check(checked)?;
        if self.active_two_factor(tenant, &user).await?.is_some() {
            return Err(Error::invalid(
                "login",
                Rule::Other(
                    "This account uses two-factor authentication; log in through /api/login."
                        .into(),
                ),
            ));
        }
        Ok(user)
    }

    /// Opens a session for a user who has proven who they are, with a token carrying every
    /// scope of the user, within the tenant's session limit: where the surface has no way to
    /// ask which session to end (every one but document 002's), the least recently active
    /// one ends to make room, and the activity log says so.
    pub(crate) async fn open_session(
        &self,
        tenant: &Tenant,
        user: User,
        client: &ClientInfo,
        opener: SessionClient,
        amr: Vec<String>,
    ) -> Result<IssuedToken> {
        let mut end = None;
        // Each round ends one session (a limit lowered below what a user holds takes several);
        // a round whose chosen session another login ended first simply chooses again.
        let mut rounds_left = MIN_ROOM_ROUNDS;
        while rounds_left > 0 {
            rounds_left -= 1;
            let outcome = self
                .open_limited_session(
                    tenant,
                    user.clone(),
                    client,
                    opener.clone(),
                    amr.clone(),
                    end.take().map(|id| (id, MADE_ROOM)),
                )
                .await;
            match outcome {
                Ok(LimitedOutcome::Issued(issued)) => return Ok(*issued),
                Ok(LimitedOutcome::LimitReached { sessions, .. }) => {
                    rounds_left = rounds_left.max(sessions.len());
                    end = sessions
                        .into_iter()
                        .min_by_key(|live| live.session.last_activity)
                        .map(|live| live.session.id);
                }
                Err(Error::Invalid(problems))
                    if problems.iter().any(|p| p.is("session_id", &Rule::Unknown)) => {}
                Err(other) => return Err(other),
            }
        }
        Err(Error::Internal(
            "could not make room for a session within the limit".to_owned(),
        ))
    }

    /// The rows a login writes: a session, its full-access token and the activity entry.
    pub(crate) fn new_login(
        &self,
        tenant: &Tenant,
        user: &User,
        client: &ClientInfo,
        opener: SessionClient,
        amr: Vec<String>,
    ) -> NewLogin {
        let now = self.now();
        let lifetime = opener.lifetime(&tenant.settings);
        let scopes = opener.login_scopes();
        let agent = client
            .user_agent
            .as_deref()
            .map(crate::useragent::parse)
            .unwrap_or_default();
        let session = Session {
            id: SessionId(crate::random::base62(SESSION_ID_LEN)),
            tenant_id: tenant.id.clone(),
            user_id: user.id,
            ip_address: client.ip.clone(),
            user_agent: client.user_agent.clone(),
            browser: agent.browser,
            platform: agent.platform,
            device: agent.device,
            client: opener.name().to_owned(),
            created_at: now,
            last_activity: now,
            expires_at: now + lifetime,
            ended_at: None,
            amr,
        };
        let secret = crate::tokens::TokenSecret::generate();
        let token = NewToken {
            tenant_id: tenant.id.clone(),
            user_id: user.id,
            session_id: Some(session.id.clone()),
            kind: TokenKind::Session,
            name: session.client.clone(),
            secret_hash: secret.hash.clone(),
            scopes,
            created_at: now,
            expires_at: Some(session.expires_at),
        };
        let activity = self.activity(&tenant.id, Some(user), client, "Logged in.");
        NewLogin {
            session,
            token,
            secret,
            activity,
        }
    }

    /// After a login's rows are stored: remembered lookups are stale (`last_login` moved), the
    /// login is counted, and the bearer value is made.
    pub(crate) fn issued(&self, login: NewLogin, token_id: TokenId, user: User) -> IssuedToken {
        self.principals.forget_user(user.id);
        self.counters.count_login();
        IssuedToken {
            bearer: login.secret.bearer(token_id),
            token_id,
            session_id: login.session.id,
            user,
        }
    }

    /// The one password check: refuses everything when the tenant turned password logins off
    /// ([`PASSWORDS_OFF`]), finds the user, counts the attempt against the login throttles
    /// (see [`Throttling`]; [`Error::Throttled`] before anything is verified), verifies,
    /// upgrades an outdated hash, and refuses banned accounts and, where the tenant requires
    /// it, unconfirmed email addresses. Unknown users cost as much time as wrong passwords.
    pub async fn check_password(
        &self,
        tenant: &Tenant,
        login: &str,
        password: &Secret,
        client: &ClientInfo,
        throttling: Throttling<'_>,
    ) -> Result<User> {
        // A tenant-wide rule, so refusing before the lookup reveals nothing about accounts.
        if !tenant.settings.allow_passwords {
            return Err(Error::Refused(PASSWORDS_OFF));
        }
        let user = self.store.user_by_login(&tenant.id, login.trim()).await?;
        let reserved;
        let counted = match throttling {
            Throttling::AlreadyCounted(_) => None,
            Throttling::FailuresReserved(attempt) => Some(attempt),
            Throttling::CountFailures => {
                let bucket = match &user {
                    Some(user) => throttle::user_bucket(user.id.0),
                    None => throttle::unknown_login_bucket(login),
                };
                reserved = self.reserve(tenant, client.ip.as_deref(), bucket).await?;
                Some(&reserved)
            }
        };
        let verified = self.verify_password(tenant, user, password, client).await;
        if let Some(attempt) = counted {
            match &verified {
                // A right password is no guess, even when the account may not log in.
                Ok(_) | Err(Error::Banned | Error::EmailNotConfirmed) => {
                    self.attempt_succeeded(attempt).await?
                }
                Err(Error::Overloaded { .. }) => self.attempt_unchecked(attempt).await?,
                Err(_) => {}
            }
        }
        verified
    }

    async fn verify_password(
        &self,
        tenant: &Tenant,
        user: Option<User>,
        password: &Secret,
        client: &ClientInfo,
    ) -> Result<User> {
        let Some(user) = user else {
            self.hasher.verify_decoy(password).await?;
            return Err(Error::InvalidCredentials);
        };
        let credential = self.store.password_credential(user.id).await?;
        let Some(credential) = credential.filter(|c| !c.disabled) else {
            self.hasher.verify_decoy(password).await?;
            return Err(Error::InvalidCredentials);
        };
        match self.hasher.verify(password, &credential.hash).await? {
            Verification::Mismatch => {
                let failed =
                    self.activity(&tenant.id, Some(&user), client, "Failed login attempt.");
                self.store.record_activity(&failed).await?;
                Err(Error::InvalidCredentials)
            }
            // Checked after the password, so a ban is only revealed to someone who knows it.
            Verification::Match { .. } if user.disabled => Err(Error::Banned),
            Verification::Match { .. }
                if user.status(&tenant.settings) == crate::model::UserStatus::Unconfirmed =>
            {
                Err(Error::EmailNotConfirmed)
            }
            Verification::Match { rehash } => {
                if let Some(hash) = rehash {
                    self.store
                        .replace_password_hash(user.id, &hash, self.now())
                        .await?;
                }
                Ok(user)
            }
        }
    }

    /// Ends the session behind the principal's token (a login token), or revokes the token
    /// alone when it belongs to no session. An application's access token ends only its own
    /// grant: what an application holds never signs the person out of everything.
    pub async fn logout(&self, principal: &Principal, client: &ClientInfo) -> Result<()> {
        if let Some(grant) = self.store.grant_of_token(principal.token_id).await? {
            return self
                .revoke_family(&grant, client, "its access token logged out.")
                .await;
        }
        let now = self.now();
        let activity = self.activity_of(principal, client, "Logged out.");
        match &principal.session_id {
            Some(session) => self.store.end_session(session, &activity, now).await?,
            None => {
                self.store
                    .revoke_token(principal.token_id, &activity, now)
                    .await?
            }
        }
        self.principals.forget_user(principal.user.id);
        Ok(())
    }

    /// An activity of the caller's own, in the caller's tenant.
    pub(crate) fn activity_of(
        &self,
        principal: &Principal,
        client: &ClientInfo,
        description: &str,
    ) -> NewActivity {
        // An operator acting in another tenant is no user of it: the entry names them
        // instead, and outlives their account.
        if principal.acting_from.is_some() {
            let description = format!("{description} (by the operator {})", principal.user.email);
            return self.activity(&principal.tenant_id, None, client, &description);
        }
        self.activity(
            &principal.tenant_id,
            Some(&principal.user),
            client,
            description,
        )
    }

    pub(crate) fn activity(
        &self,
        tenant: &TenantId,
        user: Option<&User>,
        client: &ClientInfo,
        description: &str,
    ) -> NewActivity {
        NewActivity {
            tenant_id: tenant.clone(),
            user_id: user.map(|u| u.id),
            ip_address: client.ip.clone(),
            user_agent: client.user_agent.clone(),
            description: description.to_owned(),
            created_at: self.now(),
        }
    }
}
