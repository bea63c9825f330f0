//! /v1/auth-servers/{authServerId}/keys: a Tessera extension to see and rotate signing keys.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use serde::Serialize;

use crate::http::error::ResultExt;
use crate::http::extract::PathIds;
use crate::http::routes::{ROTATE_SIGNING_KEY, SIGNING_KEYS};
use crate::http::{ApiError, AppState, Routes};
use crate::keys::RETIRED_KEY_PUBLISH_SECONDS;
use crate::store::{self, signing_keys::StoredKey};

use super::{auth_server_not_found, timestamp};

pub fn routes() -> Routes<AppState> {
    Routes::default().get(SIGNING_KEYS, list).post(ROTATE_SIGNING_KEY, rotate)
}

/// A published key: never its private half.
#[derive(Serialize)]
struct KeyView {
    kid: String,
    algorithm: &'static str,
    /// Signs new tokens; otherwise retired and published until the tokens it signed expire.
    active: bool,
    created_at: String,
    retired_at: Option<String>,
    public_jwk: serde_json::Value,
}

fn view(key: StoredKey) -> KeyView {
    KeyView {
        kid: key.kid,
        algorithm: key.algorithm.as_str(),
        active: key.retired_at.is_none(),
        created_at: timestamp(key.created_at),
        retired_at: key.retired_at.map(timestamp),
        public_jwk: key.public_jwk,
    }
}

#[derive(Serialize)]
struct KeyList {
    data: Vec<KeyView>,
}

async fn list(State(state): State<AppState>, ids: PathIds) -> Result<Json<KeyList>, ApiError> {
    let id = ids.auth_server()?;
    super::require_auth_server(&state, id).await?;
    let keys = store::signing_keys::published(&state.store, id, Utc::now(), RETIRED_KEY_PUBLISH_SECONDS).await?;
    Ok(Json(KeyList { data: keys.into_iter().map(view).collect() }))
}

/// A new key signs from now on; the old one stays in the JWKS until its tokens expire.
async fn rotate(State(state): State<AppState>, ids: PathIds) -> Result<(StatusCode, Json<KeyView>), ApiError> {
    let id = ids.auth_server()?;
    let server = store::auth_servers::get(&state.store, id).await.or_not_found(|| format!("Auth server [{id}]"))?;
    let key = crate::keys::new_key(state.cache.sealer(), id, server.signing_algorithm, Utc::now())
        .await
        .map_err(ApiError::internal)?;
    store::signing_keys::rotate(&state.store, &key)
        .await
        .on_store_error(|e| matches!(e, store::Error::NotFound).then(|| auth_server_not_found(id)))?;
    Ok((StatusCode::CREATED, Json(view(key))))
}
