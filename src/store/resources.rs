//! Resources of an auth server (RFC 8707).

use uuid::Uuid;

use crate::domain::admin::Origin;
use crate::domain::audit::{self, Resource as Audited};
use crate::domain::list::{FilterKind, ListParams, ListSchema};
use crate::domain::resource::{MAX_RESOURCES, Resource};

use super::auth_servers::{self, for_update};
use super::changes::{self, Change};
use super::{
    Args, Error, ListPage, Result, Store, Tx, args, exchange_policies, from_json, from_micros, list, micros,
    missing_items, parse_uuid, rewrite_lists, to_json,
};

pub const LIST: ListSchema = ListSchema {
    sortable: &["created_at", "updated_at", "uri"],
    filters: &[("uri", FilterKind::Text), ("id", FilterKind::Exact)],
};

/// The unique key a taken URI violates.
pub const URI_KEY: &str = "resources_auth_server_id_uri_key";
/// Where resources' scope lists are, for [`rewrite_lists`].
pub(super) const SCOPES: (&str, &str, &str) = ("resources", "id", "scopes");

const COLUMNS: &str = "id, auth_server_id, uri, description, scopes, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    auth_server_id: String,
    uri: String,
    description: String,
    scopes: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<Row> for Resource {
    type Error = Error;

    fn try_from(row: Row) -> Result<Resource> {
        Ok(Resource {
            id: parse_uuid(&row.id)?,
            auth_server_id: parse_uuid(&row.auth_server_id)?,
            uri: row.uri,
            description: row.description,
            scopes: from_json("scopes", &row.scopes)?,
            created_at: from_micros(row.created_at)?,
            updated_at: from_micros(row.updated_at)?,
        })
    }
}

/// Every column, in [`COLUMNS`] order.
fn values(resource: &Resource) -> Args {
    args![
        resource.id,
        resource.auth_server_id,
        &resource.uri,
        &resource.description,
        to_json(&resource.scopes),
        micros(resource.created_at),
        micros(resource.updated_at),
    ]
}

/// [`Error::MissingItems`] at `scopes[i]` for each scope that is not one of the auth server's.
async fn check_scopes(tx: &mut Tx, resource: &Resource) -> Result<()> {
    let ids: Vec<String> = resource.scopes.iter().map(Uuid::to_string).collect();
    let missing = missing_items(tx, ("scopes", "id"), resource.auth_server_id, "scopes", &ids).await?;
    if missing.is_empty() { Ok(()) } else { Err(Error::MissingItems(missing)) }
}

/// Inserts a resource. A missing auth server is [`Error::NotFound`]; a taken URI, a conflict
/// on [`URI_KEY`]; an unknown scope, [`Error::MissingItems`]; a resource beyond
/// [`MAX_RESOURCES`], [`Error::LimitReached`] (counted under the auth server's lock, so parallel
/// creates cannot pass it together).
pub async fn insert(store: &Store, resource: &Resource, origin: &Origin) -> Result<()> {
    let mut tx = store.begin().await?;
    auth_servers::lock(&mut tx, resource.auth_server_id).await?;
    let (count,) = tx
        .db()
        .fetch_one::<(i64,)>("SELECT COUNT(*) FROM resources WHERE auth_server_id = $1", args![resource.auth_server_id])
        .await?;
    if count >= MAX_RESOURCES as i64 {
        return Err(Error::LimitReached);
    }
    check_scopes(&mut tx, resource).await?;
    tx.db()
        .execute(&format!("INSERT INTO resources ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"), values(resource))
        .await?;
    // Token requests read resources from the auth server's cached configuration.
    changes::record(&mut tx, &Change::Server(resource.auth_server_id)).await?;
    let event = Audited::protected_resource(resource.auth_server_id, resource.id).event(
        origin,
        "created",
        audit::created(resource),
    );
    super::audit::record(&mut tx, event).await?;
    tx.commit().await
}

