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
            Error::Overloaded { .. } => Self::Unavailable,
            Error::Store(portcullis_core::StoreError::Unavailable(_)) | Error::Unavailable(_) => {
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
        let chrome = Chrome::plain();
        let page = MessagePage {
            chrome: &chrome,
            title: heading,
            heading,
            text,
            link: Some(("/login", "Go to the sign-in page")),
        };
        let mut response = render(status, &page, &chrome);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, 5.into());
        }
        response
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
}
