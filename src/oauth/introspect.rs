//! Token introspection (RFC 7662).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::keys::Verifier;

/// Allowed clock difference for `nbf` between nodes.
const LEEWAY_SECONDS: i64 = 30;

/// The claims of a token this issuer signed and that is in force; `None` for anything else:
/// malformed, unknown key, wrong algorithm (`none`, HS256 with the public key), bad
/// signature, another issuer, expired, not yet valid, or revoked.
pub fn verify(
    token: &str,
    verifiers: &HashMap<String, Verifier>,
    issuer: &str,
    now: DateTime<Utc>,
    is_revoked: impl Fn(&Uuid) -> bool,
) -> Option<Map<String, Value>> {
    let claims = verify_signed(token, verifiers, issuer, now)?;
    let jti = claims.get("jti").and_then(Value::as_str).and_then(|j| Uuid::parse_str(j).ok())?;
    if is_revoked(&jti) {
        return None;
    }
    Some(claims)
}

/// A JWT this issuer signed (access or ID token) that is in force by its times: signature by
/// a published key, `iss`, `exp`, `nbf`. Revocation is for the caller, which knows the kind.
pub fn verify_signed(
    token: &str,
    verifiers: &HashMap<String, Verifier>,
    issuer: &str,
    now: DateTime<Utc>,
) -> Option<Map<String, Value>> {
    let header = jsonwebtoken::decode_header(token).ok()?;
    let verifier = verifiers.get(header.kid.as_deref()?)?;
    let claims = verifier.verify(token)?;
    let now = now.timestamp();
    let number = |name: &str| claims.get(name).and_then(Value::as_i64);
    if claims.get("iss").and_then(Value::as_str) != Some(issuer) {
        return None;
    }
    if number("exp")? <= now || number("nbf").is_some_and(|nbf| nbf > now + LEEWAY_SECONDS) {
        return None;
    }
    Some(claims)
}

/// RFC 7662 §2.2 answer for an active token.
pub fn active_response(claims: &Map<String, Value>) -> Value {
    let mut response = Map::new();
    response.insert("active".into(), json!(true));
    // RFC 8693 §4.1: an exchanged token's actor too.
    for name in ["scope", "client_id", "sub", "aud", "iss", "exp", "iat", "nbf", "jti", "act"] {
        if let Some(value) = claims.get(name) {
            response.insert(name.into(), value.clone());
        }
    }
    response.insert("token_type".into(), json!("Bearer"));
    Value::Object(response)
}

/// RFC 7662 §2.2: anything not active says only that.
pub fn inactive_response() -> Value {
    json!({ "active": false })
}
