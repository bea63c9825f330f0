//! Trusted issuers of an auth server (a Tessera extension for RFC 7523).

use std::collections::BTreeMap;

use uuid::Uuid;

use crate::domain::admin::Origin;
use crate::domain::audit::{self, Resource};
use crate::domain::jwks::ClientJwks;
use crate::domain::list::{FilterKind, ListParams, ListSchema};
use crate::domain::trusted_issuer::{IssuerKeys, SubjectMapping, SubjectPattern, TrustedIssuer};
use crate::domain::{ClientId, Name, SigningAlgorithm};

use super::auth_servers::for_update;
use super::changes::{self, Change};
use super::{
    Args, Error, ListPage, Result, Store, Tx, args, from_json, from_micros, list, micros, parse_uuid, placeholders,
    to_json,
};

pub const LIST: ListSchema = ListSchema {
    sortable: &["created_at", "updated_at", "name"],
    filters: &[("name", FilterKind::Text), ("id", FilterKind::Exact)],
};

const COLUMNS: &str = "id, auth_server_id, name, issuer, jwks, jwks_uri, allowed_algorithms, audience, \
    max_token_age_secs, subjects, claim_conditions, copy_claims, enabled, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    auth_server_id: String,
    name: String,
    issuer: String,
    jwks: Option<String>,
    jwks_uri: Option<String>,
    allowed_algorithms: String,
    audience: String,
    max_token_age_secs: i64,
    subjects: String,
    claim_conditions: String,
    copy_claims: String,
    enabled: bool,
    created_at: i64,
    updated_at: i64,
}

/// A subject mapping as stored (see `SubjectMapping`'s `Serialize`).
#[derive(serde::Deserialize)]
struct StoredMapping {
    subject: String,
    client_id: String,
}

impl TryFrom<Row> for TrustedIssuer {
    type Error = Error;

    fn try_from(row: Row) -> Result<TrustedIssuer> {
        let keys = match (row.jwks, row.jwks_uri) {
            (Some(jwks), None) => IssuerKeys::Jwks(ClientJwks::trusted(from_json("jwks", &jwks)?)),
            (None, Some(uri)) => IssuerKeys::JwksUri(uri),
            _ => return Err(Error::Corrupt(format!("trusted issuer {}: not exactly one key source", row.id))),
        };
        let algorithms = from_json::<Vec<String>>("allowed_algorithms", &row.allowed_algorithms)?
            .iter()
            .map(|name| SigningAlgorithm::parse(name).map_err(|_| Error::Corrupt(format!("algorithm {name:?}"))))
            .collect::<Result<_>>()?;
        let subjects = from_json::<Vec<StoredMapping>>("subjects", &row.subjects)?
            .into_iter()
            .map(|m| SubjectMapping {
                subject: SubjectPattern::trusted(m.subject),
                client_id: ClientId::trusted(m.client_id),
            })
            .collect();
        Ok(TrustedIssuer {
            id: parse_uuid(&row.id)?,
            auth_server_id: parse_uuid(&row.auth_server_id)?,
            name: Name::trusted(row.name),
            issuer: row.issuer,
            keys,
            algorithms,
            audience: row.audience,
            max_token_age_secs: row.max_token_age_secs,
            subjects,
            claim_conditions: from_json::<BTreeMap<String, String>>("claim_conditions", &row.claim_conditions)?,
            copy_claims: from_json::<Vec<String>>("copy_claims", &row.copy_claims)?,
            enabled: row.enabled,
            created_at: from_micros(row.created_at)?,
            updated_at: from_micros(row.updated_at)?,
        })
    }
}

/// The columns every write sets, from `$3` on (`$1` and `$2` are the auth server and id).
fn values(issuer: &TrustedIssuer) -> Args {
    let (jwks, jwks_uri) = match &issuer.keys {
        IssuerKeys::Jwks(jwks) => (Some(to_json(jwks.as_value())), None),
        IssuerKeys::JwksUri(uri) => (None, Some(uri.clone())),
    };
    let algorithms: Vec<&str> = issuer.algorithms.iter().map(|a| a.as_str()).collect();
    args![
        issuer.auth_server_id,
        issuer.id,
        issuer.name.as_str(),
        &issuer.issuer,
        jwks,
        jwks_uri,
        to_json(&algorithms),
        &issuer.audience,
        issuer.max_token_age_secs,
        to_json(&issuer.subjects),
        to_json(&issuer.claim_conditions),
        to_json(&issuer.copy_claims),
        issuer.enabled,
        micros(issuer.created_at),
        micros(issuer.updated_at),
    ]
}

/// [`Error::MissingClients`] with the position of every mapping whose client is not a client
/// of the auth server. Checked in the writing transaction, so a client deleted before it
/// commits is caught; one deleted afterwards leaves a mapping that matches no client, which
/// the grant must refuse.
async fn check_clients(tx: &mut Tx, auth_server_id: Uuid, subjects: &[SubjectMapping]) -> Result<()> {
    let mut ids: Vec<&str> = subjects.iter().map(|m| m.client_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(());
    }
    let sql = format!("SELECT id FROM clients WHERE auth_server_id = $1 AND id IN ({})", placeholders(2, ids.len()));
    let mut bound = args![auth_server_id];
    for id in &ids {
        bound.push(*id);
    }
    let found: Vec<(String,)> = tx.db().fetch_all(&sql, bound).await?;
    let missing: Vec<usize> = subjects
        .iter()
        .enumerate()
        .filter(|(_, m)| !found.iter().any(|(id,)| id == m.client_id.as_str()))
        .map(|(i, _)| i)
        .collect();
    if missing.is_empty() { Ok(()) } else { Err(Error::MissingClients(missing)) }
}

