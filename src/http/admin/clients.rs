//! /v1/auth-servers/{authServerId}/clients

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::domain::admin::Origin;
use crate::domain::audit::Resource;
use crate::domain::client::parse_list;
use crate::domain::jwks::ClientJwks;
use crate::domain::secret::{ClientSecret, NewSecret, SecretInfo};
use crate::domain::{
    Client, ClientId, GrantType, Labels, LoginUri, Name, RedirectUri, ResponseType, TokenDuration,
    TokenEndpointAuthMethod,
};
use crate::http::error::ResultExt;
use crate::http::extract::{ApiJson, PathIds, QueryPairs};
use crate::http::routes::{CLIENT, CLIENTS};
use crate::http::validate::{
    Body, boolean, integer, nullable, nullable_string_map, present, string, string_map, strings, unique_uuids,
};
use crate::http::{ApiError, AppState, Routes};
use crate::store::{self, clients::Put};

use super::{Page, WriteError, list_params, missing_scopes, require_auth_server, timestamp};

pub fn routes() -> Routes<AppState> {
    Routes::default()
        .get(CLIENTS, list)
        .post(CLIENTS, create)
        .get(CLIENT, get)
        .patch(CLIENT, update)
        .put(CLIENT, replace)
        .delete(CLIENT, delete)
}

#[derive(Serialize)]
struct ClientView {
    id: String,
    name: String,
    grant_types: Vec<&'static str>,
    response_types: Vec<&'static str>,
    redirect_uris: Vec<String>,
    login_uri: Option<String>,
    access_token_duration: i64,
    id_token_duration: i64,
    allow_all_scopes: bool,
    allow_scopes: Vec<Uuid>,
    labels: Labels,
    token_endpoint_auth_method: &'static str,
    /// Only for clients that have keys, so other clients keep Kong's exact shape.
    #[serde(skip_serializing_if = "Option::is_none")]
    jwks: Option<Value>,
    introspection_allowed: bool,
    login_requests_answered_by_client: bool,
    created_at: String,
    updated_at: String,
}

/// The client as created: the only response that carries its secret (a private_key_jwt
/// client has none).
#[derive(Serialize)]
struct CreatedClientView {
    #[serde(flatten)]
    client: ClientView,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
}

fn view(client: Client) -> ClientView {
    ClientView {
        id: client.id.as_str().to_owned(),
        name: client.name.as_str().to_owned(),
        grant_types: client.grant_types.iter().map(|g| g.as_str()).collect(),
        response_types: client.response_types.iter().map(|r| r.as_str()).collect(),
        redirect_uris: client.redirect_uris.iter().map(|u| u.as_str().to_owned()).collect(),
        login_uri: client.login_uri.map(|u| u.as_str().to_owned()),
        access_token_duration: client.access_token_duration.seconds(),
        id_token_duration: client.id_token_duration.seconds(),
        allow_all_scopes: client.allow_all_scopes,
        allow_scopes: client.allow_scopes,
        labels: client.labels,
        token_endpoint_auth_method: client.token_endpoint_auth_method.as_str(),
        jwks: client.jwks.map(|jwks| jwks.as_value().clone()),
        introspection_allowed: client.introspection_allowed,
        login_requests_answered_by_client: client.login_requests_answered_by_client,
        created_at: timestamp(client.created_at),
        updated_at: timestamp(client.updated_at),
    }
}

/// What a request may change about a client's labels.
enum LabelsChange {
    Replace(Labels),
    Merge(BTreeMap<String, Option<String>>),
    Clear,
}

/// A client body as read for POST (create), PUT (replace) or PATCH (update).
#[derive(Default)]
struct ClientInput {
    name: Option<Name>,
    client_secret: Option<ClientSecret>,
    grant_types: Option<Vec<GrantType>>,
    response_types: Option<Vec<ResponseType>>,
    redirect_uris: Option<Vec<RedirectUri>>,
    login_uri: Option<Option<LoginUri>>,
    access_token_duration: Option<TokenDuration>,
    id_token_duration: Option<TokenDuration>,
    allow_all_scopes: Option<bool>,
    allow_scopes: Option<Vec<Uuid>>,
    labels: Option<LabelsChange>,
    token_endpoint_auth_method: Option<TokenEndpointAuthMethod>,
    jwks: Option<Option<ClientJwks>>,
    introspection_allowed: Option<bool>,
    login_requests_answered_by_client: Option<bool>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Create,
    Replace,
    Update,
}

