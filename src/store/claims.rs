//! Custom claims and the scopes they are included in.

use super::changes::{self, Change};
use uuid::Uuid;

use crate::domain::admin::Origin;
use crate::domain::audit::{self, Resource};
use crate::domain::list::{FilterKind, ListParams, ListSchema};
use crate::domain::{Claim, Name};

use super::auth_servers::for_update;
use super::{Db, Error, ListPage, Result, Store, args, from_micros, list, micros, parse_uuid, placeholders, scopes};

pub const LIST: ListSchema = ListSchema {
    sortable: &["created_at", "updated_at", "name"],
    filters: &[("name", FilterKind::Text), ("id", FilterKind::Exact)],
};

const COLUMNS: &str =
    "id, auth_server_id, name, value, include_in_token, include_in_all_scopes, enabled, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    auth_server_id: String,
    name: String,
    value: String,
    include_in_token: bool,
    include_in_all_scopes: bool,
    enabled: bool,
    created_at: i64,
    updated_at: i64,
}

impl Row {
    fn into_claim(self, include_in_scopes: Vec<Uuid>) -> Result<Claim> {
        Ok(Claim {
            id: parse_uuid(&self.id)?,
            auth_server_id: parse_uuid(&self.auth_server_id)?,
            name: Name::trusted(self.name),
            value: self.value,
            include_in_token: self.include_in_token,
            include_in_all_scopes: self.include_in_all_scopes,
            include_in_scopes,
            enabled: self.enabled,
            created_at: from_micros(self.created_at)?,
            updated_at: from_micros(self.updated_at)?,
        })
    }
}

/// Scope ids per claim, in their stored order.
async fn scope_ids(db: Db<'_>, claim_ids: &[String]) -> Result<Vec<(String, Uuid)>> {
    if claim_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT claim_id, scope_id FROM claim_scopes WHERE claim_id IN ({}) ORDER BY claim_id, position",
        placeholders(1, claim_ids.len())
    );
    let mut bound = args![];
    for id in claim_ids {
        bound.push(id);
    }
    let rows: Vec<(String, String)> = db.fetch_all(&sql, bound).await?;
    rows.into_iter().map(|(claim, scope)| Ok((claim, parse_uuid(&scope)?))).collect()
}

fn attach(rows: Vec<Row>, links: &[(String, Uuid)]) -> Result<Vec<Claim>> {
    rows.into_iter()
        .map(|row| {
            let scopes = links.iter().filter(|(claim, _)| *claim == row.id).map(|(_, scope)| *scope).collect();
            row.into_claim(scopes)
        })
        .collect()
}

async fn write_scopes(db: &mut super::Tx, claim: &Claim) -> Result<()> {
    db.db().execute("DELETE FROM claim_scopes WHERE claim_id = $1", args![claim.id]).await?;
    for (position, scope_id) in claim.include_in_scopes.iter().enumerate() {
        db.db()
            .execute(
                "INSERT INTO claim_scopes (claim_id, auth_server_id, scope_id, position) VALUES ($1, $2, $3, $4)",
                args![claim.id, claim.auth_server_id, scope_id, position as i64],
            )
            .await?;
    }
    Ok(())
}

/// Checks the scope references inside the transaction, so they cannot vanish before commit.
async fn check_scopes(tx: &mut super::Tx, claim: &Claim) -> Result<()> {
    let missing = scopes::missing(tx.db(), claim.auth_server_id, &claim.include_in_scopes).await?;
    if missing.is_empty() { Ok(()) } else { Err(Error::MissingScopes(missing)) }
}

pub async fn insert(store: &Store, claim: &Claim, origin: &Origin) -> Result<()> {
    let mut tx = store.begin().await?;
    check_scopes(&mut tx, claim).await?;
    tx.db()
        .execute(
            "INSERT INTO claims (id, auth_server_id, name, value, include_in_token, include_in_all_scopes, enabled, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            args![
                claim.id,
                claim.auth_server_id,
                claim.name.as_str(),
                &claim.value,
                claim.include_in_token,
                claim.include_in_all_scopes,
                claim.enabled,
                micros(claim.created_at),
                micros(claim.updated_at),
            ],
        )
        .await?;
    write_scopes(&mut tx, claim).await?;
    changes::record(&mut tx, &Change::Server(claim.auth_server_id)).await?;
    let event = Resource::claim(claim.auth_server_id, claim.id).event(origin, "created", audit::created(claim));
    super::audit::record(&mut tx, event).await?;
    tx.commit().await
}

