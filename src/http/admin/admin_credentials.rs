//! /v1/admin-credentials: named bearer tokens for /v1 with a role and an optional scope of
//! auth servers (a Tessera extension). The token is shown once, at creation and rotation.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::domain::admin::{Access, AdminCredential, MAX_SCOPED_AUTH_SERVERS, Origin, Role};
use crate::domain::secret::{AdminToken, token_digest};
use crate::domain::{Invalid, Name};
use crate::http::error::ResultExt;
use crate::http::extract::{ApiJson, OptionalApiJson, PathIds, QueryPairs};
use crate::http::routes::{ADMIN_CREDENTIAL, ADMIN_CREDENTIAL_ROTATE, ADMIN_CREDENTIALS};
use crate::http::validate::{Body, boolean, nullable, present, string, unique_uuids};
use crate::http::{ApiError, AppState, Routes};
use crate::store;

use super::{Page, WriteError, list_params, timestamp};

pub fn routes() -> Routes<AppState> {
    Routes::default()
        .get(ADMIN_CREDENTIALS, list)
        .post(ADMIN_CREDENTIALS, create)
        .get(ADMIN_CREDENTIAL, get)
        .patch(ADMIN_CREDENTIAL, update)
        .delete(ADMIN_CREDENTIAL, delete)
        .post(ADMIN_CREDENTIAL_ROTATE, rotate)
}

#[derive(Serialize)]
struct CredentialView {
    id: Uuid,
    name: String,
    role: &'static str,
    /// The auth servers this credential reaches; `null`: all of them.
    auth_server_ids: Option<Vec<Uuid>>,
    /// The directories this credential reaches; `null`: all of them.
    directory_ids: Option<Vec<Uuid>>,
    enabled: bool,
    expires_at: Option<String>,
    last_used_at: Option<String>,
    created_at: String,
    updated_at: String,
}

/// The credential with its token: only the answers to creation and rotation carry it.
#[derive(Serialize)]
struct IssuedView {
    #[serde(flatten)]
    credential: CredentialView,
    token: String,
}

fn view(credential: AdminCredential) -> CredentialView {
    CredentialView {
        id: credential.id,
        name: credential.name.as_str().to_owned(),
        role: credential.access.role.as_str(),
        auth_server_ids: credential.access.auth_servers,
        directory_ids: credential.access.directories,
        enabled: credential.enabled,
        expires_at: credential.expires_at.map(timestamp),
        last_used_at: credential.last_used_at.map(timestamp),
        created_at: timestamp(credential.created_at),
        updated_at: timestamp(credential.updated_at),
    }
}

const FIELDS: [&str; 6] = ["name", "role", "auth_server_ids", "directory_ids", "enabled", "expires_at"];
const NAME_KEY: &str = "admin_credentials_name_key";

fn name_taken(name: &str) -> ApiError {
    ApiError::conflict(format!("An admin credential named [{name}] already exists"))
}

fn not_found(id: Uuid) -> String {
    format!("Admin credential [{id}]")
}

fn scope(value: Value) -> Result<Option<Vec<Uuid>>, Invalid> {
    let ids = nullable(value, unique_uuids)?;
    if ids.as_ref().is_some_and(|ids| ids.len() > MAX_SCOPED_AUTH_SERVERS) {
        return Err(Invalid::max_items(MAX_SCOPED_AUTH_SERVERS));
    }
    Ok(ids)
}

/// An RFC 3339 time that has not passed, or `null` for no expiry.
fn expiry(now: DateTime<Utc>) -> impl FnOnce(Value) -> Result<Option<DateTime<Utc>>, Invalid> {
    move |value| {
        nullable(value, |v| {
            let text = string(v)?;
            let at = DateTime::parse_from_rfc3339(&text)
                .map_err(|_| Invalid::new("is_date_time", format!("must be an RFC 3339 date-time, not {text:?}")))?
                .with_timezone(&Utc);
            if at <= now {
                return Err(Invalid::new("invalid", "must be in the future"));
            }
            Ok(at)
        })
    }
}

/// The scope must fit the role, and name auth servers and directories that exist.
async fn check_access(state: &AppState, access: &Access) -> Result<(), ApiError> {
    if let Err(refused) = access.check() {
        let (field, invalid) = *refused;
        return Err(ApiError::invalid_field(field, invalid));
    }
    for (index, id) in access.directories.iter().flatten().enumerate() {
        match store::directories::get(&state.store, *id).await {
            Ok(_) => {}
            Err(store::Error::NotFound) => {
                return Err(ApiError::invalid_field(
                    "directory_ids",
                    Invalid::new("missing_reference", format!("directory {id} does not exist"))
                        .at(format!("[{index}]")),
                ));
            }
            Err(e) => return Err(e.into()),
        }
    }
    for (index, id) in access.auth_servers.iter().flatten().enumerate() {
        if !store::auth_servers::exists(&state.store, *id).await? {
            return Err(ApiError::invalid_field(
                "auth_server_ids",
                Invalid::new("missing_reference", format!("auth server {id} does not exist")).at(format!("[{index}]")),
            ));
        }
    }
    Ok(())
}

