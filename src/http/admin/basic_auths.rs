//! /v2/directories/{directoryId}/principals/{principalId}/basic-auths and their passwords,
//! shaped as Kong's v2 description says. A password's secret is answered once, when created.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::domain::Invalid;
use crate::domain::admin::Origin;
use crate::domain::basic_auth::{self, BasicAuth, MAX_PASSWORDS, MAX_PER_PRINCIPAL, Password, Username};
use crate::domain::directory::ManagedBy;
use crate::domain::secret::ClientSecret;
use crate::http::error::{ResultExt, no_store};
use crate::http::extract::{ApiJson, PathIds, QueryPairs};
use crate::http::routes::{BASIC_AUTH, BASIC_AUTH_PASSWORD, BASIC_AUTH_PASSWORDS, BASIC_AUTHS};
use crate::http::validate::{Body, nullable, nullable_string_map, present, string, string_map};
use crate::http::{ApiError, AppState, Routes};
use crate::store::basic_auths::{Owner, USERNAME_KEY};
use crate::store::{self, basic_auths};

use super::directories::{CursorPage, cursor_params};
use super::principals::require_directory;
use super::{WriteError, timestamp};

pub fn routes() -> Routes<AppState> {
    Routes::default()
        .post(BASIC_AUTHS, create)
        .get(BASIC_AUTHS, list)
        .get(BASIC_AUTH, get)
        .put(BASIC_AUTH, replace)
        .patch(BASIC_AUTH, update)
        .delete(BASIC_AUTH, delete)
        .post(BASIC_AUTH_PASSWORDS, create_password)
        .get(BASIC_AUTH_PASSWORDS, list_passwords)
        .delete(BASIC_AUTH_PASSWORDS, delete_all_passwords)
        .get(BASIC_AUTH_PASSWORD, get_password)
        .put(BASIC_AUTH_PASSWORD, replace_password)
        .patch(BASIC_AUTH_PASSWORD, update_password)
        .delete(BASIC_AUTH_PASSWORD, delete_password)
}

#[derive(Serialize)]
struct BasicAuthView {
    id: Uuid,
    username: String,
    managed_by: ManagedBy,
    created_at: String,
    updated_at: String,
}

fn view(basic_auth: BasicAuth) -> BasicAuthView {
    BasicAuthView {
        id: basic_auth.id,
        username: basic_auth.username.as_str().to_owned(),
        managed_by: basic_auth.managed_by,
        created_at: timestamp(basic_auth.created_at),
        updated_at: timestamp(basic_auth.updated_at),
    }
}

/// `KongPassword`, and `KongPasswordWithSecret` in the answer that creates it.
#[derive(Serialize)]
struct PasswordView {
    id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
    expires_at: Option<String>,
    managed_by: ManagedBy,
    created_at: String,
    updated_at: String,
}

fn password_view(password: Password, secret: Option<&ClientSecret>) -> PasswordView {
    PasswordView {
        id: password.id,
        secret: secret.map(|s| s.expose().to_owned()),
        expires_at: password.expires_at.map(timestamp),
        managed_by: password.managed_by,
        created_at: timestamp(password.created_at),
        updated_at: timestamp(password.updated_at),
    }
}

const FIELDS: [&str; 2] = ["username", "managed_by"];
const PASSWORD_FIELDS: [&str; 3] = ["secret", "expires_at", "managed_by"];
/// Kong's `UpdatePasswordBody`: the secret is changed by PUT only.
const PASSWORD_UPDATE_FIELDS: [&str; 2] = ["expires_at", "managed_by"];

fn principal_not_found(id: Uuid) -> ApiError {
    ApiError::not_found(format!("Principal [{id}] not found"))
}

fn basic_auth_not_found(id: Uuid) -> ApiError {
    ApiError::not_found(format!("Basic auth [{id}] not found"))
}

fn password_not_found(id: Uuid) -> ApiError {
    ApiError::not_found(format!("Password [{id}] not found"))
}

fn username_taken(username: &str) -> ApiError {
    ApiError::conflict(format!("The username [{username}] is already taken in this directory"))
}

fn username(value: Value) -> Result<Username, Invalid> {
    Username::parse(string(value)?)
}

fn managed_by(value: Value) -> Result<ManagedBy, Invalid> {
    ManagedBy::parse(string_map(value)?)
}

fn password_secret(value: Value) -> Result<ClientSecret, Invalid> {
    basic_auth::parse_password(string(value)?)
}

/// An RFC 3339 (ISO 8601) time after `now`, or `null` for no expiry.
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

