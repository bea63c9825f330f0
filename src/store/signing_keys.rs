//! Signing keys of auth servers. Private keys are stored sealed (see `keys::Sealer`).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::SigningAlgorithm;
use crate::domain::audit::{Event, FieldChange, Resource};

use super::{Error, Result, Store, Tx, args, from_json, from_micros, micros, to_json};

/// Where a key is in its life; every state is published in the JWKS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyState {
    /// Published ahead of signing, so cached JWKS documents know it before tokens carry it.
    Next,
    /// Signs new tokens: one per auth server.
    Current,
    /// Signs no more; published until the tokens it signed have expired.
    Retired,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Next => "next",
            KeyState::Current => "current",
            KeyState::Retired => "retired",
        }
    }
}

/// A key as stored: its private half sealed, its public half as a JWK.
#[derive(Clone)]
pub struct StoredKey {
    pub kid: String,
    pub auth_server_id: Uuid,
    pub algorithm: SigningAlgorithm,
    pub sealed_private_key: String,
    pub public_jwk: serde_json::Value,
    /// When it was created and published.
    pub created_at: DateTime<Utc>,
    /// When it began signing; `None` while it is the next key.
    pub activated_at: Option<DateTime<Utc>>,
    /// For the next key: when scheduled rotation makes it sign.
    pub activates_at: Option<DateTime<Utc>>,
    pub retired_at: Option<DateTime<Utc>>,
}

impl StoredKey {
    pub fn state(&self) -> KeyState {
        match (self.retired_at, self.activated_at) {
            (Some(_), _) => KeyState::Retired,
            (None, Some(_)) => KeyState::Current,
            (None, None) => KeyState::Next,
        }
    }

    /// The same key as a next key, to sign from `activates_at`.
    pub fn into_next(self, activates_at: DateTime<Utc>) -> StoredKey {
        StoredKey { activated_at: None, activates_at: Some(activates_at), retired_at: None, ..self }
    }
}

impl std::fmt::Debug for StoredKey {
    /// Without an encryption key the sealed form is the private key itself: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKey")
            .field("kid", &self.kid)
            .field("auth_server_id", &self.auth_server_id)
            .field("algorithm", &self.algorithm)
            .field("created_at", &self.created_at)
            .field("activated_at", &self.activated_at)
            .field("activates_at", &self.activates_at)
            .field("retired_at", &self.retired_at)
            .finish_non_exhaustive()
    }
}

const COLUMNS: &str =
    "id, auth_server_id, algorithm, private_key, public_jwk, created_at, activated_at, activates_at, retired_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    auth_server_id: String,
    algorithm: String,
    private_key: String,
    public_jwk: String,
    created_at: i64,
    activated_at: Option<i64>,
    activates_at: Option<i64>,
    retired_at: Option<i64>,
}

impl TryFrom<Row> for StoredKey {
    type Error = Error;

    fn try_from(row: Row) -> Result<StoredKey> {
        Ok(StoredKey {
            algorithm: SigningAlgorithm::parse(&row.algorithm)
                .map_err(|_| Error::Corrupt(format!("algorithm {}", row.algorithm)))?,
            kid: row.id,
            auth_server_id: super::parse_uuid(&row.auth_server_id)?,
            sealed_private_key: row.private_key,
            public_jwk: from_json("public_jwk", &row.public_jwk)?,
            created_at: from_micros(row.created_at)?,
            activated_at: row.activated_at.map(from_micros).transpose()?,
            activates_at: row.activates_at.map(from_micros).transpose()?,
            retired_at: row.retired_at.map(from_micros).transpose()?,
        })
    }
}

pub(crate) async fn insert_in(tx: &mut Tx, key: &StoredKey) -> Result<()> {
    tx.db()
        .execute(
            &format!("INSERT INTO signing_keys ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)"),
            args![
                &key.kid,
                key.auth_server_id,
                key.algorithm.as_str(),
                &key.sealed_private_key,
                to_json(&key.public_jwk),
                micros(key.created_at),
                key.activated_at.map(micros),
                key.activates_at.map(micros),
            ],
        )
        .await?;
    Ok(())
}

/// Puts `key` in place as the auth server's current key at once: the current key retires (and
/// stays published), and the next key, which never signed, is withdrawn (its algorithm or its
/// secrecy may be what the replacement is for).
pub(crate) async fn replace_in(tx: &mut Tx, key: &StoredKey) -> Result<()> {
    let id = key.auth_server_id;
    tx.db()
        .execute(
            "DELETE FROM signing_keys WHERE auth_server_id = $1 AND retired_at IS NULL AND activated_at IS NULL",
            args![id],
        )
        .await?;
    tx.db()
        .execute(
            "UPDATE signing_keys SET retired_at = $2 WHERE auth_server_id = $1 AND retired_at IS NULL",
            args![id, micros(key.created_at)],
        )
        .await?;
    insert_in(tx, &StoredKey { activated_at: Some(key.created_at), activates_at: None, ..key.clone() }).await
}

