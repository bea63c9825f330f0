//! Admin credentials: named bearer tokens for /v1, stored as digests.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::Name;
use crate::domain::admin::{Access, AdminCredential, Origin, Role};
use crate::domain::audit::{self, FieldChange, Resource, Snapshot};
use crate::domain::list::{FilterKind, ListParams, ListSchema};
use crate::store::audit::record;

use super::auth_servers::for_update;
use super::{Error, ListPage, Result, Store, Tx, args, from_json, from_micros, list, micros, to_json};

fn resource(id: Uuid) -> Resource {
    Resource::new("admin_credential", id, None)
}

/// The credential created at first start, or whose token `TESSERA_ADMIN_TOKEN` sets.
pub const BOOTSTRAP: Uuid = Uuid::nil();
pub const BOOTSTRAP_NAME: &str = "bootstrap";

pub const LIST: ListSchema = ListSchema {
    sortable: &["created_at", "updated_at", "name", "last_used_at", "expires_at"],
    filters: &[
        ("name", FilterKind::Text),
        ("id", FilterKind::Exact),
        ("role", FilterKind::Exact),
        ("enabled", FilterKind::Bool),
    ],
};

pub(super) const COLUMNS: &str =
    "id, name, role, auth_server_ids, directory_ids, enabled, expires_at, last_used_at, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub(super) struct Row {
    id: String,
    name: String,
    role: String,
    auth_server_ids: Option<String>,
    directory_ids: Option<String>,
    enabled: bool,
    expires_at: Option<i64>,
    last_used_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<Row> for AdminCredential {
    type Error = Error;

    fn try_from(row: Row) -> Result<AdminCredential> {
        let role = Role::parse(&row.role).map_err(|_| Error::Corrupt(format!("role {:?}", row.role)))?;
        Ok(AdminCredential {
            id: super::parse_uuid(&row.id)?,
            name: Name::trusted(row.name),
            access: Access {
                role,
                auth_servers: row.auth_server_ids.map(|ids| from_json("auth_server_ids", &ids)).transpose()?,
                directories: row.directory_ids.map(|ids| from_json("directory_ids", &ids)).transpose()?,
            },
            enabled: row.enabled,
            expires_at: row.expires_at.map(from_micros).transpose()?,
            last_used_at: row.last_used_at.map(from_micros).transpose()?,
            created_at: from_micros(row.created_at)?,
            updated_at: from_micros(row.updated_at)?,
        })
    }
}

fn scope_json(access: &Access) -> Option<String> {
    access.auth_servers.as_ref().map(to_json)
}

fn directories_json(access: &Access) -> Option<String> {
    access.directories.as_ref().map(to_json)
}

/// Stores the bootstrap credential with this token digest unless it exists; true when this
/// call stored it. Safe when several nodes start at once: exactly one wins.
pub async fn initialize_bootstrap(store: &Store, digest: &str, origin: &Origin) -> Result<bool> {
    let mut tx = store.begin().await?;
    let inserted = tx
        .db()
        .execute(
            "INSERT INTO admin_credentials (id, name, role, auth_server_ids, token_hash, enabled, created_at, updated_at) \
             VALUES ($1, $2, $3, NULL, $4, TRUE, $5, $5) ON CONFLICT (id) DO NOTHING",
            args![BOOTSTRAP, BOOTSTRAP_NAME, Role::Admin.as_str(), digest, micros(origin.at)],
        )
        .await?;
    if inserted == 1 {
        let created = fetch(&mut tx, BOOTSTRAP).await?;
        record(&mut tx, resource(BOOTSTRAP).event(origin, "created", audit::created(&created))).await?;
    }
    tx.commit().await?;
    Ok(inserted == 1)
}

async fn fetch(tx: &mut Tx, id: Uuid) -> Result<AdminCredential> {
    let sql = format!("SELECT {COLUMNS} FROM admin_credentials WHERE id = $1{}", for_update(tx.dialect()));
    tx.db().fetch_one::<Row>(&sql, args![id]).await?.try_into()
}