/// The directory and the principal in it, or the 404 of the first that is missing.
async fn require_principal(state: &AppState, ids: &PathIds) -> Result<(Uuid, Uuid), ApiError> {
    let (directory_id, principal_id) = (ids.directory()?, ids.principal()?);
    require_directory(state, directory_id).await?;
    match store::principals::get(&state.store, directory_id, principal_id).await {
        Ok(_) => Ok((directory_id, principal_id)),
        Err(store::Error::NotFound) => Err(principal_not_found(principal_id)),
        Err(e) => Err(e.into()),
    }
}

/// The path down to the basic-auth credential, or the 404 of the first part that is missing.
async fn require_basic_auth(state: &AppState, ids: &PathIds) -> Result<Owner, ApiError> {
    let basic_auth_id = ids.basic_auth()?;
    let (directory_id, principal_id) = require_principal(state, ids).await?;
    match basic_auths::get(&state.store, directory_id, principal_id, basic_auth_id).await {
        Ok(_) => Ok(Owner { directory_id, principal_id, basic_auth_id }),
        Err(store::Error::NotFound) => Err(basic_auth_not_found(basic_auth_id)),
        Err(e) => Err(e.into()),
    }
}

/// A whole credential (create and PUT): `managed_by` left out is empty.
fn read_whole(json: ApiJson) -> Result<(Username, ManagedBy), ApiError> {
    let mut body = Body::new(json, &FIELDS);
    let username = body.required("username", username);
    let managed_by = body.optional("managed_by", managed_by);
    body.finish()?;
    Ok((present(username)?, managed_by.unwrap_or_default()))
}

/// A sixth credential of a principal is refused with 409, as a conflict with what the
/// principal already holds (the status Kong's description lists for this operation).
async fn create(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
    json: ApiJson,
) -> Result<(StatusCode, Json<BasicAuthView>), ApiError> {
    let (username, managed_by) = read_whole(json)?;
    let (directory_id, principal_id) = require_principal(&state, &ids).await?;
    let basic_auth = BasicAuth {
        id: Uuid::new_v4(),
        directory_id,
        principal_id,
        username,
        managed_by,
        created_at: origin.at,
        updated_at: origin.at,
    };
    basic_auths::insert(&state.store, &basic_auth, &origin).await.on_store_error(|error| match error {
        store::Error::Conflict { constraint } if constraint == USERNAME_KEY => {
            Some(username_taken(basic_auth.username.as_str()))
        }
        store::Error::LimitReached => Some(ApiError::conflict(format!(
            "A principal can have at most {MAX_PER_PRINCIPAL} basic auth credentials: delete one before adding another"
        ))),
        store::Error::NotFound => Some(principal_not_found(principal_id)),
        _ => None,
    })?;
    Ok((StatusCode::CREATED, Json(view(basic_auth))))
}

async fn list(
    State(state): State<AppState>,
    ids: PathIds,
    query: QueryPairs,
) -> Result<Json<CursorPage<BasicAuthView>>, ApiError> {
    let (params, kept) = cursor_params(&query, &basic_auths::LIST)?;
    let (directory_id, principal_id) = require_principal(&state, &ids).await?;
    let page = basic_auths::list(&state.store, directory_id, principal_id, &params).await?;
    let base = BASIC_AUTHS
        .replace("{directoryId}", &directory_id.to_string())
        .replace("{principalId}", &principal_id.to_string());
    Ok(Json(CursorPage::new(&base, &kept, page, &params, view)))
}

async fn get(State(state): State<AppState>, ids: PathIds) -> Result<Json<BasicAuthView>, ApiError> {
    let id = ids.basic_auth()?;
    let (directory_id, principal_id) = require_principal(&state, &ids).await?;
    let basic_auth = basic_auths::get(&state.store, directory_id, principal_id, id)
        .await
        .on_store_error(|e| matches!(e, store::Error::NotFound).then(|| basic_auth_not_found(id)))?;
    Ok(Json(view(basic_auth)))
}

fn write_error(id: Uuid, username: Option<String>) -> impl FnOnce(WriteError) -> ApiError {
    move |error| {
        error.resolve(|error| match error {
            store::Error::NotFound => Some(basic_auth_not_found(id)),
            store::Error::Conflict { constraint } if constraint == USERNAME_KEY => {
                Some(username_taken(username.as_deref().unwrap_or_default()))
            }
            _ => None,
        })
    }
}

