//! The change feed: every write a node may have cached appends a row in its transaction;
//! nodes poll the feed to invalidate (see `cache::sync`).

use uuid::Uuid;

use super::{Dialect, Result, Store, Tx, args};

/// What changed: a whole auth server's configuration, one client, or anything in a directory.
/// The feed's `auth_server_id` column holds the auth server's id, or the directory's.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Change {
    /// The auth server, its scopes, claims, keys or trusted issuers.
    Server(Uuid),
    /// One client or its secrets.
    Client(Uuid, String),
    /// The directory, or a principal, identity or credential in it (the lookup API's answers).
    Directory(Uuid),
}

/// The database's own clock in microseconds: feed rows are stamped and pruned by it, never
/// by a node's clock.
pub(crate) fn db_now_micros(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000 AS BIGINT)",
        Dialect::Sqlite => "CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER)",
    }
}

/// Appends a change inside the writing transaction. Readers follow the feed by `id`, which the
/// database assigns; `created_at` (the database's clock) serves only pruning and diagnosis.
pub(crate) async fn record(tx: &mut Tx, change: &Change) -> Result<()> {
    let (auth_server_id, kind, subject) = match change {
        Change::Server(id) => (*id, "server", String::new()),
        Change::Client(id, client) => (*id, "client", client.clone()),
        Change::Directory(id) => (*id, "directory", String::new()),
    };
    let origin = tx.node_id().to_owned();
    let sql = format!(
        "INSERT INTO changes (auth_server_id, kind, subject, origin, created_at) VALUES ($1, $2, $3, $4, {})",
        db_now_micros(tx.dialect())
    );
    tx.db().execute(&sql, args![auth_server_id, kind, subject, origin]).await?;
    Ok(())
}

/// Changes with an id above `after`, oldest first, with their ids. A node reads its own rows
/// too: if its local invalidation was skipped (a request dropped after commit), the feed still
/// catches it.
pub async fn after(store: &Store, after: i64) -> Result<Vec<(i64, Change)>> {
    let rows: Vec<(i64, String, String, String)> = store
        .db()
        .fetch_all("SELECT id, auth_server_id, kind, subject FROM changes WHERE id > $1 ORDER BY id", args![after])
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, server, kind, subject)| {
            let server = Uuid::parse_str(&server).ok()?;
            let change = match kind.as_str() {
                "client" => Change::Client(server, subject),
                "directory" => Change::Directory(server),
                _ => Change::Server(server),
            };
            Some((id, change))
        })
        .collect())
}

/// Drops feed entries older than `age` by the database's clock, always keeping the newest row
/// so that SQLite never hands out an id again (its ids continue from the highest row).
pub async fn prune(store: &Store, age: std::time::Duration) -> Result<u64> {
    let age = i64::try_from(age.as_micros()).unwrap_or(i64::MAX);
    let sql = format!(
        "DELETE FROM changes WHERE created_at < {} - $1 AND id < (SELECT MAX(id) FROM changes)",
        db_now_micros(store.dialect())
    );
    store.db().execute(&sql, args![age]).await
}
