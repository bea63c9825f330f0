//! /v2/directories/{directoryId}/principals/{principalId}/api-keys: a principal's API keys,
//! generated (`v1`) or imported, shown once when created and stored only as lookup digests.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Serialize;
use uuid::Uuid;

use crate::domain::Invalid;
use crate::domain::admin::Origin;
use crate::domain::api_key::{ApiKey, ApiKeySecret, KeyKind};
use crate::domain::directory::ManagedBy;
use crate::http::error::{ResultExt, no_store};
use crate::http::extract::{ApiJson, PathIds, QueryPairs};
use crate::http::routes::{PRINCIPAL_API_KEY, PRINCIPAL_API_KEYS};
use crate::http::validate::{Body, nullable_string_map, present, string, string_map};
use crate::http::{ApiError, AppState, Routes};
use crate::store;

use super::admin_credentials::expiry;
use super::directories::{CursorPage, cursor_params};
use super::{WriteError, timestamp};

pub fn routes() -> Routes<AppState> {
    Routes::default()
        .post(PRINCIPAL_API_KEYS, create)
        .get(PRINCIPAL_API_KEYS, list)
        .get(PRINCIPAL_API_KEY, get)
        .patch(PRINCIPAL_API_KEY, update)
        .delete(PRINCIPAL_API_KEY, delete)
}

/// `KongPrincipalKey`, and `KongPrincipalKeyWithSecret` in the response that creates it.
#[derive(Serialize)]
struct KeyView {
    id: Uuid,
    /// Only in the response that creates the key.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
    expires_at: Option<String>,
    managed_by: ManagedBy,
    created_at: String,
    updated_at: String,
}

fn view(key: ApiKey, secret: Option<&ApiKeySecret>) -> KeyView {
    KeyView {
        id: key.id,
        secret: secret.map(|s| s.expose().to_owned()),
        expires_at: key.expires_at.map(timestamp),
        managed_by: key.managed_by,
        created_at: timestamp(key.created_at),
        updated_at: timestamp(key.updated_at),
    }
}

/// 404 naming what is missing: the directory, else the principal.
async fn require_principal(state: &AppState, directory_id: Uuid, principal_id: Uuid) -> Result<(), ApiError> {
    match store::principals::get(&state.store, directory_id, principal_id).await {
        Ok(_) => Ok(()),
        Err(store::Error::NotFound) => {
            store::directories::get(&state.store, directory_id)
                .await
                .or_not_found(|| format!("Directory [{directory_id}]"))?;
            Err(ApiError::not_found(format!("Principal [{principal_id}] not found")))
        }
        Err(other) => Err(other.into()),
    }
}

/// A missing key: the directory or principal may be what is missing.
async fn key_not_found(state: &AppState, directory_id: Uuid, principal_id: Uuid, id: Uuid) -> ApiError {
    match require_principal(state, directory_id, principal_id).await {
        Ok(()) => ApiError::not_found(format!("API key [{id}] not found")),
        Err(error) => error,
    }
}

fn duplicate() -> ApiError {
    ApiError::conflict("This API key already exists")
}

/// `CreatePrincipalKeyBody`: `type` picks the variant, and each variant takes only its own
/// fields (both say `additionalProperties: false`).
async fn create(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
    json: ApiJson,
) -> Result<impl IntoResponse, ApiError> {
    let (directory_id, principal_id) = (ids.directory()?, ids.principal()?);
    let now = origin.at;
    let mut body = Body::new(json, &["type", "secret", "expires_at", "managed_by"]);
    let kind = body.required("type", |v| KeyKind::parse(&string(v)?));
    let (secret, managed_by) = match kind {
        Some(KeyKind::Imported) => {
            let secret = body.required("secret", |v| ApiKeySecret::parse(string(v)?));
            if body.optional("managed_by", Ok).is_some() {
                body.reject("managed_by", Invalid::new("unknown_property", "is not a property of an imported key"));
            }
            (secret, None)
        }
        Some(KeyKind::Generated) => {
            if body.optional("secret", Ok).is_some() {
                body.reject("secret", Invalid::new("unknown_property", "is generated for a v1 key; import it instead"));
            }
            (Some(ApiKeySecret::generate()), body.optional("managed_by", |v| ManagedBy::parse(string_map(v)?)))
        }
        None => (None, None),
    };
    let expires_at = body.optional("expires_at", expiry(now));
    body.finish()?;
    let secret = present(secret)?;
    let key = ApiKey {
        id: Uuid::new_v4(),
        directory_id,
        principal_id,
        kind: present(kind)?,
        expires_at: expires_at.flatten(),
        managed_by: managed_by.unwrap_or_default(),
        created_at: now,
        updated_at: now,
    };
    let digests = state.api_key_digests.keys().await?.digests(&secret);
    match store::api_keys::insert(&state.store, &key, &digests, &origin).await {
        Err(store::Error::NotFound) => Err(match require_principal(&state, directory_id, principal_id).await {
            Ok(()) => ApiError::not_found(format!("Principal [{principal_id}] not found")),
            Err(error) => error,
        }),
        other => other.on_constraint(store::api_keys::DIGEST_KEY, duplicate),
    }?;
    // The only answer that carries the key: no cache keeps it (RFC 9111 §5.2.2.5).
    Ok((StatusCode::CREATED, no_store(), Json(view(key, Some(&secret)))))
}

