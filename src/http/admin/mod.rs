//! /v1/auth-servers and everything below it, shaped like Kong Identity's management API.

mod admin_credentials;
mod api_keys;
pub(crate) mod audit_events;
mod auth_servers;
mod basic_auths;
mod claims;
mod client_secrets;
mod clients;
mod directories;
mod exchange_policies;
mod identities;
mod login_requests;
mod lookup;
pub mod permissions;
mod principals;
mod registration;
mod resources;
mod scopes;
mod signing_keys;
mod test_claim;
mod tokens;
mod trusted_issuers;

use axum::Router;
use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{RawPathParams, Request, State};
use axum::http::Method;
use axum::middleware::{self, Next};
use axum::response::Response;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::list::{ListParams, ListSchema};
use crate::store::{self, ListPage};

use super::error::InvalidParameter;
use super::extract::{self, QueryPairs};
use super::{ApiError, AppState, Routes};

/// What issuers serve: a successful write here drops the auth server from this node's caches
/// at once (other nodes follow the change feed).
fn configuration() -> Routes<AppState> {
    auth_servers::routes()
        .merge(scopes::routes())
        .merge(trusted_issuers::routes())
        .merge(resources::routes())
        .merge(claims::routes())
        .merge(clients::routes())
        .merge(client_secrets::routes())
        .merge(exchange_policies::routes())
        .merge(tokens::routes())
        .merge(signing_keys::routes())
        .merge(registration::policy_routes())
}

/// Trying templates, issuing registration tokens and reading the audit log change no cached
/// configuration: they must not flush the node's caches (and with them every verified secret).
fn no_configuration() -> Routes<AppState> {
    test_claim::routes()
        .merge(registration::token_routes())
        .merge(admin_credentials::routes())
        .merge(audit_events::routes())
        .merge(lookup::routes())
        .merge(super::console::api_routes())
}

/// What the lookup API answers from: a successful write here drops the directory's answers
/// from this node's cache at once (other nodes follow the change feed).
fn directory_contents() -> Routes<AppState> {
    directories::routes()
        .merge(principals::routes())
        .merge(api_keys::routes())
        .merge(identities::routes())
        .merge(basic_auths::routes())
}

/// Login pages answer login requests, with the admin token or their client's credentials (see
/// [`extract::Caller`]); a sign-in changes no configuration either.
fn login_requests() -> Routes<AppState> {
    login_requests::routes()
}

/// Every /v1 route, for the route table.
pub fn routes() -> Routes<AppState> {
    configuration().merge(no_configuration()).merge(directory_contents()).merge(login_requests())
}

/// The /v1 routes, each group with its caller check and what its writes invalidate.
pub fn router(state: &AppState) -> Router<AppState> {
    let admin = || middleware::from_fn_with_state(state.clone(), extract::require_admin);
    let latency = || middleware::from_fn_with_state(state.clone(), super::track_latency);
    Router::new()
        .merge(
            configuration()
                .into_router()
                .route_layer(latency())
                .layer(middleware::from_fn_with_state(state.clone(), invalidate_after_writes))
                .layer(admin()),
        )
        .merge(no_configuration().into_router().route_layer(latency()).layer(admin()))
        .merge(
            directory_contents()
                .into_router()
                .route_layer(latency())
                .layer(middleware::from_fn_with_state(state.clone(), invalidate_directory_after_writes))
                .layer(admin()),
        )
        .merge(
            login_requests()
                .into_router()
                .route_layer(latency())
                .layer(middleware::from_fn_with_state(state.clone(), extract::require_admin_or_login_page)),
        )
}

/// RFC 3339 with microseconds, as Kong prints it: `2025-09-19T20:59:43.302149Z`.
pub(crate) fn timestamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Micros, true)
}

#[derive(Serialize)]
pub(crate) struct PageMeta {
    number: u32,
    size: u32,
    total: i64,
}

#[derive(Serialize)]
pub(crate) struct Meta {
    page: PageMeta,
}

/// `{ "data": [...], "meta": { "page": { "number", "size", "total" } } }`
#[derive(Serialize)]
pub(crate) struct Page<T> {
    data: Vec<T>,
    meta: Meta,
}

impl<T> Page<T> {
    pub(crate) fn new<U>(page: ListPage<U>, params: &ListParams, view: impl FnMut(U) -> T) -> Page<T> {
        Page {
            data: page.items.into_iter().map(view).collect(),
            meta: Meta { page: PageMeta { number: params.page_number, size: params.page_size, total: page.total } },
        }
    }
}

