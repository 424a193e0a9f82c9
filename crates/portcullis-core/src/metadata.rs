//! Metadata: the free key-value pairs document 003 lets callers keep on tenants, applications
//! and users. At most 20 keys, keys up to 100 characters, values up to 1000.

use crate::error::{Error, Result};
use crate::field::Rule;
use crate::model::Metadata;

pub const MAX_KEYS: usize = 20;
pub const MAX_KEY_CHARS: usize = 100;
pub const MAX_VALUE_CHARS: usize = 1000;

/// [`Error::Invalid`] on the field `metadata` when the limits are broken.
pub fn check(metadata: &Metadata) -> Result<()> {
    let invalid = |message: String| Err(Error::invalid("metadata", Rule::Other(message.into())));
    if metadata.len() > MAX_KEYS {
        return invalid(format!("At most {MAX_KEYS} keys are allowed."));
    }
    for (key, value) in metadata {
        if key.is_empty() || key.chars().count() > MAX_KEY_CHARS {
            return invalid(format!(
                "Keys must be 1 to {MAX_KEY_CHARS} characters long; {key:?} is not."
            ));
        }
        if value.chars().count() > MAX_VALUE_CHARS {
            return invalid(format!(
                "Values may be at most {MAX_VALUE_CHARS} characters long; the value of {key:?} is longer."
            ));
        }
    }
    Ok(())
}

/// Stored as a JSON object.
pub fn to_json(metadata: &Metadata) -> String {
    serde_json::to_string(metadata).unwrap_or_else(|_| "{}".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(pairs: impl IntoIterator<Item = (String, String)>) -> Metadata {
        pairs.into_iter().collect()
    }

    #[test]
    fn limits_are_inclusive() {
        let twenty = of((0..20).map(|i| (format!("k{i}"), "v".into())));
        assert!(check(&twenty).is_ok());
        let mut twenty_one = twenty.clone();
        twenty_one.insert("k20".into(), "v".into());
        assert!(check(&twenty_one).is_err());
        assert!(check(&of([("k".repeat(100), "v".repeat(1000))])).is_ok());
        assert!(check(&of([("k".repeat(101), "v".into())])).is_err());
        assert!(check(&of([("k".into(), "v".repeat(1001))])).is_err());
        assert!(check(&of([(String::new(), "v".into())])).is_err());
        // Characters, not bytes.
        assert!(check(&of([("é".repeat(100), "ü".repeat(1000))])).is_ok());
    }
}
