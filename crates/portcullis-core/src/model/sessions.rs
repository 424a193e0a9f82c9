//! Sessions, the tokens that stand for them, and the activity log they write.

use crate::ids::{SessionId, TenantId, TokenId, UserId};
use crate::model::{TenantSettings, User};
use time::{Duration, OffsetDateTime};

/// Where a request came from, for sessions and the audit trail.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Session {
    pub id: SessionId,
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub browser: Option<String>,
    pub platform: Option<String>,
    pub device: Option<String>,
    /// The surface or client that created it (`api`, `device`, an OIDC client id...).
    pub client: String,
    pub created_at: OffsetDateTime,
    pub last_activity: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub ended_at: Option<OffsetDateTime>,
    /// How its person proved who they are, in RFC 8176's words (`pwd`, `otp`, `mfa`, `hwk`,
    /// `user`): an ID token's `amr`. Empty where no registered value says it (a social
    /// network's sign-in).
    pub amr: Vec<String>,
}

/// RFC 8176 `amr` values, owned.
pub fn amr(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

impl Session {
    pub fn is_live(&self, now: OffsetDateTime) -> bool {
        self.ended_at.is_none() && self.expires_at > now
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Issued by a login; lives and dies with its session.
    Session,
    /// Named, scoped, created by its owner (document 000).
    Personal,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Session => "session",
            Self::Personal => "personal",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "session" => Some(Self::Session),
            "personal" => Some(Self::Personal),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Token {
    pub id: TokenId,
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub session_id: Option<SessionId>,
    pub kind: TokenKind,
    pub name: String,
    /// Hex SHA-256 of the secret part; the secret itself is never stored.
    pub secret_hash: String,
    pub scopes: Vec<String>,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
    pub expires_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
}

/// A token to be stored; the store assigns `id`.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub session_id: Option<SessionId>,
    pub kind: TokenKind,
    pub name: String,
    pub secret_hash: String,
    pub scopes: Vec<String>,
    pub created_at: OffsetDateTime,
    pub expires_at: Option<OffsetDateTime>,
}

/// Everything needed to decide whether a bearer token is good, fetched in one read.
#[derive(Debug, Clone)]
pub struct TokenLookup {
    pub token: Token,
    pub session: Option<Session>,
    pub user: User,
    pub settings: TenantSettings,
}

#[derive(Debug, Clone)]
pub struct NewActivity {
    pub tenant_id: TenantId,
    pub user_id: Option<UserId>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub description: String,
    pub created_at: OffsetDateTime,
}

/// One page of a list, and the total it is a page of.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: Paging,
}

/// Which page of a list: 1-based, `per_page` capped at [`Paging::MAX_PER_PAGE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub page: i64,
    pub per_page: i64,
}

impl<T> Page<T> {
    /// A page that finds nothing.
    pub fn empty(page: Paging) -> Self {
        Self {
            items: Vec::new(),
            total: 0,
            page,
        }
    }
}

impl Paging {
    pub const DEFAULT_PER_PAGE: i64 = 20;
    pub const MAX_PER_PAGE: i64 = 100;

    /// From the query's values: a missing or non-positive page is 1; `per_page` defaults to
    /// 20 and is kept within 1 to 100.
    pub fn new(page: Option<i64>, per_page: Option<i64>) -> Self {
        Self {
            page: page.filter(|p| *p >= 1).unwrap_or(1),
            per_page: per_page
                .unwrap_or(Self::DEFAULT_PER_PAGE)
                .clamp(1, Self::MAX_PER_PAGE),
        }
    }

    pub fn offset(self) -> i64 {
        (self.page - 1).saturating_mul(self.per_page)
    }

    /// The last page of `total` items (1 for an empty list).
    pub fn last_page(self, total: i64) -> i64 {
        (total.saturating_add(self.per_page - 1) / self.per_page).max(1)
    }

    /// 1-based positions of the first and last item on this page, if it has any.
    pub fn range(self, total: i64) -> Option<(i64, i64)> {
        let from = self.offset().saturating_add(1);
        (from <= total).then(|| (from, self.offset().saturating_add(self.per_page).min(total)))
    }
}

/// Which activity-log entries a list shows; `None` fields filter nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivityFilter {
    pub user: Option<UserId>,
    /// Matched case-insensitively anywhere in the description.
    pub search: Option<String>,
    /// The client address, exactly.
    pub ip_address: Option<String>,
    /// Recorded at or after.
    pub from: Option<OffsetDateTime>,
    /// Recorded before.
    pub until: Option<OffsetDateTime>,
    pub kind: Option<ActivityKind>,
}

/// A group of activity-log entries, told by how their description begins or what it names:
/// the log keeps sentences, not codes, so a kind is a set of `LIKE` patterns over the
/// lowercased description (kinds may overlap).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityKind {
    SignIns,
    FailedSignIns,
    SignOuts,
    Accounts,
    Credentials,
    Tokens,
    Administration,
}

