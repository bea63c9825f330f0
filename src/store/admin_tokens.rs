//! The management API's bearer token, stored as a digest.

use chrono::{DateTime, Utc};

use super::{Result, Store, args, micros};

/// The single row's key: one admin token per deployment.
const ADMIN: &str = "admin";

/// Stores the digest unless one exists; true when this call stored it. Safe when several
/// nodes start at once: exactly one wins.
pub async fn initialize(store: &Store, digest: &str, now: DateTime<Utc>) -> Result<bool> {
    let inserted = store
        .db()
        .execute(
            "INSERT INTO admin_tokens (id, token_hash, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
            args![ADMIN, digest, micros(now)],
        )
        .await?;
    Ok(inserted == 1)
}

/// Replaces the stored digest.
pub async fn replace(store: &Store, digest: &str, now: DateTime<Utc>) -> Result<()> {
    store
        .db()
        .execute(
            "INSERT INTO admin_tokens (id, token_hash, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at",
            args![ADMIN, digest, micros(now)],
        )
        .await?;
    Ok(())
}

pub async fn digest(store: &Store) -> Result<Option<String>> {
    let row: Option<(String,)> =
        store.db().fetch_optional("SELECT token_hash FROM admin_tokens WHERE id = $1", args![ADMIN]).await?;
    Ok(row.map(|(digest,)| digest))
}
