//! Which client is calling an issuer endpoint (RFC 6749 §2.3): a secret (Basic or form), a
//! signed assertion (`private_key_jwt`, RFC 7523 §2.2), or, for a public client, its
//! `client_id` alone (§3.2.1).

use std::sync::Arc;
use std::time::Instant;

use crate::cache::ClientEntry;
use crate::domain::TokenEndpointAuthMethod;
use crate::limits;
use crate::oauth::client_auth::{self, Method};
use crate::oauth::form::Form;
use crate::oauth::{OAuthError, client_assertion};

use super::Context;

/// The client of a token request: confidential clients authenticate (RFC 6749 §2.3.1); a
/// public client (`token_endpoint_auth_method: none`) names itself with `client_id` alone
/// (§3.2.1), which only grants backed by PKCE accept. `authorization` is the value of the
/// `Authorization` header, if one was sent.
#[tracing::instrument(level = "info", skip_all, fields(auth_server = %ctx.entry.server.id))]
pub async fn identify(
    ctx: &Context<'_>,
    authorization: Option<&str>,
    form: &Form,
) -> Result<Arc<ClientEntry>, OAuthError> {
    let other_credentials = authorization.is_some() || form.get("client_secret").is_some() || has_assertion(form);
    let public_id = form.get("client_id").filter(|_| !other_credentials);
    let Some(client_id) = public_id else {
        return authenticate(ctx, authorization, form).await;
    };
    let entry =
        ctx.cache.client(ctx.entry.server.id, client_id).await?.ok_or_else(|| OAuthError::invalid_client(false))?;
    if entry.client.token_endpoint_auth_method != TokenEndpointAuthMethod::None {
        return Err(OAuthError::invalid_client(false));
    }
    Ok(entry)
}

fn has_assertion(form: &Form) -> bool {
    form.get("client_assertion").is_some() || form.get("client_assertion_type").is_some()
}

/// Authenticates the calling client: with a signed assertion (`private_key_jwt`), or against
/// its enabled secrets (RFC 6749 §2.3.1).
/// An authenticated client then counts against the per-client rate limit.
#[tracing::instrument(level = "info", skip_all, fields(auth_server = %ctx.entry.server.id, client_id))]
pub async fn authenticate(
    ctx: &Context<'_>,
    authorization: Option<&str>,
    form: &Form,
) -> Result<Arc<ClientEntry>, OAuthError> {
    let entry = if has_assertion(form) {
        authenticate_assertion(ctx, authorization, form).await?
    } else {
        authenticate_secret(ctx, authorization, form).await?
    };
    // RFC 6585 §4: counted only once authenticated, so no one can spend a client's share.
    ctx.limiter.client(ctx.entry.server.id, entry.client.id.as_str(), Instant::now())?;
    Ok(entry)
}

/// RFC 6749 §2.3.1, against the client's enabled secrets. Failures back off per (client,
/// source address): past the allowed failures, attempts from that source for that client are
/// refused (429) without running Argon2; the same client from elsewhere is not affected.
async fn authenticate_secret(
    ctx: &Context<'_>,
    authorization: Option<&str>,
    form: &Form,
) -> Result<Arc<ClientEntry>, OAuthError> {
    let credentials = client_auth::credentials(authorization, form)?;
    tracing::Span::current().record("client_id", credentials.client_id.as_str());
    let used_basic = credentials.method == Method::Basic;
    let failures = ctx.limiter.client_failures();
    let source_failures = ctx.limiter.source_failures();
    let key = limits::client_key(ctx.entry.server.id, &credentials.client_id, Some(ctx.source));
    source_failures.check(&ctx.source, Instant::now())?;
    failures.check(&key, Instant::now())?;
    let entry = ctx.cache.client(ctx.entry.server.id, &credentials.client_id).await?;
    // `has_secrets` is false for public and private_key_jwt clients: no secret authenticates them.
    let Some(entry) = entry.filter(|entry| entry.has_secrets()) else {
        ctx.cache.verify_without_client(Some(ctx.entry.server.id), &credentials.client_id, &credentials.secret).await?;
        failures.failed(&key, Instant::now());
        source_failures.failed(&ctx.source, Instant::now());
        return Err(OAuthError::invalid_client(used_basic));
    };
    if !ctx.cache.verify_secret(&entry, &credentials.secret).await? {
        failures.failed(&key, Instant::now());
        source_failures.failed(&ctx.source, Instant::now());
        return Err(OAuthError::invalid_client(used_basic));
    }
    failures.succeeded(&key);
    source_failures.succeeded(&ctx.source);
    // Told only to a caller that holds the secret, so it reveals nothing to a guesser.
    let registered = entry.client.token_endpoint_auth_method;
    if !client_auth::secret_method_allowed(registered, &credentials.method) {
        let mut refused = OAuthError::invalid_client_with(format!(
            "This client authenticates with {}, not {}",
            registered.as_str(),
            credentials.method.as_str()
        ));
        refused.basic_challenge = used_basic;
        return Err(refused);
    }
    Ok(entry)
}

