//! Keeps a node's caches in step with the database: polls the change feed and the
//! revocation list every 200 ms, so other nodes' writes take effect here within a second.
//!
//! Both are followed by a sequence the database assigns (`changes.id`, `revoked_tokens.seq`),
//! never by comparing this node's clock with timestamps another node wrote, so a node whose
//! clock is off still sees every write. Sequence values are taken when a row is inserted but
//! become visible when its transaction commits, so id 11 may be read before id 10: a [`Cursor`]
//! remembers the ids it skipped and rereads from the lowest one until it appears or
//! [`GAP_WAIT`] has passed (a rolled-back transaction leaves a gap that never fills).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Cache;
use crate::store::{self, Store};

pub const POLL_INTERVAL: Duration = Duration::from_millis(200);

/// How long a skipped id is awaited, on this node's monotonic clock: far longer than any
/// write transaction lasts.
const GAP_WAIT: Duration = Duration::from_secs(30);

/// At most this many skipped ids are awaited at once; a larger jump (a feed pruned while this
/// node was away, say) awaits only the ones just below the new row.
const MAX_GAPS: i64 = 10_000;

/// Loads the revocations still in force, then follows the feed until the task is dropped.
/// A cursor moves only after its query succeeded, so a database outage delays what a node
/// learns but never loses it.
pub async fn run(cache: Arc<Cache>, store: Store) {
    let mut changes = Cursor::default();
    let mut revocations = Cursor::default();
    loop {
        match store::changes::after(&store, changes.read_after()).await {
            Ok(rows) => {
                for (id, change) in rows {
                    if changes.accept(id, Instant::now()) {
                        cache.invalidate(&change);
                    }
                }
                changes.expire(Instant::now());
            }
            Err(e) => tracing::warn!(error = %e, "cannot read the change feed; retrying"),
        }
        match store::tokens::revoked_after(&store, revocations.read_after()).await {
            Ok(rows) => {
                let now = Instant::now();
                let new: Vec<_> = rows
                    .into_iter()
                    .filter(|(seq, _, _)| revocations.accept(*seq, now))
                    .map(|(_, jti, exp)| (jti, exp))
                    .collect();
                cache.add_revocations(new);
                revocations.expire(now);
            }
            Err(e) => tracing::warn!(error = %e, "cannot read revocations; retrying"),
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// A reader's position in a database-assigned sequence whose values may commit out of order.
#[derive(Debug, Default)]
pub(crate) struct Cursor {
    /// Highest value applied; `None` before the first row.
    high: Option<i64>,
    /// Values below `high` not seen yet, with when they were first missed.
    gaps: BTreeMap<i64, Instant>,
}

impl Cursor {
    /// The next read asks for values above this: below the lowest awaited gap, if any.
    pub(crate) fn read_after(&self) -> i64 {
        match self.gaps.keys().next() {
            Some(lowest) => lowest - 1,
            None => self.high.unwrap_or(0),
        }
    }

    /// Whether `value` is new (to apply); values skipped on the way are awaited as gaps.
    pub(crate) fn accept(&mut self, value: i64, now: Instant) -> bool {
        match self.high {
            // The first row read: nothing below it is awaited (older rows were pruned or
            // predate this node's empty cache).
            None => {
                self.high = Some(value);
                true
            }
            Some(high) if value > high => {
                for missing in (high + 1).max(value - MAX_GAPS)..value {
                    self.gaps.insert(missing, now);
                }
                self.high = Some(value);
                true
            }
            Some(_) => self.gaps.remove(&value).is_some(),
        }
    }

    /// Stops awaiting gaps older than [`GAP_WAIT`].
    pub(crate) fn expire(&mut self, now: Instant) {
        self.gaps.retain(|_, since| now.duration_since(*since) < GAP_WAIT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_committed_out_of_order_is_applied_once_when_it_appears() {
        let now = Instant::now();
        let mut cursor = Cursor::default();
        assert!(cursor.accept(10, now));
        assert_eq!(cursor.read_after(), 10);
        assert!(cursor.accept(12, now), "12 commits before 11");
        assert_eq!(cursor.read_after(), 10, "11 is awaited");
        assert!(!cursor.accept(12, now), "12 is reread but not applied twice");
        assert!(cursor.accept(11, now), "11 appears late and is applied");
        assert_eq!(cursor.read_after(), 12);
        assert!(!cursor.accept(11, now));
    }

    #[test]
    fn a_gap_that_never_fills_is_awaited_only_for_a_while() {
        let now = Instant::now();
        let mut cursor = Cursor::default();
        cursor.accept(1, now);
        cursor.accept(3, now);
        cursor.expire(now + GAP_WAIT / 2);
        assert_eq!(cursor.read_after(), 1);
        cursor.expire(now + GAP_WAIT);
        assert_eq!(cursor.read_after(), 3, "a rolled-back id is given up");
    }

    #[test]
    fn a_large_jump_awaits_a_bounded_number_of_gaps() {
        let now = Instant::now();
        let mut cursor = Cursor::default();
        cursor.accept(1, now);
        cursor.accept(1 + 10 * MAX_GAPS, now);
        assert_eq!(cursor.gaps.len(), usize::try_from(MAX_GAPS).unwrap());
    }
}
