//! Liveness, readiness and our OpenAPI description.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::domain::secret::token_matches;

use super::routes::{HEALTHZ, METRICS, OPENAPI, OPENAPI_V2, READYZ};
use super::{ApiError, AppState, Routes};

pub fn routes() -> Routes<AppState> {
    Routes::default()
        .get(HEALTHZ, healthz)
        .get(READYZ, readyz)
        .get(OPENAPI, openapi)
        .get(OPENAPI_V2, openapi_v2)
        .get(METRICS, metrics)
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

/// Kong Identity's v2 description, as far as Tessera serves it (directories and principals).
async fn openapi_v2() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/yaml")], include_str!("../../openapi-v2.yaml"))
}

/// Prometheus text exposition: no secrets, and labels from closed sets (route templates, not
/// paths), but auth server ids and traffic; `TESSERA_METRICS_TOKEN` keeps it from strangers.
async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(digest) = &state.metrics_token {
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        // Digests of equal length, compared in constant time.
        if !presented.is_some_and(|token| token_matches(token, digest)) {
            return ApiError::metrics_unauthorized();
        }
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render()).into_response()
}
