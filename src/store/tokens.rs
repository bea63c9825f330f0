//! Issued tokens and revocations.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::ClientId;
use crate::domain::admin::Origin;
use crate::domain::audit::{FieldChange, Resource};
use crate::domain::list::{FilterKind, ListParams, ListSchema};
use crate::domain::token::TokenRecord;

use super::{Dialect, Error, ListPage, Result, Store, args, from_json, from_micros, list, micros, parse_uuid, to_json};

pub const LIST: ListSchema =
    ListSchema { sortable: &["created_at", "expires_at"], filters: &[("id", FilterKind::Exact)] };

const COLUMNS: &str =
    "id, auth_server_id, client_id, granted_scope_names, created_at, expires_at, subject, user_claims";

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    auth_server_id: String,
    client_id: String,
    granted_scope_names: String,
    created_at: i64,
    expires_at: i64,
    subject: Option<String>,
    user_claims: Option<String>,
}

impl TryFrom<Row> for TokenRecord {
    type Error = Error;

    fn try_from(row: Row) -> Result<TokenRecord> {
        Ok(TokenRecord {
            id: parse_uuid(&row.id)?,
            auth_server_id: parse_uuid(&row.auth_server_id)?,
            client_id: ClientId::trusted(row.client_id),
            granted_scope_names: from_json("granted_scope_names", &row.granted_scope_names)?,
            created_at: from_micros(row.created_at)?,
            expires_at: from_micros(row.expires_at)?,
            subject: row.subject,
            user_claims: row.user_claims,
        })
    }
}

/// Rows per INSERT statement; keeps bound parameters well under every backend's limit.
const BATCH_ROWS: usize = 500;

/// Batches of up to this many tokens keep their prepared insert on each connection.
const CACHED_BATCH_SIZES: usize = 16;

/// A token to record, with the incarnation of its client the issuing node saw: the client's
/// `created_at` in microseconds, which a delete and re-import under the same id changes.
pub struct Pending<'a> {
    pub record: &'a TokenRecord,
    pub incarnation: i64,
    /// A single use the token is issued for (an assertion's `jti`): the token is recorded only
    /// if this is its first use, in the same transaction.
    pub single_use: Option<&'a SingleUse>,
}

/// A use that may happen once (on every node), recorded until `expires_at`.
#[derive(Clone, Debug)]
pub struct SingleUse {
    pub id: Uuid,
    pub auth_server_id: Uuid,
    pub kind: &'static str,
    pub expires_at: DateTime<Utc>,
}

/// What a batch recorded: the tokens inserted, and those refused because their single use had
/// already happened (their use was not the first).
#[derive(Debug, Default)]
pub struct BatchOutcome {
    pub inserted: HashSet<Uuid>,
    pub used_before: HashSet<Uuid>,
}

