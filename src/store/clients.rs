//! Clients of an auth server and the scopes they may request.

use super::changes::{self, Change};
use uuid::Uuid;

use crate::domain::admin::Origin;
use crate::domain::audit::{self, Event, FieldChange, Resource};
use crate::domain::client::{Client, ClientId, GrantType, ResponseType, TokenDuration, TokenEndpointAuthMethod};
use crate::domain::jwks::ClientJwks;
use crate::domain::list::{FilterKind, ListParams, ListSchema};
use crate::domain::secret::NewSecret;
use crate::domain::{Labels, LoginUri, Name, RedirectUri};

use super::auth_servers::for_update;
use super::{
    Db, Error, ListPage, Result, Store, Tx, args, client_secrets, from_json, from_micros, list, micros, placeholders,
    scopes, to_json,
};

pub const LIST: ListSchema = ListSchema {
    sortable: &["created_at", "updated_at", "name"],
    filters: &[("name", FilterKind::Text), ("id", FilterKind::Exact), ("labels", FilterKind::Labels)],
};

const COLUMNS: &str = "auth_server_id, id, name, grant_types, response_types, redirect_uris, login_uri, \
    access_token_duration, id_token_duration, allow_all_scopes, labels, token_endpoint_auth_method, created_at, updated_at, \
    jwks, introspection_allowed, login_requests_answered_by_client";

#[derive(sqlx::FromRow)]
struct Row {
    auth_server_id: String,
    id: String,
    name: String,
    grant_types: String,
    response_types: String,
    redirect_uris: String,
    login_uri: Option<String>,
    access_token_duration: i64,
    id_token_duration: i64,
    allow_all_scopes: bool,
    labels: String,
    token_endpoint_auth_method: String,
    created_at: i64,
    updated_at: i64,
    jwks: Option<String>,
    introspection_allowed: bool,
    login_requests_answered_by_client: bool,
}

fn corrupt<T>(column: &str, value: &str) -> impl FnOnce(T) -> Error {
    let message = format!("{column} {value:?}");
    move |_| Error::Corrupt(message)
}

impl Row {
    fn into_client(self, allow_scopes: Vec<Uuid>) -> Result<Client> {
        let grant_types: Vec<String> = from_json("grant_types", &self.grant_types)?;
        let response_types: Vec<String> = from_json("response_types", &self.response_types)?;
        let redirect_uris: Vec<String> = from_json("redirect_uris", &self.redirect_uris)?;
        Ok(Client {
            id: ClientId::trusted(self.id),
            auth_server_id: super::parse_uuid(&self.auth_server_id)?,
            name: Name::trusted(self.name),
            grant_types: grant_types
                .iter()
                .map(|g| GrantType::parse(g).map_err(corrupt("grant_types", g)))
                .collect::<Result<_>>()?,
            response_types: response_types
                .iter()
                .map(|r| ResponseType::parse(r).map_err(corrupt("response_types", r)))
                .collect::<Result<_>>()?,
            redirect_uris: redirect_uris.into_iter().map(RedirectUri::trusted).collect(),
            login_uri: self.login_uri.map(LoginUri::trusted),
            access_token_duration: TokenDuration::trusted(self.access_token_duration),
            id_token_duration: TokenDuration::trusted(self.id_token_duration),
            allow_all_scopes: self.allow_all_scopes,
            allow_scopes,
            labels: from_json::<Labels>("labels", &self.labels)?,
            token_endpoint_auth_method: TokenEndpointAuthMethod::parse(&self.token_endpoint_auth_method)
                .map_err(corrupt("token_endpoint_auth_method", &self.token_endpoint_auth_method))?,
            jwks: self.jwks.map(|text| from_json("jwks", &text).map(ClientJwks::trusted)).transpose()?,
            introspection_allowed: self.introspection_allowed,
            login_requests_answered_by_client: self.login_requests_answered_by_client,
            created_at: from_micros(self.created_at)?,
            updated_at: from_micros(self.updated_at)?,
        })
    }
}

/// Allowed scope ids per client, in their stored order.
async fn scope_ids(db: Db<'_>, auth_server_id: Uuid, client_ids: &[String]) -> Result<Vec<(String, Uuid)>> {
    if client_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT client_id, scope_id FROM client_scopes WHERE auth_server_id = $1 AND client_id IN ({}) \
         ORDER BY client_id, position",
        placeholders(2, client_ids.len())
    );
    let mut bound = args![auth_server_id];
    for id in client_ids {
        bound.push(id);
    }
    let rows: Vec<(String, String)> = db.fetch_all(&sql, bound).await?;
    rows.into_iter().map(|(client, scope)| Ok((client, super::parse_uuid(&scope)?))).collect()
}

