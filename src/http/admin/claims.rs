//! /v1/auth-servers/{authServerId}/claims

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use uuid::Uuid;

use crate::domain::admin::Origin;
use crate::domain::{Claim, Name, claim};
use crate::http::error::ResultExt;
use crate::http::extract::{ApiJson, PathIds, QueryPairs};
use crate::http::routes::{CLAIM, CLAIMS};
use crate::http::validate::{Body, boolean, dedup_uuids, present, string};
use crate::http::{ApiError, AppState, Routes};
use crate::store;

use super::{Page, list_params, missing_scopes, require_auth_server, timestamp};

pub fn routes() -> Routes<AppState> {
    Routes::default().get(CLAIMS, list).post(CLAIMS, create).get(CLAIM, get).patch(CLAIM, update).delete(CLAIM, delete)
}

#[derive(Serialize)]
struct ClaimView {
    id: Uuid,
    name: String,
    value: String,
    include_in_token: bool,
    include_in_all_scopes: bool,
    include_in_scopes: Vec<Uuid>,
    enabled: bool,
    created_at: String,
    updated_at: String,
}

fn view(claim: Claim) -> ClaimView {
    ClaimView {
        id: claim.id,
        name: claim.name.as_str().to_owned(),
        value: claim.value,
        include_in_token: claim.include_in_token,
        include_in_all_scopes: claim.include_in_all_scopes,
        include_in_scopes: claim.include_in_scopes,
        enabled: claim.enabled,
        created_at: timestamp(claim.created_at),
        updated_at: timestamp(claim.updated_at),
    }
}

const FIELDS: [&str; 6] =
    ["name", "value", "include_in_token", "include_in_all_scopes", "include_in_scopes", "enabled"];

/// RFC 9068 §2.2: names the issuer sets itself cannot be custom claims.
fn claim_name(value: serde_json::Value) -> Result<Name, crate::domain::Invalid> {
    let name = Name::parse(string(value)?)?;
    if crate::claims::is_registered(name.as_str()) {
        return Err(crate::domain::Invalid::new(
            "invalid",
            format!("{} is a registered claim that Tessera sets itself", name.as_str()),
        ));
    }
    Ok(name)
}

/// A static value or a template that parses, naming only known functions and fields.
fn claim_value(value: serde_json::Value) -> Result<String, crate::domain::Invalid> {
    let value = claim::parse_value(string(value)?)?;
    crate::claims::check_value(&value)?;
    Ok(value)
}

fn not_found(id: Uuid) -> String {
    format!("Claim [{id}]")
}

async fn create(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
    json: ApiJson,
) -> Result<(StatusCode, Json<ClaimView>), ApiError> {
    let auth_server_id = ids.auth_server()?;
    require_auth_server(&state, auth_server_id).await?;
    let mut body = Body::new(json, &FIELDS);
    let name = body.required("name", claim_name);
    let value = body.required("value", claim_value);
    let include_in_token = body.optional("include_in_token", boolean);
    let include_in_all_scopes = body.optional("include_in_all_scopes", boolean);
    let include_in_scopes = body.optional("include_in_scopes", dedup_uuids);
    let enabled = body.optional("enabled", boolean);
    body.finish()?;

    let now = state.now();
    let claim = Claim {
        id: Uuid::new_v4(),
        auth_server_id,
        name: present(name)?,
        value: present(value)?,
        include_in_token: include_in_token.unwrap_or(false),
        include_in_all_scopes: include_in_all_scopes.unwrap_or(false),
        include_in_scopes: include_in_scopes.unwrap_or_default(),
        enabled: enabled.unwrap_or(true),
        created_at: now,
        updated_at: now,
    };
    store::claims::insert(&state.store, &claim, &origin).await.on_store_error(missing_scopes("include_in_scopes"))?;
    Ok((StatusCode::CREATED, Json(view(claim))))
}

async fn list(
    State(state): State<AppState>,
    ids: PathIds,
    query: QueryPairs,
) -> Result<Json<Page<ClaimView>>, ApiError> {
    let auth_server_id = ids.auth_server()?;
    let params = list_params(&query, &store::claims::LIST)?;
    require_auth_server(&state, auth_server_id).await?;
    let page = store::claims::list(&state.store, auth_server_id, &params).await?;
    Ok(Json(Page::new(page, &params, view)))
}

async fn get(State(state): State<AppState>, ids: PathIds) -> Result<Json<ClaimView>, ApiError> {
    let (auth_server_id, id) = (ids.auth_server()?, ids.claim()?);
    require_auth_server(&state, auth_server_id).await?;
    let claim = store::claims::get(&state.store, auth_server_id, id).await.or_not_found(|| not_found(id))?;
    Ok(Json(view(claim)))
}

async fn update(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
    json: ApiJson,
) -> Result<Json<ClaimView>, ApiError> {
    let (auth_server_id, id) = (ids.auth_server()?, ids.claim()?);
    require_auth_server(&state, auth_server_id).await?;
    let mut body = Body::new(json, &FIELDS);
    let name = body.optional("name", claim_name);
    let value = body.optional("value", claim_value);
    let include_in_token = body.optional("include_in_token", boolean);
    let include_in_all_scopes = body.optional("include_in_all_scopes", boolean);
    let include_in_scopes = body.optional("include_in_scopes", dedup_uuids);
    let enabled = body.optional("enabled", boolean);
    body.finish()?;

    let claim = store::claims::modify(&state.store, auth_server_id, id, &origin, |mut claim| {
        claim.name = name.unwrap_or(claim.name);
        claim.value = value.unwrap_or(claim.value);
        claim.include_in_token = include_in_token.unwrap_or(claim.include_in_token);
        claim.include_in_all_scopes = include_in_all_scopes.unwrap_or(claim.include_in_all_scopes);
        claim.include_in_scopes = include_in_scopes.unwrap_or(claim.include_in_scopes);
        claim.enabled = enabled.unwrap_or(claim.enabled);
        claim.updated_at = state.now();
        Ok::<_, store::Error>(claim)
    })
    .await
    .on_store_error(|e| match e {
        store::Error::NotFound => Some(ApiError::not_found(format!("{} not found", not_found(id)))),
        other => missing_scopes("include_in_scopes")(other),
    })?;
    Ok(Json(view(claim)))
}

async fn delete(State(state): State<AppState>, origin: Origin, ids: PathIds) -> Result<StatusCode, ApiError> {
    let (auth_server_id, id) = (ids.auth_server()?, ids.claim()?);
    require_auth_server(&state, auth_server_id).await?;
    store::claims::delete(&state.store, auth_server_id, id, &origin).await.or_not_found(|| not_found(id))?;
    Ok(StatusCode::NO_CONTENT)
}
