//! The console's settings section: the tenant's settings in three forms, one per permission
//! (`settings.general`: names and branding; `settings.auth`: signing in and up, throttles, sessions, second
//! factors; `settings.notifications`: mail), each saved through the service `PATCH
//! /api/settings` calls, which checks those permissions and the values again.

use super::admin::console;
use super::admin::{ConsoleForm, ConsoleSession};
use super::context::Page;
use super::view::Errors;
use crate::common::html::{redirect, render};
use crate::common::page_error::PageError;
use crate::common::state::AppState;
use askama::Template;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use portcullis_core::console::ConsoleAccess;
use portcullis_core::model::{Principal, TenantSettings};
use portcullis_core::settings::SettingsChange;
use portcullis_core::social_clients::{SocialClient, SocialClientChange};
use portcullis_core::{Error, FieldError};
use serde::Deserialize;

const SETTINGS: &str = "/admin/settings";

/// The form's checkboxes of the `auth` group, by field name.
const AUTH_CHECKS: &[&str] = &[
    "allow_passwords",
    "allow_hardware",
    "allow_social",
    "forgot_password",
    "third_party_consent",
    "reg_enabled",
    "reg_email_confirmation",
    "tos",
    "captcha_enabled",
    "throttle_enabled",
    "two_factor_enabled",
    "allow_totp_app",
    "allow_totp_email",
    "remember_me",
    "allow_self_deletion",
];
/// The form's whole numbers of the `auth` group (`reauth_seconds` may also be empty: never).
const AUTH_NUMBERS: &[&str] = &[
    "login_reset_token_lifetime",
    "throttle_attempts",
    "throttle_lockout_time",
    "sessions_limit",
    "reauth_seconds",
    "remember_device_seconds",
];

