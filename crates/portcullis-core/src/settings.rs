//! Reading and changing a tenant's settings. Each group of fields needs its own permission:
//! `settings.general` (the app's name, and reading them at all), `settings.auth` (logins,
//! registration, throttling, two-factor) and `settings.notifications`.

use crate::authz::Action;
use crate::error::{Error, Result};
use crate::field::{FieldError, Rule};
use crate::model::{ClientInfo, Principal, TenantSettings};
use crate::services::Services;
use serde_json::{Map, Value};

/// `settings` with these top-level fields replaced (by their names in the settings record), as
/// the store merges them; a field that does not fit its type leaves the record as it was.
pub(crate) fn merged(settings: &TenantSettings, fields: &Map<String, Value>) -> TenantSettings {
    let Ok(Value::Object(mut record)) = serde_json::to_value(settings) else {
        return settings.clone();
    };
    record.extend(fields.clone());
    serde_json::from_value(Value::Object(record)).unwrap_or_else(|_| settings.clone())
}

/// The longest remembered device or login: ten years.
pub const MAX_REMEMBER_SECONDS: i64 = 10 * 365 * 24 * 60 * 60;

/// The longest `reauth_seconds`: thirty days.
const MAX_REAUTH_SECONDS: i64 = 30 * 24 * 60 * 60;

/// Settings to change; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SettingsChange {
    pub app_name: Option<String>,
    pub remember_device: Option<bool>,
    pub notifications_signup_email: Option<bool>,
    pub forgot_password: Option<bool>,
    pub login_reset_token_lifetime: Option<i64>,
    pub throttle_enabled: Option<bool>,
    pub throttle_attempts: Option<i64>,
    pub throttle_lockout_time: Option<i64>,
    pub allow_signups: Option<bool>,
    pub allow_unverified: Option<bool>,
    pub two_factor_enabled: Option<bool>,
    pub captcha_enabled: Option<bool>,
    pub tos: Option<bool>,
    /// Live sessions per user at `POST /api/v1/token`; 0 means unlimited.
    pub max_sessions: Option<i64>,
    /// How old a sign-in may be before a sensitive change asks for the password again;
    /// `Some(None)` turns the step-up off on the account API (document 001's contract).
    pub reauth_seconds: crate::model::Change<i64>,
    /// Browser origins that may call the account API from JavaScript (CORS).
    pub cors_origins: Option<Vec<String>>,
    /// Whether third-party applications need the person's consent.
    pub third_party_consent: Option<bool>,
    /// The company's name on hosted pages and in mail (branding, `settings.general`).
    pub company_name: Option<String>,
    /// The text the hosted pages show in place of a logo, and the address they offer for
    /// help (branding, `settings.general`; empty: none).
    pub logo_image_text: Option<String>,
    pub support_email: Option<String>,
    /// Which ways of signing in the tenant offers: passwords, and passkeys or security keys.
    pub allow_passwords: Option<bool>,
    pub allow_hardware: Option<bool>,
    /// Signing in with the social networks the tenant set up (they are set on the management
    /// API).
    pub allow_social: Option<bool>,
    /// Which second factors accounts may set up: an authenticator app, codes by mail.
    pub allow_totp_app: Option<bool>,
    pub allow_totp_email: Option<bool>,
    /// How long a remembered device skips the second factor.
    pub remember_device_seconds: Option<i64>,
    /// Whether people may delete their own account.
    pub allow_self_deletion: Option<bool>,
}

/// Most origins a tenant lists for CORS.
const MAX_CORS_ORIGINS: usize = 50;

/// An origin as browsers send it (`scheme://host[:port]`, nothing after), if `text` is one.
fn as_origin(text: &str) -> Option<String> {
    let url = url::Url::parse(text.trim()).ok()?;
    let origin = url.origin().ascii_serialization();
    let bare = matches!(url.path(), "" | "/") && url.query().is_none() && url.fragment().is_none();
    (matches!(url.scheme(), "https" | "http") && bare && origin != "null").then_some(origin)
}

impl SettingsChange {
    fn touches_auth(&self) -> bool {
        self.remember_device.is_some()
            || self.forgot_password.is_some()
            || self.login_reset_token_lifetime.is_some()
            || self.throttle_enabled.is_some()
            || self.throttle_attempts.is_some()
            || self.throttle_lockout_time.is_some()
            || self.allow_signups.is_some()
            || self.allow_unverified.is_some()
            || self.two_factor_enabled.is_some()
            || self.captcha_enabled.is_some()
            || self.tos.is_some()
            || self.max_sessions.is_some()
            || self.reauth_seconds.is_some()
            || self.cors_origins.is_some()
            || self.third_party_consent.is_some()
            || self.allow_passwords.is_some()
            || self.allow_hardware.is_some()
            || self.allow_social.is_some()
            || self.allow_totp_app.is_some()
            || self.allow_totp_email.is_some()
            || self.remember_device_seconds.is_some()
            || self.allow_self_deletion.is_some()
    }

