//! RFC 8693: a token the client holds — a user's access token from this auth server, a
//! workload's token from a trusted issuer — exchanged for one for another audience, with
//! scopes no wider than the subject's unless the client's exchange policy says so, naming who
//! acts for the subject when an actor token is given (delegation, `act`).

use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::domain::Client;
use crate::domain::exchange_policy::{ExchangePolicy, TokenSource};
use crate::oauth::federated_assertion::{self, MAX_ASSERTION_LENGTH};
use crate::oauth::form::Form;
use crate::oauth::issue::{self, Subject};
use crate::oauth::token_exchange::{self, ExchangeRequest, Presented, TokenType};
use crate::oauth::{OAuthError, resource};

use super::super::{Context, federation, introspect, mint};
use super::TokenResponse;

/// A presented token that checked out, and what the auth server takes from it.
struct Verified {
    claims: Arc<Map<String, Value>>,
    /// Claims its trusted issuer copies into tokens issued for it.
    copied: Vec<(String, Value)>,
}

#[tracing::instrument(level = "info", name = "token_exchange", skip_all, fields(auth_server = %ctx.entry.server.id, client_id = %client.id))]
pub(super) async fn grant(ctx: &Context<'_>, client: &Client, form: &Form) -> Result<TokenResponse, OAuthError> {
    let policy = ctx.entry.exchange_policy(client.id.as_str()).ok_or_else(|| {
        OAuthError::unauthorized_client("The client may not exchange tokens: it has no token exchange policy")
    })?;
    let request = ExchangeRequest::parse(form)?;
    token_exchange::check_mode(request.actor.is_some(), policy)?;
    token_exchange::check_targets(&request.targets, policy)?;
    let targets = resource::resolve(request.targets.iter().copied(), &ctx.entry.resources)?;
    let subject = verify_presented(ctx, client, policy, &request.subject, "subject_token").await?;
    let actor = match &request.actor {
        Some(actor) => Some(verify_presented(ctx, client, policy, actor, "actor_token").await?),
        None => None,
    };
    if let Some(actor) = &actor {
        token_exchange::check_may_act(&subject.claims, &actor.claims)?;
    }
    let sub = subject.claims.get("sub").and_then(Value::as_str).filter(|sub| !sub.is_empty());
    let sub = sub.ok_or_else(|| OAuthError::invalid_request("subject_token has no sub"))?;
    let subject_scopes = token_exchange::scopes_of(&subject.claims);
    let granted = token_exchange::grant_scopes(request.scope, &subject_scopes, policy, &ctx.entry.scopes)?;
    let mut names: Vec<String> = granted.iter().map(|scope| scope.name.as_str().to_owned()).collect();
    resource::narrow(&mut names, &targets, &ctx.entry.scopes);
    let granted = mint::scopes_named(ctx, &names);
    let mut custom = mint::custom_claims(ctx, client, &granted, request.scope.is_some()).await?;
    // The auth server's own claims first; a copied claim only where none of them has the name.
    for (name, value) in subject.copied {
        if !custom.iter().any(|(existing, _)| *existing == name) {
            custom.push((name, value));
        }
    }
    let server = &ctx.entry.server;
    let mut token = issue::access_token(ctx.issuer, server, client, Subject::Exchanged(sub), names, custom, ctx.now);
    token.restrict_audience(resource::audience(&targets));
    // Never outliving the subject token; one inside the clock skew allowed has no time to give.
    if let Some(expires) = subject.claims.get("exp").and_then(Value::as_i64) {
        if expires <= ctx.now.timestamp() {
            return Err(OAuthError::invalid_request("subject_token has expired"));
        }
        token.expire_by(expires);
    }
    if let Some(act) = token_exchange::act(&subject.claims, actor.as_ref().map(|a| a.claims.as_ref()), ctx.issuer) {
        token.claims.insert("act".into(), act);
    }
    let jwt = mint::sign(ctx, &token.claims)?;
    let response =
        TokenResponse { issued_token_type: Some(request.issued_type.uri()), ..TokenResponse::bearer(&token, jwt) };
    mint::record(ctx, client, token.record).await?;
    Ok(response)
}

