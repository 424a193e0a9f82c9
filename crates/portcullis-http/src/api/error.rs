//! The account API's error shape: `{"error": "..."}`, or `{field: [messages]}` for 422.

use super::schema::ErrorJson;
use crate::common::body::BodyError;
use crate::common::laravel::FieldErrors;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use portcullis_core::model::Limited;
use portcullis_core::Error;

#[derive(Debug)]
pub enum ApiError {
    Unauthorized,
    Forbidden,
    /// 403: the token lacks the scope the route declares.
    MissingScope(String),
    /// 403 with its own message: allowed in general, but not this.
    Refused(&'static str),
    NotFound,
    InvalidCredentials,
    Banned,
    EmailNotConfirmed,
    SignupsClosed,
    SocialNetworkFailed,
    /// Field messages in the order they were found.
    Validation(FieldErrors),
    BadRequest(&'static str),
    /// 422 with `{"error": ...}`: the request is valid but the resource's state forbids it.
    Conflict(&'static str),
    PayloadTooLarge,
    UnsupportedMediaType,
    Unavailable,
    /// The password-hash queue is full; the client should retry after this many seconds.
    Overloaded {
        retry_after_seconds: u64,
    },
    /// 429: too many attempts of one kind from the address or for one account.
    Throttled {
        of: Limited,
        retry_after_seconds: u64,
    },
    /// The request ran past `request_timeout_seconds`.
    TimedOut,
    Internal,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl FieldErrors {
    pub fn into_result(self) -> ApiResult<()> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self))
        }
    }
}

impl From<BodyError> for ApiError {
    fn from(error: BodyError) -> Self {
        match error {
            BodyError::TooLarge => Self::PayloadTooLarge,
            BodyError::UnsupportedType => Self::UnsupportedMediaType,
            BodyError::Malformed(text) => Self::BadRequest(text),
        }
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        match error {
            Error::InvalidCredentials => Self::InvalidCredentials,
            Error::Banned => Self::Banned,
            Error::EmailNotConfirmed => Self::EmailNotConfirmed,
            Error::InvalidToken => Self::BadRequest("Invalid token."),
            Error::Unauthenticated => Self::Unauthorized,
            Error::Forbidden => Self::Forbidden,
            Error::Refused(message) => Self::Refused(message),
            Error::NotFound => Self::NotFound,
            Error::Conflict(message) => Self::Conflict(message),
            Error::Invalid(problems) => Self::Validation(FieldErrors::from(&problems[..])),
            Error::Overloaded {
                retry_after_seconds,
            } => Self::Overloaded {
                retry_after_seconds,
            },
            Error::Throttled {
                of,
                retry_after_seconds,
            } => Self::Throttled {
                of,
                retry_after_seconds,
            },
            Error::SignupsClosed => Self::SignupsClosed,
            Error::SocialNetwork(detail) => {
                tracing::warn!(%detail, "social network failed");
                Self::SocialNetworkFailed
            }
            Error::Unavailable(detail) => {
                tracing::warn!(%detail, "a service we depend on failed");
                Self::Unavailable
            }
            Error::Store(portcullis_core::StoreError::Unavailable(detail)) => {
                tracing::error!(%detail, "database unavailable");
                Self::Unavailable
            }
            other => {
                tracing::error!(error = %other, "request failed");
                Self::Internal
            }
        }
    }
}

fn message(status: StatusCode, error: &'static str) -> Response {
    (status, Json(ErrorJson { error })).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::Unauthorized => message(StatusCode::UNAUTHORIZED, "Unauthorized."),
            Self::Forbidden => message(StatusCode::FORBIDDEN, "Forbidden."),
            Self::MissingScope(scope) => (
                StatusCode::FORBIDDEN,
                Json(serde_json::json!({ "error": "Forbidden.", "missing_scope": scope })),
            )
                .into_response(),
            Self::Refused(text) => message(StatusCode::FORBIDDEN, text),
            Self::NotFound => message(StatusCode::NOT_FOUND, "Resource not found."),
            Self::InvalidCredentials => message(StatusCode::UNAUTHORIZED, "Invalid credentials."),
            Self::SignupsClosed => message(
                StatusCode::FORBIDDEN,
                "Only users who already created an account can log in.",
            ),
            // Document 001 answers 500 here, and clients are written against it.
            Self::SocialNetworkFailed => message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Could not connect to specified social network.",
            ),
            Self::EmailNotConfirmed => message(
                StatusCode::UNAUTHORIZED,
                "Please confirm your email address before logging in.",
            ),
            Self::Banned => message(
                StatusCode::FORBIDDEN,
                "Your account is banned by administrators.",
            ),
            Self::Validation(fields) => {
                (StatusCode::UNPROCESSABLE_ENTITY, Json(fields)).into_response()
            }
            Self::BadRequest(text) => message(StatusCode::BAD_REQUEST, text),
            Self::Conflict(text) => message(StatusCode::UNPROCESSABLE_ENTITY, text),
            Self::PayloadTooLarge => message(
                StatusCode::PAYLOAD_TOO_LARGE,
                "The request body is too large.",
            ),
            Self::UnsupportedMediaType => message(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "The request body must be JSON (Content-Type: application/json).",
            ),
            Self::Unavailable => unavailable("Service temporarily unavailable.", 5),
            Self::Overloaded {
                retry_after_seconds,
            } => unavailable(
                "Too many requests at once; try again shortly.",
                retry_after_seconds,
            ),
            Self::Throttled {
                of,
                retry_after_seconds,
            } => throttled(of, retry_after_seconds),
            Self::TimedOut => unavailable("The request took too long.", 5),
            Self::Internal => internal_error(),
        }
    }
}

/// 429 with `Retry-After`, and the wait in words.
fn throttled(of: Limited, retry_after_seconds: u64) -> Response {
    let what = match of {
        Limited::Logins => "login attempts",
        Limited::Mails => "requests for emails",
        Limited::SecondFactor => "two-factor codes",
    };
    let error = format!("Too many {what}. Please try again in {retry_after_seconds} seconds.");
    let mut response = (
        StatusCode::TOO_MANY_REQUESTS,
        Json(serde_json::json!({ "error": error })),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_seconds));
    response
}

/// 503 with `Retry-After`.
fn unavailable(text: &'static str, retry_after_seconds: u64) -> Response {
    let mut response = message(StatusCode::SERVICE_UNAVAILABLE, text);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_seconds));
    response
}

pub fn method_not_allowed() -> Response {
    message(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed.")
}

pub fn internal_error() -> Response {
    message(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error.")
}
