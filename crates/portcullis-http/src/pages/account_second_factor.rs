//! The account page's second factor (`/account/second-factor`): an authenticator app (its key
//! drawn as a QR code on the server and shown as text, confirmed by a first code, then the
//! recovery codes shown once with a text download), codes by mail or text message where the
//! tenant offers them, new recovery codes, and turning it off. Every change goes through the
//! same services as `/api/me/2fa`, under the step-up rule.

use super::account::{AccountForm, SIGN_IN};
use super::context::Page;
use super::view::Errors;
use crate::common::html::{redirect, render, Chrome};
use crate::common::page_error::PageError;
use crate::common::state::AppState;
use crate::common::web_session::WebSession;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use portcullis_core::field::{FieldError, Rule};
use portcullis_core::model::{Method, Principal};
use portcullis_core::two_factor::Enrolment;
use portcullis_core::{Error, Secret};
use serde::Deserialize;

const PAGE: &str = "/account/second-factor";

#[derive(Template)]
#[template(path = "pages/account/second_factor.html")]
struct SecondFactorPage<'a> {
    chrome: &'a Chrome,
    title: &'a str,
    notice: Option<&'static str>,
    errors: Errors,
    /// Whether the tenant uses second factors at all.
    allowed: bool,
    app: bool,
    mail: bool,
    /// The method that is on, in words.
    active: Option<&'static str>,
    /// An authenticator-app setup waits for its first code.
    pending: bool,
    /// A setup just started: the key as a QR code and as text.
    setup: Option<Setup>,
    /// Recovery codes just made, shown this once, and their download.
    codes: Vec<String>,
    codes_download: String,
    /// Whether the tenant's step-up may ask for the password.
    step_up: bool,
}

struct Setup {
    /// A `data:` URL of the QR code's SVG (the pages allow images from `data:`).
    qr: String,
    secret: String,
}

/// What the last form did, for the page that answers it.
#[derive(Default)]
struct Said {
    notice: Option<&'static str>,
    errors: Option<Errors>,
    setup: Option<Setup>,
    codes: Vec<Secret>,
}

#[derive(Deserialize, Default)]
pub struct SecondFactorQuery {
    /// What was just done: `on`, `off`.
    done: Option<String>,
}

fn method_words(method: Method) -> &'static str {
    match method {
        Method::Totp => "codes from an authenticator app",
        Method::Email => "codes by mail",
        Method::Phone => "codes by text message",
    }
}

/// The QR code of an `otpauth://` URL, as an SVG `data:` URL.
fn qr_code(otpauth_url: &str) -> Result<String, PageError> {
    let code = qrcode::QrCode::new(otpauth_url.as_bytes())
        .map_err(|e| Error::Internal(format!("QR code: {e}")))?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Ok(format!(
        "data:image/svg+xml;base64,{}",
        STANDARD.encode(svg)
    ))
}

/// The recovery codes as a text file's `data:` URL, for the download link.
fn codes_file(codes: &[String]) -> String {
    let text = format!(
        "Recovery codes: each signs you in once without your second factor.\n\n{}\n",
        codes.join("\n")
    );
    format!(
        "data:text/plain;charset=utf-8;base64,{}",
        STANDARD.encode(text)
    )
}

