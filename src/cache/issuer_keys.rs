//! Trusted issuers' public keys fetched from their `jwks_uri`, held per node: fetched on first
//! use, kept for [`FRESH_FOR`], fetched again early when an assertion names a `kid` the keys
//! lack (the issuer rotated), at most once per [`REFETCH_AFTER`] so that assertions with made-up
//! `kid`s cannot make Tessera hammer the issuer. Every fetch is bounded in time and size and
//! follows no redirect.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::locks::KeyedLocks;
use super::{read, write};
use crate::domain::jwks::ClientJwks;

/// How long fetched keys are used without asking again.
pub const FRESH_FOR: Duration = Duration::from_secs(600);
/// The soonest the keys of one `jwks_uri` are fetched again for an unknown `kid`.
pub const REFETCH_AFTER: Duration = Duration::from_secs(5);
/// A whole fetch, connection to last byte.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest JWK Set read.
pub const MAX_BODY: usize = 256 * 1024;
/// Past this many `jwks_uri`s, the fetched keys start over.
const MAX_URIS: usize = 1_000;

#[derive(Clone, Debug, thiserror::Error)]
pub enum FetchError {
    #[error("cannot reach the issuer's jwks_uri")]
    Unreachable,
    #[error("the issuer's jwks_uri answered {0}")]
    Status(u16),
    #[error("the issuer's jwks_uri sent more than {MAX_BODY} bytes")]
    TooLarge,
    #[error("the issuer's jwks_uri sent no usable signing key")]
    NoKeys,
}

struct Fetched {
    jwks: Arc<ClientJwks>,
    at: Instant,
}

pub struct IssuerKeys {
    http: reqwest::Client,
    fetched: RwLock<HashMap<String, Fetched>>,
    /// The last failed fetch per uri, answered again for [`REFETCH_AFTER`] without asking: an
    /// issuer that hangs costs one timeout per pause, not one per waiting request in turn.
    failed: RwLock<HashMap<String, (Instant, FetchError)>>,
    fetching: KeyedLocks<String>,
}

impl Default for IssuerKeys {
    fn default() -> Self {
        let http = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .connect_timeout(FETCH_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("tessera/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        IssuerKeys { http, fetched: RwLock::default(), failed: RwLock::default(), fetching: KeyedLocks::default() }
    }
}

impl IssuerKeys {
    /// The keys at `uri`: the ones held while fresh, otherwise fetched. With `unknown_kid`,
    /// fetched again unless they were fetched less than [`REFETCH_AFTER`] ago.
    pub async fn get(&self, uri: &str, unknown_kid: bool) -> Result<Arc<ClientJwks>, FetchError> {
        let usable = |fetched: &Fetched| {
            let age = fetched.at.elapsed();
            if unknown_kid { age < REFETCH_AFTER } else { age < FRESH_FOR }
        };
        if let Some(fetched) = read(&self.fetched).get(uri).filter(|f| usable(f)) {
            return Ok(fetched.jwks.clone());
        }
        // One fetch per uri at a time; those who waited use its result.
        let _fetching = self.fetching.lock(&uri.to_owned()).await;
        if let Some(fetched) = read(&self.fetched).get(uri).filter(|f| f.at.elapsed() < REFETCH_AFTER || usable(f)) {
            return Ok(fetched.jwks.clone());
        }
        // The issuer is away: the keys it last published still verify what it signed then.
        let stale_or = |e: FetchError| read(&self.fetched).get(uri).map(|f| f.jwks.clone()).ok_or(e);
        let recent_failure =
            read(&self.failed).get(uri).filter(|(at, _)| at.elapsed() < REFETCH_AFTER).map(|(_, e)| e.clone());
        if let Some(e) = recent_failure {
            return stale_or(e);
        }
        let jwks = match self.fetch(uri).await {
            Ok(jwks) => Arc::new(jwks),
            Err(e) => {
                let mut failed = write(&self.failed);
                if failed.len() >= MAX_URIS {
                    failed.clear();
                }
                failed.insert(uri.to_owned(), (Instant::now(), e.clone()));
                return stale_or(e);
            }
        };
        write(&self.failed).remove(uri);
        let mut fetched = write(&self.fetched);
        if fetched.len() >= MAX_URIS {
            fetched.clear();
        }
        fetched.insert(uri.to_owned(), Fetched { jwks: jwks.clone(), at: Instant::now() });
        Ok(jwks)
    }

    async fn fetch(&self, uri: &str) -> Result<ClientJwks, FetchError> {
        let mut response = self.http.get(uri).send().await.map_err(|e| {
            tracing::warn!(error = %e, jwks_uri = uri, "cannot fetch a trusted issuer's keys");
            FetchError::Unreachable
        })?;
        if !response.status().is_success() {
            return Err(FetchError::Status(response.status().as_u16()));
        }
        if response.content_length().is_some_and(|length| length > MAX_BODY as u64) {
            return Err(FetchError::TooLarge);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|_| FetchError::Unreachable)? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(FetchError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        usable_keys(&body).ok_or(FetchError::NoKeys)
    }
}

/// The keys of a fetched JWK Set that Tessera can verify with: an issuer may publish others
/// (encryption keys, algorithms Tessera does not take) beside them, which are skipped.
fn usable_keys(body: &[u8]) -> Option<ClientJwks> {
    let set: Value = serde_json::from_slice(body).ok()?;
    let keys: Vec<Value> = set
        .get("keys")?
        .as_array()?
        .iter()
        .filter(|key| key.get("use").and_then(Value::as_str).is_none_or(|usage| usage == "sig"))
        .filter(|key| ClientJwks::parse(serde_json::json!({ "keys": [key] })).is_ok())
        .take(crate::domain::jwks::MAX_KEYS)
        .cloned()
        .collect();
    ClientJwks::parse(serde_json::json!({ "keys": keys })).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_tessera_cannot_use_are_skipped_and_none_usable_is_none() {
        let generated =
            crate::keys::generate(crate::domain::SigningAlgorithm::ES256).unwrap_or_else(|e| unreachable!("{e}"));
        let body = serde_json::json!({"keys": [
            {"kty": "oct", "k": "c2VjcmV0"},
            {"kty": "RSA", "use": "enc", "n": "AQAB", "e": "AQAB"},
            generated.public_jwk,
        ]});
        let usable = usable_keys(body.to_string().as_bytes()).unwrap_or_else(|| unreachable!());
        assert_eq!(usable.as_value()["keys"].as_array().map(Vec::len), Some(1));
        assert!(usable_keys(br#"{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}"#).is_none());
        assert!(usable_keys(b"<html>").is_none());
    }
}
