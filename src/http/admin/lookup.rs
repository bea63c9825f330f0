//! /v2/directories/{directoryId}/authenticate and /resolve: the lookup API a gateway calls (a
//! Tessera extension, in the style of RFC 7662 introspection). The answer is `active` with the
//! principal, or `active: false`, and carries `Cache-Control` from the directory's `ttl_secs`
//! (found) or `negative_ttl_secs` (not found), so a gateway can cache either.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::Labels;
use crate::domain::directory::Directory;
use crate::domain::identity::IdentityType;
use crate::domain::principal::{Metadata, Principal};
use crate::http::error::ResultExt;
use crate::http::extract::{ApiJson, PathIds};
use crate::http::routes::{DIRECTORY_AUTHENTICATE, DIRECTORY_RESOLVE};
use crate::http::validate::{Body, present, string};
use crate::http::{ApiError, AppState, Routes};
use crate::service::lookup::{self, LookupError, Presented};
use crate::store;

pub fn routes() -> Routes<AppState> {
    Routes::default().post(DIRECTORY_AUTHENTICATE, authenticate).post(DIRECTORY_RESOLVE, resolve)
}

#[derive(Serialize)]
struct PrincipalView {
    id: Uuid,
    display_name: String,
    metadata: Metadata,
    labels: Labels,
}

#[derive(Serialize)]
struct Answer {
    active: bool,
    directory_id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    principal: Option<PrincipalView>,
}

/// The answer, cacheable by the caller alone (`private`) for as long as the directory says, and
/// never past the expiry of the credential that matched.
fn answer(
    directory: &Directory,
    principal: Option<Principal>,
    valid_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Response {
    let mut seconds = if principal.is_some() { directory.ttl_secs } else { directory.negative_ttl_secs };
    if let Some(until) = valid_until {
        seconds = seconds.min((until - now).num_seconds().max(0));
    }
    let body = Answer {
        active: principal.is_some(),
        directory_id: directory.id,
        principal: principal.map(|p| PrincipalView {
            id: p.id,
            display_name: p.display_name,
            metadata: p.metadata,
            labels: p.labels,
        }),
    };
    let mut response = Json(body).into_response();
    if let Ok(value) = HeaderValue::from_str(&format!("private, max-age={seconds}")) {
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    response
}

async fn directory(state: &AppState, ids: &PathIds) -> Result<Directory, ApiError> {
    let id = ids.directory()?;
    store::directories::get(&state.store, id).await.or_not_found(|| format!("Directory [{id}]"))
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
            body.reject("password", crate::domain::Invalid::new("required", "is required with username"));
            None
        }
        (None, None, Some(_)) => {
            body.reject("username", crate::domain::Invalid::new("required", "is required with password"));
            None
        }
        (None, None, None) if !body.has_error("api_key") && !body.has_error("username") => {
            body.reject("api_key", crate::domain::Invalid::new("required", "send api_key, or username and password"));
            None
        }
        (Some(_), _, _) => {
            body.reject(
                "api_key",
                crate::domain::Invalid::new("invalid", "send api_key, or username and password, not both"),
            );
            None
        }
        _ => None,
    };
    body.finish()?;
    let presented = present(presented)?;
    let directory = directory(&state, &ids).await?;
    let now = state.now();
    let found =
        lookup::authenticate(&state.store, &state.api_key_digests, state.cache.hasher(), directory.id, &presented, now)
            .await?;
    let (principal, valid_until) = found.map_or((None, None), |(principal, until)| (Some(principal), until));
    Ok(answer(&directory, principal, valid_until, now))
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
    let directory = directory(&state, &ids).await?;
    let principal = lookup::resolve(&state.store, directory.id, &key).await?;
    Ok(answer(&directory, principal, None, state.now()))
}
