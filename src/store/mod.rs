//! Persistence on Postgres or SQLite through one code path.
//!
//! Every repository function holds one SQL text with `$N` placeholders; [`Db`] binds the same
//! text and arguments against whichever backend is active. Rows use types that map the same
//! way in both databases: TEXT ids and JSON, BIGINT microseconds, BOOLEAN flags.

pub mod admin_credentials;
pub mod api_keys;
pub mod audit;
pub mod auth_servers;
pub mod basic_auths;
pub mod changes;
pub mod claims;
pub mod client_secrets;
pub mod clients;
pub mod console_sessions;
pub mod directories;
pub mod exchange_policies;
pub mod grants;
mod health;
pub mod identities;
mod list;
pub mod principals;
pub mod purge;
pub mod refresh_tokens;
pub mod registrations;
pub mod resources;
pub mod scopes;
pub mod signing_keys;
mod token_log;
pub mod tokens;
pub mod trusted_issuers;
mod use_log;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous};
use sqlx::{FromRow, PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool, Transaction};
use tracing::Instrument;

use health::Health;
pub use list::ListPage;
pub use token_log::{Recorded, TokenLog};
pub use use_log::UseLog;

static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");
static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// Storage failures, classified so callers can answer precisely.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("row not found")]
    NotFound,
    /// A unique key was violated; `constraint` is `<table>_<columns>_key` on both backends.
    #[error("unique constraint {constraint} violated")]
    Conflict { constraint: String },
    #[error("foreign key violated")]
    ForeignKey,
    /// Scope ids that are not scopes of the auth server in question.
    #[error("unknown scopes {0:?}")]
    MissingScopes(Vec<uuid::Uuid>),
    /// A client may have at most [`client_secrets::MAX_ENABLED`] enabled secrets.
    #[error("too many enabled secrets")]
    SecretLimit,
    /// A principal may have at most [`crate::domain::api_key::MAX_KEYS_PER_PRINCIPAL`] API keys.
    #[error("too many api keys")]
    KeyLimit,
    /// A directory still holds principals, and the delete did not say `force`.
    #[error("not empty")]
    NotEmpty,
    /// A principal may have at most [`crate::domain::identity::MAX_PER_PRINCIPAL`] identities.
    #[error("too many identities")]
    IdentityLimit,
    /// The named field refers to something that does not exist (an identity's client).
    #[error("missing reference in {0}")]
    MissingReference(&'static str),
    /// Subject mappings of a trusted issuer, by position, whose client is not a client of its
    /// auth server.
    #[error("subject mappings {0:?} name unknown clients")]
    MissingClients(Vec<usize>),
    /// Items of list fields, by field and position, that name nothing of their auth server: a
    /// resource's scopes, a token exchange policy's trusted issuers, audiences and scopes.
    #[error("unknown references {0:?}")]
    MissingItems(Vec<(&'static str, usize)>),
    /// The parent already holds as many of these as it may (basic-auths of a principal,
    /// passwords of a username).
    #[error("limit reached")]
    LimitReached,
    /// The change would leave no enabled, unexpired admin credential.
    #[error("no admin credential would be left")]
    LastAdmin,
    /// The database cannot be reached or is overloaded; worth retrying later.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Other(#[source] sqlx::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        use sqlx::error::ErrorKind;
        match error {
            sqlx::Error::RowNotFound => Error::NotFound,
            sqlx::Error::Database(ref db) => match db.kind() {
                ErrorKind::UniqueViolation => {
                    Error::Conflict { constraint: normalized_constraint(db.constraint(), db.message()) }
                }
                ErrorKind::ForeignKeyViolation => Error::ForeignKey,
                _ if is_transient_code(db.code().as_deref()) => Error::Unavailable(error),
                _ => Error::Other(error),
            },
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => Error::Unavailable(error),
            other => Error::Other(other),
        }
    }
}

impl Error {
    /// The database may be unreachable (not merely busy): a connection failed or none could
    /// be had in time. Worth a health probe (see `health`).
    fn may_be_outage(&self) -> bool {
        match self {
            Error::Unavailable(sqlx::Error::Database(db)) => {
                matches!(db.code().as_deref(), Some("57P01" | "57P02" | "57P03" | "08006" | "08001"))
            }
            Error::Unavailable(_) => true,
            _ => false,
        }
    }
}

/// Postgres serialization failure, deadlock, shutdown and connection limits; SQLite BUSY/LOCKED.
fn is_transient_code(code: Option<&str>) -> bool {
    matches!(
        code,
        Some("40001" | "40P01" | "57P01" | "57P02" | "57P03" | "53300" | "08006" | "08001" | "5" | "6" | "261" | "517")
    )
}

/// Postgres names the constraint; SQLite lists `table.column, table.column` in its message.
fn normalized_constraint(constraint: Option<&str>, message: &str) -> String {
    if let Some(name) = constraint {
        return name.to_owned();
    }
    let columns = message.rsplit(": ").next().unwrap_or_default();
    let mut table = "";
    let mut names = Vec::new();
    for qualified in columns.split(", ") {
        if let Some((t, column)) = qualified.split_once('.') {
            table = t;
            names.push(column);
        }
    }
    format!("{table}_{}_key", names.join("_"))
}

/// Which SQL dialect is active, for the few expressions that differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    Sqlite,
}

