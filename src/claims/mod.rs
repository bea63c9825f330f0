//! Custom claims: which ones a token carries, and the JSON value each one takes.

use serde_json::Value;

use crate::domain::{Claim, Scope};

/// Claims that Tessera sets itself; a custom claim may not use these names (RFC 7519 §4.1,
/// RFC 9068 §2.2, OpenID Connect Core §2 and §5.1).
pub const REGISTERED: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    "client_id",
    "scope",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "azp",
    "at_hash",
    "c_hash",
    "cnf",
    "act",
    "may_act",
];

pub fn is_registered(name: &str) -> bool {
    REGISTERED.contains(&name)
}

/// Whether `claim` goes into a token granted `granted`, by the inclusion rules of Kong
/// Identity: always (all scopes), with one of its scopes, or, with no scopes listed, only
/// when the request named no scope. Disabled claims and userinfo-only claims never do.
pub fn in_token(claim: &Claim, granted: &[&Scope], scope_requested: bool) -> bool {
    if !claim.enabled || !claim.include_in_token {
        return false;
    }
    if claim.include_in_all_scopes {
        return true;
    }
    if claim.include_in_scopes.is_empty() {
        return !scope_requested;
    }
    granted.iter().any(|scope| claim.include_in_scopes.contains(&scope.id))
}

/// A static value that parses as JSON becomes that JSON value; anything else is a string.
pub fn typed_value(value: &str) -> Value {
    serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned()))
}

/// The custom claims of a token, in claim order.
pub fn select(claims: &[Claim], granted: &[&Scope], scope_requested: bool) -> Vec<(String, Value)> {
    claims
        .iter()
        .filter(|claim| in_token(claim, granted, scope_requested) && !is_registered(claim.name.as_str()))
        .map(|claim| (claim.name.as_str().to_owned(), typed_value(&claim.value)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Name, ScopeName};
    use chrono::Utc;
    use uuid::Uuid;

    fn scope() -> Scope {
        let now = Utc::now();
        Scope {
            id: Uuid::new_v4(),
            auth_server_id: Uuid::nil(),
            name: ScopeName::parse("s".into()).unwrap(),
            description: String::new(),
            is_default: false,
            include_in_metadata: false,
            enabled: true,
            created_at: now,
            updated_at: now,
        }
    }

    fn claim(include_in_token: bool, all: bool, scopes: Vec<Uuid>) -> Claim {
        let now = Utc::now();
        Claim {
            id: Uuid::new_v4(),
            auth_server_id: Uuid::nil(),
            name: Name::parse("c".into()).unwrap(),
            value: "v".into(),
            include_in_token,
            include_in_all_scopes: all,
            include_in_scopes: scopes,
            enabled: true,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn claims_follow_the_inclusion_table() {
        let s = scope();
        let other = scope();
        let always = claim(true, true, vec![]);
        assert!(in_token(&always, &[], true) && in_token(&always, &[], false));
        let with_scope = claim(true, false, vec![s.id]);
        assert!(in_token(&with_scope, &[&s], true));
        assert!(!in_token(&with_scope, &[&other], true));
        let when_unscoped = claim(true, false, vec![]);
        assert!(in_token(&when_unscoped, &[], false));
        assert!(!in_token(&when_unscoped, &[&s], true));
        let userinfo_only = claim(false, true, vec![]);
        assert!(!in_token(&userinfo_only, &[&s], true));
        let disabled = Claim { enabled: false, ..always };
        assert!(!in_token(&disabled, &[&s], true));
    }

    #[test]
    fn static_values_are_typed_as_json_when_they_parse() {
        assert_eq!(typed_value("claim1"), Value::String("claim1".into()));
        assert_eq!(typed_value("42"), serde_json::json!(42));
        assert_eq!(typed_value("4.5"), serde_json::json!(4.5));
        assert_eq!(typed_value("true"), serde_json::json!(true));
        assert_eq!(typed_value("{\"a\":[1]}"), serde_json::json!({"a": [1]}));
        assert_eq!(typed_value("[\"x\"]"), serde_json::json!(["x"]));
        assert_eq!(typed_value("not json {"), Value::String("not json {".into()));
    }

    #[test]
    fn registered_names_are_never_overwritten() {
        let mut sub = claim(true, true, vec![]);
        sub.name = Name::parse("sub".into()).unwrap();
        assert!(select(&[sub], &[], false).is_empty());
    }
}
