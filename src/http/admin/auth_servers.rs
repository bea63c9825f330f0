//! /v1/auth-servers

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use std::collections::BTreeMap;
use uuid::Uuid;

use crate::domain::admin::{Access, Origin};
use crate::domain::auth_server::{self, AuthServer, IssuerSlug, SigningAlgorithm};
use crate::domain::{Invalid, Labels, Name};
use crate::http::error::ResultExt;
use crate::http::extract::{ApiJson, PathIds, QueryPairs};
use crate::http::routes::{AUTH_SERVER, AUTH_SERVERS, JWKS_SUFFIX, METADATA_SUFFIX, Urls};
use crate::http::validate::{
    Body, boolean, integer, nullable, nullable_string_map, present, string, string_map, strings,
};
use crate::http::{ApiError, AppState, Routes};
use crate::store;

use super::{Page, WriteError, auth_server_not_found, list_params, timestamp};

pub fn routes() -> Routes<AppState> {
    Routes::default()
        .get(AUTH_SERVERS, list)
        .post(AUTH_SERVERS, create)
        .get(AUTH_SERVER, get)
        .patch(AUTH_SERVER, update)
        .delete(AUTH_SERVER, delete)
}

#[derive(Serialize)]
pub struct AuthServerView {
    id: Uuid,
    name: String,
    description: String,
    audience: String,
    signing_algorithm: &'static str,
    issuer: String,
    metadata_uri: String,
    jwks_uri: String,
    labels: Labels,
    trusted_origins: Vec<String>,
    require_pkce: bool,
    rate_limit_per_second: Option<u32>,
    created_at: String,
    updated_at: String,
}

fn view(server: AuthServer, urls: &Urls) -> AuthServerView {
    let issuer = urls.issuer(&server.issuer_slug);
    AuthServerView {
        id: server.id,
        name: server.name.as_str().to_owned(),
        description: server.description,
        audience: server.audience,
        signing_algorithm: server.signing_algorithm.as_str(),
        metadata_uri: format!("{issuer}{METADATA_SUFFIX}"),
        jwks_uri: format!("{issuer}{JWKS_SUFFIX}"),
        issuer,
        labels: server.labels,
        trusted_origins: server.trusted_origins.iter().map(|o| o.as_str().to_owned()).collect(),
        require_pkce: server.require_pkce,
        rate_limit_per_second: server.rate_limit_per_second,
        created_at: timestamp(server.created_at),
        updated_at: timestamp(server.updated_at),
    }
}

const FIELDS: [&str; 8] = [
    "name",
    "description",
    "audience",
    "signing_algorithm",
    "labels",
    "trusted_origins",
    "require_pkce",
    "rate_limit_per_second",
];

/// `null` (unlimited) or 1 to 1,000,000 token requests per second.
fn rate_limit(value: serde_json::Value) -> Result<Option<u32>, Invalid> {
    nullable(value, |v| auth_server::parse_rate_limit(integer(v)?))
}

fn name_taken(name: &str) -> impl FnOnce() -> ApiError + '_ {
    move || ApiError::conflict(format!("An auth server named [{name}] already exists"))
}

async fn create(
    State(state): State<AppState>,
    origin: Origin,
    json: ApiJson,
) -> Result<(StatusCode, Json<AuthServerView>), ApiError> {
    let mut body = Body::new(json, &FIELDS);
    let name = body.required("name", |v| Name::parse(string(v)?));
    let description = body.optional("description", |v| auth_server::parse_description(string(v)?));
    let audience = body.required("audience", |v| auth_server::parse_audience(string(v)?));
    let signing_algorithm = body.optional("signing_algorithm", |v| SigningAlgorithm::parse(&string(v)?));
    let labels = body.optional("labels", |v| Labels::parse(string_map(v)?));
    let trusted_origins = body.optional("trusted_origins", |v| auth_server::parse_trusted_origins(strings(v)?));
    let require_pkce = body.optional("require_pkce", boolean);
    let rate_limit_per_second = body.optional("rate_limit_per_second", rate_limit);
    body.finish()?;

    let now = state.now();
    let id = Uuid::new_v4();
    let algorithm = signing_algorithm.unwrap_or_default();
    let key =
        crate::keys::new_key(state.cache.sealer(), id, algorithm, state.now()).await.map_err(ApiError::internal)?;
    let server = AuthServer {
        id,
        name: present(name)?,
        description: description.unwrap_or_default(),
        audience: present(audience)?,
        signing_algorithm: algorithm,
        issuer_slug: IssuerSlug::generate(),
        labels: labels.unwrap_or_default(),
        trusted_origins: trusted_origins.unwrap_or_default(),
        require_pkce: require_pkce.unwrap_or(false),
        rate_limit_per_second: rate_limit_per_second.flatten(),
        created_at: now,
        updated_at: now,
    };
    store::auth_servers::insert(&state.store, &server, &key, &origin)
        .await
        .on_constraint("auth_servers_name_key", name_taken(server.name.as_str()))?;
    // Its slug may have been looked up (and remembered as unknown) here before.
    state.cache.invalidate(&store::changes::Change::Server(id));
    Ok((StatusCode::CREATED, Json(view(server, &state.urls))))
}

