//! The token endpoint (RFC 6749 §3.2).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use crate::domain::{GrantType, TokenEndpointAuthMethod};
use crate::http::AppState;
use crate::oauth::flow::{AuthorizationRequest, Code, Kind, Login};
use crate::oauth::form::Form;
use crate::oauth::issue::{AccessToken, Alongside, Subject};
use crate::oauth::{OAuthError, authorize, issue, scope};
use crate::store;

use super::{Issuer, OAuthReply, identify, mint, no_store, read_form};

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
    let client = identify(state, issuer, headers, form).await?;
    let client = &client.client;
    // RFC 6749 §5.2: a grant type we know but the client may not use is unauthorized_client.
    let wanted = GrantType::parse(grant_type)
        .map_err(|_| OAuthError::unsupported_grant_type(format!("Unsupported grant_type {grant_type}")))?;
    if !client.grant_types.contains(&wanted) {
        return Err(OAuthError::unauthorized_client(format!("The client may not use grant_type {grant_type}")).into());
    }
    match wanted {
        GrantType::ClientCredentials => client_credentials(state, issuer, client, form.get("scope")).await,
        GrantType::AuthorizationCode => authorization_code(state, issuer, client, form).await,
        GrantType::RefreshToken => refresh_token(state, issuer, client, form).await,
        // RFC 6749 §4.2: implicit tokens come from the authorization endpoint, not this one.
        GrantType::Implicit => Err(OAuthError::unsupported_grant_type(format!(
            "grant_type {grant_type} is not supported at this endpoint"
        ))
        .into()),
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
    // `openid` is accepted here too (seed 004's portal asks for it); with no end user there
    // is no ID token (OpenID Connect Core §3.1.3.3 issues one only for a user's grant).
    let granted = scope::grant_with_openid(requested_scope, &entry.scopes, client)?;
    let now = Utc::now();
    let custom = mint::custom_claims(issuer, client, &granted.scopes, granted.requested, now)?;
    let token = issue::access_token(&issuer.issuer, &entry.server, client, Subject::Client, granted.names, custom, now);
    let jwt = mint::sign(issuer, &token.claims)?;
    if !state.token_log.record(token.record).await {
        return Err(OAuthError::temporarily_unavailable().into());
    }
    let mut body = json!({ "access_token": jwt, "token_type": "Bearer", "expires_in": token.expires_in });
    if !token.scope.is_empty() {
        body["scope"] = json!(token.scope);
    }
    Ok((no_store(), Json(body)).into_response())
}

