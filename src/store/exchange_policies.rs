//! Token exchange policies of clients (RFC 8693): at most one per client.

use uuid::Uuid;

use crate::domain::ClientId;
use crate::domain::admin::Origin;
use crate::domain::audit::{self, Resource};
use crate::domain::exchange_policy::ExchangePolicy;

use super::auth_servers::{self, for_update};
use super::changes::{self, Change};
use super::{
    Args, Error, Result, Store, Tx, args, clients, from_json, from_micros, micros, missing_items, parse_uuid, to_json,
};

/// Where policies' lists are, for [`super::rewrite_lists`].
pub(super) const TRUSTED_ISSUERS: (&str, &str, &str) = ("token_exchange_policies", "client_id", "trusted_issuer_ids");
pub(super) const AUDIENCES: (&str, &str, &str) = ("token_exchange_policies", "client_id", "audiences");
pub(super) const SCOPES: (&str, &str, &str) = ("token_exchange_policies", "client_id", "scopes");

const COLUMNS: &str = "auth_server_id, client_id, accept_own_tokens, trusted_issuer_ids, audiences, scopes, \
    allow_scope_widening, allow_impersonation, allow_delegation, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct Row {
    auth_server_id: String,
    client_id: String,
    accept_own_tokens: bool,
    trusted_issuer_ids: String,
    audiences: String,
    scopes: String,
    allow_scope_widening: bool,
    allow_impersonation: bool,
    allow_delegation: bool,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<Row> for ExchangePolicy {
    type Error = Error;

    fn try_from(row: Row) -> Result<ExchangePolicy> {
        Ok(ExchangePolicy {
            auth_server_id: parse_uuid(&row.auth_server_id)?,
            client_id: ClientId::trusted(row.client_id),
            accept_own_tokens: row.accept_own_tokens,
            trusted_issuer_ids: from_json("trusted_issuer_ids", &row.trusted_issuer_ids)?,
            audiences: from_json("audiences", &row.audiences)?,
            scopes: from_json("scopes", &row.scopes)?,
            allow_scope_widening: row.allow_scope_widening,
            allow_impersonation: row.allow_impersonation,
            allow_delegation: row.allow_delegation,
            created_at: from_micros(row.created_at)?,
            updated_at: from_micros(row.updated_at)?,
        })
    }
}

/// Every column, in [`COLUMNS`] order.
fn values(policy: &ExchangePolicy) -> Args {
    args![
        policy.auth_server_id,
        policy.client_id.as_str(),
        policy.accept_own_tokens,
        to_json(&policy.trusted_issuer_ids),
        to_json(&policy.audiences),
        to_json(&policy.scopes),
        policy.allow_scope_widening,
        policy.allow_impersonation,
        policy.allow_delegation,
        micros(policy.created_at),
        micros(policy.updated_at),
    ]
}

/// [`Error::MissingItems`] for every trusted issuer, audience (the URI of a resource) and scope
/// the policy names that the auth server does not have.
async fn check_references(tx: &mut Tx, policy: &ExchangePolicy) -> Result<()> {
    let ids = |ids: &[Uuid]| ids.iter().map(Uuid::to_string).collect::<Vec<_>>();
    let server = policy.auth_server_id;
    let mut missing =
        missing_items(tx, ("trusted_issuers", "id"), server, "trusted_issuer_ids", &ids(&policy.trusted_issuer_ids))
            .await?;
    missing.extend(missing_items(tx, ("resources", "uri"), server, "audiences", &policy.audiences).await?);
    missing.extend(missing_items(tx, ("scopes", "id"), server, "scopes", &ids(&policy.scopes)).await?);
    if missing.is_empty() { Ok(()) } else { Err(Error::MissingItems(missing)) }
}

/// The client's policy; [`Error::NotFound`] when it has none.
pub async fn get(store: &Store, auth_server_id: Uuid, client_id: &ClientId) -> Result<ExchangePolicy> {
    let sql = format!("SELECT {COLUMNS} FROM token_exchange_policies WHERE auth_server_id = $1 AND client_id = $2");
    store.db().fetch_one::<Row>(&sql, args![auth_server_id, client_id.as_str()]).await?.try_into()
}