async fn create(
    State(state): State<AppState>,
    origin: Origin,
    json: ApiJson,
) -> Result<(StatusCode, Json<IssuedView>), ApiError> {
    let now = origin.at;
    let mut body = Body::new(json, &FIELDS);
    let name = body.required("name", |v| Name::parse(string(v)?));
    let role = body.required("role", |v| Role::parse(&string(v)?));
    let auth_servers = body.optional("auth_server_ids", scope);
    let directories = body.optional("directory_ids", scope);
    let enabled = body.optional("enabled", boolean);
    let expires_at = body.optional("expires_at", expiry(now));
    body.finish()?;

    let access =
        Access { role: present(role)?, auth_servers: auth_servers.flatten(), directories: directories.flatten() };
    check_access(&state, &access).await?;
    let credential = AdminCredential {
        id: Uuid::new_v4(),
        name: present(name)?,
        access,
        enabled: enabled.unwrap_or(true),
        expires_at: expires_at.flatten(),
        last_used_at: None,
        created_at: now,
        updated_at: now,
    };
    let token = AdminToken::generate();
    store::admin_credentials::insert(&state.store, &credential, &token_digest(token.expose()), &origin)
        .await
        .on_constraint(NAME_KEY, || name_taken(credential.name.as_str()))?;
    let issued = IssuedView { credential: view(credential), token: token.expose().to_owned() };
    Ok((StatusCode::CREATED, Json(issued)))
}

async fn list(State(state): State<AppState>, query: QueryPairs) -> Result<Json<Page<CredentialView>>, ApiError> {
    let params = list_params(&query, &store::admin_credentials::LIST)?;
    let page = store::admin_credentials::list(&state.store, &params).await?;
    Ok(Json(Page::new(page, &params, view)))
}

async fn get(State(state): State<AppState>, ids: PathIds) -> Result<Json<CredentialView>, ApiError> {
    let id = ids.admin_credential()?;
    let credential = store::admin_credentials::get(&state.store, id).await.or_not_found(|| not_found(id))?;
    Ok(Json(view(credential)))
}

async fn update(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
    json: ApiJson,
) -> Result<Json<CredentialView>, ApiError> {
    let id = ids.admin_credential()?;
    let now = origin.at;
    let mut body = Body::new(json, &FIELDS);
    let name = body.optional("name", |v| Name::parse(string(v)?));
    let role = body.optional("role", |v| Role::parse(&string(v)?));
    let auth_servers = body.optional("auth_server_ids", scope);
    let directories = body.optional("directory_ids", scope);
    let enabled = body.optional("enabled", boolean);
    let expires_at = body.optional("expires_at", expiry(now));
    body.finish()?;

    // The role and scope are checked together against the stored credential; the write refuses
    // if they changed meanwhile, so two PATCHes cannot combine into a pair nobody checked.
    let current = store::admin_credentials::get(&state.store, id).await.or_not_found(|| not_found(id))?;
    let access = Access {
        role: role.unwrap_or(current.access.role),
        auth_servers: auth_servers.unwrap_or(current.access.auth_servers.clone()),
        directories: directories.unwrap_or(current.access.directories.clone()),
    };
    check_access(&state, &access).await?;
    let updated = store::admin_credentials::modify(&state.store, id, &origin, |mut credential| {
        if credential.access != current.access {
            return Err(WriteError::Api(ApiError::conflict(
                "The credential's role or scope changed while this request ran; retry",
            )));
        }
        if let Some(name) = name.clone() {
            credential.name = name;
        }
        credential.access = access.clone();
        if let Some(enabled) = enabled {
            credential.enabled = enabled;
        }
        if let Some(expires_at) = expires_at {
            credential.expires_at = expires_at;
        }
        credential.updated_at = now;
        Ok((credential, None))
    })
    .await
    .map_err(|e| {
        e.resolve(|error| match error {
            store::Error::NotFound => Some(ApiError::not_found(format!("{} not found", not_found(id)))),
            store::Error::Conflict { constraint } if constraint == NAME_KEY => {
                Some(name_taken(name.as_ref().map(Name::as_str).unwrap_or_default()))
            }
            _ => None,
        })
    })?;
    Ok(Json(view(updated)))
}

/// The bootstrap credential's token, while `TESSERA_ADMIN_TOKEN` is set, is that setting: every
/// start applies it again (and re-creates the credential), so rotating or deleting it here would
/// last only until the next start. Disabling it lasts.
fn refuse_configured_bootstrap(state: &AppState, id: Uuid) -> Result<(), ApiError> {
    if state.admin_token_configured && id == store::admin_credentials::BOOTSTRAP {
        return Err(ApiError::conflict(
            "The bootstrap credential's token is TESSERA_ADMIN_TOKEN, which every start applies again: \
             change that setting to replace it, or disable the credential (which lasts)",
        ));
    }
    Ok(())
}

/// A new token for the same credential; the old one stops working at once, on every node.
async fn rotate(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
    OptionalApiJson(json): OptionalApiJson,
) -> Result<Json<IssuedView>, ApiError> {
    let id = ids.admin_credential()?;
    Body::new(json, &[]).finish()?;
    refuse_configured_bootstrap(&state, id)?;
    let now = origin.at;
    let token = AdminToken::generate();
    let digest = token_digest(token.expose());
    let rotated = store::admin_credentials::modify(&state.store, id, &origin, |mut credential| {
        credential.updated_at = now;
        Ok::<_, store::Error>((credential, Some(digest)))
    })
    .await
    .or_not_found(|| not_found(id))?;
    Ok(Json(IssuedView { credential: view(rotated), token: token.expose().to_owned() }))
}

async fn delete(State(state): State<AppState>, origin: Origin, ids: PathIds) -> Result<StatusCode, ApiError> {
    let id = ids.admin_credential()?;
    refuse_configured_bootstrap(&state, id)?;
    store::admin_credentials::delete(&state.store, id, &origin).await.or_not_found(|| not_found(id))?;
    Ok(StatusCode::NO_CONTENT)
}
