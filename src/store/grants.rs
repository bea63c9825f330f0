//! Single use of sealed flow artefacts (login challenges, verifiers, authorization codes),
//! and the deployment's own generated secrets.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Result, Store, Tx, args, micros};

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

/// [`mark_used`] for an artefact whose use is audited (a login request answered): `event` is
/// recorded in the same transaction, only by the first use.
pub async fn mark_used_audited(
    store: &Store,
    id: Uuid,
    auth_server_id: Uuid,
    kind: &str,
    expires_at: DateTime<Utc>,
    event: crate::domain::audit::Event,
) -> Result<bool> {
    let mut tx = store.begin().await?;
    let inserted = tx
        .db()
        .execute(
            "INSERT INTO used_grants (id, auth_server_id, kind, tokens, expires_at) VALUES ($1, $2, $3, '[]', $4) \
             ON CONFLICT (id) DO NOTHING",
            args![id, auth_server_id, kind, micros(expires_at)],
        )
        .await?;
    if inserted == 1 {
        super::audit::record(&mut tx, event).await?;
    }
    tx.commit().await?;
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

/// A deployment secret's value and when it was stored, if there is one.
pub async fn find_deployment_secret(store: &Store, name: &str) -> Result<Option<(String, DateTime<Utc>)>> {
    let row: Option<(String, i64)> = store
        .db()
        .fetch_optional("SELECT value, created_at FROM deployment_secrets WHERE name = $1", args![name])
        .await?;
    row.map(|(value, at)| Ok((value, super::from_micros(at)?))).transpose()
}

pub(crate) async fn deployment_secret_in(tx: &mut Tx, name: &str) -> Result<Option<(String, DateTime<Utc>)>> {
    let row: Option<(String, i64)> =
        tx.db().fetch_optional("SELECT value, created_at FROM deployment_secrets WHERE name = $1", args![name]).await?;
    row.map(|(value, at)| Ok((value, super::from_micros(at)?))).transpose()
}

/// Replaces a deployment secret's value (or deletes it, with `None`) if it still is `old`;
/// false when another node got there first.
pub(crate) async fn replace_deployment_secret_in(
    tx: &mut Tx,
    name: &str,
    old: &str,
    new: Option<&str>,
) -> Result<bool> {
    let changed = match new {
        Some(new) => {
            tx.db()
                .execute(
                    "UPDATE deployment_secrets SET value = $3 WHERE name = $1 AND value = $2",
                    args![name, old, new],
                )
                .await?
        }
        None => {
            tx.db().execute("DELETE FROM deployment_secrets WHERE name = $1 AND value = $2", args![name, old]).await?
        }
    };
    Ok(changed == 1)
}

/// Moves the secret `name`, if it still is `old`, to `retired_name` as `new` (stored at `now`);
/// false when another node got there first.
pub(crate) async fn retire_deployment_secret_in(
    tx: &mut Tx,
    (name, old): (&str, &str),
    (retired_name, new): (&str, &str),
    now: DateTime<Utc>,
) -> Result<bool> {
    let deleted =
        tx.db().execute("DELETE FROM deployment_secrets WHERE name = $1 AND value = $2", args![name, old]).await?;
    if deleted == 1 {
        tx.db()
            .execute(
                "INSERT INTO deployment_secrets (name, value, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value, created_at = excluded.created_at",
                args![retired_name, new, micros(now)],
            )
            .await?;
    }
    Ok(deleted == 1)
}
