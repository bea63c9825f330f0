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
    super::changes::record(&mut tx, &super::changes::Change::Directory(principal.directory_id)).await?;
    record(&mut tx, resource(principal.id).event(origin, "created", audit::created(principal))).await?;
    tx.commit().await
}

pub async fn get(store: &Store, directory_id: Uuid, id: Uuid) -> Result<Principal> {
    let sql = format!("SELECT {COLUMNS} FROM principals WHERE directory_id = $1 AND id = $2");
    store.db().fetch_one::<Row>(&sql, args![directory_id, id]).await?.try_into()
}

/// The principal a client of an auth server is linked to by an `auth_server_client` identity
/// (the oldest link, when several directories link it), if any.
pub async fn of_client(store: &Store, auth_server_id: Uuid, client_id: &str) -> Result<Option<Principal>> {
    let Some((directory_id, id)) = super::identities::principal_for_client(store, auth_server_id, client_id).await?
    else {
        return Ok(None);
    };
    match get(store, directory_id, id).await {
        Ok(principal) => Ok(Some(principal)),
        Err(Error::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The clients linked to a principal by `auth_server_client` identities: a change to the
/// principal changes what their tokens carry.
pub(crate) async fn linked_clients(db: Db<'_>, principal_id: Uuid) -> Result<Vec<(Uuid, String)>> {
    let rows: Vec<(String, String)> = db
        .fetch_all(
            "SELECT auth_server_id, client_id FROM identities WHERE principal_id = $1 AND auth_server_id IS NOT NULL \
             AND client_id IS NOT NULL",
            args![principal_id],
        )
        .await?;
    rows.into_iter().map(|(server, client)| Ok((super::parse_uuid(&server)?, client))).collect()
}

/// Records a change of every client linked to the principal, in the writing transaction, so
/// every node's cached copy (and the `.Principal` of their next tokens) follows.
pub(crate) async fn record_linked_changes(tx: &mut Tx, principal_id: Uuid) -> Result<()> {
    for (auth_server_id, client_id) in linked_clients(tx.db(), principal_id).await? {
        super::changes::record(tx, &super::changes::Change::Client(auth_server_id, client_id)).await?;
    }
    Ok(())
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
    super::changes::record(&mut tx, &super::changes::Change::Directory(directory_id)).await?;
    record(&mut tx, resource(id).event(origin, "updated", changes)).await?;
    record_linked_changes(&mut tx, id).await?;
    tx.commit().await?;
    Ok(principal)
}

pub async fn delete(store: &Store, directory_id: Uuid, id: Uuid, origin: &Origin) -> Result<()> {
    let mut tx = store.begin().await?;
    let gone = fetch(&mut tx, directory_id, id).await?;
    record_linked_changes(&mut tx, id).await?;
    tx.db().execute("DELETE FROM principals WHERE directory_id = $1 AND id = $2", args![directory_id, id]).await?;
    super::changes::record(&mut tx, &super::changes::Change::Directory(directory_id)).await?;
    record(&mut tx, resource(id).event(origin, "deleted", audit::diff(Some(&gone.snapshot()), None))).await?;
    tx.commit().await
}