/// Connection pools for the configured database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pools: Pools,
    /// This node's id in the change feed (see `changes`).
    node: Arc<str>,
    /// Whether the database is reachable, so requests fail at once during an outage.
    health: Arc<Health>,
}

#[derive(Clone, Debug)]
pub(crate) enum Pools {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

/// How to reach the database.
#[derive(Clone, Debug)]
pub struct ConnectOptions {
    pub url: String,
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Store {
    fn new(pools: Pools) -> Store {
        let health = Arc::new(Health::new(pools.clone()));
        Store { pools, node: Arc::from(uuid::Uuid::new_v4().to_string()), health }
    }

    /// False while a probe finds the database unreachable; requests then fail at once with
    /// [`Error::Unavailable`] instead of each waiting for a connection.
    pub fn is_available(&self) -> bool {
        self.health.is_up()
    }

    /// Opens pools lazily: the service starts even while the database is down, and
    /// answers 503 until it is reachable.
    pub fn connect(options: &ConnectOptions) -> Result<Store, String> {
        let url = options.url.as_str();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let connect = PgConnectOptions::from_str(url).map_err(|e| format!("invalid DATABASE_URL: {e}"))?;
            let pool = PgPoolOptions::new()
                .max_connections(options.max_connections)
                .acquire_timeout(options.acquire_timeout)
                .connect_lazy_with(connect);
            Ok(Store::new(Pools::Postgres(pool)))
        } else if url.starts_with("sqlite:") {
            let connect = SqliteConnectOptions::from_str(url)
                .map_err(|e| format!("invalid DATABASE_URL: {e}"))?
                .journal_mode(SqliteJournalMode::Wal)
                // FULL: an acknowledged write survives power loss, not only a crash.
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true);
            let pool = SqlitePoolOptions::new()
                .max_connections(options.max_connections)
                .acquire_timeout(options.acquire_timeout)
                .connect_lazy_with(connect);
            Ok(Store::new(Pools::Sqlite(pool)))
        } else {
            Err(format!("unsupported DATABASE_URL {url:?}: use postgres://… or sqlite://…"))
        }
    }

    pub fn dialect(&self) -> Dialect {
        match &self.pools {
            Pools::Postgres(_) => Dialect::Postgres,
            Pools::Sqlite(_) => Dialect::Sqlite,
        }
    }

    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        match &self.pools {
            Pools::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await,
            Pools::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await,
        }
    }

    /// Round trip to the database, for readiness.
    pub async fn ping(&self) -> Result<()> {
        self.db().fetch_one::<(i64,)>("SELECT CAST(1 AS BIGINT)", Args::new()).await.map(|_| ())
    }

    pub async fn close(&self) {
        match &self.pools {
            Pools::Postgres(pool) => pool.close().await,
            Pools::Sqlite(pool) => pool.close().await,
        }
    }

    pub(crate) fn db(&self) -> Db<'_> {
        let target = match &self.pools {
            Pools::Postgres(pool) => Target::PgPool(pool),
            Pools::Sqlite(pool) => Target::SqlitePool(pool),
        };
        Db { target, health: &self.health }
    }

    /// A write transaction. SQLite takes its write lock up front (`BEGIN IMMEDIATE`), so a
    /// transaction that reads before it writes cannot fail on a stale snapshot.
    pub(crate) async fn begin(&self) -> Result<Tx> {
        self.health.check()?;
        let inner = match &self.pools {
            Pools::Postgres(pool) => {
                pool.begin().instrument(statement_span("postgresql", "BEGIN")).await.map(Inner::Postgres)
            }
            Pools::Sqlite(pool) => pool
                .begin_with("BEGIN IMMEDIATE")
                .instrument(statement_span("sqlite", "BEGIN"))
                .await
                .map(Inner::Sqlite),
        };
        let inner = self.health.observe(inner.map_err(Error::from))?;
        Ok(Tx { inner, node: self.node.clone(), health: self.health.clone(), audited: Vec::new() })
    }
}

