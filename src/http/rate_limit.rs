//! Where a request comes from, and the per-address rate limit of the issuer endpoints that
//! authenticate clients (token, introspection, revocation, registration). The limiter itself
//! is framework-free: [`crate::limits`].

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::Extensions;
use axum::middleware::Next;
use axum::response::Response;

use crate::limits::Throttled;
use crate::oauth::OAuthError;

use super::{ApiError, AppState};

/// The source address of a request: the TCP peer, or, behind a trusted proxy, the client it
/// names in `X-Forwarded-For` (see [`crate::limits::TrustedProxies::source`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Source(pub IpAddr);

/// The source recorded by [`resolve_source`]; `0.0.0.0` for a request that did not come over
/// a socket (a router driven directly).
pub fn source(extensions: &Extensions) -> IpAddr {
    extensions.get::<Source>().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |source| source.0)
}

/// Records the request's [`Source`] for the handlers.
pub async fn resolve_source(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    if let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>().copied() {
        let forwarded = request.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok());
        let source = state.proxies.source(peer.ip(), forwarded);
        request.extensions_mut().insert(Source(source));
    }
    next.run(request).await
}

/// The per-address limit of an issuer endpoint that authenticates clients.
pub fn issuer_address(state: &AppState, source: IpAddr) -> Result<(), OAuthError> {
    state.limiter.address(source, Instant::now()).map_err(OAuthError::from)
}

/// The per-address limit of Dynamic Client Registration, on top of [`issuer_address`].
pub fn issuer_registration(state: &AppState, source: IpAddr) -> Result<(), OAuthError> {
    state.limiter.registration(source, Instant::now()).map_err(OAuthError::from)
}

impl From<Throttled> for ApiError {
    fn from(throttled: Throttled) -> Self {
        ApiError::too_many_requests(throttled.retry_after_seconds())
    }
}
