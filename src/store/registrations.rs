//! Dynamic Client Registration: policies, initial access tokens, and the registration row
//! beside each registered client.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::admin::Origin;
use crate::domain::audit::{self, FieldChange, Resource};
use crate::domain::client::{GrantType, TokenDuration, TokenEndpointAuthMethod};
use crate::domain::list::{FilterKind, ListParams, ListSchema};
use crate::domain::registration::{
    InitialAccessToken, Registration, RegistrationMetadata, RegistrationPolicy, StoredPolicy,
};
use crate::domain::secret::NewSecret;
use crate::domain::{Client, ClientId, Labels, LoginUri};

use super::auth_servers::for_update;
use super::changes::{self, Change};
use super::{Error, ListPage, Result, Store, Tx, args, clients, from_json, from_micros, list, micros, scopes, to_json};

/// The policy as a JSON document of portable values.
#[derive(Serialize, Deserialize)]
struct PolicyDocument {
    enabled: bool,
    open_registration: bool,
    allowed_grant_types: Vec<String>,
    default_grant_types: Vec<String>,
    allowed_token_endpoint_auth_methods: Vec<String>,
    allow_all_scopes: bool,
    allowed_scopes: Vec<Uuid>,
    default_scopes: Vec<Uuid>,
    default_access_token_duration: i64,
    max_access_token_duration: i64,
    default_id_token_duration: i64,
    max_id_token_duration: i64,
    login_uri: Option<String>,
    labels: Labels,
    /// Absent in documents written before the field existed.
    #[serde(default = "default_max_registered_clients")]
    max_registered_clients: i64,
}

fn default_max_registered_clients() -> i64 {
    RegistrationPolicy::DEFAULT_MAX_REGISTERED_CLIENTS
}

impl From<&RegistrationPolicy> for PolicyDocument {
    fn from(policy: &RegistrationPolicy) -> Self {
        let names = |items: &[GrantType]| items.iter().map(|g| g.as_str().to_owned()).collect();
        PolicyDocument {
            enabled: policy.enabled,
            open_registration: policy.open_registration,
            allowed_grant_types: names(&policy.allowed_grant_types),
            default_grant_types: names(&policy.default_grant_types),
            allowed_token_endpoint_auth_methods: policy
                .allowed_token_endpoint_auth_methods
                .iter()
                .map(|m| m.as_str().to_owned())
                .collect(),
            allow_all_scopes: policy.allow_all_scopes,
            allowed_scopes: policy.allowed_scopes.clone(),
            default_scopes: policy.default_scopes.clone(),
            default_access_token_duration: policy.default_access_token_duration.seconds(),
            max_access_token_duration: policy.max_access_token_duration.seconds(),
            default_id_token_duration: policy.default_id_token_duration.seconds(),
            max_id_token_duration: policy.max_id_token_duration.seconds(),
            login_uri: policy.login_uri.as_ref().map(|u| u.as_str().to_owned()),
            labels: policy.labels.clone(),
            max_registered_clients: policy.max_registered_clients,
        }
    }
}

impl PolicyDocument {
    /// The policy, with scopes deleted since it was written left out.
    fn into_policy(self, existing_scopes: &[Uuid]) -> Result<RegistrationPolicy> {
        let corrupt = |what: &str, value: &str| Error::Corrupt(format!("registration policy {what} {value:?}"));
        let grants = |items: Vec<String>| {
            items.iter().map(|g| GrantType::parse(g).map_err(|_| corrupt("grant type", g))).collect::<Result<Vec<_>>>()
        };
        let live = |ids: Vec<Uuid>| ids.into_iter().filter(|id| existing_scopes.contains(id)).collect();
        Ok(RegistrationPolicy {
            enabled: self.enabled,
            open_registration: self.open_registration,
            allowed_grant_types: grants(self.allowed_grant_types)?,
            default_grant_types: grants(self.default_grant_types)?,
            allowed_token_endpoint_auth_methods: self
                .allowed_token_endpoint_auth_methods
                .iter()
                .map(|m| TokenEndpointAuthMethod::parse(m).map_err(|_| corrupt("auth method", m)))
                .collect::<Result<_>>()?,
            allow_all_scopes: self.allow_all_scopes,
            allowed_scopes: live(self.allowed_scopes),
            default_scopes: live(self.default_scopes),
            default_access_token_duration: TokenDuration::trusted(self.default_access_token_duration),
            max_access_token_duration: TokenDuration::trusted(self.max_access_token_duration),
            default_id_token_duration: TokenDuration::trusted(self.default_id_token_duration),
            max_id_token_duration: TokenDuration::trusted(self.max_id_token_duration),
            login_uri: self.login_uri.map(LoginUri::trusted),
            labels: self.labels,
            max_registered_clients: self.max_registered_clients,
        })
    }
}