pub(crate) struct Tx {
    inner: Inner,
    /// The writing node, for the change feed.
    node: Arc<str>,
    health: Arc<Health>,
    /// Audit events written in this transaction, logged once it commits (see `audit`).
    audited: Vec<crate::domain::audit::Event>,
}

enum Inner {
    Postgres(Transaction<'static, Postgres>),
    Sqlite(Transaction<'static, Sqlite>),
}

impl Tx {
    pub(crate) fn db(&mut self) -> Db<'_> {
        let target = match &mut self.inner {
            Inner::Postgres(tx) => Target::PgConn(tx),
            Inner::Sqlite(tx) => Target::SqliteConn(tx),
        };
        Db { target, health: &self.health }
    }

    pub(crate) fn node_id(&self) -> &str {
        &self.node
    }

    pub(crate) fn dialect(&self) -> Dialect {
        match &self.inner {
            Inner::Postgres(_) => Dialect::Postgres,
            Inner::Sqlite(_) => Dialect::Sqlite,
        }
    }

    pub(crate) async fn commit(self) -> Result<()> {
        let committed = match self.inner {
            Inner::Postgres(tx) => tx.commit().instrument(statement_span("postgresql", "COMMIT")).await,
            Inner::Sqlite(tx) => tx.commit().instrument(statement_span("sqlite", "COMMIT")).await,
        };
        self.health.observe(committed.map_err(Error::from))?;
        self.audited.iter().for_each(audit::announce);
        Ok(())
    }
}

/// One bound SQL argument, in a type both backends encode the same way.
#[derive(Clone, Debug)]
pub(crate) enum Arg {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    OptInt(Option<i64>),
    Bool(bool),
}

impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(v)
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(v.to_owned())
    }
}
impl From<&String> for Arg {
    fn from(v: &String) -> Self {
        Arg::Text(v.clone())
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Arg::OptText(v)
    }
}
impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::OptInt(v)
    }
}
impl From<Option<uuid::Uuid>> for Arg {
    fn from(v: Option<uuid::Uuid>) -> Self {
        Arg::OptText(v.map(|id| id.to_string()))
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::Bool(v)
    }
}
impl From<uuid::Uuid> for Arg {
    fn from(v: uuid::Uuid) -> Self {
        Arg::Text(v.to_string())
    }
}
impl From<&uuid::Uuid> for Arg {
    fn from(v: &uuid::Uuid) -> Self {
        Arg::Text(v.to_string())
    }
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Args(pub(crate) Vec<Arg>);

impl Args {
    pub(crate) fn new() -> Self {
        Args(Vec::new())
    }
    pub(crate) fn push(&mut self, arg: impl Into<Arg>) -> usize {
        self.0.push(arg.into());
        self.0.len()
    }
}

/// `args![a, b, c]` builds [`Args`] from values convertible into [`Arg`].
macro_rules! args {
    ($($arg:expr),* $(,)?) => {
        $crate::store::Args(vec![$($crate::store::Arg::from($arg)),*])
    };
}
pub(crate) use args;

/// A place to run one statement: a pool or an open transaction, on either backend. Statements
/// on a pool fail at once while the database is known to be down; any failure that may be an
/// outage starts a probe.
pub(crate) struct Db<'c> {
    target: Target<'c>,
    health: &'c Health,
}