/// A scoped credential lists only its auth servers.
async fn list(
    State(state): State<AppState>,
    access: Access,
    query: QueryPairs,
) -> Result<Json<Page<AuthServerView>>, ApiError> {
    let params = list_params(&query, &store::auth_servers::LIST)?;
    let page = store::auth_servers::list(&state.store, &params, access.auth_server_scope()).await?;
    Ok(Json(Page::new(page, &params, |server| view(server, &state.urls))))
}

async fn get(State(state): State<AppState>, ids: PathIds) -> Result<Json<AuthServerView>, ApiError> {
    let id = ids.auth_server()?;
    let server = store::auth_servers::get(&state.store, id).await.or_not_found(|| format!("Auth server [{id}]"))?;
    Ok(Json(view(server, &state.urls)))
}

async fn update(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
    json: ApiJson,
) -> Result<Json<AuthServerView>, ApiError> {
    let id = ids.auth_server()?;
    let mut body = Body::new(json, &FIELDS);
    let name = body.optional("name", |v| Name::parse(string(v)?));
    let description = body.optional("description", |v| auth_server::parse_description(string(v)?));
    let audience = body.optional("audience", |v| auth_server::parse_audience(string(v)?));
    let signing_algorithm = body.optional("signing_algorithm", |v| SigningAlgorithm::parse(&string(v)?));
    let labels: Option<Option<BTreeMap<String, Option<String>>>> =
        body.optional("labels", |v| nullable(v, nullable_string_map));
    let trusted_origins = body.optional("trusted_origins", |v| auth_server::parse_trusted_origins(strings(v)?));
    let require_pkce = body.optional("require_pkce", boolean);
    let rate_limit_per_second = body.optional("rate_limit_per_second", rate_limit);
    body.finish()?;

    let new_name = name.as_ref().map(|n| n.as_str().to_owned()).unwrap_or_default();
    // A new algorithm needs a key of its own; the old key stays published (see store).
    let new_key = match signing_algorithm {
        Some(algorithm) => Some(
            crate::keys::new_key(state.cache.sealer(), id, algorithm, state.now()).await.map_err(ApiError::internal)?,
        ),
        None => None,
    };
    let server = store::auth_servers::modify(&state.store, id, new_key.as_ref(), &origin, |mut server| {
        if let Some(name) = name {
            server.name = name;
        }
        if let Some(description) = description {
            server.description = description;
        }
        if let Some(audience) = audience {
            server.audience = audience;
        }
        if let Some(algorithm) = signing_algorithm {
            server.signing_algorithm = algorithm;
        }
        match labels {
            Some(Some(changes)) => {
                server.labels = server.labels.merged(changes).map_err(|e| ApiError::invalid_field("labels", e))?;
            }
            Some(None) => server.labels = Labels::default(),
            None => {}
        }
        if let Some(origins) = trusted_origins {
            server.trusted_origins = origins;
        }
        if let Some(require) = require_pkce {
            server.require_pkce = require;
        }
        if let Some(rate) = rate_limit_per_second {
            server.rate_limit_per_second = rate;
        }
        server.updated_at = state.now();
        Ok::<_, WriteError>(server)
    })
    .await
    .map_err(|e| {
        e.resolve(|e| match e {
            store::Error::NotFound => Some(auth_server_not_found(id)),
            store::Error::Conflict { constraint } if constraint == "auth_servers_name_key" => {
                Some(name_taken(&new_name)())
            }
            _ => None,
        })
    })?;
    Ok(Json(view(server, &state.urls)))
}

async fn delete(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
    QueryPairs(query): QueryPairs,
) -> Result<StatusCode, ApiError> {
    let id = ids.auth_server()?;
    let mut force = false;
    for (name, value) in &query {
        match (name.as_str(), value.as_str()) {
            ("force", "true") => force = true,
            ("force", "false") => force = false,
            ("force", _) => {
                return Err(ApiError::invalid_at("query", "force", Invalid::one_of(&["true", "false"])));
            }
            _ => {
                return Err(ApiError::invalid_at(
                    "query",
                    name,
                    Invalid::new("unknown_property", "is not a supported query parameter"),
                ));
            }
        }
    }
    match store::auth_servers::delete(&state.store, id, force, &origin)
        .await
        .or_not_found(|| format!("Auth server [{id}]"))?
    {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(dependents) => Err(ApiError::invalid_at(
            "query",
            "force",
            Invalid::new(
                "invalid",
                format!(
                    "the auth server still has {} scopes, {} claims and {} clients; delete them first or pass force=true",
                    dependents.scopes, dependents.claims, dependents.clients
                ),
            ),
        )),
    }
}
