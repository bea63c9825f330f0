//! /v2/directories: Kong Identity's directories and their realm configuration, shaped exactly
//! as Kong's v2 description (`openapi-v2.yaml`) says, with cursor pagination.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::domain::admin::{Access, Origin};
use crate::domain::directory::{self, DEFAULT_TTL_SECS, Directory, DirectoryName, ManagedBy, Realm};
use crate::domain::list::{ListParams, cursor, parse_cursor_pairs};
use crate::domain::{Invalid, Labels};
use crate::http::error::{InvalidParameter, ResultExt};
use crate::http::extract::{ApiJson, PathIds, QueryPairs};
use crate::http::routes::{DIRECTORIES, DIRECTORY, DIRECTORY_REALM_CONFIG};
use crate::http::validate::{Body, boolean, integer, present, string, string_map, strings, uuids};
use crate::http::{ApiError, AppState, Routes};
use crate::store::{self, ListPage};

use super::{WriteError, timestamp};

pub fn routes() -> Routes<AppState> {
    Routes::default()
        .post(DIRECTORIES, create)
        .get(DIRECTORIES, list)
        .get(DIRECTORY, get)
        .put(DIRECTORY, replace)
        .patch(DIRECTORY, update)
        .delete(DIRECTORY, delete)
        .get(DIRECTORY_REALM_CONFIG, get_realm)
        .put(DIRECTORY_REALM_CONFIG, replace_realm)
}

#[derive(Serialize)]
struct DirectoryView {
    id: Uuid,
    name: String,
    description: String,
    allowed_control_planes: Vec<Uuid>,
    allow_all_control_planes: bool,
    ttl_secs: i64,
    negative_ttl_secs: i64,
    labels: Labels,
    managed_by: ManagedBy,
    created_at: String,
    updated_at: String,
}

fn view(directory: Directory) -> DirectoryView {
    DirectoryView {
        id: directory.id,
        name: directory.name.as_str().to_owned(),
        description: directory.description,
        allowed_control_planes: directory.allowed_control_planes,
        allow_all_control_planes: directory.allow_all_control_planes,
        ttl_secs: directory.ttl_secs,
        negative_ttl_secs: directory.negative_ttl_secs,
        labels: directory.labels,
        managed_by: directory.managed_by,
        created_at: timestamp(directory.created_at),
        updated_at: timestamp(directory.updated_at),
    }
}

#[derive(Serialize)]
struct RealmView {
    ttl: i64,
    negative_ttl: i64,
    consumer_groups: Vec<String>,
}

fn realm_view(realm: Realm) -> RealmView {
    RealmView { ttl: realm.ttl, negative_ttl: realm.negative_ttl, consumer_groups: realm.consumer_groups }
}

/// `{ "data": [...], "meta": { "page": { "first", "next", "previous", "size" } } }`: Kong's
/// cursor page; `next` and `previous` are the paths of the neighbouring pages, or null.
#[derive(Serialize)]
pub(crate) struct CursorPage<T> {
    data: Vec<T>,
    meta: CursorMeta,
}

#[derive(Serialize)]
struct CursorMeta {
    page: CursorMetaPage,
}

#[derive(Serialize)]
struct CursorMetaPage {
    first: String,
    next: Option<String>,
    previous: Option<String>,
    size: u32,
}

impl<T> CursorPage<T> {
    /// `kept` are the request's other query pairs (sort, filters), repeated in the links.
    pub(crate) fn new<U>(
        base: &str,
        kept: &[(String, String)],
        page: ListPage<U>,
        params: &ListParams,
        view: impl FnMut(U) -> T,
    ) -> CursorPage<T> {
        let link = |cursor: Option<(&str, String)>| {
            let mut pairs: Vec<(String, String)> = vec![("page[size]".to_owned(), params.page_size.to_string())];
            if let Some((name, value)) = cursor {
                pairs.push((name.to_owned(), value));
            }
            pairs.extend(kept.iter().cloned());
            format!("{base}?{}", serde_urlencoded::to_string(&pairs).unwrap_or_default())
        };
        let shown = i64::from(params.page_number) * i64::from(params.page_size);
        let next = (shown < page.total).then(|| link(Some(("page[after]", cursor(params.page_number + 1)))));
        let previous = (params.page_number > 1).then(|| link(Some(("page[before]", cursor(params.page_number - 1)))));
        CursorPage {
            data: page.items.into_iter().map(view).collect(),
            meta: CursorMeta { page: CursorMetaPage { first: link(None), next, previous, size: params.page_size } },
        }
    }
}

