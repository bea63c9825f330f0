//! RFC 6749 §4.4: a token for the client itself.

use crate::domain::{Client, TokenEndpointAuthMethod};
use crate::oauth::issue::{self, Subject};
use crate::oauth::{OAuthError, resource, scope};

use super::super::{Context, mint};
use super::TokenResponse;

#[tracing::instrument(level = "info", name = "client_credentials", skip_all, fields(auth_server = %ctx.entry.server.id, client_id = %client.id))]
pub(super) async fn grant(
    ctx: &Context<'_>,
    client: &Client,
    requested_scope: Option<&str>,
    resources: Vec<&str>,
) -> Result<TokenResponse, OAuthError> {
    // RFC 6749 §4.4: only a confidential client can use this grant.
    if client.token_endpoint_auth_method == TokenEndpointAuthMethod::None {
        return Err(OAuthError::unauthorized_client("A public client cannot use client_credentials"));
    }
    let entry = ctx.entry;
    // `openid` is accepted here too (a developer portal's app asks for it); with no end user
    // there is no ID token (OpenID Connect Core §3.1.3.3 issues one only for a user's grant).
    let targets = resource::resolve(resources, &entry.resources)?;
    let mut granted = scope::grant_with_openid(requested_scope, &entry.scopes, client)?;
    resource::narrow_granted(&mut granted, &targets, &entry.scopes);
    let custom = mint::custom_claims(ctx, client, &granted.scopes, granted.requested).await?;
    let mut token =
        issue::access_token(ctx.issuer, &entry.server, client, Subject::Client, granted.names, custom, ctx.now);
    token.restrict_audience(resource::audience(&targets));
    let jwt = mint::sign(ctx, &token.claims)?;
    let response = TokenResponse::bearer(&token, jwt);
    mint::record(ctx, client, token.record).await?;
    Ok(response)
}
