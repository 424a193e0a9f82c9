//! Tenants and their settings: every other record belongs to one.

use crate::ids::TenantId;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The name of the tenant that exists from first start.
pub const DEFAULT_TENANT: &str = "default";

#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: TenantId,
    pub name: String,
    pub settings: TenantSettings,
    pub metadata: crate::model::Metadata,
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
    /// Passkeys and security keys: registering them, and signing in with them.
    pub allow_hardware: bool,
    /// The AAGUIDs (authenticator models) a passkey may come from, for organisations that
    /// issue their own keys; empty: any.
    pub allowed_aaguids: Vec<String>,
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
    /// Lets anyone register an application (OAuth dynamic client registration) without an
    /// initial access token. Off by default: registering then takes an API key of the tenant
    /// or a registration token from the operator.
    pub allow_client_registration: bool,
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
    pub social_networks: Vec<crate::model::SocialNetwork>,
    /// Browser origins (`https://app.example.com`) whose pages may call the account API from
    /// JavaScript (CORS); none by default.
    pub cors_origins: Vec<String>,
    /// Ask the person before a third-party application (metadata `third_party`) gets their
    /// claims: off by default, since a tenant's own applications are first-party.
    pub third_party_consent: bool,
    /// People may delete their own account from the account page (password and typed address
    /// asked); off, only an administrator deletes accounts.
    pub allow_self_deletion: bool,
}

impl TenantSettings {
    /// Passwords off and passkeys on: accounts sign up by confirming their address and making
    /// a passkey, and sign in with it.
    pub fn is_passwordless(&self) -> bool {
        !self.allow_passwords && self.allow_hardware
    }
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
            allowed_aaguids: Vec::new(),
            allow_passwords: true,
            allow_totp_app: true,
            allow_totp_email: true,
            allow_signups: true,
            allow_unverified: true,
            remember_device: true,
            remember_device_seconds: 30 * 24 * 60 * 60,
            remember_login_seconds: 30 * 24 * 60 * 60,
            developer_mode: false,
            allow_client_registration: false,
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
            cors_origins: Vec::new(),
            third_party_consent: false,
            allow_self_deletion: true,
        }
    }
}
