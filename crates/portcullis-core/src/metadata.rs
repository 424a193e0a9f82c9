//! Document 003's `metadata`: free key-value strings on an object, within limits.

use crate::error::{Error, Result};
use std::collections::BTreeMap;

pub type Metadata = BTreeMap<String, String>;

pub const MAX_KEYS: usize = 20;
pub const MAX_KEY_CHARS: usize = 100;
pub const MAX_VALUE_CHARS: usize = 1000;

/// At most 20 keys, keys of at most 100 characters and values of at most 1000; otherwise
/// [`Error::Invalid`] on the field `metadata` (the management API's `invalid_metadata`).
pub fn check(metadata: &Metadata) -> Result<()> {
    let problem = if metadata.len() > MAX_KEYS {
        Some(format!("at most {MAX_KEYS} keys"))
    } else if metadata.keys().any(|k| k.chars().count() > MAX_KEY_CHARS) {
        Some(format!("keys are at most {MAX_KEY_CHARS} characters"))
    } else if metadata
        .values()
        .any(|v| v.chars().count() > MAX_VALUE_CHARS)
    {
        Some(format!("values are at most {MAX_VALUE_CHARS} characters"))
    } else {
        None
    };
    match problem {
        Some(message) => Err(Error::invalid("metadata", message)),
        None => Ok(()),
    }
}

/// Stored as a JSON object.
pub fn to_json(metadata: &Metadata) -> String {
    serde_json::to_string(metadata).unwrap_or_else(|_| "{}".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        let many: Metadata = (0..21).map(|i| (i.to_string(), String::new())).collect();
        assert!(check(&many).is_err());
        let twenty: Metadata = (0..20).map(|i| (i.to_string(), "v".repeat(1000))).collect();
        assert!(check(&twenty).is_ok());
        assert!(check(&Metadata::from([("k".repeat(101), String::new())])).is_err());
        assert!(check(&Metadata::from([("k".into(), "v".repeat(1001))])).is_err());
    }
}
