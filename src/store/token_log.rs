//! Group commit for issued tokens: each token request waits until its record is committed, so
//! nothing acknowledged is lost, but concurrent requests share one transaction instead of
//! writing one after another.

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::domain::token::TokenRecord;

use super::tokens::{self, BatchOutcome, SingleUse};
use super::{Error, Store};

/// Largest group written in one transaction.
const MAX_GROUP: usize = 1000;

/// What became of a token record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded {
    Committed,
    /// Its client was deleted, or replaced by a new client under the same id, before the
    /// record could commit: the token must not be handed out.
    ClientGone,
    /// The single use it was issued for had already happened: not recorded, not to be handed out.
    UsedBefore,
    /// The database is unavailable or refused the write.
    Failed,
}

struct Pending {
    record: TokenRecord,
    incarnation: i64,
    single_use: Option<SingleUse>,
    done: oneshot::Sender<Recorded>,
}

/// Records issued tokens with group commit: each request waits until its record is
/// committed, so nothing acknowledged is lost, but concurrent requests share one
/// transaction instead of writing one after another.
#[derive(Clone)]
pub struct TokenLog {
    sender: mpsc::Sender<Pending>,
}

impl TokenLog {
    pub fn start(store: Store) -> (TokenLog, JoinHandle<()>) {
        let (sender, receiver) = mpsc::channel(MAX_GROUP * 4);
        (TokenLog { sender }, tokio::spawn(write_groups(store, receiver)))
    }

    /// Records `record` for a client whose `created_at` the issuing node saw as `incarnation`.
    #[tracing::instrument(level = "debug", name = "token_log", skip_all)]
    pub async fn record(&self, record: TokenRecord, incarnation: chrono::DateTime<chrono::Utc>) -> Recorded {
        self.send(record, incarnation, None).await
    }

    /// [`record`](Self::record), for a token issued for a use that may happen once (a JWT
    /// bearer assertion): the use and the token commit together, in the same group, so the
    /// grant waits for one write, not two; a use that happened before is [`Recorded::UsedBefore`].
    #[tracing::instrument(level = "debug", name = "token_log", skip_all)]
    pub async fn record_first_use(
        &self,
        record: TokenRecord,
        incarnation: chrono::DateTime<chrono::Utc>,
        single_use: SingleUse,
    ) -> Recorded {
        self.send(record, incarnation, Some(single_use)).await
    }

    async fn send(
        &self,
        record: TokenRecord,
        incarnation: chrono::DateTime<chrono::Utc>,
        single_use: Option<SingleUse>,
    ) -> Recorded {
        let (done, committed) = oneshot::channel();
        let pending = Pending { record, incarnation: super::micros(incarnation), single_use, done };
        if self.sender.send(pending).await.is_err() {
            return Recorded::Failed;
        }
        committed.await.unwrap_or(Recorded::Failed)
    }
}

async fn write_groups(store: Store, mut receiver: mpsc::Receiver<Pending>) {
    while let Some(first) = receiver.recv().await {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match receiver.try_recv() {
                Ok(pending) => group.push(pending),
                Err(_) => break,
            }
        }
        // Fails at once while the database is known to be down (see `health`).
        let batch: Vec<tokens::Pending<'_>> = group.iter().map(Pending::as_batch_row).collect();
        let result = tokens::insert_batch(&store, &batch).await;
        drop(batch);
        match result {
            Ok(outcome) => {
                for pending in group {
                    let _ = pending.done.send(recorded(&outcome, &pending.record));
                }
            }
            // One bad row must not fail its neighbours: retry
            // the group row by row, so only that request fails.
            Err(Error::ForeignKey | Error::Conflict { .. }) => {
                for pending in group {
                    let one = [pending.as_batch_row()];
                    let outcome = match tokens::insert_batch(&store, &one).await {
                        Ok(outcome) => recorded(&outcome, &pending.record),
                        Err(_) => Recorded::Failed,
                    };
                    let _ = pending.done.send(outcome);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, tokens = group.len(), "cannot record issued tokens");
                for pending in group {
                    let _ = pending.done.send(Recorded::Failed);
                }
            }
        }
    }
}

impl Pending {
    fn as_batch_row(&self) -> tokens::Pending<'_> {
        tokens::Pending { record: &self.record, incarnation: self.incarnation, single_use: self.single_use.as_ref() }
    }
}

fn recorded(outcome: &BatchOutcome, record: &TokenRecord) -> Recorded {
    if outcome.inserted.contains(&record.id) {
        Recorded::Committed
    } else if outcome.used_before.contains(&record.id) {
        Recorded::UsedBefore
    } else {
        Recorded::ClientGone
    }
}