    fn problems(&self) -> Vec<FieldError> {
        let mut problems = Vec::new();
        if let Some(name) = &self.app_name {
            if name.trim().is_empty() || name.chars().count() > 255 {
                problems.push(FieldError::new("app_name", Rule::Length { max: 255 }));
            }
        }
        for (field, text) in [
            ("company_name", &self.company_name),
            ("logo_image_text", &self.logo_image_text),
        ] {
            if text.as_ref().is_some_and(|t| t.chars().count() > 255) {
                problems.push(FieldError::new(field, Rule::TooLong { max: 255 }));
            }
        }
        if let Some(address) = self.support_email.as_deref().map(str::trim) {
            if !address.is_empty() && !crate::accounts::looks_like_email(address) {
                problems.push(FieldError::new("support_email", Rule::Email));
            }
        }
        if self
            .remember_device_seconds
            .is_some_and(|v| !(0..=MAX_REMEMBER_SECONDS).contains(&v))
        {
            problems.push(FieldError::new(
                "remember_device_seconds",
                Rule::Between {
                    min: 0,
                    max: MAX_REMEMBER_SECONDS,
                },
            ));
        }
        let at_least_one = [
            (
                "login_reset_token_lifetime",
                self.login_reset_token_lifetime,
            ),
            ("throttle_attempts", self.throttle_attempts),
            ("throttle_lockout_time", self.throttle_lockout_time),
        ];
        for (field, value) in at_least_one {
            if value.is_some_and(|v| !(1..=1_000_000).contains(&v)) {
                problems.push(FieldError::new(
                    field,
                    Rule::Between {
                        min: 1,
                        max: 1_000_000,
                    },
                ));
            }
        }
        if self
            .max_sessions
            .is_some_and(|v| !(0..=10_000).contains(&v))
        {
            problems.push(FieldError::new(
                "sessions_limit",
                Rule::Between {
                    min: 0,
                    max: 10_000,
                },
            ));
        }
        if self
            .reauth_seconds
            .flatten()
            .is_some_and(|v| !(0..=MAX_REAUTH_SECONDS).contains(&v))
        {
            problems.push(FieldError::new(
                "reauth_seconds",
                Rule::Between {
                    min: 0,
                    max: MAX_REAUTH_SECONDS,
                },
            ));
        }
        if let Some(origins) = &self.cors_origins {
            if origins.len() > MAX_CORS_ORIGINS {
                problems.push(FieldError::new(
                    "cors_origins",
                    Rule::TooMany {
                        max: MAX_CORS_ORIGINS,
                    },
                ));
            } else if origins.iter().any(|o| as_origin(o).is_none()) {
                problems.push(FieldError::new("cors_origins", Rule::Format));
            }
        }
        problems
    }

    /// The settings fields this change sets, by their names in the settings record.
    fn fields(&self) -> Map<String, Value> {
        let mut fields = Map::new();
        let mut set = |name: &str, value: Option<Value>| {
            if let Some(value) = value {
                fields.insert(name.to_owned(), value);
            }
        };
        set(
            "app_name",
            self.app_name.as_deref().map(|n| n.trim().into()),
        );
        set("remember_device", self.remember_device.map(Value::from));
        set(
            "notifications_signup_email",
            self.notifications_signup_email.map(Value::from),
        );
        set("forgot_password", self.forgot_password.map(Value::from));
        set(
            "login_reset_token_lifetime",
            self.login_reset_token_lifetime.map(Value::from),
        );
        set("throttle_enabled", self.throttle_enabled.map(Value::from));
        set("throttle_attempts", self.throttle_attempts.map(Value::from));
        set(
            "throttle_lockout_time",
            self.throttle_lockout_time.map(Value::from),
        );
        set("allow_signups", self.allow_signups.map(Value::from));
        set("allow_unverified", self.allow_unverified.map(Value::from));
        set(
            "two_factor_enabled",
            self.two_factor_enabled.map(Value::from),
        );
        set("captcha_enabled", self.captcha_enabled.map(Value::from));
        set("tos", self.tos.map(Value::from));
        set("max_sessions", self.max_sessions.map(Value::from));
        set("reauth_seconds", self.reauth_seconds.map(Value::from));
        set(
            "third_party_consent",
            self.third_party_consent.map(Value::from),
        );
        set(
            "cors_origins",
            self.cors_origins.as_ref().map(|origins| {
                origins
                    .iter()
                    .filter_map(|o| as_origin(o))
                    .collect::<Vec<_>>()
                    .into()
            }),
        );
        for (key, text) in [
            ("company_name", &self.company_name),
            ("logo_image_text", &self.logo_image_text),
            ("support_email", &self.support_email),
        ] {
            set(key, text.as_deref().map(|t| t.trim().into()));
        }
        set("allow_passwords", self.allow_passwords.map(Value::from));
        set("allow_hardware", self.allow_hardware.map(Value::from));
        set("allow_social", self.allow_social.map(Value::from));
        set("allow_totp_app", self.allow_totp_app.map(Value::from));
        set("allow_totp_email", self.allow_totp_email.map(Value::from));
        set(
            "remember_device_seconds",
            self.remember_device_seconds.map(Value::from),
        );
        set(
            "allow_self_deletion",
            self.allow_self_deletion.map(Value::from),
        );
        fields
    }
}

