//! /v1/auth-servers/{authServerId}/client-registration: the Dynamic Client Registration policy
//! and its initial access tokens (RFC 7591 §3), a Tessera extension of the management API.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::TimeDelta;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::domain::admin::Origin;
use crate::domain::client::parse_list;
use crate::domain::registration::{
    INITIAL_ACCESS_TOKEN_PREFIX, InitialAccessToken, REGISTRATION_ACCESS_TOKEN_PREFIX, RegistrationPolicy,
    StoredPolicy, generate_token,
};
use crate::domain::secret::token_digest;
use crate::domain::{GrantType, Invalid, Labels, LoginUri, TokenDuration, TokenEndpointAuthMethod, check_length};
use crate::http::error::ResultExt;
use crate::http::extract::{ApiJson, PathIds, QueryPairs};
use crate::http::routes::{
    CLIENT_REGISTRATION, INITIAL_ACCESS_TOKEN, INITIAL_ACCESS_TOKENS, REGISTER_SUFFIX, REGISTRATION_ACCESS_TOKEN,
};
use crate::http::validate::{
    Body, boolean, integer, nullable, nullable_string_map, string, string_map, strings, unique_uuids,
};
use crate::http::{ApiError, AppState, Routes};
use crate::store;

use super::{Page, WriteError, auth_server_not_found, list_params, missing_scopes, require_auth_server, timestamp};

/// The registration policy, which issuers serve (discovery's `registration_endpoint`).
pub fn policy_routes() -> Routes<AppState> {
    Routes::default()
        .get(CLIENT_REGISTRATION, get_policy)
        .put(CLIENT_REGISTRATION, replace_policy)
        .patch(CLIENT_REGISTRATION, update_policy)
}

/// Initial and registration access tokens, which no cache holds.
pub fn token_routes() -> Routes<AppState> {
    Routes::default()
        .get(INITIAL_ACCESS_TOKENS, list_tokens)
        .post(INITIAL_ACCESS_TOKENS, create_token)
        .get(INITIAL_ACCESS_TOKEN, get_token)
        .delete(INITIAL_ACCESS_TOKEN, delete_token)
        .post(REGISTRATION_ACCESS_TOKEN, replace_registration_access_token)
}

#[derive(Serialize)]
struct PolicyView {
    enabled: bool,
    open_registration: bool,
    allowed_grant_types: Vec<&'static str>,
    default_grant_types: Vec<&'static str>,
    allowed_token_endpoint_auth_methods: Vec<&'static str>,
    allow_all_scopes: bool,
    allowed_scopes: Vec<Uuid>,
    default_scopes: Vec<Uuid>,
    default_access_token_duration: i64,
    max_access_token_duration: i64,
    default_id_token_duration: i64,
    max_id_token_duration: i64,
    login_uri: Option<String>,
    labels: Labels,
    max_registered_clients: i64,
    /// Where registrations are sent: the issuer's RFC 7591 endpoint.
    registration_endpoint: String,
    created_at: Option<String>,
    updated_at: Option<String>,
}

fn policy_view(policy: RegistrationPolicy, stored: Option<&StoredPolicy>, registration_endpoint: String) -> PolicyView {
    let grants = |items: &[GrantType]| items.iter().map(|g| g.as_str()).collect();
    PolicyView {
        enabled: policy.enabled,
        open_registration: policy.open_registration,
        allowed_grant_types: grants(&policy.allowed_grant_types),
        default_grant_types: grants(&policy.default_grant_types),
        allowed_token_endpoint_auth_methods: policy
            .allowed_token_endpoint_auth_methods
            .iter()
            .map(|m| m.as_str())
            .collect(),
        allow_all_scopes: policy.allow_all_scopes,
        allowed_scopes: policy.allowed_scopes,
        default_scopes: policy.default_scopes,
        default_access_token_duration: policy.default_access_token_duration.seconds(),
        max_access_token_duration: policy.max_access_token_duration.seconds(),
        default_id_token_duration: policy.default_id_token_duration.seconds(),
        max_id_token_duration: policy.max_id_token_duration.seconds(),
        login_uri: policy.login_uri.map(|u| u.as_str().to_owned()),
        labels: policy.labels,
        max_registered_clients: policy.max_registered_clients,
        registration_endpoint,
        created_at: stored.map(|s| timestamp(s.created_at)),
        updated_at: stored.map(|s| timestamp(s.updated_at)),
    }
}