fn attach(rows: Vec<Row>, links: &[(String, Uuid)]) -> Result<Vec<Client>> {
    rows.into_iter()
        .map(|row| {
            let scopes = links.iter().filter(|(client, _)| *client == row.id).map(|(_, scope)| *scope).collect();
            row.into_client(scopes)
        })
        .collect()
}

fn client_args(client: &Client) -> super::Args {
    let strings = |items: Vec<&str>| to_json(&items);
    args![
        client.auth_server_id,
        client.id.as_str(),
        client.name.as_str(),
        strings(client.grant_types.iter().map(|g| g.as_str()).collect()),
        strings(client.response_types.iter().map(|r| r.as_str()).collect()),
        strings(client.redirect_uris.iter().map(RedirectUri::as_str).collect()),
        client.login_uri.as_ref().map(|u| u.as_str().to_owned()),
        client.access_token_duration.seconds(),
        client.id_token_duration.seconds(),
        client.allow_all_scopes,
        to_json(&client.labels),
        client.token_endpoint_auth_method.as_str(),
        micros(client.created_at),
        micros(client.updated_at),
        client.jwks.as_ref().map(|jwks| jwks.as_value().to_string()),
        client.introspection_allowed,
        client.login_requests_answered_by_client,
    ]
}

const INSERT: &str = "INSERT INTO clients (auth_server_id, id, name, grant_types, response_types, redirect_uris, \
    login_uri, access_token_duration, id_token_duration, allow_all_scopes, labels, token_endpoint_auth_method, \
    created_at, updated_at, jwks, introspection_allowed, login_requests_answered_by_client) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)";

const UPDATE: &str = "UPDATE clients SET name = $3, grant_types = $4, response_types = $5, redirect_uris = $6, \
    login_uri = $7, access_token_duration = $8, id_token_duration = $9, allow_all_scopes = $10, labels = $11, \
    token_endpoint_auth_method = $12, created_at = $13, updated_at = $14, jwks = $15, \
    introspection_allowed = $16, login_requests_answered_by_client = $17 WHERE auth_server_id = $1 AND id = $2";

async fn write_scopes(tx: &mut Tx, client: &Client) -> Result<()> {
    let missing = scopes::missing(tx.db(), client.auth_server_id, &client.allow_scopes).await?;
    if !missing.is_empty() {
        return Err(Error::MissingScopes(missing));
    }
    tx.db()
        .execute(
            "DELETE FROM client_scopes WHERE auth_server_id = $1 AND client_id = $2",
            args![client.auth_server_id, client.id.as_str()],
        )
        .await?;
    for (position, scope_id) in client.allow_scopes.iter().enumerate() {
        tx.db()
            .execute(
                "INSERT INTO client_scopes (auth_server_id, client_id, scope_id, position) VALUES ($1, $2, $3, $4)",
                args![client.auth_server_id, client.id.as_str(), scope_id, position as i64],
            )
            .await?;
    }
    Ok(())
}

/// Replaces all of the client's secrets with `secret`, or removes them all; returns how many
/// were removed.
pub(super) async fn replace_secrets(tx: &mut Tx, client: &Client, secret: Option<&NewSecret>) -> Result<u64> {
    let removed = tx
        .db()
        .execute(
            "DELETE FROM client_secrets WHERE auth_server_id = $1 AND client_id = $2",
            args![client.auth_server_id, client.id.as_str()],
        )
        .await?;
    if let Some(secret) = secret {
        client_secrets::insert_in(tx, client.auth_server_id, &client.id, secret).await?;
    }
    Ok(removed)
}

/// Inserts a client, its scopes and its first secret (none for a public client) in `tx`.
pub(super) async fn insert_in(tx: &mut Tx, client: &Client, secret: Option<&NewSecret>) -> Result<()> {
    tx.db().execute(INSERT, client_args(client)).await?;
    write_scopes(tx, client).await?;
    if let Some(secret) = secret {
        client_secrets::insert_in(tx, client.auth_server_id, &client.id, secret).await?;
    }
    changes::record(tx, &Change::Client(client.auth_server_id, client.id.as_str().to_owned())).await
}

