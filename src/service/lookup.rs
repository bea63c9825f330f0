//! The lookup API for gateways (a Tessera extension, in the style of RFC 7662): which principal
//! of a directory a presented API key or basic-auth pair stands for, or which principal an
//! identity (an OIDC issuer and claim, a custom key and value, an auth server's client)
//! resolves to.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::cache::api_key_digests::ApiKeyDigests;
use crate::cache::lookups::{Answers, Found, Lookups};
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

/// The directory's cached answers, loading the directory on a miss ([`store::Error::NotFound`]
/// for an unknown one, which is not remembered).
pub async fn directory(store: &Store, lookups: &Lookups, id: Uuid) -> Result<Arc<Answers>, store::Error> {
    if let Some(answers) = lookups.get(id) {
        return Ok(answers);
    }
    let generation = lookups.generation();
    let directory = store::directories::get(store, id).await?;
    Ok(lookups.insert(directory, generation))
}

/// The principal of the directory the credential authenticates at `now`, if any, and until
/// when the credential may (its expiry). An API key is found by its keyed digest: from the
/// node's answers, or by one indexed lookup (no Argon2); a basic-auth pair by its passwords.
pub async fn authenticate(
    store: &Store,
    lookups: &Lookups,
    digests: &ApiKeyDigests,
    hasher: &Hasher,
    answers: &Answers,
    presented: &Presented,
    now: DateTime<Utc>,
) -> Result<Option<Arc<Found>>, LookupError> {
    let directory_id = answers.directory.id;
    let found = match presented {
        Presented::ApiKey(key) => {
            let keys = digests.keys().await?;
            let secret = ApiKeySecret::presented(key);
            let digest = keys.current.mac(&secret);
            if let Some(found) = answers.key(&digest) {
                return Ok(found.filter(|found| valid_at(found, now)));
            }
            // A miss includes an expired key: expiry only moves by a write, which drops the answers.
            let authenticated = store::api_keys::principal_for_key(store, keys, directory_id, &secret, now).await?;
            let found = match authenticated {
                Some(authenticated) => principal(store, directory_id, authenticated.principal_id)
                    .await?
                    .map(|principal| Found::new(principal, authenticated.valid_until)),
                None => None,
            };
            lookups.remember_key(answers, digest, found)
        }
        Presented::Basic { username, password } => {
            // As client secrets: Argon2 once per pair and node, not per request. A remembered
            // match past its `valid_until` (the soonest expiry among the username's passwords,
            // perhaps not the one that matched) is checked again rather than refused.
            let digest = lookups.password_digest(username, password);
            match answers.password(&digest) {
                Some(Some(found)) if valid_at(&found, now) => return Ok(Some(found)),
                Some(None) => return Ok(None),
                _ => {}
            }
            let found = match crate::service::basic_auth::authenticate_basic(
                store,
                hasher,
                directory_id,
                username,
                password,
                now,
            )
            .await?
            {
                Some(authenticated) => principal(store, directory_id, authenticated.principal_id)
                    .await?
                    .map(|principal| Found::new(principal, authenticated.valid_until)),
                None => None,
            };
            lookups.remember_password(answers, digest, found)
        }
    };
    Ok(found.filter(|found| valid_at(found, now)))
}

fn valid_at(found: &Found, now: DateTime<Utc>) -> bool {
    found.valid_until.is_none_or(|until| until > now)
}

/// The principal of the directory the identity belongs to, if any.
pub async fn resolve(
    store: &Store,
    lookups: &Lookups,
    answers: &Answers,
    key: &IdentityKey,
) -> Result<Option<Arc<Found>>, store::Error> {
    let remembered_as: [u8; 32] = {
        use sha2::Digest as _;
        sha2::Sha256::digest(serde_json::to_string(key).unwrap_or_default().as_bytes()).into()
    };
    if let Some(found) = answers.identity(&remembered_as) {
        return Ok(found);
    }
    let directory_id = answers.directory.id;
    let found = match store::identities::principal_for_identity(store, Some(directory_id), key).await? {
        Some((_, principal_id)) => {
            principal(store, directory_id, principal_id).await?.map(|principal| Found::new(principal, None))
        }
        None => None,
    };
    Ok(lookups.remember_identity(answers, remembered_as, found))
}

async fn principal(store: &Store, directory_id: Uuid, id: Uuid) -> Result<Option<Principal>, store::Error> {
    match store::principals::get(store, directory_id, id).await {
        Ok(principal) => Ok(Some(principal)),
        // Deleted between the two reads: as if never found.
        Err(store::Error::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}
