//! Tokens presented for exchange whose signature this node has checked, by SHA-256 of the
//! token, until they expire or a minute passes: a gateway that exchanges the same caller's
//! token for each call it makes pays for one signature check, not one per call. Each auth
//! server's cached entry holds its own, so any change to its configuration (signing keys,
//! trusted issuers) starts over with nothing verified. Only the signature and times are
//! remembered; revocation, policy and type are checked on every use.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{Map, Value};
use sha2::Digest;

/// Most tokens remembered per auth server; past it, the expired go, and if none has, all.
const MAX_TOKENS: usize = 10_000;
/// Longest a verification is trusted without checking the signature again.
pub const HOLD_SECONDS: i64 = 60;

struct Held {
    claims: Arc<Map<String, Value>>,
    until: i64,
}

#[derive(Default)]
pub struct VerifiedTokens {
    held: Mutex<HashMap<[u8; 32], Held>>,
}

impl VerifiedTokens {
    /// The claims of `token` as verified earlier, while that still holds at `now` (Unix seconds).
    pub fn get(&self, token: &str, now: i64) -> Option<Arc<Map<String, Value>>> {
        let held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        held.get(&digest(token)).filter(|held| held.until > now).map(|held| held.claims.clone())
    }

    /// Remembers `token` as verified, with `claims`, until `until` (Unix seconds) or
    /// [`HOLD_SECONDS`] from `now`, whichever is sooner.
    pub fn put(&self, token: &str, claims: Arc<Map<String, Value>>, until: i64, now: i64) {
        let until = until.min(now + HOLD_SECONDS);
        if until <= now {
            return;
        }
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        if held.len() >= MAX_TOKENS {
            held.retain(|_, held| held.until > now);
            if held.len() >= MAX_TOKENS {
                held.clear();
            }
        }
        held.insert(digest(token), Held { claims, until });
    }
}

fn digest(token: &str) -> [u8; 32] {
    sha2::Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verification_is_held_until_the_token_expires_or_a_minute_passes() {
        let tokens = VerifiedTokens::default();
        let claims = Arc::new(Map::new());
        tokens.put("a.b.c", claims.clone(), 1_000 + 30, 1_000);
        assert!(tokens.get("a.b.c", 1_029).is_some());
        assert!(tokens.get("a.b.c", 1_030).is_none(), "expired with the token");
        assert!(tokens.get("a.b.d", 1_000).is_none());
        tokens.put("x.y.z", claims.clone(), 10_000, 1_000);
        assert!(tokens.get("x.y.z", 1_000 + HOLD_SECONDS - 1).is_some());
        assert!(tokens.get("x.y.z", 1_000 + HOLD_SECONDS).is_none(), "checked again after a minute");
        tokens.put("old", claims, 999, 1_000);
        assert!(tokens.get("old", 1_000).is_none(), "an expired token is never held");
    }

    #[test]
    fn a_full_cache_starts_over() {
        let tokens = VerifiedTokens::default();
        for n in 0..MAX_TOKENS + 1 {
            tokens.put(&n.to_string(), Arc::new(Map::new()), 2_000, 1_000);
        }
        let held = tokens.held.lock().unwrap_or_else(PoisonError::into_inner).len();
        assert!(held <= MAX_TOKENS, "{held}");
    }
}
