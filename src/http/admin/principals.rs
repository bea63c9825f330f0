//! /v2/directories/{directoryId}/principals: the principals of a directory, shaped as Kong's
//! v2 description says.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::domain::admin::Origin;
use crate::domain::directory::ManagedBy;
use crate::domain::principal::{self, Metadata, PROVISIONED_BY_USER, Principal};
use crate::domain::{Invalid, Labels};
use crate::http::error::ResultExt;
use crate::http::extract::{ApiJson, PathIds, QueryPairs};
use crate::http::routes::{PRINCIPAL, PRINCIPALS};
use crate::http::validate::{Body, nullable_string_map, object, string, string_map};
use crate::http::{ApiError, AppState, Routes};
use crate::store;

use super::directories::{CursorPage, cursor_params};
use super::{WriteError, timestamp};

pub fn routes() -> Routes<AppState> {
    Routes::default()
        .post(PRINCIPALS, create)
        .get(PRINCIPALS, list)
        .get(PRINCIPAL, get)
        .put(PRINCIPAL, replace)
        .patch(PRINCIPAL, update)
        .delete(PRINCIPAL, delete)
}

#[derive(Serialize)]
struct PrincipalView {
    id: Uuid,
    display_name: String,
    description: String,
    metadata: Metadata,
    labels: Labels,
    managed_by: ManagedBy,
    provisioned_by: String,
    created_at: String,
    updated_at: String,
}

fn view(principal: Principal) -> PrincipalView {
    PrincipalView {
        id: principal.id,
        display_name: principal.display_name,
        description: principal.description,
        metadata: principal.metadata,
        labels: principal.labels,
        managed_by: principal.managed_by,
        provisioned_by: principal.provisioned_by,
        created_at: timestamp(principal.created_at),
        updated_at: timestamp(principal.updated_at),
    }
}

const FIELDS: [&str; 5] = ["display_name", "description", "metadata", "labels", "managed_by"];

fn not_found(id: Uuid) -> String {
    format!("Principal [{id}]")
}

fn directory_not_found(id: Uuid) -> ApiError {
    ApiError::not_found(format!("Directory [{id}] not found"))
}

fn text(value: Value) -> Result<String, Invalid> {
    principal::parse_text(string(value)?)
}

fn metadata(value: Value) -> Result<Metadata, Invalid> {
    Metadata::parse(object(value)?)
}

fn labels(value: Value) -> Result<Labels, Invalid> {
    Labels::parse(string_map(value)?)
}

fn managed_by(value: Value) -> Result<ManagedBy, Invalid> {
    ManagedBy::parse(string_map(value)?)
}

/// 404 unless the directory exists; nested resources answer this first.
pub(super) async fn require_directory(state: &AppState, id: Uuid) -> Result<(), ApiError> {
    match store::directories::get(&state.store, id).await {
        Ok(_) => Ok(()),
        Err(store::Error::NotFound) => Err(directory_not_found(id)),
        Err(e) => Err(e.into()),
    }
}

/// A whole principal (create and PUT): fields left out take their defaults.
fn read_whole(json: ApiJson, directory_id: Uuid, id: Uuid, origin: &Origin) -> Result<Principal, ApiError> {
    let mut body = Body::new(json, &FIELDS);
    let display_name = body.optional("display_name", text);
    let description = body.optional("description", text);
    let metadata = body.optional("metadata", metadata);
    let labels = body.optional("labels", labels);
    let managed_by = body.optional("managed_by", managed_by);
    body.finish()?;
    Ok(Principal {
        id,
        directory_id,
        display_name: display_name.unwrap_or_default(),
        description: description.unwrap_or_default(),
        metadata: metadata.unwrap_or_default(),
        labels: labels.unwrap_or_default(),
        managed_by: managed_by.unwrap_or_default(),
        provisioned_by: PROVISIONED_BY_USER.to_owned(),
        created_at: origin.at,
        updated_at: origin.at,
    })
}

async fn create(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
    json: ApiJson,
) -> Result<(StatusCode, Json<PrincipalView>), ApiError> {
    let directory_id = ids.directory()?;
    require_directory(&state, directory_id).await?;
    let principal = read_whole(json, directory_id, Uuid::new_v4(), &origin)?;
    store::principals::insert(&state.store, &principal, &origin)
        .await
        .on_store_error(|e| matches!(e, store::Error::ForeignKey).then(|| directory_not_found(directory_id)))?;
    Ok((StatusCode::CREATED, Json(view(principal))))
}