/// Creates the client's policy or replaces it (keeping its creation time); returns what was
/// stored. A missing auth server or client is [`Error::NotFound`]; an unknown reference,
/// [`Error::MissingItems`]. The client stays locked until the write commits, so a delete of
/// the client sees the policy it removes (see [`forget_client`]).
pub async fn put(store: &Store, policy: &ExchangePolicy, origin: &Origin) -> Result<ExchangePolicy> {
    let mut tx = store.begin().await?;
    auth_servers::lock(&mut tx, policy.auth_server_id).await?;
    clients::get_locked(&mut tx, store.dialect(), policy.auth_server_id, &policy.client_id).await?;
    check_references(&mut tx, policy).await?;
    let sql = format!(
        "SELECT {COLUMNS} FROM token_exchange_policies WHERE auth_server_id = $1 AND client_id = $2{}",
        for_update(store.dialect())
    );
    let existing: Option<Row> =
        tx.db().fetch_optional(&sql, args![policy.auth_server_id, policy.client_id.as_str()]).await?;
    let before = existing.map(ExchangePolicy::try_from).transpose()?;
    let policy = match &before {
        Some(before) => {
            let policy = ExchangePolicy { created_at: before.created_at, ..policy.clone() };
            tx.db()
                .execute(
                    "UPDATE token_exchange_policies SET accept_own_tokens = $3, trusted_issuer_ids = $4, \
                     audiences = $5, scopes = $6, allow_scope_widening = $7, allow_impersonation = $8, \
                     allow_delegation = $9, created_at = $10, updated_at = $11 \
                     WHERE auth_server_id = $1 AND client_id = $2",
                    values(&policy),
                )
                .await?;
            policy
        }
        None => {
            let sql = format!(
                "INSERT INTO token_exchange_policies ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            );
            tx.db().execute(&sql, values(policy)).await?;
            policy.clone()
        }
    };
    // Token requests read policies from the auth server's cached configuration.
    changes::record(&mut tx, &Change::Server(policy.auth_server_id)).await?;
    let resource = Resource::token_exchange_policy(policy.auth_server_id, &policy.client_id);
    let event = match &before {
        Some(before) => resource.event(origin, "updated", audit::updated(before, &policy)),
        None => resource.event(origin, "created", audit::created(&policy)),
    };
    if !event.changes.is_empty() {
        super::audit::record(&mut tx, event).await?;
    }
    tx.commit().await?;
    Ok(policy)
}

pub async fn delete(store: &Store, auth_server_id: Uuid, client_id: &ClientId, origin: &Origin) -> Result<()> {
    let deleted = super::execute_with_change(
        store,
        "DELETE FROM token_exchange_policies WHERE auth_server_id = $1 AND client_id = $2",
        args![auth_server_id, client_id.as_str()],
        &Change::Server(auth_server_id),
        Resource::token_exchange_policy(auth_server_id, client_id).event(origin, "deleted", Vec::new()),
    )
    .await?;
    if deleted == 0 { Err(Error::NotFound) } else { Ok(()) }
}

/// Removes the policy of a client being deleted, in the deleting transaction, which holds the
/// client's lock; records a change of the auth server's configuration, which holds the policy,
/// when there was one (the client's own change only drops the cached client).
pub(super) async fn forget_client(tx: &mut Tx, auth_server_id: Uuid, client_id: &ClientId) -> Result<()> {
    let deleted = tx
        .db()
        .execute(
            "DELETE FROM token_exchange_policies WHERE auth_server_id = $1 AND client_id = $2",
            args![auth_server_id, client_id.as_str()],
        )
        .await?;
    if deleted > 0 {
        changes::record(tx, &Change::Server(auth_server_id)).await?;
    }
    Ok(())
}

/// Every policy of an auth server, oldest first: for the issuer's configuration cache.
pub async fn for_server(store: &Store, auth_server_id: Uuid) -> Result<Vec<ExchangePolicy>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM token_exchange_policies WHERE auth_server_id = $1 ORDER BY created_at, client_id"
    );
    let rows: Vec<Row> = store.db().fetch_all(&sql, args![auth_server_id]).await?;
    rows.into_iter().map(ExchangePolicy::try_from).collect()
}
