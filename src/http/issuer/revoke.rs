//! Token revocation (RFC 7009).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::http::AppState;
use crate::oauth::OAuthError;
use crate::store;

use super::{Issuer, OAuthReply, no_store, presented_token};

/// RFC 7009 §2.1: the client revokes a token issued to it. An invalid, expired or
/// already revoked token is answered 200 as well (§2.2).
pub async fn revoke(
    State(state): State<AppState>,
    issuer: Issuer,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthReply> {
    let now = Utc::now();
    let (caller, claims) = presented_token(&state, &issuer, &headers, &body, now).await?;
    let Some(claims) = claims else {
        return Ok((StatusCode::OK, no_store()).into_response());
    };
    if claims.get("client_id").and_then(Value::as_str) != Some(caller.client.id.as_str()) {
        return Err(OAuthError::unauthorized_client("The token was not issued to this client").into());
    }
    let jti = claims.get("jti").and_then(Value::as_str).and_then(|j| uuid::Uuid::parse_str(j).ok());
    let expires = claims.get("exp").and_then(Value::as_i64).and_then(|exp| DateTime::from_timestamp(exp, 0));
    let (Some(jti), Some(expires)) = (jti, expires) else {
        return Ok((StatusCode::OK, no_store()).into_response());
    };
    store::tokens::revoke_jti(&state.store, issuer.entry.server.id, jti, expires, now).await.map_err(|e| {
        tracing::warn!(error = %e, "cannot record revocation");
        OAuthError::temporarily_unavailable()
    })?;
    // This node at once; the others within a poll interval.
    state.cache.add_revocations([(jti, expires.timestamp())]);
    Ok((StatusCode::OK, no_store()).into_response())
}
