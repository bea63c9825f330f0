//! The endpoints under every issuer: discovery, JWKS, token, introspection, revocation.

mod authorize;
mod bearer;
pub use authorize::REJECTION_CODES;
pub(crate) mod cors;
mod discovery;
mod introspect;
mod mint;
mod register;
mod revoke;
mod token;
mod userinfo;

use std::sync::Arc;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use crate::cache::{ClientEntry, ServerEntry};
use crate::domain::IssuerSlug;
use crate::domain::TokenEndpointAuthMethod;
use crate::oauth::OAuthError;
use crate::oauth::client_assertion;
use crate::oauth::client_auth::{self, Method};
use crate::oauth::form::Form;
use crate::store;

use super::routes::{
    AUTHORIZE_PATHS, INTROSPECT_PATHS, JWKS_PATHS, METADATA_PATHS, OAUTH_METADATA_PATHS, REGISTER_PATHS,
    REGISTERED_CLIENT_PATHS, REVOKE_PATHS, TOKEN_PATHS, USERINFO_PATHS,
};
use super::{ApiError, AppState, Routes};

/// Every issuer endpoint, path-based and host-based, with a CORS preflight route each.
pub fn routes() -> Routes<AppState> {
    let mut routes = Routes::default();
    for i in 0..2 {
        routes = routes
            .get(METADATA_PATHS[i], discovery::openid_configuration)
            .get(OAUTH_METADATA_PATHS[i], discovery::oauth_authorization_server)
            .get(JWKS_PATHS[i], discovery::jwks)
            .post(TOKEN_PATHS[i], token::token)
            .post(INTROSPECT_PATHS[i], introspect::introspect)
            .post(REVOKE_PATHS[i], revoke::revoke)
            .get(AUTHORIZE_PATHS[i], authorize::authorize)
            .post(AUTHORIZE_PATHS[i], authorize::authorize)
            .get(USERINFO_PATHS[i], userinfo::userinfo)
            .post(USERINFO_PATHS[i], userinfo::userinfo)
            .post(REGISTER_PATHS[i], register::register)
            .get(REGISTERED_CLIENT_PATHS[i], register::read)
            .put(REGISTERED_CLIENT_PATHS[i], register::update)
            .delete(REGISTERED_CLIENT_PATHS[i], register::delete);
        for paths in [
            METADATA_PATHS,
            OAUTH_METADATA_PATHS,
            JWKS_PATHS,
            TOKEN_PATHS,
            INTROSPECT_PATHS,
            REVOKE_PATHS,
            USERINFO_PATHS,
            REGISTER_PATHS,
            REGISTERED_CLIENT_PATHS,
        ] {
            routes = routes.options(paths[i], cors::preflight);
        }
    }
    routes
}

/// The auth server a request is addressed to, from the path or, for host-based issuers,
/// the Host header.
#[derive(Clone)]
pub struct Issuer {
    pub entry: Arc<ServerEntry>,
    pub issuer: String,
}

impl FromRequestParts<AppState> for Issuer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // The CORS middleware has usually resolved it already.
        if let Some(issuer) = parts.extensions.get::<Issuer>() {
            return Ok(issuer.clone());
        }
        let from_path = Path::<std::collections::HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .ok()
            .and_then(|Path(params)| params.get("issuerSlug").cloned());
        let slug = match from_path {
            Some(raw) => IssuerSlug::parse(&raw),
            None => {
                parts.headers.get(header::HOST).and_then(|h| h.to_str().ok()).and_then(|h| state.urls.slug_from_host(h))
            }
        };
        let unknown = || ApiError::not_found("No such issuer");
        let slug = slug.ok_or_else(unknown)?;
        let entry = state.cache.server(&slug, Utc::now()).await.map_err(cache_error)?.ok_or_else(unknown)?;
        Ok(Issuer { issuer: state.urls.issuer(&slug), entry })
    }
}

fn cache_error(error: crate::cache::CacheError) -> ApiError {
    match error {
        crate::cache::CacheError::Store(e) => ApiError::from(e),
        crate::cache::CacheError::Key(e) => ApiError::internal(e),
    }
}

/// An RFC 6749 §5.2 error response: JSON, never cached, with a Basic challenge when the
/// client tried Basic.
pub struct OAuthReply(pub OAuthError);

impl From<OAuthError> for OAuthReply {
    fn from(error: OAuthError) -> Self {
        OAuthReply(error)
    }
}

impl IntoResponse for OAuthReply {
    fn into_response(self) -> Response {
        let error = self.0;
        if error.status >= 500 {
            tracing::error!(error = error.error, description = %error.description, "issuer endpoint failed");
        }
        let body = serde_json::json!({ "error": error.error, "error_description": error.description });
        let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut response = (status, no_store(), axum::Json(body)).into_response();
        if error.basic_challenge {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"tessera\""));
        }
        if error.status == 503 {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}

/// RFC 6749 §5.1: token responses must not be cached.
pub fn no_store() -> [(header::HeaderName, HeaderValue); 2] {
    [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::PRAGMA, HeaderValue::from_static("no-cache")),
    ]
}

