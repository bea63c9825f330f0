//! Keeps a node's caches in step with the database: polls the change feed and the
//! revocation list every 200 ms, so other nodes' writes take effect here within a second.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeDelta, Utc};

use super::Cache;
use crate::store::{self, Store};

pub const POLL_INTERVAL: Duration = Duration::from_millis(200);

/// Feed rows commit out of id order under concurrency, and nodes' clocks differ a little,
/// so each poll rereads a trailing window and skips the rows it has already applied.
const OVERLAP: TimeDelta = TimeDelta::seconds(30);

/// Loads the revocations still in force, then follows the feed until the task is dropped.
/// Each window moves forward only after its query succeeded, so a database outage delays
/// what a node learns but never loses it.
pub async fn run(cache: Arc<Cache>, store: Store) {
    let mut seen: HashMap<i64, i64> = HashMap::new();
    let mut changes_from = chrono::DateTime::UNIX_EPOCH;
    let mut revocations_from = chrono::DateTime::UNIX_EPOCH;
    loop {
        let poll_start = Utc::now();
        match store::changes::since(&store, changes_from.timestamp_micros()).await {
            Ok(changes) => {
                for (id, change) in changes {
                    if seen.insert(id, poll_start.timestamp_micros()).is_none() {
                        cache.invalidate(&change);
                    }
                }
                changes_from = poll_start - OVERLAP;
                let horizon = changes_from.timestamp_micros();
                seen.retain(|_, applied| *applied >= horizon);
            }
            Err(e) => tracing::warn!(error = %e, "cannot read the change feed; retrying"),
        }
        match store::tokens::revoked_since(&store, revocations_from).await {
            Ok(revoked) => {
                cache.add_revocations(revoked);
                revocations_from = poll_start - OVERLAP;
            }
            Err(e) => tracing::warn!(error = %e, "cannot read revocations; retrying"),
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}
