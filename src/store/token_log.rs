//! Group commit for issued tokens: each token request waits until its record is committed, so
//! nothing acknowledged is lost, but concurrent requests share one transaction instead of
//! writing one after another.

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::domain::token::TokenRecord;

use super::{Error, Store, tokens};

/// Largest group written in one transaction.
const MAX_GROUP: usize = 1000;

/// What became of a token record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded {
    Committed,
    /// Its client was deleted, or replaced by a new client under the same id, before the
    /// record could commit: the token must not be handed out.
    ClientGone,
    /// The database is unavailable or refused the write.
    Failed,
}

struct Pending {
    record: TokenRecord,
    incarnation: i64,
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
        let (done, committed) = oneshot::channel();
        let pending = Pending { record, incarnation: super::micros(incarnation), done };
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
        let batch: Vec<tokens::Pending<'_>> =
            group.iter().map(|p| tokens::Pending { record: &p.record, incarnation: p.incarnation }).collect();
        let result = tokens::insert_batch(&store, &batch).await;
        drop(batch);
        match result {
            Ok(inserted) => {
                for pending in group {
                    let outcome =
                        if inserted.contains(&pending.record.id) { Recorded::Committed } else { Recorded::ClientGone };
                    let _ = pending.done.send(outcome);
                }
            }
            // One bad row must not fail its neighbours: retry
            // the group row by row, so only that request fails.
            Err(Error::ForeignKey | Error::Conflict { .. }) => {
                for pending in group {
                    let one = [tokens::Pending { record: &pending.record, incarnation: pending.incarnation }];
                    let outcome = match tokens::insert_batch(&store, &one).await {
                        Ok(inserted) if inserted.contains(&pending.record.id) => Recorded::Committed,
                        Ok(_) => Recorded::ClientGone,
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
