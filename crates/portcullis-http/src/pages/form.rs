//! A posted form: size-limited, url-encoded, and refused (403) unless it passes the CSRF check.

use crate::common::body::{read_limited, BodyError};
use crate::common::csrf;
use crate::common::csrf::CSRF_FIELD;
use crate::common::page_error::PageError;
use crate::common::state::AppState;
use axum::extract::{FromRequest, Request};
use portcullis_core::field::without_nul;

/// The fields of a posted form, in order (a checkbox list repeats its name).
pub struct PageForm(Vec<(String, String)>);

impl FromRequest<AppState> for PageForm {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let headers = req.headers().clone();
        let bytes =
            read_limited(req, state.http.max_body_bytes)
                .await
                .map_err(|error| match error {
                    BodyError::TooLarge => PageError::TooLarge,
                    _ => PageError::BadForm,
                })?;
        let pairs = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .map_err(|_| PageError::BadForm)?;
        let form = Self(pairs);
        if !csrf::passes(&headers, form.value(CSRF_FIELD)) {
            return Err(PageError::Csrf);
        }
        Ok(form)
    }
}

impl PageForm {
    /// The first value of `name`, as sent.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The first value of `name`, or empty. NUL characters are dropped: no store keeps them.
    pub fn text(&self, name: &str) -> String {
        without_nul(self.value(name).unwrap_or(""))
    }

    /// Whether a checkbox `name` was ticked.
    pub fn checked(&self, name: &str) -> bool {
        self.value(name).is_some_and(|v| !v.is_empty())
    }

    /// Every value of `name` (a group of checkboxes).
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| without_nul(value))
            .collect()
    }
}
