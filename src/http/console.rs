//! The web console: its page and assets (the `console/` directory, embedded in the binary),
//! sign-in and sign-out, and the little it needs beyond the management API. Everything else
//! the console does, it does by calling `/v1` and `/v2` like any admin client, with its
//! session cookie and CSRF header in place of a bearer token (see `extract::require_admin`),
//! so the same checks, roles and audit apply.

use std::time::Instant;

use axum::Json;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::error::ApiError;
use super::extract::ApiJson;
use super::routes::{CONSOLE, CONSOLE_ACTIVITY, CONSOLE_ASSET, CONSOLE_HOME, CONSOLE_SESSION};
use super::{AppState, Routes};
use crate::domain::admin::{AdminCredential, Role};
use crate::service::admin_auth::Refused;
use crate::service::console_session::{self, Ended, Session};

/// The session cookie. `Path=/`: it authenticates `/v1` and `/v2` calls too.
const COOKIE: &str = "tessera_console";
/// Its name over https: the `__Host-` prefix makes browsers refuse it from anywhere but this
/// host, with `Secure`, `Path=/` and no `Domain`, so a sibling subdomain cannot plant or shadow
/// it (RFC 6265bis §4.1.3.2).
const HOST_COOKIE: &str = "__Host-tessera_console";

fn cookie_name(state: &AppState) -> &'static str {
    if state.urls.is_https() { HOST_COOKIE } else { COOKIE }
}

/// The header carrying the session's CSRF token on every cookie-authenticated request.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Scripts, styles and images from this origin only, no inline script or style, nothing
/// framing the console, forms posting nowhere else (CSP Level 3).
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                      connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; \
                      base-uri 'none'";

#[derive(rust_embed::Embed)]
#[folder = "console/"]
struct Assets;

/// The console's page, assets and session: no admin credential needed to reach them.
pub fn routes() -> Routes<AppState> {
    Routes::default()
        .get(CONSOLE, page)
        .get(CONSOLE_HOME, page)
        .get(CONSOLE_ASSET, asset)
        .get(CONSOLE_SESSION, show_session)
        .post(CONSOLE_SESSION, sign_in)
        .delete(CONSOLE_SESSION, sign_out)
}

/// What the console reads beside the management API, behind the same admin check.
pub fn api_routes() -> Routes<AppState> {
    Routes::default().get(CONSOLE_ACTIVITY, activity)
}

async fn page() -> Response {
    serve("index.html")
}

async fn asset(Path(path): Path<String>) -> Response {
    serve(&path)
}

fn serve(path: &str) -> Response {
    let Some(file) = Assets::get(path) else {
        return ApiError::not_found("No such console asset").into_response();
    };
    let content_type = match path.rsplit_once('.').map(|(_, extension)| extension) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        _ => "application/octet-stream",
    };
    let mut response = (StatusCode::OK, file.data.into_owned()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Revalidated on every load, so a new version of Tessera is never mixed with old scripts.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", hex::encode(file.metadata.sha256_hash()))) {
        headers.insert(header::ETAG, etag);
    }
    secure(response)
}

/// The console's headers on every answer of its own.
fn secure(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    response
}

/// Who is signed in, and the token the console's requests must carry.
#[derive(Serialize)]
struct SessionView {
    credential: CredentialView,
    role: Role,
    auth_servers: Option<Vec<Uuid>>,
    directories: Option<Vec<Uuid>>,
    csrf_token: String,
    idle_timeout_seconds: i64,
}

#[derive(Serialize)]
struct CredentialView {
    id: Uuid,
    name: String,
}

fn view(state: &AppState, session: Session) -> SessionView {
    let AdminCredential { id, name, access, .. } = session.credential;
    SessionView {
        credential: CredentialView { id, name: name.as_str().to_owned() },
        role: access.role,
        auth_servers: access.auth_servers,
        directories: access.directories,
        csrf_token: session.csrf_token,
        idle_timeout_seconds: state.console_lifetime.idle.num_seconds(),
    }
}

fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `GET /console/session`: the session the cookie holds. Reading it needs no CSRF token: the
/// answer (which holds the token) is readable by this origin's pages only.
async fn show_session(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match resume(&state, &headers).await {
        Ok(Some(session)) => no_store(Json(view(&state, session)).into_response()),
        Ok(None) => ApiError::console_signed_out("Not signed in to the console").into_response(),
        Err(error) => error.into_response(),
    }
}