async fn registration_endpoint(state: &AppState, auth_server_id: Uuid) -> Result<String, ApiError> {
    let server = store::auth_servers::get(&state.store, auth_server_id)
        .await
        .on_store_error(|e| matches!(e, store::Error::NotFound).then(|| auth_server_not_found(auth_server_id)))?;
    Ok(format!("{}{REGISTER_SUFFIX}", state.urls.issuer(&server.issuer_slug)))
}

const POLICY_FIELDS: [&str; 15] = [
    "enabled",
    "open_registration",
    "allowed_grant_types",
    "default_grant_types",
    "allowed_token_endpoint_auth_methods",
    "allow_all_scopes",
    "allowed_scopes",
    "default_scopes",
    "default_access_token_duration",
    "max_access_token_duration",
    "default_id_token_duration",
    "max_id_token_duration",
    "login_uri",
    "labels",
    "max_registered_clients",
];

/// Writes every field the body sets onto `policy`, collecting all problems in one 400. A PATCH
/// merges `labels` (RFC 7396, as every PATCH here does); a PUT replaces them.
fn read_policy(json: ApiJson, mut policy: RegistrationPolicy, patch: bool) -> Result<RegistrationPolicy, ApiError> {
    let mut body = Body::new(json, &POLICY_FIELDS);
    let grants = |v: Value| strings(v).and_then(|l| parse_list(l, GrantType::parse));
    let duration = |v: Value| TokenDuration::parse(integer(v)?);
    if let Some(v) = body.optional("enabled", boolean) {
        policy.enabled = v;
    }
    if let Some(v) = body.optional("open_registration", boolean) {
        policy.open_registration = v;
    }
    if let Some(v) = body.optional("allowed_grant_types", grants) {
        policy.allowed_grant_types = v;
    }
    if let Some(v) = body.optional("default_grant_types", grants) {
        policy.default_grant_types = v;
    }
    let methods = |v: Value| strings(v).and_then(|l| parse_list(l, TokenEndpointAuthMethod::parse));
    if let Some(v) = body.optional("allowed_token_endpoint_auth_methods", methods) {
        policy.allowed_token_endpoint_auth_methods = v;
    }
    if let Some(v) = body.optional("allow_all_scopes", boolean) {
        policy.allow_all_scopes = v;
    }
    if let Some(v) = body.optional("allowed_scopes", unique_uuids) {
        policy.allowed_scopes = v;
    }
    if let Some(v) = body.optional("default_scopes", unique_uuids) {
        policy.default_scopes = v;
    }
    if let Some(v) = body.optional("default_access_token_duration", duration) {
        policy.default_access_token_duration = v;
    }
    if let Some(v) = body.optional("max_access_token_duration", duration) {
        policy.max_access_token_duration = v;
    }
    if let Some(v) = body.optional("default_id_token_duration", duration) {
        policy.default_id_token_duration = v;
    }
    if let Some(v) = body.optional("max_id_token_duration", duration) {
        policy.max_id_token_duration = v;
    }
    if let Some(v) = body.optional("login_uri", |v| nullable(v, |v| LoginUri::parse(string(v)?))) {
        policy.login_uri = v;
    }
    let most = RegistrationPolicy::MAX_REGISTERED_CLIENTS;
    if let Some(v) = body.optional("max_registered_clients", |v| bounded(integer(v)?, 1, most)) {
        policy.max_registered_clients = v;
    }
    if patch {
        let merged = body.optional("labels", |v| match nullable(v, nullable_string_map)? {
            Some(changes) => policy.labels.merged(changes),
            None => Ok(Labels::default()),
        });
        if let Some(labels) = merged {
            policy.labels = labels;
        }
    } else if let Some(v) = body.optional("labels", |v| Labels::parse(string_map(v)?)) {
        policy.labels = v;
    }
    body.finish()?;
    policy.check().map_err(|problem| ApiError::invalid_field(problem.0, problem.1))?;
    Ok(policy)
}

