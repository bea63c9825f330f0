//! Issued tokens and revocations.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::ClientId;
use crate::domain::list::{FilterKind, ListParams, ListSchema};
use crate::domain::token::TokenRecord;

use super::{Error, ListPage, Result, Store, args, from_json, from_micros, list, micros, parse_uuid, to_json};

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

/// Records many tokens in one transaction (the token endpoint's group commit).
pub async fn insert_batch(store: &Store, tokens: &[TokenRecord]) -> Result<()> {
    let mut tx = store.begin().await?;
    for chunk in tokens.chunks(BATCH_ROWS) {
        let mut bound = args![];
        let mut rows = Vec::with_capacity(chunk.len());
        for token in chunk {
            let first = bound.push(token.id);
            bound.push(token.auth_server_id);
            bound.push(token.client_id.as_str());
            bound.push(to_json(&token.granted_scope_names));
            bound.push(micros(token.created_at));
            bound.push(micros(token.expires_at));
            bound.push(token.subject.clone());
            bound.push(token.user_claims.clone());
            let placeholders: Vec<String> = (first..first + 8).map(|n| format!("${n}")).collect();
            rows.push(format!("({})", placeholders.join(", ")));
        }
        let sql = format!("INSERT INTO tokens ({COLUMNS}) VALUES {}", rows.join(", "));
        tx.db().execute_once(&sql, bound).await?;
    }
    tx.commit().await
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
    tx.commit().await
}

/// Revokes every live token of a client; returns their (jti, expiry in seconds).
pub async fn revoke_all(
    store: &Store,
    auth_server_id: Uuid,
    client_id: &ClientId,
    now: DateTime<Utc>,
) -> Result<Vec<(Uuid, i64)>> {
    let mut tx = store.begin().await?;
    let revoked = revoke_all_in(&mut tx, auth_server_id, client_id, now).await?;
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
    tx.db()
        .execute(
            "UPDATE refresh_tokens SET revoked_at = $3 WHERE auth_server_id = $1 AND client_id = $2 AND revoked_at IS NULL",
            args![auth_server_id, client_id.as_str(), micros(now)],
        )
        .await?;
    live.into_iter().map(|(id, expires)| Ok((parse_uuid(&id)?, expires / 1_000_000))).collect()
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

/// Revocations recorded at or after `since`, as (jti, expires_at in seconds).
pub async fn revoked_since(store: &Store, since: DateTime<Utc>) -> Result<Vec<(Uuid, i64)>> {
    let rows: Vec<(String, i64)> = store
        .db()
        .fetch_all("SELECT id, expires_at FROM revoked_tokens WHERE revoked_at >= $1", args![micros(since)])
        .await?;
    rows.into_iter().map(|(id, expires)| Ok((parse_uuid(&id)?, expires / 1_000_000))).collect()
}

/// Deletes expired token records and revocations of tokens that expired anyway.
pub async fn purge_expired(store: &Store, now: DateTime<Utc>) -> Result<u64> {
    let tokens = store.db().execute("DELETE FROM tokens WHERE expires_at <= $1", args![micros(now)]).await?;
    let revoked = store.db().execute("DELETE FROM revoked_tokens WHERE expires_at <= $1", args![micros(now)]).await?;
    Ok(tokens + revoked)
}
