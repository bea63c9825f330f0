//! /v2/directories/{directoryId}/authenticate and /resolve: the lookup API a gateway calls (a
//! Tessera extension, in the style of RFC 7662 introspection). The answer is `active` with the
//! principal, or `active: false`, and carries `Cache-Control` from the directory's `ttl_secs`
//! (found) or `negative_ttl_secs` (not found), so a gateway can cache either.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;
use uuid::Uuid;

use crate::cache::lookups::{Answers, Found, PrincipalView};
use crate::domain::Invalid;
use crate::domain::directory::Directory;
use crate::domain::identity::IdentityType;
use crate::http::error::ResultExt;
use crate::http::extract::{ApiJson, PathIds};
use crate::http::routes::{DIRECTORY_AUTHENTICATE, DIRECTORY_RESOLVE};
use crate::http::validate::{Body, present, string};
use crate::http::{ApiError, AppState, Routes};
use crate::service::lookup::{self, LookupError, Presented};

pub fn routes() -> Routes<AppState> {
    Routes::default()
        .post(DIRECTORY_AUTHENTICATE, authenticate)
        .get(DIRECTORY_AUTHENTICATE, authenticate_forwarded)
        .post(DIRECTORY_RESOLVE, resolve)
}

#[derive(Serialize)]
struct Answer<'a> {
    active: bool,
    directory_id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    principal: Option<&'a RawValue>,
}

/// The answer, cacheable by the caller alone (`private`) for as long as the directory says, and
/// never past the expiry of the credential that matched.
fn answer(directory: &Directory, found: Option<Arc<Found>>, now: DateTime<Utc>) -> Response {
    let mut seconds = if found.is_some() { directory.ttl_secs } else { directory.negative_ttl_secs };
    if let Some(until) = found.as_ref().and_then(|found| found.valid_until) {
        seconds = seconds.min((until - now).num_seconds().max(0));
    }
    let body = Answer {
        active: found.is_some(),
        directory_id: directory.id,
        principal: found.as_ref().map(|found| &*found.principal),
    };
    let mut response = Json(body).into_response();
    if let Ok(value) = HeaderValue::from_str(&format!("private, max-age={seconds}")) {
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    response
}

async fn directory(state: &AppState, ids: &PathIds) -> Result<Arc<Answers>, ApiError> {
    let id = ids.directory()?;
    lookup::directory(&state.store, &state.cache.lookups, id).await.or_not_found(|| format!("Directory [{id}]"))
}

impl From<LookupError> for ApiError {
    fn from(error: LookupError) -> Self {
        match error {
            LookupError::Store(e) => e.into(),
            LookupError::Busy(e) => e.into(),
        }
    }
}

/// `{"api_key": "…"}` or `{"username": "…", "password": "…"}`: exactly one credential.
async fn authenticate(State(state): State<AppState>, ids: PathIds, json: ApiJson) -> Result<Response, ApiError> {
    let mut body = Body::new(json, &["api_key", "username", "password"]);
    let api_key = body.optional("api_key", string);
    let username = body.optional("username", string);
    let password = body.optional("password", string);
    let presented = match (api_key, username, password) {
        (Some(key), None, None) => Some(Presented::ApiKey(key)),
        (None, Some(username), Some(password)) => Some(Presented::Basic { username, password }),
        (None, Some(_), None) => {
            body.reject("password", Invalid::new("required", "is required with username"));
            None
        }
        (None, None, Some(_)) => {
            body.reject("username", Invalid::new("required", "is required with password"));
            None
        }
        (None, None, None) if !body.has_error("api_key") && !body.has_error("username") => {
            body.reject("api_key", Invalid::new("required", "send api_key, or username and password"));
            None
        }
        (Some(_), _, _) => {
            body.reject("api_key", Invalid::new("invalid", "send api_key, or username and password, not both"));
            None
        }
        _ => None,
    };
    body.finish()?;
    let presented = present(presented)?;
    let answers = directory(&state, &ids).await?;
    let now = state.now();
    let found = lookup::authenticate(
        &state.store,
        &state.cache.lookups,
        &state.api_key_digests,
        state.cache.hasher(),
        &answers,
        &presented,
        now,
    )
    .await?;
    Ok(answer(&answers.directory, found, now))
}

/// The header that carries a caller's API key to [`authenticate_forwarded`].
const FORWARDED_API_KEY: &str = "x-api-key";
/// The header that carries a caller's own `Authorization` (basic) to [`authenticate_forwarded`]:
/// the gateway's credential takes `Authorization` itself.
const FORWARDED_AUTHORIZATION: &str = "x-forwarded-authorization";

/// The same question asked with headers, for gateways that forward a request's headers rather
/// than write a body (nginx `auth_request`): the caller's API key in
/// `X-Api-Key`, or its `Authorization: Basic …` in `X-Forwarded-Authorization`. The status is
/// the verdict (200, or 401 without a usable credential or with one that authenticates no
/// one), and a 200 names the principal in `X-Principal-*` headers the gateway copies to the
/// upstream.
async fn authenticate_forwarded(
    State(state): State<AppState>,
    ids: PathIds,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let presented = forwarded_credential(&headers);
    let answers = directory(&state, &ids).await?;
    let now = state.now();
    let found = match &presented {
        Some(presented) => {
            lookup::authenticate(
                &state.store,
                &state.cache.lookups,
                &state.api_key_digests,
                state.cache.hasher(),
                &answers,
                presented,
                now,
            )
            .await?
        }
        None => None,
    };
    let principal_headers = found.as_ref().map(|found| principal_headers(&found.principal)).transpose()?;
    let mut response = answer(&answers.directory, found, now);
    match principal_headers {
        Some(headers) => response.headers_mut().extend(headers),
        None => *response.status_mut() = StatusCode::UNAUTHORIZED,
    }
    Ok(response)
}

/// The credential in the forwarded headers, if they hold exactly one well-formed one. They are
/// the caller's, not the gateway's: whatever they hold (both headers, a `Bearer` token meant
/// for another API, bytes that are not text) is no credential, a 401, never a 400 that a
/// gateway would turn into a server error.
fn forwarded_credential(headers: &HeaderMap) -> Option<Presented> {
    let text = |name: &'static str| {
        headers.get(name).map(|value| value.to_str().ok().map(str::trim).filter(|value| !value.is_empty()))
    };
    match (text(FORWARDED_API_KEY), text(FORWARDED_AUTHORIZATION)) {
        (Some(key), None) => key.map(|key| Presented::ApiKey(key.to_owned())),
        (None, Some(authorization)) => authorization.and_then(basic),
        _ => None,
    }
}

