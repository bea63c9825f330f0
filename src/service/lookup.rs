//! The lookup API for gateways (a Tessera extension, in the style of RFC 7662): which principal
//! of a directory a presented API key or basic-auth pair stands for, or which principal an
//! identity (an OIDC issuer and claim, a custom key and value, an auth server's client)
//! resolves to.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::cache::api_key_digests::ApiKeyDigests;
use crate::domain::api_key::ApiKeySecret;
use crate::domain::identity::IdentityKey;
use crate::domain::principal::Principal;
use crate::hashing::{Busy, Hasher};
use crate::store::{self, Store};

/// A credential a caller presented to a gateway.
pub enum Presented {
    ApiKey(String),
    Basic { username: String, password: String },
}

#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error(transparent)]
    Busy(#[from] Busy),
}

impl From<crate::service::basic_auth::AuthenticateError> for LookupError {
    fn from(error: crate::service::basic_auth::AuthenticateError) -> Self {
        match error {
            crate::service::basic_auth::AuthenticateError::Store(e) => LookupError::Store(e),
            crate::service::basic_auth::AuthenticateError::Busy(e) => LookupError::Busy(e),
        }
    }
}

/// The principal of `directory_id` the credential authenticates at `now`, if any, and until
/// when the credential may (its expiry): an API key by one indexed lookup of its keyed digest
/// (no Argon2), a basic-auth pair by its passwords.
pub async fn authenticate(
    store: &Store,
    digests: &ApiKeyDigests,
    hasher: &Hasher,
    directory_id: Uuid,
    presented: &Presented,
    now: DateTime<Utc>,
) -> Result<Option<(Principal, Option<DateTime<Utc>>)>, LookupError> {
    let authenticated = match presented {
        Presented::ApiKey(key) => {
            let keys = digests.keys().await?;
            store::api_keys::principal_for_key(store, keys, directory_id, &ApiKeySecret::presented(key), now).await?
        }
        Presented::Basic { username, password } => {
            crate::service::basic_auth::authenticate_basic(store, hasher, directory_id, username, password, now).await?
        }
    };
    let Some(authenticated) = authenticated else { return Ok(None) };
    let found = principal(store, directory_id, Some(authenticated.principal_id)).await?;
    Ok(found.map(|principal| (principal, authenticated.valid_until)))
}

/// The principal of `directory_id` the identity belongs to, if any.
pub async fn resolve(store: &Store, directory_id: Uuid, key: &IdentityKey) -> Result<Option<Principal>, store::Error> {
    let found = store::identities::principal_for_identity(store, Some(directory_id), key).await?;
    principal(store, directory_id, found.map(|(_, principal_id)| principal_id)).await
}

async fn principal(store: &Store, directory_id: Uuid, id: Option<Uuid>) -> Result<Option<Principal>, store::Error> {
    let Some(id) = id else { return Ok(None) };
    match store::principals::get(store, directory_id, id).await {
        Ok(principal) => Ok(Some(principal)),
        // Deleted between the two reads: as if never found.
        Err(store::Error::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}