/// PUT: the whole credential; `managed_by` left out becomes empty. Its passwords are kept.
async fn replace(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
    json: ApiJson,
) -> Result<Json<BasicAuthView>, ApiError> {
    let id = ids.basic_auth()?;
    let (username, managed_by) = read_whole(json)?;
    let (directory_id, principal_id) = require_principal(&state, &ids).await?;
    let name = username.as_str().to_owned();
    let replaced = basic_auths::modify(&state.store, directory_id, principal_id, id, &origin, |current| {
        Ok::<_, WriteError>(BasicAuth { username, managed_by, ..current })
    })
    .await
    .map_err(write_error(id, Some(name)))?;
    Ok(Json(view(replaced)))
}

/// PATCH: the fields given change; `managed_by` merges (Kong's `ManagedByUpdate`: a `null`
/// value removes its key).
async fn update(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
    json: ApiJson,
) -> Result<Json<BasicAuthView>, ApiError> {
    let id = ids.basic_auth()?;
    let mut body = Body::new(json, &FIELDS);
    let username = body.optional("username", username);
    let managed_by = body.optional("managed_by", nullable_string_map);
    body.finish()?;
    let (directory_id, principal_id) = require_principal(&state, &ids).await?;
    let name = username.as_ref().map(|u| u.as_str().to_owned());
    let updated = basic_auths::modify(&state.store, directory_id, principal_id, id, &origin, |mut basic_auth| {
        if let Some(username) = username {
            basic_auth.username = username;
        }
        if let Some(changes) = managed_by {
            basic_auth.managed_by = basic_auth
                .managed_by
                .merged(changes)
                .map_err(|invalid| WriteError::Api(ApiError::invalid_field("managed_by", invalid)))?;
        }
        Ok::<_, WriteError>(basic_auth)
    })
    .await
    .map_err(write_error(id, name))?;
    Ok(Json(view(updated)))
}

async fn delete(State(state): State<AppState>, origin: Origin, ids: PathIds) -> Result<StatusCode, ApiError> {
    let id = ids.basic_auth()?;
    let (directory_id, principal_id) = require_principal(&state, &ids).await?;
    basic_auths::delete(&state.store, directory_id, principal_id, id, &origin)
        .await
        .on_store_error(|e| matches!(e, store::Error::NotFound).then(|| basic_auth_not_found(id)))?;
    Ok(StatusCode::NO_CONTENT)
}

/// A password: the given `secret` or a generated one (32 random letters and digits), shown
/// in this answer only. A third password of the username is refused with 409: the credential
/// already holds the two that rotation needs, and one must go first (Kong's description lists
/// 409 for this operation; a well-formed request is not a 400).
async fn create_password(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
    json: ApiJson,
) -> Result<(StatusCode, [(axum::http::HeaderName, axum::http::HeaderValue); 2], Json<PasswordView>), ApiError> {
    let mut body = Body::new(json, &PASSWORD_FIELDS);
    let given = body.optional("secret", password_secret);
    let expires_at = body.optional("expires_at", expiry(origin.at));
    let managed_by = body.optional("managed_by", managed_by);
    body.finish()?;
    let owner = require_basic_auth(&state, &ids).await?;
    let limit_reached = || {
        ApiError::conflict(format!(
            "A basic auth can have at most {MAX_PASSWORDS} passwords: delete one before adding another"
        ))
    };
    // A third password is refused before Argon2 runs (and again when written).
    let stored = basic_auths::list_passwords(&state.store, owner, &first_page()).await?;
    if stored.total >= MAX_PASSWORDS {
        return Err(limit_reached());
    }
    let secret = given.unwrap_or_else(ClientSecret::generate);
    let hash = state.cache.hasher().hash(&secret).await?;
    let password = Password {
        id: Uuid::new_v4(),
        basic_auth_id: owner.basic_auth_id,
        expires_at: expires_at.flatten(),
        managed_by: managed_by.unwrap_or_default(),
        created_at: origin.at,
        updated_at: origin.at,
    };
    basic_auths::insert_password(&state.store, owner, &password, &hash, &origin).await.on_store_error(|error| {
        match error {
            store::Error::LimitReached => Some(limit_reached()),
            store::Error::NotFound => Some(basic_auth_not_found(owner.basic_auth_id)),
            _ => None,
        }
    })?;
    Ok((StatusCode::CREATED, no_store(), Json(password_view(password, Some(&secret)))))
}

/// The smallest page: only the total of a list is wanted.
fn first_page() -> crate::domain::list::ListParams {
    crate::domain::list::ListParams { page_size: 1, ..Default::default() }
}

