//! HTTP: the /v1 management API, the issuer endpoints and operational endpoints. Only this
//! module knows axum.

pub mod admin;
mod connection;
pub mod console;
pub mod error;
pub mod extract;
mod health;
pub mod issuer;
pub mod pages;
pub mod rate_limit;
pub mod request_id;
pub mod routes;
pub mod validate;

use std::sync::Arc;
use std::time::Duration;

pub use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::trace::TraceLayer;

use crate::cache::Cache;
use crate::store::Store;
use crate::store::TokenLog;

pub use error::ApiError;
pub use routes::{Routes, Urls};

/// Largest request body accepted.
pub const BODY_LIMIT: usize = 256 * 1024;

/// What every handler reads, behind one `Arc`: axum clones the state for each extractor and
/// middleware of every request, and one reference count costs less than one per field.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub store: Store,
    pub urls: Arc<Urls>,
    /// When admin credentials were last used, written in batches (`tasks::flush_admin_usage`).
    pub admin_usage: Arc<crate::service::admin_auth::Usage>,
    /// `TESSERA_ADMIN_TOKEN` is set: every start gives it to the bootstrap credential again.
    pub admin_token_configured: bool,
    pub cache: Arc<Cache>,
    pub token_log: TokenLog,
    /// Single uses of assertions, with group commit.
    pub use_log: crate::store::UseLog,
    pub metrics: Arc<crate::metrics::Metrics>,
    /// SHA-256 digest of `TESSERA_METRICS_TOKEN`, which /metrics then requires; open when unset.
    pub metrics_token: Option<Arc<str>>,
    /// Seals login challenges, verifiers and authorization codes (`oauth::flow`).
    pub flows: Arc<crate::cache::flow_keys::FlowKeys>,
    /// The server keys of API key lookup digests.
    pub api_key_digests: Arc<crate::cache::api_key_digests::ApiKeyDigests>,
    /// Signing key rotation: the lead time of next keys, for rotations on request.
    pub key_schedule: crate::keys::Schedule,
    /// Rate limits and failed-authentication backoff of this node.
    pub limiter: Arc<crate::limits::Limiter>,
    /// Thins failed /v1 authentications before they reach the audit log (in memory, per node).
    pub audit_failures: Arc<std::sync::Mutex<crate::domain::audit::FailureThrottle>>,
    /// Whose `X-Forwarded-For` names the source of a request.
    pub proxies: Arc<crate::limits::TrustedProxies>,
    /// How long web console sessions last.
    pub console_lifetime: crate::service::console_session::Lifetime,
    /// A request still running after this is answered 503.
    pub request_timeout: Duration,
    /// Zero except in tests that skew a node's clock (`TESSERA_TEST_CLOCK_OFFSET_SECONDS`).
    pub clock_offset: chrono::TimeDelta,
}

impl Shared {
    /// This node's clock: the `now` requests pass down (time is a parameter below `http`).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now() + self.clock_offset
    }
}

/// Every (method, path) served, for the OpenAPI coverage test.
pub fn route_table() -> Vec<(String, String)> {
    let mut table = admin::routes().table();
    table.extend(issuer::routes().table());
    table.extend(health::routes().table());
    // axum's catch-all `{*path}` is OpenAPI's `{path}`.
    table.extend(console::routes().table().into_iter().map(|(method, path)| (method, path.replace("{*", "{"))));
    table
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(admin::router(&state))
        .merge(issuer::router(&state))
        .merge(
            console::routes().into_router().route_layer(middleware::from_fn_with_state(state.clone(), track_latency)),
        )
        .merge(health::routes().into_router().route_layer(middleware::from_fn_with_state(state.clone(), track_latency)))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(state.request_timeout, timeout))
        .layer(middleware::from_fn_with_state(state.clone(), rate_limit::resolve_source))
        .layer(TraceLayer::new_for_http().make_span_with(request_span).on_response(RecordStatus))
        .layer(middleware::from_fn(request_id::middleware))
        .layer(middleware::from_fn(nosniff))
        .with_state(state)
}

