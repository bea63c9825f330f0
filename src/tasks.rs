//! Background loops, scheduled here and nothing else: the work each one does lives with what
//! it works on (`store::purge`, `keys::rotate_due`, `cache::sync`, the `store::TokenLog`).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use crate::cache::Cache;
use crate::keys;
use crate::store::{self, Store, changes::Change};

/// Every minute: drop expired tokens, revocations, old change-feed rows, keys no token can need
/// any more, ended console sessions, and audit events older than `audit_retention` (`None`: kept
/// forever).
pub async fn cleanup(
    store: Store,
    cache: Arc<Cache>,
    audit_retention: Option<chrono::TimeDelta>,
    console: crate::service::console_session::Lifetime,
) {
    let mut interval = tokio::time::interval(Duration::from_secs(60));
    loop {
        interval.tick().await;
        let now = Utc::now();
        store::purge::expired(&store, now, keys::RETIRED_KEY_PUBLISH_SECONDS).await;
        crate::service::console_session::purge_ended(&store, console, now).await;
        if let Some(retention) = audit_retention {
            store::purge::audit_events(&store, now - retention).await;
        }
        cache.prune_revocations(now);
    }
}

/// Every ten minutes: publish next keys ahead of rotation and promote those whose time has come
/// (see `keys::scheduled_step`). A next key signs at most this late; never early.
pub async fn rotate_keys(store: Store, cache: Arc<Cache>, schedule: keys::Schedule) {
    let mut interval = tokio::time::interval(Duration::from_secs(600));
    loop {
        interval.tick().await;
        for auth_server_id in keys::rotate_due(&store, cache.sealer(), &schedule, Utc::now()).await {
            cache.invalidate(&Change::Server(auth_server_id));
        }
    }
}

/// Every five seconds: record when admin credentials were last used (batched, so /v1 requests
/// write nothing of their own).
pub async fn flush_admin_usage(store: Store, usage: Arc<crate::service::admin_auth::Usage>) {
    let mut interval = tokio::time::interval(Duration::from_secs(5));
    loop {
        interval.tick().await;
        if let Err(e) = usage.flush(&store).await {
            tracing::warn!(error = %e, "cannot record when admin credentials were last used");
        }
    }
}

/// Every minute: ends the window of failed /v1 authentications, recording what it held back
/// (see `domain::audit::FailureThrottle`).
pub async fn record_held_back_failures(
    store: Store,
    throttle: Arc<std::sync::Mutex<crate::domain::audit::FailureThrottle>>,
) {
    let mut interval = tokio::time::interval(crate::domain::audit::FailureThrottle::WINDOW);
    interval.tick().await;
    loop {
        interval.tick().await;
        crate::service::admin_auth::record_held_back_failures(&store, &throttle, Utc::now()).await;
    }
}
