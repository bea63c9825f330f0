//! Principals of a directory (Kong Identity v2).

use uuid::Uuid;

use crate::domain::Labels;
use crate::domain::admin::Origin;
use crate::domain::audit::{self, Resource, Snapshot};
use crate::domain::directory::ManagedBy;
use crate::domain::list::{FilterKind, ListParams, ListSchema};
use crate::domain::principal::{Metadata, Principal};

use super::audit::record;
use super::auth_servers::for_update;
use super::{Db, Error, ListPage, Result, Store, Tx, args, from_json, from_micros, list, micros, to_json};

pub const LIST: ListSchema = ListSchema {
    sortable: &["display_name", "created_at", "updated_at"],
    filters: &[
        ("display_name", FilterKind::Text),
        ("description", FilterKind::Text),
        ("id", FilterKind::Exact),
        ("labels", FilterKind::Labels),
    ],
};

const COLUMNS: &str = "directory_id, id, display_name, description, metadata, labels, managed_by, provisioned_by, \
    created_at, updated_at";

/// Principals are audited without an auth server; the directory is in the resource id's
/// neighbour, the event's changes.
pub fn resource(id: Uuid) -> Resource {
    Resource::new("principal", id, None)
}

#[derive(sqlx::FromRow)]
struct Row {
    directory_id: String,
    id: String,
    display_name: String,
    description: String,
    metadata: String,
    labels: String,
    managed_by: String,
    provisioned_by: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<Row> for Principal {
    type Error = Error;

    fn try_from(row: Row) -> Result<Principal> {
        Ok(Principal {
            id: super::parse_uuid(&row.id)?,
            directory_id: super::parse_uuid(&row.directory_id)?,
            display_name: row.display_name,
            description: row.description,
            metadata: from_json::<Metadata>("metadata", &row.metadata)?,
            labels: from_json::<Labels>("labels", &row.labels)?,
            managed_by: from_json::<ManagedBy>("managed_by", &row.managed_by)?,
            provisioned_by: row.provisioned_by,
            created_at: from_micros(row.created_at)?,
            updated_at: from_micros(row.updated_at)?,
        })
    }
}

fn values(principal: &Principal) -> super::Args {
    args![
        principal.directory_id,
        principal.id,
        &principal.display_name,
        &principal.description,
        to_json(&principal.metadata),
        to_json(&principal.labels),
        to_json(&principal.managed_by),
        &principal.provisioned_by,
        micros(principal.created_at),
        micros(principal.updated_at),
    ]
}

/// Inserts a principal; a directory that is gone is [`Error::ForeignKey`].
pub async fn insert(store: &Store, principal: &Principal, origin: &Origin) -> Result<()> {
    let mut tx = store.begin().await?;
    let sql = format!("INSERT INTO principals ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)");
    tx.db().execute(&sql, values(principal)).await?;
    record(&mut tx, resource(principal.id).event(origin, "created", audit::created(principal))).await?;
    tx.commit().await
}

pub async fn get(store: &Store, directory_id: Uuid, id: Uuid) -> Result<Principal> {
    let sql = format!("SELECT {COLUMNS} FROM principals WHERE directory_id = $1 AND id = $2");
    store.db().fetch_one::<Row>(&sql, args![directory_id, id]).await?.try_into()
}

/// How many principals a directory holds (a delete without `force` needs none).
pub(crate) async fn count(db: Db<'_>, directory_id: Uuid) -> Result<i64> {
    let (count,) =
        db.fetch_one::<(i64,)>("SELECT COUNT(*) FROM principals WHERE directory_id = $1", args![directory_id]).await?;
    Ok(count)
}

pub async fn list(store: &Store, directory_id: Uuid, params: &ListParams) -> Result<ListPage<Principal>> {
    let conditions = vec!["directory_id = $1".to_owned()];
    list::fetch_page::<Row>(store, COLUMNS, "principals", conditions, args![directory_id], params)
        .await?
        .try_map(Principal::try_from)
}

async fn fetch(tx: &mut Tx, directory_id: Uuid, id: Uuid) -> Result<Principal> {
    let sql =
        format!("SELECT {COLUMNS} FROM principals WHERE directory_id = $1 AND id = $2{}", for_update(tx.dialect()));
    tx.db().fetch_one::<Row>(&sql, args![directory_id, id]).await?.try_into()
}

/// Applies `change` atomically; a change that changes nothing writes nothing.
pub async fn modify<E: From<Error>>(
    store: &Store,
    directory_id: Uuid,
    id: Uuid,
    origin: &Origin,
    change: impl FnOnce(Principal) -> Result<Principal, E>,
) -> Result<Principal, E> {
    let mut tx = store.begin().await?;
    let current = fetch(&mut tx, directory_id, id).await?;
    let before = current.snapshot();
    let mut principal = change(current.clone())?;
    let changes = audit::diff(Some(&before), Some(&principal.snapshot()));
    if changes.is_empty() {
        return Ok(current);
    }
    principal.updated_at = origin.at;
    tx.db()
        .execute(
            "UPDATE principals SET display_name = $3, description = $4, metadata = $5, labels = $6, managed_by = $7, \
             provisioned_by = $8, created_at = $9, updated_at = $10 WHERE directory_id = $1 AND id = $2",
            values(&principal),
        )
        .await?;
    record(&mut tx, resource(id).event(origin, "updated", changes)).await?;
    tx.commit().await?;
    Ok(principal)
}

pub async fn delete(store: &Store, directory_id: Uuid, id: Uuid, origin: &Origin) -> Result<()> {
    let mut tx = store.begin().await?;
    let gone = fetch(&mut tx, directory_id, id).await?;
    tx.db().execute("DELETE FROM principals WHERE directory_id = $1 AND id = $2", args![directory_id, id]).await?;
    record(&mut tx, resource(id).event(origin, "deleted", audit::diff(Some(&gone.snapshot()), None))).await?;
    tx.commit().await
}