/// Cursor list parameters, and the query pairs to repeat in page links.
pub(crate) fn cursor_params(
    QueryPairs(pairs): &QueryPairs,
    schema: &crate::domain::list::ListSchema,
) -> Result<(ListParams, Vec<(String, String)>), ApiError> {
    let params = parse_cursor_pairs(pairs, schema).map_err(|errors| {
        ApiError::invalid(
            errors.into_iter().map(|(field, invalid)| InvalidParameter::new(&field, "query", invalid)).collect(),
        )
    })?;
    let kept = pairs.iter().filter(|(name, _)| !name.starts_with("page[")).cloned().collect();
    Ok((params, kept))
}

const CREATE_FIELDS: [&str; 8] = [
    "name",
    "description",
    "allowed_control_planes",
    "allow_all_control_planes",
    "ttl_secs",
    "negative_ttl_secs",
    "labels",
    "managed_by",
];
/// Kong's `UpdateDirectoryBody`: no description, no managed_by.
const UPDATE_FIELDS: [&str; 6] =
    ["name", "allowed_control_planes", "allow_all_control_planes", "ttl_secs", "negative_ttl_secs", "labels"];
const NAME_KEY: &str = "directories_name_key";

fn name_taken(name: &str) -> ApiError {
    ApiError::conflict(format!("A directory named [{name}] already exists"))
}

fn not_found(id: Uuid) -> String {
    format!("Directory [{id}]")
}

fn ttl(value: Value) -> Result<i64, Invalid> {
    directory::parse_ttl_secs(integer(value)?)
}

fn control_planes(value: Value) -> Result<Vec<Uuid>, Invalid> {
    directory::parse_control_planes(uuids(value)?)
}

fn labels(value: Value) -> Result<Labels, Invalid> {
    Labels::parse(string_map(value)?)
}

fn managed_by(value: Value) -> Result<ManagedBy, Invalid> {
    ManagedBy::parse(string_map(value)?)
}

/// Reads a whole directory (create and PUT): fields left out take their defaults.
fn read_whole(json: ApiJson, id: Uuid, origin: &Origin) -> Result<Directory, ApiError> {
    let mut body = Body::new(json, &CREATE_FIELDS);
    let name = body.required("name", |v| DirectoryName::parse(string(v)?));
    let description = body.optional("description", |v| directory::parse_description(string(v)?));
    let allowed = body.optional("allowed_control_planes", control_planes);
    let allow_all = body.optional("allow_all_control_planes", boolean);
    let ttl_secs = body.optional("ttl_secs", ttl);
    let negative_ttl_secs = body.optional("negative_ttl_secs", ttl);
    let labels = body.optional("labels", labels);
    let managed_by = body.optional("managed_by", managed_by);
    body.finish()?;
    Ok(Directory {
        id,
        name: present(name)?,
        description: description.unwrap_or_default(),
        allowed_control_planes: allowed.unwrap_or_default(),
        allow_all_control_planes: allow_all.unwrap_or(false),
        ttl_secs: ttl_secs.unwrap_or(DEFAULT_TTL_SECS),
        negative_ttl_secs: negative_ttl_secs.unwrap_or(DEFAULT_TTL_SECS),
        labels: labels.unwrap_or_default(),
        managed_by: managed_by.unwrap_or_default(),
        realm: Realm::default(),
        created_at: origin.at,
        updated_at: origin.at,
    })
}

async fn create(
    State(state): State<AppState>,
    origin: Origin,
    json: ApiJson,
) -> Result<(StatusCode, Json<DirectoryView>), ApiError> {
    let directory = read_whole(json, Uuid::new_v4(), &origin)?;
    store::directories::insert(&state.store, &directory, &origin)
        .await
        .on_constraint(NAME_KEY, || name_taken(directory.name.as_str()))?;
    Ok((StatusCode::CREATED, Json(view(directory))))
}

/// A scoped credential lists only its directories.
async fn list(
    State(state): State<AppState>,
    access: Access,
    query: QueryPairs,
) -> Result<Json<CursorPage<DirectoryView>>, ApiError> {
    let (params, kept) = cursor_params(&query, &store::directories::LIST)?;
    let page = store::directories::list(&state.store, &params, access.directory_scope()).await?;
    Ok(Json(CursorPage::new(DIRECTORIES, &kept, page, &params, view)))
}

async fn get(State(state): State<AppState>, ids: PathIds) -> Result<Json<DirectoryView>, ApiError> {
    let id = ids.directory()?;
    let directory = store::directories::get(&state.store, id).await.or_not_found(|| not_found(id))?;
    Ok(Json(view(directory)))
}

fn write_error(id: Uuid, name: Option<String>) -> impl FnOnce(WriteError) -> ApiError {
    move |error| {
        error.resolve(|error| match error {
            store::Error::NotFound => Some(ApiError::not_found(format!("{} not found", not_found(id)))),
            store::Error::Conflict { constraint } if constraint == NAME_KEY => {
                Some(name_taken(name.as_deref().unwrap_or_default()))
            }
            _ => None,
        })
    }
}

