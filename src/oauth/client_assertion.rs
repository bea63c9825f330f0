//! `private_key_jwt` client authentication: a JWT the client signs with one of its registered
//! keys (RFC 7521 §4.2, RFC 7523 §2.2 and §3, OpenID Connect Core §9).

use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::Digest;
use uuid::Uuid;

use crate::domain::SigningAlgorithm;
use crate::domain::jwks::ClientJwks;

use super::{OAuthError, jwt};

/// RFC 7523 §2.2: the only `client_assertion_type` Tessera takes.
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Assertions may be valid for at most this long, which bounds how long their `jti` is kept.
pub const MAX_LIFETIME_SECONDS: i64 = 300;
/// Clock differences tolerated between the client and Tessera.
pub const SKEW_SECONDS: i64 = 30;
use super::jwt::MAX_LENGTH as MAX_ASSERTION_LENGTH;

fn refused(description: impl Into<String>) -> OAuthError {
    OAuthError::invalid_client_with(description)
}

/// The client an assertion claims to come from (`sub`, which must equal `iss`), read before
/// its signature can be checked, to find the client's keys. Nothing else is trusted yet.
pub fn claimed_client(assertion: &str) -> Result<String, OAuthError> {
    if assertion.len() > MAX_ASSERTION_LENGTH {
        return Err(refused(format!("client_assertion is longer than {MAX_ASSERTION_LENGTH} characters")));
    }
    let payload = jwt::unverified_payload(assertion).ok_or_else(|| refused("client_assertion is not a JWT"))?;
    let issuer = payload.get("iss").and_then(Value::as_str);
    let subject = payload.get("sub").and_then(Value::as_str);
    match (issuer, subject) {
        // RFC 7523 §3 items 1 and 2: both name the client.
        (Some(iss), Some(sub)) if iss == sub && !sub.is_empty() => Ok(sub.to_owned()),
        _ => Err(refused("client_assertion must have iss and sub, both the client_id")),
    }
}

/// A verified assertion: what its single use is recorded under, and until when.
#[derive(Debug, PartialEq, Eq)]
pub struct Verified {
    /// Derived from the client and the `jti`, so each assertion can be used once.
    pub use_id: Uuid,
    pub expires_at: DateTime<Utc>,
}

