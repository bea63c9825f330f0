//! /v1/audit-events: the audit log (a Tessera extension), and the recording of failed /v1
//! authentications in it.

use std::net::IpAddr;
use std::time::Instant;

use axum::Json;
use axum::extract::State;

use crate::domain::admin::{Access, Actor, Origin};
use crate::domain::audit::{Event, FieldChange, Resource};
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
    let page = store::audit::list(&state.store, access.auth_servers.as_deref(), &params).await?;
    Ok(Json(Page::new(page, &params, |event| event)))
}

/// Records a failed /v1 authentication from `source` as `admin_authentication.failed`, thinned
/// by this node's [`crate::domain::audit::FailureThrottle`] so a flood cannot fill the table;
/// the event's `failures` says how many failures it stands for. A failure to record is logged
/// and does not change the answer.
pub async fn failed_authentication(state: &AppState, source: IpAddr) {
    let count = match state.audit_failures.lock() {
        Ok(mut throttle) => throttle.failed(source, Instant::now()),
        Err(_) => None,
    };
    let Some(count) = count else { return };
    let origin =
        Origin { actor: Actor::anonymous(), request_id: crate::http::request_id::current(), source, at: state.now() };
    let failures = FieldChange::values("failures", serde_json::Value::Null, count.into());
    let event = Resource::admin_authentication().event(&origin, "failed", vec![failures]);
    if let Err(e) = store::audit::record_alone(&state.store, event).await {
        tracing::warn!(error = %e, %source, "cannot record a failed /v1 authentication in the audit log");
    }
}
