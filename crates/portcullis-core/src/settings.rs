//! Reading and changing a tenant's settings. Each group of fields needs its own permission:
//! `settings.general` (the app's name, and reading them at all), `settings.auth` (logins,
//! registration, throttling, two-factor) and `settings.notifications`.

use crate::auth::Principal;
use crate::authz::Action;
use crate::error::{Error, Result};
use crate::model::{ClientInfo, TenantSettings};
use crate::Services;

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
    }

    fn problems(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        if let Some(name) = &self.app_name {
            if name.trim().is_empty() || name.chars().count() > 255 {
                problems.push((
                    "app_name".to_owned(),
                    "The app name must be between 1 and 255 characters.".to_owned(),
                ));
            }
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
                let label = field.replace('_', " ");
                problems.push((
                    field.to_owned(),
                    format!("The {label} must be between 1 and 1000000."),
                ));
            }
        }
        if self
            .max_sessions
            .is_some_and(|v| !(0..=10_000).contains(&v))
        {
            problems.push((
                "sessions_limit".to_owned(),
                "The sessions limit must be between 0 and 10000.".to_owned(),
            ));
        }
        problems
    }

    fn apply(self, settings: &mut TenantSettings) {
        fn set<T>(target: &mut T, value: Option<T>) {
            if let Some(value) = value {
                *target = value;
            }
        }
        set(
            &mut settings.app_name,
            self.app_name.map(|n| n.trim().to_owned()),
        );
        set(&mut settings.remember_device, self.remember_device);
        set(
            &mut settings.notifications_signup_email,
            self.notifications_signup_email,
        );
        set(&mut settings.forgot_password, self.forgot_password);
        set(
            &mut settings.login_reset_token_lifetime,
            self.login_reset_token_lifetime,
        );
        set(&mut settings.throttle_enabled, self.throttle_enabled);
        set(&mut settings.throttle_attempts, self.throttle_attempts);
        set(
            &mut settings.throttle_lockout_time,
            self.throttle_lockout_time,
        );
        set(&mut settings.allow_signups, self.allow_signups);
        set(&mut settings.allow_unverified, self.allow_unverified);
        set(&mut settings.two_factor_enabled, self.two_factor_enabled);
        set(&mut settings.captcha_enabled, self.captcha_enabled);
        set(&mut settings.tos, self.tos);
        set(&mut settings.max_sessions, self.max_sessions);
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
        let problems = change.problems();
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let mut settings = principal.settings.clone();
        change.apply(&mut settings);
        let now = self.now();
        self.store
            .update_tenant_settings(&principal.tenant_id, &settings, now)
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
        let fields: Vec<String> = change.problems().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["app_name", "throttle_attempts"]);
        let mut settings = TenantSettings::default();
        SettingsChange {
            tos: Some(true),
            ..Default::default()
        }
        .apply(&mut settings);
        assert!(settings.tos);
        assert_eq!(settings.app_name, TenantSettings::default().app_name);
    }
}