/// `POST /console/session` `{"token": "<admin credential token>"}`: signs in. The body must be
/// JSON, which a cross-site form cannot send, so no page elsewhere can sign a browser in.
async fn sign_in(State(state): State<AppState>, request: Request) -> Response {
    let source = super::rate_limit::source(request.extensions());
    let ApiJson(body) = match ApiJson::from_request(request, &state).await {
        Ok(body) => body,
        Err(error) => return error.into_response(),
    };
    let Some(Value::String(token)) = body.get("token") else {
        return ApiError::invalid(vec![super::error::InvalidParameter::new(
            "token",
            "body",
            crate::domain::Invalid::new("required", "an admin credential's token is required"),
        )])
        .into_response();
    };
    // Failed sign-ins back off per source address and are audited, as failed /v1 calls are.
    let failures = state.limiter.admin_failures();
    if let Err(throttled) = failures.check(&source, Instant::now()) {
        return ApiError::from(throttled).into_response();
    }
    match console_session::sign_in(&state.store, token.trim(), state.now()).await {
        Ok((session_token, session)) => {
            failures.succeeded(&source);
            state.admin_usage.note(session.credential.id, state.now());
            let mut response = (StatusCode::CREATED, Json(view(&state, session))).into_response();
            set_cookie(&mut response, &cookie(&state, &session_token));
            no_store(response)
        }
        Err(Refused::Store(e)) => ApiError::from(e).into_response(),
        Err(refused) => {
            failures.failed(&source, Instant::now());
            tracing::info!(reason = %refused, %source, "console sign-in failed");
            super::admin::audit_events::failed_authentication(&state, source).await;
            match refused {
                Refused::Unusable(_) => ApiError::unauthorized_because(&refused).into_response(),
                _ => ApiError::unauthorized().into_response(),
            }
        }
    }
}

/// `DELETE /console/session`: signs out (with the session's CSRF token, so no other site can
/// sign a browser out), and clears the cookie.
async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(session_token) = session_cookie(&state, &headers) else {
        return ApiError::console_signed_out("Not signed in to the console").into_response();
    };
    match authenticate(&state, &headers).await {
        Some(Ok(_)) => {}
        Some(Err(error)) => return error.into_response(),
        None => return ApiError::console_signed_out("Not signed in to the console").into_response(),
    }
    if let Err(e) = console_session::sign_out(&state.store, session_token).await {
        return ApiError::from(e).into_response();
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    let secure = if state.urls.is_https() { "; Secure" } else { "" };
    let name = cookie_name(&state);
    set_cookie(&mut response, &format!("{name}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict{secure}"));
    response
}

#[derive(Serialize)]
struct ActivityView {
    window_minutes: usize,
    buckets: Vec<BucketView>,
}

#[derive(Serialize)]
struct BucketView {
    start: String,
    issued: u64,
    rejected: u64,
}

/// `GET /console/api/auth-servers/{id}/activity`: this node's token requests per minute.
async fn activity(State(state): State<AppState>, ids: super::extract::PathIds) -> Result<Json<ActivityView>, ApiError> {
    let id = ids.auth_server()?;
    super::admin::require_auth_server(&state, id).await?;
    let buckets = state
        .metrics
        .activity(&id.to_string(), state.now())
        .into_iter()
        .map(|minute| BucketView {
            start: minute.start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            issued: minute.issued,
            rejected: minute.refused,
        })
        .collect();
    Ok(Json(ActivityView { window_minutes: crate::metrics::ACTIVITY_MINUTES, buckets }))
}

fn cookie(state: &AppState, session_token: &str) -> String {
    let secure = if state.urls.is_https() { "; Secure" } else { "" };
    format!("{}={session_token}; Path=/; HttpOnly; SameSite=Strict{secure}", cookie_name(state))
}

fn set_cookie(response: &mut Response, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// The session token in the request's `Cookie` header(s), if any.
fn session_cookie<'h>(state: &AppState, headers: &'h HeaderMap) -> Option<&'h str> {
    let cookie = cookie_name(state);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .map(|(name, value)| (name, value.trim()))
        .find(|(name, value)| *name == cookie && !value.is_empty())
        .map(|(_, value)| value)
}

/// The session the cookie holds, if there is a cookie.
async fn resume(state: &AppState, headers: &HeaderMap) -> Result<Option<Session>, ApiError> {
    let Some(session_token) = session_cookie(state, headers) else { return Ok(None) };
    match console_session::resume(&state.store, session_token, state.console_lifetime, state.now()).await {
        Ok(session) => Ok(Some(session)),
        Err(Ended::Store(e)) => Err(ApiError::from(e)),
        Err(ended) => Err(ApiError::console_signed_out(format!("Signed out of the console: {ended}"))),
    }
}

/// For the admin check: the credential of the request's console session, if it carries a
/// session cookie (`None` if not). A session without the matching CSRF header is refused.
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> Option<Result<AdminCredential, ApiError>> {
    let session = match resume(state, headers).await {
        Ok(Some(session)) => session,
        Ok(None) => return None,
        Err(error) => return Some(Err(error)),
    };
    let presented = headers.get(CSRF_HEADER).and_then(|value| value.to_str().ok());
    if !console_session::csrf_matches(&session, presented) {
        return Some(Err(ApiError::forbidden(
            "The console session's CSRF token is missing or wrong: send the X-CSRF-Token header that \
             GET /console/session gives",
        )));
    }
    Some(Ok(session.credential))
}