pub async fn get(store: &Store, auth_server_id: Uuid, id: Uuid) -> Result<Claim> {
    let sql = format!("SELECT {COLUMNS} FROM claims WHERE auth_server_id = $1 AND id = $2");
    let row: Row = store.db().fetch_one(&sql, args![auth_server_id, id]).await?;
    let links = scope_ids(store.db(), std::slice::from_ref(&row.id)).await?;
    attach(vec![row], &links)?.pop().ok_or(Error::NotFound)
}

pub async fn list(store: &Store, auth_server_id: Uuid, params: &ListParams) -> Result<ListPage<Claim>> {
    let conditions = vec!["auth_server_id = $1".to_owned()];
    let page = list::fetch_page::<Row>(store, COLUMNS, "claims", conditions, args![auth_server_id], params).await?;
    let ids: Vec<String> = page.items.iter().map(|row| row.id.clone()).collect();
    let links = scope_ids(store.db(), &ids).await?;
    Ok(ListPage { items: attach(page.items, &links)?, total: page.total })
}

pub async fn modify<E: From<Error>>(
    store: &Store,
    auth_server_id: Uuid,
    id: Uuid,
    origin: &Origin,
    change: impl FnOnce(Claim) -> Result<Claim, E>,
) -> Result<Claim, E> {
    let mut tx = store.begin().await?;
    let sql =
        format!("SELECT {COLUMNS} FROM claims WHERE auth_server_id = $1 AND id = $2{}", for_update(store.dialect()));
    let row: Row = tx.db().fetch_one(&sql, args![auth_server_id, id]).await?;
    let links = scope_ids(tx.db(), std::slice::from_ref(&row.id)).await?;
    let current = attach(vec![row], &links)?.pop().ok_or(Error::NotFound)?;
    let before = current.clone();
    let claim = change(current)?;
    check_scopes(&mut tx, &claim).await?;
    tx.db()
        .execute(
            "UPDATE claims SET name = $3, value = $4, include_in_token = $5, include_in_all_scopes = $6, enabled = $7, \
             updated_at = $8 WHERE auth_server_id = $1 AND id = $2",
            args![
                auth_server_id,
                id,
                claim.name.as_str(),
                &claim.value,
                claim.include_in_token,
                claim.include_in_all_scopes,
                claim.enabled,
                micros(claim.updated_at),
            ],
        )
        .await?;
    write_scopes(&mut tx, &claim).await?;
    changes::record(&mut tx, &Change::Server(auth_server_id)).await?;
    let changed = audit::updated(&before, &claim);
    if !changed.is_empty() {
        super::audit::record(&mut tx, Resource::claim(auth_server_id, id).event(origin, "updated", changed)).await?;
    }
    tx.commit().await?;
    Ok(claim)
}

pub async fn delete(store: &Store, auth_server_id: Uuid, id: Uuid, origin: &Origin) -> Result<()> {
    let deleted = super::execute_with_change(
        store,
        "DELETE FROM claims WHERE auth_server_id = $1 AND id = $2",
        args![auth_server_id, id],
        &Change::Server(auth_server_id),
        Resource::claim(auth_server_id, id).event(origin, "deleted", Vec::new()),
    )
    .await?;
    if deleted == 0 { Err(Error::NotFound) } else { Ok(()) }
}

/// Every claim of an auth server, for the issuer's configuration cache.
pub async fn all(store: &Store, auth_server_id: Uuid) -> Result<Vec<Claim>> {
    let sql = format!("SELECT {COLUMNS} FROM claims WHERE auth_server_id = $1 ORDER BY created_at, id");
    let rows: Vec<Row> = store.db().fetch_all(&sql, args![auth_server_id]).await?;
    let ids: Vec<String> = rows.iter().map(|row| row.id.clone()).collect();
    let mut links = Vec::new();
    for chunk in ids.chunks(500) {
        links.extend(scope_ids(store.db(), chunk).await?);
    }
    attach(rows, &links)
}
