//! Liveness, readiness and our OpenAPI description.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::routes::{HEALTHZ, OPENAPI, READYZ};
use super::{ApiError, AppState, Routes};

pub fn routes() -> Routes<AppState> {
    Routes::default().get(HEALTHZ, healthz).get(READYZ, readyz).get(OPENAPI, openapi)
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