const FIELDS: [&str; 15] = [
    "name",
    "client_secret",
    "grant_types",
    "response_types",
    "redirect_uris",
    "login_uri",
    "access_token_duration",
    "id_token_duration",
    "allow_all_scopes",
    "allow_scopes",
    "labels",
    "token_endpoint_auth_method",
    "jwks",
    "introspection_allowed",
    "login_requests_answered_by_client",
];

fn read_input(json: ApiJson, mode: Mode) -> Result<ClientInput, ApiError> {
    // Kong's create takes no secret: it is always generated there.
    let allowed: Vec<&str> = FIELDS.iter().copied().filter(|f| mode != Mode::Create || *f != "client_secret").collect();
    let mut body = Body::new(json, &allowed);
    let required = mode != Mode::Update;
    let take = |body: &mut Body, name: &str, must: bool| -> Option<Value> {
        if must { body.required(name, Ok) } else { body.optional(name, Ok) }
    };

    let mut input = ClientInput::default();
    let name = take(&mut body, "name", required);
    input.name = name.and_then(|v| body_check(&mut body, "name", string(v).and_then(Name::parse)));
    // Required on PUT (Kong's import), except for a private_key_jwt client, which has none.
    let secret = take(&mut body, "client_secret", false);
    input.client_secret =
        secret.and_then(|v| body_check(&mut body, "client_secret", string(v).and_then(ClientSecret::parse)));
    let grants = take(&mut body, "grant_types", required);
    input.grant_types = grants
        .and_then(|v| body_check(&mut body, "grant_types", strings(v).and_then(|l| parse_list(l, GrantType::parse))));
    let responses = take(&mut body, "response_types", required);
    input.response_types = responses.and_then(|v| {
        body_check(&mut body, "response_types", strings(v).and_then(|l| parse_list(l, ResponseType::parse)))
    });
    input.redirect_uris = body.optional("redirect_uris", |v| {
        strings(v)?
            .into_iter()
            .enumerate()
            .map(|(i, uri)| RedirectUri::parse(uri).map_err(|e| e.at(format!("[{i}]"))))
            .collect::<Result<Vec<_>, _>>()
            .and_then(|uris| crate::domain::check_unique(&uris).map(|()| uris))
    });
    input.login_uri = body.optional("login_uri", |v| nullable(v, |v| LoginUri::parse(string(v)?)));
    input.access_token_duration = body.optional("access_token_duration", |v| TokenDuration::parse(integer(v)?));
    input.id_token_duration = body.optional("id_token_duration", |v| TokenDuration::parse(integer(v)?));
    input.allow_all_scopes = body.optional("allow_all_scopes", boolean);
    input.allow_scopes = body.optional("allow_scopes", unique_uuids);
    input.labels = match mode {
        Mode::Update => body.optional("labels", |v| nullable(v, nullable_string_map)).map(|change| match change {
            Some(changes) => LabelsChange::Merge(changes),
            None => LabelsChange::Clear,
        }),
        _ => body.optional("labels", |v| Labels::parse(string_map(v)?)).map(LabelsChange::Replace),
    };
    input.token_endpoint_auth_method =
        body.optional("token_endpoint_auth_method", |v| TokenEndpointAuthMethod::parse(&string(v)?));
    input.jwks = body.optional("jwks", |v| nullable(v, ClientJwks::parse));
    input.introspection_allowed = body.optional("introspection_allowed", boolean);
    input.login_requests_answered_by_client = body.optional("login_requests_answered_by_client", boolean);
    let by_key = input.token_endpoint_auth_method == Some(TokenEndpointAuthMethod::PrivateKeyJwt);
    if mode == Mode::Replace && !by_key && input.client_secret.is_none() && !body.has_error("client_secret") {
        body.reject("client_secret", crate::domain::Invalid::new("required", "is a required field"));
    }
    body.finish()?;
    Ok(input)
}

