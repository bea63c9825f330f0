//! /v1/auth-servers/{authServerId}/clients/{clientId}/token-exchange-policy: whether and how a
//! client may exchange tokens (RFC 8693), one policy per client, replaced as a whole.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use uuid::Uuid;

use crate::domain::ClientId;
use crate::domain::admin::Origin;
use crate::domain::exchange_policy::{self, ExchangePolicy};
use crate::http::error::ResultExt;
use crate::http::extract::{ApiJson, PathIds};
use crate::http::routes::TOKEN_EXCHANGE_POLICY;
use crate::http::validate::{Body, boolean, strings, uuids};
use crate::http::{ApiError, AppState, Routes};
use crate::store;

use super::{require_client, timestamp};

pub fn routes() -> Routes<AppState> {
    Routes::default()
        .get(TOKEN_EXCHANGE_POLICY, get)
        .put(TOKEN_EXCHANGE_POLICY, replace)
        .delete(TOKEN_EXCHANGE_POLICY, delete)
}

#[derive(Serialize)]
struct PolicyView {
    client_id: String,
    accept_own_tokens: bool,
    trusted_issuer_ids: Vec<Uuid>,
    audiences: Vec<String>,
    scopes: Vec<Uuid>,
    allow_scope_widening: bool,
    allow_impersonation: bool,
    allow_delegation: bool,
    created_at: String,
    updated_at: String,
}

fn view(policy: ExchangePolicy) -> PolicyView {
    PolicyView {
        client_id: policy.client_id.as_str().to_owned(),
        accept_own_tokens: policy.accept_own_tokens,
        trusted_issuer_ids: policy.trusted_issuer_ids,
        audiences: policy.audiences,
        scopes: policy.scopes,
        allow_scope_widening: policy.allow_scope_widening,
        allow_impersonation: policy.allow_impersonation,
        allow_delegation: policy.allow_delegation,
        created_at: timestamp(policy.created_at),
        updated_at: timestamp(policy.updated_at),
    }
}

const FIELDS: [&str; 7] = [
    "accept_own_tokens",
    "trusted_issuer_ids",
    "audiences",
    "scopes",
    "allow_scope_widening",
    "allow_impersonation",
    "allow_delegation",
];

/// The policy a PUT body describes: every field optional, an absent one its default. Whether
/// what the lists name exists is the store's to check, in the writing transaction.
fn read_policy(
    json: ApiJson,
    auth_server_id: Uuid,
    client_id: ClientId,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ExchangePolicy, ApiError> {
    let mut body = Body::new(json, &FIELDS);
    let accept_own_tokens = body.optional("accept_own_tokens", boolean);
    let trusted_issuer_ids = body.optional("trusted_issuer_ids", |v| exchange_policy::parse_list(uuids(v)?));
    let audiences = body.optional("audiences", |v| exchange_policy::parse_list(strings(v)?));
    let scopes = body.optional("scopes", |v| exchange_policy::parse_list(uuids(v)?));
    let allow_scope_widening = body.optional("allow_scope_widening", boolean);
    let allow_impersonation = body.optional("allow_impersonation", boolean).unwrap_or(true);
    let allow_delegation = body.optional("allow_delegation", boolean).unwrap_or(false);
    let modes = ["allow_impersonation", "allow_delegation"];
    if !modes.iter().any(|field| body.has_error(field)) {
        if let Err(invalid) = exchange_policy::check_modes(allow_impersonation, allow_delegation) {
            modes.iter().for_each(|field| body.reject(field, invalid.clone()));
        }
    }
    body.finish()?;
    Ok(ExchangePolicy {
        auth_server_id,
        client_id,
        accept_own_tokens: accept_own_tokens.unwrap_or(true),
        trusted_issuer_ids: trusted_issuer_ids.unwrap_or_default(),
        audiences: audiences.unwrap_or_default(),
        scopes: scopes.unwrap_or_default(),
        allow_scope_widening: allow_scope_widening.unwrap_or(false),
        allow_impersonation,
        allow_delegation,
        created_at: now,
        updated_at: now,
    })
}

fn not_found(client_id: &ClientId) -> ApiError {
    ApiError::not_found(format!("Token exchange policy of client [{client_id}] not found"))
}

async fn get(State(state): State<AppState>, ids: PathIds) -> Result<Json<PolicyView>, ApiError> {
    let (auth_server_id, client_id) = require_client(&state, &ids).await?;
    let policy = store::exchange_policies::get(&state.store, auth_server_id, &client_id)
        .await
        .on_store_error(|e| matches!(e, store::Error::NotFound).then(|| not_found(&client_id)))?;
    Ok(Json(view(policy)))
}

async fn replace(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
    json: ApiJson,
) -> Result<Json<PolicyView>, ApiError> {
    let (auth_server_id, client_id) = require_client(&state, &ids).await?;
    let policy = read_policy(json, auth_server_id, client_id.clone(), state.now())?;
    let policy = store::exchange_policies::put(&state.store, &policy, &origin).await.on_store_error(|e| {
        // The client or its auth server was deleted while this request ran.
        matches!(e, store::Error::NotFound).then(|| ApiError::not_found(format!("Client [{client_id}] not found")))
    })?;
    Ok(Json(view(policy)))
}

async fn delete(State(state): State<AppState>, origin: Origin, ids: PathIds) -> Result<StatusCode, ApiError> {
    let (auth_server_id, client_id) = require_client(&state, &ids).await?;
    store::exchange_policies::delete(&state.store, auth_server_id, &client_id, &origin)
        .await
        .on_store_error(|e| matches!(e, store::Error::NotFound).then(|| not_found(&client_id)))?;
    Ok(StatusCode::NO_CONTENT)
}
