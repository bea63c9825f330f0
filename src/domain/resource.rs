//! A resource of an auth server (RFC 8707): an API a token can be for, named by an absolute
//! URI, with the auth server's scopes that belong to it. A token request naming resources gets
//! a token whose `aud` is those URIs and whose scopes are narrowed to theirs.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Invalid;

/// Most resources one auth server declares, and most scopes one resource holds.
pub const MAX_RESOURCES: usize = 200;
pub const MAX_SCOPES: usize = 200;
/// Longest resource URI and description.
const MAX_URI: usize = 2048;
const MAX_DESCRIPTION: usize = 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resource {
    pub id: Uuid,
    pub auth_server_id: Uuid,
    /// The resource indicator (RFC 8707 §2) and the `aud` of tokens issued for it.
    pub uri: String,
    pub description: String,
    /// Ids of the auth server's scopes that belong to this resource.
    pub scopes: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// RFC 8707 §2: an absolute URI with no fragment; a query is allowed but discouraged, and
/// kept as given, since clients compare indicators as strings.
pub fn parse_uri(value: String) -> Result<String, Invalid> {
    super::check_length(&value, 1, MAX_URI)?;
    is_indicator(&value)
        .then_some(value)
        .ok_or_else(|| Invalid::new("invalid", "must be an absolute URI without a fragment"))
}

/// Whether `value` can be a resource indicator at all (RFC 8707 §2): a request naming anything
/// else is `invalid_target` before any lookup.
pub fn is_indicator(value: &str) -> bool {
    match url::Url::parse(value) {
        Ok(url) => url.fragment().is_none() && !value.contains(char::is_whitespace),
        Err(_) => false,
    }
}

pub fn parse_description(value: String) -> Result<String, Invalid> {
    super::check_length(&value, 0, MAX_DESCRIPTION)?;
    Ok(value)
}

/// Each scope once, at most [`MAX_SCOPES`].
pub fn parse_scopes(scopes: Vec<Uuid>) -> Result<Vec<Uuid>, Invalid> {
    if scopes.len() > MAX_SCOPES {
        return Err(Invalid::max_items(MAX_SCOPES));
    }
    let mut seen = Vec::with_capacity(scopes.len());
    for (i, scope) in scopes.into_iter().enumerate() {
        if seen.contains(&scope) {
            return Err(Invalid::new("invalid", format!("names scope {scope} twice")).at(format!("[{i}]")));
        }
        seen.push(scope);
    }
    Ok(seen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_indicators_are_absolute_uris_without_fragments() {
        for good in ["https://api.example.com", "https://api.example.com/payments", "urn:example:payments"] {
            assert!(parse_uri(good.to_owned()).is_ok(), "{good}");
        }
        for bad in ["payments", "/payments", "https://api.example.com/#x", "", "https://a .example"] {
            assert!(parse_uri(bad.to_owned()).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_resource_names_each_scope_once() {
        let scope = Uuid::new_v4();
        assert!(parse_scopes(vec![scope, Uuid::new_v4()]).is_ok());
        assert!(parse_scopes(vec![scope, scope]).is_err());
    }
}
