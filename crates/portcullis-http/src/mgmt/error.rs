//! Document 003's error envelope, `{"type": "Error", "uuid", "code", "status_code", "message"}`,
//! whose `uuid` is the request id (the one in `X-Request-Id` and in the request's log lines).

use crate::observe::RequestId;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use portcullis_core::field::label;
use portcullis_core::{FieldError, Rule};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone)]
pub struct MgmtError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = Error)]
pub struct ErrorJson {
    #[serde(rename = "type")]
    #[schema(example = "Error")]
    kind: &'static str,
    #[schema(example = "a31680a3-663e-4693-9152-e2cc9a093811")]
    uuid: String,
    #[schema(example = "authentication_failure")]
    code: &'static str,
    #[schema(example = 401)]
    status_code: u16,
    #[serde(skip_serializing_if = "String::is_empty")]
    message: String,
}

impl MgmtError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn authentication_failure() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "authentication_failure",
            "A valid API key is required: Authorization: Bearer <key>.",
        )
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "No such object.")
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "The method is not supported for this path.",
        )
    }

    /// The envelope, for the request `id`.
    pub fn render(&self, id: Option<&RequestId>) -> Response {
        let uuid = id.map_or_else(|| RequestId::generate().to_string(), ToString::to_string);
        let mut response = (
            self.status,
            Json(ErrorJson {
                kind: "Error",
                uuid,
                code: self.code,
                status_code: self.status.as_u16(),
                message: self.message.clone(),
            }),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"portcullis\""),
            );
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(5));
        }
        response
    }
}

/// Handlers' errors leave the envelope to [`with_uuid`], which knows the request id.
impl IntoResponse for MgmtError {
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// Renders the envelope of an error a handler or extractor returned, with the request's id.
pub async fn with_uuid(request: Request, next: Next) -> Response {
    let id = request.extensions().get::<RequestId>().cloned();
    // An id with a NUL byte names nothing (and PostgreSQL could not even compare it).
    if request.uri().path().to_ascii_lowercase().contains("%00") {
        return MgmtError::not_found().render(id.as_ref());
    }
    let response = next.run(request).await;
    match response.extensions().get::<MgmtError>() {
        Some(error) => error.render(id.as_ref()),
        None => response,
    }
}

impl From<portcullis_core::Error> for MgmtError {
    fn from(error: portcullis_core::Error) -> Self {
        use portcullis_core::{Error, StoreError};
        match error {
            Error::Unauthenticated => Self::authentication_failure(),
            Error::NotFound => Self::not_found(),
            Error::Forbidden => Self::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "This key may not do that.",
            ),
            Error::Refused(message) => Self::new(StatusCode::FORBIDDEN, "forbidden", message),
            Error::Invalid(problems) => {
                let code = if problems.iter().any(|p| p.field == "metadata") {
                    "invalid_metadata"
                } else {
                    "invalid_request"
                };
                let message = problems
                    .iter()
                    .map(|problem| format!("{}: {}", problem.field, field_message(problem)))
                    .collect::<Vec<_>>()
                    .join("; ");
                Self::new(StatusCode::BAD_REQUEST, code, message)
            }
            Error::Conflict(message) => Self::new(StatusCode::CONFLICT, "conflict", message),
            // The password-hash queue is full: a 503, whose `Retry-After` asks to come back soon.
            Error::Overloaded { .. } => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "service_unavailable",
                "Too many requests at once; try again shortly.",
            ),
            Error::Store(StoreError::Unavailable(detail)) => {
                tracing::error!(%detail, "database unavailable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "service_unavailable",
                    "Service temporarily unavailable.",
                )
            }
            Error::Store(StoreError::Conflict(what)) => Self::new(
                StatusCode::CONFLICT,
                "conflict",
                format!("Already taken: {what}."),
            ),
            other => {
                tracing::error!(error = %other, "request failed");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal_error",
                    "Internal server error.",
                )
            }
        }
    }
}

/// A field error in document 003's words: short sentences about its own objects (a tenant and
/// its settings, an application). A user's fields are checked by the account API's rules, and
/// keep that API's words (see [`crate::common::laravel::field_message`]).
pub fn field_message(error: &FieldError) -> String {
    let field = error.field.as_str();
    match &error.rule {
        // The only required field this API's services check: a user's email, in `profile`.
        Rule::Required => format!("profile.{field} is required."),
        // Tenants are unique across the server; a user's taken email is a 409 instead.
        Rule::Taken => {
            let what = field.rsplit('.').next().unwrap_or(field);
            format!("Another tenant already has this {what}.")
        }
        Rule::TooLong { max } => format!("At most {max} characters."),
        Rule::Length { max } => {
            format!(
                "The {} is required, at most {max} characters.",
                label(field)
            )
        }
        Rule::Between { min, max } if field.ends_with("_seconds") => {
            format!("Between {min} and {max} seconds.")
        }
        Rule::Between { min, max } => format!("Between {min} and {max}."),
        Rule::TooMany { max } if field.ends_with("_urls") => format!("At most {max} URLs."),
        Rule::TooMany { max } => format!("At most {max} items."),
        Rule::Email if field.starts_with("settings.") => "Not an email address.".to_owned(),
        _ => crate::common::laravel::field_message(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(field: &str, rule: Rule) -> String {
        field_message(&FieldError::new(field, rule))
    }

    #[test]
    fn a_tenants_fields_read_in_document_003s_words() {
        let cases = [
            (
                words("name", Rule::Length { max: 255 }),
                "The name is required, at most 255 characters.",
            ),
            (
                words("settings.domain", Rule::Taken),
                "Another tenant already has this domain.",
            ),
            (
                words("name", Rule::Taken),
                "Another tenant already has this name.",
            ),
            (
                words("settings.company_name", Rule::TooLong { max: 255 }),
                "At most 255 characters.",
            ),
            (
                words("settings.support_email", Rule::Email),
                "Not an email address.",
            ),
            (
                words(
                    "settings.remember_login_seconds",
                    Rule::Between { min: 0, max: 10 },
                ),
                "Between 0 and 10 seconds.",
            ),
            (
                words("redirect_urls", Rule::TooMany { max: 20 }),
                "At most 20 URLs.",
            ),
        ];
        for (said, expected) in cases {
            assert_eq!(said, expected);
        }
    }

    #[test]
    fn a_users_fields_keep_the_account_apis_words() {
        assert_eq!(words("email", Rule::Required), "profile.email is required.");
        assert_eq!(
            words("email", Rule::Email),
            "The email must be a valid email address."
        );
        assert_eq!(
            words(portcullis_core::field::ANY_FIELD, Rule::Nul),
            "Text may not contain NUL (\\u0000) characters."
        );
    }

    #[test]
    fn every_problem_is_in_one_message_and_metadata_has_its_code() {
        let error = MgmtError::from(portcullis_core::Error::Invalid(vec![
            FieldError::new("name", Rule::Length { max: 255 }),
            FieldError::other("metadata", "At most 20 keys are allowed."),
        ]));
        assert_eq!(
            (error.status, error.code, error.message.as_str()),
            (
                StatusCode::BAD_REQUEST,
                "invalid_metadata",
                "name: The name is required, at most 255 characters.; metadata: At most 20 keys are allowed."
            )
        );
    }
}