/// The span every log line of a request is recorded in. It names the route template, never the
/// path or the query: paths carry login challenges and client ids, queries carry codes, login
/// verifiers and `state`. A request no route matched is logged as route `-`. With traces on, it
/// is the server span of the request, a child of the caller's span when a `traceparent` came.
fn request_span(request: &Request) -> tracing::Span {
    let id = request.headers().get(request_id::HEADER).and_then(|v| v.to_str().ok()).unwrap_or("-");
    let route = request.extensions().get::<MatchedPath>().map_or("-", MatchedPath::as_str);
    let method = request.method();
    if !crate::telemetry::traces_on() {
        return tracing::info_span!("request", request_id = %id, method = %method, route = %route);
    }
    // OpenTelemetry HTTP semantic conventions: a server span named "{method} {route}", or
    // "HTTP {route}" for a method a caller made up, so span names come from a closed set.
    let known = [Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE, Method::HEAD, Method::OPTIONS];
    let name_method = if known.contains(method) { method.as_str() } else { "HTTP" };
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %method,
        route = %route,
        trace_id = tracing::field::Empty,
        otel.name = %format_args!("{name_method} {route}"),
        otel.kind = "server",
        otel.status_code = tracing::field::Empty,
        http.response.status_code = tracing::field::Empty,
    );
    crate::telemetry::continue_trace(&span, &opentelemetry_http::HeaderExtractor(request.headers()));
    span
}

/// Logs the answer as `TraceLayer` does by default and, with traces on, records its status on
/// the request span; a 5xx marks the span as failed.
#[derive(Clone, Copy)]
struct RecordStatus;

impl<B> tower_http::trace::OnResponse<B> for RecordStatus {
    fn on_response(self, response: &axum::http::Response<B>, latency: Duration, span: &tracing::Span) {
        tower_http::trace::DefaultOnResponse::default().on_response(response, latency, span);
        if crate::telemetry::traces_on() {
            span.record("http.response.status_code", response.status().as_u16());
            if response.status().is_server_error() {
                span.record("otel.status_code", "ERROR");
            }
        }
    }
}

/// `X-Content-Type-Options: nosniff` on every response: nothing we send is to be read as
/// another type than the one declared.
async fn nosniff(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    response.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

async fn not_found() -> ApiError {
    ApiError::not_found("No such resource")
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}

/// Answers 503 instead of hanging when a request takes longer than
/// `TESSERA_REQUEST_TIMEOUT_SECONDS` (30 by default).
async fn timeout(
    axum::extract::State(limit): axum::extract::State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::timeout().into_response(),
    }
}

/// Records each routed request's latency under its route template.
pub(crate) async fn track_latency(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let started = std::time::Instant::now();
    let method = request.method().to_string();
    let route = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_default();
    let response = next.run(request).await;
    state.metrics.request(&method, &route, response.status().as_u16(), started.elapsed());
    response
}

/// What a connection may hold of the server.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    /// A client must send a request's whole header within this time, and an idle keep-alive
    /// connection is closed after it (hyper's HTTP/1 header-read timer runs from the moment a
    /// connection is idle); a new connection must send its first bytes within it too: slow or
    /// silent clients cannot hold connections forever.
    pub header_read_timeout: std::time::Duration,
    /// Connections served at once; past it, new ones wait in the listen backlog.
    pub max_connections: usize,
}

/// Serves `router` on `listener` until `shutdown` completes, then finishes the requests in
/// flight. Unlike `axum::serve`, hyper gets a timer, so its header-read timeout applies. Each
/// request carries its peer address as `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::server::conn::auto::Builder;
    use hyper_util::service::TowerToHyperService;

    let mut builder = Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    builder.http2().timer(TokioTimer::new()).keep_alive_interval(limits.header_read_timeout);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.map_err(std::io::Error::other)?,
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: pause rather than spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let with_peer = tower::ServiceExt::map_request(router.clone(), move |mut request: axum::http::Request<_>| {
            request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
            request
        });
        let service = TowerToHyperService::new(with_peer);
        let stream = connection::FirstBytes::new(stream, limits.header_read_timeout);
        let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service).into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
