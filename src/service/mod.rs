//! What each issuer endpoint does, free of HTTP: the protocol rules of [`crate::oauth`]
//! applied to one auth server with the store, the caches, the keys and the clock.
//!
//! Why a layer of its own: `oauth/` stays pure (no I/O, so every rule is a unit test), and
//! `http/` stays an adapter (read the request, call one function here, write the answer).
//! Between them sits the work that needs both a rule and a database: authenticating a client,
//! redeeming a code exactly once, rotating a refresh token, recording a minted token. Each
//! endpoint takes a [`Context`] (what it may touch, and `now`) and plain inputs (the form, the
//! `Authorization` header's value), and answers with a typed result or an [`OAuthError`].
//!
//! ```text
//!  http/issuer/token.rs ─▶ grants::exchange ─▶ client_auth ─▶ TokenRequest::parse ─▶ match
//!      ├─ client_credentials ─▶ oauth::scope ─▶ mint (claims, sign, token log) ─▶ TokenResponse
//!      ├─ authorization_code ─▶ oauth::flow (open code) ─▶ store::grants (once) ─▶ mint ─▶ refresh family
//!      └─ refresh_token ─────▶ store::refresh_tokens (rotate) ─▶ mint
//! ```

pub mod admin_auth;
pub mod authorize;
pub mod basic_auth;
pub mod client_auth;
pub mod console_session;
pub mod federation;
pub mod grants;
pub mod introspect;
pub mod lookup;
pub mod mint;
pub mod registration;
pub mod revoke;
pub mod userinfo;

use chrono::{DateTime, Utc};

use crate::cache::flow_keys::FlowKeys;
use crate::cache::{Cache, CacheError, ServerEntry};
use crate::oauth::OAuthError;
use crate::oauth::bearer::Refusal;
use crate::store::{self, Store, TokenLog};

/// What an issuer endpoint works with: one auth server as cached, the node's shared state, and
/// the instant the request is handled (time is a parameter, so rules are testable).
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub store: &'a Store,
    pub cache: &'a Cache,
    pub token_log: &'a TokenLog,
    pub use_log: &'a crate::store::UseLog,
    pub flows: &'a FlowKeys,
    pub entry: &'a ServerEntry,
    /// The issuer identifier (OpenID Connect Discovery §3: `iss` of every token).
    pub issuer: &'a str,
    pub now: DateTime<Utc>,
    /// Rate limits and failed-authentication backoff of this node.
    pub limiter: &'a crate::limits::Limiter,
    /// The request's source address (behind trusted proxies, the client's).
    pub source: std::net::IpAddr,
}

/// A database failure during an issuer request: retryable when the database is away,
/// otherwise a server error. The cause goes to the log, never to the client.
impl From<store::Error> for OAuthError {
    fn from(error: store::Error) -> Self {
        match error {
            store::Error::Unavailable(cause) => {
                tracing::warn!(error = %cause, "database unavailable");
                OAuthError::temporarily_unavailable()
            }
            other => {
                tracing::error!(error = %other, "database error");
                OAuthError::server_error()
            }
        }
    }
}

impl From<CacheError> for OAuthError {
    fn from(error: CacheError) -> Self {
        match error {
            CacheError::Store(error) => error.into(),
            CacheError::Key(error) => {
                tracing::error!(%error, "a stored signing key cannot be used");
                OAuthError::server_error()
            }
        }
    }
}

/// The Argon2 pool is full: `temporarily_unavailable` (503, `Retry-After`) at once.
impl From<crate::hashing::Busy> for OAuthError {
    fn from(_: crate::hashing::Busy) -> Self {
        OAuthError::temporarily_unavailable()
    }
}

impl From<crate::hashing::Busy> for Refusal {
    fn from(busy: crate::hashing::Busy) -> Self {
        Refusal::OAuth(busy.into())
    }
}

impl From<store::Error> for Refusal {
    fn from(error: store::Error) -> Self {
        Refusal::OAuth(error.into())
    }
}

impl From<CacheError> for Refusal {
    fn from(error: CacheError) -> Self {
        Refusal::OAuth(error.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_fault_is_a_server_error_that_reveals_nothing() {
        let error = OAuthError::from(store::Error::Corrupt("secret detail".to_owned()));
        assert_eq!((error.error, error.status), ("server_error", 500));
        assert!(!error.description.contains("secret detail"));
        let refusal = Refusal::from(store::Error::NotFound);
        assert!(matches!(refusal, Refusal::OAuth(OAuthError { status: 500, .. })));
    }
}
