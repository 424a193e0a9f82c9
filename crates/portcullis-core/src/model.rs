//! Domain records. These are not rows: the store maps its rows into them, and each surface maps
//! them into its own dialect's JSON.

use crate::ids::{PermissionId, RoleId, SessionId, TenantId, TokenId, UserId};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

/// The name of the tenant that exists from first start.
pub const DEFAULT_TENANT: &str = "default";

#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: TenantId,
    pub name: String,
    pub settings: TenantSettings,
    pub metadata: crate::metadata::Metadata,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// One settings record per tenant. Both dialects' settings views read and write these fields
/// (see DESIGN.md: `reg_enabled` = `allow_signups`, and so on).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TenantSettings {
    pub app_name: String,
    /// Host name the `/api` surfaces resolve to this tenant.
    pub domain: Option<String>,
    /// The management API's settings (document 003), shown on hosted pages and in mail.
    pub company_name: String,
    pub logo_image_text: String,
    pub support_email: String,
    /// Which ways of logging in the tenant offers. `allow_passwords: false` refuses every
    /// password login, on every surface.
    pub allow_social: bool,
    pub allow_hardware: bool,
    pub allow_passwords: bool,
    pub allow_totp_app: bool,
    pub allow_totp_email: bool,
    /// The account API's `reg_enabled`.
    pub allow_signups: bool,
    /// The account API's `!reg_email_confirmation`: users with an unverified address may log in.
    pub allow_unverified: bool,
    /// The account API's `remember_me`.
    pub remember_device: bool,
    pub remember_device_seconds: i64,
    pub remember_login_seconds: i64,
    /// Lets applications use plain-http URLs on any host, for development.
    pub developer_mode: bool,
    /// How long a login session (and every token it issued) lasts.
    pub session_lifetime_minutes: i64,
    pub throttle_enabled: bool,
    pub throttle_attempts: i64,
    pub throttle_lockout_time: i64,
    pub login_reset_token_lifetime: i64,
    pub tos: bool,
    pub captcha_enabled: bool,
    /// Concurrent sessions per user; 0 means unlimited.
    pub max_sessions: i64,
    pub two_factor_enabled: bool,
    /// Whether `POST /api/password/remind` and `/reset` are open (the account API's
    /// `forgot_password`).
    pub forgot_password: bool,
    /// Mail administrators when someone registers.
    pub notifications_signup_email: bool,
    /// How old a sign-in may be (seconds) before a sensitive change (email, password, second
    /// factor) needs the current password again. `None`: never asked (document 001's
    /// contract); only login sessions make such changes either way.
    pub reauth_seconds: Option<i64>,
    /// Social networks users may log in with (`POST /api/login/social`).
    pub social_networks: Vec<crate::social::SocialNetwork>,
}