async fn get_policy(State(state): State<AppState>, ids: PathIds) -> Result<Json<PolicyView>, ApiError> {
    let auth_server_id = ids.auth_server()?;
    let endpoint = registration_endpoint(&state, auth_server_id).await?;
    let stored = store::registrations::policy(&state.store, auth_server_id).await?;
    let policy = stored.as_ref().map(|s| s.policy.clone()).unwrap_or_default();
    Ok(Json(policy_view(policy, stored.as_ref(), endpoint)))
}

async fn write_policy(
    state: &AppState,
    origin: &Origin,
    auth_server_id: Uuid,
    json: ApiJson,
    replace: bool,
) -> Result<Json<PolicyView>, ApiError> {
    let endpoint = registration_endpoint(state, auth_server_id).await?;
    let stored = store::registrations::modify_policy(&state.store, auth_server_id, origin.at, origin, |current| {
        let base = if replace { RegistrationPolicy::default() } else { current };
        read_policy(json, base, !replace).map_err(WriteError::Api)
    })
    .await
    .map_err(|e| {
        e.resolve(|error| match error {
            store::Error::NotFound => Some(auth_server_not_found(auth_server_id)),
            other => missing_scopes("allowed_scopes")(other),
        })
    })?;
    Ok(Json(policy_view(stored.policy.clone(), Some(&stored), endpoint)))
}

/// PUT: the whole policy; fields left out take their defaults.
async fn replace_policy(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
    json: ApiJson,
) -> Result<Json<PolicyView>, ApiError> {
    write_policy(&state, &origin, ids.auth_server()?, json, true).await
}

/// PATCH: only the fields given change.
async fn update_policy(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
    json: ApiJson,
) -> Result<Json<PolicyView>, ApiError> {
    write_policy(&state, &origin, ids.auth_server()?, json, false).await
}

#[derive(Serialize)]
struct TokenView {
    id: Uuid,
    description: String,
    max_uses: Option<i64>,
    uses: i64,
    expires_at: Option<String>,
    created_at: String,
    last_used_at: Option<String>,
}

/// The token as created: the only response that carries its value.
#[derive(Serialize)]
struct CreatedTokenView {
    #[serde(flatten)]
    info: TokenView,
    /// The bearer value to send as `Authorization: Bearer` to the registration endpoint.
    token: String,
}

fn token_view(token: InitialAccessToken) -> TokenView {
    TokenView {
        id: token.id,
        description: token.description,
        max_uses: token.max_uses,
        uses: token.uses,
        expires_at: token.expires_at.map(timestamp),
        created_at: timestamp(token.created_at),
        last_used_at: token.last_used_at.map(timestamp),
    }
}

fn token_not_found(id: Uuid) -> impl FnOnce() -> String {
    move || format!("Initial access token [{id}]")
}

/// Most registrations one initial access token may be given.
const MAX_USES: i64 = 1_000_000;

