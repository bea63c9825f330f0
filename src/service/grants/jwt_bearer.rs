//! RFC 7523 §2.1: a trusted issuer's JWT as an authorization grant. A workload that already
//! holds a token from an issuer the auth server trusts (a Kubernetes service account, a GitHub
//! Actions job) gets an access token for the client its subject maps to, without a secret.

use crate::oauth::federated_assertion;
use crate::oauth::form::Form;
use crate::oauth::issue::{self, Subject};
use crate::oauth::{OAuthError, resource, scope};
use crate::store;

use super::super::{Context, client_auth, federation, mint};
use super::TokenResponse;

#[tracing::instrument(level = "info", name = "jwt_bearer", skip_all, fields(auth_server = %ctx.entry.server.id, client_id))]
pub(super) async fn grant(
    ctx: &Context<'_>,
    authorization: Option<&str>,
    form: &Form,
) -> Result<TokenResponse, OAuthError> {
    let assertion = form.require("assertion")?;
    // Before the assertion is used up: a wrong resource costs the workload no token.
    let targets = resource::resolve(form.all("resource"), &ctx.entry.resources)?;
    // Read unverified only to find the trusted issuer whose keys must verify it.
    let issuer = federated_assertion::unverified_issuer(assertion)?;
    let trusted = federation::trusted_issuer_named(ctx, &issuer)
        .ok_or_else(|| OAuthError::invalid_grant("assertion iss is not a trusted issuer of this auth server"))?;
    let verified = federation::check(ctx, trusted, assertion).await?;
    tracing::Span::current().record("client_id", verified.client_id.as_str());
    let server_id = ctx.entry.server.id;
    let entry = ctx
        .cache
        .client(server_id, verified.client_id.as_str())
        .await?
        .ok_or_else(|| OAuthError::invalid_grant("the client this assertion's subject maps to does not exist"))?;
    // RFC 7523 §2.1: client authentication is optional with this grant; a client that does
    // authenticate, or names itself with `client_id`, must be the one the subject maps to.
    let authenticates = authorization.is_some()
        || ["client_secret", "client_assertion", "client_assertion_type"].iter().any(|name| form.get(name).is_some());
    if !authenticates && form.get("client_id").is_some_and(|given| given != entry.client.id.as_str()) {
        return Err(OAuthError::invalid_grant("client_id is not the client the assertion's subject maps to"));
    }
    if authenticates {
        let caller = client_auth::identify(ctx, authorization, form).await?;
        if caller.client.id != entry.client.id {
            return Err(OAuthError::invalid_grant(
                "assertion's subject maps to another client than the one authenticated",
            ));
        }
    } else {
        ctx.limiter.client(server_id, entry.client.id.as_str(), std::time::Instant::now())?;
    }
    let client = &entry.client;
    let mut granted = scope::grant_with_openid(form.get("scope"), &ctx.entry.scopes, client)?;
    resource::narrow_granted(&mut granted, &targets, &ctx.entry.scopes);
    let mut custom = mint::custom_claims(ctx, client, &granted.scopes, granted.requested).await?;
    // The auth server's own claims first; a copied claim only where none of them has the name.
    for (name, value) in verified.copied {
        if !custom.iter().any(|(existing, _)| *existing == name) {
            custom.push((name, value));
        }
    }
    let mut token =
        issue::access_token(ctx.issuer, &ctx.entry.server, client, Subject::Client, granted.names, custom, ctx.now);
    token.restrict_audience(resource::audience(&targets));
    let jwt = mint::sign(ctx, &token.claims)?;
    let response = TokenResponse::bearer(&token, jwt);
    // RFC 7523 §3 item 7: the use commits in the token record's transaction; a second use gets no token.
    let single_use = store::tokens::SingleUse {
        id: verified.use_id,
        auth_server_id: server_id,
        kind: "jwt_bearer",
        expires_at: verified.remember_until,
    };
    mint::record_first_use(ctx, client, token.record, single_use).await?;
    Ok(response)
}
