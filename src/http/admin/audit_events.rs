//! /v1/audit-events: the audit log (a Tessera extension), and the recording of failed /v1
//! authentications in it.

use std::net::IpAddr;

use axum::Json;
use axum::extract::State;

use crate::domain::admin::{Access, Actor, Origin};
use crate::domain::audit::Event;
use crate::http::extract::QueryPairs;
use crate::http::routes::AUDIT_EVENTS;
use crate::http::{ApiError, AppState, Routes};
use crate::store;

use super::{Page, list_params};

pub fn routes() -> Routes<AppState> {
    Routes::default().get(AUDIT_EVENTS, list)
}

/// A page of events; a caller scoped to some auth servers sees only theirs.
async fn list(State(state): State<AppState>, access: Access, query: QueryPairs) -> Result<Json<Page<Event>>, ApiError> {
    let params = list_params(&query, &store::audit::LIST)?;
    let page = store::audit::list(&state.store, access.auth_server_scope(), &params).await?;
    Ok(Json(Page::new(page, &params, |event| event)))
}

/// Records a failed /v1 authentication from `source` (see
/// [`crate::service::admin_auth::record_failure`]).
pub async fn failed_authentication(state: &AppState, source: IpAddr) {
    let origin =
        Origin { actor: Actor::anonymous(), request_id: crate::http::request_id::current(), source, at: state.now() };
    crate::service::admin_auth::record_failure(&state.store, &state.audit_failures, origin).await;
}