async fn create_token(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
    json: ApiJson,
) -> Result<(StatusCode, Json<CreatedTokenView>), ApiError> {
    let auth_server_id = ids.auth_server()?;
    require_auth_server(&state, auth_server_id).await?;
    let mut body = Body::new(json, &["description", "expires_in", "max_uses"]);
    let description = body.optional("description", |v| {
        let text = string(v)?;
        check_length(&text, 0, InitialAccessToken::MAX_DESCRIPTION_LENGTH).map(|()| text)
    });
    let expires_in = body.optional("expires_in", |v| bounded(integer(v)?, 60, InitialAccessToken::MAX_EXPIRES_IN));
    let max_uses = body.optional("max_uses", |v| bounded(integer(v)?, 1, MAX_USES));
    body.finish()?;
    let now = state.now();
    let value = generate_token(INITIAL_ACCESS_TOKEN_PREFIX);
    let token = InitialAccessToken {
        id: Uuid::new_v4(),
        auth_server_id,
        description: description.unwrap_or_default(),
        max_uses,
        uses: 0,
        expires_at: expires_in.map(|seconds| now + TimeDelta::seconds(seconds)),
        created_at: now,
        last_used_at: None,
    };
    store::registrations::insert_initial_token(&state.store, &token, &token_digest(&value), &origin)
        .await
        .on_store_error(super::parent_gone(auth_server_id))?;
    Ok((StatusCode::CREATED, Json(CreatedTokenView { info: token_view(token), token: value })))
}

fn bounded(value: i64, min: i64, max: i64) -> Result<i64, Invalid> {
    if value < min {
        return Err(Invalid::min(min));
    }
    if value > max {
        return Err(Invalid::max(max));
    }
    Ok(value)
}

async fn list_tokens(
    State(state): State<AppState>,
    ids: PathIds,
    query: QueryPairs,
) -> Result<Json<Page<TokenView>>, ApiError> {
    let auth_server_id = ids.auth_server()?;
    let params = list_params(&query, &store::registrations::INITIAL_TOKENS)?;
    require_auth_server(&state, auth_server_id).await?;
    let page = store::registrations::list_initial_tokens(&state.store, auth_server_id, &params).await?;
    Ok(Json(Page::new(page, &params, token_view)))
}

async fn get_token(State(state): State<AppState>, ids: PathIds) -> Result<Json<TokenView>, ApiError> {
    let auth_server_id = ids.auth_server()?;
    let id = ids.initial_access_token()?;
    require_auth_server(&state, auth_server_id).await?;
    let token = store::registrations::initial_token(&state.store, auth_server_id, id)
        .await
        .or_not_found(token_not_found(id))?;
    Ok(Json(token_view(token)))
}

/// Revokes the token: registrations that present it are refused from now on.
async fn delete_token(State(state): State<AppState>, origin: Origin, ids: PathIds) -> Result<StatusCode, ApiError> {
    let auth_server_id = ids.auth_server()?;
    let id = ids.initial_access_token()?;
    require_auth_server(&state, auth_server_id).await?;
    store::registrations::delete_initial_token(&state.store, auth_server_id, id, &origin)
        .await
        .or_not_found(token_not_found(id))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
struct RegistrationAccessTokenView {
    registration_access_token: String,
    registration_client_uri: String,
}

/// Issues a registered client a new registration access token (RFC 7592 §1.2); the old one
/// stops opening the client's configuration endpoint at once.
async fn replace_registration_access_token(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
) -> Result<(StatusCode, Json<RegistrationAccessTokenView>), ApiError> {
    let (auth_server_id, client_id) = super::require_client(&state, &ids).await?;
    let endpoint = registration_endpoint(&state, auth_server_id).await?;
    let value = generate_token(REGISTRATION_ACCESS_TOKEN_PREFIX);
    store::registrations::replace_access_token(
        &state.store,
        auth_server_id,
        &client_id,
        &token_digest(&value),
        origin.at,
        &origin,
    )
    .await
    .on_store_error(|e| {
        matches!(e, store::Error::NotFound).then(|| {
            ApiError::not_found(format!("Client [{client_id}] was not registered through Dynamic Client Registration"))
        })
    })?;
    let view = RegistrationAccessTokenView {
        registration_access_token: value,
        registration_client_uri: format!("{endpoint}/{client_id}"),
    };
    Ok((StatusCode::CREATED, Json(view)))
}
