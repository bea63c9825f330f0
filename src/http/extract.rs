//! Extractors for /v1 with their rejections mapped to `ApiError`.

use std::collections::HashMap;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, RawPathParamsRejection};
use axum::extract::{FromRequest, FromRequestParts, MatchedPath, Path, RawPathParams, RawQuery, Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::domain::admin::{Access, AdminCredential, Role};
use crate::domain::{ClientId, Invalid};
use crate::service::admin_auth::{self, Refused};

use super::error::ApiError;
use super::{AppState, BODY_LIMIT};

/// A JSON object body. Anything else (wrong content type, malformed JSON, another JSON
/// type, too large) is answered with a precise 4xx.
pub struct ApiJson(pub Map<String, Value>);

fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<S: Send + Sync> FromRequest<S> for ApiJson {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        read_json(request, state, false).await.map(ApiJson)
    }
}

/// A JSON object body that may be left out: no body at all reads as `{}`. A body that is
/// sent is held to [`ApiJson`]'s rules.
pub struct OptionalApiJson(pub ApiJson);

impl<S: Send + Sync> FromRequest<S> for OptionalApiJson {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        read_json(request, state, true).await.map(|map| OptionalApiJson(ApiJson(map)))
    }
}

async fn read_json<S: Send + Sync>(
    request: Request,
    state: &S,
    optional: bool,
) -> Result<Map<String, Value>, ApiError> {
    let content_type = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let json = is_json(content_type);
    if !json && !optional {
        return Err(ApiError::unsupported_media_type());
    }
    let bytes = Bytes::from_request(request, state).await.map_err(|rejection| match rejection {
        BytesRejection::FailedToBufferBody(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::payload_too_large(BODY_LIMIT)
        }
        other => ApiError::bad_request(format!("Cannot read the request body: {other}")),
    })?;
    if optional && bytes.is_empty() {
        return Ok(Map::new());
    }
    if !json {
        return Err(ApiError::unsupported_media_type());
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::bad_request("The request body must be a JSON object")),
        Err(e) => Err(ApiError::bad_request(format!("Malformed JSON: {e}"))),
    }
}

/// Path parameters, each checked for its shape: UUIDs for auth servers, scopes, claims and
/// secrets; the client id pattern for clients.
pub struct PathIds(HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for PathIds {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::unreadable("path", format!("Invalid path: {e}")))?;
        Ok(PathIds(params))
    }
}

impl PathIds {
    fn raw(&self, name: &str) -> Result<&str, ApiError> {
        self.0.get(name).map(String::as_str).ok_or_else(|| ApiError::internal(format!("route has no {name} parameter")))
    }

    fn uuid(&self, name: &str) -> Result<Uuid, ApiError> {
        let raw = self.raw(name)?;
        Uuid::parse_str(raw).map_err(|_| {
            ApiError::invalid_at("path", name, Invalid::new("is_uuid", format!("must be a UUID, not {raw:?}")))
        })
    }

    /// A sealed login challenge, as the authorization endpoint handed it to the login page.
    pub fn login_challenge(&self) -> Result<&str, ApiError> {
        self.raw("loginChallenge")
    }
    pub fn auth_server(&self) -> Result<Uuid, ApiError> {
        self.uuid("authServerId")
    }
    pub fn scope(&self) -> Result<Uuid, ApiError> {
        self.uuid("scopeId")
    }
    pub fn claim(&self) -> Result<Uuid, ApiError> {
        self.uuid("claimId")
    }
    pub fn trusted_issuer(&self) -> Result<Uuid, ApiError> {
        self.uuid("trustedIssuerId")
    }
    pub fn resource(&self) -> Result<Uuid, ApiError> {
        self.uuid("resourceId")
    }
    pub fn token(&self) -> Result<Uuid, ApiError> {
        self.uuid("tokenId")
    }
    pub fn initial_access_token(&self) -> Result<Uuid, ApiError> {
        self.uuid("initialAccessTokenId")
    }
    pub fn directory(&self) -> Result<Uuid, ApiError> {
        self.uuid("directoryId")
    }
    pub fn principal(&self) -> Result<Uuid, ApiError> {
        self.uuid("principalId")
    }
    pub fn api_key(&self) -> Result<Uuid, ApiError> {
        self.uuid("apiKeyId")
    }
    pub fn identity(&self) -> Result<Uuid, ApiError> {
        self.uuid("identityId")
    }
    pub fn basic_auth(&self) -> Result<Uuid, ApiError> {
        self.uuid("basicAuthId")
    }
    pub fn password(&self) -> Result<Uuid, ApiError> {
        self.uuid("passwordId")
    }
    pub fn admin_credential(&self) -> Result<Uuid, ApiError> {
        self.uuid("adminCredentialId")
    }
    pub fn secret(&self) -> Result<Uuid, ApiError> {
        self.uuid("clientSecretId")
    }
    pub fn client(&self) -> Result<ClientId, ApiError> {
        ClientId::parse(self.raw("clientId")?).map_err(|invalid| ApiError::invalid_at("path", "clientId", invalid))
    }
}