/// Creates a client with its first secret (none for a public or private_key_jwt client).
pub async fn insert(store: &Store, client: &Client, secret: Option<&NewSecret>, origin: &Origin) -> Result<()> {
    let mut tx = store.begin().await?;
    insert_in(&mut tx, client, secret).await?;
    let event = Resource::client(client.auth_server_id, &client.id).event(origin, "created", created(client, secret));
    super::audit::record(&mut tx, event).await?;
    tx.commit().await
}

/// The fields of a new client, with its secret (if it has one) only as set.
pub(super) fn created(client: &Client, secret: Option<&NewSecret>) -> Vec<FieldChange> {
    let mut fields = audit::created(client);
    if secret.is_some() {
        fields.push(FieldChange::redacted("client_secret"));
    }
    fields
}

/// The fields an update changed, and whether its secrets were replaced or removed.
pub(super) fn updated(before: &Client, after: &Client, secrets_changed: bool) -> Vec<FieldChange> {
    let mut fields = audit::updated(before, after);
    if secrets_changed {
        fields.push(FieldChange::redacted("client_secret"));
    }
    fields
}

/// A client that authenticates with its keys keeps no secret: one left over from before
/// would come back to life if the client were switched back.
fn keeps_secrets(client: &Client) -> bool {
    client.token_endpoint_auth_method != TokenEndpointAuthMethod::PrivateKeyJwt
}

/// The client, locked for the rest of `tx` (on Postgres; SQLite transactions are serial).
pub(super) async fn get_locked(
    tx: &mut Tx,
    dialect: super::Dialect,
    auth_server_id: Uuid,
    id: &ClientId,
) -> Result<Client> {
    let row = load(tx.db(), auth_server_id, id, for_update(dialect)).await?.ok_or(Error::NotFound)?;
    let links = scope_ids(tx.db(), auth_server_id, std::slice::from_ref(&row.id)).await?;
    attach(vec![row], &links)?.pop().ok_or(Error::NotFound)
}

/// Writes a changed client and its scopes in `tx`, and records the change.
pub(super) async fn update_in(tx: &mut Tx, client: &Client) -> Result<()> {
    tx.db().execute(UPDATE, client_args(client)).await?;
    write_scopes(tx, client).await?;
    changes::record(tx, &Change::Client(client.auth_server_id, client.id.as_str().to_owned())).await
}

async fn load(db: Db<'_>, auth_server_id: Uuid, id: &ClientId, lock: &str) -> Result<Option<Row>> {
    let sql = format!("SELECT {COLUMNS} FROM clients WHERE auth_server_id = $1 AND id = $2{lock}");
    db.fetch_optional(&sql, args![auth_server_id, id.as_str()]).await
}

/// Whether another client of the auth server than `except` has this name: asked before the
/// slow work of a write (hashing its secret); the unique constraint still has the final word.
pub async fn name_taken(store: &Store, auth_server_id: Uuid, name: &Name, except: Option<&ClientId>) -> Result<bool> {
    let except = except.map(|id| id.as_str().to_owned()).unwrap_or_default();
    let found: Option<(String,)> = store
        .db()
        .fetch_optional(
            "SELECT id FROM clients WHERE auth_server_id = $1 AND name = $2 AND id <> $3 LIMIT 1",
            args![auth_server_id, name.as_str(), except],
        )
        .await?;
    Ok(found.is_some())
}

pub async fn get(store: &Store, auth_server_id: Uuid, id: &ClientId) -> Result<Client> {
    let row = load(store.db(), auth_server_id, id, "").await?.ok_or(Error::NotFound)?;
    let links = scope_ids(store.db(), auth_server_id, std::slice::from_ref(&row.id)).await?;
    attach(vec![row], &links)?.pop().ok_or(Error::NotFound)
}

pub async fn list(store: &Store, auth_server_id: Uuid, params: &ListParams) -> Result<ListPage<Client>> {
    let conditions = vec!["auth_server_id = $1".to_owned()];
    let page = list::fetch_page::<Row>(store, COLUMNS, "clients", conditions, args![auth_server_id], params).await?;
    let ids: Vec<String> = page.items.iter().map(|row| row.id.clone()).collect();
    let links = scope_ids(store.db(), auth_server_id, &ids).await?;
    Ok(ListPage { items: attach(page.items, &links)?, total: page.total })
}

