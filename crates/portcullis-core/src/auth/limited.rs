//! Document 002's session-limited login: a user holds at most the tenant's `max_sessions` live
//! sessions. Past that, the login is refused with the list of them, and a retry that names one
//! ends it to make room.

use super::IssuedToken;
use crate::error::{Error, Result};
use crate::field::{FieldError, Rule};
use crate::ids::{Secret, SessionId};
use crate::model::{amr, ClientInfo, Session, SessionClient, Tenant, User};
use crate::services::Services;
use crate::store::{LimitedLogin, SessionLimit};
use crate::throttle::Throttling;
use time::{Duration, OffsetDateTime};

/// A session active this recently counts as online.
pub const ONLINE_WINDOW: Duration = Duration::minutes(5);

/// A live session as the limit's refusal lists it.
#[derive(Debug, Clone)]
pub struct LiveSession {
    pub session: Session,
    pub online: bool,
    /// `android`, `ios`, `web`, `desktop` or `other`, from the user agent.
    pub client: &'static str,
}

impl LiveSession {
    fn new(session: Session, now: OffsetDateTime) -> Self {
        Self {
            online: now - session.last_activity <= ONLINE_WINDOW,
            client: client_kind(session.user_agent.as_deref()),
            session,
        }
    }
}

/// A login at `POST /api/v1/token`.
#[derive(Debug, Clone)]
pub struct LimitedLoginRequest {
    /// A username or an email address.
    pub login: String,
    pub password: Secret,
    /// One of the user's sessions to end first, named after a refusal.
    pub end_session: Option<SessionId>,
    /// The captcha's key and the answer, needed when the tenant has captcha on.
    pub captcha_key: Option<String>,
    pub captcha_answer: Option<String>,
    pub client: ClientInfo,
    pub client_name: String,
}

#[derive(Debug)]
pub enum LimitedOutcome {
    Issued(Box<IssuedToken>),
    /// The user already has `limit` live sessions (or more, if the limit was lowered).
    LimitReached {
        sessions: Vec<LiveSession>,
        limit: i64,
    },
}

/// The kind of client a user agent belongs to. Browsers say `Mozilla/`; native apps (like
/// document 002's `Xiaomi / M2102J20SG / 11 / 1.1.0 / Android`) name their platform.
pub fn client_kind(user_agent: Option<&str>) -> &'static str {
    let Some(agent) = user_agent.map(str::to_ascii_lowercase) else {
        return "other";
    };
    let has = |needle: &str| agent.contains(needle);
    if has("android") {
        "android"
    } else if has("iphone") || has("ipad") || has("ios") || has("cfnetwork") {
        "ios"
    } else if has("mozilla/") || has("opera/") {
        "web"
    } else if has("windows") || has("macintosh") || has("mac os") || has("linux") {
        "desktop"
    } else {
        "other"
    }
}

impl Services {
    /// Document 002's login: the throttles (every request counts), the captcha when the tenant
    /// has it on, the password check, then a session within the tenant's limit.
    /// It has no second step, so accounts with a second factor are sent to `/api/login`.
    pub async fn session_limited_login(
        &self,
        tenant: &Tenant,
        request: LimitedLoginRequest,
    ) -> Result<LimitedOutcome> {
        // Document 002: every request counts against the throttles, right or wrong.
        let attempt = self
            .reserve_attempt(tenant, request.client.ip.as_deref(), &request.login)
            .await?;
        let captcha = (&request.captcha_key, &request.captcha_answer);
        let captcha_key = match (tenant.settings.captcha_enabled, captcha) {
            (false, _) => None,
            (true, (Some(key), Some(answer))) => {
                self.check_captcha(tenant, key, answer).await?;
                Some(key.as_str())
            }
            (true, (key, answer)) => {
                let required = |field: &str| FieldError::new(field, Rule::Required);
                let mut problems = Vec::new();
                if answer.is_none() {
                    problems.push(required("captcha"));
                }
                if key.is_none() {
                    problems.push(required("key"));
                }
                return Err(Error::Invalid(problems));
            }
        };
        let user = self
            .single_step_login(
                tenant,
                &request.login,
                &request.password,
                &request.client,
                Throttling::AlreadyCounted(&attempt),
            )
            .await?;
        let outcome = self
            .open_limited_session(
                tenant,
                user,
                &request.client,
                SessionClient::Named(request.client_name),
                amr(&["pwd"]),
                request
                    .end_session
                    .map(|id| (id, "Ended a session to make room for a new login.")),
            )
            .await?;
        // A refusal leaves a solved captcha valid for the retry (see `CAPTCHA_GRACE`).
        if let (LimitedOutcome::Issued(_), Some(key)) = (&outcome, captcha_key) {
            self.consume_captcha(key).await?;
        }
        Ok(outcome)
    }

    /// The permissions the user's role grants.
    pub async fn permissions_of(&self, user: &User) -> Result<Vec<crate::model::Permission>> {
        Ok(self.store.role_permissions(user.role_id).await?)
    }

    /// Opens a session for `user`, who has proven who they are, within the tenant's session
    /// limit, first ending `end` (one of the user's live sessions, and the activity entry's
    /// words for it) when given.
    pub(crate) async fn open_limited_session(
        &self,
        tenant: &Tenant,
        user: User,
        client: &ClientInfo,
        opener: SessionClient,
        amr: Vec<String>,
        end: Option<(SessionId, &str)>,
    ) -> Result<LimitedOutcome> {
        let max = tenant.settings.max_sessions;
        let login = self.new_login(tenant, &user, client, opener, amr);
        let limit = SessionLimit {
            max: (max > 0).then_some(max),
            end_first: end.map(|(id, description)| {
                (
                    id,
                    self.activity(&tenant.id, Some(&user), client, description),
                )
            }),
        };
        let stored = self
            .store
            .create_limited_login(&login.session, &login.token, &login.activity, &limit)
            .await?;
        match stored {
            LimitedLogin::Created { token, .. } => Ok(LimitedOutcome::Issued(Box::new(
                self.issued(login, token, user),
            ))),
            LimitedLogin::Full { sessions, ended } => {
                if ended {
                    self.principals.forget_user(user.id);
                }
                let now = self.now();
                Ok(LimitedOutcome::LimitReached {
                    sessions: sessions
                        .into_iter()
                        .map(|s| LiveSession::new(s, now))
                        .collect(),
                    limit: max,
                })
            }
            LimitedLogin::UnknownSession => Err(Error::invalid("session_id", Rule::Unknown)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::client_kind;

    #[test]
    fn user_agents_map_to_client_kinds() {
        for (agent, kind) in [
            ("Xiaomi / M2102J20SG / 11 / 1.1.0 / Android", "android"),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36",
                "android",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)",
                "ios",
            ),
            ("VMS/2.1 CFNetwork/1490 Darwin/23.2.0", "ios"),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0",
                "web",
            ),
            ("VMS Desktop 3.2 (Windows 11)", "desktop"),
            ("curl/8.5.0", "other"),
        ] {
            assert_eq!(client_kind(Some(agent)), kind, "{agent}");
        }
        assert_eq!(client_kind(None), "other");
    }
}