async fn scope_ids(db: super::Db<'_>, auth_server_id: Uuid) -> Result<Vec<Uuid>> {
    let rows: Vec<(String,)> =
        db.fetch_all("SELECT id FROM scopes WHERE auth_server_id = $1", args![auth_server_id]).await?;
    rows.iter().map(|(id,)| super::parse_uuid(id)).collect()
}

async fn load_policy(db: super::Db<'_>, auth_server_id: Uuid, lock: &str) -> Result<Option<(String, i64, i64)>> {
    let sql =
        format!("SELECT policy, created_at, updated_at FROM registration_policies WHERE auth_server_id = $1{lock}");
    db.fetch_optional(&sql, args![auth_server_id]).await
}

/// The auth server's policy; `None` when it was never configured (registration is off).
pub async fn policy(store: &Store, auth_server_id: Uuid) -> Result<Option<StoredPolicy>> {
    let Some((document, created_at, updated_at)) = load_policy(store.db(), auth_server_id, "").await? else {
        return Ok(None);
    };
    let scopes = scope_ids(store.db(), auth_server_id).await?;
    Ok(Some(StoredPolicy {
        auth_server_id,
        policy: from_json::<PolicyDocument>("policy", &document)?.into_policy(&scopes)?,
        created_at: from_micros(created_at)?,
        updated_at: from_micros(updated_at)?,
    }))
}

/// Applies `change` to the current policy (the default one when there is none) and stores
/// the result atomically; scope ids must belong to the auth server.
pub async fn modify_policy<E: From<Error>>(
    store: &Store,
    auth_server_id: Uuid,
    now: DateTime<Utc>,
    origin: &Origin,
    change: impl FnOnce(RegistrationPolicy) -> Result<RegistrationPolicy, E>,
) -> Result<StoredPolicy, E> {
    let mut tx = store.begin().await?;
    // Locks the auth server row, so concurrent first writes of a policy serialize.
    let touched =
        tx.db().execute("UPDATE auth_servers SET updated_at = updated_at WHERE id = $1", args![auth_server_id]).await?;
    if touched == 0 {
        return Err(Error::NotFound.into());
    }
    let scopes = scope_ids(tx.db(), auth_server_id).await?;
    let (current, created_at) = match load_policy(tx.db(), auth_server_id, for_update(store.dialect())).await? {
        Some((document, created_at, _)) => {
            (from_json::<PolicyDocument>("policy", &document)?.into_policy(&scopes)?, from_micros(created_at)?)
        }
        None => (RegistrationPolicy::default(), now),
    };
    let before = current.clone();
    let policy = change(current)?;
    let mut referenced: Vec<Uuid> = policy.allowed_scopes.clone();
    referenced.extend(policy.default_scopes.iter().copied());
    let missing = scopes::missing(tx.db(), auth_server_id, &referenced).await?;
    if !missing.is_empty() {
        return Err(Error::MissingScopes(missing).into());
    }
    tx.db()
        .execute(
            "INSERT INTO registration_policies (auth_server_id, policy, created_at, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (auth_server_id) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at",
            args![auth_server_id, to_json(&PolicyDocument::from(&policy)), micros(created_at), micros(now)],
        )
        .await?;
    changes::record(&mut tx, &Change::Server(auth_server_id)).await?;
    let changed = audit::updated(&before, &policy);
    if !changed.is_empty() {
        let event = Resource::registration_policy(auth_server_id).event(origin, "updated", changed);
        super::audit::record(&mut tx, event).await?;
    }
    tx.commit().await?;
    Ok(StoredPolicy { auth_server_id, policy, created_at, updated_at: now })
}

