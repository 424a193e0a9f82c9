//! The dashboard's figures (`GET /api/stats`) and the tenant's settings (`GET`/`PATCH
//! /api/settings`).

use super::error::ApiResult;
use super::extract::Auth;
use super::json::UserJson;
use super::schema::ErrorJson;
use super::Input;
use crate::common::client::ClientAddr;
use crate::common::laravel::FieldErrors;
use crate::common::state::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use portcullis_core::model::TenantSettings;
use portcullis_core::settings::SettingsChange;
use portcullis_core::stats::Stats;
use serde::Serialize;
use std::collections::BTreeMap;
use time::Month;
use utoipa::ToSchema;

/// Registrations in each month of the current year.
#[derive(Serialize, ToSchema, Default)]
#[serde(rename_all = "PascalCase")]
pub struct UsersPerMonth {
    january: i64,
    february: i64,
    march: i64,
    april: i64,
    may: i64,
    june: i64,
    july: i64,
    august: i64,
    september: i64,
    october: i64,
    november: i64,
    december: i64,
}

impl UsersPerMonth {
    fn set(&mut self, month: Month, count: i64) {
        let slot = match month {
            Month::January => &mut self.january,
            Month::February => &mut self.february,
            Month::March => &mut self.march,
            Month::April => &mut self.april,
            Month::May => &mut self.may,
            Month::June => &mut self.june,
            Month::July => &mut self.july,
            Month::August => &mut self.august,
            Month::September => &mut self.september,
            Month::October => &mut self.october,
            Month::November => &mut self.november,
            Month::December => &mut self.december,
        };
        *slot = count;
    }
}

#[derive(Serialize, ToSchema)]
pub struct UsersPerStatus {
    total: i64,
    /// Registered this month.
    new: i64,
    banned: i64,
    unconfirmed: i64,
}

/// What a holder of `users.manage` sees.
#[derive(Serialize, ToSchema)]
pub struct AdminStatsJson {
    users_per_month: UsersPerMonth,
    users_per_status: UsersPerStatus,
    /// The seven newest users.
    latest_registrations: Vec<UserJson>,
}

/// What anyone else sees: their activity-log entries per day (`YYYY-MM-DD`) over the last
/// 14 days, today included.
#[derive(ToSchema)]
#[allow(dead_code)] // describes a map for the document
pub struct ActivityStatsJson(BTreeMap<String, i64>);

/// Dashboard figures: registrations and account states for administrators, one's own
/// activity per day for everyone else.
#[utoipa::path(
    get,
    path = "/api/stats",
    tag = "stats",
    responses(
        (status = 200, description = "The figures", body = AdminStatsJson),
        (status = 403, description = "The token lacks `view-activity`", body = ErrorJson),
    ),
)]
pub async fn stats(State(state): State<AppState>, Auth(principal): Auth) -> ApiResult<Response> {
    let date = time::macros::format_description!("[year]-[month]-[day]");
    Ok(match state.services.dashboard_stats(&principal).await? {
        Stats::Activity(days) => {
            let days: BTreeMap<String, i64> = days
                .into_iter()
                .map(|(day, count)| (day.format(&date).unwrap_or_default(), count))
                .collect();
            Json(days).into_response()
        }
        Stats::Admin(figures) => {
            let mut per_month = UsersPerMonth::default();
            for (month, count) in figures.users_per_month {
                per_month.set(month, count);
            }
            Json(AdminStatsJson {
                users_per_month: per_month,
                users_per_status: UsersPerStatus {
                    total: figures.total,
                    new: figures.new,
                    banned: figures.banned,
                    unconfirmed: figures.unconfirmed,
                },
                latest_registrations: figures
                    .latest_registrations
                    .into_iter()
                    .map(|u| UserJson::new(u, &principal.settings))
                    .collect(),
            })
            .into_response()
        }
    })
}

#[derive(Serialize, ToSchema)]
pub struct Enabled {
    enabled: bool,
}

#[derive(Serialize, ToSchema)]
pub struct RegistrationSettings {
    captcha: Enabled,
}

/// Document 001's view of the settings. `reg_email_confirmation` is the inverse of
/// accepting unverified accounts.
#[derive(Serialize, ToSchema)]
#[schema(as = Settings)]
pub struct SettingsJson {
    remember_me: bool,
    notifications_signup_email: bool,
    forgot_password: bool,
    login_reset_token_lifetime: i64,
    throttle_enabled: bool,
    throttle_attempts: i64,
    throttle_lockout_time: i64,
    reg_enabled: bool,
    reg_email_confirmation: bool,
    #[serde(rename = "2fa")]
    #[schema(rename = "2fa")]
    two_factor: Enabled,
    app_name: String,
    registration: RegistrationSettings,
    tos: bool,
    /// Live sessions a user may hold when logging in at `POST /api/v1/token` (document 002);
    /// 0 means unlimited. Not in document 001.
    sessions_limit: i64,
    /// How old a sign-in may be (seconds) before changing the email, the password or the
    /// second factor needs `current_password` too; `null`: never (document 001's contract).
    /// Not in document 001.
    reauth_seconds: Option<i64>,
    /// Browser origins (`https://app.example.com`) whose pages may call this API from
    /// JavaScript (CORS). Not in document 001.
    cors_origins: Vec<String>,
    /// Whether applications marked `third_party` ask the person's consent before they get
    /// their claims. Not in document 001.
    third_party_consent: bool,
}

