//! /v1/auth-servers/{authServerId}/clients/{clientId}/tokens: issued tokens and revocation.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use uuid::Uuid;

use crate::domain::admin::Origin;
use crate::domain::token::TokenRecord;
use crate::http::error::ResultExt;
use crate::http::extract::{PathIds, QueryPairs};
use crate::http::routes::{CLIENT_TOKEN, CLIENT_TOKENS};
use crate::http::{ApiError, AppState, Routes};
use crate::store;

use super::{Page, list_params, require_client, timestamp};

pub fn routes() -> Routes<AppState> {
    Routes::default()
        .get(CLIENT_TOKENS, list)
        .delete(CLIENT_TOKENS, revoke_all)
        .get(CLIENT_TOKEN, get)
        .delete(CLIENT_TOKEN, revoke)
}

#[derive(Serialize)]
struct TokenView {
    id: Uuid,
    granted_scope_names: Vec<String>,
    created_at: String,
    expires_at: String,
}

fn view(token: TokenRecord) -> TokenView {
    TokenView {
        id: token.id,
        granted_scope_names: token.granted_scope_names,
        created_at: timestamp(token.created_at),
        expires_at: timestamp(token.expires_at),
    }
}

async fn list(
    State(state): State<AppState>,
    ids: PathIds,
    query: QueryPairs,
) -> Result<Json<Page<TokenView>>, ApiError> {
    let params = list_params(&query, &store::tokens::LIST)?;
    let (auth_server_id, client_id) = require_client(&state, &ids).await?;
    let page = store::tokens::list(&state.store, auth_server_id, &client_id, state.now(), &params).await?;
    Ok(Json(Page::new(page, &params, view)))
}

async fn get(State(state): State<AppState>, ids: PathIds) -> Result<Json<TokenView>, ApiError> {
    let id = ids.token()?;
    let (auth_server_id, client_id) = require_client(&state, &ids).await?;
    let token = store::tokens::get(&state.store, auth_server_id, &client_id, id, state.now())
        .await
        .or_not_found(|| format!("Token [{id}]"))?;
    Ok(Json(view(token)))
}

/// Revokes one token: introspection reports it inactive on every node within a second.
async fn revoke(State(state): State<AppState>, origin: Origin, ids: PathIds) -> Result<StatusCode, ApiError> {
    let id = ids.token()?;
    let (auth_server_id, client_id) = require_client(&state, &ids).await?;
    let now = state.now();
    let expires = store::tokens::get(&state.store, auth_server_id, &client_id, id, now)
        .await
        .or_not_found(|| format!("Token [{id}]"))?
        .expires_at;
    store::tokens::revoke(&state.store, auth_server_id, &client_id, id, now, &origin)
        .await
        .or_not_found(|| format!("Token [{id}]"))?;
    state.cache.add_revocations([(id, expires.timestamp())]);
    Ok(StatusCode::NO_CONTENT)
}

/// Revokes every live token of the client.
async fn revoke_all(State(state): State<AppState>, origin: Origin, ids: PathIds) -> Result<StatusCode, ApiError> {
    let (auth_server_id, client_id) = require_client(&state, &ids).await?;
    let now = state.now();
    let revoked = store::tokens::revoke_all(&state.store, auth_server_id, &client_id, now, &origin).await?;
    state.cache.add_revocations(revoked);
    Ok(StatusCode::NO_CONTENT)
}