pub const INITIAL_TOKENS: ListSchema =
    ListSchema { sortable: &["created_at", "expires_at"], filters: &[("id", FilterKind::Exact)] };

const TOKEN_COLUMNS: &str = "id, auth_server_id, description, max_uses, uses, expires_at, created_at, last_used_at";

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: String,
    auth_server_id: String,
    description: String,
    max_uses: Option<i64>,
    uses: i64,
    expires_at: Option<i64>,
    created_at: i64,
    last_used_at: Option<i64>,
}

impl TryFrom<TokenRow> for InitialAccessToken {
    type Error = Error;

    fn try_from(row: TokenRow) -> Result<InitialAccessToken> {
        Ok(InitialAccessToken {
            id: super::parse_uuid(&row.id)?,
            auth_server_id: super::parse_uuid(&row.auth_server_id)?,
            description: row.description,
            max_uses: row.max_uses,
            uses: row.uses,
            expires_at: row.expires_at.map(from_micros).transpose()?,
            created_at: from_micros(row.created_at)?,
            last_used_at: row.last_used_at.map(from_micros).transpose()?,
        })
    }
}

/// Stores a new initial access token by the digest of its value.
pub async fn insert_initial_token(
    store: &Store,
    token: &InitialAccessToken,
    digest: &str,
    origin: &Origin,
) -> Result<()> {
    let mut tx = store.begin().await?;
    tx.db()
        .execute(
            "INSERT INTO initial_access_tokens (id, auth_server_id, token_digest, description, max_uses, uses, \
             expires_at, created_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            args![
                token.id,
                token.auth_server_id,
                digest,
                token.description.as_str(),
                token.max_uses,
                token.uses,
                token.expires_at.map(micros),
                micros(token.created_at),
                token.last_used_at.map(micros),
            ],
        )
        .await?;
    let mut fields = audit::created(token);
    fields.push(FieldChange::redacted("token"));
    let event = Resource::initial_access_token(token.auth_server_id, token.id).event(origin, "created", fields);
    super::audit::record(&mut tx, event).await?;
    tx.commit().await
}

pub async fn list_initial_tokens(
    store: &Store,
    auth_server_id: Uuid,
    params: &ListParams,
) -> Result<ListPage<InitialAccessToken>> {
    let conditions = vec!["auth_server_id = $1".to_owned()];
    list::fetch_page::<TokenRow>(
        store,
        TOKEN_COLUMNS,
        "initial_access_tokens",
        conditions,
        args![auth_server_id],
        params,
    )
    .await?
    .try_map(InitialAccessToken::try_from)
}

pub async fn initial_token(store: &Store, auth_server_id: Uuid, id: Uuid) -> Result<InitialAccessToken> {
    let sql = format!("SELECT {TOKEN_COLUMNS} FROM initial_access_tokens WHERE auth_server_id = $1 AND id = $2");
    store.db().fetch_optional::<TokenRow>(&sql, args![auth_server_id, id]).await?.ok_or(Error::NotFound)?.try_into()
}

/// The token with this digest, if it is one of the auth server's.
pub async fn initial_token_by_digest(
    store: &Store,
    auth_server_id: Uuid,
    digest: &str,
) -> Result<Option<InitialAccessToken>> {
    let sql =
        format!("SELECT {TOKEN_COLUMNS} FROM initial_access_tokens WHERE auth_server_id = $1 AND token_digest = $2");
    store.db().fetch_optional::<TokenRow>(&sql, args![auth_server_id, digest]).await?.map(TryInto::try_into).transpose()
}