impl Services {
    pub async fn settings(&self, principal: &Principal) -> Result<TenantSettings> {
        self.authorize(principal, Action::GeneralSettings).await?;
        Ok(principal.settings.clone())
    }

    pub async fn change_settings(
        &self,
        principal: &Principal,
        change: SettingsChange,
        client: &ClientInfo,
    ) -> Result<TenantSettings> {
        self.authorize(principal, Action::GeneralSettings).await?;
        if change.touches_auth() {
            self.authorize(principal, Action::AuthSettings).await?;
        }
        if change.notifications_signup_email.is_some() {
            self.authorize(principal, Action::NotificationSettings)
                .await?;
        }
        let mut problems = change.problems();
        // Turning off both passwords and passkeys would leave no one a way to sign in,
        // the administrator making the change included.
        let passwords = change
            .allow_passwords
            .unwrap_or(principal.settings.allow_passwords);
        let passkeys = change
            .allow_hardware
            .unwrap_or(principal.settings.allow_hardware);
        if (change.allow_passwords.is_some() || change.allow_hardware.is_some())
            && !passwords
            && !passkeys
        {
            problems.push(FieldError::other(
                "allow_passwords",
                "Keep at least one way of signing in: passwords or passkeys.",
            ));
        }
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        // Only the fields this change names are written, over what the database holds now
        // (the principal's copy may be stale, and another node may be changing other fields).
        let now = self.now();
        let settings = self
            .store
            .merge_tenant_settings(&principal.tenant_id, &change.fields(), now)
            .await?;
        // Every remembered lookup carries its tenant's settings.
        self.principals.forget_all();
        let activity = self.activity_of(principal, client, "Updated the settings.");
        self.store.record_activity(&activity).await?;
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_checked_and_absent_fields_stay() {
        let change = SettingsChange {
            throttle_attempts: Some(0),
            app_name: Some("  ".into()),
            ..Default::default()
        };
        let fields: Vec<String> = change.problems().into_iter().map(|p| p.field).collect();
        assert_eq!(fields, ["app_name", "throttle_attempts"]);
        let only_tos = SettingsChange {
            tos: Some(true),
            ..Default::default()
        };
        assert_eq!(
            Value::Object(only_tos.fields()),
            serde_json::json!({ "tos": true })
        );
    }

    #[test]
    fn every_field_names_a_field_of_the_settings_record() {
        let every = SettingsChange {
            app_name: Some(" App ".into()),
            remember_device: Some(true),
            notifications_signup_email: Some(true),
            forgot_password: Some(true),
            login_reset_token_lifetime: Some(5),
            throttle_enabled: Some(true),
            throttle_attempts: Some(5),
            throttle_lockout_time: Some(5),
            allow_signups: Some(true),
            allow_unverified: Some(true),
            two_factor_enabled: Some(true),
            captcha_enabled: Some(true),
            tos: Some(true),
            max_sessions: Some(5),
            reauth_seconds: Some(Some(300)),
            cors_origins: Some(vec!["https://spa.example:443/".into()]),
            third_party_consent: Some(true),
            company_name: Some("Co".into()),
            logo_image_text: Some("CO".into()),
            support_email: Some("help@co.example".into()),
            allow_passwords: Some(true),
            allow_hardware: Some(true),
            allow_social: Some(true),
            allow_totp_app: Some(true),
            allow_totp_email: Some(true),
            remember_device_seconds: Some(60),
            allow_self_deletion: Some(false),
        };
        let fields = every.fields();
        assert_eq!(fields.len(), 27);
        let mut record = serde_json::to_value(TenantSettings::default()).unwrap();
        for (name, value) in fields {
            let slot = record.get_mut(&name).unwrap_or_else(|| panic!("{name}"));
            *slot = value;
        }
        let merged: TenantSettings = serde_json::from_value(record).unwrap();
        assert_eq!((merged.app_name.as_str(), merged.max_sessions), ("App", 5));
        assert_eq!(merged.cors_origins, ["https://spa.example"]);
        assert!(!merged.allow_self_deletion);
    }

    #[test]
    fn cors_origins_are_bare_origins() {
        let problems = |origins: &[&str]| {
            SettingsChange {
                cors_origins: Some(origins.iter().map(|o| (*o).to_owned()).collect()),
                ..SettingsChange::default()
            }
            .problems()
        };
        assert!(problems(&["https://spa.example", "http://localhost:3000"]).is_empty());
        for bad in [
            "https://spa.example/app",
            "ftp://x.example",
            "*",
            "null",
            "spa.example",
        ] {
            assert!(!problems(&[bad]).is_empty(), "{bad}");
        }
    }
}
