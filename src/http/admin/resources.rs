//! /v1/auth-servers/{authServerId}/resources: the APIs an auth server issues tokens for,
//! named by URI (RFC 8707 resource indicators), with the scopes that belong to each.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use uuid::Uuid;

use crate::domain::admin::Origin;
use crate::domain::resource::{self, MAX_RESOURCES, Resource};
use crate::http::error::ResultExt;
use crate::http::extract::{ApiJson, PathIds, QueryPairs};
use crate::http::routes::{RESOURCE, RESOURCES};
use crate::http::validate::{Body, present, string, uuids};
use crate::http::{ApiError, AppState, Routes};
use crate::store;

use super::{Page, auth_server_not_found, list_params, parent_gone, require_auth_server, timestamp};

pub fn routes() -> Routes<AppState> {
    Routes::default()
        .get(RESOURCES, list)
        .post(RESOURCES, create)
        .get(RESOURCE, get)
        .patch(RESOURCE, update)
        .delete(RESOURCE, delete)
}

#[derive(Serialize)]
struct ResourceView {
    id: Uuid,
    uri: String,
    description: String,
    scopes: Vec<Uuid>,
    created_at: String,
    updated_at: String,
}

fn view(resource: Resource) -> ResourceView {
    ResourceView {
        id: resource.id,
        uri: resource.uri,
        description: resource.description,
        scopes: resource.scopes,
        created_at: timestamp(resource.created_at),
        updated_at: timestamp(resource.updated_at),
    }
}

const FIELDS: [&str; 3] = ["uri", "description", "scopes"];

/// A body as read for create (`uri` required) or update (every field optional).
struct Input {
    uri: Option<String>,
    description: Option<String>,
    scopes: Option<Vec<Uuid>>,
}

fn read_input(json: ApiJson, create: bool) -> Result<Input, ApiError> {
    let mut body = Body::new(json, &FIELDS);
    let uri = |v| resource::parse_uri(string(v)?);
    let uri = if create { body.required("uri", uri) } else { body.optional("uri", uri) };
    let description = body.optional("description", |v| resource::parse_description(string(v)?));
    let scopes = body.optional("scopes", |v| resource::parse_scopes(uuids(v)?));
    body.finish()?;
    Ok(Input { uri, description, scopes })
}

/// The store's answer to a write, in the API's words.
fn write_error(auth_server_id: Uuid, uri: String) -> impl FnOnce(&store::Error) -> Option<ApiError> {
    move |error| match error {
        store::Error::Conflict { constraint } if constraint == store::resources::URI_KEY => {
            Some(ApiError::conflict(format!("A resource with uri [{uri}] already exists in this auth server")))
        }
        store::Error::LimitReached => Some(ApiError::bad_request(format!(
            "An auth server can have at most {MAX_RESOURCES} resources: delete one before adding another"
        ))),
        // The auth server was deleted while this request ran.
        store::Error::NotFound => Some(auth_server_not_found(auth_server_id)),
        other => parent_gone(auth_server_id)(other),
    }
}

fn not_found(id: Uuid) -> String {
    format!("Resource [{id}]")
}

async fn create(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
    json: ApiJson,
) -> Result<(StatusCode, Json<ResourceView>), ApiError> {
    let auth_server_id = ids.auth_server()?;
    require_auth_server(&state, auth_server_id).await?;
    let input = read_input(json, true)?;

    let now = state.now();
    let resource = Resource {
        id: Uuid::new_v4(),
        auth_server_id,
        uri: present(input.uri)?,
        description: input.description.unwrap_or_default(),
        scopes: input.scopes.unwrap_or_default(),
        created_at: now,
        updated_at: now,
    };
    store::resources::insert(&state.store, &resource, &origin)
        .await
        .on_store_error(write_error(auth_server_id, resource.uri.clone()))?;
    Ok((StatusCode::CREATED, Json(view(resource))))
}

async fn list(
    State(state): State<AppState>,
    ids: PathIds,
    query: QueryPairs,
) -> Result<Json<Page<ResourceView>>, ApiError> {
    let auth_server_id = ids.auth_server()?;
    let params = list_params(&query, &store::resources::LIST)?;
    require_auth_server(&state, auth_server_id).await?;
    let page = store::resources::list(&state.store, auth_server_id, &params).await?;
    Ok(Json(Page::new(page, &params, view)))
}

async fn get(State(state): State<AppState>, ids: PathIds) -> Result<Json<ResourceView>, ApiError> {
    let (auth_server_id, id) = (ids.auth_server()?, ids.resource()?);
    require_auth_server(&state, auth_server_id).await?;
    let resource = store::resources::get(&state.store, auth_server_id, id).await.or_not_found(|| not_found(id))?;
    Ok(Json(view(resource)))
}

async fn update(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
    json: ApiJson,
) -> Result<Json<ResourceView>, ApiError> {
    let (auth_server_id, id) = (ids.auth_server()?, ids.resource()?);
    require_auth_server(&state, auth_server_id).await?;
    let input = read_input(json, false)?;

    let new_uri = input.uri.clone().unwrap_or_default();
    let resource = store::resources::modify(&state.store, auth_server_id, id, &origin, |mut resource| {
        resource.uri = input.uri.unwrap_or(resource.uri);
        resource.description = input.description.unwrap_or(resource.description);
        resource.scopes = input.scopes.unwrap_or(resource.scopes);
        resource.updated_at = state.now();
        Ok::<_, store::Error>(resource)
    })
    .await
    .on_store_error(|e| match e {
        store::Error::NotFound => Some(ApiError::not_found(format!("{} not found", not_found(id)))),
        other => write_error(auth_server_id, new_uri)(other),
    })?;
    Ok(Json(view(resource)))
}

async fn delete(State(state): State<AppState>, origin: Origin, ids: PathIds) -> Result<StatusCode, ApiError> {
    let (auth_server_id, id) = (ids.auth_server()?, ids.resource()?);
    require_auth_server(&state, auth_server_id).await?;
    store::resources::delete(&state.store, auth_server_id, id, &origin).await.or_not_found(|| not_found(id))?;
    Ok(StatusCode::NO_CONTENT)
}
