//! Client secrets, stored as Argon2id hashes only.

use super::changes::{self, Change};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::ClientId;
use crate::domain::admin::Origin;
use crate::domain::audit::{self, FieldChange, Resource};
use crate::domain::list::{FilterKind, ListParams, ListSchema};
use crate::domain::secret::{NewSecret, SecretInfo};

use super::{Error, ListPage, Result, Store, Tx, args, from_micros, list, micros, parse_uuid};

/// Two enabled secrets let a client rotate without downtime.
pub const MAX_ENABLED: i64 = 2;

pub const LIST: ListSchema = ListSchema {
    sortable: &["created_at", "updated_at"],
    filters: &[("id", FilterKind::Exact), ("enabled", FilterKind::Bool)],
};

const COLUMNS: &str = "id, enabled, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    enabled: bool,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<Row> for SecretInfo {
    type Error = Error;

    fn try_from(row: Row) -> Result<SecretInfo> {
        Ok(SecretInfo {
            id: parse_uuid(&row.id)?,
            enabled: row.enabled,
            created_at: from_micros(row.created_at)?,
            updated_at: from_micros(row.updated_at)?,
        })
    }
}

/// Locks the client row for the rest of the transaction, so secret limits hold under concurrency.
async fn lock_client(tx: &mut Tx, auth_server_id: Uuid, client_id: &ClientId) -> Result<()> {
    let touched = tx
        .db()
        .execute(
            "UPDATE clients SET updated_at = updated_at WHERE auth_server_id = $1 AND id = $2",
            args![auth_server_id, client_id.as_str()],
        )
        .await?;
    if touched == 0 { Err(Error::NotFound) } else { Ok(()) }
}

async fn enabled_count(tx: &mut Tx, auth_server_id: Uuid, client_id: &ClientId) -> Result<i64> {
    let (count,) = tx
        .db()
        .fetch_one::<(i64,)>(
            "SELECT COUNT(*) FROM client_secrets WHERE auth_server_id = $1 AND client_id = $2 AND enabled = TRUE",
            args![auth_server_id, client_id.as_str()],
        )
        .await?;
    Ok(count)
}

pub(crate) async fn insert_in(
    tx: &mut Tx,
    auth_server_id: Uuid,
    client_id: &ClientId,
    secret: &NewSecret,
) -> Result<()> {
    tx.db()
        .execute(
            "INSERT INTO client_secrets (id, auth_server_id, client_id, secret_hash, enabled, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            args![
                secret.info.id,
                auth_server_id,
                client_id.as_str(),
                &secret.hash,
                secret.info.enabled,
                micros(secret.info.created_at),
                micros(secret.info.updated_at),
            ],
        )
        .await?;
    Ok(())
}

/// Adds a secret to a client, refusing a third enabled one.
pub async fn insert(
    store: &Store,
    auth_server_id: Uuid,
    client_id: &ClientId,
    secret: &NewSecret,
    origin: &Origin,
) -> Result<()> {
    let mut tx = store.begin().await?;
    lock_client(&mut tx, auth_server_id, client_id).await?;
    if secret.info.enabled && enabled_count(&mut tx, auth_server_id, client_id).await? >= MAX_ENABLED {
        return Err(Error::SecretLimit);
    }
    insert_in(&mut tx, auth_server_id, client_id, secret).await?;
    changes::record(&mut tx, &Change::Client(auth_server_id, client_id.as_str().to_owned())).await?;
    let mut fields = audit::created(&secret.info);
    fields.extend([client_field(client_id), FieldChange::redacted("secret")]);
    let event = Resource::client_secret(auth_server_id, secret.info.id).event(origin, "created", fields);
    super::audit::record(&mut tx, event).await?;
    tx.commit().await
}