/// RFC 6749 §4.1.3: a code from the authorization endpoint for tokens, once.
async fn authorization_code(
    state: &AppState,
    issuer: &Issuer,
    client: &crate::domain::Client,
    form: &Form,
) -> Result<Response, OAuthReply> {
    let now = Utc::now();
    let server_id = issuer.entry.server.id;
    let sealed = form.require("code")?;
    let sealer = state.flows.sealer().await.map_err(|e| {
        tracing::warn!(error = %e, "cannot load the flow key");
        OAuthError::temporarily_unavailable()
    })?;
    let opened = sealer
        .open::<Code>(Kind::Code, server_id, sealed, now)
        .map_err(|_| OAuthError::invalid_grant("The authorization code is invalid or has expired"))?;
    let Code { request, login } = &opened.payload;
    if request.client_id != client.id.as_str() {
        return Err(OAuthError::invalid_grant("The authorization code was issued to another client").into());
    }
    // A client made public after the code was issued must not redeem a code without PKCE.
    if client.token_endpoint_auth_method == TokenEndpointAuthMethod::None && request.code_challenge.is_none() {
        return Err(OAuthError::invalid_grant("A public client's code must have been requested with PKCE").into());
    }
    match form.get("redirect_uri") {
        Some(given) if given != request.redirect_uri => {
            return Err(OAuthError::invalid_grant("redirect_uri differs from the authorization request's").into());
        }
        None if request.redirect_uri_sent => {
            return Err(OAuthError::invalid_grant("redirect_uri is required: the authorization request had one").into());
        }
        _ => {}
    }
    // RFC 7636 §4.6, and RFC 9700 §2.1.1: a verifier without a challenge is a downgrade attempt.
    match (&request.code_challenge, form.get("code_verifier")) {
        (Some(challenge), Some(verifier)) if authorize::verifier_matches(verifier, challenge) => {}
        (Some(_), Some(_)) => {
            return Err(OAuthError::invalid_grant("code_verifier does not match the code_challenge").into());
        }
        (Some(_), None) => return Err(OAuthError::invalid_grant("code_verifier is required (PKCE)").into()),
        (None, Some(_)) => {
            return Err(OAuthError::invalid_grant(
                "code_verifier sent, but the authorization request had no code_challenge",
            )
            .into());
        }
        (None, None) => {}
    }
    let first = store::grants::mark_used(&state.store, opened.id, server_id, Kind::Code.as_str(), opened.expires_at)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "cannot record the authorization code's use");
            OAuthError::temporarily_unavailable()
        })?;
    if !first {
        revoke_issued(state, issuer, opened.id, now).await;
        return Err(OAuthError::invalid_grant(
            "The authorization code has already been used; what it issued is revoked",
        )
        .into());
    }
    let (token, jwt) = mint::user_access_token(state, issuer, client, request, login, now).await?;
    let family = Uuid::new_v4();
    let refresh = issue_refresh(state, issuer, client, &opened.payload, family, &token, now).await?;
    let mut issued = vec![issued_entry(&token)];
    if refresh.is_some() {
        issued.push(json!({ "family": family }));
    }
    let issued = json!(issued).to_string();
    match store::grants::record_issued(&state.store, opened.id, &issued).await {
        Ok(true) => {}
        Ok(false) => {
            // The code was replayed while these tokens were being minted: they go at once.
            revoke_listed_grant(state, issuer, &issued, now).await;
            return Err(
                OAuthError::invalid_grant("The authorization code was used twice; what it issued is revoked").into()
            );
        }
        Err(e) => tracing::warn!(error = %e, "cannot record what an authorization code issued"),
    }
    // OpenID Connect Core §3.1.3.3: an ID token when openid was granted.
    let id_token = request.scope.iter().any(|s| s == "openid").then_some(request);
    user_token_response(issuer, client, login, id_token, &token, &jwt, refresh, now)
}

/// RFC 6749 §5.1 for a user's tokens, with the ID token (OpenID Connect Core §3.1.3.3) and
/// refresh token when there are any.
#[allow(clippy::too_many_arguments)]
fn user_token_response(
    issuer: &Issuer,
    client: &crate::domain::Client,
    login: &Login,
    id_token_for: Option<&AuthorizationRequest>,
    token: &AccessToken,
    jwt: &str,
    refresh: Option<String>,
    now: DateTime<Utc>,
) -> Result<Response, OAuthReply> {
    let mut body = json!({ "access_token": jwt, "token_type": "Bearer", "expires_in": token.expires_in });
    if !token.scope.is_empty() {
        body["scope"] = json!(token.scope);
    }
    if let Some(refresh) = refresh {
        body["refresh_token"] = json!(refresh);
    }
    if let Some(request) = id_token_for {
        let alongside = Alongside { access_token: Some(jwt), code: None };
        body["id_token"] = json!(mint::id_token(issuer, client, request, login, alongside, now)?);
    }
    Ok((no_store(), Json(body)).into_response())
}

fn issued_entry(token: &AccessToken) -> serde_json::Value {
    json!({ "jti": token.record.id, "exp": token.record.expires_at.timestamp() })
}

/// How long a refresh token family lives from the authorization that started it; rotation
/// does not extend it (RFC 9700 §4.14.2).
pub const REFRESH_TOKEN_SECONDS: i64 = 30 * 24 * 3600;

