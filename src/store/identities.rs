//! Identities of principals (Kong Identity v2), and the lookups that find a principal by one.

use uuid::Uuid;

use crate::domain::Labels;
use crate::domain::admin::Origin;
use crate::domain::audit::{self, Resource, Snapshot};
use crate::domain::identity::{Identity, IdentityKey, MAX_PER_PRINCIPAL};
use crate::domain::list::{FilterKind, ListParams, ListSchema};

use super::audit::record;
use super::auth_servers::for_update;
use super::{Error, ListPage, Result, Store, Tx, args, from_json, from_micros, list, micros, to_json};

pub const LIST: ListSchema =
    ListSchema { sortable: &["created_at", "updated_at", "type"], filters: &[("type", FilterKind::OneOf)] };

/// The constraint that keeps a key to one principal of a directory.
pub const KEY_TAKEN: &str = "identities_directory_id_type_lookup_key_key";

const COLUMNS: &str = "directory_id, principal_id, id, type, lookup_key, details, auth_server_id, client_id, labels, created_at, updated_at";

pub fn resource(id: Uuid) -> Resource {
    Resource::new("identity", id, None)
}

#[derive(sqlx::FromRow)]
struct Row {
    directory_id: String,
    principal_id: String,
    id: String,
    details: String,
    labels: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<Row> for Identity {
    type Error = Error;

    fn try_from(row: Row) -> Result<Identity> {
        Ok(Identity {
            id: super::parse_uuid(&row.id)?,
            directory_id: super::parse_uuid(&row.directory_id)?,
            principal_id: super::parse_uuid(&row.principal_id)?,
            key: from_json::<IdentityKey>("details", &row.details)?,
            labels: from_json::<Labels>("labels", &row.labels)?,
            created_at: from_micros(row.created_at)?,
            updated_at: from_micros(row.updated_at)?,
        })
    }
}

/// The client an `auth_server_client` identity names (its foreign key), NULL otherwise.
fn client_of(key: &IdentityKey) -> (Option<Uuid>, Option<String>) {
    match key {
        IdentityKey::AuthServerClient { auth_server_id, client_id } => (Some(*auth_server_id), Some(client_id.clone())),
        _ => (None, None),
    }
}

fn values(identity: &Identity) -> super::Args {
    let (auth_server_id, client_id) = client_of(&identity.key);
    args![
        identity.directory_id,
        identity.principal_id,
        identity.id,
        identity.key.kind().as_str(),
        identity.key.lookup_key(),
        to_json(&identity.key),
        auth_server_id,
        client_id,
        to_json(&identity.labels),
        micros(identity.created_at),
        micros(identity.updated_at),
    ]
}

/// [`Error::MissingReference`] unless the auth server and its client exist.
async fn check_client(tx: &mut Tx, key: &IdentityKey) -> Result<()> {
    let IdentityKey::AuthServerClient { auth_server_id, client_id } = key else {
        return Ok(());
    };
    let server: Option<(String,)> =
        tx.db().fetch_optional("SELECT id FROM auth_servers WHERE id = $1", args![auth_server_id]).await?;
    if server.is_none() {
        return Err(Error::MissingReference("auth_server_id"));
    }
    let client: Option<(String,)> = tx
        .db()
        .fetch_optional(
            "SELECT id FROM clients WHERE auth_server_id = $1 AND id = $2",
            args![auth_server_id, client_id],
        )
        .await?;
    if client.is_none() {
        return Err(Error::MissingReference("client_id"));
    }
    Ok(())
}

/// Inserts an identity. A principal that is not in the directory is [`Error::NotFound`]; one
/// that holds [`MAX_PER_PRINCIPAL`] identities already is [`Error::IdentityLimit`]; a key that
/// belongs to a principal of the directory is the [`KEY_TAKEN`] conflict.
pub async fn insert(store: &Store, identity: &Identity, origin: &Origin) -> Result<()> {
    let mut tx = store.begin().await?;
    // Locking the principal row serializes its identity writes, so the count below holds
    // (SQLite's write transactions are serial already).
    let sql = format!("SELECT id FROM principals WHERE directory_id = $1 AND id = $2{}", for_update(tx.dialect()));
    let principal: Option<(String,)> =
        tx.db().fetch_optional(&sql, args![identity.directory_id, identity.principal_id]).await?;
    if principal.is_none() {
        return Err(Error::NotFound);
    }
    let (held,) = tx
        .db()
        .fetch_one::<(i64,)>("SELECT COUNT(*) FROM identities WHERE principal_id = $1", args![identity.principal_id])
        .await?;
    if held >= MAX_PER_PRINCIPAL as i64 {
        return Err(Error::IdentityLimit);
    }
    check_client(&mut tx, &identity.key).await?;
    let sql = format!("INSERT INTO identities ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)");
    tx.db().execute(&sql, values(identity)).await?;
    super::changes::record(&mut tx, &super::changes::Change::Directory(identity.directory_id)).await?;
    record(&mut tx, resource(identity.id).event(origin, "created", audit::created(identity))).await?;
    record_client_change(&mut tx, &identity.key).await?;
    tx.commit().await
}

/// Deleting a client, or an auth server with its clients, deletes the identities that link
/// them (a cascade): the directories holding those go into the change feed, so no node's lookup
/// API keeps resolving them. Called before the delete, in its transaction.
pub(crate) async fn record_linked_directories(
    tx: &mut Tx,
    auth_server_id: Uuid,
    client_id: Option<&str>,
) -> Result<()> {
    // Locks the clients first, so no identity can link one between this read and the delete
    // (its foreign key check waits for the lock, then fails).
    let lock = for_update(tx.dialect());
    match client_id {
        Some(client_id) => {
            let sql = format!("SELECT id FROM clients WHERE auth_server_id = $1 AND id = $2{lock}");
            tx.db().fetch_all::<(String,)>(&sql, args![auth_server_id, client_id]).await?
        }
        None => {
            let sql = format!("SELECT id FROM clients WHERE auth_server_id = $1{lock}");
            tx.db().fetch_all::<(String,)>(&sql, args![auth_server_id]).await?
        }
    };
    let directories: Vec<(String,)> = match client_id {
        Some(client_id) => {
            tx.db()
                .fetch_all(
                    "SELECT DISTINCT directory_id FROM identities WHERE auth_server_id = $1 AND client_id = $2",
                    args![auth_server_id, client_id],
                )
                .await?
        }
        None => {
            tx.db()
                .fetch_all(
                    "SELECT DISTINCT directory_id FROM identities WHERE auth_server_id = $1",
                    args![auth_server_id],
                )
                .await?
        }
    };
    for (directory_id,) in directories {
        let change = super::changes::Change::Directory(super::parse_uuid(&directory_id)?);
        super::changes::record(tx, &change).await?;
    }
    Ok(())
}

/// A link to a client changes what the client's tokens carry (`.Principal`): its change goes
/// into the change feed, so every node's cached client follows.
async fn record_client_change(tx: &mut Tx, key: &IdentityKey) -> Result<()> {
    if let IdentityKey::AuthServerClient { auth_server_id, client_id } = key {
        super::changes::record(tx, &super::changes::Change::Client(*auth_server_id, client_id.clone())).await?;
    }
    Ok(())
}

pub async fn get(store: &Store, directory_id: Uuid, principal_id: Uuid, id: Uuid) -> Result<Identity> {
    let sql = format!("SELECT {COLUMNS} FROM identities WHERE directory_id = $1 AND principal_id = $2 AND id = $3");
    store.db().fetch_one::<Row>(&sql, args![directory_id, principal_id, id]).await?.try_into()
}

pub async fn list(
    store: &Store,
    directory_id: Uuid,
    principal_id: Uuid,
    params: &ListParams,
) -> Result<ListPage<Identity>> {
    let conditions = vec!["directory_id = $1".to_owned(), "principal_id = $2".to_owned()];
    list::fetch_page::<Row>(store, COLUMNS, "identities", conditions, args![directory_id, principal_id], params)
        .await?
        .try_map(Identity::try_from)
}

async fn fetch(tx: &mut Tx, directory_id: Uuid, principal_id: Uuid, id: Uuid) -> Result<Identity> {
    let sql = format!(
        "SELECT {COLUMNS} FROM identities WHERE directory_id = $1 AND principal_id = $2 AND id = $3{}",
        for_update(tx.dialect())
    );
    tx.db().fetch_one::<Row>(&sql, args![directory_id, principal_id, id]).await?.try_into()
}

/// Applies `change` atomically; a change that changes nothing writes nothing. A new
/// `auth_server_client` key must name an existing client ([`Error::MissingReference`]).
pub async fn modify<E: From<Error>>(
    store: &Store,
    directory_id: Uuid,
    principal_id: Uuid,
    id: Uuid,
    origin: &Origin,
    change: impl FnOnce(Identity) -> Result<Identity, E>,
) -> Result<Identity, E> {
    let mut tx = store.begin().await?;
    let current = fetch(&mut tx, directory_id, principal_id, id).await?;
    let before = current.snapshot();
    let mut identity = change(current.clone())?;
    let changes = audit::diff(Some(&before), Some(&identity.snapshot()));
    if changes.is_empty() {
        return Ok(current);
    }
    if identity.key != current.key {
        check_client(&mut tx, &identity.key).await?;
    }
    identity.updated_at = origin.at;
    tx.db()
        .execute(
            "UPDATE identities SET type = $4, lookup_key = $5, details = $6, auth_server_id = $7, client_id = $8, \
             labels = $9, created_at = $10, updated_at = $11 WHERE directory_id = $1 AND principal_id = $2 AND id = $3",
            values(&identity),
        )
        .await?;
    super::changes::record(&mut tx, &super::changes::Change::Directory(directory_id)).await?;
    record(&mut tx, resource(id).event(origin, "updated", changes)).await?;
    record_client_change(&mut tx, &current.key).await?;
    record_client_change(&mut tx, &identity.key).await?;
    tx.commit().await?;
    Ok(identity)
}

pub async fn delete(store: &Store, directory_id: Uuid, principal_id: Uuid, id: Uuid, origin: &Origin) -> Result<()> {
    let mut tx = store.begin().await?;
    let gone = fetch(&mut tx, directory_id, principal_id, id).await?;
    tx.db()
        .execute(
            "DELETE FROM identities WHERE directory_id = $1 AND principal_id = $2 AND id = $3",
            args![directory_id, principal_id, id],
        )
        .await?;
    super::changes::record(&mut tx, &super::changes::Change::Directory(directory_id)).await?;
    record(&mut tx, resource(id).event(origin, "deleted", audit::diff(Some(&gone.snapshot()), None))).await?;
    record_client_change(&mut tx, &gone.key).await?;
    tx.commit().await
}

/// The principal an identity key belongs to, as `(directory_id, principal_id)`: in the given
/// directory (where a key belongs to one principal at most), or, with `None`, in any directory
/// (the oldest link wins when several directories hold the key).
pub async fn principal_for_identity(
    store: &Store,
    directory_id: Option<Uuid>,
    key: &IdentityKey,
) -> Result<Option<(Uuid, Uuid)>> {
    let found: Option<(String, String)> = match directory_id {
        Some(directory_id) => {
            store
                .db()
                .fetch_optional(
                    "SELECT directory_id, principal_id FROM identities \
                     WHERE directory_id = $1 AND type = $2 AND lookup_key = $3",
                    args![directory_id, key.kind().as_str(), key.lookup_key()],
                )
                .await?
        }
        None => {
            store
                .db()
                .fetch_optional(
                    "SELECT directory_id, principal_id FROM identities WHERE type = $1 AND lookup_key = $2 \
                     ORDER BY created_at ASC, id ASC LIMIT 1",
                    args![key.kind().as_str(), key.lookup_key()],
                )
                .await?
        }
    };
    found.map(|(directory, principal)| Ok((super::parse_uuid(&directory)?, super::parse_uuid(&principal)?))).transpose()
}

/// The principal a client of an auth server is linked to by an `auth_server_client` identity,
/// across all directories (for the principal in its tokens): the oldest link wins when
/// several directories link the client.
pub async fn principal_for_client(
    store: &Store,
    auth_server_id: Uuid,
    client_id: &str,
) -> Result<Option<(Uuid, Uuid)>> {
    let found: Option<(String, String)> = store
        .db()
        .fetch_optional(
            "SELECT directory_id, principal_id FROM identities WHERE auth_server_id = $1 AND client_id = $2 \
             ORDER BY created_at ASC, id ASC LIMIT 1",
            args![auth_server_id, client_id],
        )
        .await?;
    found.map(|(directory, principal)| Ok((super::parse_uuid(&directory)?, super::parse_uuid(&principal)?))).transpose()
}