/// Gives the bootstrap credential this token (re-creating it as a full admin if it was
/// deleted); its name, state and expiry are otherwise kept.
pub async fn set_bootstrap_token(store: &Store, digest: &str, origin: &Origin) -> Result<()> {
    let mut tx = store.begin().await?;
    let existed =
        tx.db().fetch_optional::<(String,)>("SELECT id FROM admin_credentials WHERE id = $1", args![BOOTSTRAP]).await?;
    let touched = tx
        .db()
        .execute(
            "INSERT INTO admin_credentials (id, name, role, auth_server_ids, token_hash, enabled, created_at, updated_at) \
             VALUES ($1, $2, $3, NULL, $4, TRUE, $5, $5) \
             ON CONFLICT (id) DO UPDATE SET token_hash = excluded.token_hash, updated_at = excluded.updated_at \
             WHERE admin_credentials.token_hash <> excluded.token_hash",
            args![BOOTSTRAP, BOOTSTRAP_NAME, Role::Admin.as_str(), digest, micros(origin.at)],
        )
        .await?;
    if touched > 0 {
        // A new token ends the sessions of the old one for good, even if the old one comes back.
        tx.db().execute("DELETE FROM console_sessions WHERE credential_id = $1", args![BOOTSTRAP]).await?;
        let event = match existed {
            Some(_) => resource(BOOTSTRAP).event(origin, "rotated", vec![FieldChange::redacted("token")]),
            None => resource(BOOTSTRAP).event(origin, "created", audit::created(&fetch(&mut tx, BOOTSTRAP).await?)),
        };
        record(&mut tx, event).await?;
    }
    tx.commit().await
}

pub async fn insert(store: &Store, credential: &AdminCredential, digest: &str, origin: &Origin) -> Result<()> {
    let mut tx = store.begin().await?;
    tx.db()
        .execute(
            "INSERT INTO admin_credentials (id, name, role, auth_server_ids, token_hash, enabled, expires_at, \
             last_used_at, created_at, updated_at, directory_ids) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, $9, $10)",
            args![
                credential.id,
                credential.name.as_str(),
                credential.access.role.as_str(),
                scope_json(&credential.access),
                digest,
                credential.enabled,
                credential.expires_at.map(micros),
                micros(credential.created_at),
                micros(credential.updated_at),
                directories_json(&credential.access),
            ],
        )
        .await?;
    let event = resource(credential.id).event(origin, "created", audit::created(credential));
    record(&mut tx, event).await?;
    tx.commit().await
}

pub async fn get(store: &Store, id: Uuid) -> Result<AdminCredential> {
    let sql = format!("SELECT {COLUMNS} FROM admin_credentials WHERE id = $1");
    store.db().fetch_one::<Row>(&sql, args![id]).await?.try_into()
}

/// The credential whose token has this digest, whatever its state.
pub async fn by_token(store: &Store, digest: &str) -> Result<Option<AdminCredential>> {
    let sql = format!("SELECT {COLUMNS} FROM admin_credentials WHERE token_hash = $1");
    store.db().fetch_optional::<Row>(&sql, args![digest]).await?.map(AdminCredential::try_from).transpose()
}

pub async fn list(store: &Store, params: &ListParams) -> Result<ListPage<AdminCredential>> {
    list::fetch_page::<Row>(store, COLUMNS, "admin_credentials", Vec::new(), args![], params)
        .await?
        .try_map(AdminCredential::try_from)
}

/// Every credential, for the command line.
pub async fn all(store: &Store) -> Result<Vec<AdminCredential>> {
    let sql = format!("SELECT {COLUMNS} FROM admin_credentials ORDER BY created_at, id");
    let rows: Vec<Row> = store.db().fetch_all(&sql, args![]).await?;
    rows.into_iter().map(AdminCredential::try_from).collect()
}

/// How long the admin credentials left after a change must stay usable at least.
pub const MIN_ADMIN_LIFETIME: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// Refuses a change that would leave no admin credential usable for the next
/// [`MIN_ADMIN_LIFETIME`]: the management API would be locked (at once, or when an expiry set
/// now comes) until someone ran the command line on a database host.
async fn keep_an_admin(tx: &mut Tx, now: DateTime<Utc>) -> Result<()> {
    let sql = "SELECT COUNT(*) FROM admin_credentials WHERE role = $1 AND enabled = TRUE \
               AND (expires_at IS NULL OR expires_at > $2)";
    let until = micros(now + MIN_ADMIN_LIFETIME);
    let (usable,) = tx.db().fetch_one::<(i64,)>(sql, args![Role::Admin.as_str(), until]).await?;
    if usable == 0 { Err(Error::LastAdmin) } else { Ok(()) }
}

