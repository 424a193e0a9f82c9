//! Request bodies for the account API: JSON (or a form, as the original accepts), size-limited,
//! read into a field map and validated with the original's Laravel-style messages.

use super::error::{ApiError, FieldErrors};
use crate::AppState;
use axum::extract::{FromRequest, Request};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use portcullis_core::field::{has_nul, label};
use portcullis_core::Rule;
use serde_json::{Map, Value};

pub struct Input(Map<String, Value>);

enum Format {
    Json,
    Form,
}

impl FromRequest<AppState> for Input {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let limit = state.http.max_body_bytes;
        let format = match req
            .headers()
            .get(CONTENT_TYPE)
            .map(|v| v.to_str().unwrap_or(""))
        {
            None => Format::Json,
            Some(value) => {
                let mime = value
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                if mime == "application/json" || mime.ends_with("+json") {
                    Format::Json
                } else if mime == "application/x-www-form-urlencoded" {
                    Format::Form
                } else {
                    return Err(ApiError::UnsupportedMediaType);
                }
            }
        };
        let bytes = read_limited(req, limit).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(Map::new()));
        }
        match format {
            Format::Json => match serde_json::from_slice::<Value>(&bytes) {
                Ok(Value::Object(map)) => Ok(Self(map)),
                Ok(_) => Err(ApiError::BadRequest(
                    "The request body must be a JSON object.",
                )),
                Err(_) => Err(ApiError::BadRequest("The request body is not valid JSON.")),
            },
            Format::Form => serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
                .map(|pairs| {
                    Self(
                        pairs
                            .into_iter()
                            .map(|(k, v)| (k, Value::String(v)))
                            .collect(),
                    )
                })
                .map_err(|_| ApiError::BadRequest("The request body is not a valid form.")),
        }
    }
}

/// Reads the body of a request of at most `limit` bytes: 413 before reading anything when its
/// `Content-Length` says more, or as soon as more arrives.
pub async fn read_limited(req: Request, limit: usize) -> Result<bytes::Bytes, ApiError> {
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::PayloadTooLarge);
    }
    read_body(req.into_body(), limit).await
}

/// Reads a whole request body of at most `limit` bytes: 413 beyond it.
pub async fn read_body(body: axum::body::Body, limit: usize) -> Result<bytes::Bytes, ApiError> {
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let too_large = std::error::Error::source(&e)
            .is_some_and(|inner| inner.is::<http_body_util::LengthLimitError>());
        if too_large {
            ApiError::PayloadTooLarge
        } else {
            ApiError::BadRequest("The request body could not be read.")
        }
    })
}

impl Input {
    /// A required string. Like the original, surrounding whitespace is trimmed unless `raw`
    /// (passwords are taken exactly as sent), and an empty value counts as missing.
    fn string(&self, field: &str, raw: bool, errors: &mut FieldErrors) -> Option<String> {
        match self.0.get(field) {
            None | Some(Value::Null) => {
                errors.add_rule(field, Rule::Required);
                None
            }
            // Refused in every text field: PostgreSQL cannot store them, and no backend
            // should accept what another refuses.
            Some(Value::String(s)) if has_nul(s) => {
                errors.add_rule(field, Rule::Nul);
                None
            }
            Some(Value::String(s)) => {
                let value = if raw { s.as_str() } else { s.trim() };
                if value.is_empty() {
                    errors.add_rule(field, Rule::Required);
                    None
                } else {
                    Some(value.to_owned())
                }
            }
            Some(_) => {
                errors.add(field, format!("The {} must be a string.", label(field)));
                None
            }
        }
    }

    pub fn required_string(&self, field: &str, errors: &mut FieldErrors) -> Option<String> {
        self.string(field, false, errors)
    }

    pub fn required_secret(&self, field: &str, errors: &mut FieldErrors) -> Option<String> {
        self.string(field, true, errors)
    }

    /// Whether a checkbox-like field was accepted, as Laravel's `accepted` rule reads it:
    /// `true`, `1`, `"1"`, `"yes"`, `"on"`, `"true"`.
    pub fn accepted(&self, field: &str) -> bool {
        match self.0.get(field) {
            Some(Value::Bool(b)) => *b,
            Some(Value::Number(n)) => n.as_i64() == Some(1),
            Some(Value::String(s)) => {
                matches!(
                    s.trim().to_ascii_lowercase().as_str(),
                    "1" | "yes" | "on" | "true"
                )
            }
            _ => false,
        }
    }

    /// A field of a partial update: absent is `None` (leave it), null or empty is
    /// `Some(None)` (clear it), else the trimmed string of at most `max` characters.
    pub fn nullable_string(
        &self,
        field: &str,
        max: usize,
        errors: &mut FieldErrors,
    ) -> Option<Option<String>> {
        match self.0.get(field)? {
            Value::Null => Some(None),
            Value::String(s) if s.trim().is_empty() => Some(None),
            Value::String(s) if s.trim().chars().count() > max => {
                errors.add_rule(field, Rule::TooLong { max });
                None
            }
            Value::String(s) => Some(Some(s.trim().to_owned())),
            _ => {
                errors.add(field, format!("The {} must be a string.", label(field)));
                None
            }
        }
    }

