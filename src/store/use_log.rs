//! Group commit for single uses (assertion `jti`s): each request waits until its use is
//! committed, and learns whether it was the first, but concurrent requests share one
//! transaction instead of writing one after another (the JWT bearer grant would otherwise be
//! bound by one serial write per token).

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::{Error, Result, Store, args, micros};

/// Largest group written in one transaction.
const MAX_GROUP: usize = 1000;

struct Pending {
    id: Uuid,
    auth_server_id: Uuid,
    kind: &'static str,
    expires_at: DateTime<Utc>,
    done: oneshot::Sender<Result<bool>>,
}

#[derive(Clone)]
pub struct UseLog {
    sender: mpsc::Sender<Pending>,
}

impl UseLog {
    pub fn start(store: Store) -> (UseLog, JoinHandle<()>) {
        let (sender, receiver) = mpsc::channel(MAX_GROUP * 4);
        (UseLog { sender }, tokio::spawn(write_groups(store, receiver)))
    }

    /// Marks `id` used until `expires_at`: true the first time on any node, false after.
    #[tracing::instrument(level = "debug", name = "use_log", skip_all)]
    pub async fn mark_used(
        &self,
        id: Uuid,
        auth_server_id: Uuid,
        kind: &'static str,
        expires_at: DateTime<Utc>,
    ) -> Result<bool> {
        let (done, committed) = oneshot::channel();
        let pending = Pending { id, auth_server_id, kind, expires_at, done };
        let stopped = || Error::Unavailable(sqlx::Error::PoolClosed);
        self.sender.send(pending).await.map_err(|_| stopped())?;
        committed.await.map_err(|_| stopped())?
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
        match insert_group(&store, &group).await {
            Ok(firsts) => {
                for (pending, first) in group.into_iter().zip(firsts) {
                    let _ = pending.done.send(Ok(first));
                }
            }
            Err(e) => {
                // The cause is logged once; each request is told to retry (a 503).
                tracing::error!(error = %e, uses = group.len(), "cannot record single uses");
                for pending in group {
                    let _ = pending.done.send(Err(Error::Unavailable(sqlx::Error::PoolClosed)));
                }
            }
        }
    }
}

/// One transaction; a repeated id, in the group or already stored, inserts nothing.
async fn insert_group(store: &Store, group: &[Pending]) -> Result<Vec<bool>> {
    let mut tx = store.begin().await?;
    let mut firsts = Vec::with_capacity(group.len());
    for pending in group {
        let inserted = tx
            .db()
            .execute(
                "INSERT INTO used_grants (id, auth_server_id, kind, tokens, expires_at) VALUES ($1, $2, $3, '[]', $4) \
                 ON CONFLICT (id) DO NOTHING",
                args![pending.id, pending.auth_server_id, pending.kind, micros(pending.expires_at)],
            )
            .await?;
        firsts.push(inserted == 1);
    }
    tx.commit().await?;
    Ok(firsts)
}