fn body_check<T>(body: &mut Body, field: &str, result: Result<T, crate::domain::Invalid>) -> Option<T> {
    result.map_err(|invalid| body.reject(field, invalid)).ok()
}

/// A whole client from a create or replace body, with Kong's defaults for what is absent.
fn build(input: ClientInput, id: ClientId, auth_server_id: Uuid, now: DateTime<Utc>) -> Result<Client, ApiError> {
    let labels = match input.labels {
        Some(LabelsChange::Replace(labels)) => labels,
        _ => Labels::default(),
    };
    Ok(Client {
        id,
        auth_server_id,
        name: present(input.name)?,
        grant_types: present(input.grant_types)?,
        response_types: present(input.response_types)?,
        redirect_uris: input.redirect_uris.unwrap_or_default(),
        login_uri: input.login_uri.flatten(),
        access_token_duration: input.access_token_duration.unwrap_or_default(),
        id_token_duration: input.id_token_duration.unwrap_or_default(),
        allow_all_scopes: input.allow_all_scopes.unwrap_or(false),
        allow_scopes: input.allow_scopes.unwrap_or_default(),
        labels,
        token_endpoint_auth_method: input.token_endpoint_auth_method.unwrap_or_default(),
        jwks: input.jwks.flatten(),
        introspection_allowed: input.introspection_allowed.unwrap_or(false),
        login_requests_answered_by_client: input.login_requests_answered_by_client.unwrap_or(false),
        created_at: now,
        updated_at: now,
    })
    .and_then(check_keys)
}

/// RFC 7523 §2.2: a `private_key_jwt` client needs the keys its assertions are checked with.
fn check_keys(client: Client) -> Result<Client, ApiError> {
    if client.token_endpoint_auth_method == TokenEndpointAuthMethod::PrivateKeyJwt && client.jwks.is_none() {
        let reason = "is required when token_endpoint_auth_method is private_key_jwt";
        return Err(ApiError::invalid_field("jwks", crate::domain::Invalid::new("required", reason)));
    }
    Ok(client)
}

fn new_secret(hash: String, now: DateTime<Utc>) -> NewSecret {
    NewSecret { info: SecretInfo { id: Uuid::new_v4(), enabled: true, created_at: now, updated_at: now }, hash }
}

/// A given secret replaces the client's secrets unless it already is one of them, so
/// repeating the same PUT (declarative configuration) does not churn secrets.
async fn secret_change(
    state: &AppState,
    auth_server_id: Uuid,
    id: &ClientId,
    secret: Option<&ClientSecret>,
    now: DateTime<Utc>,
) -> Result<Option<NewSecret>, ApiError> {
    let Some(secret) = secret else {
        return Ok(None);
    };
    let current = store::client_secrets::enabled_hashes(&state.store, auth_server_id, id).await?;
    if state.cache.hasher().matches_any(secret, current).await? {
        return Ok(None);
    }
    Ok(Some(new_secret(state.cache.hasher().hash(secret).await?, now)))
}

/// A registered client (RFC 7591) answers to whoever registered it: its credentials never sign
/// users in, whatever an admin sets.
async fn refuse_login_answers_by_registered_client(
    state: &AppState,
    auth_server_id: Uuid,
    id: &ClientId,
    input: &ClientInput,
) -> Result<(), ApiError> {
    if input.login_requests_answered_by_client != Some(true) {
        return Ok(());
    }
    if store::registrations::registration(&state.store, auth_server_id, id).await?.is_some() {
        let reason = "must be false for a client registered through dynamic client registration";
        return Err(ApiError::invalid_field(
            "login_requests_answered_by_client",
            crate::domain::Invalid::new("registered_client", reason),
        ));
    }
    Ok(())
}

fn name_taken(name: &str) -> ApiError {
    ApiError::conflict(format!("A client named [{name}] already exists in this auth server"))
}

fn not_found(id: &ClientId) -> ApiError {
    ApiError::not_found(format!("Client [{id}] not found"))
}

