//! Signing keys of auth servers. Private keys are stored sealed (see `keys::Sealer`).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::SigningAlgorithm;

use super::{Error, Result, Store, Tx, args, from_json, from_micros, micros, to_json};

/// A key as stored: its private half sealed, its public half as a JWK.
#[derive(Clone)]
pub struct StoredKey {
    pub kid: String,
    pub auth_server_id: Uuid,
    pub algorithm: SigningAlgorithm,
    pub sealed_private_key: String,
    pub public_jwk: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub retired_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for StoredKey {
    /// Without an encryption key the sealed form is the private key itself: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKey")
            .field("kid", &self.kid)
            .field("auth_server_id", &self.auth_server_id)
            .field("algorithm", &self.algorithm)
            .field("created_at", &self.created_at)
            .field("retired_at", &self.retired_at)
            .finish_non_exhaustive()
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    auth_server_id: String,
    algorithm: String,
    private_key: String,
    public_jwk: String,
    created_at: i64,
    retired_at: Option<i64>,
}

impl TryFrom<Row> for StoredKey {
    type Error = Error;

    fn try_from(row: Row) -> Result<StoredKey> {
        Ok(StoredKey {
            algorithm: SigningAlgorithm::parse(&row.algorithm)
                .map_err(|_| Error::Corrupt(format!("algorithm {}", row.algorithm)))?,
            kid: row.id,
            auth_server_id: super::parse_uuid(&row.auth_server_id)?,
            sealed_private_key: row.private_key,
            public_jwk: from_json("public_jwk", &row.public_jwk)?,
            created_at: from_micros(row.created_at)?,
            retired_at: row.retired_at.map(from_micros).transpose()?,
        })
    }
}

pub(crate) async fn insert_in(tx: &mut Tx, key: &StoredKey) -> Result<()> {
    tx.db()
        .execute(
            "INSERT INTO signing_keys (id, auth_server_id, algorithm, private_key, public_jwk, created_at, retired_at) \
             VALUES ($1, $2, $3, $4, $5, $6, NULL)",
            args![
                &key.kid,
                key.auth_server_id,
                key.algorithm.as_str(),
                &key.sealed_private_key,
                to_json(&key.public_jwk),
                micros(key.created_at),
            ],
        )
        .await?;
    Ok(())
}

/// Retires the auth server's current keys: they stop signing but stay published.
pub(crate) async fn retire_in(tx: &mut Tx, auth_server_id: Uuid, now: DateTime<Utc>) -> Result<()> {
    tx.db()
        .execute(
            "UPDATE signing_keys SET retired_at = $2 WHERE auth_server_id = $1 AND retired_at IS NULL",
            args![auth_server_id, micros(now)],
        )
        .await?;
    Ok(())
}

/// Keys still published: active ones and those retired less than `publish_seconds` ago,
/// newest first.
pub async fn published(
    store: &Store,
    auth_server_id: Uuid,
    now: DateTime<Utc>,
    publish_seconds: i64,
) -> Result<Vec<StoredKey>> {
    let cutoff = micros(now) - publish_seconds * 1_000_000;
    let rows: Vec<Row> = store
        .db()
        .fetch_all(
            "SELECT id, auth_server_id, algorithm, private_key, public_jwk, created_at, retired_at FROM signing_keys \
             WHERE auth_server_id = $1 AND (retired_at IS NULL OR retired_at > $2) ORDER BY created_at DESC",
            args![auth_server_id, cutoff],
        )
        .await?;
    rows.into_iter().map(StoredKey::try_from).collect()
}

/// Replaces the auth server's active key with `key`, atomically.
pub async fn rotate(store: &Store, key: &StoredKey) -> Result<()> {
    let mut tx = store.begin().await?;
    let exists = tx
        .db()
        .fetch_one::<(i64,)>("SELECT COUNT(*) FROM auth_servers WHERE id = $1", args![key.auth_server_id])
        .await?;
    if exists.0 == 0 {
        return Err(Error::NotFound);
    }
    retire_in(&mut tx, key.auth_server_id, key.created_at).await?;
    insert_in(&mut tx, key).await?;
    super::changes::record(&mut tx, &super::changes::Change::Server(key.auth_server_id)).await?;
    tx.commit().await
}

/// Auth servers whose active key was created before `cutoff`, with their algorithm.
pub async fn due_for_rotation(store: &Store, cutoff: DateTime<Utc>) -> Result<Vec<(Uuid, SigningAlgorithm)>> {
    let rows: Vec<(String, String)> = store
        .db()
        .fetch_all(
            "SELECT k.auth_server_id, s.signing_algorithm FROM signing_keys k JOIN auth_servers s ON s.id = k.auth_server_id \
             WHERE k.retired_at IS NULL AND k.created_at < $1",
            args![micros(cutoff)],
        )
        .await?;
    rows.into_iter()
        .map(|(id, algorithm)| {
            Ok((
                super::parse_uuid(&id)?,
                SigningAlgorithm::parse(&algorithm).map_err(|_| Error::Corrupt(algorithm.clone()))?,
            ))
        })
        .collect()
}

/// Deletes keys retired longer ago than any token they signed can live.
pub async fn prune(store: &Store, now: DateTime<Utc>, publish_seconds: i64) -> Result<u64> {
    let cutoff = micros(now) - publish_seconds * 1_000_000;
    store
        .db()
        .execute("DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND retired_at <= $1", args![cutoff])
        .await
}

/// Every stored private key (`kid`, sealed form), or only those stored in clear.
pub(crate) async fn sealed_in(tx: &mut Tx, only_clear: bool) -> Result<Vec<(String, String)>> {
    let sql = if only_clear {
        "SELECT id, private_key FROM signing_keys WHERE private_key LIKE 'plain:%' ORDER BY id"
    } else {
        "SELECT id, private_key FROM signing_keys ORDER BY id"
    };
    tx.db().fetch_all(sql, args![]).await
}

/// Stores a key's private half sealed anew if it still is `old`; false when another node got there first.
pub(crate) async fn reseal_in(tx: &mut Tx, kid: &str, old: &str, new: &str) -> Result<bool> {
    let updated = tx
        .db()
        .execute("UPDATE signing_keys SET private_key = $3 WHERE id = $1 AND private_key = $2", args![kid, old, new])
        .await?;
    Ok(updated == 1)
}
