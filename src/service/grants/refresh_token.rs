//! RFC 6749 §6 with rotation: each refresh token works once and is replaced; one presented
//! again revokes its whole family and what it issued (RFC 9700 §4.14.2).

use chrono::{DateTime, TimeDelta, Utc};
use uuid::Uuid;

use crate::domain::{Client, GrantType, TokenEndpointAuthMethod};
use crate::oauth::flow::{AuthorizationRequest, Code};
use crate::oauth::issue::AccessToken;
use crate::oauth::{OAuthError, resource, scope};
use crate::store;
use crate::store::refresh_tokens::{RefreshToken, Rotation};

use super::super::{Context, mint};
use super::{TokenResponse, issued_entry, user_token_response};

/// How long a refresh token family lives from the authorization that started it; rotation
/// does not extend it (RFC 9700 §4.14.2).
pub const REFRESH_TOKEN_SECONDS: i64 = 30 * 24 * 3600;

/// Nothing is used up until the new tokens exist, so a failure on the way leaves the client
/// able to retry.
#[tracing::instrument(level = "info", name = "refresh_token", skip_all, fields(auth_server = %ctx.entry.server.id, client_id = %client.id))]
pub(super) async fn grant(
    ctx: &Context<'_>,
    client: &Client,
    presented: &str,
    asked_scope: Option<&str>,
    asked_resources: Vec<&str>,
) -> Result<TokenResponse, OAuthError> {
    let invalid = || OAuthError::invalid_grant("The refresh token is invalid, expired or revoked");
    let digest = store::refresh_tokens::digest_of(presented);
    let stored = store::refresh_tokens::find(ctx.store, ctx.entry.server.id, &digest).await?.ok_or_else(invalid)?;
    if stored.client_id != client.id.as_str() || stored.revoked || stored.expires_at <= ctx.now {
        return Err(invalid());
    }
    if stored.used {
        refuse_replay(ctx, stored.family_id, Vec::new()).await;
        return Err(replayed());
    }
    let grant: Code = serde_json::from_str(&stored.grant).map_err(|e| {
        tracing::error!(error = %e, "stored refresh grant is unreadable");
        OAuthError::server_error()
    })?;
    // A client made public since must have proven possession with PKCE when it was authorized.
    if client.token_endpoint_auth_method == TokenEndpointAuthMethod::None && grant.request.code_challenge.is_none() {
        return Err(invalid());
    }
    let request = refreshed_request(ctx, client, &grant.request, asked_scope)?;
    let targets = resource::within_grant(asked_resources, &grant.request.resource)?;
    let targets: Vec<String> = targets.into_iter().map(str::to_owned).collect();
    let (token, jwt) = mint::user_access_token(ctx, client, &request, &grant.login, &targets).await?;
    let (value, successor) = record(ctx, client, &grant, stored.family_id, &token, stored.expires_at)?;
    match store::refresh_tokens::rotate(ctx.store, &stored.digest, &successor, ctx.now).await? {
        Rotation::Rotated => {}
        Rotation::Refused => {
            // Another request used it first: this is a replay, and the token just minted goes too.
            refuse_replay(ctx, stored.family_id, vec![issued_entry(&token)]).await;
            return Err(replayed());
        }
    }
    user_token_response(ctx, client, &request, &grant.login, (token, jwt), Some(value))
}

fn replayed() -> OAuthError {
    OAuthError::invalid_grant("The refresh token was already used; every token of its grant is revoked")
}

/// The first refresh token of a new family, when the client may use the refresh_token grant.
pub(super) async fn start_family(
    ctx: &Context<'_>,
    client: &Client,
    grant: &Code,
    family: Uuid,
    access: &AccessToken,
) -> Result<Option<String>, OAuthError> {
    if !client.grant_types.contains(&GrantType::RefreshToken) {
        return Ok(None);
    }
    let expires_at = ctx.now + TimeDelta::seconds(REFRESH_TOKEN_SECONDS);
    let (value, record) = record(ctx, client, grant, family, access, expires_at)?;
    if !store::refresh_tokens::start_family(ctx.store, &record, client.created_at).await? {
        // Deleted (or replaced under its id) since this node cached it: RFC 6749 §5.2.
        ctx.cache.invalidate(&store::changes::Change::Client(client.auth_server_id, client.id.as_str().to_owned()));
        return Err(OAuthError::invalid_client_with("The client no longer exists"));
    }
    Ok(Some(value))
}

/// A refresh token record (the value is returned once and stored only as a digest).
fn record(
    ctx: &Context<'_>,
    client: &Client,
    grant: &Code,
    family: Uuid,
    access: &AccessToken,
    expires_at: DateTime<Utc>,
) -> Result<(String, RefreshToken), OAuthError> {
    let value = crate::domain::random::alphanumeric(48);
    let record = RefreshToken {
        digest: store::refresh_tokens::digest_of(&value),
        family_id: family,
        auth_server_id: ctx.entry.server.id,
        client_id: client.id.as_str().to_owned(),
        subject: grant.login.subject.clone(),
        grant: serde_json::to_string(grant).map_err(|_| OAuthError::server_error())?,
        access_token: issued_entry(access).to_string(),
        created_at: ctx.now,
        expires_at,
        used: false,
        revoked: false,
    };
    Ok((value, record))
}

/// Revokes a family and every access token it (and `also`) issued.
async fn refuse_replay(ctx: &Context<'_>, family: Uuid, also: Vec<serde_json::Value>) {
    let mut tokens = also;
    tokens.extend(revoke_family(ctx, family).await);
    mint::revoke_listed(ctx, tokens).await;
}

/// Revokes a refresh token family; answers the access tokens it issued, as `{"jti", "exp"}`,
/// for the caller to revoke.
pub(crate) async fn revoke_family(ctx: &Context<'_>, family: Uuid) -> Vec<serde_json::Value> {
    match store::refresh_tokens::revoke_family(ctx.store, family, ctx.now).await {
        Ok(issued) => issued.iter().filter_map(|text| serde_json::from_str(text).ok()).collect(),
        Err(e) => {
            tracing::warn!(error = %e, %family, "cannot revoke a refresh token family");
            Vec::new()
        }
    }
}

/// The request a refresh continues: §6 lets the scope narrow, never widen; and scopes the
/// admin has since disabled, deleted or taken from the client are no longer granted.
fn refreshed_request(
    ctx: &Context<'_>,
    client: &Client,
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
            || ctx.entry.scopes.iter().any(|s| s.name.as_str() == name && s.enabled && scope::allowed(client, s))
    };
    request.scope.retain(still_allowed);
    // OpenID Connect Core §12.2: a refreshed ID token has no nonce.
    request.nonce = None;
    Ok(request)
}
