//! Discovery documents and the JWKS.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::http::AppState;
use crate::http::routes::{
    AUTHORIZE_SUFFIX, INTROSPECT_SUFFIX, JWKS_SUFFIX, REGISTER_SUFFIX, REVOKE_SUFFIX, TOKEN_SUFFIX, USERINFO_SUFFIX,
};
use crate::oauth::discovery::{self, Endpoints};

use super::Issuer;

/// Gateways may cache discovery and keys for five minutes (`keys::JWKS_MAX_AGE_SECONDS`); a
/// new key is published at least that long before it signs, and a rotated key stays published
/// far longer, so a cached JWKS never misses a key that signed a live token.
const CACHE_FOR: HeaderValue = HeaderValue::from_static("public, max-age=300");

fn document(issuer: &Issuer) -> Value {
    let base = &issuer.issuer;
    let endpoints = Endpoints {
        issuer: base.clone(),
        token: format!("{base}{TOKEN_SUFFIX}"),
        jwks: format!("{base}{JWKS_SUFFIX}"),
        introspection: format!("{base}{INTROSPECT_SUFFIX}"),
        revocation: format!("{base}{REVOKE_SUFFIX}"),
        authorization: format!("{base}{AUTHORIZE_SUFFIX}"),
        userinfo: format!("{base}{USERINFO_SUFFIX}"),
        registration: issuer.entry.registration.enabled.then(|| format!("{base}{REGISTER_SUFFIX}")),
    };
    let entry = &issuer.entry;
    let mut claims: Vec<String> = crate::claims::SET_BY_TESSERA.iter().map(|name| (*name).to_owned()).collect();
    for claim in entry.claims.iter().map(|c| &c.claim).filter(|c| c.enabled) {
        if !claims.iter().any(|name| name == claim.name.as_str()) {
            claims.push(claim.name.as_str().to_owned());
        }
    }
    discovery::metadata(&endpoints, &entry.server, &entry.scopes, claims)
}

/// OpenID Connect Discovery 1.0 §4.
pub async fn openid_configuration(issuer: Issuer) -> Response {
    ([(header::CACHE_CONTROL, CACHE_FOR)], Json(document(&issuer))).into_response()
}

/// RFC 8414 §3.
pub async fn oauth_authorization_server(issuer: Issuer) -> Response {
    ([(header::CACHE_CONTROL, CACHE_FOR)], Json(document(&issuer))).into_response()
}

/// RFC 7517 §5: the published keys, active and recently retired.
pub async fn jwks(State(_): State<AppState>, issuer: Issuer) -> Response {
    let headers =
        [(header::CACHE_CONTROL, CACHE_FOR), (header::CONTENT_TYPE, HeaderValue::from_static("application/json"))];
    (headers, issuer.entry.jwks.clone()).into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_jwks_is_cached_for_as_long_as_keys_are_published_before_signing() {
        let expected = format!("public, max-age={}", crate::keys::JWKS_MAX_AGE_SECONDS);
        assert_eq!(super::CACHE_FOR.to_str().unwrap(), expected);
    }
}
