//! Web console sessions: an admin credential's token, presented once at sign-in, exchanged for
//! a random session token the browser keeps in an `HttpOnly` cookie. A session ends when it
//! has been idle too long, at its absolute lifetime, at sign-out, or when its credential is
//! disabled, expires, is rotated or is deleted (checked on every request, on every node).
//!
//! Cross-site request forgery: the cookie is `SameSite=Strict`, and every request it
//! authenticates must also carry the session's CSRF token in a header, which only a page of
//! this origin can read (from `GET /console/session`) and set.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::domain::admin::AdminCredential;
use crate::domain::secret::token_digest;
use crate::service::admin_auth::{self, Refused};
use crate::store::{self, Store};

/// However active, a session ends this long after sign-in.
pub const ABSOLUTE_LIFETIME: TimeDelta = TimeDelta::hours(12);

/// Live sessions one credential may have; a further sign-in ends its oldest. Enough for one
/// person's browsers and a team sharing a credential.
pub const SESSIONS_PER_CREDENTIAL: i64 = 20;

/// How long a session lasts without requests, and since when.
#[derive(Clone, Copy, Debug)]
pub struct Lifetime {
    pub idle: TimeDelta,
}

impl Lifetime {
    /// Whether a session started at `created` and last used at `last_seen` has ended at `now`.
    pub fn ended(&self, created: DateTime<Utc>, last_seen: DateTime<Utc>, now: DateTime<Utc>) -> Option<Ended> {
        if now - created >= ABSOLUTE_LIFETIME {
            Some(Ended::TooOld)
        } else if now - last_seen >= self.idle {
            Some(Ended::Idle)
        } else {
            None
        }
    }

    /// Whether the last use is old enough to be worth a write: a tenth of the idle timeout,
    /// so a busy console writes at most ten times per idle period.
    fn worth_touching(&self, last_seen: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        now - last_seen >= self.idle / 10
    }
}

/// Why a session cookie no longer signs anyone in.
#[derive(Debug, thiserror::Error)]
pub enum Ended {
    #[error("there is no such console session (signed out, or its credential was rotated or deleted)")]
    Unknown,
    #[error("the console session has been idle too long")]
    Idle,
    #[error("the console session has reached its maximum lifetime")]
    TooOld,
    #[error(transparent)]
    Unusable(#[from] crate::domain::admin::Unusable),
    #[error(transparent)]
    Store(#[from] store::Error),
}

/// A signed-in session: who, and the token its requests must carry.
#[derive(Debug)]
pub struct Session {
    pub credential: AdminCredential,
    pub csrf_token: String,
}

/// Signs in with an admin credential's token: the new session's token (for the cookie) and
/// the session.
pub async fn sign_in(store: &Store, token: &str, now: DateTime<Utc>) -> Result<(String, Session), Refused> {
    let credential = admin_auth::authenticate(store, token, now).await?;
    let session_token = crate::domain::random::alphanumeric(43);
    let (id_hash, token_hash) = (token_digest(&session_token), token_digest(token));
    store::console_sessions::insert(store, &id_hash, credential.id, &token_hash, now, SESSIONS_PER_CREDENTIAL).await?;
    let csrf_token = csrf_token(&session_token);
    Ok((session_token, Session { credential, csrf_token }))
}

/// The session a cookie holds, if it is still in force at `now`; notes its use.
pub async fn resume(
    store: &Store,
    session_token: &str,
    lifetime: Lifetime,
    now: DateTime<Utc>,
) -> Result<Session, Ended> {
    let id_hash = token_digest(session_token);
    let stored = store::console_sessions::get(store, &id_hash).await?.ok_or(Ended::Unknown)?;
    if let Some(ended) = lifetime.ended(stored.created_at, stored.last_seen_at, now) {
        store::console_sessions::delete(store, &id_hash).await?;
        return Err(ended);
    }
    if let Err(unusable) = stored.credential.check_usable(now) {
        // Over for good: extending the credential's expiry does not bring the session back.
        store::console_sessions::delete(store, &id_hash).await?;
        return Err(unusable.into());
    }
    if lifetime.worth_touching(stored.last_seen_at, now) {
        store::console_sessions::touch(store, &id_hash, now).await?;
    }
    Ok(Session { credential: stored.credential, csrf_token: csrf_token(session_token) })
}

/// Deletes the sessions that have ended by `now` (the cleanup loop; `resume` ends them too).
pub async fn purge_ended(store: &Store, lifetime: Lifetime, now: DateTime<Utc>) {
    match store::console_sessions::purge(store, now - lifetime.idle, now - ABSOLUTE_LIFETIME).await {
        Ok(0) => {}
        Ok(purged) => tracing::debug!(purged, "purged ended console sessions"),
        Err(e) => tracing::warn!(error = %e, "cannot purge ended console sessions"),
    }
}

pub async fn sign_out(store: &Store, session_token: &str) -> Result<(), store::Error> {
    store::console_sessions::delete(store, &token_digest(session_token)).await
}

/// The session's CSRF token: derived from the session token by a one-way hash, so it needs no
/// storage and reveals nothing of the cookie.
pub fn csrf_token(session_token: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(b"tessera console csrf\0");
    hash.update(session_token.as_bytes());
    URL_SAFE_NO_PAD.encode(hash.finalize())
}

/// Whether a request's CSRF header matches its session (constant time).
pub fn csrf_matches(session: &Session, presented: Option<&str>) -> bool {
    presented.is_some_and(|presented| bool::from(presented.as_bytes().ct_eq(session.csrf_token.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap()
    }

    #[test]
    fn a_session_ends_when_idle_or_too_old_whichever_comes_first() {
        let lifetime = Lifetime { idle: TimeDelta::minutes(30) };
        assert!(lifetime.ended(at(0), at(0), at(29 * 60)).is_none());
        assert!(matches!(lifetime.ended(at(0), at(0), at(30 * 60)), Some(Ended::Idle)));
        let twelve_hours = ABSOLUTE_LIFETIME.num_seconds();
        assert!(lifetime.ended(at(0), at(twelve_hours - 60), at(twelve_hours - 1)).is_none());
        assert!(matches!(lifetime.ended(at(0), at(twelve_hours - 60), at(twelve_hours)), Some(Ended::TooOld)));
    }

    #[test]
    fn a_session_is_touched_at_most_ten_times_per_idle_period() {
        let lifetime = Lifetime { idle: TimeDelta::minutes(30) };
        assert!(!lifetime.worth_touching(at(0), at(179)));
        assert!(lifetime.worth_touching(at(0), at(180)));
    }

    #[test]
    fn the_csrf_token_is_the_sessions_own_and_reveals_nothing_of_it() {
        let csrf = csrf_token("session-a");
        assert_eq!(csrf, csrf_token("session-a"));
        assert_ne!(csrf, csrf_token("session-b"));
        assert!(!csrf.contains("session-a"));
        assert_eq!(csrf.len(), 43);
    }
}
