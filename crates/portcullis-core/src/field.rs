//! Field errors: which field of a request broke which rule. Core decides the rule; each
//! surface words it in its own dialect, in one function of its own (the account API's
//! Laravel words, `field_message` in the HTTP crate's `common::laravel`, which documents 001
//! and 002 and the pages share; the management API's
//! `mgmt::field_message`; the command line's), so no handler branches on a sentence.

use std::borrow::Cow;
use std::fmt;

/// The field of a problem that no single field owns (text the database refused, say).
pub const ANY_FIELD: &str = "input";

/// One field that broke one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field as the request named it: `email`, `settings.domain`, `redirect_urls[2]`.
    pub field: String,
    pub rule: Rule,
}

/// What was wrong with a field. Only rules some check in core reports are here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// Missing or blank.
    Required,
    /// Another record already has this value (where it must be unique).
    Taken,
    /// Fewer than `min` characters.
    TooShort { min: usize },
    /// More than `max` characters.
    TooLong { max: usize },
    /// Blank or more than `max` characters: one rule, "1 to `max` characters".
    Length { max: usize },
    /// A number outside `min..=max`.
    Between { min: i64, max: i64 },
    /// A list of more than `max` items.
    TooMany { max: usize },
    /// Not an email address (see [`crate::accounts::looks_like_email`]).
    Email,
    /// Not of the field's format (a role name, a URL).
    Format,
    /// An id or name that names nothing this caller may choose.
    Unknown,
    /// Its confirmation (`<field>_confirmation`) differs.
    Mismatch,
    /// Holds a NUL character, which no backend keeps (see [`has_nul`]).
    Nul,
    /// A rule only one check has, already in words every surface shows as they are (most
    /// carry the detail that makes them useful: which scope, which URL problem). Kept rare.
    Other(Cow<'static, str>),
}

impl FieldError {
    pub fn new(field: impl Into<String>, rule: Rule) -> Self {
        Self {
            field: field.into(),
            rule,
        }
    }

    /// A field error whose words are [`Rule::Other`]'s.
    pub fn other(field: impl Into<String>, words: impl Into<Cow<'static, str>>) -> Self {
        Self::new(field, Rule::Other(words.into()))
    }

    /// Whether this is `rule` broken by `field`.
    pub fn is(&self, field: &str, rule: &Rule) -> bool {
        self.field == field && self.rule == *rule
    }
}

/// For logs only; surfaces word field errors themselves.
impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {:?}", self.field, self.rule)
    }
}

/// Whether text holds a NUL character: PostgreSQL cannot store one, so every surface refuses
/// (or drops) them alike, on every backend.
pub fn has_nul(text: &str) -> bool {
    text.contains('\0')
}

/// Text without its NUL characters, for a form that drops them rather than refusing them.
pub fn without_nul(text: &str) -> String {
    text.replace('\0', "")
}

/// How a field's name reads in a sentence: `first_name` as "first name".
pub fn label(field: &str) -> String {
    field.replace('_', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_error_is_its_field_and_rule() {
        let taken = FieldError::new("email", Rule::Taken);
        assert!(taken.is("email", &Rule::Taken));
        assert!(!taken.is("username", &Rule::Taken));
        assert!(!taken.is("email", &Rule::Email));
        assert_eq!(taken.to_string(), "email: Taken");
    }

    #[test]
    fn nul_is_one_rule() {
        assert!(has_nul("a\0b"));
        assert!(!has_nul("ab"));
        assert_eq!(without_nul("a\0b\0"), "ab");
        assert_eq!(label("first_name"), "first name");
    }
}
