//! Signing and recording tokens for the endpoints that issue them (token, authorize).

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::claims;
use crate::domain::{Client, Scope};
use crate::http::AppState;
use crate::oauth::OAuthError;
use crate::oauth::flow::{AuthorizationRequest, Login};
use crate::oauth::issue::{self, AccessToken, Alongside, Subject};

use super::Issuer;

/// Signs claims with the auth server's active key.
pub fn sign(issuer: &Issuer, claims: &Map<String, Value>) -> Result<String, OAuthError> {
    let entry = &issuer.entry;
    let signer = entry.signer.as_ref().ok_or_else(|| {
        tracing::error!(auth_server = %entry.server.id, "auth server has no active signing key");
        OAuthError::server_error()
    })?;
    signer.sign(claims).map_err(|e| {
        tracing::error!(error = %e, "signing failed");
        OAuthError::server_error()
    })
}

/// The scopes of the auth server named in a granted list (`openid` has no scope object).
pub fn scopes_named<'a>(issuer: &'a Issuer, names: &[String]) -> Vec<&'a Scope> {
    issuer.entry.scopes.iter().filter(|s| names.iter().any(|n| n == s.name.as_str())).collect()
}

/// Custom claims for a token of `client` with `granted` scopes, templates rendered.
pub fn custom_claims(
    issuer: &Issuer,
    client: &Client,
    granted: &[&Scope],
    scope_requested: bool,
    now: DateTime<Utc>,
) -> Result<Vec<(String, Value)>, OAuthError> {
    let entry = &issuer.entry;
    let mut context = claims::RenderContext::new(&entry.server, client, now);
    claims::select(&entry.claims, granted, scope_requested, &mut context).map_err(|e| {
        tracing::warn!(auth_server = %entry.server.id, client_id = %client.id, error = %e, "claim template failed");
        OAuthError::claim_not_rendered(&e.claim)
    })
}

/// An access token for a signed-in user, signed and recorded (group commit).
pub async fn user_access_token(
    state: &AppState,
    issuer: &Issuer,
    client: &Client,
    request: &AuthorizationRequest,
    login: &Login,
    now: DateTime<Utc>,
) -> Result<(AccessToken, String), OAuthError> {
    let granted = scopes_named(issuer, &request.scope);
    let custom = custom_claims(issuer, client, &granted, request.scope_requested, now)?;
    let token = issue::access_token(
        &issuer.issuer,
        &issuer.entry.server,
        client,
        Subject::User(login),
        request.scope.clone(),
        custom,
        now,
    );
    let jwt = sign(issuer, &token.claims)?;
    if !state.token_log.record(token.record.clone()).await {
        return Err(OAuthError::temporarily_unavailable());
    }
    Ok((token, jwt))
}

/// An ID token for a signed-in user (OpenID Connect Core §2), signed.
pub fn id_token(
    issuer: &Issuer,
    client: &Client,
    request: &AuthorizationRequest,
    login: &Login,
    alongside: Alongside<'_>,
    now: DateTime<Utc>,
) -> Result<String, OAuthError> {
    let claims =
        issue::id_token(&issuer.issuer, &issuer.entry.server, client, login, request.nonce.as_deref(), alongside, now);
    sign(issuer, &claims)
}

/// Revokes access tokens listed as `{"jti", "exp"}` (what a replayed code or refresh token issued).
pub async fn revoke_listed(state: &AppState, issuer: &Issuer, tokens: Vec<serde_json::Value>, now: DateTime<Utc>) {
    for token in tokens {
        let jti = token["jti"].as_str().and_then(|j| uuid::Uuid::parse_str(j).ok());
        let expires = token["exp"].as_i64().and_then(|exp| DateTime::from_timestamp(exp, 0));
        let (Some(jti), Some(expires)) = (jti, expires) else { continue };
        match crate::store::tokens::revoke_jti(&state.store, issuer.entry.server.id, jti, expires, now).await {
            Ok(_) => state.cache.add_revocations([(jti, expires.timestamp())]),
            Err(e) => tracing::warn!(error = %e, %jti, "cannot revoke a token of a revoked grant"),
        }
    }
}
