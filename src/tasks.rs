//! Background loops, scheduled here and nothing else: the work each one does lives with what
//! it works on (`store::purge`, `keys::rotate_due`, `cache::sync`, the `store::TokenLog`).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use crate::cache::Cache;
use crate::keys;
use crate::store::{self, Store, changes::Change};

/// Every minute: drop expired tokens, revocations, old change-feed rows and keys no token
/// can need any more.
pub async fn cleanup(store: Store, cache: Arc<Cache>) {
    let mut interval = tokio::time::interval(Duration::from_secs(60));
    loop {
        interval.tick().await;
        let now = Utc::now();
        store::purge::expired(&store, now, keys::RETIRED_KEY_PUBLISH_SECONDS).await;
        cache.prune_revocations(now);
    }
}

/// Every hour: give auth servers whose key is older than `days` a new one.
pub async fn rotate_keys(store: Store, cache: Arc<Cache>, days: u32) {
    let mut interval = tokio::time::interval(Duration::from_secs(3600));
    loop {
        interval.tick().await;
        for auth_server_id in keys::rotate_due(&store, cache.sealer(), days, Utc::now()).await {
            cache.invalidate(&Change::Server(auth_server_id));
        }
    }
}