enum Target<'c> {
    PgPool(&'c PgPool),
    SqlitePool(&'c SqlitePool),
    PgConn(&'c mut PgConnection),
    SqliteConn(&'c mut SqliteConnection),
}

/// A row type readable from both backends.
pub(crate) trait Row: for<'r> FromRow<'r, PgRow> + for<'r> FromRow<'r, SqliteRow> + Send + Unpin {}
impl<T> Row for T where T: for<'r> FromRow<'r, PgRow> + for<'r> FromRow<'r, SqliteRow> + Send + Unpin {}

macro_rules! bind_all {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                Arg::Text(v) => query.bind(v),
                Arg::OptText(v) => query.bind(v),
                Arg::Int(v) => query.bind(v),
                Arg::OptInt(v) => query.bind(v),
                Arg::Bool(v) => query.bind(v),
            };
        }
        query
    }};
}

impl Db<'_> {
    /// The span of one statement: the database and what the statement does ("SELECT clients"),
    /// never its arguments, which carry secret digests and tokens. Disabled (and free) unless
    /// traces or debug logs want it.
    fn statement_span(&self, sql: &str) -> tracing::Span {
        let system = match self.target {
            Target::PgPool(_) | Target::PgConn(_) => "postgresql",
            Target::SqlitePool(_) | Target::SqliteConn(_) => "sqlite",
        };
        statement_span(system, sql)
    }

    pub(crate) async fn fetch_all<T: Row>(self, sql: &str, args: Args) -> Result<Vec<T>> {
        self.fetch_all_with(sql, args, true).await
    }

    /// `fetch_all` for a statement whose text varies (a multi-row insert returning ids, say),
    /// without caching its prepared form.
    pub(crate) async fn fetch_all_once<T: Row>(self, sql: &str, args: Args) -> Result<Vec<T>> {
        self.fetch_all_with(sql, args, false).await
    }

    async fn fetch_all_with<T: Row>(self, sql: &str, args: Args, keep: bool) -> Result<Vec<T>> {
        let span = self.statement_span(sql);
        self.fetch_all_unobserved(sql, args, keep).instrument(span).await
    }

    async fn fetch_all_unobserved<T: Row>(self, sql: &str, args: Args, keep: bool) -> Result<Vec<T>> {
        let Db { target, health } = self;
        health.check()?;
        let result = match target {
            Target::PgPool(pool) => {
                bind_all!(sqlx::query_as::<Postgres, T>(sql), args.0).persistent(keep).fetch_all(pool).await
            }
            Target::SqlitePool(pool) => {
                bind_all!(sqlx::query_as::<Sqlite, T>(sql), args.0).persistent(keep).fetch_all(pool).await
            }
            Target::PgConn(conn) => {
                bind_all!(sqlx::query_as::<Postgres, T>(sql), args.0).persistent(keep).fetch_all(conn).await
            }
            Target::SqliteConn(conn) => {
                bind_all!(sqlx::query_as::<Sqlite, T>(sql), args.0).persistent(keep).fetch_all(conn).await
            }
        };
        health.observe(result.map_err(Error::from))
    }

    pub(crate) async fn fetch_optional<T: Row>(self, sql: &str, args: Args) -> Result<Option<T>> {
        let span = self.statement_span(sql);
        self.fetch_optional_unobserved(sql, args).instrument(span).await
    }

    async fn fetch_optional_unobserved<T: Row>(self, sql: &str, args: Args) -> Result<Option<T>> {
        let Db { target, health } = self;
        health.check()?;
        let result = match target {
            Target::PgPool(pool) => bind_all!(sqlx::query_as::<Postgres, T>(sql), args.0).fetch_optional(pool).await,
            Target::SqlitePool(pool) => bind_all!(sqlx::query_as::<Sqlite, T>(sql), args.0).fetch_optional(pool).await,
            Target::PgConn(conn) => bind_all!(sqlx::query_as::<Postgres, T>(sql), args.0).fetch_optional(conn).await,
            Target::SqliteConn(conn) => bind_all!(sqlx::query_as::<Sqlite, T>(sql), args.0).fetch_optional(conn).await,
        };
        health.observe(result.map_err(Error::from))
    }

    pub(crate) async fn fetch_one<T: Row>(self, sql: &str, args: Args) -> Result<T> {
        self.fetch_optional(sql, args).await?.ok_or(Error::NotFound)
    }

    /// Runs a statement and returns how many rows it touched.
    pub(crate) async fn execute(self, sql: &str, args: Args) -> Result<u64> {
        self.execute_with(sql, args, true).await
    }

    async fn execute_with(self, sql: &str, args: Args, keep: bool) -> Result<u64> {
        let span = self.statement_span(sql);
        self.execute_unobserved(sql, args, keep).instrument(span).await
    }

    async fn execute_unobserved(self, sql: &str, args: Args, keep: bool) -> Result<u64> {
        let Db { target, health } = self;
        health.check()?;
        let result = match target {
            Target::PgPool(pool) => bind_all!(sqlx::query::<Postgres>(sql), args.0)
                .persistent(keep)
                .execute(pool)
                .await
                .map(|d| d.rows_affected()),
            Target::SqlitePool(pool) => bind_all!(sqlx::query::<Sqlite>(sql), args.0)
                .persistent(keep)
                .execute(pool)
                .await
                .map(|d| d.rows_affected()),
            Target::PgConn(conn) => bind_all!(sqlx::query::<Postgres>(sql), args.0)
                .persistent(keep)
                .execute(conn)
                .await
                .map(|d| d.rows_affected()),
            Target::SqliteConn(conn) => bind_all!(sqlx::query::<Sqlite>(sql), args.0)
                .persistent(keep)
                .execute(conn)
                .await
                .map(|d| d.rows_affected()),
        };
        health.observe(result.map_err(Error::from))
    }
}