/// Revokes an initial access token: it is deleted.
pub async fn delete_initial_token(store: &Store, auth_server_id: Uuid, id: Uuid, origin: &Origin) -> Result<()> {
    let mut tx = store.begin().await?;
    let deleted = tx
        .db()
        .execute("DELETE FROM initial_access_tokens WHERE auth_server_id = $1 AND id = $2", args![auth_server_id, id])
        .await?;
    if deleted == 0 {
        return Err(Error::NotFound);
    }
    let event = Resource::initial_access_token(auth_server_id, id).event(origin, "revoked", Vec::new());
    super::audit::record(&mut tx, event).await?;
    tx.commit().await
}

/// Counts one use of an initial access token, if it is still usable.
async fn use_initial_token(tx: &mut Tx, auth_server_id: Uuid, id: Uuid, now: DateTime<Utc>) -> Result<bool> {
    let used = tx
        .db()
        .execute(
            "UPDATE initial_access_tokens SET uses = uses + 1, last_used_at = $3 \
             WHERE auth_server_id = $1 AND id = $2 AND (max_uses IS NULL OR uses < max_uses) \
             AND (expires_at IS NULL OR expires_at > $3)",
            args![auth_server_id, id, micros(now)],
        )
        .await?;
    Ok(used == 1)
}

/// How a registration write ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Registered {
    Done,
    /// The initial access token was used up or revoked while the request ran.
    TokenSpent,
    /// The auth server already has `max_registered_clients` registered clients.
    Full,
}

/// Creates a registered client, its secret and its registration, counting one use of the
/// initial access token, all in one transaction: a failed registration costs no use. At most
/// `max_clients` registered clients: registrations of one auth server take turns on its
/// policy row, so concurrent ones cannot overshoot.
pub async fn register(
    store: &Store,
    client: &Client,
    secret: Option<&NewSecret>,
    registration: &Registration,
    max_clients: i64,
    now: DateTime<Utc>,
    origin: &Origin,
) -> Result<Registered> {
    let mut tx = store.begin().await?;
    tx.db()
        .execute(
            "UPDATE registration_policies SET updated_at = updated_at WHERE auth_server_id = $1",
            args![client.auth_server_id],
        )
        .await?;
    let (registered,): (i64,) = tx
        .db()
        .fetch_one("SELECT COUNT(*) FROM client_registrations WHERE auth_server_id = $1", args![client.auth_server_id])
        .await?;
    if registered >= max_clients {
        return Ok(Registered::Full);
    }
    if let Some(token) = registration.initial_access_token_id
        && !use_initial_token(&mut tx, client.auth_server_id, token, now).await?
    {
        return Ok(Registered::TokenSpent);
    }
    clients::insert_in(&mut tx, client, secret).await?;
    tx.db()
        .execute(
            "INSERT INTO client_registrations (auth_server_id, client_id, access_token_digest, metadata, \
             initial_access_token_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            args![
                registration.auth_server_id,
                registration.client_id.as_str(),
                registration.access_token_digest.as_str(),
                to_json(&registration.metadata),
                registration.initial_access_token_id,
                micros(registration.created_at),
                micros(registration.updated_at),
            ],
        )
        .await?;
    let mut fields = clients::created(client, secret);
    fields.extend(audit::created(&registration.metadata));
    fields.push(FieldChange::redacted("registration_access_token"));
    let event = Resource::registration(client.auth_server_id, &client.id).event(origin, "created", fields);
    super::audit::record(&mut tx, event).await?;
    tx.commit().await?;
    Ok(Registered::Done)
}

#[derive(sqlx::FromRow)]
struct RegistrationRow {
    access_token_digest: String,
    metadata: String,
    initial_access_token_id: Option<String>,
    created_at: i64,
    updated_at: i64,
}

