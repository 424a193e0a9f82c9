//! "Your data": everything Portcullis holds about one account, for its owner to download.
//!
//! The export is built from records the owner may see anyway, field by field, so that no
//! secret can slip in with a whole record: no password hash, no token or its hash, no TOTP
//! seed, no recovery code, no passkey public key or credential, no session token. A new
//! field in a record stays out of the export until someone adds it here on purpose.

use crate::error::{Error, Result};
use crate::model::{ActivityFilter, Paging, Principal};
use crate::services::Services;
use serde::Serialize;
use time::OffsetDateTime;

/// The most activity entries an export holds (the newest).
pub const EXPORT_ACTIVITY_MAX: i64 = 10_000;

/// Everything held about an account, as its owner downloads it. Document 003's metadata is
/// left out: it is the tenant's, and its users "won't see metadata unless you show it".
#[derive(Debug, Serialize)]
pub struct AccountExport {
    pub exported_at: String,
    pub profile: ExportedProfile,
    pub password: ExportedPassword,
    pub second_factor: ExportedSecondFactor,
    pub sessions: Vec<ExportedSession>,
    pub personal_tokens: Vec<ExportedToken>,
    pub passkeys: Vec<ExportedPasskey>,
    pub linked_sign_ins: Vec<ExportedLink>,
    pub applications: Vec<ExportedApplication>,
    /// The account's own entries of the activity log, newest first.
    pub activity: Vec<ExportedActivity>,
}

#[derive(Debug, Serialize)]
pub struct ExportedProfile {
    pub id: i64,
    pub uid: String,
    pub username: Option<String>,
    pub email: String,
    pub email_verified_at: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub display_name: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub country_id: Option<i64>,
    pub birthday: Option<String>,
    pub avatar: Option<String>,
    pub role: Option<String>,
    pub status: &'static str,
    pub last_login: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// Whether the account has a password, never the password's hash.
#[derive(Debug, Serialize)]
pub struct ExportedPassword {
    pub set: bool,
    pub disabled: bool,
    pub changed_at: Option<String>,
}

/// Whether a second factor is on, and which; never its seed or recovery codes.
#[derive(Debug, Serialize)]
pub struct ExportedSecondFactor {
    pub enabled: bool,
    pub method: Option<&'static str>,
}

#[derive(Debug, Serialize)]
pub struct ExportedSession {
    pub client: String,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub browser: Option<String>,
    pub platform: Option<String>,
    pub device: Option<String>,
    pub created_at: String,
    pub last_activity: String,
    pub expires_at: String,
}

#[derive(Debug, Serialize)]
pub struct ExportedToken {
    pub id: i64,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub expires_at: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ExportedPasskey {
    pub name: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub disabled: bool,
}

#[derive(Debug, Serialize)]
pub struct ExportedLink {
    pub network: String,
    /// The network's own id for the person.
    pub subject: String,
    pub linked_at: String,
}

#[derive(Debug, Serialize)]
pub struct ExportedApplication {
    pub id: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub allowed_at: String,
}

#[derive(Debug, Serialize)]
pub struct ExportedActivity {
    pub description: String,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: String,
}

/// RFC 3339, UTC.
fn stamp(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl Services {
    /// Everything held about the caller's account. Only a login session asks: a personal
    /// token, whatever its scopes, does not carry away the person's whole history.
    pub async fn export_own_account(&self, principal: &Principal) -> Result<AccountExport> {
        if !crate::account_changes::is_login_session(principal) {
            return Err(Error::Forbidden);
        }
        let user = self
            .store
            .user(&principal.tenant_id, principal.user.id)
            .await?
            .ok_or(Error::Unauthenticated)?;
        let now = self.now();
        let role = self
            .store
            .role(&principal.tenant_id, user.role_id)
            .await?
            .map(|r| r.name);
        let password = self.store.password_credential(user.id).await?;
        let two_factor = self
            .store
            .two_factor(user.id)
            .await?
            .filter(|t| t.confirmed_at.is_some());
        let sessions = self.store.live_sessions(user.id, now).await?;
        let tokens = self.store.personal_tokens(user.id).await?;
        let passkeys = self.store.passkeys_of(user.id).await?;
        let links = self.store.social_identities_of(user.id).await?;
        let applications = self.store.consents_of(user.id).await?;
        let filter = ActivityFilter {
            user: Some(user.id),
            ..ActivityFilter::default()
        };
        let paging = Paging {
            page: 1,
            per_page: EXPORT_ACTIVITY_MAX,
        };
        let (activity, _) = self
            .store
            .activities(&principal.tenant_id, &filter, paging)
            .await?;
        let birthday_format = time::macros::format_description!("[year]-[month]-[day]");
        Ok(AccountExport {
            exported_at: stamp(now),
            profile: ExportedProfile {
                id: user.id.0,
                uid: user.uid.clone(),
                username: user.username.clone(),
                email: user.email.clone(),
                email_verified_at: user.email_verified_at.map(stamp),
                first_name: user.first_name.clone(),
                last_name: user.last_name.clone(),
                display_name: user.display_name.clone(),
                phone: user.phone.clone(),
                address: user.address.clone(),
                country_id: user.country_id,
                birthday: user.birthday.and_then(|d| d.format(&birthday_format).ok()),
                avatar: user.avatar.clone(),
                role,
                status: user.status(&principal.settings).as_str(),
                last_login: user.last_login.map(stamp),
                created_at: stamp(user.created_at),
                updated_at: stamp(user.updated_at),
            },
            password: ExportedPassword {
                set: password.is_some(),
                disabled: password.as_ref().is_some_and(|p| p.disabled),
                changed_at: password.as_ref().map(|p| stamp(p.updated_at)),
            },
            second_factor: ExportedSecondFactor {
                enabled: two_factor.is_some(),
                method: two_factor.map(|t| t.method.as_str()),
            },
            sessions: sessions
                .into_iter()
                .map(|s| ExportedSession {
                    client: s.client,
                    ip_address: s.ip_address,
                    user_agent: s.user_agent,
                    browser: s.browser,
                    platform: s.platform,
                    device: s.device,
                    created_at: stamp(s.created_at),
                    last_activity: stamp(s.last_activity),
                    expires_at: stamp(s.expires_at),
                })
                .collect(),
            personal_tokens: tokens
                .into_iter()
                .map(|t| ExportedToken {
                    id: t.id.0,
                    name: t.name,
                    scopes: t.scopes,
                    created_at: stamp(t.created_at),
                    last_used_at: t.last_used_at.map(stamp),
                    expires_at: t.expires_at.map(stamp),
                })
                .collect(),
            passkeys: passkeys
                .into_iter()
                .map(|p| ExportedPasskey {
                    name: p.name,
                    created_at: stamp(p.created_at),
                    last_used_at: p.last_used_at.map(stamp),
                    disabled: p.disabled,
                })
                .collect(),
            linked_sign_ins: links
                .into_iter()
                .map(|l| ExportedLink {
                    network: l.network,
                    subject: l.subject,
                    linked_at: stamp(l.created_at),
                })
                .collect(),
            applications: applications
                .into_iter()
                .map(|a| ExportedApplication {
                    id: a.consent.application_id,
                    name: a.application_name,
                    scopes: a.consent.scopes,
                    allowed_at: stamp(a.consent.created_at),
                })
                .collect(),
            activity: activity
                .into_iter()
                .map(|a| ExportedActivity {
                    description: a.description,
                    ip_address: a.ip_address,
                    user_agent: a.user_agent,
                    created_at: stamp(a.created_at),
                })
                .collect(),
        })
    }
}