/// Whether `after` may leave fewer usable admins than `before` did: only such changes are held
/// to [`keep_an_admin`], so that disabling a leaked read-only credential always works.
fn weakens_an_admin(before: &AdminCredential, after: Option<&AdminCredential>) -> bool {
    before.access.role == Role::Admin
        && after.is_none_or(|after| {
            after.access.role != Role::Admin
                || !after.enabled
                || after.expires_at.is_some_and(|at| Some(at) != before.expires_at)
        })
}

/// Locks the admin rows (Postgres), so two requests each removing a different admin cannot
/// both see the other still standing.
async fn lock_admins(tx: &mut Tx) -> Result<()> {
    let sql = format!("SELECT id FROM admin_credentials WHERE role = $1{}", for_update(tx.dialect()));
    tx.db().fetch_all::<(String,)>(&sql, args![Role::Admin.as_str()]).await?;
    Ok(())
}

/// Applies `change` to the stored credential atomically; a new `token_digest` rotates it. The
/// audit event is `rotated`, `disabled`, `enabled` or `updated`, with the fields that changed.
pub async fn modify<E: From<Error>>(
    store: &Store,
    id: Uuid,
    origin: &Origin,
    change: impl FnOnce(AdminCredential) -> Result<(AdminCredential, Option<String>), E>,
) -> Result<AdminCredential, E> {
    let mut tx = store.begin().await?;
    lock_admins(&mut tx).await?;
    let sql = format!("SELECT {COLUMNS} FROM admin_credentials WHERE id = $1{}", for_update(tx.dialect()));
    let current: AdminCredential = tx.db().fetch_one::<Row>(&sql, args![id]).await?.try_into()?;
    let before = current.snapshot();
    let was_enabled = current.enabled;
    let (credential, digest) = change(current.clone())?;
    let rotated = digest.is_some();
    let mut changes = audit::diff(Some(&before), Some(&credential.snapshot()));
    if changes.is_empty() && !rotated {
        // Nothing changes: no write, no event.
        return Ok(current);
    }
    tx.db()
        .execute(
            "UPDATE admin_credentials SET name = $2, role = $3, auth_server_ids = $4, enabled = $5, expires_at = $6, \
             updated_at = $7, token_hash = COALESCE($8, token_hash), directory_ids = $9 WHERE id = $1",
            args![
                id,
                credential.name.as_str(),
                credential.access.role.as_str(),
                scope_json(&credential.access),
                credential.enabled,
                credential.expires_at.map(micros),
                micros(credential.updated_at),
                digest,
                directories_json(&credential.access),
            ],
        )
        .await?;
    if weakens_an_admin(&current, Some(&credential)) {
        keep_an_admin(&mut tx, origin.at).await?;
    }
    if rotated || !credential.enabled {
        // Its console sessions end for good: enabling it again does not bring them back.
        tx.db().execute("DELETE FROM console_sessions WHERE credential_id = $1", args![id]).await?;
    }
    let verb = match (rotated, was_enabled, credential.enabled) {
        (true, _, _) => "rotated",
        (false, true, false) => "disabled",
        (false, false, true) => "enabled",
        _ => "updated",
    };
    if rotated {
        changes.push(FieldChange::redacted("token"));
    }
    record(&mut tx, resource(id).event(origin, verb, changes)).await?;
    tx.commit().await?;
    Ok(credential)
}

pub async fn delete(store: &Store, id: Uuid, origin: &Origin) -> Result<()> {
    let mut tx = store.begin().await?;
    lock_admins(&mut tx).await?;
    let gone = fetch(&mut tx, id).await?;
    tx.db().execute("DELETE FROM admin_credentials WHERE id = $1", args![id]).await?;
    if weakens_an_admin(&gone, None) {
        keep_an_admin(&mut tx, origin.at).await?;
    }
    let event = resource(id).event(origin, "deleted", audit::diff(Some(&gone.snapshot()), None));
    record(&mut tx, event).await?;
    tx.commit().await
}

/// Records when credentials were last used, never moving a time backwards (nodes flush in
/// any order).
pub async fn record_usage(store: &Store, used: &[(Uuid, DateTime<Utc>)]) -> Result<()> {
    if used.is_empty() {
        return Ok(());
    }
    let mut tx = store.begin().await?;
    for (id, at) in used {
        tx.db()
            .execute(
                "UPDATE admin_credentials SET last_used_at = $2 WHERE id = $1 \
                 AND (last_used_at IS NULL OR last_used_at < $2)",
                args![id, micros(*at)],
            )
            .await?;
    }
    tx.commit().await
}