pub async fn get(store: &Store, auth_server_id: Uuid, id: Uuid) -> Result<Resource> {
    let sql = format!("SELECT {COLUMNS} FROM resources WHERE auth_server_id = $1 AND id = $2");
    store.db().fetch_one::<Row>(&sql, args![auth_server_id, id]).await?.try_into()
}

pub async fn list(store: &Store, auth_server_id: Uuid, params: &ListParams) -> Result<ListPage<Resource>> {
    let conditions = vec!["auth_server_id = $1".to_owned()];
    list::fetch_page::<Row>(store, COLUMNS, "resources", conditions, args![auth_server_id], params)
        .await?
        .try_map(Resource::try_from)
}

/// Reads, changes and writes one resource. Changed scopes are checked as on insert; a changed
/// URI is changed in the token exchange policies that name it as an audience too, so that
/// they keep naming this resource.
pub async fn modify<E: From<Error>>(
    store: &Store,
    auth_server_id: Uuid,
    id: Uuid,
    origin: &Origin,
    change: impl FnOnce(Resource) -> Result<Resource, E>,
) -> Result<Resource, E> {
    let mut tx = store.begin().await?;
    auth_servers::lock(&mut tx, auth_server_id).await?;
    let sql =
        format!("SELECT {COLUMNS} FROM resources WHERE auth_server_id = $1 AND id = $2{}", for_update(store.dialect()));
    let current: Resource = tx.db().fetch_one::<Row>(&sql, args![auth_server_id, id]).await?.try_into()?;
    let before = current.clone();
    let resource = change(current)?;
    if resource.scopes != before.scopes {
        check_scopes(&mut tx, &resource).await?;
    }
    tx.db()
        .execute(
            "UPDATE resources SET uri = $3, description = $4, scopes = $5, created_at = $6, updated_at = $7 \
             WHERE id = $1 AND auth_server_id = $2",
            values(&resource),
        )
        .await?;
    if resource.uri != before.uri {
        rewrite_lists(&mut tx, exchange_policies::AUDIENCES, auth_server_id, &before.uri, Some(&resource.uri)).await?;
    }
    changes::record(&mut tx, &Change::Server(auth_server_id)).await?;
    let changed = audit::updated(&before, &resource);
    if !changed.is_empty() {
        super::audit::record(
            &mut tx,
            Audited::protected_resource(auth_server_id, id).event(origin, "updated", changed),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(resource)
}

/// Deletes a resource; token exchange policies stop naming its URI as an audience.
pub async fn delete(store: &Store, auth_server_id: Uuid, id: Uuid, origin: &Origin) -> Result<()> {
    let mut tx = store.begin().await?;
    auth_servers::lock(&mut tx, auth_server_id).await?;
    let sql = format!("SELECT {COLUMNS} FROM resources WHERE auth_server_id = $1 AND id = $2");
    let resource: Resource = tx.db().fetch_one::<Row>(&sql, args![auth_server_id, id]).await?.try_into()?;
    tx.db().execute("DELETE FROM resources WHERE auth_server_id = $1 AND id = $2", args![auth_server_id, id]).await?;
    rewrite_lists(&mut tx, exchange_policies::AUDIENCES, auth_server_id, &resource.uri, None).await?;
    changes::record(&mut tx, &Change::Server(auth_server_id)).await?;
    super::audit::record(&mut tx, Audited::protected_resource(auth_server_id, id).event(origin, "deleted", Vec::new()))
        .await?;
    tx.commit().await
}

/// Every resource of an auth server, oldest first: for the issuer's configuration cache.
pub async fn for_server(store: &Store, auth_server_id: Uuid) -> Result<Vec<Resource>> {
    let sql = format!("SELECT {COLUMNS} FROM resources WHERE auth_server_id = $1 ORDER BY created_at, id");
    let rows: Vec<Row> = store.db().fetch_all(&sql, args![auth_server_id]).await?;
    rows.into_iter().map(Resource::try_from).collect()
}