/// Keys still published: next and current keys, and those retired less than
/// `publish_seconds` ago, newest first.
pub async fn published(
    store: &Store,
    auth_server_id: Uuid,
    now: DateTime<Utc>,
    publish_seconds: i64,
) -> Result<Vec<StoredKey>> {
    let cutoff = micros(now) - publish_seconds * 1_000_000;
    let rows: Vec<Row> = store
        .db()
        .fetch_all(
            &format!(
                "SELECT {COLUMNS} FROM signing_keys WHERE auth_server_id = $1 \
                 AND (retired_at IS NULL OR retired_at > $2) ORDER BY created_at DESC"
            ),
            args![auth_server_id, cutoff],
        )
        .await?;
    rows.into_iter().map(StoredKey::try_from).collect()
}

/// An auth server's keys that are not retired.
#[derive(Clone, Debug, Default)]
pub struct LiveKeys {
    pub current: Option<StoredKey>,
    pub next: Option<StoredKey>,
}

impl LiveKeys {
    fn from_rows(rows: Vec<Row>) -> Result<LiveKeys> {
        let mut keys = LiveKeys::default();
        for key in rows.into_iter().map(StoredKey::try_from) {
            let key = key?;
            match key.state() {
                KeyState::Current => keys.current = Some(key),
                KeyState::Next => keys.next = Some(key),
                KeyState::Retired => {}
            }
        }
        Ok(keys)
    }
}

fn live_sql() -> String {
    format!("SELECT {COLUMNS} FROM signing_keys WHERE auth_server_id = $1 AND retired_at IS NULL")
}

/// The auth server's current and next keys, as they are now (for a decision that
/// [`transition`] checks again under lock).
pub async fn live(store: &Store, auth_server_id: Uuid) -> Result<LiveKeys> {
    LiveKeys::from_rows(store.db().fetch_all(&live_sql(), args![auth_server_id]).await?)
}

/// A change of an auth server's keys.
#[derive(Debug)]
pub enum Transition {
    /// `key` is published as the next key (see [`StoredKey::into_next`]).
    PublishNext(StoredKey),
    /// The next key, `kid`, signs from `at`; the current key retires at `at`.
    Promote { kid: String, at: DateTime<Utc> },
    /// `key` signs from its `created_at`; see [`replace_in`].
    Replace(StoredKey),
}

/// Reads the auth server's signing algorithm and live keys under the auth server's row lock
/// (the lock a signing-algorithm change takes too), lets `decide` choose a transition, and
/// applies it with a change-feed row in the same transaction. Whichever nodes race, each
/// decision sees the outcome of the one before it, and the unique indexes on one current and
/// one next key per auth server stand behind that. Answers what was applied; `NotFound` when
/// there is no such auth server. A rotation an admin asked for (`origin`) is audited as
/// `signing_key.rotated`; scheduled ones are not /v1 changes and are only logged.
pub async fn transition<E: From<Error>>(
    store: &Store,
    auth_server_id: Uuid,
    origin: Option<&crate::domain::admin::Origin>,
    decide: impl FnOnce(SigningAlgorithm, &LiveKeys) -> Result<Option<Transition>, E>,
) -> Result<Option<Transition>, E> {
    let mut tx = store.begin().await?;
    let sql = format!(
        "SELECT signing_algorithm FROM auth_servers WHERE id = $1{}",
        super::auth_servers::for_update(store.dialect())
    );
    let (algorithm,): (String,) = tx.db().fetch_one(&sql, args![auth_server_id]).await?;
    let algorithm = SigningAlgorithm::parse(&algorithm).map_err(|_| Error::Corrupt(algorithm.clone()))?;
    let keys = LiveKeys::from_rows(tx.db().fetch_all(&live_sql(), args![auth_server_id]).await?)?;
    let Some(transition) = decide(algorithm, &keys)? else { return Ok(None) };
    match &transition {
        Transition::PublishNext(key) => insert_in(&mut tx, key).await?,
        Transition::Promote { kid, at } => {
            if keys.next.as_ref().is_none_or(|next| next.kid != *kid) {
                return Ok(None);
            }
            tx.db()
                .execute(
                    "UPDATE signing_keys SET retired_at = $2 \
                     WHERE auth_server_id = $1 AND retired_at IS NULL AND activated_at IS NOT NULL",
                    args![auth_server_id, micros(*at)],
                )
                .await?;
            tx.db()
                .execute(
                    "UPDATE signing_keys SET activated_at = $2 WHERE id = $1 AND retired_at IS NULL",
                    args![kid, micros(*at)],
                )
                .await?;
        }
        Transition::Replace(key) => replace_in(&mut tx, key).await?,
    }
    super::changes::record(&mut tx, &super::changes::Change::Server(auth_server_id)).await?;
    if let Some(origin) = origin {
        super::audit::record(&mut tx, rotation_event(auth_server_id, &transition, origin)).await?;
    }
    tx.commit().await?;
    Ok(Some(transition))
}

