//! The account API's error shape: `{"error": "..."}`, or `{field: [messages]}` for 422.

use super::schema::ErrorJson;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use portcullis_core::field::{label, ANY_FIELD};
use portcullis_core::model::Limited;
use portcullis_core::{Error, FieldError, Rule};
use serde::ser::{Serialize, SerializeMap, Serializer};

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

/// `{field: [messages]}` with fields in the order they were reported.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<(String, Vec<String>)>);

impl utoipa::PartialSchema for FieldErrors {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
        ObjectBuilder::new()
            .description(Some("Each invalid field with its messages."))
            .additional_properties(Some(
                ArrayBuilder::new().items(ObjectBuilder::new().schema_type(Type::String)),
            ))
            .into()
    }
}

impl utoipa::ToSchema for FieldErrors {
    fn name() -> std::borrow::Cow<'static, str> {
        "ValidationErrors".into()
    }
}

impl FieldErrors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        match self.0.iter_mut().find(|(f, _)| f == field) {
            Some((_, messages)) => messages.push(message.into()),
            None => self.0.push((field.to_owned(), vec![message.into()])),
        }
    }

    /// A field error of the domain's, in document 001's words.
    pub fn add_error(&mut self, error: &FieldError) {
        self.add(&error.field, field_message(error));
    }

    /// `rule` broken by `field`, in document 001's words.
    pub fn add_rule(&mut self, field: &str, rule: Rule) {
        self.add_error(&FieldError::new(field, rule));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The fields with a message.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(field, _)| field.as_str())
    }

    pub fn into_result(self) -> ApiResult<()> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self))
        }
    }
}

impl Serialize for FieldErrors {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (field, messages) in &self.0 {
            map.serialize_entry(field, messages)?;
        }
        map.end()
    }
}

impl From<&[FieldError]> for FieldErrors {
    fn from(problems: &[FieldError]) -> Self {
        let mut fields = Self::default();
        for problem in problems {
            fields.add_error(problem);
        }
        fields
    }
}

/// A field error in document 001's words: Laravel's validation messages, which its clients
/// know (`The email has already been taken.`).
pub fn field_message(error: &FieldError) -> String {
    let name = label(&error.field);
    match &error.rule {
        Rule::Required => format!("The {name} field is required."),
        Rule::Taken => format!("The {name} has already been taken."),
        Rule::TooShort { min } => format!("The {name} must be at least {min} characters."),
        Rule::TooLong { max } => format!("The {name} may not be greater than {max} characters."),
        Rule::Length { max } => format!("The {name} must be between 1 and {max} characters."),
        Rule::Between { min, max } => format!("The {name} must be between {min} and {max}."),
        Rule::TooMany { max } => format!("The {name} may not have more than {max} items."),
        Rule::Email => format!("The {name} must be a valid email address."),
        Rule::Format => format!("The {name} format is invalid."),
        Rule::Unknown => format!("The selected {name} is invalid."),
        Rule::Mismatch => format!("The {name} confirmation does not match."),
        Rule::Nul if error.field == ANY_FIELD => {
            "Text may not contain NUL (\\u0000) characters.".to_owned()
        }
        Rule::Nul => format!("The {name} may not contain NUL characters."),
        Rule::Other(words) => words.to_string(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn words(field: &str, rule: Rule) -> String {
        field_message(&FieldError::new(field, rule))
    }

    #[test]
    fn rules_read_as_document_001s_messages() {
        let cases = [
            (
                words("role_id", Rule::Required),
                "The role id field is required.",
            ),
            (
                words("email", Rule::Taken),
                "The email has already been taken.",
            ),
            (
                words("password", Rule::TooShort { min: 8 }),
                "The password must be at least 8 characters.",
            ),
            (
                words("first_name", Rule::TooLong { max: 191 }),
                "The first name may not be greater than 191 characters.",
            ),
            (
                words("app_name", Rule::Length { max: 255 }),
                "The app name must be between 1 and 255 characters.",
            ),
            (
                words(
                    "sessions_limit",
                    Rule::Between {
                        min: 0,
                        max: 10_000,
                    },
                ),
                "The sessions limit must be between 0 and 10000.",
            ),
            (
                words("email", Rule::Email),
                "The email must be a valid email address.",
            ),
            (words("url", Rule::Format), "The url format is invalid."),
            (
                words("country_id", Rule::Unknown),
                "The selected country id is invalid.",
            ),
            (
                words("password", Rule::Mismatch),
                "The password confirmation does not match.",
            ),
            (
                words("last_name", Rule::Nul),
                "The last name may not contain NUL characters.",
            ),
            (
                words(ANY_FIELD, Rule::Nul),
                "Text may not contain NUL (\\u0000) characters.",
            ),
            (
                words(
                    "tos",
                    Rule::Other("You have to accept Terms of Service.".into()),
                ),
                "You have to accept Terms of Service.",
            ),
        ];
        for (said, expected) in cases {
            assert_eq!(said, expected);
        }
    }

    #[test]
    fn every_failing_field_is_reported_in_order_with_its_messages() {
        let problems = [
            FieldError::new("email", Rule::Email),
            FieldError::new("password", Rule::Mismatch),
            FieldError::new("password", Rule::TooShort { min: 8 }),
        ];
        let json = serde_json::to_value(FieldErrors::from(&problems[..])).unwrap();
        assert_eq!(
            json.to_string(),
            serde_json::json!({
                "email": ["The email must be a valid email address."],
                "password": [
                    "The password confirmation does not match.",
                    "The password must be at least 8 characters."
                ],
            })
            .to_string()
        );
    }
}
