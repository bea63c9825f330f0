//! A trusted issuer's token used as an assertion (RFC 7521 §4.1, RFC 7523 §2.1 and §3): a
//! Kubernetes service-account token, a GitHub Actions OIDC token, another auth server's JWT.
//! Every check names what failed, never the token's contents.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sha2::Digest;
use uuid::Uuid;

use crate::domain::ClientId;
use crate::domain::jwks::ClientJwks;
use crate::domain::trusted_issuer::TrustedIssuer;

use super::{OAuthError, jwt};

/// RFC 7523 §2.1: the grant type of a JWT used as an authorization grant.
pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// Clock differences tolerated between the issuer and Tessera.
pub const SKEW_SECONDS: i64 = 30;
pub use super::jwt::MAX_LENGTH as MAX_ASSERTION_LENGTH;

/// RFC 7523 §3.1: a JWT bearer grant that fails a check is `invalid_grant`.
fn refused(description: impl Into<String>) -> OAuthError {
    OAuthError::invalid_grant(description)
}

/// The assertion's claims, read before its signature can be checked: only to find which
/// trusted issuer (`iss`) may have signed it. Nothing read here is trusted.
pub fn unverified_issuer(assertion: &str) -> Result<String, OAuthError> {
    if assertion.len() > MAX_ASSERTION_LENGTH {
        return Err(refused(format!("assertion is longer than {MAX_ASSERTION_LENGTH} characters")));
    }
    let payload = jwt::unverified_payload(assertion).ok_or_else(|| refused("assertion is not a JWT"))?;
    payload
        .get("iss")
        .and_then(Value::as_str)
        .filter(|iss| !iss.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| refused("assertion must have iss"))
}

/// What a verified assertion grants, and what its single use is recorded under.
#[derive(Debug, PartialEq)]
pub struct Verified {
    /// The client the subject maps to.
    pub client_id: ClientId,
    /// The claims of the assertion the trusted issuer copies into issued tokens.
    pub copied: Vec<(String, Value)>,
    /// Derived from the auth server, the issuer and the `jti`: one use per assertion.
    pub use_id: Uuid,
    /// Until when the use is remembered: past it, the assertion is refused by age or expiry.
    pub remember_until: DateTime<Utc>,
}

/// Why the issuer's keys did not verify an assertion: the caller may refetch keys it fetched
/// when the `kid` is one it does not know.
#[derive(Debug)]
pub enum KeysFailed {
    UnknownKid,
    BadSignature,
}

/// RFC 7523 §3 against a trusted issuer: signature by one of its keys with an algorithm it
/// allows, then `iss`, `aud`, `exp`, `nbf`, `iat` age, a `sub`, the claim conditions, the
/// `sub` mapped to a client, and a `jti` for single use.
pub fn verify(
    assertion: &str,
    trusted: &TrustedIssuer,
    jwks: &ClientJwks,
    now: DateTime<Utc>,
) -> Result<Result<Verified, OAuthError>, KeysFailed> {
    Ok(verify_token(assertion, trusted, jwks, now)?.and_then(|claims| as_assertion(&claims, trusted, now)))
}

/// The checks of [`verify`] that make a trusted issuer's token valid, without those that make
/// it an assertion (a mapped subject, single use): what a subject or actor token of a token
/// exchange must pass (RFC 8693 §2.1). Answers the verified claims.
pub fn verify_token(
    token: &str,
    trusted: &TrustedIssuer,
    jwks: &ClientJwks,
    now: DateTime<Utc>,
) -> Result<Result<Map<String, Value>, OAuthError>, KeysFailed> {
    let claims = match signed_claims(token, trusted, jwks) {
        Ok(claims) => claims,
        Err(Signature::Refused(error)) => return Ok(Err(error)),
        Err(Signature::Keys(failed)) => return Err(failed),
    };
    Ok(check_claims(&claims, trusted, now).map(|()| claims))
}

enum Signature {
    Refused(OAuthError),
    Keys(KeysFailed),
}

