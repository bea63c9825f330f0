//! /v1/auth-servers/{authServerId}/scopes

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use uuid::Uuid;

use crate::domain::admin::Origin;
use crate::domain::{Scope, ScopeName, auth_server};
use crate::http::error::ResultExt;
use crate::http::extract::{ApiJson, PathIds, QueryPairs};
use crate::http::routes::{SCOPE, SCOPES};
use crate::http::validate::{Body, boolean, present, string};
use crate::http::{ApiError, AppState, Routes};
use crate::store;

use super::{Page, list_params, parent_gone, require_auth_server, timestamp};

pub fn routes() -> Routes<AppState> {
    Routes::default().get(SCOPES, list).post(SCOPES, create).get(SCOPE, get).patch(SCOPE, update).delete(SCOPE, delete)
}

#[derive(Serialize)]
struct ScopeView {
    id: Uuid,
    name: String,
    description: String,
    default: bool,
    include_in_metadata: bool,
    enabled: bool,
    created_at: String,
    updated_at: String,
}

fn view(scope: Scope) -> ScopeView {
    ScopeView {
        id: scope.id,
        name: scope.name.as_str().to_owned(),
        description: scope.description,
        default: scope.is_default,
        include_in_metadata: scope.include_in_metadata,
        enabled: scope.enabled,
        created_at: timestamp(scope.created_at),
        updated_at: timestamp(scope.updated_at),
    }
}

const FIELDS: [&str; 5] = ["name", "description", "default", "include_in_metadata", "enabled"];
const NAME_KEY: &str = "scopes_auth_server_id_name_key";

fn name_taken(name: &str) -> ApiError {
    ApiError::conflict(format!("A scope named [{name}] already exists in this auth server"))
}

fn not_found(id: Uuid) -> String {
    format!("Scope [{id}]")
}

async fn create(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
    json: ApiJson,
) -> Result<(StatusCode, Json<ScopeView>), ApiError> {
    let auth_server_id = ids.auth_server()?;
    require_auth_server(&state, auth_server_id).await?;
    let mut body = Body::new(json, &FIELDS);
    let name = body.required("name", |v| ScopeName::parse(string(v)?));
    let description = body.optional("description", |v| auth_server::parse_description(string(v)?));
    let is_default = body.optional("default", boolean);
    let include_in_metadata = body.optional("include_in_metadata", boolean);
    let enabled = body.optional("enabled", boolean);
    body.finish()?;

    let now = state.now();
    let scope = Scope {
        id: Uuid::new_v4(),
        auth_server_id,
        name: present(name)?,
        description: description.unwrap_or_default(),
        is_default: is_default.unwrap_or(false),
        include_in_metadata: include_in_metadata.unwrap_or(false),
        enabled: enabled.unwrap_or(true),
        created_at: now,
        updated_at: now,
    };
    store::scopes::insert(&state.store, &scope, &origin).await.on_store_error(|e| match e {
        store::Error::Conflict { constraint } if constraint == NAME_KEY => Some(name_taken(scope.name.as_str())),
        other => parent_gone(auth_server_id)(other),
    })?;
    Ok((StatusCode::CREATED, Json(view(scope))))
}

async fn list(
    State(state): State<AppState>,
    ids: PathIds,
    query: QueryPairs,
) -> Result<Json<Page<ScopeView>>, ApiError> {
    let auth_server_id = ids.auth_server()?;
    let params = list_params(&query, &store::scopes::LIST)?;
    require_auth_server(&state, auth_server_id).await?;
    let page = store::scopes::list(&state.store, auth_server_id, &params).await?;
    Ok(Json(Page::new(page, &params, view)))
}

async fn get(State(state): State<AppState>, ids: PathIds) -> Result<Json<ScopeView>, ApiError> {
    let (auth_server_id, id) = (ids.auth_server()?, ids.scope()?);
    require_auth_server(&state, auth_server_id).await?;
    let scope = store::scopes::get(&state.store, auth_server_id, id).await.or_not_found(|| not_found(id))?;
    Ok(Json(view(scope)))
}

async fn update(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
    json: ApiJson,
) -> Result<Json<ScopeView>, ApiError> {
    let (auth_server_id, id) = (ids.auth_server()?, ids.scope()?);
    require_auth_server(&state, auth_server_id).await?;
    let mut body = Body::new(json, &FIELDS);
    let name = body.optional("name", |v| ScopeName::parse(string(v)?));
    let description = body.optional("description", |v| auth_server::parse_description(string(v)?));
    let is_default = body.optional("default", boolean);
    let include_in_metadata = body.optional("include_in_metadata", boolean);
    let enabled = body.optional("enabled", boolean);
    body.finish()?;

    let new_name = name.as_ref().map(|n| n.as_str().to_owned()).unwrap_or_default();
    let scope = store::scopes::modify(&state.store, auth_server_id, id, &origin, |mut scope| {
        scope.name = name.unwrap_or(scope.name);
        scope.description = description.unwrap_or(scope.description);
        scope.is_default = is_default.unwrap_or(scope.is_default);
        scope.include_in_metadata = include_in_metadata.unwrap_or(scope.include_in_metadata);
        scope.enabled = enabled.unwrap_or(scope.enabled);
        scope.updated_at = state.now();
        Ok::<_, store::Error>(scope)
    })
    .await
    .on_store_error(|e| match e {
        store::Error::NotFound => Some(ApiError::not_found(format!("{} not found", not_found(id)))),
        store::Error::Conflict { constraint } if constraint == NAME_KEY => Some(name_taken(&new_name)),
        _ => None,
    })?;
    Ok(Json(view(scope)))
}

async fn delete(State(state): State<AppState>, origin: Origin, ids: PathIds) -> Result<StatusCode, ApiError> {
    let (auth_server_id, id) = (ids.auth_server()?, ids.scope()?);
    require_auth_server(&state, auth_server_id).await?;
    store::scopes::delete(&state.store, auth_server_id, id, &origin).await.or_not_found(|| not_found(id))?;
    Ok(StatusCode::NO_CONTENT)
}
