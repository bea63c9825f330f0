//! The endpoints under every issuer: discovery, JWKS, authorization, token, introspection,
//! revocation, userinfo and registration. Each handler reads the request, calls one function
//! of [`crate::service`], and writes its answer.

mod authorize;
pub(crate) mod cors;
mod discovery;
mod introspect;
mod register;
mod revoke;
mod token;
mod userinfo;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware;

use crate::cache::ServerEntry;
use crate::domain::IssuerSlug;
use crate::oauth::OAuthError;
use crate::oauth::form::Form;
use crate::service::Context;

use super::routes::{
    AUTHORIZE_PATHS, INTROSPECT_PATHS, JWKS_PATHS, METADATA_PATHS, OAUTH_METADATA_PATHS, REGISTER_PATHS,
    REGISTERED_CLIENT_PATHS, REVOKE_PATHS, TOKEN_PATHS, USERINFO_PATHS,
};
use super::{ApiError, AppState, Routes};

/// The issuer endpoints in groups, each with the methods a browser may use on them across
/// origins (answered to CORS preflights for the auth server's `trusted_origins`).
fn groups() -> [(&'static str, Routes<AppState>); 2] {
    let mut endpoints = Routes::default();
    let mut registered_clients = Routes::default();
    for i in 0..2 {
        endpoints = endpoints
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
            .post(REGISTER_PATHS[i], register::register);
        for paths in [
            METADATA_PATHS,
            OAUTH_METADATA_PATHS,
            JWKS_PATHS,
            TOKEN_PATHS,
            INTROSPECT_PATHS,
            REVOKE_PATHS,
            USERINFO_PATHS,
            REGISTER_PATHS,
        ] {
            endpoints = endpoints.options(paths[i], cors::preflight);
        }
        // RFC 7592's configuration endpoint is the only one read, replaced and deleted.
        registered_clients = registered_clients
            .get(REGISTERED_CLIENT_PATHS[i], register::read)
            .put(REGISTERED_CLIENT_PATHS[i], register::update)
            .delete(REGISTERED_CLIENT_PATHS[i], register::delete)
            .options(REGISTERED_CLIENT_PATHS[i], cors::preflight);
    }
    [("GET, POST, OPTIONS", endpoints), ("GET, PUT, DELETE, OPTIONS", registered_clients)]
}

/// Every issuer route, path-based and host-based, with a CORS preflight route each.
pub fn routes() -> Routes<AppState> {
    let [(_, endpoints), (_, registered_clients)] = groups();
    endpoints.merge(registered_clients)
}

/// The issuer routes with CORS and latency tracking.
pub fn router(state: &AppState) -> Router<AppState> {
    groups().into_iter().fold(Router::new(), |router, (methods, routes)| {
        let cors = cors::Cors { state: state.clone(), methods: HeaderValue::from_static(methods) };
        router.merge(
            routes
                .into_router()
                .route_layer(middleware::from_fn_with_state(cors, cors::middleware))
                .route_layer(middleware::from_fn_with_state(state.clone(), super::track_latency)),
        )
    })
}

/// The auth server a request is addressed to, from the path or, for host-based issuers,
/// the Host header.
#[derive(Clone)]
pub struct Issuer {
    pub entry: Arc<ServerEntry>,
    pub issuer: String,
    /// Where the request comes from (`http::rate_limit::Source`).
    pub source: std::net::IpAddr,
}

impl Issuer {
    /// What the service layer works with for this request, at this instant.
    pub fn context<'a>(&'a self, state: &'a AppState) -> Context<'a> {
        Context {
            store: &state.store,
            cache: &state.cache,
            token_log: &state.token_log,
            use_log: &state.use_log,
            flows: &state.flows,
            entry: &self.entry,
            issuer: &self.issuer,
            now: state.now(),
            limiter: &state.limiter,
            source: self.source,
        }
    }

    /// The per-source-address limit of the endpoints that authenticate clients.
    pub fn limit_address(&self, state: &AppState) -> Result<(), OAuthError> {
        super::rate_limit::issuer_address(state, self.source)
    }

    /// The per-source-address limit of registration requests.
    pub fn limit_registration(&self, state: &AppState) -> Result<(), OAuthError> {
        super::rate_limit::issuer_registration(state, self.source)
    }
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
        let entry = state.cache.server(&slug, state.now()).await.map_err(cache_error)?.ok_or_else(unknown)?;
        let source = super::rate_limit::source(&parts.extensions);
        Ok(Issuer { issuer: state.urls.issuer(&slug), entry, source })
    }
}

fn cache_error(error: crate::cache::CacheError) -> ApiError {
    match error {
        crate::cache::CacheError::Store(e) => ApiError::from(e),
        crate::cache::CacheError::Key(e) => ApiError::internal(e),
    }
}

/// The `Authorization` header's value, if one was sent (a value that is not visible ASCII
/// counts as sent, and as no credentials).
pub fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION).map(|value| value.to_str().unwrap_or(""))
}

/// Reads a form body; RFC 6749 §4.4.2 and RFC 7662 §2.1 require this content type.
pub fn read_form(headers: &HeaderMap, body: &[u8]) -> Result<Form, OAuthError> {
    if !is_form(headers) {
        return Err(OAuthError::invalid_request("Content-Type must be application/x-www-form-urlencoded"));
    }
    Form::parse(body)
}

/// A request body of at most `BODY_LIMIT` bytes. A larger or unreadable one is refused in the
/// endpoint's own format, an RFC 6749 §5.2 `invalid_request` (400, JSON, `no-store`), rather
/// than the HTTP layer's plain-text 413.
pub struct FormBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for FormBody {
    type Rejection = OAuthError;

    async fn from_request(request: Request, state: &S) -> Result<Self, OAuthError> {
        Bytes::from_request(request, state).await.map(FormBody).map_err(|rejection| match rejection {
            BytesRejection::FailedToBufferBody(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                OAuthError::invalid_request(format!("The request body is larger than {} bytes", super::BODY_LIMIT))
            }
            other => OAuthError::invalid_request(format!("Cannot read the request body: {other}")),
        })
    }
}

/// Whether the body is declared `application/x-www-form-urlencoded`.
pub fn is_form(headers: &HeaderMap) -> bool {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/x-www-form-urlencoded")
}
