//! A trusted issuer's token presented to an issuer endpoint (RFC 7523): as a grant (§2.1) or as
//! a client's authentication (§2.2). Finds the trusted issuer by the token's `iss`, gets its
//! keys (inline, or fetched from its `jwks_uri`, again when it names an unknown `kid`), checks
//! the token, and records its single use on every node.

use crate::cache::issuer_keys::FetchError;
use serde_json::{Map, Value};

use crate::domain::jwks::ClientJwks;
use crate::domain::trusted_issuer::{IssuerKeys, TrustedIssuer};
use crate::oauth::OAuthError;
use crate::oauth::federated_assertion::{self, KeysFailed, Verified};

use super::Context;

/// The enabled trusted issuer of this auth server that the assertion claims (`iss`, unverified).
pub fn trusted_issuer<'a>(ctx: &'a Context<'_>, assertion: &str) -> Option<&'a TrustedIssuer> {
    trusted_issuer_named(ctx, &federated_assertion::unverified_issuer(assertion).ok()?)
}

/// The enabled trusted issuer of this auth server whose identifier is `issuer`.
pub fn trusted_issuer_named<'a>(ctx: &'a Context<'_>, issuer: &str) -> Option<&'a TrustedIssuer> {
    ctx.entry.trusted_issuers.iter().find(|trusted| trusted.enabled && trusted.issuer == issuer)
}

/// Checks the assertion against `trusted` and records its use (`purpose` names what it was
/// used for); refusals are `invalid_grant` with the failed check.
pub async fn verify(
    ctx: &Context<'_>,
    trusted: &TrustedIssuer,
    assertion: &str,
    purpose: &'static str,
) -> Result<Verified, OAuthError> {
    let verified = check(ctx, trusted, assertion).await?;
    // RFC 7523 §3 item 7: each assertion once, on every node.
    let first = ctx.use_log.mark_used(verified.use_id, ctx.entry.server.id, purpose, verified.remember_until).await?;
    if !first {
        return Err(OAuthError::invalid_grant("this assertion (its jti) has already been used"));
    }
    Ok(verified)
}

/// Every check of [`verify`] but the single use, which the caller records itself (the JWT
/// bearer grant records it with the token it issues, in one write).
pub async fn check(ctx: &Context<'_>, trusted: &TrustedIssuer, assertion: &str) -> Result<Verified, OAuthError> {
    with_keys(ctx, trusted, |jwks| federated_assertion::verify(assertion, trusted, jwks, ctx.now)).await
}

/// A token of `trusted` presented for exchange (RFC 8693 §2.1): its claims once its signature,
/// issuer, audience, times and claim conditions check out; no subject mapping, no single use
/// (a subject token may be exchanged for several audiences).
pub async fn verified_claims(
    ctx: &Context<'_>,
    trusted: &TrustedIssuer,
    token: &str,
) -> Result<Map<String, Value>, OAuthError> {
    with_keys(ctx, trusted, |jwks| federated_assertion::verify_token(token, trusted, jwks, ctx.now)).await
}

/// Runs `check` with the trusted issuer's keys: inline, or from its `jwks_uri`, fetched again
/// once when the token names a `kid` the cached keys lack.
async fn with_keys<T>(
    ctx: &Context<'_>,
    trusted: &TrustedIssuer,
    check: impl Fn(&ClientJwks) -> Result<Result<T, OAuthError>, KeysFailed>,
) -> Result<T, OAuthError> {
    let bad_signature =
        || OAuthError::invalid_grant("assertion signature does not verify with this trusted issuer's keys");
    match &trusted.keys {
        IssuerKeys::Jwks(jwks) => check(jwks).map_err(|_| bad_signature())?,
        IssuerKeys::JwksUri(uri) => {
            let fetch_failed = |e: FetchError| OAuthError::invalid_grant(e.to_string());
            let jwks = ctx.cache.issuer_keys.get(uri, false).await.map_err(fetch_failed)?;
            match check(&jwks) {
                Ok(result) => result,
                // The issuer may have rotated its keys since they were fetched.
                Err(KeysFailed::UnknownKid) => {
                    let jwks = ctx.cache.issuer_keys.get(uri, true).await.map_err(fetch_failed)?;
                    check(&jwks).map_err(|_| bad_signature())?
                }
                Err(KeysFailed::BadSignature) => Err(bad_signature()),
            }
        }
    }
}
