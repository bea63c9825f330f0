//! Reads a JSON object body field by field, collecting every problem with its field name,
//! so one 400 lists all of them in Kong's `invalid_parameters`.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::domain::Invalid;

use super::error::{ApiError, InvalidParameter};
use super::extract::ApiJson;

pub struct Body {
    map: Map<String, Value>,
    errors: Vec<InvalidParameter>,
}

impl Body {
    /// Starts reading; every key outside `allowed` is an `unknown_property`.
    pub fn new(ApiJson(map): ApiJson, allowed: &[&str]) -> Body {
        let errors = map
            .keys()
            .filter(|key| !allowed.contains(&key.as_str()))
            .map(|key| InvalidParameter::new(key, "body", Invalid::new("unknown_property", "is not a known property")))
            .collect();
        Body { map, errors }
    }

    fn record<T>(&mut self, field: &str, result: Result<T, Invalid>) -> Option<T> {
        result.map_err(|invalid| self.errors.push(InvalidParameter::new(field, "body", invalid))).ok()
    }

    /// A field that must be present.
    pub fn required<T>(&mut self, field: &str, parse: impl FnOnce(Value) -> Result<T, Invalid>) -> Option<T> {
        match self.map.remove(field) {
            Some(value) => {
                let result = parse(value);
                self.record(field, result)
            }
            None => self.record(field, Err(Invalid::new("required", "is a required field"))),
        }
    }

    /// A field that may be absent: `None` when absent or invalid.
    pub fn optional<T>(&mut self, field: &str, parse: impl FnOnce(Value) -> Result<T, Invalid>) -> Option<T> {
        let value = self.map.remove(field)?;
        let result = parse(value);
        self.record(field, result)
    }

    /// Adds a problem found by a check across fields.
    /// Whether a problem was already recorded for `field`.
    pub fn has_error(&self, field: &str) -> bool {
        self.errors.iter().any(|e| e.field == field)
    }

    pub fn reject(&mut self, field: &str, invalid: Invalid) {
        self.errors.push(InvalidParameter::new(field, "body", invalid));
    }

    /// A 400 listing every problem, if there was any.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() { Ok(()) } else { Err(ApiError::invalid(self.errors)) }
    }
}

/// A required field after [`Body::finish`] succeeded is always present.
pub fn present<T>(value: Option<T>) -> Result<T, ApiError> {
    value.ok_or_else(|| ApiError::internal("validated field missing"))
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub fn string(value: Value) -> Result<String, Invalid> {
    match value {
        Value::String(s) => Ok(s),
        other => Err(Invalid::new("is_string", format!("must be a string, not {}", type_name(&other)))),
    }
}

pub fn boolean(value: Value) -> Result<bool, Invalid> {
    match value {
        Value::Bool(b) => Ok(b),
        other => Err(Invalid::new("is_boolean", format!("must be a boolean, not {}", type_name(&other)))),
    }
}

pub fn integer(value: Value) -> Result<i64, Invalid> {
    match &value {
        Value::Number(n) => n.as_i64().ok_or_else(|| Invalid::new("is_integer", "must be an integer")),
        other => Err(Invalid::new("is_integer", format!("must be an integer, not {}", type_name(other)))),
    }
}

pub fn array(value: Value) -> Result<Vec<Value>, Invalid> {
    match value {
        Value::Array(items) => Ok(items),
        other => Err(Invalid::new("is_array", format!("must be an array, not {}", type_name(&other)))),
    }
}

pub fn strings(value: Value) -> Result<Vec<String>, Invalid> {
    array(value)?.into_iter().enumerate().map(|(i, item)| string(item).map_err(|e| e.at(format!("[{i}]")))).collect()
}

pub fn uuids(value: Value) -> Result<Vec<Uuid>, Invalid> {
    array(value)?
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let text = string(item).map_err(|e| e.at(format!("[{i}]")))?;
            Uuid::parse_str(&text)
                .map_err(|_| Invalid::new("is_uuid", format!("must be a UUID, not {text:?}")).at(format!("[{i}]")))
        })
        .collect()
}

pub fn object(value: Value) -> Result<Map<String, Value>, Invalid> {
    match value {
        Value::Object(map) => Ok(map),
        other => Err(Invalid::new("is_object", format!("must be an object, not {}", type_name(&other)))),
    }
}

/// An object of string values (labels on create and replace).
pub fn string_map(value: Value) -> Result<BTreeMap<String, String>, Invalid> {
    object(value)?
        .into_iter()
        .map(|(key, item)| {
            let text = string(item).map_err(|e| e.at(format!(".{key}")))?;
            Ok((key, text))
        })
        .collect()
}

/// An object of string-or-null values (labels on update: null removes the key).
pub fn nullable_string_map(value: Value) -> Result<BTreeMap<String, Option<String>>, Invalid> {
    object(value)?
        .into_iter()
        .map(|(key, item)| match item {
            Value::Null => Ok((key, None)),
            other => Ok((key.clone(), Some(string(other).map_err(|e| e.at(format!(".{key}")))?))),
        })
        .collect()
}

/// `null` or whatever `parse` accepts.
pub fn nullable<T>(value: Value, parse: impl FnOnce(Value) -> Result<T, Invalid>) -> Result<Option<T>, Invalid> {
    match value {
        Value::Null => Ok(None),
        other => parse(other).map(Some),
    }
}

/// Rejects duplicate ids (`uniqueItems`).
pub fn unique_uuids(value: Value) -> Result<Vec<Uuid>, Invalid> {
    let ids = uuids(value)?;
    crate::domain::check_unique(&ids)?;
    Ok(ids)
}

/// Keeps the first of each id, in order.
pub fn dedup_uuids(value: Value) -> Result<Vec<Uuid>, Invalid> {
    let mut ids = uuids(value)?;
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(*id));
    Ok(ids)
}