/// Kong's v2 label filter `filter[labels.env]=prod` is ours `filter[labels]=env:prod`.
fn translate_label_filters(QueryPairs(pairs): QueryPairs) -> QueryPairs {
    QueryPairs(
        pairs
            .into_iter()
            .map(|(name, value)| match name.strip_prefix("filter[labels.").and_then(|rest| rest.strip_suffix(']')) {
                Some(key) => ("filter[labels]".to_owned(), format!("{key}:{value}")),
                None => (name, value),
            })
            .collect(),
    )
}

async fn list(
    State(state): State<AppState>,
    ids: PathIds,
    query: QueryPairs,
) -> Result<Json<CursorPage<PrincipalView>>, ApiError> {
    let directory_id = ids.directory()?;
    let (params, kept) = cursor_params(&translate_label_filters(query), &store::principals::LIST)?;
    require_directory(&state, directory_id).await?;
    let page = store::principals::list(&state.store, directory_id, &params).await?;
    let base = PRINCIPALS.replace("{directoryId}", &directory_id.to_string());
    Ok(Json(CursorPage::new(&base, &kept, page, &params, view)))
}

async fn get(State(state): State<AppState>, ids: PathIds) -> Result<Json<PrincipalView>, ApiError> {
    let (directory_id, id) = (ids.directory()?, ids.principal()?);
    require_directory(&state, directory_id).await?;
    let principal = store::principals::get(&state.store, directory_id, id).await.or_not_found(|| not_found(id))?;
    Ok(Json(view(principal)))
}

fn write_error(id: Uuid) -> impl FnOnce(WriteError) -> ApiError {
    move |error| {
        error.resolve(|error| {
            matches!(error, store::Error::NotFound).then(|| ApiError::not_found(format!("{} not found", not_found(id))))
        })
    }
}

/// PUT: the whole principal; fields left out take their defaults.
async fn replace(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
    json: ApiJson,
) -> Result<Json<PrincipalView>, ApiError> {
    let (directory_id, id) = (ids.directory()?, ids.principal()?);
    let whole = read_whole(json, directory_id, id, &origin)?;
    require_directory(&state, directory_id).await?;
    let replaced = store::principals::modify(&state.store, directory_id, id, &origin, |current| {
        Ok::<_, WriteError>(Principal {
            created_at: current.created_at,
            provisioned_by: current.provisioned_by,
            ..whole
        })
    })
    .await
    .map_err(write_error(id))?;
    Ok(Json(view(replaced)))
}

/// PATCH: the fields given change; `metadata` and `labels` are replaced whole, `managed_by`
/// merges (Kong's `ManagedByUpdate`: a `null` value removes its key).
async fn update(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
    json: ApiJson,
) -> Result<Json<PrincipalView>, ApiError> {
    let (directory_id, id) = (ids.directory()?, ids.principal()?);
    let mut body = Body::new(json, &FIELDS);
    let display_name = body.optional("display_name", text);
    let description = body.optional("description", text);
    let metadata = body.optional("metadata", metadata);
    let labels = body.optional("labels", labels);
    let managed_by = body.optional("managed_by", nullable_string_map);
    body.finish()?;
    require_directory(&state, directory_id).await?;
    let updated = store::principals::modify(&state.store, directory_id, id, &origin, |mut principal| {
        if let Some(display_name) = display_name {
            principal.display_name = display_name;
        }
        if let Some(description) = description {
            principal.description = description;
        }
        if let Some(metadata) = metadata {
            principal.metadata = metadata;
        }
        if let Some(labels) = labels {
            principal.labels = labels;
        }
        if let Some(changes) = managed_by {
            principal.managed_by = principal
                .managed_by
                .merged(changes)
                .map_err(|invalid| WriteError::Api(ApiError::invalid_field("managed_by", invalid)))?;
        }
        Ok::<_, WriteError>(principal)
    })
    .await
    .map_err(write_error(id))?;
    Ok(Json(view(updated)))
}

async fn delete(State(state): State<AppState>, origin: Origin, ids: PathIds) -> Result<StatusCode, ApiError> {
    let (directory_id, id) = (ids.directory()?, ids.principal()?);
    require_directory(&state, directory_id).await?;
    store::principals::delete(&state.store, directory_id, id, &origin).await.or_not_found(|| not_found(id))?;
    Ok(StatusCode::NO_CONTENT)
}
