//! Directories of Kong Identity's v2 API: an organizational boundary for principals, with the
//! caching hints and realm configuration a gateway reads.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Invalid, Labels, check_length};

/// `^[a-z0-9-_]+$`, 1 to 255 characters; unique across the installation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryName(String);

impl DirectoryName {
    pub fn parse(value: String) -> Result<DirectoryName, Invalid> {
        check_length(&value, 1, 255)?;
        if !value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_') {
            return Err(Invalid::new("matches_regex", "must match ^[a-z0-9-_]+$"));
        }
        Ok(DirectoryName(value))
    }

    pub(crate) fn trusted(value: String) -> DirectoryName {
        DirectoryName(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// At most 255 characters (the spec's `DirectoryDescription` and principals' descriptions).
pub fn parse_description(value: String) -> Result<String, Invalid> {
    check_length(&value, 0, 255)?;
    Ok(value)
}

/// Control planes allowed to authenticate against the directory: at most 32 distinct ids.
pub fn parse_control_planes(ids: Vec<Uuid>) -> Result<Vec<Uuid>, Invalid> {
    if ids.len() > 32 {
        return Err(Invalid::max_items(32));
    }
    super::check_unique(&ids)?;
    Ok(ids)
}

/// `ttl_secs` and `negative_ttl_secs`: 300 to 86400 seconds, 600 by default.
pub const DEFAULT_TTL_SECS: i64 = 600;

pub fn parse_ttl_secs(value: i64) -> Result<i64, Invalid> {
    if value < 300 {
        return Err(Invalid::min(300));
    }
    if value > 86_400 {
        return Err(Invalid::max(86_400));
    }
    Ok(value)
}

/// What manages an entity (`{"owner": "terraform"}`): at most 5 entries, keys and values
/// shaped like labels' (no reserved prefixes: the spec names none for it).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct ManagedBy(BTreeMap<String, String>);

impl ManagedBy {
    pub const MAX_ENTRIES: usize = 5;

    pub fn parse(map: BTreeMap<String, String>) -> Result<ManagedBy, Invalid> {
        if map.len() > Self::MAX_ENTRIES {
            return Err(Invalid::max_items(Self::MAX_ENTRIES));
        }
        for (key, value) in &map {
            super::labels::check_part(key)
                .map_err(|reason| Invalid::new("is_label", format!("key {reason}")).at(format!(".{key}")))?;
            super::labels::check_part(value)
                .map_err(|reason| Invalid::new("is_label", format!("value {reason}")).at(format!(".{key}")))?;
        }
        Ok(ManagedBy(map))
    }

    /// RFC 7396 merge, as `ManagedByUpdate` describes: `null` removes a key.
    pub fn merged(&self, changes: BTreeMap<String, Option<String>>) -> Result<ManagedBy, Invalid> {
        let mut map = self.0.clone();
        for (key, value) in changes {
            match value {
                Some(value) => map.insert(key, value),
                None => map.remove(&key),
            };
        }
        ManagedBy::parse(map)
    }
}

/// The realm configuration a Kong v3 data plane reads: cache lifetimes in minutes, and the
/// consumer groups its consumers join.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Realm {
    pub ttl: i64,
    pub negative_ttl: i64,
    pub consumer_groups: Vec<String>,
}

impl Default for Realm {
    fn default() -> Self {
        Realm { ttl: 10, negative_ttl: 10, consumer_groups: Vec::new() }
    }
}

/// Minutes, at least 5 (the spec's minimum) and at most a year (the spec sets no maximum; a
/// bound keeps the value meaningful).
pub fn parse_realm_minutes(value: i64) -> Result<i64, Invalid> {
    if value < 5 {
        return Err(Invalid::min(5));
    }
    if value > 525_600 {
        return Err(Invalid::max(525_600));
    }
    Ok(value)
}

/// Distinct consumer group names of 1 to 255 characters, at most 100 (the spec sets no bound).
pub fn parse_consumer_groups(groups: Vec<String>) -> Result<Vec<String>, Invalid> {
    if groups.len() > 100 {
        return Err(Invalid::max_items(100));
    }
    for (index, group) in groups.iter().enumerate() {
        check_length(group, 1, 255).map_err(|e| e.at(format!("[{index}]")))?;
    }
    super::check_unique(&groups)?;
    Ok(groups)
}

#[derive(Clone, Debug)]
pub struct Directory {
    pub id: Uuid,
    pub name: DirectoryName,
    pub description: String,
    pub allowed_control_planes: Vec<Uuid>,
    pub allow_all_control_planes: bool,
    pub ttl_secs: i64,
    pub negative_ttl_secs: i64,
    pub labels: Labels,
    pub managed_by: ManagedBy,
    pub realm: Realm,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What an audit event records of a directory.
impl super::audit::Snapshot for Directory {
    fn snapshot(&self) -> serde_json::Map<String, serde_json::Value> {
        let value = serde_json::json!({
            "name": self.name.as_str(),
            "description": self.description,
            "allowed_control_planes": self.allowed_control_planes,
            "allow_all_control_planes": self.allow_all_control_planes,
            "ttl_secs": self.ttl_secs,
            "negative_ttl_secs": self.negative_ttl_secs,
            "labels": self.labels,
            "managed_by": self.managed_by,
            "realm_ttl": self.realm.ttl,
            "realm_negative_ttl": self.realm.negative_ttl,
            "realm_consumer_groups": self.realm.consumer_groups,
        });
        match value {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_names_are_lowercase_digits_dashes_and_underscores() {
        assert!(DirectoryName::parse("prod-eu_1".to_owned()).is_ok());
        for bad in ["", "Prod", "a b", "a.b", "ä"] {
            assert!(DirectoryName::parse(bad.to_owned()).is_err(), "{bad:?}");
        }
        assert!(DirectoryName::parse("a".repeat(256)).is_err());
    }

    #[test]
    fn ttls_stay_within_five_minutes_and_a_day() {
        assert_eq!(parse_ttl_secs(300), Ok(300));
        assert_eq!(parse_ttl_secs(86_400), Ok(86_400));
        assert!(parse_ttl_secs(299).is_err());
        assert!(parse_ttl_secs(86_401).is_err());
        assert!(parse_realm_minutes(4).is_err());
    }

    #[test]
    fn managed_by_holds_at_most_five_well_formed_entries() {
        let map = |n: usize| (0..n).map(|i| (format!("k{i}"), "v".to_owned())).collect::<BTreeMap<_, _>>();
        assert!(ManagedBy::parse(map(5)).is_ok());
        assert!(ManagedBy::parse(map(6)).is_err());
        assert!(ManagedBy::parse([("-x".to_owned(), "v".to_owned())].into()).is_err());
    }

    #[test]
    fn consumer_groups_are_distinct_and_bounded() {
        assert!(parse_consumer_groups(vec!["a".into(), "b".into()]).is_ok());
        assert!(parse_consumer_groups(vec!["a".into(), "a".into()]).is_err());
        assert!(parse_consumer_groups(vec![String::new()]).is_err());
    }
}