/// `Basic base64(username:password)` (RFC 7617 §2); the username ends at the first colon.
fn basic(authorization: &str) -> Option<Presented> {
    let (scheme, encoded) = authorization.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (username, password) = decoded.split_once(':')?;
    Some(Presented::Basic { username: username.to_owned(), password: password.to_owned() })
}

/// The principal as headers for the upstream: `X-Principal-Id`, `X-Principal-Name`
/// (percent-encoded UTF-8), and `X-Principal-Metadata` and `X-Principal-Labels` as JSON with
/// every non-ASCII character escaped, so each is a valid header value whatever it holds.
/// A principal that cannot be put into headers fails closed: a 500, never a 200 without them.
fn principal_headers(principal: &RawValue) -> Result<HeaderMap, ApiError> {
    let mut headers = HeaderMap::new();
    let principal = serde_json::from_str::<PrincipalView<Value, Value>>(principal.get()).map_err(ApiError::internal)?;
    let name = utf8_percent_encode(&principal.display_name, NON_ALPHANUMERIC).to_string();
    let metadata = ascii_json(&principal.metadata);
    let labels = ascii_json(&principal.labels);
    for (header, value) in [
        ("x-principal-id", principal.id.to_string()),
        ("x-principal-name", name),
        ("x-principal-metadata", metadata),
        ("x-principal-labels", labels),
    ] {
        headers.insert(header, HeaderValue::from_str(&value).map_err(ApiError::internal)?);
    }
    Ok(headers)
}

/// JSON with every character outside printable ASCII written as a `\u` escape (RFC 8259 §7).
fn ascii_json(value: &impl Serialize) -> String {
    let json = serde_json::to_string(value).unwrap_or_default();
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c.is_ascii() && !c.is_ascii_control() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// An identity as Kong's identity bodies give it: `type` and the type's fields.
async fn resolve(State(state): State<AppState>, ids: PathIds, json: ApiJson) -> Result<Response, ApiError> {
    let fields: Vec<&str> =
        std::iter::once("type").chain(IdentityType::ALL.iter().flat_map(|t| t.fields().iter().copied())).collect();
    let mut body = Body::new(json, &fields);
    let kind = body.required("type", |v| IdentityType::parse(&string(v)?));
    let key = kind.and_then(|kind| super::identities::read_fields(&mut body, kind, true).into_key(kind));
    body.finish()?;
    let key = present(key)?;
    let answers = directory(&state, &ids).await?;
    let found = lookup::resolve(&state.store, &state.cache.lookups, &answers, &key).await?;
    Ok(answer(&answers.directory, found, state.now()))
}
