//! /v2/directories/{directoryId}/principals/{principalId}/identities: what links a caller to
//! its principal, shaped as Kong's v2 description says (`KongPrincipalIdentity*`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::domain::admin::{Access, Origin};
use crate::domain::identity::{self, Identity, IdentityFields, IdentityKey, IdentityType};
use crate::domain::list::FilterOp;
use crate::domain::{Invalid, Labels};
use crate::http::error::ResultExt;
use crate::http::extract::{ApiJson, PathIds, QueryPairs};
use crate::http::routes::{IDENTITIES, IDENTITY};
use crate::http::validate::{Body, object, string, string_map};
use crate::http::{ApiError, AppState, Routes};
use crate::store;

use super::directories::{CursorPage, cursor_params};
use super::principals::require_directory;
use super::{WriteError, timestamp};

pub fn routes() -> Routes<AppState> {
    Routes::default()
        .post(IDENTITIES, create)
        .get(IDENTITIES, list)
        .get(IDENTITY, get)
        .put(IDENTITY, replace)
        .patch(IDENTITY, update)
        .delete(IDENTITY, delete)
}

#[derive(Serialize)]
struct IdentityView {
    id: Uuid,
    #[serde(flatten)]
    key: IdentityKey,
    labels: Labels,
    created_at: String,
    updated_at: String,
}

fn view(identity: Identity) -> IdentityView {
    IdentityView {
        id: identity.id,
        key: identity.key,
        labels: identity.labels,
        created_at: timestamp(identity.created_at),
        updated_at: timestamp(identity.updated_at),
    }
}

/// Every field of every type: those of another type than the identity's are refused by name.
const FIELDS: [&str; 11] = [
    "type",
    "labels",
    "issuer",
    "claim",
    "auth_server_id",
    "client_id",
    "control_plane_id",
    "workspace_id",
    "consumer_id",
    "key",
    "value",
];

fn principal_not_found(id: Uuid) -> ApiError {
    ApiError::not_found(format!("Principal [{id}] not found"))
}

fn identity_not_found(id: Uuid) -> ApiError {
    ApiError::not_found(format!("Identity [{id}] not found"))
}

fn key_taken(kind: IdentityType) -> ApiError {
    ApiError::conflict(format!("This {} identity already belongs to a principal of this directory", kind.as_str()))
}

/// 404 unless the directory exists and holds the principal.
async fn require_principal(state: &AppState, directory_id: Uuid, principal_id: Uuid) -> Result<(), ApiError> {
    require_directory(state, directory_id).await?;
    match store::principals::get(&state.store, directory_id, principal_id).await {
        Ok(_) => Ok(()),
        Err(store::Error::NotFound) => Err(principal_not_found(principal_id)),
        Err(e) => Err(e.into()),
    }
}

fn labels(value: Value) -> Result<Labels, Invalid> {
    Labels::parse(string_map(value)?)
}

fn name(value: Value) -> Result<String, Invalid> {
    identity::parse_name(string(value)?)
}

fn text(value: Value) -> Result<String, Invalid> {
    identity::parse_value(string(value)?)
}

fn uuid(value: Value) -> Result<Uuid, Invalid> {
    let text = string(value)?;
    Uuid::parse_str(&text).map_err(|_| Invalid::new("is_uuid", format!("must be a UUID, not {text:?}")))
}

/// The claim `{name, value}`: both required in a whole identity, each optional in a PATCH.
fn claim(value: Value, whole: bool) -> Result<(Option<String>, Option<String>), Invalid> {
    let mut map = object(value)?;
    if let Some(unknown) = map.keys().find(|k| *k != "name" && *k != "value") {
        return Err(Invalid::new("unknown_property", "is not a known property").at(format!(".{unknown}")));
    }
    let mut part = |field: &str, parse: fn(Value) -> Result<String, Invalid>| match map.remove(field) {
        Some(v) => parse(v).map(Some).map_err(|e| e.at(format!(".{field}"))),
        None if whole => Err(Invalid::new("required", "is a required field").at(format!(".{field}"))),
        None => Ok(None),
    };
    Ok((part("name", name)?, part("value", text)?))
}