/// See [`Db::statement_span`]; also used for the statements that open and end transactions.
fn statement_span(system: &'static str, sql: &str) -> tracing::Span {
    let span = tracing::debug_span!(
        crate::telemetry::STATEMENT_SPAN,
        otel.name = tracing::field::Empty,
        otel.kind = tracing::field::Empty,
        db.system = system,
        db.operation.name = tracing::field::Empty,
        db.collection.name = tracing::field::Empty,
    );
    if span.is_disabled() {
        return span;
    }
    let (operation, table) = statement_summary(sql);
    span.record("db.operation.name", operation);
    if !table.is_empty() {
        span.record("db.collection.name", table);
    }
    // OpenTelemetry database conventions: a client span named "{operation} {table}".
    if crate::telemetry::traces_on() {
        span.record("otel.kind", "client");
        if table.is_empty() {
            span.record("otel.name", operation);
        } else {
            span.record("otel.name", tracing::field::display(format_args!("{operation} {table}")));
        }
    }
    span
}

/// A statement's first keyword and the first table it names after FROM, INTO or UPDATE:
/// `("SELECT", "clients")`; the table is empty when there is none (`BEGIN`).
fn statement_summary(sql: &str) -> (&str, &str) {
    let operation = sql.split_whitespace().next().unwrap_or_default();
    let table = sql
        .split_whitespace()
        .skip_while(|word| !["FROM", "INTO", "UPDATE"].iter().any(|k| word.eq_ignore_ascii_case(k)))
        .nth(1)
        .unwrap_or_default();
    let table = table.split(['(', ',', ';']).next().unwrap_or_default();
    (operation, table)
}

/// Runs one statement and, when it touched a row, records `change` and `event` in the same
/// transaction; returns rows touched.
pub(crate) async fn execute_with_change(
    store: &Store,
    sql: &str,
    args: Args,
    change: &changes::Change,
    event: crate::domain::audit::Event,
) -> Result<u64> {
    let mut tx = store.begin().await?;
    let touched = tx.db().execute(sql, args).await?;
    if touched > 0 {
        changes::record(&mut tx, change).await?;
        audit::record(&mut tx, event).await?;
    }
    tx.commit().await?;
    Ok(touched)
}

/// The positions in `values` of those that are no `column` of a row of `table` in the auth
/// server, reported as items of `field` ([`Error::MissingItems`]).
pub(crate) async fn missing_items(
    tx: &mut Tx,
    (table, column): (&str, &str),
    auth_server_id: uuid::Uuid,
    field: &'static str,
    values: &[String],
) -> Result<Vec<(&'static str, usize)>> {
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {column} FROM {table} WHERE auth_server_id = $1 AND {column} IN ({})",
        placeholders(2, values.len())
    );
    let mut bound = args![auth_server_id];
    for value in values {
        bound.push(value);
    }
    let found: Vec<(String,)> = tx.db().fetch_all(&sql, bound).await?;
    Ok(values
        .iter()
        .enumerate()
        .filter(|(_, value)| !found.iter().any(|(f,)| f == *value))
        .map(|(i, _)| (field, i))
        .collect())
}

