//! /v1/auth-servers/{authServerId}/clients/{clientId}/secrets

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use uuid::Uuid;

use crate::domain::ClientId;
use crate::domain::admin::Origin;
use crate::domain::secret::{ClientSecret, NewSecret, SecretInfo};
use crate::http::error::ResultExt;
use crate::http::extract::{ApiJson, PathIds, QueryPairs};
use crate::http::routes::{CLIENT_SECRET, CLIENT_SECRETS};
use crate::http::validate::{Body, boolean, string};
use crate::http::{ApiError, AppState, Routes};
use crate::store;

use super::{Page, list_params, require_client, timestamp};

pub fn routes() -> Routes<AppState> {
    Routes::default()
        .get(CLIENT_SECRETS, list)
        .post(CLIENT_SECRETS, create)
        .get(CLIENT_SECRET, get)
        .patch(CLIENT_SECRET, update)
        .delete(CLIENT_SECRET, delete)
}

#[derive(Serialize)]
struct SecretView {
    id: Uuid,
    enabled: bool,
    /// Only in the response that creates the secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
    created_at: String,
    updated_at: String,
}

fn view(info: SecretInfo, secret: Option<&ClientSecret>) -> SecretView {
    SecretView {
        id: info.id,
        enabled: info.enabled,
        secret: secret.map(|s| s.expose().to_owned()),
        created_at: timestamp(info.created_at),
        updated_at: timestamp(info.updated_at),
    }
}

fn secret_errors(client_id: &ClientId, secret_id: Option<Uuid>) -> impl FnOnce(&store::Error) -> Option<ApiError> + '_ {
    move |error| match (error, secret_id) {
        (store::Error::NotFound, Some(id)) => Some(ApiError::not_found(format!("Secret [{id}] not found"))),
        (store::Error::NotFound, None) => Some(ApiError::not_found(format!("Client [{client_id}] not found"))),
        _ => None,
    }
}

async fn create(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
    json: ApiJson,
) -> Result<(StatusCode, Json<SecretView>), ApiError> {
    let (auth_server_id, client_id) = require_client(&state, &ids).await?;
    let mut body = Body::new(json, &["secret", "enabled"]);
    let given = body.optional("secret", |v| ClientSecret::parse(string(v)?));
    let enabled = body.optional("enabled", boolean);
    body.finish()?;

    let client = store::clients::get(&state.store, auth_server_id, &client_id).await?;
    if client.token_endpoint_auth_method == crate::domain::TokenEndpointAuthMethod::PrivateKeyJwt {
        return Err(ApiError::forbidden(
            "A private_key_jwt client authenticates with its keys and has no secrets; change its token_endpoint_auth_method first",
        ));
    }
    // A third enabled secret is refused before Argon2 runs (and again when written).
    let enabled = enabled.unwrap_or(true);
    if enabled
        && store::client_secrets::enabled_hashes(&state.store, auth_server_id, &client_id).await?.len()
            >= usize::try_from(store::client_secrets::MAX_ENABLED).unwrap_or(2)
    {
        return Err(store::Error::SecretLimit.into());
    }
    let secret = given.unwrap_or_else(ClientSecret::generate);
    let now = state.now();
    let info = SecretInfo { id: Uuid::new_v4(), enabled, created_at: now, updated_at: now };
    let stored = NewSecret { info: info.clone(), hash: state.cache.hasher().hash(&secret).await? };
    store::client_secrets::insert(&state.store, auth_server_id, &client_id, &stored, &origin)
        .await
        .on_store_error(secret_errors(&client_id, None))?;
    Ok((StatusCode::CREATED, Json(view(info, Some(&secret)))))
}

async fn list(
    State(state): State<AppState>,
    ids: PathIds,
    query: QueryPairs,
) -> Result<Json<Page<SecretView>>, ApiError> {
    let params = list_params(&query, &store::client_secrets::LIST)?;
    let (auth_server_id, client_id) = require_client(&state, &ids).await?;
    let page = store::client_secrets::list(&state.store, auth_server_id, &client_id, &params).await?;
    Ok(Json(Page::new(page, &params, |info| view(info, None))))
}

async fn get(State(state): State<AppState>, ids: PathIds) -> Result<Json<SecretView>, ApiError> {
    let id = ids.secret()?;
    let (auth_server_id, client_id) = require_client(&state, &ids).await?;
    let info = store::client_secrets::get(&state.store, auth_server_id, &client_id, id)
        .await
        .on_store_error(secret_errors(&client_id, Some(id)))?;
    Ok(Json(view(info, None)))
}

async fn update(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
    json: ApiJson,
) -> Result<Json<SecretView>, ApiError> {
    let id = ids.secret()?;
    let (auth_server_id, client_id) = require_client(&state, &ids).await?;
    let mut body = Body::new(json, &["enabled"]);
    let enabled = body.optional("enabled", boolean);
    body.finish()?;
    let info = match enabled {
        // Optional in Kong's spec: without it nothing changes.
        None => store::client_secrets::get(&state.store, auth_server_id, &client_id, id).await,
        Some(enabled) => {
            store::client_secrets::set_enabled(
                &state.store,
                auth_server_id,
                &client_id,
                id,
                enabled,
                origin.at,
                &origin,
            )
            .await
        }
    }
    .on_store_error(secret_errors(&client_id, Some(id)))?;
    Ok(Json(view(info, None)))
}

async fn delete(State(state): State<AppState>, origin: Origin, ids: PathIds) -> Result<StatusCode, ApiError> {
    let id = ids.secret()?;
    let (auth_server_id, client_id) = require_client(&state, &ids).await?;
    store::client_secrets::delete(&state.store, auth_server_id, &client_id, id, &origin)
        .await
        .on_store_error(secret_errors(&client_id, Some(id)))?;
    Ok(StatusCode::NO_CONTENT)
}
