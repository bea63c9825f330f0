//! Auth servers.

use super::changes::{self, Change};
use super::signing_keys::{self, StoredKey};
use uuid::Uuid;

use crate::domain::admin::Origin;
use crate::domain::audit::{self, Resource};
use crate::domain::auth_server::{AuthServer, IssuerSlug, SigningAlgorithm};
use crate::domain::list::{FilterKind, ListParams, ListSchema};
use crate::domain::{Labels, Name, TrustedOrigin};

use super::{
    Dialect, Error, ListPage, Result, Store, Tx, args, from_json, from_micros, list, micros, parse_uuid, to_json,
};

pub const LIST: ListSchema = ListSchema {
    sortable: &["created_at", "updated_at", "name", "audience"],
    filters: &[
        ("name", FilterKind::Text),
        ("description", FilterKind::Text),
        ("audience", FilterKind::Text),
        ("id", FilterKind::Exact),
        ("labels", FilterKind::Labels),
    ],
};

const COLUMNS: &str = "id, name, description, audience, signing_algorithm, issuer_slug, labels, trusted_origins, created_at, updated_at, \
    require_pkce, rate_limit_per_second";

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    name: String,
    description: String,
    audience: String,
    signing_algorithm: String,
    issuer_slug: String,
    labels: String,
    trusted_origins: String,
    created_at: i64,
    updated_at: i64,
    require_pkce: bool,
    rate_limit_per_second: Option<i64>,
}

impl TryFrom<Row> for AuthServer {
    type Error = Error;

    fn try_from(row: Row) -> Result<AuthServer> {
        let origins: Vec<String> = from_json("trusted_origins", &row.trusted_origins)?;
        Ok(AuthServer {
            id: parse_uuid(&row.id)?,
            name: Name::trusted(row.name),
            description: row.description,
            audience: row.audience,
            signing_algorithm: SigningAlgorithm::parse(&row.signing_algorithm)
                .map_err(|_| Error::Corrupt(format!("signing_algorithm {:?}", row.signing_algorithm)))?,
            issuer_slug: IssuerSlug::trusted(row.issuer_slug),
            labels: from_json::<Labels>("labels", &row.labels)?,
            trusted_origins: origins.into_iter().map(TrustedOrigin::trusted).collect(),
            require_pkce: row.require_pkce,
            rate_limit_per_second: row
                .rate_limit_per_second
                .map(|rate| u32::try_from(rate).map_err(|_| Error::Corrupt(format!("rate_limit_per_second {rate}"))))
                .transpose()?,
            created_at: from_micros(row.created_at)?,
            updated_at: from_micros(row.updated_at)?,
        })
    }
}

fn origins_json(server: &AuthServer) -> String {
    to_json(&server.trusted_origins.iter().map(TrustedOrigin::as_str).collect::<Vec<_>>())
}

/// Creates an auth server with its first signing key.
pub async fn insert(store: &Store, server: &AuthServer, key: &StoredKey, origin: &Origin) -> Result<()> {
    let mut tx = store.begin().await?;
    tx.db()
        .execute(
            "INSERT INTO auth_servers (id, name, description, audience, signing_algorithm, issuer_slug, labels, \
             trusted_origins, created_at, updated_at, require_pkce, rate_limit_per_second) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            args![
                server.id,
                server.name.as_str(),
                &server.description,
                &server.audience,
                server.signing_algorithm.as_str(),
                server.issuer_slug.as_str(),
                to_json(&server.labels),
                origins_json(server),
                micros(server.created_at),
                micros(server.updated_at),
                server.require_pkce,
                server.rate_limit_per_second.map(i64::from),
            ],
        )
        .await?;
    signing_keys::insert_in(&mut tx, key).await?;
    changes::record(&mut tx, &Change::Server(server.id)).await?;
    super::audit::record(&mut tx, Resource::auth_server(server.id).event(origin, "created", audit::created(server)))
        .await?;
    tx.commit().await
}

pub async fn get(store: &Store, id: Uuid) -> Result<AuthServer> {
    let sql = format!("SELECT {COLUMNS} FROM auth_servers WHERE id = $1");
    store.db().fetch_one::<Row>(&sql, args![id]).await?.try_into()
}

pub async fn get_by_slug(store: &Store, slug: &IssuerSlug) -> Result<AuthServer> {
    let sql = format!("SELECT {COLUMNS} FROM auth_servers WHERE issuer_slug = $1");
    store.db().fetch_one::<Row>(&sql, args![slug.as_str()]).await?.try_into()
}

pub async fn exists(store: &Store, id: Uuid) -> Result<bool> {
    let (count,) = store.db().fetch_one::<(i64,)>("SELECT COUNT(*) FROM auth_servers WHERE id = $1", args![id]).await?;
    Ok(count > 0)
}

/// A page of auth servers; `only`, when given, limits it to those ids (a scoped caller's).
pub async fn list(store: &Store, params: &ListParams, only: Option<&[Uuid]>) -> Result<ListPage<AuthServer>> {
    let (mut conditions, mut bound) = (Vec::new(), args![]);
    list::restrict_to("id", only, &mut conditions, &mut bound);
    list::fetch_page::<Row>(store, COLUMNS, "auth_servers", conditions, bound, params)
        .await?
        .try_map(AuthServer::try_from)
}

