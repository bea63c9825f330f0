//! Principals of a directory (Kong Identity v2): an external client, workload or human calling
//! APIs through a gateway, with the metadata the gateway attaches to its requests.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::directory::ManagedBy;
use super::{Invalid, Labels, check_length};

/// Kong's limits: 50 metadata keys, lists of at most 255 distinct items.
pub const MAX_METADATA_KEYS: usize = 50;
const MAX_METADATA_ITEMS: usize = 255;
/// Keys and string values are bounded too (the spec does not say; a gateway copies them into
/// every request's context).
const MAX_METADATA_KEY_LENGTH: usize = 255;
const MAX_METADATA_STRING_LENGTH: usize = 1024;

/// `KongIdentityMetadata`: a map of booleans, strings, integers, or lists of distinct strings
/// or of distinct integers.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Metadata(Map<String, Value>);

impl Metadata {
    pub fn parse(map: Map<String, Value>) -> Result<Metadata, Invalid> {
        if map.len() > MAX_METADATA_KEYS {
            return Err(Invalid::max_items(MAX_METADATA_KEYS));
        }
        for (key, value) in &map {
            check_length(key, 1, MAX_METADATA_KEY_LENGTH).map_err(|e| e.at(format!(".{key}")))?;
            check_value(value).map_err(|e| e.at(format!(".{key}")))?;
        }
        Ok(Metadata(map))
    }

    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }
}

fn check_value(value: &Value) -> Result<(), Invalid> {
    match value {
        Value::Bool(_) => Ok(()),
        Value::Number(n) if n.is_i64() || n.is_u64() => Ok(()),
        Value::String(s) => check_length(s, 0, MAX_METADATA_STRING_LENGTH),
        Value::Array(items) => {
            if items.len() > MAX_METADATA_ITEMS {
                return Err(Invalid::max_items(MAX_METADATA_ITEMS));
            }
            let strings =
                items.iter().all(|i| i.as_str().is_some_and(|s| s.chars().count() <= MAX_METADATA_STRING_LENGTH));
            let integers = items.iter().all(|i| i.is_i64() || i.is_u64());
            if !(strings || integers) {
                return Err(Invalid::new("invalid", "must be a list of strings or a list of integers"));
            }
            super::check_unique(&items.iter().map(ToString::to_string).collect::<Vec<_>>())
        }
        _ => {
            Err(Invalid::new("invalid", "must be a boolean, a string, an integer, or a list of strings or of integers"))
        }
    }
}

/// A credential that authenticated: whose it is, and until when it may (the soonest expiry of
/// what could have matched), so an answer is never cached past it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Authenticated {
    pub principal_id: Uuid,
    pub valid_until: Option<DateTime<Utc>>,
}

/// Who provisioned a principal: `konnect_user` through this API (read-only to callers).
pub const PROVISIONED_BY_USER: &str = "konnect_user";

#[derive(Clone, Debug, PartialEq)]
pub struct Principal {
    pub id: Uuid,
    pub directory_id: Uuid,
    pub display_name: String,
    pub description: String,
    pub metadata: Metadata,
    pub labels: Labels,
    pub managed_by: ManagedBy,
    pub provisioned_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// At most 255 characters (`KongPrincipalDisplayName`, `KongPrincipalDescription`).
pub fn parse_text(value: String) -> Result<String, Invalid> {
    check_length(&value, 0, 255)?;
    Ok(value)
}

/// What an audit event records of a principal.
impl super::audit::Snapshot for Principal {
    fn snapshot(&self) -> Map<String, Value> {
        let value = serde_json::json!({
            "display_name": self.display_name,
            "description": self.description,
            "metadata": self.metadata,
            "labels": self.labels,
            "managed_by": self.managed_by,
        });
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn metadata(value: Value) -> Result<Metadata, Invalid> {
        match value {
            Value::Object(map) => Metadata::parse(map),
            _ => Err(Invalid::new("is_object", "")),
        }
    }

    #[test]
    fn metadata_takes_the_value_types_kong_lists() {
        assert!(
            metadata(json!({"tier": "gold", "beta": true, "quota": 100, "regions": ["eu", "us"], "ids": [1, 2]}))
                .is_ok()
        );
        for bad in [
            json!({"x": 1.5}),
            json!({"x": null}),
            json!({"x": {"a": 1}}),
            json!({"x": ["a", 1]}),
            json!({"x": ["a", "a"]}),
            json!({"": 1}),
        ] {
            assert!(metadata(bad.clone()).is_err(), "{bad}");
        }
        let many: Map<String, Value> = (0..51).map(|i| (format!("k{i}"), json!(i))).collect();
        assert!(Metadata::parse(many).is_err());
    }
}