/// PUT: the whole directory; fields left out take their defaults. The realm configuration,
/// a resource of its own, is kept.
async fn replace(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
    json: ApiJson,
) -> Result<Json<DirectoryView>, ApiError> {
    let id = ids.directory()?;
    let whole = read_whole(json, id, &origin)?;
    let name = whole.name.as_str().to_owned();
    let replaced = store::directories::modify(&state.store, id, &origin, "updated", |current| {
        Ok::<_, WriteError>(Directory { realm: current.realm, created_at: current.created_at, ..whole })
    })
    .await
    .map_err(write_error(id, Some(name)))?;
    Ok(Json(view(replaced)))
}

/// PATCH: only the fields given change (`labels` is replaced whole, as Kong's `Labels` holds
/// no nulls to remove keys with).
async fn update(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
    json: ApiJson,
) -> Result<Json<DirectoryView>, ApiError> {
    let id = ids.directory()?;
    let mut body = Body::new(json, &UPDATE_FIELDS);
    let name = body.optional("name", |v| DirectoryName::parse(string(v)?));
    let allowed = body.optional("allowed_control_planes", control_planes);
    let allow_all = body.optional("allow_all_control_planes", boolean);
    let ttl_secs = body.optional("ttl_secs", ttl);
    let negative_ttl_secs = body.optional("negative_ttl_secs", ttl);
    let labels = body.optional("labels", labels);
    body.finish()?;
    let new_name = name.as_ref().map(|n| n.as_str().to_owned());
    let updated = store::directories::modify(&state.store, id, &origin, "updated", |mut directory| {
        if let Some(name) = name {
            directory.name = name;
        }
        if let Some(allowed) = allowed {
            directory.allowed_control_planes = allowed;
        }
        if let Some(allow_all) = allow_all {
            directory.allow_all_control_planes = allow_all;
        }
        if let Some(ttl) = ttl_secs {
            directory.ttl_secs = ttl;
        }
        if let Some(ttl) = negative_ttl_secs {
            directory.negative_ttl_secs = ttl;
        }
        if let Some(labels) = labels {
            directory.labels = labels;
        }
        Ok::<_, WriteError>(directory)
    })
    .await
    .map_err(write_error(id, new_name))?;
    Ok(Json(view(updated)))
}

/// `force` is `true` or `false` (the default); without it, a directory that still holds
/// principals is refused with 409 (Kong's description names no status for it).
async fn delete(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
    QueryPairs(query): QueryPairs,
) -> Result<StatusCode, ApiError> {
    let id = ids.directory()?;
    let mut force = false;
    for (name, value) in &query {
        match (name.as_str(), value.as_str()) {
            ("force", "true") => force = true,
            ("force", "false") => force = false,
            ("force", _) => return Err(ApiError::invalid_at("query", "force", Invalid::one_of(&["true", "false"]))),
            _ => {
                return Err(ApiError::invalid_at(
                    "query",
                    name,
                    Invalid::new("unknown_property", "is not a supported query parameter"),
                ));
            }
        }
    }
    store::directories::delete(&state.store, id, force, &origin).await.or_not_found(|| not_found(id))?;
    Ok(StatusCode::NO_CONTENT)
}

async fn get_realm(State(state): State<AppState>, ids: PathIds) -> Result<Json<RealmView>, ApiError> {
    let id = ids.directory()?;
    let directory = store::directories::get(&state.store, id).await.or_not_found(|| not_found(id))?;
    Ok(Json(realm_view(directory.realm)))
}

/// PUT: the whole realm configuration; fields left out take their defaults (10 minutes, no
/// consumer groups), as the operation's description says.
async fn replace_realm(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
    json: ApiJson,
) -> Result<Json<RealmView>, ApiError> {
    let id = ids.directory()?;
    let mut body = Body::new(json, &["ttl", "negative_ttl", "consumer_groups"]);
    let minutes = |v: Value| directory::parse_realm_minutes(integer(v)?);
    let ttl = body.optional("ttl", minutes);
    let negative_ttl = body.optional("negative_ttl", minutes);
    let groups = body.optional("consumer_groups", |v| directory::parse_consumer_groups(strings(v)?));
    body.finish()?;
    let defaults = Realm::default();
    let realm = Realm {
        ttl: ttl.unwrap_or(defaults.ttl),
        negative_ttl: negative_ttl.unwrap_or(defaults.negative_ttl),
        consumer_groups: groups.unwrap_or_default(),
    };
    let updated = store::directories::modify(&state.store, id, &origin, "realm_config_replaced", |directory| {
        Ok::<_, WriteError>(Directory { realm, ..directory })
    })
    .await
    .map_err(write_error(id, None))?;
    Ok(Json(realm_view(updated.realm)))
}
