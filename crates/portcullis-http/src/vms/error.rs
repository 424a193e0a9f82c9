//! Document 002's error shapes: `{"message": "..."}`, and for 422
//! `{"message": "The given data was invalid.", "errors": {"field": ["..."]}}`.

use crate::common::body::BodyError;
use crate::common::laravel::FieldErrors;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug)]
pub enum VmsError {
    /// 422: each invalid field with its messages.
    Validation(FieldErrors),
    /// 401: no valid token.
    Unauthenticated,
    /// 403 with its own message: allowed in general, but not this.
    Refused(&'static str),
    NotFound,
    MethodNotAllowed,
    /// 429: a throttle is closed for this many more seconds.
    TooManyAttempts {
        retry_after_seconds: u64,
    },
    BadRequest(&'static str),
    PayloadTooLarge,
    UnsupportedMediaType,
    /// 503: the database, or a service we depend on, is unavailable; or the password-hash
    /// queue is full.
    Unavailable {
        retry_after_seconds: u64,
    },
    Internal,
}

/// Every error but validation.
#[derive(Serialize, ToSchema)]
#[schema(as = VmsError)]
pub struct MessageJson {
    #[schema(example = "Too Many Attempts.")]
    pub message: &'static str,
}

/// 422.
#[derive(Serialize, ToSchema)]
#[schema(as = VmsValidationError)]
pub struct ValidationJson {
    #[schema(example = "The given data was invalid.")]
    pub message: &'static str,
    pub errors: FieldErrors,
}

/// A body that could not be taken, in this dialect.
impl From<BodyError> for VmsError {
    fn from(error: BodyError) -> Self {
        match error {
            BodyError::TooLarge => Self::PayloadTooLarge,
            BodyError::UnsupportedType => Self::UnsupportedMediaType,
            BodyError::Malformed(text) => Self::BadRequest(text),
        }
    }
}

impl VmsError {
    /// A 422 about one field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let mut fields = FieldErrors::default();
        fields.add(field, message);
        Self::Validation(fields)
    }
}

impl From<portcullis_core::Error> for VmsError {
    fn from(error: portcullis_core::Error) -> Self {
        use portcullis_core::{Error, StoreError};
        match error {
            // Document 002 is the same Laravel application as document 001: its words.
            Error::Invalid(problems) => Self::Validation(FieldErrors::from(&problems[..])),
            // Laravel's own wording, which clients of document 002 know.
            Error::InvalidCredentials => {
                Self::invalid("login", "These credentials do not match our records.")
            }
            Error::Banned => Self::Refused("Your account is banned by administrators."),
            Error::EmailNotConfirmed => Self::Refused("Your email address is not verified."),
            Error::Unauthenticated => Self::Unauthenticated,
            Error::Forbidden => Self::Refused("This action is unauthorized."),
            Error::Refused(message) => Self::Refused(message),
            Error::NotFound => Self::NotFound,
            Error::Throttled {
                retry_after_seconds,
                ..
            } => Self::TooManyAttempts {
                retry_after_seconds,
            },
            Error::Overloaded {
                retry_after_seconds,
            } => Self::Unavailable {
                retry_after_seconds,
            },
            Error::Unavailable(detail) => {
                tracing::warn!(%detail, "a service we depend on failed");
                Self::Unavailable {
                    retry_after_seconds: 5,
                }
            }
            Error::Store(StoreError::Unavailable(detail)) => {
                tracing::error!(%detail, "database unavailable");
                Self::Unavailable {
                    retry_after_seconds: 5,
                }
            }
            other => {
                tracing::error!(error = %other, "request failed");
                Self::Internal
            }
        }
    }
}

fn message(status: StatusCode, message: &'static str) -> Response {
    (status, Json(MessageJson { message })).into_response()
}

fn with_retry_after(mut response: Response, seconds: u64) -> Response {
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

impl IntoResponse for VmsError {
    fn into_response(self) -> Response {
        match self {
            Self::Validation(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(ValidationJson {
                    message: "The given data was invalid.",
                    errors,
                }),
            )
                .into_response(),
            Self::Unauthenticated => message(StatusCode::UNAUTHORIZED, "Unauthenticated."),
            Self::Refused(text) => message(StatusCode::FORBIDDEN, text),
            Self::NotFound => message(StatusCode::NOT_FOUND, "Not Found."),
            Self::MethodNotAllowed => message(
                StatusCode::METHOD_NOT_ALLOWED,
                "The method is not supported for this route.",
            ),
            Self::TooManyAttempts {
                retry_after_seconds,
            } => with_retry_after(
                message(StatusCode::TOO_MANY_REQUESTS, "Too Many Attempts."),
                retry_after_seconds,
            ),
            Self::BadRequest(text) => message(StatusCode::BAD_REQUEST, text),
            Self::PayloadTooLarge => message(
                StatusCode::PAYLOAD_TOO_LARGE,
                "The request body is too large.",
            ),
            Self::UnsupportedMediaType => message(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "The request body must be JSON (Content-Type: application/json).",
            ),
            Self::Unavailable {
                retry_after_seconds,
            } => with_retry_after(
                message(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Service temporarily unavailable.",
                ),
                retry_after_seconds,
            ),
            Self::Internal => message(StatusCode::INTERNAL_SERVER_ERROR, "Server Error."),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use portcullis_core::Rule::Other;

    async fn body(error: VmsError) -> (StatusCode, Option<HeaderValue>, serde_json::Value) {
        let response = error.into_response();
        let status = response.status();
        let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, retry_after, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn renders_document_002s_shapes() {
        let (status, _, json) =
            body(portcullis_core::Error::invalid("captcha", Other("Wrong.".into())).into()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            json,
            serde_json::json!({
                "message": "The given data was invalid.",
                "errors": {"captcha": ["Wrong."]},
            })
        );

        let (status, retry_after, json) = body(VmsError::TooManyAttempts {
            retry_after_seconds: 42,
        })
        .await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(retry_after, Some(HeaderValue::from(42)));
        assert_eq!(json, serde_json::json!({"message": "Too Many Attempts."}));

        let (status, _, json) = body(portcullis_core::Error::Unauthenticated.into()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(json, serde_json::json!({"message": "Unauthenticated."}));

        let (status, retry_after, _) = body(
            portcullis_core::Error::Store(portcullis_core::StoreError::Unavailable("x".into()))
                .into(),
        )
        .await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(retry_after, Some(HeaderValue::from(5)));
    }
}
