//! Basic authentication against a directory's basic-auth credentials (RFC 7617), for the
//! lookup API: which principal, if any, a username and password stand for.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::principal::Authenticated;
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
/// `password` at `now`; `None` otherwise. Every lookup costs the same
/// [`MAX_PASSWORDS`](crate::domain::basic_auth::MAX_PASSWORDS) Argon2 verifications: each
/// unexpired password of the username (even after a match), then decoys for the rest, so the
/// time taken tells neither whether the username exists nor how many passwords it has.
pub async fn authenticate_basic(
    store: &Store,
    hasher: &Hasher,
    directory_id: Uuid,
    username: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<Option<Authenticated>, AuthenticateError> {
    // A password no credential could hold (empty, too long, control characters) matches none.
    let Ok(secret) = ClientSecret::parse(password.to_owned()) else { return Ok(None) };
    let stored = store::basic_auths::password_hashes(store, directory_id, username, now).await?;
    let checked = stored.as_ref().map_or(0, |(_, hashes, _)| hashes.len());
    let found = match stored {
        Some((principal_id, hashes, valid_until)) if !hashes.is_empty() => hasher
            .matches_any_checking_each(&secret, hashes)
            .await?
            .then_some(Authenticated { principal_id, valid_until }),
        _ => None,
    };
    let decoys = usize::try_from(crate::domain::basic_auth::MAX_PASSWORDS).unwrap_or(2).saturating_sub(checked);
    for _ in 0..decoys {
        hasher.check_decoy(&secret).await?;
    }
    Ok(found)
}