/// The registration of a client, if it was registered dynamically.
pub async fn registration(store: &Store, auth_server_id: Uuid, client_id: &ClientId) -> Result<Option<Registration>> {
    let row: Option<RegistrationRow> = store
        .db()
        .fetch_optional(
            "SELECT access_token_digest, metadata, initial_access_token_id, created_at, updated_at \
             FROM client_registrations WHERE auth_server_id = $1 AND client_id = $2",
            args![auth_server_id, client_id.as_str()],
        )
        .await?;
    row.map(|row| {
        Ok(Registration {
            auth_server_id,
            client_id: client_id.clone(),
            access_token_digest: row.access_token_digest,
            metadata: from_json::<RegistrationMetadata>("metadata", &row.metadata)?,
            initial_access_token_id: row.initial_access_token_id.as_deref().map(super::parse_uuid).transpose()?,
            created_at: from_micros(row.created_at)?,
            updated_at: from_micros(row.updated_at)?,
        })
    })
    .transpose()
}

/// What an update does to the client's secrets.
#[derive(Clone, Copy)]
pub enum SecretChange<'a> {
    Keep,
    /// The client's only secret from now on.
    Replace(&'a NewSecret),
    /// The client became public.
    Remove,
}

/// RFC 7592 §2.2: replaces a registered client's metadata atomically, at `origin.at`. `change`
/// builds the new client from the current one.
pub async fn update<E: From<Error>>(
    store: &Store,
    auth_server_id: Uuid,
    client_id: &ClientId,
    metadata: &RegistrationMetadata,
    secret: SecretChange<'_>,
    origin: &Origin,
    change: impl FnOnce(Client) -> Result<Client, E>,
) -> Result<Client, E> {
    let mut tx = store.begin().await?;
    let current = clients::get_locked(&mut tx, store.dialect(), auth_server_id, client_id).await?;
    let before = current.clone();
    let client = change(current)?;
    let secrets_changed = match secret {
        SecretChange::Keep => false,
        SecretChange::Replace(secret) => {
            clients::replace_secrets(&mut tx, &client, Some(secret)).await?;
            true
        }
        SecretChange::Remove => clients::replace_secrets(&mut tx, &client, None).await? > 0,
    };
    let old_metadata: Option<(String,)> = tx
        .db()
        .fetch_optional(
            "SELECT metadata FROM client_registrations WHERE auth_server_id = $1 AND client_id = $2",
            args![auth_server_id, client_id.as_str()],
        )
        .await?;
    let Some((old_metadata,)) = old_metadata else {
        return Err(Error::NotFound.into());
    };
    let old_metadata = from_json::<RegistrationMetadata>("metadata", &old_metadata)?;
    clients::update_in(&mut tx, &client).await?;
    let updated = tx
        .db()
        .execute(
            "UPDATE client_registrations SET metadata = $3, updated_at = $4 WHERE auth_server_id = $1 AND client_id = $2",
            args![auth_server_id, client_id.as_str(), to_json(metadata), micros(origin.at)],
        )
        .await?;
    if updated == 0 {
        return Err(Error::NotFound.into());
    }
    let mut fields = clients::updated(&before, &client, secrets_changed);
    fields.extend(audit::updated(&old_metadata, metadata));
    if !fields.is_empty() {
        let event = Resource::registration(auth_server_id, client_id).event(origin, "updated", fields);
        super::audit::record(&mut tx, event).await?;
    }
    tx.commit().await?;
    Ok(client)
}

/// Replaces a registration's access token (an admin's answer to a leaked one).
pub async fn replace_access_token(
    store: &Store,
    auth_server_id: Uuid,
    client_id: &ClientId,
    digest: &str,
    now: DateTime<Utc>,
    origin: &Origin,
) -> Result<()> {
    let mut tx = store.begin().await?;
    let replaced = tx
        .db()
        .execute(
            "UPDATE client_registrations SET access_token_digest = $3, updated_at = $4 \
             WHERE auth_server_id = $1 AND client_id = $2",
            args![auth_server_id, client_id.as_str(), digest, micros(now)],
        )
        .await?;
    if replaced == 0 {
        return Err(Error::NotFound);
    }
    let fields = vec![FieldChange::redacted("registration_access_token")];
    let event = Resource::registration_access_token(auth_server_id, client_id).event(origin, "rotated", fields);
    super::audit::record(&mut tx, event).await?;
    tx.commit().await
}