/// Maps the store errors of client writes: name conflicts, unknown scopes, vanished parents.
fn write_errors(id: &ClientId, name: &str) -> impl FnOnce(&store::Error) -> Option<ApiError> {
    move |error| match error {
        store::Error::Conflict { constraint } if constraint == "clients_auth_server_id_name_key" => {
            Some(name_taken(name))
        }
        store::Error::Conflict { constraint } if constraint == "clients_auth_server_id_id_key" => {
            Some(ApiError::conflict(format!("A client with id [{id}] was created concurrently; retry")))
        }
        store::Error::NotFound => Some(not_found(id)),
        other => missing_scopes("allow_scopes")(other),
    }
}

async fn create(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
    json: ApiJson,
) -> Result<(StatusCode, Json<CreatedClientView>), ApiError> {
    let auth_server_id = ids.auth_server()?;
    require_auth_server(&state, auth_server_id).await?;
    let input = read_input(json, Mode::Create)?;
    let now = state.now();
    let client = build(input, ClientId::generate(), auth_server_id, now)?;
    // A duplicate name is refused before Argon2 runs.
    if store::clients::name_taken(&state.store, auth_server_id, &client.name, None).await? {
        return Err(name_taken(client.name.as_str()));
    }
    let secret = match client.token_endpoint_auth_method {
        TokenEndpointAuthMethod::PrivateKeyJwt => None,
        _ => Some(ClientSecret::generate()),
    };
    let stored_secret = match &secret {
        Some(secret) => Some(new_secret(state.cache.hasher().hash(secret).await?, now)),
        None => None,
    };
    store::clients::insert(&state.store, &client, stored_secret.as_ref(), &origin)
        .await
        .on_store_error(write_errors(&client.id, client.name.as_str()))?;
    let created = CreatedClientView { client: view(client), client_secret: secret.map(|s| s.expose().to_owned()) };
    Ok((StatusCode::CREATED, Json(created)))
}

async fn list(
    State(state): State<AppState>,
    ids: PathIds,
    query: QueryPairs,
) -> Result<Json<Page<ClientView>>, ApiError> {
    let auth_server_id = ids.auth_server()?;
    let params = list_params(&query, &store::clients::LIST)?;
    require_auth_server(&state, auth_server_id).await?;
    let page = store::clients::list(&state.store, auth_server_id, &params).await?;
    Ok(Json(Page::new(page, &params, view)))
}

async fn get(State(state): State<AppState>, ids: PathIds) -> Result<Json<ClientView>, ApiError> {
    let auth_server_id = ids.auth_server()?;
    let id = ids.client()?;
    require_auth_server(&state, auth_server_id).await?;
    let client = store::clients::get(&state.store, auth_server_id, &id)
        .await
        .on_store_error(|e| matches!(e, store::Error::NotFound).then(|| not_found(&id)))?;
    Ok(Json(view(client)))
}

