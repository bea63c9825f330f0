//! RFC 6749 §4.1.3: a code from the authorization endpoint, for tokens, once.

use uuid::Uuid;

use crate::domain::{Client, TokenEndpointAuthMethod};
use crate::oauth::authorize;
use crate::oauth::flow::{Code, Kind};
use crate::oauth::{OAuthError, resource};
use crate::store;

use super::super::{Context, mint};
use super::{CodeRedemption, TokenResponse, issued_entry, refresh_token, user_token_response};

#[tracing::instrument(level = "info", name = "authorization_code", skip_all, fields(auth_server = %ctx.entry.server.id, client_id = %client.id))]
pub(super) async fn grant(
    ctx: &Context<'_>,
    client: &Client,
    redemption: &CodeRedemption<'_>,
) -> Result<TokenResponse, OAuthError> {
    let server_id = ctx.entry.server.id;
    let sealer = ctx.flows.sealer().await?;
    let opened = sealer
        .open::<Code>(Kind::Code, server_id, redemption.code, ctx.now)
        .map_err(|_| OAuthError::invalid_grant("The authorization code is invalid or has expired"))?;
    let Code { request, login } = &opened.payload;
    if request.client_id != client.id.as_str() {
        return Err(OAuthError::invalid_grant("The authorization code was issued to another client"));
    }
    // A client made public after the code was issued must not redeem a code without PKCE.
    if client.token_endpoint_auth_method == TokenEndpointAuthMethod::None && request.code_challenge.is_none() {
        return Err(OAuthError::invalid_grant("A public client's code must have been requested with PKCE"));
    }
    // RFC 9700 §2.1.1: once the auth server requires PKCE, a code requested without it (before
    // the setting changed) is not redeemed either.
    if ctx.entry.server.require_pkce && request.code_challenge.is_none() {
        return Err(OAuthError::invalid_grant("This auth server requires PKCE: the code was requested without it"));
    }
    // RFC 6749 §4.1.3: the same redirect_uri as the authorization request, when it had one.
    match redemption.redirect_uri {
        Some(given) if given != request.redirect_uri => {
            return Err(OAuthError::invalid_grant("redirect_uri differs from the authorization request's"));
        }
        None if request.redirect_uri_sent => {
            return Err(OAuthError::invalid_grant("redirect_uri is required: the authorization request had one"));
        }
        _ => {}
    }
    // RFC 7636 §4.6, and RFC 9700 §2.1.1: a verifier without a challenge is a downgrade attempt.
    match (&request.code_challenge, redemption.code_verifier) {
        (Some(challenge), Some(verifier)) if authorize::verifier_matches(verifier, challenge) => {}
        (Some(_), Some(_)) => return Err(OAuthError::invalid_grant("code_verifier does not match the code_challenge")),
        (Some(_), None) => return Err(OAuthError::invalid_grant("code_verifier is required (PKCE)")),
        (None, Some(_)) => {
            return Err(OAuthError::invalid_grant(
                "code_verifier sent, but the authorization request had no code_challenge",
            ));
        }
        (None, None) => {}
    }
    // RFC 8707 §2.2: checked before the code is used up, so a wrong resource costs no code.
    let targets = resource::within_grant(redemption.resources.clone(), &request.resource)?;
    resource::resolve(targets.iter().copied(), &ctx.entry.resources)?;
    let targets: Vec<String> = targets.into_iter().map(str::to_owned).collect();
    let first =
        store::grants::mark_used(ctx.store, opened.id, server_id, Kind::Code.as_str(), opened.expires_at).await?;
    if !first {
        revoke_issued(ctx, opened.id).await;
        return Err(OAuthError::invalid_grant(
            "The authorization code has already been used; what it issued is revoked",
        ));
    }
    let (token, jwt) = mint::user_access_token(ctx, client, request, login, &targets).await?;
    let family = Uuid::new_v4();
    let refresh = refresh_token::start_family(ctx, client, &opened.payload, family, &token).await?;
    let mut issued = vec![issued_entry(&token)];
    if refresh.is_some() {
        issued.push(serde_json::json!({ "family": family }));
    }
    let issued = serde_json::json!(issued).to_string();
    match store::grants::record_issued(ctx.store, opened.id, &issued).await {
        Ok(true) => {}
        Ok(false) => {
            // The code was replayed while these tokens were being minted: they go at once.
            revoke_listed_grant(ctx, &issued).await;
            return Err(OAuthError::invalid_grant("The authorization code was used twice; what it issued is revoked"));
        }
        Err(e) => tracing::warn!(error = %e, "cannot record what an authorization code issued"),
    }
    user_token_response(ctx, client, request, login, (token, jwt), refresh)
}

/// RFC 6749 §4.1.2: a replayed code revokes the tokens its first use issued.
async fn revoke_issued(ctx: &Context<'_>, code_id: Uuid) {
    match store::grants::mark_replayed(ctx.store, code_id).await {
        // The first use is still minting; it will find the mark and revoke its own tokens.
        Ok(true) => return,
        Ok(false) => {}
        Err(e) => tracing::warn!(error = %e, "cannot mark a replayed code"),
    }
    let issued = match store::grants::issued(ctx.store, code_id).await {
        Ok(Some(issued)) => issued,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read what a replayed code issued");
            return;
        }
    };
    revoke_listed_grant(ctx, &issued).await;
}

/// Revokes what a code issued, as recorded: access tokens and refresh families.
async fn revoke_listed_grant(ctx: &Context<'_>, issued: &str) {
    let listed: Vec<serde_json::Value> = serde_json::from_str(issued).unwrap_or_default();
    let mut tokens = Vec::new();
    for entry in listed {
        // The refresh family the code started goes too.
        match entry["family"].as_str().and_then(|f| Uuid::parse_str(f).ok()) {
            Some(family) => tokens.extend(refresh_token::revoke_family(ctx, family).await),
            None => tokens.push(entry),
        }
    }
    mint::revoke_listed(ctx, tokens).await;
}
