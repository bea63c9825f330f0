//! Basic authentication against a directory's basic-auth credentials (RFC 7617), for the
//! lookup API: which principal, if any, a username and password stand for.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::secret::ClientSecret;
use crate::hashing::{Busy, Hasher};
use crate::store::{self, Store};

/// Why an authentication could not be decided.
#[derive(Debug, thiserror::Error)]
pub enum AuthenticateError {
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error(transparent)]
    Busy(#[from] Busy),
}

/// The principal whose `username` in the directory has an unexpired password equal to
/// `password` at `now`; `None` otherwise. Every unexpired password of the username is checked
/// (one Argon2 verification each, even after a match), and a username that is unknown or has
/// none costs one decoy verification, so timing tells little about which usernames exist.
pub async fn authenticate_basic(
    store: &Store,
    hasher: &Hasher,
    directory_id: Uuid,
    username: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, AuthenticateError> {
    // A password no credential could hold (empty, too long, control characters) matches none.
    let Ok(secret) = ClientSecret::parse(password.to_owned()) else { return Ok(None) };
    match store::basic_auths::password_hashes(store, directory_id, username, now).await? {
        Some((principal_id, hashes)) if !hashes.is_empty() => {
            Ok(hasher.matches_any_checking_each(&secret, hashes).await?.then_some(principal_id))
        }
        _ => {
            hasher.check_decoy(&secret).await?;
            Ok(None)
        }
    }
}