fn signed_claims(assertion: &str, trusted: &TrustedIssuer, jwks: &ClientJwks) -> Result<Map<String, Value>, Signature> {
    if assertion.len() > MAX_ASSERTION_LENGTH {
        return Err(Signature::Refused(refused(format!("assertion is longer than {MAX_ASSERTION_LENGTH} characters"))));
    }
    // RFC 8725 §3.1: only the asymmetric algorithms this issuer is trusted with; never `none`,
    // never HMAC (which would take a public key for a shared secret).
    let alg_refused = || {
        let allowed: Vec<&str> = trusted.algorithms.iter().map(|a| a.as_str()).collect();
        Signature::Refused(refused(format!("assertion alg must be one of {}", allowed.join(", "))))
    };
    let header = match jsonwebtoken::decode_header(assertion) {
        Ok(header) => header,
        // A header the JOSE library does not know (`none`) is still a JWT with a refused alg.
        Err(_) if unverified_header_alg(assertion).is_some() => return Err(alg_refused()),
        Err(_) => return Err(Signature::Refused(refused("assertion is not a JWT"))),
    };
    let algorithm =
        jwt::algorithm(&header).filter(|algorithm| trusted.algorithms.contains(algorithm)).ok_or_else(alg_refused)?;
    let candidates = jwks.candidates(header.kid.as_deref(), algorithm);
    if candidates.is_empty() {
        return Err(Signature::Keys(if header.kid.is_some() {
            KeysFailed::UnknownKid
        } else {
            KeysFailed::BadSignature
        }));
    }
    jwt::verify_with(assertion, candidates, algorithm).ok_or(Signature::Keys(KeysFailed::BadSignature))
}

fn unverified_header_alg(assertion: &str) -> Option<String> {
    let header = assertion.split('.').next().and_then(|part| URL_SAFE_NO_PAD.decode(part).ok())?;
    let header: Map<String, Value> = serde_json::from_slice(&header).ok()?;
    header.get("alg").and_then(Value::as_str).map(str::to_owned)
}

fn check_claims(claims: &Map<String, Value>, trusted: &TrustedIssuer, now: DateTime<Utc>) -> Result<(), OAuthError> {
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    // RFC 7523 §3 item 1.
    if text("iss") != Some(trusted.issuer.as_str()) {
        return Err(refused("assertion iss is not this trusted issuer"));
    }
    // RFC 7523 §3 item 3: the audience this auth server was given, alone or among others.
    let audience_ok = match claims.get("aud") {
        Some(Value::String(aud)) => *aud == trusted.audience,
        Some(Value::Array(auds)) => auds.iter().any(|aud| aud.as_str() == Some(trusted.audience.as_str())),
        _ => false,
    };
    if !audience_ok {
        return Err(refused(format!("assertion aud must include {}", trusted.audience)));
    }
    // RFC 7519 §2: NumericDate values are numbers; one of another type is refused, not skipped.
    let time = |name: &str| {
        jwt::numeric_date(claims, name).map_err(|_| refused(format!("assertion {name} must be an integer")))
    };
    let now_seconds = now.timestamp();
    // RFC 7523 §3 item 4.
    let expires = time("exp")?.ok_or_else(|| refused("assertion must have exp"))?;
    if expires.saturating_add(SKEW_SECONDS) <= now_seconds {
        return Err(refused("assertion has expired"));
    }
    // RFC 7523 §3 item 5.
    if time("nbf")?.is_some_and(|nbf| nbf > now_seconds + SKEW_SECONDS) {
        return Err(refused("assertion is not valid yet (nbf)"));
    }
    // RFC 7523 §3 item 6: the issuer's maximum age, by `iat`.
    let issued = time("iat")?.ok_or_else(|| refused("assertion must have iat"))?;
    if issued > now_seconds + SKEW_SECONDS {
        return Err(refused("assertion iat is in the future"));
    }
    if now_seconds.saturating_sub(issued) > trusted.max_token_age_secs + SKEW_SECONDS {
        return Err(refused(format!("assertion is older than {} seconds (iat)", trusted.max_token_age_secs)));
    }
    // RFC 7523 §3 item 2.
    text("sub").filter(|sub| !sub.is_empty()).ok_or_else(|| refused("assertion must have sub"))?;
    for (name, expected) in &trusted.claim_conditions {
        if text(name) != Some(expected.as_str()) {
            return Err(refused(format!("assertion claim {name} does not meet this trusted issuer's condition")));
        }
    }
    Ok(())
}