/// RFC 7523 §3: checks the signature with the client's keys and the claims: `iss` and `sub`
/// the client, `aud` the issuer, `exp` in force and at most five minutes away, `nbf`/`iat`
/// not in the future, a `jti` to make it single use within the auth server.
pub fn verify(
    assertion: &str,
    client_id: &str,
    jwks: &ClientJwks,
    issuer: &str,
    auth_server_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Verified, OAuthError> {
    let header = jsonwebtoken::decode_header(assertion).map_err(|_| refused("client_assertion is not a JWT"))?;
    // RFC 8725 §3.1: only the asymmetric algorithms Tessera signs with; never `none` or HMAC.
    let algorithm = jwt::algorithm(&header).ok_or_else(|| {
        refused(format!("client_assertion alg must be one of {}", SigningAlgorithm::NAMES.join(", ")))
    })?;
    let claims = jwt::verify_with(assertion, jwks.candidates(header.kid.as_deref(), algorithm), algorithm)
        // The same answer as for an unknown client, so nobody learns which clients use keys.
        .ok_or_else(|| OAuthError::invalid_client(false))?;
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    if text("iss") != Some(client_id) || text("sub") != Some(client_id) {
        return Err(refused("client_assertion iss and sub must both be the client_id"));
    }
    // The issuer identifier alone, as one string: an endpoint URL or a list would let an
    // assertion meant for another server be replayed here (audience injection,
    // CVE-2025-27370; draft-ietf-oauth-rfc7523bis §4).
    if claims.get("aud").and_then(Value::as_str) != Some(issuer) {
        return Err(refused(format!("client_assertion aud must be the issuer, {issuer}, as a single string")));
    }
    // RFC 7519 §2: NumericDate values are numbers; one of another type is refused, not skipped.
    let time = |name: &str| {
        jwt::numeric_date(&claims, name).map_err(|_| refused(format!("client_assertion {name} must be an integer")))
    };
    let now_seconds = now.timestamp();
    let expires = time("exp")?.ok_or_else(|| refused("client_assertion must have exp"))?;
    if expires.saturating_add(SKEW_SECONDS) <= now_seconds {
        return Err(refused("client_assertion has expired"));
    }
    if expires > now_seconds + MAX_LIFETIME_SECONDS + SKEW_SECONDS {
        return Err(refused(format!("client_assertion exp must be at most {MAX_LIFETIME_SECONDS} seconds away")));
    }
    if time("nbf")?.is_some_and(|nbf| nbf > now_seconds + SKEW_SECONDS) {
        return Err(refused("client_assertion is not valid yet (nbf)"));
    }
    if time("iat")?.is_some_and(|iat| iat > now_seconds + SKEW_SECONDS) {
        return Err(refused("client_assertion iat is in the future"));
    }
    let jti = text("jti").filter(|j| !j.is_empty() && j.len() <= 255);
    let jti = jti.ok_or_else(|| refused("client_assertion must have a jti of 1 to 255 characters"))?;
    let digest = sha2::Sha256::digest(format!("{auth_server_id}\u{0}{client_id}\u{0}{jti}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    let expires_at = DateTime::from_timestamp(expires + SKEW_SECONDS, 0).unwrap_or(now);
    Ok(Verified { use_id: Uuid::from_bytes(bytes), expires_at })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;
    use crate::keys::{Signer, generate};

    struct Key {
        signer: Signer,
        jwks: ClientJwks,
    }

    fn new_key(algorithm: SigningAlgorithm) -> Key {
        let generated = generate(algorithm).unwrap_or_else(|e| unreachable!("{e}"));
        let signer =
            Signer::from_der(&generated.kid, algorithm, &generated.private_der).unwrap_or_else(|e| unreachable!("{e}"));
        let jwks = ClientJwks::parse(json!({"keys": [generated.public_jwk]})).unwrap_or_else(|e| unreachable!("{e:?}"));
        Key { signer, jwks }
    }

    const ISSUER: &str = "https://id.example.com/abc/auth";

    fn claims(now: DateTime<Utc>) -> Value {
        json!({"iss": "app", "sub": "app", "aud": ISSUER, "jti": "j-1",
               "iat": now.timestamp(), "exp": now.timestamp() + 60})
    }

    #[test]
    fn an_assertion_signed_by_the_clients_key_is_accepted_once_per_jti() {
        let now = Utc::now();
        for algorithm in [SigningAlgorithm::RS256, SigningAlgorithm::ES256, SigningAlgorithm::EdDSA] {
            let key = new_key(algorithm);
            let assertion = key.signer.sign(&claims(now)).unwrap_or_default();
            assert_eq!(claimed_client(&assertion).map_err(|e| e.description), Ok("app".to_owned()));
            let verified = verify(&assertion, "app", &key.jwks, ISSUER, Uuid::nil(), now)
                .unwrap_or_else(|e| unreachable!("{e:?}"));
            let again = verify(&assertion, "app", &key.jwks, ISSUER, Uuid::nil(), now)
                .unwrap_or_else(|e| unreachable!("{e:?}"));
            assert_eq!(verified.use_id, again.use_id, "the same jti maps to the same single-use record");
        }
    }

    #[test]
    fn assertions_that_break_a_rule_of_rfc_7523_are_refused_with_the_reason() {
        let now = Utc::now();
        let key = new_key(SigningAlgorithm::ES256);
        let other = new_key(SigningAlgorithm::ES256);
        let mut cases: Vec<(Value, &Key, &str)> = Vec::new();
        let with = |change: &dyn Fn(&mut Value)| {
            let mut c = claims(now);
            change(&mut c);
            c
        };
        cases.push((claims(now), &other, "Client authentication failed"));
        cases.push((with(&|c| c["aud"] = json!("https://elsewhere.example.com")), &key, "aud"));
        cases.push((with(&|c| c["aud"] = json!(format!("{ISSUER}/oauth/token"))), &key, "aud must be the issuer"));
        cases.push((with(&|c| c["aud"] = json!([ISSUER])), &key, "single string"));
        cases.push((with(&|c| c["nbf"] = json!("0")), &key, "nbf must be an integer"));
        cases.push((with(&|c| c["exp"] = json!(i64::MAX)), &key, "at most 300"));
        cases.push((with(&|c| c["exp"] = json!(now.timestamp() - 120)), &key, "expired"));
        cases.push((with(&|c| c["exp"] = json!(now.timestamp() + 3600)), &key, "at most 300"));
        cases.push((
            with(&|c| {
                c.as_object_mut().map(|o| o.remove("exp"));
            }),
            &key,
            "must have exp",
        ));
        cases.push((
            with(&|c| {
                c.as_object_mut().map(|o| o.remove("jti"));
            }),
            &key,
            "jti",
        ));
        cases.push((with(&|c| c["nbf"] = json!(now.timestamp() + 600)), &key, "nbf"));
        cases.push((with(&|c| c["sub"] = json!("someone-else")), &key, "iss and sub"));
        for (claims, signer, reason) in cases {
            let assertion = signer.signer.sign(&claims).unwrap_or_default();
            let result = verify(&assertion, "app", &key.jwks, ISSUER, Uuid::nil(), now);
            if reason.is_empty() {
                assert!(result.is_ok(), "{claims}");
                continue;
            }
            let refused = result.map(|_| ()).unwrap_err();
            assert_eq!((refused.error, refused.status), ("invalid_client", 401), "{claims}");
            assert!(refused.description.contains(reason), "{claims}: {}", refused.description);
        }
    }

    #[test]
    fn unsigned_and_symmetric_assertions_never_pass() {
        let now = Utc::now();
        let key = new_key(SigningAlgorithm::RS256);
        let body = URL_SAFE_NO_PAD.encode(claims(now).to_string());
        let none = format!("{}.{body}.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#));
        let hmac = format!("{}.{body}.c2ln", URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#));
        for assertion in [none, hmac, "not.a.jwt".to_owned(), String::new()] {
            assert!(verify(&assertion, "app", &key.jwks, ISSUER, Uuid::nil(), now).is_err(), "{assertion}");
        }
        assert!(claimed_client("x".repeat(20_000).as_str()).is_err());
    }
}
