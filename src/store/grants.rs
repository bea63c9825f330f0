//! Single use of sealed flow artefacts (login challenges, verifiers, authorization codes),
//! and the deployment's own generated secrets.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Result, Store, args, micros};

/// Marks an artefact used; true the first time, false when it had been used already.
pub async fn mark_used(
    store: &Store,
    id: Uuid,
    auth_server_id: Uuid,
    kind: &str,
    expires_at: DateTime<Utc>,
) -> Result<bool> {
    let inserted = store
        .db()
        .execute(
            "INSERT INTO used_grants (id, auth_server_id, kind, tokens, expires_at) VALUES ($1, $2, $3, '[]', $4) \
             ON CONFLICT (id) DO NOTHING",
            args![id, auth_server_id, kind, micros(expires_at)],
        )
        .await?;
    Ok(inserted == 1)
}

/// Marks that a used artefact was presented again. True when its first use is still issuing
/// (nothing recorded yet): that use will then find the mark and revoke what it issued.
pub async fn mark_replayed(store: &Store, id: Uuid) -> Result<bool> {
    let marked = store
        .db()
        .execute("UPDATE used_grants SET tokens = $2 WHERE id = $1 AND tokens = '[]'", args![id, REPLAYED])
        .await?;
    Ok(marked == 1)
}

const REPLAYED: &str = "\"replayed\"";

/// Records what a used artefact issued (token ids as a JSON list), for revocation on replay;
/// false when a replay arrived in the meantime, so what was issued must be revoked at once.
pub async fn record_issued(store: &Store, id: Uuid, tokens: &str) -> Result<bool> {
    let recorded = store
        .db()
        .execute("UPDATE used_grants SET tokens = $2 WHERE id = $1 AND tokens = '[]'", args![id, tokens])
        .await?;
    Ok(recorded == 1)
}

/// What a used artefact issued (a JSON list), if it was used.
pub async fn issued(store: &Store, id: Uuid) -> Result<Option<String>> {
    let row: Option<(String,)> =
        store.db().fetch_optional("SELECT tokens FROM used_grants WHERE id = $1", args![id]).await?;
    Ok(row.map(|(tokens,)| tokens))
}

/// Forgets marks of artefacts that expired a while ago; the margin covers nodes whose clocks
/// run behind, which could otherwise still accept an artefact whose mark is gone.
pub async fn purge_expired(store: &Store, now: DateTime<Utc>) -> Result<u64> {
    let before = now - chrono::TimeDelta::minutes(5);
    store.db().execute("DELETE FROM used_grants WHERE expires_at < $1", args![micros(before)]).await
}

/// The deployment secret called `name`, created with `generate` by whichever node asks first.
pub async fn deployment_secret(
    store: &Store,
    name: &str,
    generate: impl FnOnce() -> String,
    now: DateTime<Utc>,
) -> Result<String> {
    store
        .db()
        .execute(
            "INSERT INTO deployment_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
            args![name, generate(), micros(now)],
        )
        .await?;
    let (value,): (String,) =
        store.db().fetch_one("SELECT value FROM deployment_secrets WHERE name = $1", args![name]).await?;
    Ok(value)
}
