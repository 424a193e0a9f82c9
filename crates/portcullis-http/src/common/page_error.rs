//! What a page answers when it cannot do its work: an HTML page in the same style, never a
//! stack trace, and never a 500 for anything the visitor typed.

use super::html::{render, Chrome, MessagePage};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug)]
pub enum PageError {
    /// The form failed the CSRF check.
    Csrf,
    /// The body is not a url-encoded form.
    BadForm,
    /// The body is larger than `max_body_bytes`.
    TooLarge,
    /// Closed on this tenant (e.g. sign-ups), or not there.
    NotFound,
    /// For a signed-in person only: sign in, then come back to this path.
    SignIn(String),
    /// There, but the signed-in person may not use it.
    Forbidden,
    /// Refused by the state things are in (the domain's words).
    Conflict(&'static str),
    /// Refused for who the person is or what the tenant allows (the domain's words).
    Refused(&'static str),
    /// Too many attempts: try again after this many seconds.
    Throttled(u64),
    /// There, but not for this method.
    MethodNotAllowed,
    /// The database or another service is unavailable.
    Unavailable,
    /// A bug or a broken store; the detail was logged.
    Internal,
}

impl From<portcullis_core::Error> for PageError {
    fn from(error: portcullis_core::Error) -> Self {
        use portcullis_core::Error;
        match error {
            Error::NotFound => Self::NotFound,
            Error::Forbidden => Self::Forbidden,
            Error::Conflict(why) => Self::Conflict(why),
            Error::Refused(why) => Self::Refused(why),
            Error::EmailNotConfirmed => {
                Self::Refused("Confirm your email address first, from the link we sent you.")
            }
            Error::Throttled {
                retry_after_seconds,
                ..
            } => Self::Throttled(retry_after_seconds),
            Error::Overloaded { .. } => Self::Unavailable,
            error if error.is_unavailable() => {
                tracing::warn!(%error, "a page could not be served");
                Self::Unavailable
            }
            other => {
                tracing::error!(error = %other, "a page failed");
                Self::Internal
            }
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, heading, text) = match self {
            Self::SignIn(back_to) => {
                let query =
                    serde_urlencoded::to_string([("return_to", back_to)]).unwrap_or_default();
                return super::html::redirect(&format!("/login?{query}"));
            }
            Self::Csrf => (
                StatusCode::FORBIDDEN,
                "This form has expired",
                "The form was not sent from this site, or it is too old. Go back, reload the \
                 page and try again.",
            ),
            Self::BadForm => (
                StatusCode::BAD_REQUEST,
                "That did not work",
                "The form could not be read. Go back and try again.",
            ),
            Self::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "That is too much",
                "The form is larger than this server accepts.",
            ),
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                "Not available",
                "This page is not available here.",
            ),
            Self::Forbidden => (
                StatusCode::FORBIDDEN,
                "Not for this account",
                "Your account may not use this page. Ask an administrator if you need it.",
            ),
            Self::Conflict(why) => (StatusCode::CONFLICT, "That cannot be done", why),
            Self::Refused(why) => (StatusCode::FORBIDDEN, "That cannot be done", why),
            Self::Throttled(seconds) => {
                let mut response = (
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too many attempts",
                    "There were too many attempts. Wait a while, then try again.",
                )
                    .page();
                response
                    .headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, seconds.max(1).into());
                return response;
            }
            Self::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "Not available",
                "This page cannot be reached that way.",
            ),
            Self::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Try again in a moment",
                "The service is busy or briefly unavailable.",
            ),
            Self::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "We could not do that. Please try again later.",
            ),
        };
        let mut response = (status, heading, text).page();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, 5.into());
        }
        response
    }
}

/// A message page: its status, heading and words.
trait MessageParts {
    fn page(self) -> Response;
}

impl MessageParts for (StatusCode, &str, &str) {
    fn page(self) -> Response {
        let (status, heading, text) = self;
        let chrome = Chrome::plain();
        let page = MessagePage {
            chrome: &chrome,
            title: heading,
            heading,
            text,
            link: Some(("/login", "Go to the sign-in page")),
        };
        render(status, &page, &chrome)
    }
}

#[cfg(test)]
mod tests {
    use super::PageError;
    use axum::response::IntoResponse;

    #[test]
    fn a_refusal_by_the_state_of_things_is_a_409_page_with_its_words() {
        let error = PageError::from(portcullis_core::Error::Conflict("2FA is not enabled."));
        assert!(matches!(error, PageError::Conflict("2FA is not enabled.")));
        assert_eq!(error.into_response().status(), 409);
    }

    #[test]
    fn throttles_and_refusals_are_pages_not_500s() {
        let throttled = PageError::from(portcullis_core::Error::Throttled {
            of: portcullis_core::model::Limited::Logins,
            retry_after_seconds: 42,
        })
        .into_response();
        assert_eq!(throttled.status(), 429);
        assert_eq!(throttled.headers()["retry-after"], "42");
        let refused = PageError::from(portcullis_core::Error::Refused("Not here."));
        assert_eq!(refused.into_response().status(), 403);
    }
}
