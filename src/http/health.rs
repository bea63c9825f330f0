//! Liveness, readiness and our OpenAPI description.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::routes::{HEALTHZ, METRICS, OPENAPI, READYZ};
use super::{ApiError, AppState, Routes};

pub fn routes() -> Routes<AppState> {
    Routes::default().get(HEALTHZ, healthz).get(READYZ, readyz).get(OPENAPI, openapi).get(METRICS, metrics)
}

/// The process is up.
async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// The database answers.
async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    state.store.ping().await?;
    Ok(Json(json!({ "status": "ready" })))
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/yaml")], include_str!("../../openapi.yaml"))
}

/// Prometheus text exposition; holds no secrets (auth server ids at most).
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render())
}