/// Removes `old` from the JSON list `column` of every row of `table` in the auth server, or
/// with `new` puts that in its place: a list stops naming what is deleted or renamed, as a
/// client's `allow_scopes` stop naming a deleted scope. `key` is the column naming the row in
/// the auth server. Callers hold the auth server's lock ([`auth_servers::lock`]), as every
/// write of such a list does, so none can add `old` meanwhile.
pub(crate) async fn rewrite_lists(
    tx: &mut Tx,
    (table, key, column): (&str, &str, &str),
    auth_server_id: uuid::Uuid,
    old: &str,
    new: Option<&str>,
) -> Result<()> {
    let sql = format!("SELECT {key}, {column} FROM {table} WHERE auth_server_id = $1");
    let rows: Vec<(String, String)> = tx.db().fetch_all(&sql, args![auth_server_id]).await?;
    let update = format!("UPDATE {table} SET {column} = $3 WHERE auth_server_id = $1 AND {key} = $2");
    for (id, text) in rows {
        let items: Vec<String> = from_json(column, &text)?;
        if !items.iter().any(|item| item == old) {
            continue;
        }
        let mut rewritten: Vec<&str> = Vec::with_capacity(items.len());
        for item in &items {
            let item = if item == old { new } else { Some(item.as_str()) };
            if let Some(item) = item.filter(|item| !rewritten.contains(item)) {
                rewritten.push(item);
            }
        }
        tx.db().execute(&update, args![auth_server_id, id, to_json(&rewritten)]).await?;
    }
    Ok(())
}

/// `$first, $first+1, …` placeholders for an IN list of `count` values.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ")
}

/// Timestamps are stored as microseconds since the Unix epoch.
pub(crate) fn micros(time: chrono::DateTime<chrono::Utc>) -> i64 {
    time.timestamp_micros()
}

pub(crate) fn from_micros(value: i64) -> Result<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::from_timestamp_micros(value).ok_or_else(|| Error::Corrupt(format!("timestamp {value}")))
}

pub(crate) fn parse_uuid(value: &str) -> Result<uuid::Uuid> {
    uuid::Uuid::parse_str(value).map_err(|_| Error::Corrupt(format!("uuid {value:?}")))
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(column: &str, value: &str) -> Result<T> {
    serde_json::from_str(value).map_err(|e| Error::Corrupt(format!("{column}: {e}")))
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> String {
    // Serializing plain maps and vectors of strings cannot fail.
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_unique_messages_normalize_to_postgres_constraint_names() {
        assert_eq!(
            normalized_constraint(None, "UNIQUE constraint failed: scopes.auth_server_id, scopes.name"),
            "scopes_auth_server_id_name_key"
        );
        assert_eq!(normalized_constraint(None, "UNIQUE constraint failed: auth_servers.name"), "auth_servers_name_key");
        assert_eq!(
            normalized_constraint(Some("clients_auth_server_id_name_key"), "x"),
            "clients_auth_server_id_name_key"
        );
    }

    #[test]
    fn statement_spans_name_the_operation_and_the_first_table_never_values() {
        for (sql, expected) in [
            ("SELECT id, name FROM clients WHERE auth_server_id = $1", ("SELECT", "clients")),
            ("INSERT INTO tokens(id, jti) VALUES ($1, $2)", ("INSERT", "tokens")),
            ("UPDATE client_secrets SET enabled = $1 WHERE id = $2", ("UPDATE", "client_secrets")),
            ("DELETE FROM scopes\n WHERE id = $1", ("DELETE", "scopes")),
            ("WITH gone AS (DELETE FROM grants WHERE expires_at < $1 RETURNING id) SELECT 1", ("WITH", "grants")),
            ("select 1 from auth_servers;", ("select", "auth_servers")),
            ("BEGIN", ("BEGIN", "")),
            ("", ("", "")),
        ] {
            assert_eq!(statement_summary(sql), expected, "{sql}");
        }
    }

    #[test]
    fn both_backends_have_the_same_migrations() {
        let names = |dir: &str| {
            let mut names: Vec<String> = std::fs::read_dir(dir)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        };
        let postgres = names(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"));
        assert!(!postgres.is_empty());
        assert_eq!(postgres, names(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite")));
    }
}