/// Records many tokens in one transaction (the token endpoint's group commit) and returns the
/// ids recorded. A token is recorded only while its client exists in the incarnation its node
/// saw, so no token issued after a client's deletion is ever recorded, nor comes back when
/// the client is imported again. On Postgres the insert holds a key-share lock on those client
/// rows: a concurrent delete waits for it and then revokes what it recorded, or the insert
/// waits for the delete and records nothing. SQLite runs write transactions one at a time.
pub async fn insert_batch(store: &Store, tokens: &[Pending<'_>]) -> Result<BatchOutcome> {
    let lock = match store.dialect() {
        Dialect::Postgres => " FOR KEY SHARE OF c",
        Dialect::Sqlite => "",
    };
    let mut inserted = HashSet::with_capacity(tokens.len());
    let mut tx = store.begin().await?;
    let used_before = mark_first_uses(&mut tx, tokens).await?;
    let tokens: Vec<&Pending<'_>> = tokens.iter().filter(|p| !used_before.contains(&p.record.id)).collect();
    for chunk in tokens.chunks(BATCH_ROWS) {
        let mut bound = args![];
        let mut rows = Vec::with_capacity(chunk.len());
        for Pending { record: token, incarnation, .. } in chunk.iter().copied() {
            let first = bound.push(token.id);
            bound.push(token.auth_server_id);
            bound.push(token.client_id.as_str());
            bound.push(to_json(&token.granted_scope_names));
            bound.push(micros(token.created_at));
            bound.push(micros(token.expires_at));
            bound.push(token.subject.clone());
            bound.push(token.user_claims.clone());
            bound.push(*incarnation);
            rows.push(format!("({})", super::placeholders(first, 9)));
        }
        let sql = format!(
            "WITH v ({COLUMNS}, incarnation) AS (VALUES {}), \
             live AS (SELECT c.auth_server_id, c.id, c.created_at FROM clients c WHERE EXISTS \
               (SELECT 1 FROM v WHERE v.auth_server_id = c.auth_server_id AND v.client_id = c.id){lock}) \
             INSERT INTO tokens ({COLUMNS}) \
             SELECT v.id, v.auth_server_id, v.client_id, v.granted_scope_names, v.created_at, v.expires_at, \
               v.subject, v.user_claims FROM v \
             JOIN live ON live.auth_server_id = v.auth_server_id AND live.id = v.client_id \
               AND live.created_at = v.incarnation \
             RETURNING id",
            rows.join(", ")
        );
        inserted.extend(returned_ids(&mut tx, &sql, bound, chunk.len()).await?);
    }
    tx.commit().await?;
    Ok(BatchOutcome { inserted, used_before })
}

/// Runs a multi-row insert of `rows` rows `RETURNING id`. Small batches, the common case at low
/// concurrency, reuse their prepared statement (one text per size); large ones vary too much to
/// be worth caching.
async fn returned_ids(tx: &mut super::Tx, sql: &str, bound: super::Args, rows: usize) -> Result<Vec<Uuid>> {
    let ids: Vec<(String,)> = if rows <= CACHED_BATCH_SIZES {
        tx.db().fetch_all(sql, bound).await?
    } else {
        tx.db().fetch_all_once(sql, bound).await?
    };
    ids.iter().map(|(id,)| parse_uuid(id)).collect()
}

/// Records the single uses of a batch (RFC 7523 §3 item 7) in its transaction; answers the
/// tokens whose use had happened before, stored or earlier in the same batch.
async fn mark_first_uses(tx: &mut super::Tx, tokens: &[Pending<'_>]) -> Result<HashSet<Uuid>> {
    let uses: Vec<(&TokenRecord, &SingleUse)> =
        tokens.iter().filter_map(|p| p.single_use.map(|single_use| (p.record, single_use))).collect();
    let mut used_before = HashSet::new();
    if uses.is_empty() {
        return Ok(used_before);
    }
    let mut first = HashSet::with_capacity(uses.len());
    for chunk in uses.chunks(BATCH_ROWS) {
        let mut bound = args![];
        let mut rows = Vec::with_capacity(chunk.len());
        for (_, single_use) in chunk {
            let at = bound.push(single_use.id);
            bound.push(single_use.auth_server_id);
            bound.push(single_use.kind);
            bound.push(micros(single_use.expires_at));
            rows.push(format!("({}, '[]', ${})", super::placeholders(at, 3), at + 3));
        }
        let sql = format!(
            "INSERT INTO used_grants (id, auth_server_id, kind, tokens, expires_at) VALUES {} \
             ON CONFLICT (id) DO NOTHING RETURNING id",
            rows.join(", ")
        );
        first.extend(returned_ids(tx, &sql, bound, chunk.len()).await?);
    }
    // A use id inserted once answers for the first request in the batch that named it.
    for (record, single_use) in uses {
        if !first.remove(&single_use.id) {
            used_before.insert(record.id);
        }
    }
    Ok(used_before)
}

pub async fn list(
    store: &Store,
    auth_server_id: Uuid,
    client_id: &ClientId,
    now: DateTime<Utc>,
    params: &ListParams,
) -> Result<ListPage<TokenRecord>> {
    let conditions = vec!["auth_server_id = $1".to_owned(), "client_id = $2".to_owned(), "expires_at > $3".to_owned()];
    list::fetch_page::<Row>(
        store,
        COLUMNS,
        "tokens",
        conditions,
        args![auth_server_id, client_id.as_str(), micros(now)],
        params,
    )
    .await?
    .try_map(TokenRecord::try_from)
}

pub async fn get(
    store: &Store,
    auth_server_id: Uuid,
    client_id: &ClientId,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<TokenRecord> {
    let sql = format!(
        "SELECT {COLUMNS} FROM tokens WHERE auth_server_id = $1 AND client_id = $2 AND id = $3 AND expires_at > $4"
    );
    store.db().fetch_one::<Row>(&sql, args![auth_server_id, client_id.as_str(), id, micros(now)]).await?.try_into()
}

/// The claims the login page gave for the user of a token (JSON), if it has any.
pub async fn user_claims(store: &Store, auth_server_id: Uuid, id: Uuid) -> Result<Option<String>> {
    let row: Option<(Option<String>,)> = store
        .db()
        .fetch_optional(
            "SELECT user_claims FROM tokens WHERE auth_server_id = $1 AND id = $2",
            args![auth_server_id, id],
        )
        .await?;
    Ok(row.and_then(|(claims,)| claims))
}

/// Revokes one token: it leaves the list and joins the revocation list until it expires.
pub async fn revoke(
    store: &Store,
    auth_server_id: Uuid,
    client_id: &ClientId,
    id: Uuid,
    now: DateTime<Utc>,
    origin: &Origin,
) -> Result<()> {
    let mut tx = store.begin().await?;
    let inserted = tx
        .db()
        .execute(
            "INSERT INTO revoked_tokens (id, auth_server_id, expires_at, revoked_at) \
             SELECT id, auth_server_id, expires_at, $4 FROM tokens \
             WHERE auth_server_id = $1 AND client_id = $2 AND id = $3 AND expires_at > $4 ON CONFLICT (id) DO NOTHING",
            args![auth_server_id, client_id.as_str(), id, micros(now)],
        )
        .await?;
    let deleted = tx
        .db()
        .execute(
            "DELETE FROM tokens WHERE auth_server_id = $1 AND client_id = $2 AND id = $3",
            args![auth_server_id, client_id.as_str(), id],
        )
        .await?;
    if inserted == 0 && deleted == 0 {
        return Err(Error::NotFound);
    }
    super::audit::record(&mut tx, Resource::token(auth_server_id, id).event(origin, "revoked", Vec::new())).await?;
    tx.commit().await
}

/// Revokes every live token of a client; returns their (jti, expiry in seconds). Audited as
/// `tokens.revoked_all` with how many access and refresh tokens it revoked, when it revoked any.
pub async fn revoke_all(
    store: &Store,
    auth_server_id: Uuid,
    client_id: &ClientId,
    now: DateTime<Utc>,
    origin: &Origin,
) -> Result<Vec<(Uuid, i64)>> {
    let mut tx = store.begin().await?;
    let (revoked, refresh_revoked) = revoke_all_counted(&mut tx, auth_server_id, client_id, now).await?;
    if !revoked.is_empty() || refresh_revoked > 0 {
        let count = |field: &str, n: u64| FieldChange::values(field, serde_json::Value::Null, n.into());
        let fields = vec![
            count("revoked_access_tokens", revoked.len() as u64),
            count("revoked_refresh_tokens", refresh_revoked),
        ];
        let event = Resource::tokens_of(auth_server_id, client_id).event(origin, "revoked_all", fields);
        super::audit::record(&mut tx, event).await?;
    }
    tx.commit().await?;
    Ok(revoked)
}

/// Inside a transaction: moves a client's live tokens to the revocation list and deletes its
/// token rows.
pub(crate) async fn revoke_all_in(
    tx: &mut super::Tx,
    auth_server_id: Uuid,
    client_id: &ClientId,
    now: DateTime<Utc>,
) -> Result<Vec<(Uuid, i64)>> {
    Ok(revoke_all_counted(tx, auth_server_id, client_id, now).await?.0)
}

/// [`revoke_all_in`], also answering how many refresh tokens it revoked.
async fn revoke_all_counted(
    tx: &mut super::Tx,
    auth_server_id: Uuid,
    client_id: &ClientId,
    now: DateTime<Utc>,
) -> Result<(Vec<(Uuid, i64)>, u64)> {
    let live: Vec<(String, i64)> = tx
        .db()
        .fetch_all(
            "SELECT id, expires_at FROM tokens WHERE auth_server_id = $1 AND client_id = $2 AND expires_at > $3",
            args![auth_server_id, client_id.as_str(), micros(now)],
        )
        .await?;
    tx.db()
        .execute(
            "INSERT INTO revoked_tokens (id, auth_server_id, expires_at, revoked_at) \
             SELECT id, auth_server_id, expires_at, $3 FROM tokens \
             WHERE auth_server_id = $1 AND client_id = $2 AND expires_at > $3 ON CONFLICT (id) DO NOTHING",
            args![auth_server_id, client_id.as_str(), micros(now)],
        )
        .await?;
    tx.db()
        .execute(
            "DELETE FROM tokens WHERE auth_server_id = $1 AND client_id = $2",
            args![auth_server_id, client_id.as_str()],
        )
        .await?;
    // Refresh tokens would mint new access tokens; they go too.
    let refresh_revoked = tx
        .db()
        .execute(
            "UPDATE refresh_tokens SET revoked_at = $3 WHERE auth_server_id = $1 AND client_id = $2 AND revoked_at IS NULL",
            args![auth_server_id, client_id.as_str(), micros(now)],
        )
        .await?;
    let live =
        live.into_iter().map(|(id, expires)| Ok((parse_uuid(&id)?, expires / 1_000_000))).collect::<Result<_>>()?;
    Ok((live, refresh_revoked))
}

/// Revokes a token by its jti, whether or not it was recorded (RFC 7009).
pub async fn revoke_jti(
    store: &Store,
    auth_server_id: Uuid,
    id: Uuid,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut tx = store.begin().await?;
    tx.db()
        .execute(
            "INSERT INTO revoked_tokens (id, auth_server_id, expires_at, revoked_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id) DO NOTHING",
            args![id, auth_server_id, micros(expires_at), micros(now)],
        )
        .await?;
    tx.db().execute("DELETE FROM tokens WHERE id = $1", args![id]).await?;
    tx.commit().await
}

/// Revocations with a sequence number above `after`, as (seq, jti, expires_at in seconds),
/// oldest first. The database assigns `seq`, so no node's clock is involved.
pub async fn revoked_after(store: &Store, after: i64) -> Result<Vec<(i64, Uuid, i64)>> {
    let rows: Vec<(i64, String, i64)> = store
        .db()
        .fetch_all("SELECT seq, id, expires_at FROM revoked_tokens WHERE seq > $1 ORDER BY seq", args![after])
        .await?;
    rows.into_iter().map(|(seq, id, expires)| Ok((seq, parse_uuid(&id)?, expires / 1_000_000))).collect()
}

/// Deletes expired token records and revocations of tokens that expired anyway.
pub async fn purge_expired(store: &Store, now: DateTime<Utc>) -> Result<u64> {
    let tokens = store.db().execute("DELETE FROM tokens WHERE expires_at <= $1", args![micros(now)]).await?;
    let revoked = store.db().execute("DELETE FROM revoked_tokens WHERE expires_at <= $1", args![micros(now)]).await?;
    Ok(tokens + revoked)
}
