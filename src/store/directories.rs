//! Directories (Kong Identity v2) and their realm configuration.

use uuid::Uuid;

use crate::domain::Labels;
use crate::domain::admin::Origin;
use crate::domain::audit::{self, Resource, Snapshot};
use crate::domain::directory::{Directory, DirectoryName, ManagedBy, Realm};
use crate::domain::list::{ListParams, ListSchema};

use super::audit::record;
use super::auth_servers::for_update;
use super::{Error, ListPage, Result, Store, Tx, args, from_json, from_micros, list, micros, to_json};

pub const LIST: ListSchema = ListSchema { sortable: &["name", "created_at", "updated_at"], filters: &[] };

const COLUMNS: &str = "id, name, description, allowed_control_planes, allow_all_control_planes, ttl_secs, \
    negative_ttl_secs, labels, managed_by, realm_ttl, realm_negative_ttl, realm_consumer_groups, created_at, updated_at";

pub fn resource(id: Uuid) -> Resource {
    Resource::new("directory", id, None)
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    name: String,
    description: String,
    allowed_control_planes: String,
    allow_all_control_planes: bool,
    ttl_secs: i64,
    negative_ttl_secs: i64,
    labels: String,
    managed_by: String,
    realm_ttl: i64,
    realm_negative_ttl: i64,
    realm_consumer_groups: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<Row> for Directory {
    type Error = Error;

    fn try_from(row: Row) -> Result<Directory> {
        Ok(Directory {
            id: super::parse_uuid(&row.id)?,
            name: DirectoryName::trusted(row.name),
            description: row.description,
            allowed_control_planes: from_json("allowed_control_planes", &row.allowed_control_planes)?,
            allow_all_control_planes: row.allow_all_control_planes,
            ttl_secs: row.ttl_secs,
            negative_ttl_secs: row.negative_ttl_secs,
            labels: from_json::<Labels>("labels", &row.labels)?,
            managed_by: from_json::<ManagedBy>("managed_by", &row.managed_by)?,
            realm: Realm {
                ttl: row.realm_ttl,
                negative_ttl: row.realm_negative_ttl,
                consumer_groups: from_json("realm_consumer_groups", &row.realm_consumer_groups)?,
            },
            created_at: from_micros(row.created_at)?,
            updated_at: from_micros(row.updated_at)?,
        })
    }
}

fn values(directory: &Directory) -> super::Args {
    args![
        directory.id,
        directory.name.as_str(),
        &directory.description,
        to_json(&directory.allowed_control_planes),
        directory.allow_all_control_planes,
        directory.ttl_secs,
        directory.negative_ttl_secs,
        to_json(&directory.labels),
        to_json(&directory.managed_by),
        directory.realm.ttl,
        directory.realm.negative_ttl,
        to_json(&directory.realm.consumer_groups),
        micros(directory.created_at),
        micros(directory.updated_at),
    ]
}

pub async fn insert(store: &Store, directory: &Directory, origin: &Origin) -> Result<()> {
    let mut tx = store.begin().await?;
    let sql = format!(
        "INSERT INTO directories ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    );
    tx.db().execute(&sql, values(directory)).await?;
    super::changes::record(&mut tx, &super::changes::Change::Directory(directory.id)).await?;
    record(&mut tx, resource(directory.id).event(origin, "created", audit::created(directory))).await?;
    tx.commit().await
}

pub async fn get(store: &Store, id: Uuid) -> Result<Directory> {
    let sql = format!("SELECT {COLUMNS} FROM directories WHERE id = $1");
    store.db().fetch_one::<Row>(&sql, args![id]).await?.try_into()
}

/// A page of directories; `only`, when given, limits it to those ids (a scoped caller's).
pub async fn list(store: &Store, params: &ListParams, only: Option<&[Uuid]>) -> Result<ListPage<Directory>> {
    let (mut conditions, mut bound) = (Vec::new(), args![]);
    list::restrict_to("id", only, &mut conditions, &mut bound);
    list::fetch_page::<Row>(store, COLUMNS, "directories", conditions, bound, params)
        .await?
        .try_map(Directory::try_from)
}

async fn fetch(tx: &mut Tx, id: Uuid) -> Result<Directory> {
    let sql = format!("SELECT {COLUMNS} FROM directories WHERE id = $1{}", for_update(tx.dialect()));
    tx.db().fetch_one::<Row>(&sql, args![id]).await?.try_into()
}

/// Applies `change` to the stored directory atomically (its fields or its realm: `verb` names
/// the event, `updated` or `realm_config_replaced`); a change that changes nothing writes
/// nothing.
pub async fn modify<E: From<Error>>(
    store: &Store,
    id: Uuid,
    origin: &Origin,
    verb: &str,
    change: impl FnOnce(Directory) -> Result<Directory, E>,
) -> Result<Directory, E> {
    let mut tx = store.begin().await?;
    let current = fetch(&mut tx, id).await?;
    let before = current.snapshot();
    let mut directory = change(current.clone())?;
    let changes = audit::diff(Some(&before), Some(&directory.snapshot()));
    if changes.is_empty() {
        return Ok(current);
    }
    directory.updated_at = origin.at;
    tx.db()
        .execute(
            "UPDATE directories SET name = $2, description = $3, allowed_control_planes = $4, \
             allow_all_control_planes = $5, ttl_secs = $6, negative_ttl_secs = $7, labels = $8, managed_by = $9, \
             realm_ttl = $10, realm_negative_ttl = $11, realm_consumer_groups = $12, created_at = $13, updated_at = $14 \
             WHERE id = $1",
            values(&directory),
        )
        .await?;
    super::changes::record(&mut tx, &super::changes::Change::Directory(id)).await?;
    record(&mut tx, resource(id).event(origin, verb, changes)).await?;
    tx.commit().await?;
    Ok(directory)
}

/// Deletes a directory; its principals and what they hold go with it, but only when `force`
/// says so: otherwise a directory that holds principals is [`Error::NotEmpty`].
pub async fn delete(store: &Store, id: Uuid, force: bool, origin: &Origin) -> Result<()> {
    let mut tx = store.begin().await?;
    let gone = fetch(&mut tx, id).await?;
    if !force && super::principals::count(tx.db(), id).await? > 0 {
        return Err(Error::NotEmpty);
    }
    // Clients linked to the principals that go change what their tokens carry (`.Principal`).
    let linked: Vec<(String, String)> = tx
        .db()
        .fetch_all(
            "SELECT auth_server_id, client_id FROM identities WHERE directory_id = $1 \
             AND auth_server_id IS NOT NULL AND client_id IS NOT NULL",
            args![id],
        )
        .await?;
    for (auth_server_id, client_id) in linked {
        let change = super::changes::Change::Client(super::parse_uuid(&auth_server_id)?, client_id);
        super::changes::record(&mut tx, &change).await?;
    }
    tx.db().execute("DELETE FROM directories WHERE id = $1", args![id]).await?;
    super::changes::record(&mut tx, &super::changes::Change::Directory(id)).await?;
    record(&mut tx, resource(id).event(origin, "deleted", audit::diff(Some(&gone.snapshot()), None))).await?;
    tx.commit().await
}
