//! Reading document 003's request bodies: `null` and absent fields are zero values, and
//! metadata is an object of strings.

use super::error::MgmtError;
use axum::http::StatusCode;
use portcullis_core::model::Metadata;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// For `#[serde(default, deserialize_with = "or_zero")]`: `null` reads as the zero value.
pub fn or_zero<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// For `skip_serializing_if`: leaves zero numbers out, as the document does with `false`.
pub fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// A body's `metadata`: absent or `null` is empty; anything but an object of strings is
/// `invalid_metadata` (the limits are checked by the services).
pub fn metadata(value: Option<Value>) -> Result<Metadata, MgmtError> {
    let invalid = || {
        MgmtError::new(
            StatusCode::BAD_REQUEST,
            "invalid_metadata",
            "metadata: An object whose values are strings.",
        )
    };
    match value {
        None | Some(Value::Null) => Ok(Metadata::new()),
        Some(Value::Object(map)) => map
            .into_iter()
            .map(|(key, value)| match value {
                Value::String(text) => Ok((key, text)),
                _ => Err(invalid()),
            })
            .collect(),
        Some(_) => Err(invalid()),
    }
}

/// How a body's `metadata` is documented: the limits [`metadata`] and the services hold it to.
pub struct MetadataBody;

impl utoipa::PartialSchema for MetadataBody {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use portcullis_core::metadata::{MAX_KEYS, MAX_KEY_CHARS, MAX_VALUE_CHARS};
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                Type::Object,
                Type::Null,
            ]))
            .description(Some(format!(
                "At most {MAX_KEYS} keys of 1 to {MAX_KEY_CHARS} characters, each with a text \
                 value of at most {MAX_VALUE_CHARS} characters; else 400 `invalid_metadata`."
            )))
            .max_properties(Some(MAX_KEYS))
            .property_names(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1))
                    .max_length(Some(MAX_KEY_CHARS)),
            ))
            .additional_properties(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .max_length(Some(MAX_VALUE_CHARS)),
            ))
            .into()
    }
}

impl utoipa::ToSchema for MetadataBody {
    fn name() -> std::borrow::Cow<'static, str> {
        "MetadataInput".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn metadata_is_an_object_of_strings() {
        assert_eq!(metadata(None).unwrap(), Metadata::new());
        assert_eq!(metadata(Some(Value::Null)).unwrap(), Metadata::new());
        let read = metadata(Some(json!({"k": "v"}))).unwrap();
        assert_eq!(read.get("k").map(String::as_str), Some("v"));
        for bad in [
            json!({"k": 1}),
            json!(["k"]),
            json!("k"),
            json!({"k": null}),
        ] {
            assert_eq!(metadata(Some(bad)).unwrap_err().code, "invalid_metadata");
        }
    }
}
