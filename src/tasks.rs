//! Background work: the token log's group commit, cache sync, expired-record cleanup and
//! scheduled key rotation.

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::cache::Cache;
use crate::domain::SigningAlgorithm;
use crate::domain::token::TokenRecord;
use crate::keys;
use crate::store::{self, Store};

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
        match store::tokens::insert_batch(&store, &records).await {
            Ok(()) => {
                for pending in group {
                    let _ = pending.done.send(true);
                }
            }
            // One bad row must not fail its neighbours: retry
            // the group row by row, so only that request fails.
            Err(store::Error::ForeignKey | store::Error::Conflict { .. }) => {
                for pending in group {
                    let committed =
                        store::tokens::insert_batch(&store, std::slice::from_ref(&pending.record)).await.is_ok();
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

/// Every minute: drop expired tokens, revocations, old change-feed rows and keys no token
/// can need any more.
pub async fn cleanup(store: Store, cache: Arc<Cache>) {
    let mut interval = tokio::time::interval(Duration::from_secs(60));
    loop {
        interval.tick().await;
        let now = Utc::now();
        if let Err(e) = store::tokens::purge_expired(&store, now).await {
            tracing::warn!(error = %e, "cannot purge expired tokens");
        }
        if let Err(e) = store::refresh_tokens::purge_expired(&store, now).await {
            tracing::warn!(error = %e, "cannot purge expired refresh tokens");
        }
        if let Err(e) = store::grants::purge_expired(&store, now).await {
            tracing::warn!(error = %e, "cannot purge used login and code marks");
        }
        if let Err(e) = store::changes::prune(&store, (now - TimeDelta::hours(1)).timestamp_micros()).await {
            tracing::warn!(error = %e, "cannot prune the change feed");
        }
        if let Err(e) = store::signing_keys::prune(&store, now, keys::RETIRED_KEY_PUBLISH_SECONDS).await {
            tracing::warn!(error = %e, "cannot prune retired keys");
        }
        cache.prune_revocations(now);
    }
}

/// Every hour: give auth servers whose key is older than `days` a new one.
pub async fn rotate_keys(store: Store, cache: Arc<Cache>, days: u32) {
    let mut interval = tokio::time::interval(Duration::from_secs(3600));
    loop {
        interval.tick().await;
        let now = Utc::now();
        let due = match store::signing_keys::due_for_rotation(&store, now - TimeDelta::days(i64::from(days))).await {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!(error = %e, "cannot look for keys to rotate");
                continue;
            }
        };
        for (auth_server_id, algorithm) in due {
            match new_key(&cache, auth_server_id, algorithm).await {
                Ok(key) => match store::signing_keys::rotate(&store, &key).await {
                    Ok(()) => {
                        cache.invalidate(&store::changes::Change::Server(auth_server_id));
                        tracing::info!(%auth_server_id, kid = %key.kid, "rotated signing key");
                    }
                    Err(e) => tracing::warn!(error = %e, %auth_server_id, "cannot rotate signing key"),
                },
                Err(e) => tracing::error!(error = %e, %auth_server_id, "cannot generate signing key"),
            }
        }
    }
}

/// Generates (off the async runtime) and seals a key for an auth server.
pub async fn new_key(
    cache: &Cache,
    auth_server_id: uuid::Uuid,
    algorithm: SigningAlgorithm,
) -> Result<store::signing_keys::StoredKey, String> {
    let generated = crate::telemetry::spawn_blocking_with_tracing(move || keys::generate(algorithm))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let sealed = cache.sealer().seal(&generated.kid, &generated.private_der).map_err(|e| e.to_string())?;
    Ok(store::signing_keys::StoredKey {
        kid: generated.kid,
        auth_server_id,
        algorithm,
        sealed_private_key: sealed,
        public_jwk: generated.public_jwk,
        created_at: Utc::now(),
        retired_at: None,
    })
}
