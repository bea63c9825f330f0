//! Authenticating /v1 callers by their admin credential's bearer token, and remembering when
//! each credential was last used without a write per request.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::admin::{AdminCredential, Unusable};
use crate::domain::secret::token_digest;
use crate::store::{self, Store};

/// Why a presented token was refused.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("no admin credential has this token")]
    Unknown,
    #[error("the admin credential is disabled")]
    Disabled,
    #[error("the admin credential has expired")]
    Expired,
    #[error(transparent)]
    Store(#[from] store::Error),
}

/// The credential whose token this is, if it may be used at `now`. Read from the database on
/// every request (one indexed row), so disabling, expiring or rotating a credential holds on
/// every node at once.
pub async fn authenticate(store: &Store, token: &str, now: DateTime<Utc>) -> Result<AdminCredential, Refused> {
    let credential = store::admin_credentials::by_token(store, &token_digest(token)).await?.ok_or(Refused::Unknown)?;
    credential.check_usable(now).map_err(|unusable| match unusable {
        Unusable::Disabled => Refused::Disabled,
        Unusable::Expired => Refused::Expired,
    })?;
    Ok(credential)
}

/// When each credential was last used on this node, since the last flush. Bounded by the
/// number of credentials, since only authenticated credentials are noted.
#[derive(Debug, Default)]
pub struct Usage {
    pending: Mutex<HashMap<Uuid, DateTime<Utc>>>,
}

impl Usage {
    pub fn note(&self, id: Uuid, at: DateTime<Utc>) {
        if let Ok(mut pending) = self.pending.lock() {
            let last = pending.entry(id).or_insert(at);
            *last = (*last).max(at);
        }
    }

    /// Writes what was noted in one transaction; on failure keeps it for the next flush.
    pub async fn flush(&self, store: &Store) -> Result<(), store::Error> {
        let used: Vec<(Uuid, DateTime<Utc>)> = match self.pending.lock() {
            Ok(mut pending) => pending.drain().collect(),
            Err(_) => return Ok(()),
        };
        if let Err(e) = store::admin_credentials::record_usage(store, &used).await {
            for (id, at) in used {
                self.note(id, at);
            }
            return Err(e);
        }
        Ok(())
    }
}
