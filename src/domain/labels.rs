//! Labels: string metadata on auth servers and clients, as Konnect defines them.

use std::collections::BTreeMap;

use super::Invalid;

pub const MAX_LABELS: usize = 50;
const RESERVED_PREFIXES: [&str; 5] = ["kong", "konnect", "mesh", "kic", "_"];

/// At most 50 labels; keys and values 1–63 characters of `[A-Za-z0-9]` with `-._`
/// inside; keys may not start with a reserved prefix.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Labels(BTreeMap<String, String>);

impl Labels {
    pub fn parse(map: BTreeMap<String, String>) -> Result<Labels, Invalid> {
        if map.len() > MAX_LABELS {
            return Err(Invalid::new("is_label", format!("must not have more than {MAX_LABELS} labels")));
        }
        for (key, value) in &map {
            check_key(key).map_err(|e| e.at(format!(".{key}")))?;
            check_part(value)
                .map_err(|reason| Invalid::new("is_label", format!("value {reason}")).at(format!(".{key}")))?;
        }
        Ok(Labels(map))
    }

    /// RFC 7396 merge: keys with a value are set, keys with `None` are removed.
    pub fn merged(&self, changes: BTreeMap<String, Option<String>>) -> Result<Labels, Invalid> {
        let mut map = self.0.clone();
        for (key, value) in changes {
            match value {
                Some(value) => map.insert(key, value),
                None => map.remove(&key),
            };
        }
        Labels::parse(map)
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter()
    }
}

fn check_key(key: &str) -> Result<(), Invalid> {
    check_part(key).map_err(|reason| Invalid::new("is_label", format!("key {reason}")))?;
    let lower = key.to_ascii_lowercase();
    if let Some(prefix) = RESERVED_PREFIXES.iter().find(|p| lower.starts_with(*p)) {
        return Err(Invalid::new("is_label", format!("key must not start with the reserved prefix {prefix:?}")));
    }
    Ok(())
}

/// `^[a-z0-9A-Z]{1}([a-z0-9A-Z-._]*[a-z0-9A-Z]+)?$`, 1 to 63 characters.
pub(crate) fn check_part(part: &str) -> Result<(), &'static str> {
    if part.is_empty() || part.len() > 63 {
        return Err("must have 1 to 63 characters");
    }
    let bytes = part.as_bytes();
    let inner_ok = bytes.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    let ends_ok = bytes[0].is_ascii_alphanumeric() && bytes[bytes.len() - 1].is_ascii_alphanumeric();
    if inner_ok && ends_ok { Ok(()) } else { Err("must be letters and digits, with '-', '.' or '_' only between them") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn labels_accept_the_konnect_pattern() {
        assert!(Labels::parse(labels(&[("env", "prod"), ("team.name", "a-b_c.d"), ("x", "1")])).is_ok());
    }

    #[test]
    fn labels_reject_bad_keys_values_prefixes_and_counts() {
        for (key, value) in [
            ("-env", "x"),
            ("env-", "x"),
            ("env", ""),
            ("env", "a b"),
            ("kong-x", "1"),
            ("Konnect", "1"),
            ("_x", "1"),
            ("e", "-x"),
        ] {
            let result = Labels::parse(labels(&[(key, value)]));
            assert_eq!(result.map_err(|e| e.rule), Err("is_label"), "{key}={value}");
        }
        assert!(Labels::parse(labels(&[("k", &"v".repeat(64))])).is_err());
        let many: BTreeMap<String, String> = (0..51).map(|i| (format!("k{i}"), "v".to_owned())).collect();
        assert!(Labels::parse(many).is_err());
    }

    #[test]
    fn merging_labels_sets_and_removes_keys() {
        let current = Labels::parse(labels(&[("a", "1"), ("b", "2")])).unwrap_or_default();
        let changes = [("a".to_owned(), None), ("c".to_owned(), Some("3".to_owned()))].into_iter().collect();
        let merged = current.merged(changes).unwrap_or_default();
        assert_eq!(merged, Labels::parse(labels(&[("b", "2"), ("c", "3")])).unwrap_or_default());
    }
}
