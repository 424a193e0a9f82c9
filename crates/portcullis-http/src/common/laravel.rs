//! What documents 001 and 002 share, being one Laravel application: bodies as JSON or a form
//! read field by field ([`Fields`], taken as [`Input`]), the 422 map of field errors with
//! Laravel's words for each rule ([`FieldErrors`], [`field_message`]), and its timestamps.

use crate::common::body::{read_limited, BodyError};
use crate::common::state::AppState;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use portcullis_core::field::{has_nul, label, ANY_FIELD};
use portcullis_core::{FieldError, Rule};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};
use std::marker::PhantomData;
use std::ops::Deref;
use time::macros::format_description;
use time::OffsetDateTime;

/// A body's fields. JSON must be an object; a form's values are strings; an empty body has none.
pub struct Fields(Map<String, Value>);

/// [`Fields`] as an extractor whose refusals are the surface's error `E` (the account API's
/// `ApiError`, document 002's `VmsError`).
pub struct Input<E>(Fields, PhantomData<fn() -> E>);

impl<E> Deref for Input<E> {
    type Target = Fields;

    fn deref(&self) -> &Fields {
        &self.0
    }
}

impl<E: From<BodyError> + IntoResponse> FromRequest<AppState> for Input<E> {
    type Rejection = E;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let fields = Fields::read(req, state.http.max_body_bytes).await?;
        Ok(Self(fields, PhantomData))
    }
}

enum Format {
    Json,
    Form,
}

impl Fields {
    /// Reads JSON (also without a `Content-Type`) or a form of at most `limit` bytes.
    pub async fn read(req: Request, limit: usize) -> Result<Self, BodyError> {
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
                    return Err(BodyError::UnsupportedType);
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
                Ok(_) => Err(BodyError::Malformed(
                    "The request body must be a JSON object.",
                )),
                Err(_) => Err(BodyError::Malformed("The request body is not valid JSON.")),
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
                .map_err(|_| BodyError::Malformed("The request body is not a valid form.")),
        }
    }
}

impl Fields {
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

    /// Whether the body has `field` at all.
    pub fn has(&self, field: &str) -> bool {
        self.0.get(field).is_some_and(|v| !v.is_null())
    }

    /// A required JSON object: as JSON, or (in a form) as a string holding JSON.
    pub fn required_object(&self, field: &str, errors: &mut FieldErrors) -> Option<Value> {
        let value = match self.0.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) if text.trim().is_empty() => None,
            Some(Value::String(text)) => Some(serde_json::from_str(text).unwrap_or(Value::Null)),
            Some(other) => Some(other.clone()),
        };
        match value {
            None => {
                errors.add_rule(field, Rule::Required);
                None
            }
            Some(object @ Value::Object(_)) => Some(object),
            Some(_) => {
                errors.add_rule(field, Rule::Format);
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

    /// A `YYYY-MM-DD` date field of a partial update (see [`Fields::nullable_string`]).
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

    /// An optional integer (see [`Fields::nullable_integer`]); null counts as absent.
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

/// Document 001's and 002's time format, in UTC: `2026-12-01 09:30:00`.
pub fn timestamp(at: OffsetDateTime) -> String {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    at.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_default()
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