/// RFC 8693 §2.1–2.2.2: a subject or actor token (`name`) must be one the policy accepts and in
/// force; anything else is `invalid_request` naming the check that failed.
async fn verify_presented(
    ctx: &Context<'_>,
    client: &Client,
    policy: &ExchangePolicy,
    presented: &Presented<'_>,
    name: &str,
) -> Result<Verified, OAuthError> {
    let refused = |reason: &str| OAuthError::invalid_request(format!("{name} {reason}"));
    if presented.token.len() > MAX_ASSERTION_LENGTH {
        return Err(refused(&format!("is longer than {MAX_ASSERTION_LENGTH} characters")));
    }
    let issuer =
        federated_assertion::unverified_issuer(presented.token).map_err(|_| refused("is not a JWT with an iss"))?;
    if issuer == ctx.issuer {
        if !policy.accepts(TokenSource::Own) {
            return Err(refused("is this auth server's, and the client's exchange policy does not accept its tokens"));
        }
        let claims = own_token(ctx, client, presented).await.map_err(&refused)?;
        return Ok(Verified { claims, copied: Vec::new() });
    }
    let trusted = federation::trusted_issuer_named(ctx, &issuer)
        .ok_or_else(|| refused("is from an issuer this auth server does not trust"))?;
    if !policy.accepts(TokenSource::Trusted(trusted.id)) {
        return Err(refused("is from a trusted issuer the client's exchange policy does not accept"));
    }
    let now = ctx.now.timestamp();
    let claims = match ctx.entry.verified_tokens.get(presented.token, now) {
        Some(claims) => claims,
        None => {
            let claims = federation::verified_claims(ctx, trusted, presented.token)
                .await
                .map_err(|e| OAuthError::invalid_request(e.description.replacen("assertion", name, 1)))?;
            let claims = Arc::new(claims);
            // Held no longer than the checks of its trusted issuer would pass it: expiry and age.
            let number = |claim: &str| claims.get(claim).and_then(Value::as_i64).unwrap_or(now);
            let until = number("exp").min(number("iat").saturating_add(trusted.max_token_age_secs));
            ctx.entry.verified_tokens.put(presented.token, claims.clone(), until, now);
            claims
        }
    };
    let copied = federated_assertion::copied_claims(&claims, trusted);
    Ok(Verified { claims, copied })
}

/// A token this auth server issued, of the type presented: an access token in force (not
/// revoked, its client still there), or an ID token issued to the exchanging client (an ID
/// token is for its audience alone, OpenID Connect Core §2). `jwt` is either.
async fn own_token(
    ctx: &Context<'_>,
    client: &Client,
    presented: &Presented<'_>,
) -> Result<Arc<Map<String, Value>>, &'static str> {
    let entry = ctx.entry;
    let now = ctx.now.timestamp();
    let signed = match entry.verified_tokens.get(presented.token, now) {
        Some(claims) => claims,
        None => {
            let signed = introspect::verify_signed_own(ctx, presented.token)
                .ok_or("is not a token of this auth server in force")?;
            let signed = Arc::new(signed);
            let expires = signed.get("exp").and_then(Value::as_i64).unwrap_or(now);
            entry.verified_tokens.put(presented.token, signed.clone(), expires, now);
            signed
        }
    };
    let is_access_token = signed.contains_key("jti");
    match (presented.kind, is_access_token) {
        (TokenType::AccessToken | TokenType::Jwt, true) => {
            let jti = signed.get("jti").and_then(Value::as_str).and_then(|jti| uuid::Uuid::parse_str(jti).ok());
            if jti.is_none_or(|jti| ctx.cache.is_revoked(&jti)) {
                return Err("has been revoked");
            }
            let claims = signed;
            let owner = claims.get("client_id").and_then(Value::as_str).unwrap_or_default();
            match ctx.cache.client(entry.server.id, owner).await {
                Ok(Some(_)) => Ok(claims),
                Ok(None) => Err("was issued to a client that no longer exists"),
                Err(_) => Err("cannot be checked now; retry"),
            }
        }
        (TokenType::IdToken | TokenType::Jwt, false) => {
            if signed.get("aud") != Some(&json!(client.id.as_str())) {
                return Err("is an ID token issued to another client");
            }
            Ok(signed)
        }
        (TokenType::AccessToken, false) => Err("is not an access token (subject_token_type says it is)"),
        (TokenType::IdToken, true) => Err("is not an ID token (subject_token_type says it is)"),
    }
}
