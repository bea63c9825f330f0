//! Token revocation (RFC 7009).

use chrono::DateTime;
use serde_json::Value;

use crate::domain::Client;
use crate::oauth::OAuthError;
use crate::oauth::form::Form;
use crate::store;

use super::introspect::presented_token;
use super::{Context, mint};

/// RFC 7009 §2.1: the client revokes a token issued to it. An invalid, expired or already
/// revoked token is answered like a revoked one (§2.2), so `Ok` says only "done".
#[tracing::instrument(level = "info", skip_all, fields(auth_server = %ctx.entry.server.id))]
pub async fn revoke(ctx: &Context<'_>, authorization: Option<&str>, form: &Form) -> Result<(), OAuthError> {
    let (caller, claims) = presented_token(ctx, authorization, form, true).await?;
    let Some(claims) = claims else {
        return revoke_refresh_token(ctx, &caller.client, form.require("token")?).await;
    };
    if claims.get("client_id").and_then(Value::as_str) != Some(caller.client.id.as_str()) {
        return Err(OAuthError::unauthorized_client("The token was not issued to this client"));
    }
    let jti = claims.get("jti").and_then(Value::as_str).and_then(|j| uuid::Uuid::parse_str(j).ok());
    let expires = claims.get("exp").and_then(Value::as_i64).and_then(|exp| DateTime::from_timestamp(exp, 0));
    let (Some(jti), Some(expires)) = (jti, expires) else { return Ok(()) };
    store::tokens::revoke_jti(ctx.store, ctx.entry.server.id, jti, expires, ctx.now).await?;
    // This node at once; the others within a poll interval.
    ctx.cache.add_revocations([(jti, expires.timestamp())]);
    Ok(())
}

/// RFC 7009 §2.1: revoking a refresh token revokes its grant: the family and what it issued.
async fn revoke_refresh_token(ctx: &Context<'_>, caller: &Client, token: &str) -> Result<(), OAuthError> {
    let digest = store::refresh_tokens::digest_of(token);
    let Some(stored) = store::refresh_tokens::find(ctx.store, ctx.entry.server.id, &digest).await? else {
        return Ok(());
    };
    if stored.client_id != caller.id.as_str() {
        return Err(OAuthError::unauthorized_client("The token was not issued to this client"));
    }
    let issued = store::refresh_tokens::revoke_family(ctx.store, stored.family_id, ctx.now).await?;
    let tokens = issued.iter().filter_map(|text| serde_json::from_str(text).ok()).collect();
    mint::revoke_listed(ctx, tokens).await;
    Ok(())
}
