//! Token introspection (RFC 7662).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::Value;

use crate::http::AppState;
use crate::oauth::introspect;

use super::{Issuer, OAuthReply, no_store, presented_token};

/// RFC 7662 §2.1: the caller authenticates as a client of this auth server.
pub async fn introspect(
    State(state): State<AppState>,
    issuer: Issuer,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthReply> {
    let (_, verified) = presented_token(&state, &issuer, &headers, &body, Utc::now(), false).await?;
    let answer = match verified {
        Some(claims) if client_exists(&state, &issuer, &claims).await => introspect::active_response(&claims),
        _ => introspect::inactive_response(),
    };
    Ok((no_store(), Json(answer)).into_response())
}

/// Tokens of a deleted client are no longer active.
async fn client_exists(state: &AppState, issuer: &Issuer, claims: &serde_json::Map<String, Value>) -> bool {
    let Some(client_id) = claims.get("client_id").and_then(Value::as_str) else { return false };
    matches!(state.cache.client(issuer.entry.server.id, client_id).await, Ok(Some(_)))
}
