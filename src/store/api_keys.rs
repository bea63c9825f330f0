//! API keys of principals (Kong Identity v2). A key is stored only as its lookup digest, which
//! never leaves this module.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::admin::Origin;
use crate::domain::api_key::{ApiKey, ApiKeySecret, KeyKind, LookupKeys, MAX_KEYS_PER_PRINCIPAL};
use crate::domain::audit::{self, FieldChange, Resource, Snapshot};
use crate::domain::directory::ManagedBy;
use crate::domain::list::{ListParams, ListSchema};
use crate::domain::principal::Authenticated;

use super::audit::record;
use super::auth_servers::for_update;
use super::{Args, Error, ListPage, Result, Store, Tx, args, from_json, from_micros, list, micros, to_json};

/// Kong also lists `name`, which keys do not have.
pub const LIST: ListSchema = ListSchema { sortable: &["created_at", "updated_at"], filters: &[] };

/// The constraint a digest already stored violates: the same key exists somewhere.
pub const DIGEST_KEY: &str = "api_keys_directory_id_lookup_digest_key";

const COLUMNS: &str = "directory_id, principal_id, id, kind, expires_at, managed_by, created_at, updated_at";

pub fn resource(id: Uuid) -> Resource {
    Resource::new("key", id, None)
}

#[derive(sqlx::FromRow)]
struct Row {
    directory_id: String,
    principal_id: String,
    id: String,
    kind: String,
    expires_at: Option<i64>,
    managed_by: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<Row> for ApiKey {
    type Error = Error;

    fn try_from(row: Row) -> Result<ApiKey> {
        Ok(ApiKey {
            id: super::parse_uuid(&row.id)?,
            directory_id: super::parse_uuid(&row.directory_id)?,
            principal_id: super::parse_uuid(&row.principal_id)?,
            kind: KeyKind::parse(&row.kind).map_err(|_| Error::Corrupt(format!("api key kind {:?}", row.kind)))?,
            expires_at: row.expires_at.map(from_micros).transpose()?,
            managed_by: from_json::<ManagedBy>("managed_by", &row.managed_by)?,
            created_at: from_micros(row.created_at)?,
            updated_at: from_micros(row.updated_at)?,
        })
    }
}

/// `$first, $first+1, …` for `values`, pushed onto `args`.
fn placeholders(args: &mut Args, values: &[String]) -> String {
    values.iter().map(|value| format!("${}", args.push(value))).collect::<Vec<_>>().join(", ")
}

/// Stores a key under `digests[0]` (the current digest key's), refusing it when any of
/// `digests` is stored already ([`Error::Conflict`] on [`DIGEST_KEY`]), when the principal is
/// gone ([`Error::NotFound`]) or holds [`MAX_KEYS_PER_PRINCIPAL`] keys ([`Error::KeyLimit`]).
pub async fn insert(store: &Store, key: &ApiKey, digests: &[String], origin: &Origin) -> Result<()> {
    let Some((digest, older)) = digests.split_first() else {
        return Err(Error::Corrupt("an api key needs a digest".to_owned()));
    };
    let mut tx = store.begin().await?;
    // Locks the principal for the rest of the transaction, so the limit holds under concurrency.
    let locked = tx
        .db()
        .execute(
            "UPDATE principals SET updated_at = updated_at WHERE directory_id = $1 AND id = $2",
            args![key.directory_id, key.principal_id],
        )
        .await?;
    if locked == 0 {
        return Err(Error::NotFound);
    }
    let (count,) = tx
        .db()
        .fetch_one::<(i64,)>("SELECT COUNT(*) FROM api_keys WHERE principal_id = $1", args![key.principal_id])
        .await?;
    if count >= MAX_KEYS_PER_PRINCIPAL {
        return Err(Error::KeyLimit);
    }
    // The unique index sees only digests under the current key; one under an older key is
    // the same key all the same.
    if !older.is_empty() {
        let mut args = args![key.directory_id];
        let sql = format!(
            "SELECT id FROM api_keys WHERE directory_id = $1 AND lookup_digest IN ({})",
            placeholders(&mut args, older)
        );
        if tx.db().fetch_optional::<(String,)>(&sql, args).await?.is_some() {
            return Err(Error::Conflict { constraint: DIGEST_KEY.to_owned() });
        }
    }
    tx.db()
        .execute(
            &format!("INSERT INTO api_keys ({COLUMNS}, lookup_digest) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"),
            args![
                key.directory_id,
                key.principal_id,
                key.id,
                key.kind.as_str(),
                key.expires_at.map(micros),
                to_json(&key.managed_by),
                micros(key.created_at),
                micros(key.updated_at),
                digest,
            ],
        )
        .await?;
    let mut changes = audit::created(key);
    changes.push(FieldChange::redacted("secret"));
    super::changes::record(&mut tx, &super::changes::Change::Directory(key.directory_id)).await?;
    record(&mut tx, resource(key.id).event(origin, "created", changes)).await?;
    tx.commit().await
}

pub async fn get(store: &Store, directory_id: Uuid, principal_id: Uuid, id: Uuid) -> Result<ApiKey> {
    let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE directory_id = $1 AND principal_id = $2 AND id = $3");
    store.db().fetch_one::<Row>(&sql, args![directory_id, principal_id, id]).await?.try_into()
}

pub async fn list(
    store: &Store,
    directory_id: Uuid,
    principal_id: Uuid,
    params: &ListParams,
) -> Result<ListPage<ApiKey>> {
    let conditions = vec!["directory_id = $1".to_owned(), "principal_id = $2".to_owned()];
    list::fetch_page::<Row>(store, COLUMNS, "api_keys", conditions, args![directory_id, principal_id], params)
        .await?
        .try_map(ApiKey::try_from)
}

async fn fetch(tx: &mut Tx, directory_id: Uuid, principal_id: Uuid, id: Uuid) -> Result<ApiKey> {
    let sql = format!(
        "SELECT {COLUMNS} FROM api_keys WHERE directory_id = $1 AND principal_id = $2 AND id = $3{}",
        for_update(tx.dialect())
    );
    tx.db().fetch_one::<Row>(&sql, args![directory_id, principal_id, id]).await?.try_into()
}

/// Applies `change` atomically; a change that changes nothing writes nothing.
pub async fn modify<E: From<Error>>(
    store: &Store,
    (directory_id, principal_id, id): (Uuid, Uuid, Uuid),
    origin: &Origin,
    change: impl FnOnce(ApiKey) -> Result<ApiKey, E>,
) -> Result<ApiKey, E> {
    let mut tx = store.begin().await?;
    let current = fetch(&mut tx, directory_id, principal_id, id).await?;
    let before = current.snapshot();
    let mut key = change(current.clone())?;
    let changes = audit::diff(Some(&before), Some(&key.snapshot()));
    if changes.is_empty() {
        return Ok(current);
    }
    key.updated_at = origin.at;
    tx.db()
        .execute(
            "UPDATE api_keys SET expires_at = $2, managed_by = $3, updated_at = $4 WHERE id = $1",
            args![id, key.expires_at.map(micros), to_json(&key.managed_by), micros(key.updated_at)],
        )
        .await?;
    super::changes::record(&mut tx, &super::changes::Change::Directory(directory_id)).await?;
    record(&mut tx, resource(id).event(origin, "updated", changes)).await?;
    tx.commit().await?;
    Ok(key)
}

pub async fn delete(store: &Store, directory_id: Uuid, principal_id: Uuid, id: Uuid, origin: &Origin) -> Result<()> {
    let mut tx = store.begin().await?;
    let gone = fetch(&mut tx, directory_id, principal_id, id).await?;
    tx.db().execute("DELETE FROM api_keys WHERE id = $1", args![id]).await?;
    super::changes::record(&mut tx, &super::changes::Change::Directory(directory_id)).await?;
    record(&mut tx, resource(id).event(origin, "deleted", audit::diff(Some(&gone.snapshot()), None))).await?;
    tx.commit().await
}

/// The principal of the directory that holds `presented`, unless it expired by `now`: one
/// indexed lookup by the key's digests under every digest key in use (no Argon2, no scan).
pub async fn principal_for_key(
    store: &Store,
    keys: &LookupKeys,
    directory_id: Uuid,
    presented: &ApiKeySecret,
    now: DateTime<Utc>,
) -> Result<Option<Authenticated>> {
    let mut args = args![directory_id, micros(now)];
    let sql = format!(
        "SELECT principal_id, expires_at FROM api_keys WHERE lookup_digest IN ({}) AND directory_id = $1 \
         AND (expires_at IS NULL OR expires_at > $2)",
        placeholders(&mut args, &keys.digests(presented))
    );
    let found: Option<(String, Option<i64>)> = store.db().fetch_optional(&sql, args).await?;
    found
        .map(|(id, expires_at)| {
            Ok(Authenticated {
                principal_id: super::parse_uuid(&id)?,
                valid_until: expires_at.map(from_micros).transpose()?,
            })
        })
        .transpose()
}