async fn update(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
    json: ApiJson,
) -> Result<Json<ClientView>, ApiError> {
    let auth_server_id = ids.auth_server()?;
    let id = ids.client()?;
    require_auth_server(&state, auth_server_id).await?;
    let input = read_input(json, Mode::Update)?;
    refuse_login_answers_by_registered_client(&state, auth_server_id, &id, &input).await?;
    let now = state.now();
    if let Some(name) = &input.name {
        if store::clients::name_taken(&state.store, auth_server_id, name, Some(&id)).await? {
            return Err(name_taken(name.as_str()));
        }
    }
    let secret = secret_change(&state, auth_server_id, &id, input.client_secret.as_ref(), now).await?;
    let new_name = input.name.as_ref().map(|n| n.as_str().to_owned()).unwrap_or_default();
    let client = store::clients::modify(&state.store, auth_server_id, &id, secret.as_ref(), &origin, |mut client| {
        client.name = input.name.unwrap_or(client.name);
        client.grant_types = input.grant_types.unwrap_or(client.grant_types);
        client.response_types = input.response_types.unwrap_or(client.response_types);
        client.redirect_uris = input.redirect_uris.unwrap_or(client.redirect_uris);
        client.login_uri = input.login_uri.unwrap_or(client.login_uri);
        client.access_token_duration = input.access_token_duration.unwrap_or(client.access_token_duration);
        client.id_token_duration = input.id_token_duration.unwrap_or(client.id_token_duration);
        client.allow_all_scopes = input.allow_all_scopes.unwrap_or(client.allow_all_scopes);
        client.allow_scopes = input.allow_scopes.unwrap_or(client.allow_scopes);
        client.token_endpoint_auth_method =
            input.token_endpoint_auth_method.unwrap_or(client.token_endpoint_auth_method);
        client.jwks = input.jwks.unwrap_or(client.jwks);
        client.introspection_allowed = input.introspection_allowed.unwrap_or(client.introspection_allowed);
        client.login_requests_answered_by_client =
            input.login_requests_answered_by_client.unwrap_or(client.login_requests_answered_by_client);
        client.labels = match input.labels {
            Some(LabelsChange::Merge(changes)) => {
                client.labels.merged(changes).map_err(|e| ApiError::invalid_field("labels", e))?
            }
            Some(LabelsChange::Replace(labels)) => labels,
            Some(LabelsChange::Clear) => Labels::default(),
            None => client.labels,
        };
        client.updated_at = now;
        Ok::<_, WriteError>(check_keys(client)?)
    })
    .await
    .map_err(|e| e.resolve(write_errors(&id, &new_name)))?;
    Ok(Json(view(client)))
}

/// PUT: replace the client, or import it with the caller's id and secret.
async fn replace(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
    json: ApiJson,
) -> Result<(StatusCode, Json<ClientView>), ApiError> {
    let auth_server_id = ids.auth_server()?;
    let id = ids.client()?;
    require_auth_server(&state, auth_server_id).await?;
    let mut input = read_input(json, Mode::Replace)?;
    refuse_login_answers_by_registered_client(&state, auth_server_id, &id, &input).await?;
    let now = state.now();
    // A name another client has is refused before Argon2 runs.
    if let Some(name) = &input.name {
        if store::clients::name_taken(&state.store, auth_server_id, name, Some(&id)).await? {
            return Err(name_taken(name.as_str()));
        }
    }
    let secret = input.client_secret.take();
    let stored_secret = secret_change(&state, auth_server_id, &id, secret.as_ref(), now).await?;
    let (named_introspection, named_login) = (input.introspection_allowed, input.login_requests_answered_by_client);
    let client = build(input, id.clone(), auth_server_id, now)?;
    // Kong's API knows nothing of Tessera's capabilities: a PUT (a declarative tool re-applying
    // Kong's fields) that does not name one keeps it, so a gateway client keeps introspecting.
    let keep_capabilities = |existing: &Client, mut replaced: Client| {
        replaced.introspection_allowed = named_introspection.unwrap_or(existing.introspection_allowed);
        replaced.login_requests_answered_by_client = named_login.unwrap_or(existing.login_requests_answered_by_client);
        replaced
    };
    let (client, outcome) =
        store::clients::put(&state.store, &client, stored_secret.as_ref(), &origin, keep_capabilities)
            .await
            .on_store_error(write_errors(&id, client.name.as_str()))?;
    let status = match outcome {
        Put::Created => StatusCode::CREATED,
        Put::Replaced => StatusCode::OK,
    };
    Ok((status, Json(view(client))))
}

async fn delete(State(state): State<AppState>, origin: Origin, ids: PathIds) -> Result<StatusCode, ApiError> {
    let auth_server_id = ids.auth_server()?;
    let id = ids.client()?;
    require_auth_server(&state, auth_server_id).await?;
    let deleted = Resource::client(auth_server_id, &id).event(&origin, "deleted", Vec::new());
    let revoked = store::clients::delete(&state.store, auth_server_id, &id, deleted)
        .await
        .on_store_error(|e| matches!(e, store::Error::NotFound).then(|| not_found(&id)))?;
    state.cache.add_revocations(revoked);
    Ok(StatusCode::NO_CONTENT)
}