/// Row lock for read-modify-write; SQLite's `BEGIN IMMEDIATE` already holds the write lock.
pub(crate) fn for_update(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => " FOR UPDATE",
        Dialect::Sqlite => "",
    }
}

/// Locks the auth server's row for the rest of `tx` ([`Error::NotFound`] if there is none).
/// Writes of lists that name the auth server's scopes, trusted issuers and resources, and the
/// deletes of what they name, take it first: one at a time per auth server, a write cannot
/// name what a concurrent delete is removing from every list.
pub(crate) async fn lock(tx: &mut Tx, id: Uuid) -> Result<()> {
    let sql = format!("SELECT id FROM auth_servers WHERE id = $1{}", for_update(tx.dialect()));
    tx.db().fetch_one::<(String,)>(&sql, args![id]).await.map(|_| ())
}

/// Applies `change` to the stored auth server atomically and returns the result. When the
/// signing algorithm changes, `new_key` (made for the new algorithm) replaces the current key
/// at once, and a next key of the old algorithm is withdrawn.
pub async fn modify<E: From<Error>>(
    store: &Store,
    id: Uuid,
    new_key: Option<&StoredKey>,
    origin: &Origin,
    change: impl FnOnce(AuthServer) -> Result<AuthServer, E>,
) -> Result<AuthServer, E> {
    let mut tx = store.begin().await?;
    let sql = format!("SELECT {COLUMNS} FROM auth_servers WHERE id = $1{}", for_update(store.dialect()));
    let current: AuthServer = tx.db().fetch_one::<Row>(&sql, args![id]).await?.try_into()?;
    let previous_algorithm = current.signing_algorithm;
    let before = current.clone();
    let updated = change(current)?;
    write(&mut tx, &updated).await?;
    let mut changed = audit::updated(&before, &updated);
    if let Some(key) =
        new_key.filter(|key| key.algorithm == updated.signing_algorithm && key.algorithm != previous_algorithm)
    {
        signing_keys::replace_in(&mut tx, key).await?;
        changed.push(audit::FieldChange::redacted("private_key"));
    }
    changes::record(&mut tx, &Change::Server(id)).await?;
    if !changed.is_empty() {
        super::audit::record(&mut tx, Resource::auth_server(id).event(origin, "updated", changed)).await?;
    }
    tx.commit().await?;
    Ok(updated)
}

async fn write(tx: &mut Tx, server: &AuthServer) -> Result<()> {
    tx.db()
        .execute(
            "UPDATE auth_servers SET name = $2, description = $3, audience = $4, signing_algorithm = $5, \
             labels = $6, trusted_origins = $7, updated_at = $8, require_pkce = $9, \
             rate_limit_per_second = $10 WHERE id = $1",
            args![
                server.id,
                server.name.as_str(),
                &server.description,
                &server.audience,
                server.signing_algorithm.as_str(),
                to_json(&server.labels),
                origins_json(server),
                micros(server.updated_at),
                server.require_pkce,
                server.rate_limit_per_second.map(i64::from),
            ],
        )
        .await?;
    Ok(())
}

/// What still belongs to an auth server.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Dependents {
    pub scopes: i64,
    pub claims: i64,
    pub clients: i64,
}

impl Dependents {
    pub fn is_empty(&self) -> bool {
        self.scopes == 0 && self.claims == 0 && self.clients == 0
    }
}

/// Deletes an auth server. Without `force`, refuses while scopes, claims or clients exist
/// and returns them; with it, the database cascades to everything below.
pub async fn delete(store: &Store, id: Uuid, force: bool, origin: &Origin) -> Result<Result<(), Dependents>> {
    let mut tx = store.begin().await?;
    let sql = format!("SELECT id FROM auth_servers WHERE id = $1{}", for_update(store.dialect()));
    tx.db().fetch_one::<(String,)>(&sql, args![id]).await?;
    if !force {
        let (scopes, claims, clients) = tx
            .db()
            .fetch_one::<(i64, i64, i64)>(
                "SELECT (SELECT COUNT(*) FROM scopes WHERE auth_server_id = $1), \
                 (SELECT COUNT(*) FROM claims WHERE auth_server_id = $1), \
                 (SELECT COUNT(*) FROM clients WHERE auth_server_id = $1)",
                args![id],
            )
            .await?;
        let dependents = Dependents { scopes, claims, clients };
        if !dependents.is_empty() {
            return Ok(Err(dependents));
        }
    }
    super::identities::record_linked_directories(&mut tx, id, None).await?;
    tx.db().execute("DELETE FROM auth_servers WHERE id = $1", args![id]).await?;
    tx.db().execute("DELETE FROM tokens WHERE auth_server_id = $1", args![id]).await?;
    tx.db().execute("DELETE FROM refresh_tokens WHERE auth_server_id = $1", args![id]).await?;
    tx.db().execute("DELETE FROM used_grants WHERE auth_server_id = $1", args![id]).await?;
    changes::record(&mut tx, &Change::Server(id)).await?;
    super::audit::record(&mut tx, Resource::auth_server(id).event(origin, "deleted", Vec::new())).await?;
    tx.commit().await?;
    Ok(Ok(()))
}