impl ActivityKind {
    pub const ALL: [ActivityKind; 7] = [
        Self::SignIns,
        Self::FailedSignIns,
        Self::SignOuts,
        Self::Accounts,
        Self::Credentials,
        Self::Tokens,
        Self::Administration,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignIns => "sign-ins",
            Self::FailedSignIns => "failed-sign-ins",
            Self::SignOuts => "sign-outs",
            Self::Accounts => "accounts",
            Self::Credentials => "credentials",
            Self::Tokens => "tokens",
            Self::Administration => "administration",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::SignIns => "Sign-ins",
            Self::FailedSignIns => "Failed sign-ins",
            Self::SignOuts => "Sign-outs and ended sessions",
            Self::Accounts => "Accounts made, changed, banned or deleted",
            Self::Credentials => "Passwords, passkeys and second factors",
            Self::Tokens => "API tokens and keys",
            Self::Administration => "Roles, permissions, settings, tenants and applications",
        }
    }

    /// The lowercased `LIKE` patterns an entry of this kind matches (any one of them).
    pub fn patterns(self) -> &'static [&'static str] {
        match self {
            Self::SignIns => &["logged in%", "signed in%", "approved a device%"],
            Self::FailedSignIns => &["failed %", "denied a device%"],
            Self::SignOuts => &["logged out%", "ended %", "%back-channel logout%"],
            Self::Accounts => &[
                "created an account%",
                "created the account%",
                "deleted the account%",
                "updated the account%",
                "updated profile%",
                "banned %",
                "lifted the ban%",
                "disabled the account%",
                "enabled the account%",
                "changed the avatar%",
                "removed the avatar%",
                "changed the metadata%",
                "marked the address%",
            ],
            Self::Credentials => &[
                "%password%",
                "%passkey%",
                "%two-factor%",
                "%login credentials%",
            ],
            Self::Tokens => &["%api token%", "%api key%", "%the tokens of%"],
            Self::Administration => &[
                "%the role %",
                "%permission%",
                "%scope.",
                "updated the settings%",
                "%the tenant %",
                "managed the tenant%",
                "created the application%",
                "updated the application%",
                "deleted the application%",
                "%signing key%",
            ],
        }
    }
}

/// An activity-log entry, with its user agent read.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub id: i64,
    pub user_id: Option<UserId>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub browser: Option<String>,
    pub platform: Option<String>,
    pub device: Option<String>,
    pub description: String,
    pub created_at: OffsetDateTime,
}

/// Whom a session is opened for, which decides its name and how long it lasts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionClient {
    /// The hosted pages: the session lasts as long as the browser's cookie.
    Browser,
    /// Anything else, by the name it gave (a device, `api`, a social network, document 002's
    /// client kind).
    Named(String),
    /// A device a person approved on the device page (RFC 8628), by its application's name:
    /// it holds only the tokens of its grant, so the session's own login token carries no
    /// scope.
    Approved(String),
}

impl SessionClient {
    /// The name browser sessions are listed under.
    pub const BROWSER: &'static str = "web";

    pub fn name(&self) -> &str {
        match self {
            Self::Browser => Self::BROWSER,
            Self::Named(name) | Self::Approved(name) => name,
        }
    }

    /// A browser's session: the tenant's `remember_login_seconds` (at least a minute);
    /// any other: its `session_lifetime_minutes` (at least one).
    pub fn lifetime(&self, settings: &TenantSettings) -> Duration {
        match self {
            Self::Browser => Duration::seconds(settings.remember_login_seconds.max(60)),
            Self::Named(_) | Self::Approved(_) => {
                Duration::minutes(settings.session_lifetime_minutes.max(1))
            }
        }
    }

    /// The scopes of the login token a session opened for this client gets: every scope of its
    /// user, but for an approved device, which gets none (it uses its grant's tokens).
    pub fn login_scopes(&self) -> Vec<String> {
        match self {
            Self::Approved(_) => Vec::new(),
            Self::Browser | Self::Named(_) => crate::model::Scopes::all().as_slice().to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_browser_session_lasts_as_long_as_its_cookie_whatever_an_api_client_calls_itself() {
        let settings = TenantSettings {
            remember_login_seconds: 7 * 24 * 3600,
            session_lifetime_minutes: 30,
            ..TenantSettings::default()
        };
        let browser = SessionClient::Browser;
        assert_eq!(browser.name(), "web");
        assert_eq!(browser.lifetime(&settings), Duration::days(7));
        let named_like_a_browser = SessionClient::Named("web".into());
        assert_eq!(
            named_like_a_browser.lifetime(&settings),
            Duration::minutes(30)
        );
        let floors = TenantSettings {
            remember_login_seconds: 1,
            session_lifetime_minutes: 0,
            ..TenantSettings::default()
        };
        assert_eq!(browser.lifetime(&floors), Duration::minutes(1));
        assert_eq!(named_like_a_browser.lifetime(&floors), Duration::minutes(1));
    }
}
