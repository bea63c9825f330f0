//! Token introspection (RFC 7662) and what it shares with revocation: reading the token a
//! client presents.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::cache::ClientEntry;
use crate::oauth::OAuthError;
use crate::oauth::form::Form;
use crate::oauth::introspect;

use super::{Context, client_auth};

/// The claims of a token this issuer signed that is in force (`None` for anything else).
pub fn verify(ctx: &Context<'_>, token: &str) -> Option<Map<String, Value>> {
    introspect::verify(token, &ctx.entry.verifiers, ctx.issuer, ctx.now, |jti| ctx.cache.is_revoked(jti))
}

/// A JWT this issuer signed that is in force by its times, access or ID token alike; the
/// caller tells them apart and checks revocation.
pub fn verify_signed_own(ctx: &Context<'_>, token: &str) -> Option<Map<String, Value>> {
    introspect::verify_signed(token, &ctx.entry.verifiers, ctx.issuer, ctx.now)
}

/// A token presented by a client (introspection, revocation): the caller and, when the token
/// is one of this issuer's and in force, its claims. Introspection requires an authenticated
/// client; revocation also accepts a public client identified by `client_id` (RFC 7009 §2.1),
/// since it can only revoke its own tokens.
pub async fn presented_token(
    ctx: &Context<'_>,
    authorization: Option<&str>,
    form: &Form,
    public_clients: bool,
) -> Result<(Arc<ClientEntry>, Option<Map<String, Value>>), OAuthError> {
    let caller = if public_clients {
        client_auth::identify(ctx, authorization, form).await?
    } else {
        client_auth::authenticate(ctx, authorization, form).await?
    };
    let token = form.require("token")?;
    Ok((caller, verify(ctx, token)))
}

/// RFC 7662 §2.1–2.2: the caller authenticates as a client of this auth server; a token of a
/// deleted client is no longer active. RFC 7662 §4: only a client an admin made a resource
/// server (`introspection_allowed`) learns about other clients' tokens; to any other client
/// they are inactive, as if unknown, while its own tokens stay introspectable.
#[tracing::instrument(level = "info", skip_all, fields(auth_server = %ctx.entry.server.id))]
pub async fn introspect(ctx: &Context<'_>, authorization: Option<&str>, form: &Form) -> Result<Value, OAuthError> {
    let (caller, verified) = presented_token(ctx, authorization, form, false).await?;
    Ok(match verified {
        Some(claims) if may_see(&caller, &claims) && client_exists(ctx, &claims).await => {
            introspect::active_response(&claims)
        }
        _ => introspect::inactive_response(),
    })
}

fn may_see(caller: &ClientEntry, claims: &Map<String, Value>) -> bool {
    caller.client.introspection_allowed
        || claims.get("client_id").and_then(Value::as_str) == Some(caller.client.id.as_str())
}

async fn client_exists(ctx: &Context<'_>, claims: &Map<String, Value>) -> bool {
    let Some(client_id) = claims.get("client_id").and_then(Value::as_str) else { return false };
    matches!(ctx.cache.client(ctx.entry.server.id, client_id).await, Ok(Some(_)))
}
