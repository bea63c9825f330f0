//! Basic-auth credentials of principals and their passwords (Kong Identity v2); passwords are
//! stored as Argon2id hashes only.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::admin::Origin;
use crate::domain::audit::{self, FieldChange, Resource, Snapshot};
use crate::domain::basic_auth::{BasicAuth, MAX_PASSWORDS, MAX_PER_PRINCIPAL, Password, Username};
use crate::domain::directory::ManagedBy;
use crate::domain::list::{ListParams, ListSchema};

use super::audit::record;
use super::{Error, ListPage, Result, Store, Tx, args, from_json, from_micros, list, micros, parse_uuid, to_json};

/// Kong lists basic-auths and passwords by page only, oldest first.
pub const LIST: ListSchema = ListSchema { sortable: &[], filters: &[] };

/// The unique key that makes a username unique within its directory.
pub const USERNAME_KEY: &str = "basic_auths_directory_id_username_key";

const COLUMNS: &str = "directory_id, principal_id, id, username, managed_by, created_at, updated_at";
const PASSWORD_COLUMNS: &str = "basic_auth_id, id, expires_at, managed_by, created_at, updated_at";

pub fn resource(id: Uuid) -> Resource {
    Resource::new("basic_auth", id, None)
}

pub fn password_resource(id: Uuid) -> Resource {
    Resource::new("password", id, None)
}

