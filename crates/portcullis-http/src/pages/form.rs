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

/// A posted form with a file (`multipart/form-data`), at most `max_upload_bytes` in all, and
/// refused (403) unless it passes the CSRF check: the first file's bytes.
pub struct UploadForm {
    /// The file field's name and content (`None` when no file was chosen).
    pub file: Option<(String, Vec<u8>)>,
}

impl FromRequest<AppState> for UploadForm {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let headers = req.headers().clone();
        let boundary = headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| multer::parse_boundary(v).ok())
            .ok_or(PageError::BadForm)?;
        let bytes = read_limited(req, state.http.max_upload_bytes)
            .await
            .map_err(|error| match error {
                BodyError::TooLarge => PageError::TooLarge,
                _ => PageError::BadForm,
            })?;
        let stream =
            futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(bytes) });
        let mut multipart = multer::Multipart::new(stream, boundary);
        let (mut pairs, mut file) = (Vec::new(), None);
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|_| PageError::BadForm)?
        {
            let name = field.name().unwrap_or_default().to_owned();
            if field.file_name().is_some() {
                let content = field.bytes().await.map_err(|_| PageError::BadForm)?;
                if file.is_none() && !content.is_empty() {
                    file = Some((name, content.to_vec()));
                }
            } else {
                let text = field.text().await.map_err(|_| PageError::BadForm)?;
                pairs.push((name, text));
            }
        }
        let fields = PageForm(pairs);
        if !csrf::passes(&headers, fields.value(CSRF_FIELD)) {
            return Err(PageError::Csrf);
        }
        Ok(Self { file })
    }
}
