//! Scopes of an auth server.

use super::changes::{self, Change};
use uuid::Uuid;

use crate::domain::admin::Origin;
use crate::domain::audit::{self, Resource};
use crate::domain::list::{FilterKind, ListParams, ListSchema};
use crate::domain::{Scope, ScopeName};

use super::auth_servers::for_update;
use super::{Db, Error, ListPage, Result, Store, args, from_micros, list, micros, parse_uuid, placeholders};

pub const LIST: ListSchema = ListSchema {
    sortable: &["created_at", "updated_at", "name"],
    filters: &[("name", FilterKind::Text), ("id", FilterKind::Exact)],
};

const COLUMNS: &str =
    "id, auth_server_id, name, description, is_default, include_in_metadata, enabled, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    auth_server_id: String,
    name: String,
    description: String,
    is_default: bool,
    include_in_metadata: bool,
    enabled: bool,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<Row> for Scope {
    type Error = Error;

    fn try_from(row: Row) -> Result<Scope> {
        Ok(Scope {
            id: parse_uuid(&row.id)?,
            auth_server_id: parse_uuid(&row.auth_server_id)?,
            name: ScopeName::trusted(row.name),
            description: row.description,
            is_default: row.is_default,
            include_in_metadata: row.include_in_metadata,
            enabled: row.enabled,
            created_at: from_micros(row.created_at)?,
            updated_at: from_micros(row.updated_at)?,
        })
    }
}

/// Inserts a scope; a missing auth server surfaces as [`Error::ForeignKey`].
pub async fn insert(store: &Store, scope: &Scope, origin: &Origin) -> Result<()> {
    let mut tx = store.begin().await?;
    tx.db()
        .execute(
            "INSERT INTO scopes (id, auth_server_id, name, description, is_default, include_in_metadata, enabled, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            args![
                scope.id,
                scope.auth_server_id,
                scope.name.as_str(),
                &scope.description,
                scope.is_default,
                scope.include_in_metadata,
                scope.enabled,
                micros(scope.created_at),
                micros(scope.updated_at),
            ],
        )
        .await?;
    changes::record(&mut tx, &Change::Server(scope.auth_server_id)).await?;
    let event = Resource::scope(scope.auth_server_id, scope.id).event(origin, "created", audit::created(scope));
    super::audit::record(&mut tx, event).await?;
    tx.commit().await
}

pub async fn get(store: &Store, auth_server_id: Uuid, id: Uuid) -> Result<Scope> {
    let sql = format!("SELECT {COLUMNS} FROM scopes WHERE auth_server_id = $1 AND id = $2");
    store.db().fetch_one::<Row>(&sql, args![auth_server_id, id]).await?.try_into()
}

pub async fn list(store: &Store, auth_server_id: Uuid, params: &ListParams) -> Result<ListPage<Scope>> {
    let conditions = vec!["auth_server_id = $1".to_owned()];
    list::fetch_page::<Row>(store, COLUMNS, "scopes", conditions, args![auth_server_id], params)
        .await?
        .try_map(Scope::try_from)
}

pub async fn modify<E: From<Error>>(
    store: &Store,
    auth_server_id: Uuid,
    id: Uuid,
    origin: &Origin,
    change: impl FnOnce(Scope) -> Result<Scope, E>,
) -> Result<Scope, E> {
    let mut tx = store.begin().await?;
    let sql =
        format!("SELECT {COLUMNS} FROM scopes WHERE auth_server_id = $1 AND id = $2{}", for_update(store.dialect()));
    let current: Scope = tx.db().fetch_one::<Row>(&sql, args![auth_server_id, id]).await?.try_into()?;
    let before = current.clone();
    let scope = change(current)?;
    tx.db()
        .execute(
            "UPDATE scopes SET name = $3, description = $4, is_default = $5, include_in_metadata = $6, enabled = $7, \
             updated_at = $8 WHERE auth_server_id = $1 AND id = $2",
            args![
                auth_server_id,
                id,
                scope.name.as_str(),
                &scope.description,
                scope.is_default,
                scope.include_in_metadata,
                scope.enabled,
                micros(scope.updated_at),
            ],
        )
        .await?;
    changes::record(&mut tx, &Change::Server(auth_server_id)).await?;
    let changed = audit::updated(&before, &scope);
    if !changed.is_empty() {
        super::audit::record(&mut tx, Resource::scope(auth_server_id, id).event(origin, "updated", changed)).await?;
    }
    tx.commit().await?;
    Ok(scope)
}

/// Deletes a scope; the database removes it from clients and claims, and it is removed from
/// the scope lists of resources and token exchange policies alike.
pub async fn delete(store: &Store, auth_server_id: Uuid, id: Uuid, origin: &Origin) -> Result<()> {
    let mut tx = store.begin().await?;
    super::auth_servers::lock(&mut tx, auth_server_id).await?;
    let deleted =
        tx.db().execute("DELETE FROM scopes WHERE auth_server_id = $1 AND id = $2", args![auth_server_id, id]).await?;
    if deleted == 0 {
        return Err(Error::NotFound);
    }
    let id_text = id.to_string();
    super::rewrite_lists(&mut tx, super::resources::SCOPES, auth_server_id, &id_text, None).await?;
    super::rewrite_lists(&mut tx, super::exchange_policies::SCOPES, auth_server_id, &id_text, None).await?;
    changes::record(&mut tx, &Change::Server(auth_server_id)).await?;
    super::audit::record(&mut tx, Resource::scope(auth_server_id, id).event(origin, "deleted", Vec::new())).await?;
    tx.commit().await
}

/// The ids among `ids` that are not scopes of this auth server.
pub(crate) async fn missing(db: Db<'_>, auth_server_id: Uuid, ids: &[Uuid]) -> Result<Vec<Uuid>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!("SELECT id FROM scopes WHERE auth_server_id = $1 AND id IN ({})", placeholders(2, ids.len()));
    let mut bound = args![auth_server_id];
    for id in ids {
        bound.push(id);
    }
    let found: Vec<(String,)> = db.fetch_all(&sql, bound).await?;
    Ok(ids.iter().filter(|id| !found.iter().any(|(f,)| *f == id.to_string())).copied().collect())
}

/// Every scope of an auth server, for the issuer's configuration cache.
pub async fn all(store: &Store, auth_server_id: Uuid) -> Result<Vec<Scope>> {
    let sql = format!("SELECT {COLUMNS} FROM scopes WHERE auth_server_id = $1 ORDER BY created_at, id");
    let rows: Vec<Row> = store.db().fetch_all(&sql, args![auth_server_id]).await?;
    rows.into_iter().map(Scope::try_from).collect()
}
