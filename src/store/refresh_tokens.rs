//! Refresh tokens (RFC 6749 §6), stored by digest, rotated on every use; a family is every
//! token rotated from one authorization (RFC 9700 §4.14.2).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Result, Store, args, from_micros, micros, parse_uuid};

/// A stored refresh token. `grant` is the sealed-flow state it continues (JSON), and
/// `access_token` the access token issued with it (`{"jti", "exp"}`), revoked with the family.
#[derive(Clone, Debug)]
pub struct RefreshToken {
    pub digest: String,
    pub family_id: Uuid,
    pub auth_server_id: Uuid,
    pub client_id: String,
    pub subject: String,
    pub grant: String,
    pub access_token: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used: bool,
    pub revoked: bool,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    family_id: String,
    auth_server_id: String,
    client_id: String,
    subject: String,
    grant_state: String,
    access_token: String,
    created_at: i64,
    expires_at: i64,
    used_at: Option<i64>,
    revoked_at: Option<i64>,
}

const COLUMNS: &str = "id, family_id, auth_server_id, client_id, subject, grant_state, access_token, created_at, \
                       expires_at, used_at, revoked_at";

/// How a refresh token is stored: the hex SHA-256 of its value.
pub fn digest_of(token: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

async fn insert_in(tx: &mut super::Tx, token: &RefreshToken) -> Result<()> {
    let sql = format!("INSERT INTO refresh_tokens ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL)");
    tx.db()
        .execute(
            &sql,
            args![
                token.digest.as_str(),
                token.family_id,
                token.auth_server_id,
                token.client_id.as_str(),
                token.subject.as_str(),
                token.grant.as_str(),
                token.access_token.as_str(),
                micros(token.created_at),
                micros(token.expires_at)
            ],
        )
        .await?;
    Ok(())
}

/// Starts a family with its first token; the family ends when that token expires. Like a
/// token record (see `tokens::insert_batch`), only while the client exists with the creation
/// time the issuing node saw (`incarnation`); false when it does not, and nothing is stored.
pub async fn start_family(store: &Store, first: &RefreshToken, incarnation: DateTime<Utc>) -> Result<bool> {
    let lock = match store.dialect() {
        super::Dialect::Postgres => " FOR KEY SHARE",
        super::Dialect::Sqlite => "",
    };
    let sql = format!(
        "INSERT INTO refresh_families (id, auth_server_id, client_id, created_at, expires_at) \
         SELECT $1, c.auth_server_id, c.id, $4, $5 FROM clients c \
         WHERE c.auth_server_id = $2 AND c.id = $3 AND c.created_at = $6{lock}"
    );
    let mut tx = store.begin().await?;
    let started = tx
        .db()
        .execute(
            &sql,
            args![
                first.family_id,
                first.auth_server_id,
                first.client_id.as_str(),
                micros(first.created_at),
                micros(first.expires_at),
                micros(incarnation)
            ],
        )
        .await?;
    if started == 0 {
        return Ok(false);
    }
    insert_in(&mut tx, first).await?;
    tx.commit().await?;
    Ok(true)
}

/// What became of a presented refresh token.
#[derive(Debug, PartialEq, Eq)]
pub enum Rotation {
    /// It was unused: it is now used, and the successor replaces it.
    Rotated,
    /// It had been used already, or its family was revoked: a replay.
    Refused,
}

/// Uses `old` once and stores its successor, in one transaction behind the family's row lock.
pub async fn rotate(store: &Store, old: &str, successor: &RefreshToken, now: DateTime<Utc>) -> Result<Rotation> {
    let mut tx = store.begin().await?;
    let live = tx
        .db()
        .execute(
            "UPDATE refresh_families SET rotated_at = $2 WHERE id = $1 AND revoked_at IS NULL",
            args![successor.family_id, micros(now)],
        )
        .await?;
    let used = tx
        .db()
        .execute(
            "UPDATE refresh_tokens SET used_at = $2 WHERE id = $1 AND used_at IS NULL AND revoked_at IS NULL",
            args![old, micros(now)],
        )
        .await?;
    if live != 1 || used != 1 {
        return Ok(Rotation::Refused);
    }
    insert_in(&mut tx, successor).await?;
    tx.commit().await?;
    Ok(Rotation::Rotated)
}

pub async fn find(store: &Store, auth_server_id: Uuid, digest: &str) -> Result<Option<RefreshToken>> {
    let sql = format!("SELECT {COLUMNS} FROM refresh_tokens WHERE id = $1 AND auth_server_id = $2");
    let row: Option<Row> = store.db().fetch_optional(&sql, args![digest, auth_server_id]).await?;
    row.map(|row| {
        Ok(RefreshToken {
            digest: row.id,
            family_id: parse_uuid(&row.family_id)?,
            auth_server_id: parse_uuid(&row.auth_server_id)?,
            client_id: row.client_id,
            subject: row.subject,
            grant: row.grant_state,
            access_token: row.access_token,
            created_at: from_micros(row.created_at)?,
            expires_at: from_micros(row.expires_at)?,
            used: row.used_at.is_some(),
            revoked: row.revoked_at.is_some(),
        })
    })
    .transpose()
}

/// Revokes every token of a family; returns the access tokens they were issued with.
pub async fn revoke_family(store: &Store, family_id: Uuid, now: DateTime<Utc>) -> Result<Vec<String>> {
    let mut tx = store.begin().await?;
    // The family row first: a concurrent rotation either finished (its successor is seen
    // below) or will find the family revoked.
    tx.db()
        .execute(
            "UPDATE refresh_families SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
            args![family_id, micros(now)],
        )
        .await?;
    let issued: Vec<(String,)> =
        tx.db().fetch_all("SELECT access_token FROM refresh_tokens WHERE family_id = $1", args![family_id]).await?;
    tx.db()
        .execute(
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL",
            args![family_id, micros(now)],
        )
        .await?;
    tx.commit().await?;
    Ok(issued.into_iter().map(|(token,)| token).collect())
}

pub async fn purge_expired(store: &Store, now: DateTime<Utc>) -> Result<u64> {
    let tokens = store.db().execute("DELETE FROM refresh_tokens WHERE expires_at < $1", args![micros(now)]).await?;
    store.db().execute("DELETE FROM refresh_families WHERE expires_at < $1", args![micros(now)]).await?;
    Ok(tokens)
}