async fn second_factor_page(
    state: &AppState,
    page: &Page,
    principal: &Principal,
    said: Said,
) -> Result<Response, PageError> {
    let settings = &principal.settings;
    let current = state.services.own_two_factor(principal).await?;
    let codes: Vec<String> = said.codes.iter().map(|c| c.expose().to_owned()).collect();
    let status = match said.errors.is_some() {
        true => StatusCode::UNPROCESSABLE_ENTITY,
        false => StatusCode::OK,
    };
    let view = SecondFactorPage {
        chrome: &page.chrome,
        title: "Second factor",
        notice: said.notice,
        errors: said.errors.unwrap_or_else(Errors::none),
        allowed: settings.two_factor_enabled,
        app: settings.allow_totp_app,
        mail: settings.allow_totp_email,
        active: current.filter(|(_, on)| *on).map(|(m, _)| method_words(m)),
        pending: current.is_some_and(|(m, on)| m == Method::Totp && !on),
        setup: said.setup,
        codes_download: codes_file(&codes),
        codes,
        step_up: settings.reauth_seconds.is_some(),
    };
    let mut response = render(status, &view, &page.chrome);
    if !view.codes.is_empty() || view.setup.is_some() {
        // Secrets on this answer only: never kept by a cache.
        response
            .headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(response)
}

/// The page again with a refusal in the service's words, or the error page.
async fn refused(
    state: &AppState,
    page: &Page,
    principal: &Principal,
    error: Error,
) -> Result<Response, PageError> {
    let errors = match error {
        Error::Invalid(problems) => Errors::from_field_errors(&problems),
        Error::Conflict(why) | Error::Refused(why) => Errors::general(why),
        other => return Err(other.into()),
    };
    let said = Said {
        errors: Some(errors),
        ..Said::default()
    };
    second_factor_page(state, page, principal, said).await
}

/// `GET /account/second-factor`.
pub async fn show(
    State(state): State<AppState>,
    page: Page,
    WebSession(session): WebSession,
    query: Result<Query<SecondFactorQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let Some(principal) = session else {
        return Ok(redirect(SIGN_IN));
    };
    let notice = match query.ok().and_then(|Query(q)| q.done).as_deref() {
        Some("on") => Some("Your second factor is on."),
        Some("off") => Some("Your second factor is off."),
        _ => None,
    };
    let said = Said {
        notice,
        ..Said::default()
    };
    second_factor_page(&state, &page, &principal, said).await
}

/// `POST /account/second-factor/app`: starts an authenticator-app setup; the answer shows its
/// key (not cached), to be confirmed with a first code.
pub async fn set_up_app(
    State(state): State<AppState>,
    page: Page,
    AccountForm { principal, form }: AccountForm,
) -> Result<Response, PageError> {
    let password = form.secret("app_current_password");
    let outcome = state
        .services
        .enable_two_factor(
            &principal,
            Method::Totp,
            None,
            password.as_ref(),
            &page.client,
        )
        .await;
    match outcome {
        Ok(Enrolment::Totp {
            otpauth_url,
            secret,
        }) => {
            let said = Said {
                setup: Some(Setup {
                    qr: qr_code(&otpauth_url)?,
                    secret: secret.expose().to_owned(),
                }),
                ..Said::default()
            };
            second_factor_page(&state, &page, &principal, said).await
        }
        Ok(Enrolment::Enabled(_)) => Ok(redirect(&format!("{PAGE}?done=on"))),
        Err(error) => refused(&state, &page, &principal, error).await,
    }
}

/// `POST /account/second-factor/confirm`: the app's first code turns it on; the answer shows
/// the recovery codes once.
pub async fn confirm(
    State(state): State<AppState>,
    page: Page,
    AccountForm { principal, form }: AccountForm,
) -> Result<Response, PageError> {
    let code = form.text("code");
    match state
        .services
        .confirm_totp(&principal, code.trim(), &page.client)
        .await
    {
        Ok(codes) => {
            let said = Said {
                notice: Some("Your second factor is on."),
                codes,
                ..Said::default()
            };
            second_factor_page(&state, &page, &principal, said).await
        }
        Err(error) => refused(&state, &page, &principal, error).await,
    }
}

/// `POST /account/second-factor/mail`: codes by mail.
pub async fn use_mail(
    State(state): State<AppState>,
    page: Page,
    AccountForm { principal, form }: AccountForm,
) -> Result<Response, PageError> {
    let password = form.secret("mail_current_password");
    let outcome = state
        .services
        .enable_two_factor(
            &principal,
            Method::Email,
            None,
            password.as_ref(),
            &page.client,
        )
        .await;
    match outcome {
        Ok(_) => Ok(redirect(&format!("{PAGE}?done=on"))),
        Err(error) => refused(&state, &page, &principal, error).await,
    }
}

/// `POST /account/second-factor/phone`: codes by text message to `country_code` and
/// `phone_number` (digits, as the API takes them).
pub async fn use_phone(
    State(state): State<AppState>,
    page: Page,
    AccountForm { principal, form }: AccountForm,
) -> Result<Response, PageError> {
    let digits = |name: &str| -> Result<String, FieldError> {
        let typed: String = form
            .text(name)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let typed = typed.trim_start_matches('+').to_owned();
        match typed.is_empty() {
            true => Err(FieldError::new(name, Rule::Required)),
            false if typed.chars().all(|c| c.is_ascii_digit()) && typed.len() <= 15 => Ok(typed),
            false => Err(FieldError::new(name, Rule::Format)),
        }
    };
    // E.164: a calling code of 1 to 3 digits, at most 15 digits in all.
    let phone = match (digits("country_code"), digits("phone_number")) {
        (Ok(country), Ok(number)) => match country.parse::<i64>() {
            Ok(code) if (1..=3).contains(&country.len()) && code > 0 => {
                match country.len() + number.len() <= 15 {
                    true => Ok((code, number)),
                    false => Err(vec![FieldError::new("phone_number", Rule::Format)]),
                }
            }
            _ => Err(vec![FieldError::new("country_code", Rule::Format)]),
        },
        (country, number) => Err([country.err(), number.err()]
            .into_iter()
            .flatten()
            .collect()),
    };
    let password = form.secret("phone_current_password");
    let outcome = match phone {
        Ok(phone) => {
            state
                .services
                .enable_two_factor(
                    &principal,
                    Method::Phone,
                    Some(phone),
                    password.as_ref(),
                    &page.client,
                )
                .await
        }
        Err(problems) => Err(Error::Invalid(problems)),
    };
    match outcome {
        Ok(_) => Ok(redirect(&format!("{PAGE}?done=on"))),
        Err(error) => refused(&state, &page, &principal, error).await,
    }
}

/// `POST /account/second-factor/recovery-codes`: new recovery codes (the old ones stop
/// working), shown once.
pub async fn recovery_codes(
    State(state): State<AppState>,
    page: Page,
    AccountForm { principal, form }: AccountForm,
) -> Result<Response, PageError> {
    let password = form.secret("codes_current_password");
    match state
        .services
        .new_recovery_codes(&principal, password.as_ref(), &page.client)
        .await
    {
        Ok(codes) => {
            let said = Said {
                codes,
                ..Said::default()
            };
            second_factor_page(&state, &page, &principal, said).await
        }
        Err(error) => refused(&state, &page, &principal, error).await,
    }
}

/// `POST /account/second-factor/off`.
pub async fn turn_off(
    State(state): State<AppState>,
    page: Page,
    AccountForm { principal, form }: AccountForm,
) -> Result<Response, PageError> {
    let password = form.secret("off_current_password");
    match state
        .services
        .disable_two_factor(&principal, password.as_ref(), &page.client)
        .await
    {
        Ok(_) => Ok(redirect(&format!("{PAGE}?done=off"))),
        Err(error) => refused(&state, &page, &principal, error).await,
    }
}
