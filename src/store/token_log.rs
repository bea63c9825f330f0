//! Group commit for issued tokens: each token request waits until its record is committed, so
//! nothing acknowledged is lost, but concurrent requests share one transaction instead of
//! writing one after another.

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::domain::token::TokenRecord;

use super::{Error, Store, tokens};

/// Largest group written in one transaction.
const MAX_GROUP: usize = 1000;

struct Pending {
    record: TokenRecord,
    done: oneshot::Sender<bool>,
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

    /// True once the record is committed.
    #[tracing::instrument(level = "debug", name = "token_log", skip_all)]
    pub async fn record(&self, record: TokenRecord) -> bool {
        let (done, committed) = oneshot::channel();
        if self.sender.send(Pending { record, done }).await.is_err() {
            return false;
        }
        committed.await.unwrap_or(false)
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
        let records: Vec<TokenRecord> = group.iter().map(|p| p.record.clone()).collect();
        match tokens::insert_batch(&store, &records).await {
            Ok(()) => {
                for pending in group {
                    let _ = pending.done.send(true);
                }
            }
            // One bad row must not fail its neighbours: retry
            // the group row by row, so only that request fails.
            Err(Error::ForeignKey | Error::Conflict { .. }) => {
                for pending in group {
                    let committed = tokens::insert_batch(&store, std::slice::from_ref(&pending.record)).await.is_ok();
                    let _ = pending.done.send(committed);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, tokens = records.len(), "cannot record issued tokens");
                for pending in group {
                    let _ = pending.done.send(false);
                }
            }
        }
    }
}