/// A verified token as an assertion: its subject mapped to a client (RFC 7523 §3 item 2) and its
/// `jti` made into the id its single use is recorded under (item 7).
fn as_assertion(
    claims: &Map<String, Value>,
    trusted: &TrustedIssuer,
    now: DateTime<Utc>,
) -> Result<Verified, OAuthError> {
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    let number = |name: &str| claims.get(name).and_then(Value::as_i64).unwrap_or_default();
    let subject = text("sub").unwrap_or_default();
    let client_id = trusted
        .client_for(subject)
        .cloned()
        .ok_or_else(|| refused("assertion sub matches no subject of this trusted issuer"))?;
    let (expires, issued) = (number("exp"), number("iat"));
    // RFC 7523 §3 item 7: single use, remembered while the assertion could still be accepted.
    let jti = text("jti").filter(|jti| !jti.is_empty() && jti.len() <= 255);
    let jti = jti.ok_or_else(|| refused("assertion must have a jti of 1 to 255 characters"))?;
    let digest =
        sha2::Sha256::digest(format!("{}\u{0}{}\u{0}{jti}", trusted.auth_server_id, trusted.issuer).as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    let last_accepted = expires.min(issued.saturating_add(trusted.max_token_age_secs)).saturating_add(SKEW_SECONDS);
    Ok(Verified {
        client_id,
        copied: copied_claims(claims, trusted),
        use_id: Uuid::from_bytes(bytes),
        remember_until: DateTime::from_timestamp(last_accepted, 0).unwrap_or(now),
    })
}

/// The claims of a verified token the trusted issuer copies into the tokens issued for it.
pub fn copied_claims(claims: &Map<String, Value>, trusted: &TrustedIssuer) -> Vec<(String, Value)> {
    trusted.copy_claims.iter().filter_map(|name| claims.get(name).map(|value| (name.clone(), value.clone()))).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::domain::SigningAlgorithm;
    use crate::domain::trusted_issuer::{IssuerKeys, SubjectMapping, SubjectPattern};
    use crate::domain::{ClientId, Name};
    use crate::keys::{Signer, generate};

    const ISSUER: &str = "https://token.actions.githubusercontent.com";
    const AUDIENCE: &str = "https://tessera.example/abc/auth";

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

    fn trusted(key: &Key) -> TrustedIssuer {
        let now = Utc::now();
        TrustedIssuer {
            id: Uuid::new_v4(),
            auth_server_id: Uuid::nil(),
            name: Name::parse("github".into()).unwrap_or_else(|e| unreachable!("{e:?}")),
            issuer: ISSUER.into(),
            keys: IssuerKeys::Jwks(key.jwks.clone()),
            algorithms: vec![SigningAlgorithm::RS256, SigningAlgorithm::ES256],
            audience: AUDIENCE.into(),
            max_token_age_secs: 600,
            subjects: vec![SubjectMapping {
                subject: SubjectPattern::parse("repo:acme/*:ref:refs/heads/main".into())
                    .unwrap_or_else(|e| unreachable!("{e:?}")),
                client_id: ClientId::parse("deployer").unwrap_or_else(|e| unreachable!("{e:?}")),
            }],
            claim_conditions: BTreeMap::from([("repository_owner".to_owned(), "acme".to_owned())]),
            copy_claims: vec!["repository".into(), "absent".into()],
            enabled: true,
            created_at: now,
            updated_at: now,
        }
    }

    fn claims(now: DateTime<Utc>) -> Value {
        json!({"iss": ISSUER, "sub": "repo:acme/billing:ref:refs/heads/main", "aud": [AUDIENCE, "other"],
               "repository": "acme/billing", "repository_owner": "acme", "jti": "j-1",
               "iat": now.timestamp() - 30, "nbf": now.timestamp() - 30, "exp": now.timestamp() + 300})
    }

    fn verified(key: &Key, trusted: &TrustedIssuer, claims: &Value, now: DateTime<Utc>) -> Result<Verified, String> {
        let assertion = key.signer.sign(claims).unwrap_or_default();
        match verify(&assertion, trusted, &key.jwks, now) {
            Ok(result) => result.map_err(|e| e.description),
            Err(keys) => Err(format!("keys: {keys:?}")),
        }
    }

    #[test]
    fn a_token_of_a_trusted_issuer_maps_its_subject_to_a_client() {
        let now = Utc::now();
        for algorithm in [SigningAlgorithm::RS256, SigningAlgorithm::ES256] {
            let key = new_key(algorithm);
            let trusted = trusted(&key);
            let verified = verified(&key, &trusted, &claims(now), now).unwrap_or_else(|e| unreachable!("{e}"));
            assert_eq!(verified.client_id.as_str(), "deployer");
            assert_eq!(verified.copied, vec![("repository".to_owned(), json!("acme/billing"))]);
            assert!(verified.remember_until <= now + chrono::TimeDelta::seconds(600 + SKEW_SECONDS));
            assert_eq!(
                unverified_issuer(&key.signer.sign(&claims(now)).unwrap_or_default()).ok().as_deref(),
                Some(ISSUER)
            );
        }
    }

    #[test]
    fn every_check_refuses_with_the_name_of_what_failed() {
        let now = Utc::now();
        let key = new_key(SigningAlgorithm::ES256);
        let trusted = trusted(&key);
        let with = |change: &dyn Fn(&mut Value)| {
            let mut c = claims(now);
            change(&mut c);
            c
        };
        let remove = |name: &'static str| with(&move |c| drop(c.as_object_mut().and_then(|o| o.remove(name))));
        let cases = [
            (with(&|c| c["iss"] = json!("https://evil.example")), "iss"),
            (with(&|c| c["aud"] = json!("https://elsewhere.example")), "aud must include"),
            (with(&|c| c["aud"] = json!(["a", "b"])), "aud must include"),
            (remove("aud"), "aud must include"),
            (remove("exp"), "must have exp"),
            (with(&|c| c["exp"] = json!(now.timestamp() - 120)), "expired"),
            (with(&|c| c["exp"] = json!("soon")), "exp must be an integer"),
            (with(&|c| c["nbf"] = json!(now.timestamp() + 600)), "nbf"),
            (remove("iat"), "must have iat"),
            (with(&|c| c["iat"] = json!(now.timestamp() + 600)), "iat is in the future"),
            (with(&|c| c["iat"] = json!(now.timestamp() - 3600)), "older than 600 seconds"),
            (remove("sub"), "must have sub"),
            (with(&|c| c["sub"] = json!("repo:evil/x:ref:refs/heads/main")), "matches no subject"),
            (with(&|c| c["sub"] = json!("repo:acme/billing:ref:refs/heads/dev")), "matches no subject"),
            (with(&|c| c["repository_owner"] = json!("evil")), "repository_owner"),
            (remove("repository_owner"), "repository_owner"),
            (remove("jti"), "jti"),
            (with(&|c| c["jti"] = json!("x".repeat(256))), "jti"),
        ];
        for (claims, reason) in cases {
            let refused = verified(&key, &trusted, &claims, now).expect_err(reason);
            assert!(refused.contains(reason), "{reason}: {refused}");
            assert!(!refused.contains("acme/billing") && !refused.contains("evil"), "no token content: {refused}");
        }
    }

    #[test]
    fn a_wrong_key_an_unlisted_algorithm_none_and_hmac_never_pass() {
        let now = Utc::now();
        let key = new_key(SigningAlgorithm::ES256);
        let other = new_key(SigningAlgorithm::ES256);
        let mut trusted = trusted(&key);
        let signed_by_other = other.signer.sign(&claims(now)).unwrap_or_default();
        assert!(matches!(verify(&signed_by_other, &trusted, &key.jwks, now), Err(KeysFailed::UnknownKid)));
        trusted.algorithms = vec![SigningAlgorithm::RS256];
        let refused = verified(&key, &trusted, &claims(now), now).unwrap_err();
        assert!(refused.contains("alg must be one of RS256"), "{refused}");
        let body = URL_SAFE_NO_PAD.encode(claims(now).to_string());
        for header in [r#"{"alg":"none","typ":"JWT"}"#, r#"{"alg":"HS256","typ":"JWT"}"#] {
            let forged = format!("{}.{body}.c2ln", URL_SAFE_NO_PAD.encode(header));
            let result = verify(&forged, &trusted, &key.jwks, now);
            assert!(matches!(result, Ok(Err(_))), "{header}");
        }
        assert!(unverified_issuer(&"x".repeat(MAX_ASSERTION_LENGTH + 1)).is_err());
        assert!(unverified_issuer("not-a-jwt").is_err());
    }
}