pub(crate) fn list_params(QueryPairs(pairs): &QueryPairs, schema: &ListSchema) -> Result<ListParams, ApiError> {
    ListParams::parse(pairs, schema).map_err(|errors| {
        ApiError::invalid(
            errors.into_iter().map(|(field, invalid)| InvalidParameter::new(&field, "query", invalid)).collect(),
        )
    })
}

/// 404 unless the auth server exists; nested resources answer this before anything else.
pub(crate) async fn require_auth_server(state: &AppState, id: Uuid) -> Result<(), ApiError> {
    if store::auth_servers::exists(&state.store, id).await? { Ok(()) } else { Err(auth_server_not_found(id)) }
}

/// The auth server and the client must exist; answers 404 naming the one that does not.
pub(crate) async fn require_client(
    state: &AppState,
    ids: &super::extract::PathIds,
) -> Result<(Uuid, crate::domain::ClientId), ApiError> {
    use super::error::ResultExt;
    let auth_server_id = ids.auth_server()?;
    let client_id = ids.client()?;
    require_auth_server(state, auth_server_id).await?;
    store::clients::get(&state.store, auth_server_id, &client_id)
        .await
        .or_not_found(|| format!("Client [{client_id}]"))?;
    Ok((auth_server_id, client_id))
}

pub(crate) fn auth_server_not_found(id: Uuid) -> ApiError {
    ApiError::not_found(format!("Auth server [{id}] not found"))
}

/// A store error for a write below an auth server: a vanished parent is a 404.
pub(crate) fn parent_gone(auth_server_id: Uuid) -> impl FnOnce(&store::Error) -> Option<ApiError> {
    move |error| matches!(error, store::Error::ForeignKey).then(|| auth_server_not_found(auth_server_id))
}

/// Scope ids that do not belong to the auth server, reported against `field`; a reference
/// that vanished mid-request is a conflict.
pub(crate) fn missing_scopes(field: &'static str) -> impl FnOnce(&store::Error) -> Option<ApiError> {
    move |error| match error {
        store::Error::MissingScopes(ids) => Some(ApiError::missing_scopes(field, ids)),
        // The auth server or a scope vanished between our checks and the write.
        store::Error::ForeignKey => {
            Some(ApiError::conflict("The auth server or a referenced scope was deleted while this request ran; retry"))
        }
        _ => None,
    }
}

/// An error inside a read-modify-write: the store's, kept for the call site to map, or a
/// validation problem found against the current state.
pub(crate) enum WriteError {
    Store(store::Error),
    Api(ApiError),
}

impl From<store::Error> for WriteError {
    fn from(error: store::Error) -> Self {
        WriteError::Store(error)
    }
}

impl From<ApiError> for WriteError {
    fn from(error: ApiError) -> Self {
        WriteError::Api(error)
    }
}

impl WriteError {
    pub(crate) fn resolve(self, handle: impl FnOnce(&store::Error) -> Option<ApiError>) -> ApiError {
        match self {
            WriteError::Store(error) => handle(&error).unwrap_or_else(|| ApiError::from(error)),
            WriteError::Api(error) => error,
        }
    }
}

/// After a successful write below an auth server, drops what this node cached about it, so
/// the next token request here sees the change at once (other nodes follow the change feed).
async fn invalidate_after_writes(
    State(state): State<AppState>,
    params: Result<RawPathParams, RawPathParamsRejection>,
    request: Request,
    next: Next,
) -> Response {
    let write = request.method() != Method::GET;
    let auth_server = params.ok().and_then(|params| {
        params.iter().find(|(name, _)| *name == "authServerId").and_then(|(_, id)| Uuid::parse_str(id).ok())
    });
    let response = next.run(request).await;
    if let (true, Some(id)) = (write && response.status().is_success(), auth_server) {
        state.cache.invalidate_all_of(id);
    }
    response
}

/// After a successful write in a directory, drops the lookup answers this node cached for it.
async fn invalidate_directory_after_writes(
    State(state): State<AppState>,
    params: Result<RawPathParams, RawPathParamsRejection>,
    request: Request,
    next: Next,
) -> Response {
    let write = request.method() != Method::GET;
    let directory = params.ok().and_then(|params| {
        params.iter().find(|(name, _)| *name == "directoryId").and_then(|(_, id)| Uuid::parse_str(id).ok())
    });
    let response = next.run(request).await;
    if let (true, Some(id)) = (write && response.status().is_success(), directory) {
        state.cache.invalidate(&crate::store::changes::Change::Directory(id));
    }
    response
}
