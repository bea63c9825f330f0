//! Minting tokens for the endpoints that issue them (token, authorize): claims rendered,
//! signed with the auth server's active key, and recorded before they are handed out.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::claims;
use crate::domain::token::TokenRecord;
use crate::domain::{Client, Scope};
use crate::oauth::flow::{AuthorizationRequest, Login};
use crate::oauth::issue::{self, AccessToken, Alongside, Subject};
use crate::oauth::{OAuthError, resource};
use crate::store;

use super::Context;

/// Signs claims with the auth server's active key.
pub fn sign(ctx: &Context<'_>, claims: &Map<String, Value>) -> Result<String, OAuthError> {
    let entry = ctx.entry;
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
pub fn scopes_named<'a>(ctx: &Context<'a>, names: &[String]) -> Vec<&'a Scope> {
    ctx.entry.scopes.iter().filter(|s| names.iter().any(|n| n == s.name.as_str())).collect()
}

/// Custom claims for a token of `client` with `granted` scopes, templates rendered. The client's
/// principal (`.Principal`) comes from this node's cached entry of the client, which client
/// authentication has just read: no database read per token.
pub async fn custom_claims(
    ctx: &Context<'_>,
    client: &Client,
    granted: &[&Scope],
    scope_requested: bool,
) -> Result<Vec<(String, Value)>, OAuthError> {
    let entry = ctx.entry;
    let cached = if entry.claims.is_empty() {
        None
    } else {
        ctx.cache.client(client.auth_server_id, client.id.as_str()).await.map_err(OAuthError::from)?
    };
    let principal = cached.as_ref().and_then(|cached| cached.principal.as_ref());
    let mut context = claims::RenderContext::new(&entry.server, client, principal, ctx.now);
    claims::select(&entry.claims, granted, scope_requested, &mut context).map_err(|e| {
        tracing::warn!(auth_server = %entry.server.id, client_id = %client.id, error = %e, "claim template failed");
        OAuthError::claim_not_rendered(&e.claim)
    })
}

/// Records a minted access token (group commit); nothing is handed out before it is committed,
/// so the management API lists and revokes every token a client holds. A client deleted (or
/// replaced under its id) before the record commits gets no token: RFC 6749 §5.2
/// `invalid_client`, and this node forgets its cached copy at once.
pub async fn record(ctx: &Context<'_>, client: &Client, record: TokenRecord) -> Result<(), OAuthError> {
    recorded(ctx, client, ctx.token_log.record(record, client.created_at).await)
}

/// [`record`] for a token issued for an assertion that may be used once (RFC 7523 §3 item 7):
/// the use is recorded with the token, and a second use gets no token.
pub async fn record_first_use(
    ctx: &Context<'_>,
    client: &Client,
    record: TokenRecord,
    single_use: store::tokens::SingleUse,
) -> Result<(), OAuthError> {
    recorded(ctx, client, ctx.token_log.record_first_use(record, client.created_at, single_use).await)
}

fn recorded(ctx: &Context<'_>, client: &Client, outcome: store::Recorded) -> Result<(), OAuthError> {
    match outcome {
        store::Recorded::Committed => Ok(()),
        store::Recorded::ClientGone => {
            ctx.cache.invalidate(&store::changes::Change::Client(client.auth_server_id, client.id.as_str().to_owned()));
            Err(OAuthError::invalid_client_with("The client no longer exists"))
        }
        store::Recorded::UsedBefore => Err(OAuthError::invalid_grant("this assertion (its jti) has already been used")),
        store::Recorded::Failed => Err(OAuthError::temporarily_unavailable()),
    }
}

/// An access token for a signed-in user, for the resources named by `targets` (RFC 8707;
/// none: the auth server's audience), signed and recorded.
pub async fn user_access_token(
    ctx: &Context<'_>,
    client: &Client,
    request: &AuthorizationRequest,
    login: &Login,
    targets: &[String],
) -> Result<(AccessToken, String), OAuthError> {
    let targets = resource::resolve(targets.iter().map(String::as_str), &ctx.entry.resources)?;
    let mut names = request.scope.clone();
    resource::narrow(&mut names, &targets, &ctx.entry.scopes);
    let granted = scopes_named(ctx, &names);
    let custom = custom_claims(ctx, client, &granted, request.scope_requested).await?;
    let server = &ctx.entry.server;
    let mut token = issue::access_token(ctx.issuer, server, client, Subject::User(login), names, custom, ctx.now);
    token.restrict_audience(resource::audience(&targets));
    let jwt = sign(ctx, &token.claims)?;
    record(ctx, client, token.record.clone()).await?;
    Ok((token, jwt))
}

/// An ID token for a signed-in user (OpenID Connect Core §2), signed.
pub fn id_token(
    ctx: &Context<'_>,
    client: &Client,
    request: &AuthorizationRequest,
    login: &Login,
    alongside: Alongside<'_>,
) -> Result<String, OAuthError> {
    let nonce = request.nonce.as_deref();
    let claims = issue::id_token(ctx.issuer, &ctx.entry.server, client, login, nonce, alongside, ctx.now);
    sign(ctx, &claims)
}

/// Revokes access tokens listed as `{"jti", "exp"}` (what a replayed code or refresh token
/// issued): recorded for every node, and at once on this one.
pub async fn revoke_listed(ctx: &Context<'_>, tokens: Vec<Value>) {
    for token in tokens {
        let jti = token["jti"].as_str().and_then(|j| uuid::Uuid::parse_str(j).ok());
        let expires = token["exp"].as_i64().and_then(|exp| DateTime::<Utc>::from_timestamp(exp, 0));
        let (Some(jti), Some(expires)) = (jti, expires) else { continue };
        match store::tokens::revoke_jti(ctx.store, ctx.entry.server.id, jti, expires, ctx.now).await {
            Ok(_) => ctx.cache.add_revocations([(jti, expires.timestamp())]),
            Err(e) => tracing::warn!(error = %e, %jti, "cannot revoke a token of a revoked grant"),
        }
    }
}