/// RFC 7521 §4.2 and RFC 7523 §3: a `private_key_jwt` client assertion, used once.
async fn authenticate_assertion(
    ctx: &Context<'_>,
    authorization: Option<&str>,
    form: &Form,
) -> Result<Arc<ClientEntry>, OAuthError> {
    // RFC 6749 §2.3: one authentication method per request.
    if authorization.is_some() || form.get("client_secret").is_some() {
        return Err(OAuthError::invalid_request(
            "Use one client authentication method, not a client_assertion and a secret",
        ));
    }
    let kind = form.require("client_assertion_type")?;
    if kind != client_assertion::ASSERTION_TYPE {
        return Err(OAuthError::invalid_client_with(format!(
            "client_assertion_type must be {}",
            client_assertion::ASSERTION_TYPE
        )));
    }
    let assertion = form.require("client_assertion")?;
    // RFC 7523 §2.2 with a trusted issuer's token (a workload's own identity): it authenticates
    // the client its subject maps to, which the trusted issuer's mapping authorizes.
    if let Some(trusted) = super::federation::trusted_issuer(ctx, assertion) {
        let verified = super::federation::verify(ctx, trusted, assertion, "client_assertion")
            .await
            .map_err(|e| if e.error == "invalid_grant" { OAuthError::invalid_client_with(e.description) } else { e })?;
        tracing::Span::current().record("client_id", verified.client_id.as_str());
        if form.get("client_id").is_some_and(|given| given != verified.client_id.as_str()) {
            return Err(OAuthError::invalid_client_with(
                "client_id differs from the client the client_assertion's subject maps to",
            ));
        }
        let entry = ctx.cache.client(ctx.entry.server.id, verified.client_id.as_str()).await?;
        return entry.ok_or_else(|| OAuthError::invalid_client(false));
    }
    let client_id = client_assertion::claimed_client(assertion)?;
    tracing::Span::current().record("client_id", client_id.as_str());
    if form.get("client_id").is_some_and(|given| given != client_id) {
        return Err(OAuthError::invalid_client_with("client_id differs from the client_assertion's sub"));
    }
    let server_id = ctx.entry.server.id;
    let entry = ctx.cache.client(server_id, &client_id).await?.ok_or_else(|| OAuthError::invalid_client(false))?;
    let client = &entry.client;
    // Unknown client, a secret client, a bad signature: one answer, revealing nothing.
    let jwks = match (&client.jwks, client.token_endpoint_auth_method) {
        (Some(jwks), TokenEndpointAuthMethod::PrivateKeyJwt) => jwks,
        _ => return Err(OAuthError::invalid_client(false)),
    };
    let verified = client_assertion::verify(assertion, &client_id, jwks, ctx.issuer, server_id, ctx.now)?;
    // RFC 7523 §3 item 7: a replayed assertion is refused, on every node.
    let first = ctx.use_log.mark_used(verified.use_id, server_id, "client_assertion", verified.expires_at).await?;
    if !first {
        return Err(OAuthError::invalid_client_with("This client_assertion (its jti) has already been used"));
    }
    Ok(entry)
}