/// What the forms show, by field name: the settings, or what was typed into a refused form.
struct Values(Vec<(&'static str, String)>);

impl Values {
    fn of(s: &TenantSettings) -> Self {
        let flag = |on: bool| if on { "on" } else { "" }.to_owned();
        Self(vec![
            ("app_name", s.app_name.clone()),
            ("company_name", s.company_name.clone()),
            ("logo_image_text", s.logo_image_text.clone()),
            ("support_email", s.support_email.clone()),
            ("allow_passwords", flag(s.allow_passwords)),
            ("allow_hardware", flag(s.allow_hardware)),
            ("allow_social", flag(s.allow_social)),
            ("forgot_password", flag(s.forgot_password)),
            ("third_party_consent", flag(s.third_party_consent)),
            ("reg_enabled", flag(s.allow_signups)),
            ("reg_email_confirmation", flag(!s.allow_unverified)),
            ("tos", flag(s.tos)),
            ("captcha_enabled", flag(s.captcha_enabled)),
            ("throttle_enabled", flag(s.throttle_enabled)),
            ("two_factor_enabled", flag(s.two_factor_enabled)),
            ("allow_totp_app", flag(s.allow_totp_app)),
            ("allow_totp_email", flag(s.allow_totp_email)),
            ("remember_me", flag(s.remember_device)),
            ("allow_self_deletion", flag(s.allow_self_deletion)),
            (
                "login_reset_token_lifetime",
                s.login_reset_token_lifetime.to_string(),
            ),
            ("throttle_attempts", s.throttle_attempts.to_string()),
            ("throttle_lockout_time", s.throttle_lockout_time.to_string()),
            ("sessions_limit", s.max_sessions.to_string()),
            (
                "reauth_seconds",
                s.reauth_seconds.map(|v| v.to_string()).unwrap_or_default(),
            ),
            (
                "remember_device_seconds",
                s.remember_device_seconds.to_string(),
            ),
            (
                "notifications_signup_email",
                flag(s.notifications_signup_email),
            ),
        ])
    }

    fn set(&mut self, name: &str, value: String) {
        if let Some(slot) = self.0.iter_mut().find(|(n, _)| *n == name) {
            slot.1 = value;
        }
    }

    fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

#[derive(Template)]
#[template(path = "pages/admin/settings.html")]
struct SettingsPage<'a> {
    chrome: &'a crate::common::html::Chrome,
    title: &'a str,
    access: ConsoleAccess,
    values: Values,
    errors: Errors,
    saved: bool,
    /// The tenant's social networks, for `settings.auth` holders.
    networks: Vec<SocialClient>,
    /// The network whose form was refused, and why.
    network_problem: Option<(String, String)>,
}

impl SettingsPage<'_> {
    fn text(&self, name: &str) -> String {
        self.values.get(name).to_owned()
    }

    fn on(&self, name: &str) -> bool {
        !self.values.get(name).is_empty()
    }

    fn error(&self, name: &str) -> Option<String> {
        self.errors.get(name)
    }

    fn others(&self) -> Vec<String> {
        let shown: Vec<&str> = self.values.0.iter().map(|(n, _)| *n).collect();
        self.errors.others(&shown)
    }
}

#[derive(Deserialize, Default)]
pub struct SettingsQuery {
    saved: Option<String>,
}

async fn settings_page(
    state: &AppState,
    page: &Page,
    principal: &Principal,
    access: ConsoleAccess,
    refused: GroupRefusal<'_>,
    saved: bool,
) -> Result<Response, PageError> {
    shown(state, page, principal, access, refused, None, saved).await
}

/// A group's refused form: what was typed, the group, and the problems.
type GroupRefusal<'a> = Option<(&'a super::form::PageForm, &'a str, Errors)>;

async fn shown(
    state: &AppState,
    page: &Page,
    principal: &Principal,
    access: ConsoleAccess,
    refused: GroupRefusal<'_>,
    network_problem: Option<(String, String)>,
    saved: bool,
) -> Result<Response, PageError> {
    // Reading the settings at all is `settings.general`'s (document 001); the service says.
    let settings = state.services.settings(principal).await?;
    let networks = match access.auth_settings {
        true => state.services.social_clients(principal).await?,
        false => Vec::new(),
    };
    let mut values = Values::of(&settings);
    let (status, errors) = match refused {
        None if network_problem.is_some() => (StatusCode::UNPROCESSABLE_ENTITY, Errors::none()),
        None => (StatusCode::OK, Errors::none()),
        Some((form, group, errors)) => {
            for name in group_fields(group) {
                values.set(name, form.text(name));
            }
            (StatusCode::UNPROCESSABLE_ENTITY, errors)
        }
    };
    let view = SettingsPage {
        chrome: &page.chrome,
        title: "Settings",
        access,
        values,
        errors,
        saved,
        networks,
        network_problem,
    };
    Ok(render(status, &view, &page.chrome))
}

fn group_fields(group: &str) -> Vec<&'static str> {
    match group {
        "general" => vec![
            "app_name",
            "company_name",
            "logo_image_text",
            "support_email",
        ],
        "auth" => AUTH_CHECKS.iter().chain(AUTH_NUMBERS).copied().collect(),
        "notifications" => vec!["notifications_signup_email"],
        _ => Vec::new(),
    }
}

/// `GET /admin/settings`: the groups of settings the person may change.
pub async fn show(
    State(state): State<AppState>,
    page: Page,
    ConsoleSession(session): ConsoleSession,
    query: Result<Query<SettingsQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let (principal, access) = console(&state, session, SETTINGS, |a| a.settings).await?;
    let saved = query.is_ok_and(|Query(q)| q.saved.is_some());
    settings_page(&state, &page, &principal, access, None, saved).await
}

/// A whole number typed into `name`; `None` for an empty field.
fn number(form: &super::form::PageForm, name: &str, problems: &mut Vec<FieldError>) -> Option<i64> {
    let text = form.text(name);
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match text.parse() {
        Ok(value) => Some(value),
        Err(_) => {
            problems.push(FieldError::other(
                name.to_owned(),
                "Enter a whole number.".to_owned(),
            ));
            None
        }
    }
}

