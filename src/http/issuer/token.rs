//! The token endpoint (RFC 6749 §3.2).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::json;

use crate::claims;
use crate::domain::{GrantType, TokenEndpointAuthMethod};
use crate::http::AppState;
use crate::oauth::form::Form;
use crate::oauth::{OAuthError, issue, scope};

use super::{Issuer, OAuthReply, authenticate, no_store, read_form};

pub async fn token(
    State(state): State<AppState>,
    issuer: Issuer,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthReply> {
    let form = read_form(&headers, &body);
    let grant_type = form.as_ref().ok().and_then(|f| f.get("grant_type")).unwrap_or_default().to_owned();
    let result = match form {
        Ok(form) => exchange(&state, &issuer, &headers, &form).await,
        Err(error) => Err(error.into()),
    };
    let outcome = match &result {
        Ok(_) => "issued",
        Err(OAuthReply(error)) => error.error,
    };
    state.metrics.token(&issuer.entry.server.id.to_string(), &grant_type, outcome);
    result
}

async fn exchange(state: &AppState, issuer: &Issuer, headers: &HeaderMap, form: &Form) -> Result<Response, OAuthReply> {
    let grant_type = form.require("grant_type")?;
    let client = authenticate(state, issuer, headers, form).await?;
    let client = &client.client;
    // RFC 6749 §5.2: a grant type we know but the client may not use is unauthorized_client.
    let wanted = GrantType::parse(grant_type)
        .map_err(|_| OAuthError::unsupported_grant_type(format!("Unsupported grant_type {grant_type}")))?;
    if !client.grant_types.contains(&wanted) {
        return Err(OAuthError::unauthorized_client(format!("The client may not use grant_type {grant_type}")).into());
    }
    match wanted {
        GrantType::ClientCredentials => client_credentials(state, issuer, client, form.get("scope")).await,
        // RFC 6749 §4.2: implicit tokens come from the authorization endpoint, not this one.
        GrantType::Implicit | GrantType::AuthorizationCode | GrantType::RefreshToken => Err(
            OAuthError::unsupported_grant_type(format!("grant_type {grant_type} is not supported at this endpoint"))
                .into(),
        ),
    }
}

/// RFC 6749 §4.4: a token for the client itself.
async fn client_credentials(
    state: &AppState,
    issuer: &Issuer,
    client: &crate::domain::Client,
    requested_scope: Option<&str>,
) -> Result<Response, OAuthReply> {
    if client.token_endpoint_auth_method == TokenEndpointAuthMethod::None {
        return Err(OAuthError::unauthorized_client("A public client cannot use client_credentials").into());
    }
    let entry = &issuer.entry;
    let granted = scope::grant(requested_scope, &entry.scopes, client)?;
    let scope_requested = requested_scope.is_some_and(|s| !s.trim().is_empty());
    let now = Utc::now();
    let mut context = claims::RenderContext::new(&entry.server, client, now);
    let custom = claims::select(&entry.claims, &granted, scope_requested, &mut context).map_err(|e| {
        tracing::warn!(auth_server = %entry.server.id, client_id = %client.id, error = %e, "claim template failed");
        OAuthError::claim_not_rendered(&e.claim)
    })?;
    let token = issue::client_credentials_token(&issuer.issuer, &entry.server, client, &granted, custom, now);
    let signer = entry.signer.as_ref().ok_or_else(|| {
        tracing::error!(auth_server = %entry.server.id, "auth server has no active signing key");
        OAuthError::server_error()
    })?;
    let jwt = signer.sign(&token.claims).map_err(|e| {
        tracing::error!(error = %e, "signing failed");
        OAuthError::server_error()
    })?;
    if !state.token_log.record(token.record).await {
        return Err(OAuthError::temporarily_unavailable().into());
    }
    let mut body = json!({ "access_token": jwt, "token_type": "Bearer", "expires_in": token.expires_in });
    if !token.scope.is_empty() {
        body["scope"] = json!(token.scope);
    }
    Ok((no_store(), Json(body)).into_response())
}