/// Inserts a trusted issuer. A missing auth server is [`Error::ForeignKey`]; a taken name or
/// issuer URL, [`Error::Conflict`]; a mapping to an unknown client, [`Error::MissingClients`].
pub async fn insert(store: &Store, issuer: &TrustedIssuer, origin: &Origin) -> Result<()> {
    let mut tx = store.begin().await?;
    check_clients(&mut tx, issuer.auth_server_id, &issuer.subjects).await?;
    tx.db()
        .execute(
            &format!(
                "INSERT INTO trusted_issuers (auth_server_id, id, name, issuer, jwks, jwks_uri, allowed_algorithms, \
                 audience, max_token_age_secs, subjects, claim_conditions, copy_claims, enabled, created_at, \
                 updated_at) VALUES ({})",
                placeholders(1, 15)
            ),
            values(issuer),
        )
        .await?;
    // The issuer endpoints read trusted issuers from the auth server's cached configuration.
    changes::record(&mut tx, &Change::Server(issuer.auth_server_id)).await?;
    let event =
        Resource::trusted_issuer(issuer.auth_server_id, issuer.id).event(origin, "created", audit::created(issuer));
    super::audit::record(&mut tx, event).await?;
    tx.commit().await
}

pub async fn get(store: &Store, auth_server_id: Uuid, id: Uuid) -> Result<TrustedIssuer> {
    let sql = format!("SELECT {COLUMNS} FROM trusted_issuers WHERE auth_server_id = $1 AND id = $2");
    store.db().fetch_one::<Row>(&sql, args![auth_server_id, id]).await?.try_into()
}

pub async fn list(store: &Store, auth_server_id: Uuid, params: &ListParams) -> Result<ListPage<TrustedIssuer>> {
    let conditions = vec!["auth_server_id = $1".to_owned()];
    list::fetch_page::<Row>(store, COLUMNS, "trusted_issuers", conditions, args![auth_server_id], params)
        .await?
        .try_map(TrustedIssuer::try_from)
}

/// Reads, changes and writes one trusted issuer under a row lock. Mappings that changed are
/// checked as on insert ([`Error::MissingClients`]); unchanged ones are not, so a deleted
/// client does not block an unrelated edit.
pub async fn modify<E: From<Error>>(
    store: &Store,
    auth_server_id: Uuid,
    id: Uuid,
    origin: &Origin,
    change: impl FnOnce(TrustedIssuer) -> Result<TrustedIssuer, E>,
) -> Result<TrustedIssuer, E> {
    let mut tx = store.begin().await?;
    let sql = format!(
        "SELECT {COLUMNS} FROM trusted_issuers WHERE auth_server_id = $1 AND id = $2{}",
        for_update(store.dialect())
    );
    let current: TrustedIssuer = tx.db().fetch_one::<Row>(&sql, args![auth_server_id, id]).await?.try_into()?;
    let before = current.clone();
    let issuer = change(current)?;
    if issuer.subjects != before.subjects {
        check_clients(&mut tx, auth_server_id, &issuer.subjects).await?;
    }
    tx.db()
        .execute(
            "UPDATE trusted_issuers SET name = $3, issuer = $4, jwks = $5, jwks_uri = $6, allowed_algorithms = $7, \
             audience = $8, max_token_age_secs = $9, subjects = $10, claim_conditions = $11, copy_claims = $12, \
             enabled = $13, created_at = $14, updated_at = $15 WHERE auth_server_id = $1 AND id = $2",
            values(&issuer),
        )
        .await?;
    changes::record(&mut tx, &Change::Server(auth_server_id)).await?;
    let changed = audit::updated(&before, &issuer);
    if !changed.is_empty() {
        let event = Resource::trusted_issuer(auth_server_id, id).event(origin, "updated", changed);
        super::audit::record(&mut tx, event).await?;
    }
    tx.commit().await?;
    Ok(issuer)
}

/// Deletes a trusted issuer; token exchange policies stop naming it.
pub async fn delete(store: &Store, auth_server_id: Uuid, id: Uuid, origin: &Origin) -> Result<()> {
    let mut tx = store.begin().await?;
    super::auth_servers::lock(&mut tx, auth_server_id).await?;
    let deleted = tx
        .db()
        .execute("DELETE FROM trusted_issuers WHERE auth_server_id = $1 AND id = $2", args![auth_server_id, id])
        .await?;
    if deleted == 0 {
        return Err(Error::NotFound);
    }
    let policies = super::exchange_policies::TRUSTED_ISSUERS;
    super::rewrite_lists(&mut tx, policies, auth_server_id, &id.to_string(), None).await?;
    changes::record(&mut tx, &Change::Server(auth_server_id)).await?;
    let event = Resource::trusted_issuer(auth_server_id, id).event(origin, "deleted", Vec::new());
    super::audit::record(&mut tx, event).await?;
    tx.commit().await
}

/// Every trusted issuer of an auth server, enabled or not, oldest first: for the issuer's
/// configuration cache.
pub async fn for_server(store: &Store, auth_server_id: Uuid) -> Result<Vec<TrustedIssuer>> {
    let sql = format!("SELECT {COLUMNS} FROM trusted_issuers WHERE auth_server_id = $1 ORDER BY created_at, id");
    let rows: Vec<Row> = store.db().fetch_all(&sql, args![auth_server_id]).await?;
    rows.into_iter().map(TrustedIssuer::try_from).collect()
}
