//! Dropping what no request can need any more: expired tokens and revocations, used login
//! and code marks, old change-feed rows, retired keys past their publication, and audit events
//! past their retention.

use chrono::{DateTime, Utc};

use super::{Store, audit, changes, grants, refresh_tokens, signing_keys, tokens};

/// Runs every purge once; a failing one is logged and the others still run.
pub async fn expired(store: &Store, now: DateTime<Utc>, retired_key_publish_seconds: i64) {
    if let Err(e) = tokens::purge_expired(store, now).await {
        tracing::warn!(error = %e, "cannot purge expired tokens");
    }
    if let Err(e) = refresh_tokens::purge_expired(store, now).await {
        tracing::warn!(error = %e, "cannot purge expired refresh tokens");
    }
    if let Err(e) = grants::purge_expired(store, now).await {
        tracing::warn!(error = %e, "cannot purge used login and code marks");
    }
    if let Err(e) = changes::prune(store, std::time::Duration::from_secs(3600)).await {
        tracing::warn!(error = %e, "cannot prune the change feed");
    }
    if let Err(e) = signing_keys::prune(store, now, retired_key_publish_seconds).await {
        tracing::warn!(error = %e, "cannot prune retired keys");
    }
}

/// Drops audit events that occurred before `before` (the retention period's start).
pub async fn audit_events(store: &Store, before: DateTime<Utc>) {
    match audit::purge(store, before).await {
        Ok(0) => {}
        Ok(purged) => tracing::info!(purged, "purged audit events past their retention"),
        Err(e) => tracing::warn!(error = %e, "cannot purge old audit events"),
    }
}
