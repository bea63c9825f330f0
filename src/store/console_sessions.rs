//! Web console sessions: the digest of each session token, the admin credential it signed in
//! as, and when it was last used. The credential is read with the session on every request,
//! so disabling, expiring, rotating or deleting it ends its sessions on every node at once.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::admin::AdminCredential;

use super::admin_credentials::{COLUMNS, Row};
use super::{Result, Store, args, from_micros, micros};

/// A session as stored, with its credential.
#[derive(Debug)]
pub struct Stored {
    pub credential: AdminCredential,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    #[sqlx(flatten)]
    credential: Row,
    session_created_at: i64,
    session_last_seen_at: i64,
}

/// Starts a session for the credential whose token has `token_hash`, ending its oldest ones
/// beyond the newest `keep`, so signing in over and over cannot pile up rows.
pub async fn insert(
    store: &Store,
    id_hash: &str,
    credential: Uuid,
    token_hash: &str,
    at: DateTime<Utc>,
    keep: i64,
) -> Result<()> {
    let mut tx = store.begin().await?;
    tx.db()
        .execute(
            "INSERT INTO console_sessions (id_hash, credential_id, token_hash, created_at, last_seen_at) \
             VALUES ($1, $2, $3, $4, $4)",
            args![id_hash, credential, token_hash, micros(at)],
        )
        .await?;
    tx.db()
        .execute(
            "DELETE FROM console_sessions WHERE credential_id = $1 AND id_hash NOT IN \
             (SELECT id_hash FROM console_sessions WHERE credential_id = $1 ORDER BY created_at DESC, id_hash LIMIT $2)",
            args![credential, keep],
        )
        .await?;
    tx.commit().await
}

/// The session with this digest, if its credential still exists with the token it signed in with.
pub async fn get(store: &Store, id_hash: &str) -> Result<Option<Stored>> {
    let columns = COLUMNS.split(", ").map(|column| format!("c.{column}")).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT {columns}, s.created_at AS session_created_at, s.last_seen_at AS session_last_seen_at \
         FROM console_sessions s JOIN admin_credentials c \
         ON c.id = s.credential_id AND c.token_hash = s.token_hash WHERE s.id_hash = $1"
    );
    let Some(row) = store.db().fetch_optional::<SessionRow>(&sql, args![id_hash]).await? else {
        return Ok(None);
    };
    Ok(Some(Stored {
        credential: row.credential.try_into()?,
        created_at: from_micros(row.session_created_at)?,
        last_seen_at: from_micros(row.session_last_seen_at)?,
    }))
}

/// Notes that the session was used at `at` (never moving the time backwards).
pub async fn touch(store: &Store, id_hash: &str, at: DateTime<Utc>) -> Result<()> {
    store
        .db()
        .execute(
            "UPDATE console_sessions SET last_seen_at = $2 WHERE id_hash = $1 AND last_seen_at < $2",
            args![id_hash, micros(at)],
        )
        .await?;
    Ok(())
}

pub async fn delete(store: &Store, id_hash: &str) -> Result<()> {
    store.db().execute("DELETE FROM console_sessions WHERE id_hash = $1", args![id_hash]).await?;
    Ok(())
}

/// Drops sessions idle since before `idle_before` or started before `started_before`.
pub async fn purge(store: &Store, idle_before: DateTime<Utc>, started_before: DateTime<Utc>) -> Result<u64> {
    store
        .db()
        .execute(
            "DELETE FROM console_sessions WHERE last_seen_at < $1 OR created_at < $2",
            args![micros(idle_before), micros(started_before)],
        )
        .await
}