/// The change a group's form asks for: every field of that group, none of the others (an
/// unticked checkbox is not sent, and means off).
fn change_of(
    group: &str,
    form: &super::form::PageForm,
    problems: &mut Vec<FieldError>,
) -> Option<SettingsChange> {
    let on = |name: &str| Some(form.checked(name));
    let change = match group {
        "general" => SettingsChange {
            app_name: Some(form.text("app_name")),
            company_name: Some(form.text("company_name")),
            logo_image_text: Some(form.text("logo_image_text")),
            support_email: Some(form.text("support_email")),
            ..SettingsChange::default()
        },
        "auth" => {
            let mut required = |name: &str| {
                let value = number(form, name, problems);
                if value.is_none() && form.text(name).trim().is_empty() {
                    problems.push(FieldError::new(
                        name.to_owned(),
                        portcullis_core::field::Rule::Required,
                    ));
                }
                value
            };
            SettingsChange {
                allow_passwords: on("allow_passwords"),
                allow_hardware: on("allow_hardware"),
                allow_social: on("allow_social"),
                forgot_password: on("forgot_password"),
                third_party_consent: on("third_party_consent"),
                allow_signups: on("reg_enabled"),
                allow_unverified: Some(!form.checked("reg_email_confirmation")),
                tos: on("tos"),
                captcha_enabled: on("captcha_enabled"),
                throttle_enabled: on("throttle_enabled"),
                two_factor_enabled: on("two_factor_enabled"),
                allow_totp_app: on("allow_totp_app"),
                allow_totp_email: on("allow_totp_email"),
                remember_device: on("remember_me"),
                allow_self_deletion: on("allow_self_deletion"),
                login_reset_token_lifetime: required("login_reset_token_lifetime"),
                throttle_attempts: required("throttle_attempts"),
                throttle_lockout_time: required("throttle_lockout_time"),
                max_sessions: required("sessions_limit"),
                remember_device_seconds: required("remember_device_seconds"),
                // Empty: the step-up is never asked for.
                reauth_seconds: Some(number(form, "reauth_seconds", problems)),
                ..SettingsChange::default()
            }
        }
        "notifications" => SettingsChange {
            notifications_signup_email: on("notifications_signup_email"),
            ..SettingsChange::default()
        },
        _ => return None,
    };
    Some(change)
}

/// `POST /admin/settings/{group}`: saves one group (`general`, `auth`, `notifications`).
pub async fn save(
    State(state): State<AppState>,
    page: Page,
    path: Result<Path<String>, PathRejection>,
    ConsoleForm { principal, form }: ConsoleForm,
) -> Result<Response, PageError> {
    let Ok(Path(group)) = path else {
        return Err(PageError::NotFound);
    };
    let access = state.services.console_access(&principal).await?;
    let allowed = match group.as_str() {
        "general" => access.general_settings,
        "auth" => access.general_settings && access.auth_settings,
        "notifications" => access.general_settings && access.notification_settings,
        _ => return Err(PageError::NotFound),
    };
    if !allowed {
        return Err(PageError::Forbidden);
    }
    let mut problems = Vec::new();
    let change = change_of(&group, &form, &mut problems).ok_or(PageError::NotFound)?;
    let outcome = match problems.is_empty() {
        true => {
            state
                .services
                .change_settings(&principal, change, &page.client)
                .await
        }
        false => Err(Error::Invalid(problems)),
    };
    match outcome {
        Ok(_) => Ok(redirect(&format!("{SETTINGS}?saved={group}"))),
        Err(Error::Invalid(problems)) => {
            let errors = Errors::from_field_errors(&problems);
            settings_page(
                &state,
                &page,
                &principal,
                access,
                Some((&form, &group, errors)),
                false,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /admin/settings/social/{network}`: the client this tenant registered with the
/// network: its id, and a new secret (empty: keep the kept one; `remove_secret`: none).
pub async fn save_social_client(
    State(state): State<AppState>,
    page: Page,
    path: Result<Path<String>, PathRejection>,
    ConsoleForm { principal, form }: ConsoleForm,
) -> Result<Response, PageError> {
    let Ok(Path(network)) = path else {
        return Err(PageError::NotFound);
    };
    let access = state.services.console_access(&principal).await?;
    if !access.auth_settings {
        return Err(PageError::Forbidden);
    }
    let change = SocialClientChange {
        client_id: form.text("client_id"),
        client_secret: form.secret("client_secret"),
        remove_secret: form.checked("remove_secret"),
    };
    let outcome = state
        .services
        .set_social_client(&principal, &network, change, &page.client)
        .await;
    let problem = match outcome {
        Ok(()) => return Ok(redirect(&format!("{SETTINGS}?saved=social"))),
        Err(Error::Invalid(problems)) => problems
            .iter()
            .map(super::view::field_message)
            .collect::<Vec<_>>()
            .join(" "),
        Err(Error::Conflict(why)) => why.to_owned(),
        Err(other) => return Err(other.into()),
    };
    let problem = Some((network, problem));
    shown(&state, &page, &principal, access, None, problem, false).await
}
