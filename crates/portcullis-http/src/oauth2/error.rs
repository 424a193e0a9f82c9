//! RFC 6749's error shape, `{"error": "...", "error_description": "..."}`.

use crate::common::body::BodyError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use portcullis_core::oidc::error::{ErrorCode, OAuthFailure};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug)]
pub enum OAuthError {
    /// No API key, or one that is unknown or revoked.
    InvalidClient,
    InvalidRequest(&'static str),
    /// A protocol refusal (RFC 6749 §5.2): 401 for `invalid_client`, 400 otherwise.
    Refused(ErrorCode, &'static str),
    PayloadTooLarge,
    /// No endpoint at this path, or not with this method.
    NotFound,
    MethodNotAllowed,
    Unavailable,
    Internal,
}

#[derive(Serialize, ToSchema)]
#[schema(as = OAuthError)]
pub struct OAuthErrorJson {
    #[schema(example = "invalid_client")]
    error: &'static str,
    error_description: &'static str,
}

/// A body that could not be taken.
impl From<BodyError> for OAuthError {
    fn from(error: BodyError) -> Self {
        match error {
            BodyError::TooLarge => Self::PayloadTooLarge,
            BodyError::UnsupportedType | BodyError::Malformed(_) => {
                Self::InvalidRequest("The request body could not be read.")
            }
        }
    }
}

impl From<OAuthFailure> for OAuthError {
    fn from(failure: OAuthFailure) -> Self {
        match failure {
            OAuthFailure::Refused(code, description) => Self::Refused(code, description),
            OAuthFailure::Failed(error) => error.into(),
        }
    }
}

impl From<portcullis_core::Error> for OAuthError {
    fn from(error: portcullis_core::Error) -> Self {
        use portcullis_core::{Error, StoreError};
        match error {
            Error::Unauthenticated => Self::InvalidClient,
            Error::Store(StoreError::Unavailable(detail)) => {
                tracing::error!(%detail, "database unavailable");
                Self::Unavailable
            }
            Error::Overloaded { .. } => Self::Unavailable,
            other => {
                tracing::error!(error = %other, "request failed");
                Self::Internal
            }
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let (status, error, error_description) = match self {
            Self::InvalidClient => (
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "A valid API key is required (Authorization: Bearer pcsk_...).",
            ),
            Self::InvalidRequest(text) => (StatusCode::BAD_REQUEST, "invalid_request", text),
            Self::Refused(ErrorCode::InvalidClient, text) => {
                (StatusCode::UNAUTHORIZED, "invalid_client", text)
            }
            Self::Refused(code, text) => (StatusCode::BAD_REQUEST, code.as_str(), text),
            Self::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid_request",
                "The request body is too large.",
            ),
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                "invalid_request",
                "There is no such endpoint.",
            ),
            Self::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "invalid_request",
                "This endpoint does not take that method.",
            ),
            Self::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "Service temporarily unavailable.",
            ),
            Self::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "Internal server error.",
            ),
        };
        let mut response = (
            status,
            Json(OAuthErrorJson {
                error,
                error_description,
            }),
        )
            .into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                // The key may come either way (see `Service`), so both schemes are offered.
                HeaderValue::from_static("Bearer realm=\"portcullis\", Basic realm=\"portcullis\""),
            );
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(5));
        }
        response
    }
}