impl Default for TenantSettings {
    fn default() -> Self {
        Self {
            app_name: "Portcullis".to_owned(),
            domain: None,
            company_name: String::new(),
            logo_image_text: String::new(),
            support_email: String::new(),
            allow_social: true,
            allow_hardware: true,
            allow_passwords: true,
            allow_totp_app: true,
            allow_totp_email: true,
            allow_signups: true,
            allow_unverified: true,
            remember_device: true,
            remember_device_seconds: 30 * 24 * 60 * 60,
            remember_login_seconds: 30 * 24 * 60 * 60,
            developer_mode: false,
            session_lifetime_minutes: 60 * 24 * 30,
            throttle_enabled: true,
            throttle_attempts: 10,
            throttle_lockout_time: 10,
            login_reset_token_lifetime: 60,
            tos: false,
            captcha_enabled: false,
            max_sessions: 5,
            two_factor_enabled: false,
            forgot_password: true,
            notifications_signup_email: false,
            reauth_seconds: None,
            social_networks: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserStatus {
    Active,
    Unconfirmed,
    Banned,
}

impl UserStatus {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "Active" => Some(Self::Active),
            "Unconfirmed" => Some(Self::Unconfirmed),
            "Banned" => Some(Self::Banned),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Unconfirmed => "Unconfirmed",
            Self::Banned => "Banned",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: UserId,
    /// The management API's string id.
    pub uid: String,
    pub tenant_id: TenantId,
    pub username: Option<String>,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub display_name: Option<String>,
    pub phone: Option<String>,
    pub avatar: Option<String>,
    pub address: Option<String>,
    pub country_id: Option<i64>,
    pub role_id: RoleId,
    pub birthday: Option<Date>,
    /// Banned (account API) and disabled (management API) are one flag.
    pub disabled: bool,
    pub email_verified_at: Option<OffsetDateTime>,
    pub last_login: Option<OffsetDateTime>,
    pub two_factor_country_code: Option<i64>,
    pub two_factor_phone: Option<String>,
    pub two_factor_options: Option<serde_json::Value>,
    /// The management API's free key-value data.
    pub metadata: crate::metadata::Metadata,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl User {
    /// The management API's `profile.name`: the stored display name, else "first last".
    pub fn full_name(&self) -> String {
        match &self.display_name {
            Some(name) => name.clone(),
            None => [self.first_name.as_deref(), self.last_name.as_deref()]
                .into_iter()
                .flatten()
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join(" "),
        }
    }

    /// Status as the account API reports it; whether an unverified email counts depends on the
    /// tenant's settings.
    pub fn status(&self, settings: &TenantSettings) -> UserStatus {
        if self.disabled {
            UserStatus::Banned
        } else if self.email_verified_at.is_none() && !settings.allow_unverified {
            UserStatus::Unconfirmed
        } else {
            UserStatus::Active
        }
    }
}

/// What is needed to create a user; the store assigns `id`.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub uid: String,
    pub tenant_id: TenantId,
    pub username: Option<String>,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub role_id: RoleId,
    pub email_verified_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    pub id: RoleId,
    pub tenant_id: TenantId,
    pub name: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub removable: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Permission {
    pub id: PermissionId,
    pub tenant_id: TenantId,
    pub name: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub removable: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// An ISO 3166-1 country, with the fields the account API shows. Reference data shared by all
/// tenants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Country {
    pub id: i64,
    pub name: String,
    pub full_name: Option<String>,
    pub capital: Option<String>,
    pub citizenship: Option<String>,
    pub country_code: i64,
    pub currency: Option<String>,
    pub currency_code: Option<String>,
    pub currency_sub_unit: Option<String>,
    pub currency_symbol: Option<String>,
    pub iso_3166_2: String,
    pub iso_3166_3: String,
    pub region_code: Option<i64>,
    pub sub_region_code: Option<i64>,
    pub eea: bool,
    pub calling_code: Option<i64>,
}

/// A stored password hash and the algorithm that made it.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash {
    pub alg: String,
    pub hash: String,
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PasswordHash({}, ***)", self.alg)
    }
}

/// The user's password credential (document 003 calls it credential `password`).
#[derive(Debug, Clone)]
pub struct PasswordCredential {
    pub user_id: UserId,
    pub hash: PasswordHash,
    /// A disabled credential refuses every login.
    pub disabled: bool,
    pub metadata: crate::metadata::Metadata,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

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

/// What a mailed single-use token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    VerifyEmail,
    PasswordReset,
}

impl TokenPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify-email",
            Self::PasswordReset => "password-reset",
        }
    }
}

/// A single-use token to store; only the hash of its secret.
#[derive(Debug, Clone)]
pub struct NewOneTimeToken {
    pub tenant_id: TenantId,
    pub purpose: TokenPurpose,
    pub secret_hash: String,
    /// For an email verification: the new address it confirms, which replaces the account's
    /// when it is used (the account keeps its old one until then). `None` confirms the
    /// account's current address.
    pub email: Option<String>,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}
