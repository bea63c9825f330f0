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
pub async fn run(cache: Arc<Cache>, store: Store) {
    let mut seen: HashMap<i64, i64> = HashMap::new();
    let mut window_start = chrono::DateTime::UNIX_EPOCH;
    loop {
        let poll_start = Utc::now();
        let since_micros = window_start.timestamp_micros();
        match store::changes::since(&store, since_micros).await {
            Ok(changes) => {
                for (id, change) in changes {
                    if seen.insert(id, poll_start.timestamp_micros()).is_none() {
                        cache.invalidate(&change);
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot read the change feed; retrying"),
        }
        match store::tokens::revoked_since(&store, window_start).await {
            Ok(revoked) => cache.add_revocations(revoked),
            Err(e) => tracing::warn!(error = %e, "cannot read revocations; retrying"),
        }
        window_start = poll_start - OVERLAP;
        let horizon = window_start.timestamp_micros();
        seen.retain(|_, applied| *applied >= horizon);
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}
