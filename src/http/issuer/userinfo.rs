//! The UserInfo endpoint (OpenID Connect Core §5.3), with bearer tokens per RFC 6750.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::{Map, Value};

use crate::claims::{self, RenderContext};
use crate::http::AppState;
use crate::oauth::form::Form;
use crate::store;

use super::bearer::BearerError;
use super::{Issuer, mint};

/// RFC 6750 §2.1 (header) and §2.2 (form body); exactly one method.
fn bearer(method: &Method, headers: &HeaderMap, body: &[u8]) -> Result<String, BearerError> {
    let from_header = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(|value| {
        value
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim().to_owned())
    });
    let form_body = method == Method::POST
        && headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|t| {
            t.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    let from_body = if form_body {
        Form::parse(body)
            .map_err(|e| BearerError::invalid_request(&e.description))?
            .get("access_token")
            .map(str::to_owned)
    } else {
        None
    };
    match (from_header, from_body) {
        (Some(_), Some(_)) => Err(BearerError::invalid_request("Send the access token in one place only")),
        (Some(Some(token)), None) | (None, Some(token)) if !token.is_empty() => Ok(token),
        (Some(_), None) => Err(BearerError::invalid_request("The Authorization header must be Bearer <access token>")),
        // §3.1: a request without any authentication gets the challenge and no error code.
        _ => Err(BearerError::missing("An access token is required")),
    }
}

pub async fn userinfo(
    State(state): State<AppState>,
    issuer: Issuer,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Map<String, Value>>, Response> {
    let token = bearer(&method, &headers, &body).map_err(IntoResponse::into_response)?;
    let now = Utc::now();
    let entry = &issuer.entry;
    let claims = crate::oauth::introspect::verify(&token, &entry.verifiers, &issuer.issuer, now, |jti| {
        state.cache.is_revoked(jti)
    })
    .ok_or_else(|| BearerError::invalid_token("The access token is invalid, expired or revoked").into_response())?;
    let scopes: Vec<String> =
        claims.get("scope").and_then(Value::as_str).unwrap_or("").split(' ').map(str::to_owned).collect();
    if !scopes.iter().any(|s| s == "openid") {
        let error = BearerError {
            scope: Some("openid"),
            ..BearerError::insufficient_scope("The access token was not granted the openid scope")
        };
        return Err(error.into_response());
    }
    // OpenID Connect Core §5.3: claims about a signed-in end user. A client_credentials token
    // (no `auth_time`: nobody signed in) may carry openid, but has no user to describe.
    if !claims.contains_key("auth_time") {
        return Err(BearerError::insufficient_scope(
            "The access token was issued to a client for itself (client_credentials); userinfo describes signed-in users",
        )
        .into_response());
    }
    let unavailable = || super::OAuthReply(crate::oauth::OAuthError::temporarily_unavailable()).into_response();
    let client_id = claims.get("client_id").and_then(Value::as_str).unwrap_or_default();
    let client = state
        .cache
        .client(entry.server.id, client_id)
        .await
        .map_err(|_| unavailable())?
        .ok_or_else(|| BearerError::invalid_token("The token's client no longer exists").into_response())?;
    let granted = mint::scopes_named(&issuer, &scopes);
    let scope_requested = scopes.iter().any(|s| s != "openid");
    let mut context = RenderContext::new(&entry.server, &client.client, now);
    let custom = claims::select_for_userinfo(&entry.claims, &granted, scope_requested, &mut context).map_err(|e| {
        tracing::warn!(auth_server = %entry.server.id, error = %e, "claim template failed at userinfo");
        crate::http::issuer::OAuthReply(crate::oauth::OAuthError::claim_not_rendered(&e.claim)).into_response()
    })?;
    let mut response = Map::new();
    for (name, value) in custom {
        response.insert(name, value);
    }
    let jti = claims.get("jti").and_then(Value::as_str).and_then(|j| uuid::Uuid::parse_str(j).ok());
    if let Some(jti) = jti {
        let stored = store::tokens::user_claims(&state.store, entry.server.id, jti).await.map_err(|_| unavailable())?;
        if let Some(Value::Object(user)) = stored.and_then(|text| serde_json::from_str(&text).ok()) {
            response.extend(user);
        }
    }
    response.insert("sub".into(), claims.get("sub").cloned().unwrap_or(Value::Null));
    Ok(Json(response))
}