/// Reads the type fields of `kind` (required in a whole identity, except `workspace_id`;
/// optional in a PATCH) and refuses, by name, those of the other types.
pub(super) fn read_fields(body: &mut Body, kind: IdentityType, whole: bool) -> IdentityFields {
    for other in IdentityType::ALL.iter().filter(|t| **t != kind).flat_map(|t| t.fields()) {
        body.optional(other, |_| {
            Err::<(), _>(Invalid::new("unknown_property", format!("does not apply to {} identities", kind.as_str())))
        });
    }
    let read = |body: &mut Body, field: &str, parse: fn(Value) -> Result<String, Invalid>| {
        if whole && field != "workspace_id" { body.required(field, parse) } else { body.optional(field, parse) }
    };
    let mut fields = IdentityFields::default();
    match kind {
        IdentityType::Oidc => {
            fields.issuer = read(body, "issuer", text);
            let claim = if whole {
                body.required("claim", |v| claim(v, true))
            } else {
                body.optional("claim", |v| claim(v, false))
            };
            if let Some((name, value)) = claim {
                (fields.claim_name, fields.claim_value) = (name, value);
            }
        }
        IdentityType::AuthServerClient => {
            fields.auth_server_id =
                if whole { body.required("auth_server_id", uuid) } else { body.optional("auth_server_id", uuid) };
            fields.client_id = read(body, "client_id", name);
        }
        IdentityType::ControlPlaneConsumer => {
            fields.control_plane_id = read(body, "control_plane_id", name);
            fields.workspace_id = read(body, "workspace_id", name);
            fields.consumer_id = read(body, "consumer_id", name);
        }
        IdentityType::Custom => {
            fields.key = read(body, "key", name);
            fields.value = read(body, "value", text);
        }
    }
    fields
}

/// `type` of a PUT or PATCH: optional, and only the identity's own (a type never changes:
/// delete the identity and create another).
fn same_type(body: &mut Body, kind: IdentityType) {
    body.optional("type", |v| {
        let given = IdentityType::parse(&string(v)?)?;
        if given == kind {
            Ok(())
        } else {
            Err(Invalid::new("invalid", format!("cannot change from {}: create another identity", kind.as_str())))
        }
    });
}

/// An `auth_server_client` identity may name only an auth server the caller reaches; any other
/// is answered as if it did not exist, so a directory-admin cannot probe auth servers or tie
/// their clients to its principals.
fn check_reach(access: &Access, key: &IdentityKey) -> Result<(), ApiError> {
    match key {
        IdentityKey::AuthServerClient { auth_server_id, .. } if !access.sees(*auth_server_id) => {
            Err(store::Error::MissingReference("auth_server_id").into())
        }
        _ => Ok(()),
    }
}

async fn create(
    State(state): State<AppState>,
    origin: Origin,
    access: Access,
    ids: PathIds,
    json: ApiJson,
) -> Result<(StatusCode, Json<IdentityView>), ApiError> {
    let (directory_id, principal_id) = (ids.directory()?, ids.principal()?);
    let mut body = Body::new(json, &FIELDS);
    let kind = body.required("type", |v| IdentityType::parse(&string(v)?));
    let labels = body.optional("labels", labels);
    let key = kind.and_then(|kind| read_fields(&mut body, kind, true).into_key(kind));
    body.finish()?;
    let key = crate::http::validate::present(key)?;
    check_reach(&access, &key)?;
    require_principal(&state, directory_id, principal_id).await?;
    let identity = Identity {
        id: Uuid::new_v4(),
        directory_id,
        principal_id,
        key,
        labels: labels.unwrap_or_default(),
        created_at: origin.at,
        updated_at: origin.at,
    };
    let kind = identity.key.kind();
    store::identities::insert(&state.store, &identity, &origin).await.on_store_error(|error| match error {
        store::Error::NotFound => Some(principal_not_found(principal_id)),
        store::Error::Conflict { constraint } if constraint == store::identities::KEY_TAKEN => Some(key_taken(kind)),
        _ => None,
    })?;
    Ok((StatusCode::CREATED, Json(view(identity))))
}

/// Kong's filter names the consumer type `consumer`; both it and `control_plane_consumer` match.
fn consumer_alias(params: &mut crate::domain::list::ListParams) {
    for filter in &mut params.filters {
        if let FilterOp::In(values) = &mut filter.op {
            for value in values.iter_mut().filter(|v| *v == "consumer") {
                *value = IdentityType::ControlPlaneConsumer.as_str().to_owned();
            }
        }
    }
}