async fn list(
    State(state): State<AppState>,
    ids: PathIds,
    query: QueryPairs,
) -> Result<Json<CursorPage<KeyView>>, ApiError> {
    let (directory_id, principal_id) = (ids.directory()?, ids.principal()?);
    let (params, kept) = cursor_params(&query, &store::api_keys::LIST)?;
    require_principal(&state, directory_id, principal_id).await?;
    let page = store::api_keys::list(&state.store, directory_id, principal_id, &params).await?;
    let base = PRINCIPAL_API_KEYS
        .replace("{directoryId}", &directory_id.to_string())
        .replace("{principalId}", &principal_id.to_string());
    Ok(Json(CursorPage::new(&base, &kept, page, &params, |key| view(key, None))))
}

async fn get(State(state): State<AppState>, ids: PathIds) -> Result<Json<KeyView>, ApiError> {
    let (directory_id, principal_id, id) = (ids.directory()?, ids.principal()?, ids.api_key()?);
    match store::api_keys::get(&state.store, directory_id, principal_id, id).await {
        Ok(key) => Ok(Json(view(key, None))),
        Err(store::Error::NotFound) => Err(key_not_found(&state, directory_id, principal_id, id).await),
        Err(other) => Err(other.into()),
    }
}

/// `UpdatePrincipalKeyBody`: `expires_at` (a future time, or null for none) and `managed_by`
/// (RFC 7396 merge: null removes an entry); the key itself never changes.
async fn update(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
    json: ApiJson,
) -> Result<Json<KeyView>, ApiError> {
    let (directory_id, principal_id, id) = (ids.directory()?, ids.principal()?, ids.api_key()?);
    let mut body = Body::new(json, &["expires_at", "managed_by"]);
    let expires_at = body.optional("expires_at", expiry(origin.at));
    let managed_by = body.optional("managed_by", nullable_string_map);
    body.finish()?;
    let updated = store::api_keys::modify(&state.store, (directory_id, principal_id, id), &origin, |mut key| {
        if let Some(expires_at) = expires_at {
            key.expires_at = expires_at;
        }
        if let Some(changes) = managed_by {
            key.managed_by =
                key.managed_by.merged(changes).map_err(|invalid| ApiError::invalid_field("managed_by", invalid))?;
        }
        Ok::<_, WriteError>(key)
    })
    .await;
    match updated {
        Ok(key) => Ok(Json(view(key, None))),
        Err(WriteError::Store(store::Error::NotFound)) => {
            Err(key_not_found(&state, directory_id, principal_id, id).await)
        }
        Err(other) => Err(other.resolve(|_| None)),
    }
}

async fn delete(State(state): State<AppState>, origin: Origin, ids: PathIds) -> Result<StatusCode, ApiError> {
    let (directory_id, principal_id, id) = (ids.directory()?, ids.principal()?, ids.api_key()?);
    match store::api_keys::delete(&state.store, directory_id, principal_id, id, &origin).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(store::Error::NotFound) => Err(key_not_found(&state, directory_id, principal_id, id).await),
        Err(other) => Err(other.into()),
    }
}
