//! Authenticating /v1 callers by their admin credential's bearer token, remembering when each
//! credential was last used without a write per request, and auditing failed authentications.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::admin::{Actor, AdminCredential, Origin, Unusable};
use crate::domain::audit::{FailureThrottle, FieldChange, Resource};
use crate::domain::secret::token_digest;
use crate::store::{self, Store};
use serde_json::Value;

/// Why a presented token was refused.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("no admin credential has this token")]
    Unknown,
    #[error(transparent)]
    Unusable(#[from] Unusable),
    #[error(transparent)]
    Store(#[from] store::Error),
}

/// The credential whose token this is, if it may be used at `now`. Read from the database on
/// every request (one indexed row), so disabling, expiring or rotating a credential holds on
/// every node at once.
pub async fn authenticate(store: &Store, token: &str, now: DateTime<Utc>) -> Result<AdminCredential, Refused> {
    let credential = store::admin_credentials::by_token(store, &token_digest(token)).await?.ok_or(Refused::Unknown)?;
    credential.check_usable(now)?;
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

/// Records a failed /v1 authentication by `origin` (an anonymous actor and its source) as
/// `admin_authentication.failed`, unless the throttle holds it back to be counted at the
/// window's end. A failure to record is logged and changes no answer.
pub async fn record_failure(store: &Store, throttle: &Mutex<FailureThrottle>, origin: Origin) {
    let now = throttle.lock().map(|mut throttle| throttle.failed(origin.source)).unwrap_or(false);
    if now {
        record(store, &origin, 1, None).await;
    }
}

/// Ends the throttle's window: records what it held back, one event per source (the busiest),
/// and one for the rest, so no failure goes uncounted.
pub async fn record_held_back_failures(store: &Store, throttle: &Mutex<FailureThrottle>, at: DateTime<Utc>) {
    let held = match throttle.lock() {
        Ok(mut throttle) => throttle.end_window(),
        Err(_) => return,
    };
    let origin = |source| Origin { actor: Actor::anonymous(), request_id: "-".to_owned(), source, at };
    for (source, failures) in held.per_source {
        record(store, &origin(source), failures, None).await;
    }
    if let Some((sources, failures)) = held.others {
        record(store, &origin(IpAddr::V4(Ipv4Addr::UNSPECIFIED)), failures, Some(sources)).await;
    }
}

async fn record(store: &Store, origin: &Origin, failures: u64, sources: Option<u64>) {
    let mut changes = vec![FieldChange::values("failures", Value::Null, failures.into())];
    if let Some(sources) = sources {
        changes.push(FieldChange::values("sources", Value::Null, sources.into()));
    }
    let event = Resource::admin_authentication().event(origin, "failed", changes);
    if let Err(e) = store::audit::record_alone(store, event).await {
        tracing::warn!(error = %e, source = %origin.source, "cannot record failed /v1 authentications in the audit log");
    }
}
