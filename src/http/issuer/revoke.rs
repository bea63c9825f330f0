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

use super::{Issuer, OAuthReply, mint, no_store, presented_token, read_form};

/// RFC 7009 §2.1: the client revokes a token issued to it. An invalid, expired or
/// already revoked token is answered 200 as well (§2.2).
pub async fn revoke(
    State(state): State<AppState>,
    issuer: Issuer,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthReply> {
    let now = Utc::now();
    let (caller, claims) = presented_token(&state, &issuer, &headers, &body, now, true).await?;
    let Some(claims) = claims else {
        revoke_refresh_token(&state, &issuer, &caller.client, &headers, &body, now).await?;
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

/// RFC 7009 §2.1: revoking a refresh token revokes its grant: the family and what it issued.
async fn revoke_refresh_token(
    state: &AppState,
    issuer: &Issuer,
    caller: &crate::domain::Client,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), OAuthError> {
    let form = read_form(headers, body)?;
    let token = form.require("token")?;
    let unavailable = |e: store::Error| {
        tracing::warn!(error = %e, "cannot revoke a refresh token");
        OAuthError::temporarily_unavailable()
    };
    let digest = store::refresh_tokens::digest_of(token);
    let Some(stored) =
        store::refresh_tokens::find(&state.store, issuer.entry.server.id, &digest).await.map_err(unavailable)?
    else {
        return Ok(());
    };
    if stored.client_id != caller.id.as_str() {
        return Err(OAuthError::unauthorized_client("The token was not issued to this client"));
    }
    let issued =
        store::refresh_tokens::revoke_family(&state.store, stored.family_id, now).await.map_err(unavailable)?;
    let tokens = issued.iter().filter_map(|text| serde_json::from_str(text).ok()).collect();
    mint::revoke_listed(state, issuer, tokens, now).await;
    Ok(())
}
