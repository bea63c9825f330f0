//! Fail fast during an outage. A failure that may mean the database is unreachable starts one
//! probe (single-flight) on a connection of its own, outside the pool, so a busy pool is never
//! mistaken for an outage. While the probe fails, every statement fails at once with
//! [`Error::Unavailable`] instead of waiting for a connection; the probe retries every
//! [`PROBE_INTERVAL`] and clears the mark as soon as the database answers.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::{Connection, PgConnection, SqliteConnection};

use super::{Error, Pools, Result};

/// How often a probe retries while the database is down: recovery is noticed this fast.
pub const PROBE_INTERVAL: Duration = Duration::from_millis(100);

/// A probe that gets no answer in this time counts as a failure (a silent network).
const PROBE_TIMEOUT: Duration = Duration::from_millis(500);

#[derive(Debug)]
pub(crate) struct Health {
    state: Arc<State>,
}

#[derive(Debug)]
struct State {
    down: AtomicBool,
    probing: AtomicBool,
    pools: Pools,
}

impl Health {
    pub(crate) fn new(pools: Pools) -> Health {
        Health { state: Arc::new(State { down: AtomicBool::new(false), probing: AtomicBool::new(false), pools }) }
    }

    pub(crate) fn is_up(&self) -> bool {
        !self.state.down.load(Ordering::Acquire)
    }

    /// Refuses at once while the database is known to be down.
    pub(crate) fn check(&self) -> Result<()> {
        if self.is_up() { Ok(()) } else { Err(Error::Unavailable(sqlx::Error::PoolTimedOut)) }
    }

    /// Passes a result through; a failure that may be an outage starts a probe.
    pub(crate) fn observe<T>(&self, result: Result<T>) -> Result<T> {
        if matches!(&result, Err(e) if e.may_be_outage()) {
            self.probe();
        }
        result
    }

    /// Starts a probe unless one runs. Outside a Tokio runtime there is nothing to probe with.
    fn probe(&self) {
        if self.state.probing.swap(true, Ordering::AcqRel) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            self.state.probing.store(false, Ordering::Release);
            return;
        };
        let state = self.state.clone();
        runtime.spawn(async move {
            loop {
                if reachable(&state.pools).await {
                    if state.down.swap(false, Ordering::AcqRel) {
                        tracing::info!("the database answers again");
                    }
                    break;
                }
                if !state.down.swap(true, Ordering::AcqRel) {
                    tracing::warn!("the database is unreachable; requests fail fast until it answers");
                }
                tokio::time::sleep(PROBE_INTERVAL).await;
            }
            state.probing.store(false, Ordering::Release);
        });
    }
}

/// One round trip on a fresh connection, outside the pool.
async fn reachable(pools: &Pools) -> bool {
    let attempt = async {
        match pools {
            Pools::Postgres(pool) => {
                let mut conn = PgConnection::connect_with(&pool.connect_options()).await?;
                sqlx::query("SELECT 1").execute(&mut conn).await?;
                conn.close().await
            }
            Pools::Sqlite(pool) => {
                let mut conn = SqliteConnection::connect_with(&pool.connect_options()).await?;
                sqlx::query("SELECT 1").execute(&mut conn).await?;
                conn.close().await
            }
        }
    };
    matches!(tokio::time::timeout(PROBE_TIMEOUT, attempt).await, Ok(Ok(())))
}