/// The query string as ordered pairs, for list parameters such as `page[size]`.
pub struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let RawQuery(query) = RawQuery::from_request_parts(parts, state).await.unwrap_or(RawQuery(None));
        let pairs = serde_urlencoded::from_str::<Vec<(String, String)>>(query.as_deref().unwrap_or(""))
            .map_err(|e| ApiError::unreadable("query", format!("Malformed query string: {e}")))?;
        Ok(QueryPairs(pairs))
    }
}

/// Who called a /v1 endpoint: the admin, or (on login-request routes only) a login page
/// holding its client's credentials, checked and allowed by `require_admin_or_login_page`;
/// it may answer only that client's login requests.
#[derive(Clone, Debug)]
pub enum Caller {
    Admin,
    LoginPage(String),
}

/// Login pages answer login requests with the admin token, or, when an admin has set the
/// client's `login_requests_answered_by_client`, with that client's credentials (HTTP Basic).
fn login_page_credentials(request: &Request) -> Option<crate::oauth::client_auth::Credentials> {
    let authorization = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())?;
    if !authorization.get(..6).is_some_and(|scheme| scheme.eq_ignore_ascii_case("basic ")) {
        return None;
    }
    crate::oauth::client_auth::credentials(Some(authorization), &crate::oauth::form::Form::default()).ok()
}

/// On the login-request routes: a client's Basic credentials, or else an admin credential. The
/// caller is checked here, before the handler reads the body, the auth server or the
/// challenge, so an unauthenticated caller learns nothing: not whether the auth server
/// exists, nor whether a challenge is unknown or expired.
pub async fn require_admin_or_login_page(
    state: State<AppState>,
    params: Result<RawPathParams, RawPathParamsRejection>,
    mut request: Request,
    next: Next,
) -> Response {
    let scoped = scoped_params(params);
    let auth_server_id = scoped.auth_server;
    let Some(credentials) = login_page_credentials(&request) else {
        return admin(state, scoped, request, next).await;
    };
    let source = super::rate_limit::source(request.extensions());
    let failures = state.limiter.admin_failures();
    if let Err(throttled) = failures.check(&source, Instant::now()) {
        return ApiError::from(throttled).into_response();
    }
    match login_page(&state, auth_server_id, &credentials).await {
        Ok(()) => {
            failures.succeeded(&source);
            request.extensions_mut().insert(crate::domain::admin::Actor::client(&credentials.client_id));
            request.extensions_mut().insert(Caller::LoginPage(credentials.client_id));
            next.run(request).await
        }
        Err(error) => {
            if error.status() == StatusCode::UNAUTHORIZED {
                failures.failed(&source, Instant::now());
                super::admin::audit_events::failed_authentication(&state, source).await;
            }
            error.into_response()
        }
    }
}

/// The scoping ids of a route: its auth server and its directory, when it names them.
#[derive(Clone, Copy, Debug, Default)]
struct Scoped {
    auth_server: Option<Uuid>,
    directory: Option<Uuid>,
}

fn scoped_params(params: Result<RawPathParams, RawPathParamsRejection>) -> Scoped {
    let Ok(params) = params else { return Scoped::default() };
    let find =
        |wanted: &str| params.iter().find(|(name, _)| *name == wanted).and_then(|(_, id)| Uuid::parse_str(id).ok());
    Scoped { auth_server: find("authServerId"), directory: find("directoryId") }
}

/// Authenticates a login page by its client's secret, the way the client registered it, and
/// checks that an admin lets this client answer its own login requests.
async fn login_page(
    state: &AppState,
    auth_server_id: Option<Uuid>,
    credentials: &crate::oauth::client_auth::Credentials,
) -> Result<(), ApiError> {
    let entry = match auth_server_id {
        Some(id) => state.cache.client(id, &credentials.client_id).await.map_err(ApiError::from)?,
        None => None,
    };
    let Some(entry) = entry.filter(|entry| entry.has_secrets()) else {
        state.cache.verify_without_client(auth_server_id, &credentials.client_id, &credentials.secret).await?;
        return Err(ApiError::unauthorized());
    };
    let registered = entry.client.token_endpoint_auth_method;
    if !state.cache.verify_secret(&entry, &credentials.secret).await?
        || !crate::oauth::client_auth::secret_method_allowed(registered, &credentials.method)
    {
        return Err(ApiError::unauthorized());
    }
    if !entry.client.login_requests_answered_by_client {
        return Err(ApiError::forbidden(
            "This client may not answer login requests: use the admin token, or have an admin set \
             the client's login_requests_answered_by_client",
        ));
    }
    Ok(())
}