async fn list(
    State(state): State<AppState>,
    ids: PathIds,
    query: QueryPairs,
) -> Result<Json<CursorPage<IdentityView>>, ApiError> {
    let (directory_id, principal_id) = (ids.directory()?, ids.principal()?);
    let (mut params, kept) = cursor_params(&query, &store::identities::LIST)?;
    consumer_alias(&mut params);
    require_principal(&state, directory_id, principal_id).await?;
    let page = store::identities::list(&state.store, directory_id, principal_id, &params).await?;
    let base = IDENTITIES
        .replace("{directoryId}", &directory_id.to_string())
        .replace("{principalId}", &principal_id.to_string());
    Ok(Json(CursorPage::new(&base, &kept, page, &params, view)))
}

/// The stored identity, after its directory and principal (each 404 by name).
async fn current(state: &AppState, ids: &PathIds) -> Result<Identity, ApiError> {
    let (directory_id, principal_id, id) = (ids.directory()?, ids.principal()?, ids.identity()?);
    require_principal(state, directory_id, principal_id).await?;
    store::identities::get(&state.store, directory_id, principal_id, id)
        .await
        .on_store_error(|error| matches!(error, store::Error::NotFound).then(|| identity_not_found(id)))
}

async fn get(State(state): State<AppState>, ids: PathIds) -> Result<Json<IdentityView>, ApiError> {
    Ok(Json(view(current(&state, &ids).await?)))
}

fn write_error(id: Uuid, kind: IdentityType) -> impl FnOnce(WriteError) -> ApiError {
    move |error| {
        error.resolve(|error| match error {
            store::Error::NotFound => Some(identity_not_found(id)),
            store::Error::Conflict { constraint } if constraint == store::identities::KEY_TAKEN => {
                Some(key_taken(kind))
            }
            _ => None,
        })
    }
}

/// PUT: the whole identity, of the same type; `labels` left out become empty.
async fn replace(
    State(state): State<AppState>,
    origin: Origin,
    access: Access,
    ids: PathIds,
    json: ApiJson,
) -> Result<Json<IdentityView>, ApiError> {
    let existing = current(&state, &ids).await?;
    let kind = existing.key.kind();
    let mut body = Body::new(json, &FIELDS);
    same_type(&mut body, kind);
    let labels = body.optional("labels", labels);
    let key = read_fields(&mut body, kind, true).into_key(kind);
    body.finish()?;
    let key = crate::http::validate::present(key)?;
    check_reach(&access, &key)?;
    let labels = labels.unwrap_or_default();
    let replaced =
        store::identities::modify(&state.store, existing.directory_id, existing.principal_id, existing.id, &origin, {
            |current| Ok::<_, WriteError>(Identity { key, labels, ..current })
        })
        .await
        .map_err(write_error(existing.id, kind))?;
    Ok(Json(view(replaced)))
}

/// PATCH: the given fields of the identity's type change (`claim.name` and `claim.value` each
/// on its own); `labels`, which Kong's update body leaves out, is accepted and replaced whole.
async fn update(
    State(state): State<AppState>,
    origin: Origin,
    access: Access,
    ids: PathIds,
    json: ApiJson,
) -> Result<Json<IdentityView>, ApiError> {
    let existing = current(&state, &ids).await?;
    let kind = existing.key.kind();
    let mut body = Body::new(json, &FIELDS);
    same_type(&mut body, kind);
    let labels = body.optional("labels", labels);
    let fields = read_fields(&mut body, kind, false);
    body.finish()?;
    let updated =
        store::identities::modify(&state.store, existing.directory_id, existing.principal_id, existing.id, &origin, {
            |mut identity| {
                identity.key = identity.key.patched(fields);
                check_reach(&access, &identity.key).map_err(WriteError::Api)?;
                if let Some(labels) = labels {
                    identity.labels = labels;
                }
                Ok::<_, WriteError>(identity)
            }
        })
        .await
        .map_err(write_error(existing.id, kind))?;
    Ok(Json(view(updated)))
}

async fn delete(State(state): State<AppState>, origin: Origin, ids: PathIds) -> Result<StatusCode, ApiError> {
    let (directory_id, principal_id, id) = (ids.directory()?, ids.principal()?, ids.identity()?);
    require_principal(&state, directory_id, principal_id).await?;
    store::identities::delete(&state.store, directory_id, principal_id, id, &origin)
        .await
        .on_store_error(|error| matches!(error, store::Error::NotFound).then(|| identity_not_found(id)))?;
    Ok(StatusCode::NO_CONTENT)
}
