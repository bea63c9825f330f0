//! The change feed: every write a node may have cached appends a row in its transaction;
//! nodes poll the feed to invalidate (see `cache::sync`).

use uuid::Uuid;

use super::{Result, Store, Tx, args, micros};

/// What changed: a whole auth server's configuration, or one client.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Change {
    /// The auth server, its scopes, claims or keys.
    Server(Uuid),
    /// One client or its secrets.
    Client(Uuid, String),
}

/// Appends a change inside the writing transaction.
pub(crate) async fn record(tx: &mut Tx, change: &Change) -> Result<()> {
    let (auth_server_id, kind, subject) = match change {
        Change::Server(id) => (*id, "server", String::new()),
        Change::Client(id, client) => (*id, "client", client.clone()),
    };
    let origin = tx.node_id().to_owned();
    tx.db()
        .execute(
            "INSERT INTO changes (auth_server_id, kind, subject, origin, created_at) VALUES ($1, $2, $3, $4, $5)",
            args![auth_server_id, kind, subject, origin, micros(chrono::Utc::now())],
        )
        .await?;
    Ok(())
}

/// Changes recorded at or after `since` (microseconds), oldest first, with their ids. A node
/// reads its own rows too: if its local invalidation was skipped (a request dropped after
/// commit), the feed still catches it.
pub async fn since(store: &Store, since: i64) -> Result<Vec<(i64, Change)>> {
    let rows: Vec<(i64, String, String, String)> = store
        .db()
        .fetch_all(
            "SELECT id, auth_server_id, kind, subject FROM changes WHERE created_at >= $1 ORDER BY id",
            args![since],
        )
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, server, kind, subject)| {
            let server = Uuid::parse_str(&server).ok()?;
            let change = match kind.as_str() {
                "client" => Change::Client(server, subject),
                _ => Change::Server(server),
            };
            Some((id, change))
        })
        .collect())
}

/// Drops feed entries older than `before`; nodes only read a short trailing window.
pub async fn prune(store: &Store, before: i64) -> Result<u64> {
    store.db().execute("DELETE FROM changes WHERE created_at < $1", args![before]).await
}
