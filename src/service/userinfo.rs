//! The UserInfo endpoint (OpenID Connect Core §5.3), opened by an access token (RFC 6750).

use serde_json::{Map, Value};

use crate::claims::{self, RenderContext};
use crate::oauth::OAuthError;
use crate::oauth::bearer::{BearerError, Refusal};
use crate::store;

use super::introspect::verify;
use super::{Context, mint};

/// The claims about the user an access token was issued for.
#[tracing::instrument(level = "info", skip_all, fields(auth_server = %ctx.entry.server.id))]
pub async fn userinfo(ctx: &Context<'_>, token: &str) -> Result<Map<String, Value>, Refusal> {
    let entry = ctx.entry;
    let claims = verify(ctx, token)
        .ok_or_else(|| BearerError::invalid_token("The access token is invalid, expired or revoked"))?;
    let scopes: Vec<String> =
        claims.get("scope").and_then(Value::as_str).unwrap_or("").split(' ').map(str::to_owned).collect();
    if !scopes.iter().any(|s| s == "openid") {
        let error = BearerError {
            scope: Some("openid"),
            ..BearerError::insufficient_scope("The access token was not granted the openid scope")
        };
        return Err(error.into());
    }
    // OpenID Connect Core §5.3: claims about a signed-in end user. A client_credentials token
    // (no `auth_time`: nobody signed in) may carry openid, but has no user to describe.
    if !claims.contains_key("auth_time") {
        return Err(BearerError::insufficient_scope(
            "The access token was issued to a client for itself (client_credentials); userinfo describes signed-in users",
        )
        .into());
    }
    let client_id = claims.get("client_id").and_then(Value::as_str).unwrap_or_default();
    let client = ctx
        .cache
        .client(entry.server.id, client_id)
        .await?
        .ok_or_else(|| BearerError::invalid_token("The token's client no longer exists"))?;
    let granted = mint::scopes_named(ctx, &scopes);
    let scope_requested = scopes.iter().any(|s| s != "openid");
    let mut context = RenderContext::new(&entry.server, &client.client, client.principal.as_ref(), ctx.now);
    let custom = claims::select_for_userinfo(&entry.claims, &granted, scope_requested, &mut context).map_err(|e| {
        tracing::warn!(auth_server = %entry.server.id, error = %e, "claim template failed at userinfo");
        OAuthError::claim_not_rendered(&e.claim)
    })?;
    let mut response: Map<String, Value> = custom.into_iter().collect();
    let jti = claims.get("jti").and_then(Value::as_str).and_then(|j| uuid::Uuid::parse_str(j).ok());
    if let Some(jti) = jti {
        let stored = store::tokens::user_claims(ctx.store, entry.server.id, jti).await?;
        if let Some(Value::Object(user)) = stored.and_then(|text| serde_json::from_str(&text).ok()) {
            response.extend(user);
        }
    }
    response.insert("sub".into(), claims.get("sub").cloned().unwrap_or(Value::Null));
    Ok(response)
}