#[derive(sqlx::FromRow)]
struct Row {
    directory_id: String,
    principal_id: String,
    id: String,
    username: String,
    managed_by: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<Row> for BasicAuth {
    type Error = Error;

    fn try_from(row: Row) -> Result<BasicAuth> {
        Ok(BasicAuth {
            id: parse_uuid(&row.id)?,
            directory_id: parse_uuid(&row.directory_id)?,
            principal_id: parse_uuid(&row.principal_id)?,
            username: Username::trusted(row.username),
            managed_by: from_json::<ManagedBy>("managed_by", &row.managed_by)?,
            created_at: from_micros(row.created_at)?,
            updated_at: from_micros(row.updated_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
struct PasswordRow {
    basic_auth_id: String,
    id: String,
    expires_at: Option<i64>,
    managed_by: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<PasswordRow> for Password {
    type Error = Error;

    fn try_from(row: PasswordRow) -> Result<Password> {
        Ok(Password {
            id: parse_uuid(&row.id)?,
            basic_auth_id: parse_uuid(&row.basic_auth_id)?,
            expires_at: row.expires_at.map(from_micros).transpose()?,
            managed_by: from_json::<ManagedBy>("managed_by", &row.managed_by)?,
            created_at: from_micros(row.created_at)?,
            updated_at: from_micros(row.updated_at)?,
        })
    }
}

fn values(basic_auth: &BasicAuth) -> super::Args {
    args![
        basic_auth.directory_id,
        basic_auth.principal_id,
        basic_auth.id,
        basic_auth.username.as_str(),
        to_json(&basic_auth.managed_by),
        micros(basic_auth.created_at),
        micros(basic_auth.updated_at),
    ]
}

/// Locks the principal for the rest of the transaction, so the credential limit holds under
/// concurrency; a principal that is not in the directory is [`Error::NotFound`].
async fn lock_principal(tx: &mut Tx, directory_id: Uuid, principal_id: Uuid) -> Result<()> {
    let touched = tx
        .db()
        .execute(
            "UPDATE principals SET updated_at = updated_at WHERE directory_id = $1 AND id = $2",
            args![directory_id, principal_id],
        )
        .await?;
    if touched == 0 { Err(Error::NotFound) } else { Ok(()) }
}

/// Locks the basic-auth credential (as [`lock_principal`] does the principal), so the
/// password limit holds under concurrency.
async fn lock_basic_auth(tx: &mut Tx, directory_id: Uuid, principal_id: Uuid, id: Uuid) -> Result<()> {
    let touched = tx
        .db()
        .execute(
            "UPDATE basic_auths SET updated_at = updated_at WHERE directory_id = $1 AND principal_id = $2 AND id = $3",
            args![directory_id, principal_id, id],
        )
        .await?;
    if touched == 0 { Err(Error::NotFound) } else { Ok(()) }
}

/// Adds a basic-auth credential; a sixth of one principal is [`Error::LimitReached`], a
/// username taken in the directory is a conflict on [`USERNAME_KEY`].
pub async fn insert(store: &Store, basic_auth: &BasicAuth, origin: &Origin) -> Result<()> {
    let mut tx = store.begin().await?;
    lock_principal(&mut tx, basic_auth.directory_id, basic_auth.principal_id).await?;
    let (count,) = tx
        .db()
        .fetch_one::<(i64,)>("SELECT COUNT(*) FROM basic_auths WHERE principal_id = $1", args![basic_auth.principal_id])
        .await?;
    if count >= MAX_PER_PRINCIPAL {
        return Err(Error::LimitReached);
    }
    let sql = format!("INSERT INTO basic_auths ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)");
    tx.db().execute(&sql, values(basic_auth)).await?;
    super::changes::record(&mut tx, &super::changes::Change::Directory(basic_auth.directory_id)).await?;
    record(&mut tx, resource(basic_auth.id).event(origin, "created", audit::created(basic_auth))).await?;
    tx.commit().await
}

pub async fn get(store: &Store, directory_id: Uuid, principal_id: Uuid, id: Uuid) -> Result<BasicAuth> {
    let sql = format!("SELECT {COLUMNS} FROM basic_auths WHERE directory_id = $1 AND principal_id = $2 AND id = $3");
    store.db().fetch_one::<Row>(&sql, args![directory_id, principal_id, id]).await?.try_into()
}

pub async fn list(
    store: &Store,
    directory_id: Uuid,
    principal_id: Uuid,
    params: &ListParams,
) -> Result<ListPage<BasicAuth>> {
    let conditions = vec!["directory_id = $1".to_owned(), "principal_id = $2".to_owned()];
    list::fetch_page::<Row>(store, COLUMNS, "basic_auths", conditions, args![directory_id, principal_id], params)
        .await?
        .try_map(BasicAuth::try_from)
}

async fn fetch(tx: &mut Tx, directory_id: Uuid, principal_id: Uuid, id: Uuid) -> Result<BasicAuth> {
    let sql = format!(
        "SELECT {COLUMNS} FROM basic_auths WHERE directory_id = $1 AND principal_id = $2 AND id = $3{}",
        super::auth_servers::for_update(tx.dialect())
    );
    tx.db().fetch_one::<Row>(&sql, args![directory_id, principal_id, id]).await?.try_into()
}

/// Applies `change` atomically; a change that changes nothing writes nothing.
pub async fn modify<E: From<Error>>(
    store: &Store,
    directory_id: Uuid,
    principal_id: Uuid,
    id: Uuid,
    origin: &Origin,
    change: impl FnOnce(BasicAuth) -> Result<BasicAuth, E>,
) -> Result<BasicAuth, E> {
    let mut tx = store.begin().await?;
    let current = fetch(&mut tx, directory_id, principal_id, id).await?;
    let before = current.snapshot();
    let mut basic_auth = change(current.clone())?;
    let changes = audit::diff(Some(&before), Some(&basic_auth.snapshot()));
    if changes.is_empty() {
        return Ok(current);
    }
    basic_auth.updated_at = origin.at;
    tx.db()
        .execute(
            "UPDATE basic_auths SET username = $4, managed_by = $5, created_at = $6, updated_at = $7 \
             WHERE directory_id = $1 AND principal_id = $2 AND id = $3",
            values(&basic_auth),
        )
        .await?;
    super::changes::record(&mut tx, &super::changes::Change::Directory(directory_id)).await?;
    record(&mut tx, resource(id).event(origin, "updated", changes)).await?;
    tx.commit().await?;
    Ok(basic_auth)
}

/// Deletes a credential and its passwords (they cascade).
pub async fn delete(store: &Store, directory_id: Uuid, principal_id: Uuid, id: Uuid, origin: &Origin) -> Result<()> {
    let mut tx = store.begin().await?;
    let gone = fetch(&mut tx, directory_id, principal_id, id).await?;
    tx.db().execute("DELETE FROM basic_auths WHERE id = $1", args![id]).await?;
    super::changes::record(&mut tx, &super::changes::Change::Directory(directory_id)).await?;
    record(&mut tx, resource(id).event(origin, "deleted", audit::diff(Some(&gone.snapshot()), None))).await?;
    tx.commit().await
}

/// The path of ids down to one basic-auth credential.
#[derive(Clone, Copy, Debug)]
pub struct Owner {
    pub directory_id: Uuid,
    pub principal_id: Uuid,
    pub basic_auth_id: Uuid,
}

/// Adds a password hashed as `hash`; a third for the username is [`Error::LimitReached`].
pub async fn insert_password(
    store: &Store,
    owner: Owner,
    password: &Password,
    hash: &str,
    origin: &Origin,
) -> Result<()> {
    let mut tx = store.begin().await?;
    lock_basic_auth(&mut tx, owner.directory_id, owner.principal_id, owner.basic_auth_id).await?;
    let (count,) = tx
        .db()
        .fetch_one::<(i64,)>(
            "SELECT COUNT(*) FROM basic_auth_passwords WHERE basic_auth_id = $1",
            args![owner.basic_auth_id],
        )
        .await?;
    if count >= MAX_PASSWORDS {
        return Err(Error::LimitReached);
    }
    tx.db()
        .execute(
            "INSERT INTO basic_auth_passwords (basic_auth_id, id, secret_hash, expires_at, managed_by, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            args![
                password.basic_auth_id,
                password.id,
                hash,
                password.expires_at.map(micros),
                to_json(&password.managed_by),
                micros(password.created_at),
                micros(password.updated_at),
            ],
        )
        .await?;
    let mut fields = audit::created(password);
    fields.push(FieldChange::redacted("secret"));
    super::changes::record(&mut tx, &super::changes::Change::Directory(owner.directory_id)).await?;
    record(&mut tx, password_resource(password.id).event(origin, "created", fields)).await?;
    tx.commit().await
}

/// Conditions that tie a password to its credential, principal and directory.
const OWNED_PASSWORD: &str = "basic_auth_id = $1 AND EXISTS (SELECT 1 FROM basic_auths b WHERE b.id = $1 \
    AND b.directory_id = $2 AND b.principal_id = $3)";

fn owner_args(owner: Owner) -> super::Args {
    args![owner.basic_auth_id, owner.directory_id, owner.principal_id]
}

pub async fn get_password(store: &Store, owner: Owner, id: Uuid) -> Result<Password> {
    let sql = format!("SELECT {PASSWORD_COLUMNS} FROM basic_auth_passwords WHERE {OWNED_PASSWORD} AND id = $4");
    let mut args = owner_args(owner);
    args.push(id);
    store.db().fetch_one::<PasswordRow>(&sql, args).await?.try_into()
}

pub async fn list_passwords(store: &Store, owner: Owner, params: &ListParams) -> Result<ListPage<Password>> {
    let conditions = vec![OWNED_PASSWORD.to_owned()];
    list::fetch_page::<PasswordRow>(
        store,
        PASSWORD_COLUMNS,
        "basic_auth_passwords",
        conditions,
        owner_args(owner),
        params,
    )
    .await?
    .try_map(Password::try_from)
}

/// Applies `change` to a password atomically; `new_hash` replaces its secret (a PUT). A change
/// that changes nothing, and sets no secret, writes nothing.
pub async fn modify_password<E: From<Error>>(
    store: &Store,
    owner: Owner,
    id: Uuid,
    new_hash: Option<&str>,
    origin: &Origin,
    change: impl FnOnce(Password) -> Result<Password, E>,
) -> Result<Password, E> {
    let mut tx = store.begin().await?;
    lock_basic_auth(&mut tx, owner.directory_id, owner.principal_id, owner.basic_auth_id).await?;
    let sql = format!("SELECT {PASSWORD_COLUMNS} FROM basic_auth_passwords WHERE basic_auth_id = $1 AND id = $2");
    let current: Password = tx.db().fetch_one::<PasswordRow>(&sql, args![owner.basic_auth_id, id]).await?.try_into()?;
    let mut password = change(current.clone())?;
    let mut changes = audit::diff(Some(&current.snapshot()), Some(&password.snapshot()));
    if new_hash.is_some() {
        changes.push(FieldChange::redacted("secret"));
    }
    if changes.is_empty() {
        return Ok(current);
    }
    password.updated_at = origin.at;
    tx.db()
        .execute(
            "UPDATE basic_auth_passwords SET secret_hash = COALESCE($3, secret_hash), expires_at = $4, \
             managed_by = $5, updated_at = $6 WHERE basic_auth_id = $1 AND id = $2",
            args![
                owner.basic_auth_id,
                id,
                new_hash.map(str::to_owned),
                password.expires_at.map(micros),
                to_json(&password.managed_by),
                micros(password.updated_at),
            ],
        )
        .await?;
    super::changes::record(&mut tx, &super::changes::Change::Directory(owner.directory_id)).await?;
    record(&mut tx, password_resource(id).event(origin, "updated", changes)).await?;
    tx.commit().await?;
    Ok(password)
}

/// Deletes one password (`Some(id)`) or all of them (`None`); one event per password deleted.
/// Deleting all of none is no change and records nothing.
pub async fn delete_passwords(store: &Store, owner: Owner, id: Option<Uuid>, origin: &Origin) -> Result<()> {
    let mut tx = store.begin().await?;
    lock_basic_auth(&mut tx, owner.directory_id, owner.principal_id, owner.basic_auth_id).await?;
    let sql = format!("SELECT {PASSWORD_COLUMNS} FROM basic_auth_passwords WHERE basic_auth_id = $1");
    let rows = tx.db().fetch_all::<PasswordRow>(&sql, args![owner.basic_auth_id]).await?;
    let mut gone = Vec::new();
    for row in rows {
        let password = Password::try_from(row)?;
        if id.is_none_or(|id| id == password.id) {
            gone.push(password);
        }
    }
    if id.is_some() && gone.is_empty() {
        return Err(Error::NotFound);
    }
    for password in &gone {
        tx.db().execute("DELETE FROM basic_auth_passwords WHERE id = $1", args![password.id]).await?;
        let mut changes = audit::diff(Some(&password.snapshot()), None);
        changes.push(FieldChange::redacted("secret"));
        super::changes::record(&mut tx, &super::changes::Change::Directory(owner.directory_id)).await?;
        record(&mut tx, password_resource(password.id).event(origin, "deleted", changes)).await?;
    }
    tx.commit().await
}

/// The principal a username belongs to in a directory, the hashes of its passwords that have
/// not expired at `now`, and the soonest of their expiries; `None` when the directory has no
/// such username.
pub async fn password_hashes(
    store: &Store,
    directory_id: Uuid,
    username: &str,
    now: DateTime<Utc>,
) -> Result<Option<(Uuid, Vec<String>, Option<DateTime<Utc>>)>> {
    let found: Option<(String, String)> = store
        .db()
        .fetch_optional(
            "SELECT principal_id, id FROM basic_auths WHERE directory_id = $1 AND username = $2",
            args![directory_id, username],
        )
        .await?;
    let Some((principal_id, basic_auth_id)) = found else { return Ok(None) };
    let rows: Vec<(String, Option<i64>)> = store
        .db()
        .fetch_all(
            "SELECT secret_hash, expires_at FROM basic_auth_passwords WHERE basic_auth_id = $1 \
             AND (expires_at IS NULL OR expires_at > $2)",
            args![basic_auth_id, micros(now)],
        )
        .await?;
    let soonest = rows.iter().filter_map(|(_, expires_at)| *expires_at).min().map(from_micros).transpose()?;
    Ok(Some((parse_uuid(&principal_id)?, rows.into_iter().map(|(hash, _)| hash).collect(), soonest)))
}