impl From<TenantSettings> for SettingsJson {
    fn from(s: TenantSettings) -> Self {
        Self {
            remember_me: s.remember_device,
            notifications_signup_email: s.notifications_signup_email,
            forgot_password: s.forgot_password,
            login_reset_token_lifetime: s.login_reset_token_lifetime,
            throttle_enabled: s.throttle_enabled,
            throttle_attempts: s.throttle_attempts,
            throttle_lockout_time: s.throttle_lockout_time,
            reg_enabled: s.allow_signups,
            reg_email_confirmation: !s.allow_unverified,
            two_factor: Enabled {
                enabled: s.two_factor_enabled,
            },
            app_name: s.app_name,
            registration: RegistrationSettings {
                captcha: Enabled {
                    enabled: s.captcha_enabled,
                },
            },
            tos: s.tos,
            sessions_limit: s.max_sessions,
            reauth_seconds: s.reauth_seconds,
            cors_origins: s.cors_origins,
            third_party_consent: s.third_party_consent,
        }
    }
}

/// The tenant's settings (`settings.general`).
#[utoipa::path(
    get,
    path = "/api/settings",
    operation_id = "settings",
    tag = "settings",
    responses(
        (status = 200, description = "The settings", body = SettingsJson),
        (status = 403, description = "Forbidden.", body = ErrorJson),
    ),
)]
pub async fn show_settings(
    State(state): State<AppState>,
    Auth(principal): Auth,
) -> ApiResult<Json<SettingsJson>> {
    Ok(Json(state.services.settings(&principal).await?.into()))
}

/// Changes the settings sent, in the shape `GET` shows (nested `2fa.enabled` and
/// `registration.captcha.enabled`, or those dotted keys). Login, registration, throttling and
/// 2FA settings need `settings.auth`; `notifications_signup_email` needs
/// `settings.notifications`.
#[utoipa::path(
    patch,
    path = "/api/settings",
    tag = "settings",
    request_body(content(
        (SettingsJson = "application/json"),
        (SettingsJson = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "The settings now", body = SettingsJson),
        (status = 403, description = "Forbidden.", body = ErrorJson),
        (status = 422, description = "Invalid values", body = FieldErrors),
    ),
)]
pub async fn update_settings(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ClientAddr(client): ClientAddr,
    input: Input,
) -> ApiResult<Json<SettingsJson>> {
    let mut errors = FieldErrors::default();
    let errors = &mut errors;
    let change = SettingsChange {
        app_name: input.optional_string("app_name", errors),
        remember_device: input.optional_bool(&["remember_me"], errors),
        notifications_signup_email: input.optional_bool(&["notifications_signup_email"], errors),
        forgot_password: input.optional_bool(&["forgot_password"], errors),
        login_reset_token_lifetime: input.optional_integer("login_reset_token_lifetime", errors),
        throttle_enabled: input.optional_bool(&["throttle_enabled"], errors),
        throttle_attempts: input.optional_integer("throttle_attempts", errors),
        throttle_lockout_time: input.optional_integer("throttle_lockout_time", errors),
        allow_signups: input.optional_bool(&["reg_enabled"], errors),
        allow_unverified: input
            .optional_bool(&["reg_email_confirmation"], errors)
            .map(|confirm| !confirm),
        two_factor_enabled: input.optional_bool(&["2fa", "enabled"], errors),
        captcha_enabled: input.optional_bool(&["registration", "captcha", "enabled"], errors),
        tos: input.optional_bool(&["tos"], errors),
        max_sessions: input.optional_integer("sessions_limit", errors),
        reauth_seconds: input.nullable_integer("reauth_seconds", errors),
        cors_origins: input
            .has("cors_origins")
            .then(|| input.name_list("cors_origins", errors))
            .flatten(),
        third_party_consent: input.optional_bool(&["third_party_consent"], errors),
        // Branding, sign-in methods and second factors are document 003's, changed on the
        // management API and in the console.
        ..SettingsChange::default()
    };
    std::mem::take(errors).into_result()?;
    let settings = state
        .services
        .change_settings(&principal, change, &client)
        .await?;
    Ok(Json(settings.into()))
}