/// Applies `change` to the stored client atomically; `secret`, when given, replaces all secrets.
pub async fn modify<E: From<Error>>(
    store: &Store,
    auth_server_id: Uuid,
    id: &ClientId,
    secret: Option<&NewSecret>,
    origin: &Origin,
    change: impl FnOnce(Client) -> Result<Client, E>,
) -> Result<Client, E> {
    let mut tx = store.begin().await?;
    let current = get_locked(&mut tx, store.dialect(), auth_server_id, id).await?;
    let before = current.clone();
    let client = change(current)?;
    let secrets_changed = if !keeps_secrets(&client) {
        replace_secrets(&mut tx, &client, None).await? > 0
    } else if let Some(secret) = secret {
        replace_secrets(&mut tx, &client, Some(secret)).await?;
        true
    } else {
        false
    };
    update_in(&mut tx, &client).await?;
    let changed = updated(&before, &client, secrets_changed);
    if !changed.is_empty() {
        super::audit::record(&mut tx, Resource::client(auth_server_id, id).event(origin, "updated", changed)).await?;
    }
    tx.commit().await?;
    Ok(client)
}

/// Whether a PUT created the client or replaced an existing one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Put {
    Created,
    Replaced,
}

/// PUT: replaces the client if it exists (keeping its creation time), creates it otherwise.
/// `secret`, when given, becomes the client's only secret; a new client always needs one.
/// `carry_over` takes what the replacement keeps from the existing client.
pub async fn put(
    store: &Store,
    client: &Client,
    secret: Option<&NewSecret>,
    origin: &Origin,
    carry_over: impl FnOnce(&Client, Client) -> Client,
) -> Result<(Client, Put)> {
    let mut tx = store.begin().await?;
    let existing = load(tx.db(), client.auth_server_id, &client.id, for_update(store.dialect())).await?;
    let (client, before) = match existing {
        Some(row) => {
            let links = scope_ids(tx.db(), client.auth_server_id, std::slice::from_ref(&row.id)).await?;
            let existing = attach(vec![row], &links)?.pop().ok_or(Error::NotFound)?;
            let client = carry_over(&existing, Client { created_at: existing.created_at, ..client.clone() });
            tx.db().execute(UPDATE, client_args(&client)).await?;
            (client, Some(existing))
        }
        None => {
            tx.db().execute(INSERT, client_args(client)).await?;
            (client.clone(), None)
        }
    };
    write_scopes(&mut tx, &client).await?;
    let secrets_changed = match (secret, &before) {
        _ if !keeps_secrets(&client) => replace_secrets(&mut tx, &client, None).await? > 0,
        (Some(secret), _) => {
            replace_secrets(&mut tx, &client, Some(secret)).await?;
            true
        }
        (None, None) => {
            return Err(Error::Corrupt("a new client needs a secret".to_owned()));
        }
        (None, Some(_)) => false,
    };
    changes::record(&mut tx, &Change::Client(client.auth_server_id, client.id.as_str().to_owned())).await?;
    let resource = Resource::client(client.auth_server_id, &client.id);
    let (outcome, event) = match &before {
        Some(before) => (Put::Replaced, resource.event(origin, "updated", updated(before, &client, secrets_changed))),
        None => (Put::Created, resource.event(origin, "created", created(&client, secret))),
    };
    if !event.changes.is_empty() {
        super::audit::record(&mut tx, event).await?;
    }
    tx.commit().await?;
    Ok((client, outcome))
}

/// Deletes a client; its live tokens are revoked (returned as (jti, expiry)), so a client
/// re-imported under the same id does not revive them. `event` is recorded with the deletion
/// (an admin's `client.deleted`, or the client's own `registration.deleted`).
pub async fn delete(store: &Store, auth_server_id: Uuid, id: &ClientId, event: Event) -> Result<Vec<(Uuid, i64)>> {
    let mut tx = store.begin().await?;
    super::identities::record_linked_directories(&mut tx, auth_server_id, Some(id.as_str())).await?;
    // Locked first: a token exchange policy being written for the client commits before its
    // removal is counted, so the change that drops it from every node's cache is recorded.
    load(tx.db(), auth_server_id, id, for_update(store.dialect())).await?.ok_or(Error::NotFound)?;
    super::exchange_policies::forget_client(&mut tx, auth_server_id, id).await?;
    let deleted = tx
        .db()
        .execute("DELETE FROM clients WHERE auth_server_id = $1 AND id = $2", args![auth_server_id, id.as_str()])
        .await?;
    if deleted == 0 {
        return Err(Error::NotFound);
    }
    let revoked = super::tokens::revoke_all_in(&mut tx, auth_server_id, id, chrono::Utc::now()).await?;
    changes::record(&mut tx, &Change::Client(auth_server_id, id.as_str().to_owned())).await?;
    super::audit::record(&mut tx, event).await?;
    tx.commit().await?;
    Ok(revoked)
}