async fn list_passwords(
    State(state): State<AppState>,
    ids: PathIds,
    query: QueryPairs,
) -> Result<Json<CursorPage<PasswordView>>, ApiError> {
    let (params, kept) = cursor_params(&query, &basic_auths::LIST)?;
    let owner = require_basic_auth(&state, &ids).await?;
    let page = basic_auths::list_passwords(&state.store, owner, &params).await?;
    let base = BASIC_AUTH_PASSWORDS
        .replace("{directoryId}", &owner.directory_id.to_string())
        .replace("{principalId}", &owner.principal_id.to_string())
        .replace("{basicAuthId}", &owner.basic_auth_id.to_string());
    Ok(Json(CursorPage::new(&base, &kept, page, &params, |p| password_view(p, None))))
}

async fn get_password(State(state): State<AppState>, ids: PathIds) -> Result<Json<PasswordView>, ApiError> {
    let id = ids.password()?;
    let owner = require_basic_auth(&state, &ids).await?;
    let password = basic_auths::get_password(&state.store, owner, id)
        .await
        .on_store_error(|e| matches!(e, store::Error::NotFound).then(|| password_not_found(id)))?;
    Ok(Json(password_view(password, None)))
}

fn password_write_error(id: Uuid) -> impl FnOnce(WriteError) -> ApiError {
    move |error| error.resolve(|error| matches!(error, store::Error::NotFound).then(|| password_not_found(id)))
}

/// PUT: a new secret (required, and not answered: the caller chose it), `expires_at`
/// (required; `null` for none) and `managed_by` (empty when left out).
async fn replace_password(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
    json: ApiJson,
) -> Result<Json<PasswordView>, ApiError> {
    let id = ids.password()?;
    let mut body = Body::new(json, &PASSWORD_FIELDS);
    let secret = body.required("secret", password_secret);
    let expires_at = body.required("expires_at", expiry(origin.at));
    let managed_by = body.optional("managed_by", managed_by);
    body.finish()?;
    let (secret, expires_at) = (present(secret)?, present(expires_at)?);
    let owner = require_basic_auth(&state, &ids).await?;
    // Known before Argon2 runs: a missing password costs no hashing.
    basic_auths::get_password(&state.store, owner, id)
        .await
        .on_store_error(|e| matches!(e, store::Error::NotFound).then(|| password_not_found(id)))?;
    let hash = state.cache.hasher().hash(&secret).await?;
    let managed_by = managed_by.unwrap_or_default();
    let replaced = basic_auths::modify_password(&state.store, owner, id, Some(&hash), &origin, |current| {
        Ok::<_, WriteError>(Password { expires_at, managed_by, ..current })
    })
    .await
    .map_err(password_write_error(id))?;
    Ok(Json(password_view(replaced, None)))
}

/// PATCH: `expires_at` (`null` removes the expiry) and `managed_by` (merged; a `null` value
/// removes its key).
async fn update_password(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
    json: ApiJson,
) -> Result<Json<PasswordView>, ApiError> {
    let id = ids.password()?;
    let mut body = Body::new(json, &PASSWORD_UPDATE_FIELDS);
    let expires_at = body.optional("expires_at", expiry(origin.at));
    let managed_by = body.optional("managed_by", nullable_string_map);
    body.finish()?;
    let owner = require_basic_auth(&state, &ids).await?;
    let updated = basic_auths::modify_password(&state.store, owner, id, None, &origin, |mut password| {
        if let Some(expires_at) = expires_at {
            password.expires_at = expires_at;
        }
        if let Some(changes) = managed_by {
            password.managed_by = password
                .managed_by
                .merged(changes)
                .map_err(|invalid| WriteError::Api(ApiError::invalid_field("managed_by", invalid)))?;
        }
        Ok::<_, WriteError>(password)
    })
    .await
    .map_err(password_write_error(id))?;
    Ok(Json(password_view(updated, None)))
}

async fn delete_password(State(state): State<AppState>, origin: Origin, ids: PathIds) -> Result<StatusCode, ApiError> {
    let id = ids.password()?;
    let owner = require_basic_auth(&state, &ids).await?;
    basic_auths::delete_passwords(&state.store, owner, Some(id), &origin)
        .await
        .on_store_error(|e| matches!(e, store::Error::NotFound).then(|| password_not_found(id)))?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_all_passwords(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
) -> Result<StatusCode, ApiError> {
    let owner = require_basic_auth(&state, &ids).await?;
    basic_auths::delete_passwords(&state.store, owner, None, &origin)
        .await
        .on_store_error(|e| matches!(e, store::Error::NotFound).then(|| basic_auth_not_found(owner.basic_auth_id)))?;
    Ok(StatusCode::NO_CONTENT)
}