    /// A `YYYY-MM-DD` date field of a partial update (see [`Input::nullable_string`]).
    pub fn nullable_date(
        &self,
        field: &str,
        errors: &mut FieldErrors,
    ) -> Option<Option<time::Date>> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let text = self.nullable_string(field, 10, errors)?;
        let Some(text) = text else {
            return Some(None);
        };
        match time::Date::parse(&text, format) {
            Ok(date) => Some(Some(date)),
            Err(_) => {
                errors.add(field, format!("The {} is not a valid date.", label(field)));
                None
            }
        }
    }

    /// An integer field of a partial update: a JSON number or a string of digits.
    pub fn nullable_integer(&self, field: &str, errors: &mut FieldErrors) -> Option<Option<i64>> {
        let parsed = match self.0.get(field)? {
            Value::Null => return Some(None),
            Value::String(s) if s.trim().is_empty() => return Some(None),
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        if parsed.is_none() {
            errors.add(field, format!("The {} must be an integer.", label(field)));
        }
        parsed.map(Some)
    }

    /// An optional string: absent, null or empty is `None`; another type is an error.
    pub fn optional_string(&self, field: &str, errors: &mut FieldErrors) -> Option<String> {
        self.optional(field, false, errors)
    }

    /// An optional string taken exactly as sent (a password confirmation).
    pub fn optional_secret(&self, field: &str, errors: &mut FieldErrors) -> Option<String> {
        self.optional(field, true, errors)
    }

    fn optional(&self, field: &str, raw: bool, errors: &mut FieldErrors) -> Option<String> {
        match self.0.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if has_nul(s) => {
                errors.add_rule(field, Rule::Nul);
                None
            }
            Some(Value::String(s)) => {
                let value = if raw { s.as_str() } else { s.trim() };
                Some(value.to_owned()).filter(|s| !s.is_empty())
            }
            Some(_) => {
                errors.add(field, format!("The {} must be a string.", label(field)));
                None
            }
        }
    }

    /// The value at a path of nested objects (`["2fa", "enabled"]`), or at the dotted key
    /// (`"2fa.enabled"`) a form sends.
    fn at(&self, path: &[&str]) -> Option<&Value> {
        let (first, rest) = path.split_first()?;
        let nested = rest.iter().try_fold(self.0.get(*first)?, |value, key| {
            value.as_object()?.get(*key)
        });
        nested.or_else(|| self.0.get(&path.join(".")))
    }

    /// An optional boolean: JSON `true`/`false`, `1`/`0`, or their strings.
    pub fn optional_bool(&self, path: &[&str], errors: &mut FieldErrors) -> Option<bool> {
        let parsed = match self.at(path)? {
            Value::Bool(b) => Some(*b),
            Value::Number(n) => match n.as_i64() {
                Some(1) => Some(true),
                Some(0) => Some(false),
                _ => None,
            },
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "on" | "yes" => Some(true),
                "0" | "false" | "off" | "no" => Some(false),
                _ => None,
            },
            _ => None,
        };
        if parsed.is_none() {
            let field = path.join(".");
            errors.add(
                &field,
                format!("The {} field must be true or false.", label(&field)),
            );
        }
        parsed
    }

    /// An optional integer (see [`Input::nullable_integer`]); null counts as absent.
    pub fn optional_integer(&self, field: &str, errors: &mut FieldErrors) -> Option<i64> {
        self.nullable_integer(field, errors).flatten()
    }

    /// A required JSON array of integers (ids).
    pub fn integer_list(&self, field: &str, errors: &mut FieldErrors) -> Option<Vec<i64>> {
        let Some(Value::Array(items)) = self.0.get(field) else {
            errors.add(field, format!("The {} must be an array.", label(field)));
            return None;
        };
        let ids: Option<Vec<i64>> = items
            .iter()
            .map(|item| match item {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            })
            .collect();
        if ids.is_none() {
            errors.add_rule(field, Rule::Unknown);
        }
        ids
    }

    /// A required list of names: a JSON array of strings, or (from a form) one string of
    /// names separated by commas or spaces.
    pub fn name_list(&self, field: &str, errors: &mut FieldErrors) -> Option<Vec<String>> {
        let names: Option<Vec<String>> = match self.0.get(field) {
            None | Some(Value::Null) => {
                errors.add_rule(field, Rule::Required);
                return None;
            }
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| item.as_str().map(|s| s.trim().to_owned()))
                .collect(),
            Some(Value::String(s)) => Some(
                s.split([',', ' '])
                    .filter(|name| !name.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
            Some(_) => None,
        };
        if names.is_none() {
            errors.add(
                field,
                format!("The {} must be an array of strings.", label(field)),
            );
        }
        names
    }

    /// An optional moment: `YYYY-MM-DD HH:MM:SS` (UTC, as this API writes them), RFC 3339, or
    /// a bare date meaning its midnight UTC.
    pub fn optional_datetime(
        &self,
        field: &str,
        errors: &mut FieldErrors,
    ) -> Option<time::OffsetDateTime> {
        let text = self.optional_string(field, errors)?;
        let plain =
            time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
        let date = time::macros::format_description!("[year]-[month]-[day]");
        let parsed = time::PrimitiveDateTime::parse(&text, plain)
            .map(time::PrimitiveDateTime::assume_utc)
            .or_else(|_| {
                time::OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339)
            })
            .or_else(|_| time::Date::parse(&text, date).map(|d| d.midnight().assume_utc()));
        match parsed {
            Ok(at) => Some(at),
            Err(_) => {
                errors.add(
                    field,
                    format!("The {} is not a valid date and time.", label(field)),
                );
                None
            }
        }
    }
}