/// Reads a form body; RFC 6749 §4.4.2 and RFC 7662 §2.1 require this content type.
pub fn read_form(headers: &HeaderMap, body: &[u8]) -> Result<Form, OAuthError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(OAuthError::invalid_request("Content-Type must be application/x-www-form-urlencoded"));
    }
    Form::parse(body)
}

/// A token presented by an authenticated client (introspection, revocation): the caller and,
/// when the token is one of this issuer's and in force, its claims.
/// Introspection requires an authenticated client; revocation also accepts a public client
/// identified by `client_id` (RFC 7009 §2.1), since it can only revoke its own tokens.
pub async fn presented_token(
    state: &AppState,
    issuer: &Issuer,
    headers: &HeaderMap,
    body: &[u8],
    now: chrono::DateTime<Utc>,
    public_clients: bool,
) -> Result<(Arc<ClientEntry>, Option<serde_json::Map<String, serde_json::Value>>), OAuthError> {
    let form = read_form(headers, body)?;
    let caller = if public_clients {
        identify(state, issuer, headers, &form).await?
    } else {
        authenticate(state, issuer, headers, &form).await?
    };
    let token = form.require("token")?;
    let claims = crate::oauth::introspect::verify(token, &issuer.entry.verifiers, &issuer.issuer, now, |jti| {
        state.cache.is_revoked(jti)
    });
    Ok((caller, claims))
}

/// The client of a token request: confidential clients authenticate with a secret (RFC 6749
/// §2.3.1); a public client (`token_endpoint_auth_method: none`) names itself with
/// `client_id` alone (§3.2.1), which only grants backed by PKCE accept.
pub async fn identify(
    state: &AppState,
    issuer: &Issuer,
    headers: &HeaderMap,
    form: &Form,
) -> Result<Arc<ClientEntry>, OAuthError> {
    let has_basic = headers.get(header::AUTHORIZATION).is_some();
    let other_credentials = has_basic || form.get("client_secret").is_some() || has_assertion(form);
    let public_id = form.get("client_id").filter(|_| !other_credentials);
    let Some(client_id) = public_id else {
        return authenticate(state, issuer, headers, form).await;
    };
    let entry = state
        .cache
        .client(issuer.entry.server.id, client_id)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "cannot load client");
            OAuthError::temporarily_unavailable()
        })?
        .ok_or_else(|| OAuthError::invalid_client(false))?;
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
pub async fn authenticate(
    state: &AppState,
    issuer: &Issuer,
    headers: &HeaderMap,
    form: &Form,
) -> Result<Arc<ClientEntry>, OAuthError> {
    if has_assertion(form) {
        return authenticate_assertion(state, issuer, headers, form).await;
    }
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let credentials = client_auth::credentials(authorization, form)?;
    let used_basic = credentials.method == Method::Basic;
    let entry = state
        .cache
        .client(issuer.entry.server.id, &credentials.client_id)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "cannot load client");
            OAuthError::temporarily_unavailable()
        })?
        .ok_or_else(|| OAuthError::invalid_client(used_basic))?;
    // `has_secrets` is false for a private_key_jwt client: it proves itself with its key.
    if !entry.has_secrets() || !state.cache.verify_secret(&entry, &credentials.secret).await {
        return Err(OAuthError::invalid_client(used_basic));
    }
    Ok(entry)
}

/// RFC 7521 §4.2 and RFC 7523 §3: a `private_key_jwt` client assertion, used once.
async fn authenticate_assertion(
    state: &AppState,
    issuer: &Issuer,
    headers: &HeaderMap,
    form: &Form,
) -> Result<Arc<ClientEntry>, OAuthError> {
    // RFC 6749 §2.3: one authentication method per request.
    if headers.get(header::AUTHORIZATION).is_some() || form.get("client_secret").is_some() {
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
    let client_id = client_assertion::claimed_client(assertion)?;
    if form.get("client_id").is_some_and(|given| given != client_id) {
        return Err(OAuthError::invalid_client_with("client_id differs from the client_assertion's sub"));
    }
    let entry = state
        .cache
        .client(issuer.entry.server.id, &client_id)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "cannot load client");
            OAuthError::temporarily_unavailable()
        })?
        .ok_or_else(|| OAuthError::invalid_client(false))?;
    let client = &entry.client;
    // Unknown client, a secret client, a bad signature: one answer, revealing nothing.
    let jwks = match (&client.jwks, client.token_endpoint_auth_method) {
        (Some(jwks), TokenEndpointAuthMethod::PrivateKeyJwt) => jwks,
        _ => return Err(OAuthError::invalid_client(false)),
    };
    let server_id = issuer.entry.server.id;
    let verified = client_assertion::verify(assertion, &client_id, jwks, &issuer.issuer, server_id, Utc::now())?;
    // RFC 7523 §3 item 7: a replayed assertion is refused, on every node.
    let first = store::grants::mark_used(
        &state.store,
        verified.use_id,
        issuer.entry.server.id,
        "client_assertion",
        verified.expires_at,
    )
    .await
    .map_err(|e| {
        tracing::warn!(error = %e, "cannot record a client assertion's use");
        OAuthError::temporarily_unavailable()
    })?;
    if !first {
        return Err(OAuthError::invalid_client_with("This client_assertion (its jti) has already been used"));
    }
    Ok(entry)
}