/// `signing_key.rotated` for the key a transition published, promoted or put in place; a new
/// key's private half is recorded only as created.
fn rotation_event(auth_server_id: Uuid, transition: &Transition, origin: &crate::domain::admin::Origin) -> Event {
    let state = |state: KeyState| serde_json::Value::from(state.as_str());
    let (kid, fields) = match transition {
        Transition::PublishNext(key) => (
            &key.kid,
            vec![
                FieldChange::values("state", serde_json::Value::Null, state(KeyState::Next)),
                FieldChange::redacted("private_key"),
            ],
        ),
        Transition::Promote { kid, .. } => {
            (kid, vec![FieldChange::values("state", state(KeyState::Next), state(KeyState::Current))])
        }
        Transition::Replace(key) => (
            &key.kid,
            vec![
                FieldChange::values("state", serde_json::Value::Null, state(KeyState::Current)),
                FieldChange::redacted("private_key"),
            ],
        ),
    };
    Resource::signing_key(auth_server_id, kid).event(origin, "rotated", fields)
}

/// Auth servers with scheduled rotation to do: a next key whose `activates_at` has come, or
/// (with `publish_before` set) no next key and a current key that began signing at or before
/// `publish_before`; with their signing algorithm.
pub async fn due_for_rotation(
    store: &Store,
    now: DateTime<Utc>,
    publish_before: Option<DateTime<Utc>>,
) -> Result<Vec<(Uuid, SigningAlgorithm)>> {
    let rows: Vec<(String, String)> = store
        .db()
        .fetch_all(
            "SELECT s.id, s.signing_algorithm FROM auth_servers s WHERE EXISTS (\
               SELECT 1 FROM signing_keys k WHERE k.auth_server_id = s.id AND k.retired_at IS NULL AND (\
                 (k.activated_at IS NULL AND k.activates_at <= $1) \
                 OR (k.activated_at <= $2 AND NOT EXISTS (\
                   SELECT 1 FROM signing_keys n \
                   WHERE n.auth_server_id = s.id AND n.retired_at IS NULL AND n.activated_at IS NULL))))",
            // Without scheduled rotation no key began signing early enough to be due.
            args![micros(now), publish_before.map_or(i64::MIN, micros)],
        )
        .await?;
    rows.into_iter()
        .map(|(id, algorithm)| {
            Ok((
                super::parse_uuid(&id)?,
                SigningAlgorithm::parse(&algorithm).map_err(|_| Error::Corrupt(algorithm.clone()))?,
            ))
        })
        .collect()
}

/// Deletes keys retired longer ago than any token they signed can live.
pub async fn prune(store: &Store, now: DateTime<Utc>, publish_seconds: i64) -> Result<u64> {
    let cutoff = micros(now) - publish_seconds * 1_000_000;
    store
        .db()
        .execute("DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND retired_at <= $1", args![cutoff])
        .await
}

/// Every stored private key (`kid`, sealed form), or only those stored in clear.
pub(crate) async fn sealed_in(tx: &mut Tx, only_clear: bool) -> Result<Vec<(String, String)>> {
    let sql = if only_clear {
        "SELECT id, private_key FROM signing_keys WHERE private_key LIKE 'plain:%' ORDER BY id"
    } else {
        "SELECT id, private_key FROM signing_keys ORDER BY id"
    };
    tx.db().fetch_all(sql, args![]).await
}

/// Stores a key's private half sealed anew if it still is `old`; false when another node got there first.
pub(crate) async fn reseal_in(tx: &mut Tx, kid: &str, old: &str, new: &str) -> Result<bool> {
    let updated = tx
        .db()
        .execute("UPDATE signing_keys SET private_key = $3 WHERE id = $1 AND private_key = $2", args![kid, old, new])
        .await?;
    Ok(updated == 1)
}