pub async fn get(store: &Store, auth_server_id: Uuid, client_id: &ClientId, id: Uuid) -> Result<SecretInfo> {
    let sql = format!("SELECT {COLUMNS} FROM client_secrets WHERE auth_server_id = $1 AND client_id = $2 AND id = $3");
    store.db().fetch_one::<Row>(&sql, args![auth_server_id, client_id.as_str(), id]).await?.try_into()
}

pub async fn list(
    store: &Store,
    auth_server_id: Uuid,
    client_id: &ClientId,
    params: &ListParams,
) -> Result<ListPage<SecretInfo>> {
    let conditions = vec!["auth_server_id = $1".to_owned(), "client_id = $2".to_owned()];
    list::fetch_page::<Row>(
        store,
        COLUMNS,
        "client_secrets",
        conditions,
        args![auth_server_id, client_id.as_str()],
        params,
    )
    .await?
    .try_map(SecretInfo::try_from)
}

/// Enables or disables a secret, refusing a third enabled one.
pub async fn set_enabled(
    store: &Store,
    auth_server_id: Uuid,
    client_id: &ClientId,
    id: Uuid,
    enabled: bool,
    now: DateTime<Utc>,
    origin: &Origin,
) -> Result<SecretInfo> {
    let mut tx = store.begin().await?;
    lock_client(&mut tx, auth_server_id, client_id).await?;
    let sql = format!("SELECT {COLUMNS} FROM client_secrets WHERE auth_server_id = $1 AND client_id = $2 AND id = $3");
    let current: SecretInfo =
        tx.db().fetch_one::<Row>(&sql, args![auth_server_id, client_id.as_str(), id]).await?.try_into()?;
    if enabled && !current.enabled && enabled_count(&mut tx, auth_server_id, client_id).await? >= MAX_ENABLED {
        return Err(Error::SecretLimit);
    }
    tx.db()
        .execute(
            "UPDATE client_secrets SET enabled = $4, updated_at = $5 WHERE auth_server_id = $1 AND client_id = $2 AND id = $3",
            args![auth_server_id, client_id.as_str(), id, enabled, micros(now)],
        )
        .await?;
    changes::record(&mut tx, &Change::Client(auth_server_id, client_id.as_str().to_owned())).await?;
    let updated = SecretInfo { enabled, updated_at: now, ..current.clone() };
    let changed = audit::updated(&current, &updated);
    if !changed.is_empty() {
        let verb = if enabled { "enabled" } else { "disabled" };
        super::audit::record(&mut tx, Resource::client_secret(auth_server_id, id).event(origin, verb, changed)).await?;
    }
    tx.commit().await?;
    Ok(updated)
}

/// The client a new secret belongs to.
fn client_field(client_id: &ClientId) -> FieldChange {
    FieldChange::values("client_id", serde_json::Value::Null, client_id.as_str().into())
}

pub async fn delete(
    store: &Store,
    auth_server_id: Uuid,
    client_id: &ClientId,
    id: Uuid,
    origin: &Origin,
) -> Result<()> {
    let deleted = super::execute_with_change(
        store,
        "DELETE FROM client_secrets WHERE auth_server_id = $1 AND client_id = $2 AND id = $3",
        args![auth_server_id, client_id.as_str(), id],
        &Change::Client(auth_server_id, client_id.as_str().to_owned()),
        Resource::client_secret(auth_server_id, id).event(origin, "deleted", vec![FieldChange::redacted("secret")]),
    )
    .await?;
    if deleted == 0 { Err(Error::NotFound) } else { Ok(()) }
}

/// Hashes of the client's enabled secrets, the ones that authenticate it.
pub async fn enabled_hashes(store: &Store, auth_server_id: Uuid, client_id: &ClientId) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = store
        .db()
        .fetch_all(
            "SELECT secret_hash FROM client_secrets WHERE auth_server_id = $1 AND client_id = $2 AND enabled = TRUE \
             ORDER BY created_at",
            args![auth_server_id, client_id.as_str()],
        )
        .await?;
    Ok(rows.into_iter().map(|(hash,)| hash).collect())
}
