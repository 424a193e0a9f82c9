//! A posted form: size-limited, url-encoded (or multipart, for a file), and refused (403)
//! unless it passes the CSRF check.

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

    /// A secret typed into `name` (a password), or `None` when the field was left empty.
    pub fn secret(&self, name: &str) -> Option<portcullis_core::Secret> {
        Some(self.text(name))
            .filter(|t| !t.is_empty())
            .map(portcullis_core::Secret::new)
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

/// A posted form with a file (`multipart/form-data`) from a signed-in browser: at most
/// `max_upload_bytes` in all, refused (403) unless it passes the CSRF check, and only read
/// once the browser is signed in and carries a CSRF cookie (a stranger's upload is not
/// buffered). Only the fields `csrf_token` (short) and `file` are taken.
pub struct UploadForm {
    pub principal: portcullis_core::model::Principal,
    /// The file's content (`None` when no file was chosen).
    pub file: Option<Vec<u8>>,
}

/// The longest CSRF field an upload may carry (tokens are 43 characters).
const MAX_TOKEN_FIELD: u64 = 128;

/// Where a signed-out visitor of the account page is sent, to come back to it.
pub(super) const SIGN_IN: &str = "/login?return_to=%2Faccount";

impl FromRequest<AppState> for UploadForm {
    type Rejection = axum::response::Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        use axum::extract::FromRequestParts;
        use axum::response::IntoResponse;
        let (mut parts, body) = req.into_parts();
        let crate::common::web_session::WebSession(session) =
            crate::common::web_session::WebSession::from_request_parts(&mut parts, state)
                .await
                .unwrap_or(crate::common::web_session::WebSession(None));
        let Some(principal) = session else {
            return Err(crate::common::html::redirect(SIGN_IN));
        };
        let headers = parts.headers.clone();
        let has_token =
            crate::common::web_session::cookie_value(&headers, csrf::CSRF_COOKIE).is_some();
        if !has_token {
            return Err(PageError::Csrf.into_response());
        }
        let boundary = headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| multer::parse_boundary(v).ok())
            .ok_or(PageError::BadForm.into_response())?;
        let req = Request::from_parts(parts, body);
        let bytes = read_limited(req, state.http.max_upload_bytes)
            .await
            .map_err(|error| match error {
                BodyError::TooLarge => PageError::TooLarge.into_response(),
                _ => PageError::BadForm.into_response(),
            })?;
        let stream =
            futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(bytes) });
        let constraints = multer::Constraints::new()
            .allowed_fields(vec![CSRF_FIELD, "file"])
            .size_limit(multer::SizeLimit::new().for_field(CSRF_FIELD, MAX_TOKEN_FIELD));
        let mut multipart = multer::Multipart::with_constraints(stream, boundary, constraints);
        let bad = || PageError::BadForm.into_response();
        let (mut token, mut file) = (None, None);
        while let Some(field) = multipart.next_field().await.map_err(|_| bad())? {
            match field.name() {
                Some(CSRF_FIELD) if token.is_none() => {
                    token = Some(field.text().await.map_err(|_| bad())?);
                }
                Some("file") if file.is_none() => {
                    let content = field.bytes().await.map_err(|_| bad())?;
                    file = Some(content.to_vec()).filter(|c| !c.is_empty());
                }
                _ => return Err(bad()),
            }
        }
        if !csrf::passes(&headers, token.as_deref()) {
            return Err(PageError::Csrf.into_response());
        }
        Ok(Self { principal, file })
    }
}