/// Requires `Authorization: Bearer <admin credential token>` on every /v1 request, and that the
/// credential's role and scope allow the route (see `admin::permissions`).
pub async fn require_admin(
    state: State<AppState>,
    params: Result<RawPathParams, RawPathParamsRejection>,
    request: Request,
    next: Next,
) -> Response {
    admin(state, scoped_params(params), request, next).await
}

async fn admin(State(state): State<AppState>, scoped: Scoped, mut request: Request, next: Next) -> Response {
    let source = super::rate_limit::source(request.extensions());
    let credential = match bearer_credential(&state, request.headers(), source).await {
        Some(Ok(credential)) => credential,
        Some(Err(refusal)) => return refusal,
        // No bearer token: a console session's cookie, with its CSRF header, stands in for one.
        None => match super::console::authenticate(&state, request.headers()).await {
            Some(Ok(credential)) => credential,
            Some(Err(refusal)) => return refusal.into_response(),
            None => return ApiError::unauthorized().into_response(),
        },
    };
    state.admin_usage.note(credential.id, state.now());
    let route = request.extensions().get::<MatchedPath>().map(MatchedPath::as_str).unwrap_or_default();
    if let Err(refusal) = authorize(&credential.access, request.method().as_str(), route, scoped) {
        return refusal.into_response();
    }
    request.extensions_mut().insert(Caller::Admin);
    request.extensions_mut().insert(credential.actor());
    request.extensions_mut().insert(credential.access);
    next.run(request).await
}

/// The credential whose token the `Authorization: Bearer` header carries; `None` without one.
async fn bearer_credential(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    source: std::net::IpAddr,
) -> Option<Result<AdminCredential, Response>> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_owned());
    let presented = presented?;
    // Failed tokens back off per source address (RFC 6585 §4), before any lookup.
    let failures = state.limiter.admin_failures();
    if let Err(throttled) = failures.check(&source, Instant::now()) {
        return Some(Err(ApiError::from(throttled).into_response()));
    }
    Some(match admin_auth::authenticate(&state.store, &presented, state.now()).await {
        Ok(credential) => {
            failures.succeeded(&source);
            Ok(credential)
        }
        Err(Refused::Store(e)) => Err(ApiError::from(e).into_response()),
        Err(refused) => {
            failures.failed(&source, Instant::now());
            tracing::info!(reason = %refused, %source, "admin authentication failed");
            super::admin::audit_events::failed_authentication(state, source).await;
            Err(match refused {
                Refused::Unusable(_) => ApiError::unauthorized_because(&refused).into_response(),
                _ => ApiError::unauthorized().into_response(),
            })
        }
    })
}

/// An auth server or directory outside the credential's scope is absent to it (404, the same
/// answer as for an id that does not exist), whatever the route; otherwise the role must grant
/// the route's permission (403).
fn authorize(access: &Access, method: &str, route: &str, scoped: Scoped) -> Result<(), ApiError> {
    if let Some(id) = scoped.auth_server.filter(|id| !access.sees(*id)) {
        return Err(super::admin::auth_server_not_found(id));
    }
    if let Some(id) = scoped.directory.filter(|id| !access.sees_directory(*id)) {
        return Err(ApiError::not_found(format!("Directory [{id}] not found")));
    }
    let allowed = match super::admin::permissions::required(method, route) {
        Some(permission) => access.role.allows(permission),
        None => access.role == Role::Admin,
    };
    if allowed {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "This admin credential has the {} role, which does not permit {method} {route}",
            access.role.as_str()
        )))
    }
}

/// The actor and request behind a /v1 write, for its audit event: the authenticating
/// middleware records the actor; the request id, source and time come from the request.
impl FromRequestParts<AppState> for crate::domain::admin::Origin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let actor = parts
            .extensions
            .get::<crate::domain::admin::Actor>()
            .cloned()
            .ok_or_else(|| ApiError::internal("route has no authenticated actor"))?;
        Ok(crate::domain::admin::Origin {
            actor,
            request_id: super::request_id::current(),
            source: super::rate_limit::source(&parts.extensions),
            at: state.now(),
        })
    }
}

/// What the caller may reach, as the authenticating middleware found it.
impl FromRequestParts<AppState> for crate::domain::admin::Access {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<crate::domain::admin::Access>()
            .cloned()
            .ok_or_else(|| ApiError::internal("route has no authenticated caller"))
    }
}