/// A refresh token record (the value is returned once and stored only as a digest).
fn refresh_record(
    issuer: &Issuer,
    client: &crate::domain::Client,
    grant: &Code,
    family: Uuid,
    access: &AccessToken,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(String, store::refresh_tokens::RefreshToken), OAuthError> {
    let value = crate::domain::random::alphanumeric(48);
    let record = store::refresh_tokens::RefreshToken {
        digest: store::refresh_tokens::digest_of(&value),
        family_id: family,
        auth_server_id: issuer.entry.server.id,
        client_id: client.id.as_str().to_owned(),
        subject: grant.login.subject.clone(),
        grant: serde_json::to_string(grant).map_err(|_| OAuthError::server_error())?,
        access_token: issued_entry(access).to_string(),
        created_at: now,
        expires_at,
        used: false,
        revoked: false,
    };
    Ok((value, record))
}

/// The first refresh token of a new family, when the client may use the refresh_token grant.
async fn issue_refresh(
    state: &AppState,
    issuer: &Issuer,
    client: &crate::domain::Client,
    grant: &Code,
    family: Uuid,
    access: &AccessToken,
    now: DateTime<Utc>,
) -> Result<Option<String>, OAuthError> {
    if !client.grant_types.contains(&GrantType::RefreshToken) {
        return Ok(None);
    }
    let expires_at = now + chrono::TimeDelta::seconds(REFRESH_TOKEN_SECONDS);
    let (value, record) = refresh_record(issuer, client, grant, family, access, expires_at, now)?;
    store::refresh_tokens::start_family(&state.store, &record).await.map_err(|e| {
        tracing::warn!(error = %e, "cannot store a refresh token");
        OAuthError::temporarily_unavailable()
    })?;
    Ok(Some(value))
}

/// RFC 6749 §6 with rotation: each refresh token works once and is replaced; one presented
/// again revokes its whole family and what it issued (RFC 9700 §4.14.2). Nothing is used up
/// until the new tokens exist, so a failure on the way leaves the client able to retry.
async fn refresh_token(
    state: &AppState,
    issuer: &Issuer,
    client: &crate::domain::Client,
    form: &Form,
) -> Result<Response, OAuthReply> {
    let now = Utc::now();
    let presented = form.require("refresh_token")?;
    let unavailable = |e: store::Error| {
        tracing::warn!(error = %e, "refresh token store failed");
        OAuthError::temporarily_unavailable()
    };
    let invalid = || OAuthError::invalid_grant("The refresh token is invalid, expired or revoked");
    let stored =
        store::refresh_tokens::find(&state.store, issuer.entry.server.id, &store::refresh_tokens::digest_of(presented))
            .await
            .map_err(unavailable)?
            .ok_or_else(invalid)?;
    if stored.client_id != client.id.as_str() || stored.revoked || stored.expires_at <= now {
        return Err(invalid().into());
    }
    if stored.used {
        refuse_replay(state, issuer, stored.family_id, Vec::new(), now).await;
        return Err(replayed().into());
    }
    let grant: Code = serde_json::from_str(&stored.grant).map_err(|e| {
        tracing::error!(error = %e, "stored refresh grant is unreadable");
        OAuthError::server_error()
    })?;
    // A client made public since must have proven possession with PKCE when it was authorized.
    if client.token_endpoint_auth_method == TokenEndpointAuthMethod::None && grant.request.code_challenge.is_none() {
        return Err(invalid().into());
    }
    let request = refreshed_request(issuer, client, &grant.request, form.get("scope"))?;
    let (token, jwt) = mint::user_access_token(state, issuer, client, &request, &grant.login, now).await?;
    let (value, successor) = refresh_record(issuer, client, &grant, stored.family_id, &token, stored.expires_at, now)?;
    match store::refresh_tokens::rotate(&state.store, &stored.digest, &successor, now).await.map_err(unavailable)? {
        store::refresh_tokens::Rotation::Rotated => {}
        store::refresh_tokens::Rotation::Refused => {
            // Another request used it first: this is a replay, and the token just minted goes too.
            refuse_replay(state, issuer, stored.family_id, vec![issued_entry(&token)], now).await;
            return Err(replayed().into());
        }
    }
    let id_token = request.scope.iter().any(|s| s == "openid").then_some(&request);
    user_token_response(issuer, client, &grant.login, id_token, &token, &jwt, Some(value), now)
}

fn replayed() -> OAuthError {
    OAuthError::invalid_grant("The refresh token was already used; every token of its grant is revoked")
}

/// Revokes a family and every access token it (and `also`) issued.
async fn refuse_replay(
    state: &AppState,
    issuer: &Issuer,
    family: Uuid,
    also: Vec<serde_json::Value>,
    now: DateTime<Utc>,
) {
    let mut tokens = also;
    match store::refresh_tokens::revoke_family(&state.store, family, now).await {
        Ok(issued) => tokens.extend(issued.iter().filter_map(|text| serde_json::from_str(text).ok())),
        Err(e) => tracing::warn!(error = %e, "cannot revoke a replayed refresh token's family"),
    }
    mint::revoke_listed(state, issuer, tokens, now).await;
}

/// The request a refresh continues: §6 lets the scope narrow, never widen; and scopes the
/// admin has since disabled, deleted or taken from the client are no longer granted.
fn refreshed_request(
    issuer: &Issuer,
    client: &crate::domain::Client,
    original: &AuthorizationRequest,
    asked: Option<&str>,
) -> Result<AuthorizationRequest, OAuthError> {
    let mut request = original.clone();
    if let Some(asked) = asked {
        let asked: Vec<String> = asked.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect();
        if let Some(extra) = asked.iter().find(|s| !original.scope.contains(s)) {
            return Err(OAuthError::invalid_scope(format!("Scope {extra} was not granted to this refresh token")));
        }
        request.scope = asked;
    }
    let still_allowed = |name: &String| {
        name == "openid"
            || issuer.entry.scopes.iter().any(|s| s.name.as_str() == name && s.enabled && scope::allowed(client, s))
    };
    request.scope.retain(still_allowed);
    // OpenID Connect Core §12.2: a refreshed ID token has no nonce.
    request.nonce = None;
    Ok(request)
}

/// RFC 6749 §4.1.2: a replayed code revokes the tokens its first use issued.
async fn revoke_issued(state: &AppState, issuer: &Issuer, code_id: Uuid, now: DateTime<Utc>) {
    match store::grants::mark_replayed(&state.store, code_id).await {
        // The first use is still minting; it will find the mark and revoke its own tokens.
        Ok(true) => return,
        Ok(false) => {}
        Err(e) => tracing::warn!(error = %e, "cannot mark a replayed code"),
    }
    let issued = match store::grants::issued(&state.store, code_id).await {
        Ok(Some(issued)) => issued,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read what a replayed code issued");
            return;
        }
    };
    revoke_listed_grant(state, issuer, &issued, now).await;
}

/// Revokes what a code issued, as recorded: access tokens and refresh families.
async fn revoke_listed_grant(state: &AppState, issuer: &Issuer, issued: &str, now: DateTime<Utc>) {
    let listed: Vec<serde_json::Value> = serde_json::from_str(issued).unwrap_or_default();
    let mut tokens = Vec::new();
    for entry in listed {
        // The refresh family the code started goes too.
        match entry["family"].as_str().and_then(|f| Uuid::parse_str(f).ok()) {
            Some(family) => match store::refresh_tokens::revoke_family(&state.store, family, now).await {
                Ok(issued) => tokens.extend(issued.iter().filter_map(|text| serde_json::from_str(text).ok())),
                Err(e) => tracing::warn!(error = %e, "cannot revoke the refresh tokens of a replayed code"),
            },
            None => tokens.push(entry),
        }
    }
    mint::revoke_listed(state, issuer, tokens, now).await;
}
