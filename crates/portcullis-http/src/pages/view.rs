//! Rendering: the frame every page shares (the tenant's name and logo text, the developer-mode
//! banner, the CSRF token), field errors, redirects, the stylesheet and the security headers.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use portcullis_core::model::Limited;
use portcullis_core::FieldError;

/// A field error in the pages' words: the account API's, which the pages' forms share (a
/// sign-up's fields are a registration's).
pub fn field_message(error: &FieldError) -> String {
    crate::common::laravel::field_message(error)
}

/// Problems to show, each under its field (or at the top of the form).
#[derive(Debug, Default)]
pub struct Errors(Vec<(String, String)>);

impl Errors {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn none() -> Self {
        Self::default()
    }

    /// One problem not tied to a field.
    pub fn general(message: impl Into<String>) -> Self {
        Self(vec![(String::new(), message.into())])
    }

    /// The page's own problems, each with its field.
    pub fn from_problems(problems: Vec<(String, String)>) -> Self {
        Self(problems)
    }

    /// The domain's field errors, in the pages' words.
    pub fn from_field_errors(problems: &[FieldError]) -> Self {
        Self(
            problems
                .iter()
                .map(|problem| (problem.field.clone(), field_message(problem)))
                .collect(),
        )
    }

    /// The messages about `field`, joined, if any.
    pub fn get(&self, field: &str) -> Option<String> {
        let messages: Vec<&str> = self
            .0
            .iter()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
            .collect();
        (!messages.is_empty()).then(|| messages.join(" "))
    }

    /// Messages about fields the form does not show (`shown`), for the top of the form.
    pub fn others(&self, shown: &[&str]) -> Vec<String> {
        self.0
            .iter()
            .filter(|(f, _)| !shown.contains(&f.as_str()))
            .map(|(_, m)| m.clone())
            .collect()
    }
}

/// A captcha picture on a form (sign-up; sign-in once an address failed often).
pub struct CaptchaView {
    /// The PNG as a `data:` URL (the pages' policy allows those images and nothing remote).
    pub image: String,
    pub key: String,
}

impl CaptchaView {
    pub fn new(made: &portcullis_core::captcha::NewCaptcha) -> Self {
        use base64::Engine;
        let png = base64::engine::general_purpose::STANDARD.encode(&made.png);
        Self {
            image: format!("data:image/png;base64,{png}"),
            key: made.key.expose().to_owned(),
        }
    }
}

/// What a form says to a visitor who ran out of attempts, with the wait in whole minutes.
pub fn wait_message(of: Limited, retry_after_seconds: u64) -> String {
    let minutes = retry_after_seconds.div_ceil(60).max(1);
    let what = match of {
        Limited::Logins => "sign-in attempts",
        Limited::Mails => "requests from here",
        Limited::SecondFactor => "wrong codes",
    };
    let plural = if minutes == 1 { "" } else { "s" };
    format!("Too many {what}. Please wait {minutes} minute{plural} and try again.")
}

const STYLESHEET: &str = include_str!("../../templates/pages/pages.css");

/// The one stylesheet, cached for a day (it changes only with the binary).
pub async fn stylesheet() -> Response {
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=86400"),
        ],
        STYLESHEET,
    )
        .into_response()
}

/// A refusal a page words for the person next to its form (field problems, a refusal by who
/// they are or what the tenant allows, a sign-in to renew, a wait), with its status; the error
/// page for anything else. `sign_in_again` says what a token that may not do this should do.
pub fn refusal(
    error: portcullis_core::Error,
    sign_in_again: &'static str,
) -> Result<(Errors, axum::http::StatusCode), crate::common::page_error::PageError> {
    use axum::http::StatusCode;
    use portcullis_core::Error;
    Ok(match error {
        Error::Invalid(problems) => (
            Errors::from_problems(
                problems
                    .iter()
                    .map(|p| (p.field.clone(), field_message(p)))
                    .collect(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Error::Refused(why) => (Errors::general(why), StatusCode::FORBIDDEN),
        Error::Forbidden => (Errors::general(sign_in_again), StatusCode::FORBIDDEN),
        Error::Throttled {
            of,
            retry_after_seconds,
        } => (
            Errors::general(wait_message(of, retry_after_seconds)),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        other => return Err(other.into()),
    })
}
