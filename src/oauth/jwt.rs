//! What the checks of signed JWTs from outside share (`private_key_jwt` assertions, trusted
//! issuers' tokens): reading the payload before it can be verified, the header's algorithm,
//! verifying with candidate keys, and NumericDate claims (RFC 7519 §2).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::domain::SigningAlgorithm;
use crate::keys::Verifier;

/// Longest JWT from outside read (assertions, subject and actor tokens): a Kubernetes token is
/// about 1 KiB, a GitHub Actions one 2 KiB; far more than any signed set of claims needs.
pub const MAX_LENGTH: usize = 16 * 1024;

/// The payload of a compact JWS, read without verifying it: only to find whose keys must.
pub fn unverified_payload(token: &str) -> Option<Map<String, Value>> {
    let part = token.split('.').nth(1)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
}

/// The header's `alg` when it is one Tessera verifies (asymmetric: never `none` or HMAC,
/// RFC 8725 §3.1).
pub fn algorithm(header: &jsonwebtoken::Header) -> Option<SigningAlgorithm> {
    let name = serde_json::to_value(header.alg).ok()?;
    SigningAlgorithm::parse(name.as_str()?).ok()
}

/// The claims of `token` if one of `candidates` (JWKs of the right type) verifies it with
/// `algorithm`, and only that algorithm.
pub fn verify_with<'k>(
    token: &str,
    candidates: impl IntoIterator<Item = &'k Map<String, Value>>,
    algorithm: SigningAlgorithm,
) -> Option<Map<String, Value>> {
    candidates.into_iter().find_map(|key| {
        let mut jwk = key.clone();
        jwk.insert("alg".into(), Value::String(algorithm.as_str().to_owned()));
        jwk.entry("kid").or_insert_with(|| Value::String(String::new()));
        Verifier::from_jwk(&Value::Object(jwk)).ok()?.verify(token)
    })
}

/// A claim that should be a NumericDate and is not a number.
#[derive(Debug)]
pub struct NotNumericDate;

/// A NumericDate claim (RFC 7519 §2): absent, or an integer; any other type is an error, never
/// skipped.
pub fn numeric_date(claims: &Map<String, Value>, name: &str) -> Result<Option<i64>, NotNumericDate> {
    match claims.get(name) {
        None => Ok(None),
        Some(value) => value.as_i64().map(Some).ok_or(NotNumericDate),
    }
}
