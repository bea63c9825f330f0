//! /v1/auth-servers/{authServerId}/trusted-issuers: identity providers whose JWTs the auth
//! server accepts as assertions (a Tessera extension for RFC 7523).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::domain::admin::Origin;
use crate::domain::jwks::ClientJwks;
use crate::domain::trusted_issuer::{
    self, DEFAULT_ALGORITHMS, DEFAULT_TOKEN_AGE_SECS, IssuerKeys, SubjectMapping, SubjectPattern, TrustedIssuer,
};
use crate::domain::{ClientId, Invalid, Name, SigningAlgorithm};
use crate::http::error::ResultExt;
use crate::http::extract::{ApiJson, PathIds, QueryPairs};
use crate::http::routes::{TRUSTED_ISSUER, TRUSTED_ISSUERS};
use crate::http::validate::{Body, array, boolean, integer, object, present, string, string_map, strings};
use crate::http::{ApiError, AppState, Routes};
use crate::store;

use super::{Page, list_params, parent_gone, require_auth_server, timestamp};

pub fn routes() -> Routes<AppState> {
    Routes::default()
        .get(TRUSTED_ISSUERS, list)
        .post(TRUSTED_ISSUERS, create)
        .get(TRUSTED_ISSUER, get)
        .patch(TRUSTED_ISSUER, update)
        .delete(TRUSTED_ISSUER, delete)
}

#[derive(Serialize)]
struct TrustedIssuerView {
    id: Uuid,
    name: String,
    issuer: String,
    /// Exactly one of `jwks` and `jwks_uri` is present: the issuer's one key source.
    #[serde(skip_serializing_if = "Option::is_none")]
    jwks: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    jwks_uri: Option<String>,
    allowed_algorithms: Vec<&'static str>,
    audience: String,
    max_token_age_secs: i64,
    subjects: Vec<SubjectMapping>,
    claim_conditions: BTreeMap<String, String>,
    copy_claims: Vec<String>,
    enabled: bool,
    created_at: String,
    updated_at: String,
}

fn view(issuer: TrustedIssuer) -> TrustedIssuerView {
    let (jwks, jwks_uri) = match issuer.keys {
        IssuerKeys::Jwks(jwks) => (Some(jwks.as_value().clone()), None),
        IssuerKeys::JwksUri(uri) => (None, Some(uri)),
    };
    TrustedIssuerView {
        id: issuer.id,
        name: issuer.name.as_str().to_owned(),
        issuer: issuer.issuer,
        jwks,
        jwks_uri,
        allowed_algorithms: issuer.algorithms.iter().map(|a| a.as_str()).collect(),
        audience: issuer.audience,
        max_token_age_secs: issuer.max_token_age_secs,
        subjects: issuer.subjects,
        claim_conditions: issuer.claim_conditions,
        copy_claims: issuer.copy_claims,
        enabled: issuer.enabled,
        created_at: timestamp(issuer.created_at),
        updated_at: timestamp(issuer.updated_at),
    }
}

const FIELDS: [&str; 11] = [
    "name",
    "issuer",
    "jwks",
    "jwks_uri",
    "allowed_algorithms",
    "audience",
    "max_token_age_secs",
    "subjects",
    "claim_conditions",
    "copy_claims",
    "enabled",
];
const NAME_KEY: &str = "trusted_issuers_auth_server_id_name_key";
const ISSUER_KEY: &str = "trusted_issuers_auth_server_id_issuer_key";

/// A body as read for create (required fields enforced) or update (every field optional).
struct Input {
    name: Option<Name>,
    issuer: Option<String>,
    keys: Option<IssuerKeys>,
    algorithms: Option<Vec<SigningAlgorithm>>,
    audience: Option<String>,
    max_token_age_secs: Option<i64>,
    subjects: Option<Vec<SubjectMapping>>,
    claim_conditions: Option<BTreeMap<String, String>>,
    copy_claims: Option<Vec<String>>,
    enabled: Option<bool>,
}

fn read_input(json: ApiJson, create: bool) -> Result<Input, ApiError> {
    let mut body = Body::new(json, &FIELDS);
    let name = body_field(&mut body, "name", create, |v| Name::parse(string(v)?));
    let issuer = body_field(&mut body, "issuer", create, |v| trusted_issuer::parse_url(string(v)?));
    let (jwks, jwks_uri) = (body.optional("jwks", Ok), body.optional("jwks_uri", Ok));
    let keys = one_key_source(&mut body, create, jwks, jwks_uri);
    let algorithms = body.optional("allowed_algorithms", algorithms);
    let audience = body.optional("audience", |v| trusted_issuer::parse_audience(string(v)?));
    let max_token_age_secs = body.optional("max_token_age_secs", |v| trusted_issuer::parse_max_token_age(integer(v)?));
    let subjects = body_field(&mut body, "subjects", create, subjects);
    let claim_conditions = body.optional("claim_conditions", |v| trusted_issuer::parse_conditions(string_map(v)?));
    let copy_claims = body.optional("copy_claims", |v| trusted_issuer::parse_copy_claims(strings(v)?));
    let enabled = body.optional("enabled", boolean);
    body.finish()?;
    Ok(Input {
        name,
        issuer,
        keys,
        algorithms,
        audience,
        max_token_age_secs,
        subjects,
        claim_conditions,
        copy_claims,
        enabled,
    })
}

/// A field required on create and optional on update.
fn body_field<T>(
    body: &mut Body,
    field: &str,
    create: bool,
    parse: impl FnOnce(Value) -> Result<T, Invalid>,
) -> Option<T> {
    if create { body.required(field, parse) } else { body.optional(field, parse) }
}

/// Keys come from a JWK Set given here or from a `jwks_uri`, never both: two sources could
/// disagree about which keys are the issuer's. An update that gives one replaces the other.
fn one_key_source(body: &mut Body, create: bool, jwks: Option<Value>, jwks_uri: Option<Value>) -> Option<IssuerKeys> {
    let keys = match (jwks, jwks_uri) {
        (Some(_), Some(_)) => {
            let both = "give either jwks or jwks_uri, not both";
            body.reject("jwks", Invalid::new("invalid", both));
            body.reject("jwks_uri", Invalid::new("invalid", both));
            return None;
        }
        (None, None) => {
            if create {
                body.reject("jwks", Invalid::new("required", "is required unless jwks_uri is given"));
            }
            return None;
        }
        (Some(jwks), None) => ("jwks", ClientJwks::parse(jwks).map(IssuerKeys::Jwks)),
        (None, Some(uri)) => ("jwks_uri", string(uri).and_then(trusted_issuer::parse_url).map(IssuerKeys::JwksUri)),
    };
    match keys {
        (_, Ok(keys)) => Some(keys),
        (field, Err(invalid)) => {
            body.reject(field, invalid);
            None
        }
    }
}

fn algorithms(value: Value) -> Result<Vec<SigningAlgorithm>, Invalid> {
    let names = strings(value)?;
    let algorithms = names
        .iter()
        .enumerate()
        .map(|(i, name)| SigningAlgorithm::parse(name).map_err(|e| e.at(format!("[{i}]"))))
        .collect::<Result<Vec<_>, _>>()?;
    trusted_issuer::parse_algorithms(algorithms)
}

fn subjects(value: Value) -> Result<Vec<SubjectMapping>, Invalid> {
    let items = array(value)?;
    if items.len() > trusted_issuer::MAX_SUBJECTS {
        return Err(Invalid::max_items(trusted_issuer::MAX_SUBJECTS));
    }
    let mappings = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| subject_mapping(item).map_err(|e| e.at(format!("[{i}]"))))
        .collect::<Result<Vec<_>, _>>()?;
    trusted_issuer::parse_subjects(mappings)
}

/// `{"subject": pattern, "client_id": id}`, nothing else.
fn subject_mapping(value: Value) -> Result<SubjectMapping, Invalid> {
    let mut map = object(value)?;
    if let Some(unknown) = map.keys().find(|key| !["subject", "client_id"].contains(&key.as_str())) {
        return Err(Invalid::new("unknown_property", "is not a known property").at(format!(".{unknown}")));
    }
    let mut take = |field: &str| {
        map.remove(field)
            .ok_or_else(|| Invalid::new("required", "is a required field"))
            .and_then(string)
            .map_err(|e| e.at(format!(".{field}")))
    };
    let subject = take("subject").and_then(|s| SubjectPattern::parse(s).map_err(|e| e.at(".subject")))?;
    let client_id = take("client_id").and_then(|id| ClientId::parse(&id).map_err(|e| e.at(".client_id")))?;
    Ok(SubjectMapping { subject, client_id })
}

/// The store's answer to a write, in the API's words.
fn write_error(auth_server_id: Uuid, name: String, issuer: String) -> impl FnOnce(&store::Error) -> Option<ApiError> {
    move |error| match error {
        store::Error::Conflict { constraint } if constraint == NAME_KEY => {
            Some(ApiError::conflict(format!("A trusted issuer named [{name}] already exists in this auth server")))
        }
        store::Error::Conflict { constraint } if constraint == ISSUER_KEY => Some(ApiError::conflict(format!(
            "A trusted issuer with issuer [{issuer}] already exists in this auth server"
        ))),
        other => parent_gone(auth_server_id)(other),
    }
}

fn not_found(id: Uuid) -> String {
    format!("Trusted issuer [{id}]")
}

async fn create(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
    json: ApiJson,
) -> Result<(StatusCode, Json<TrustedIssuerView>), ApiError> {
    let auth_server_id = ids.auth_server()?;
    let server = store::auth_servers::get(&state.store, auth_server_id)
        .await
        .or_not_found(|| format!("Auth server [{auth_server_id}]"))?;
    let input = read_input(json, true)?;

    let now = state.now();
    let issuer = TrustedIssuer {
        id: Uuid::new_v4(),
        auth_server_id,
        name: present(input.name)?,
        issuer: present(input.issuer)?,
        keys: present(input.keys)?,
        algorithms: input.algorithms.unwrap_or_else(|| DEFAULT_ALGORITHMS.to_vec()),
        // RFC 7523 §3 item 3: the auth server identifies itself by its issuer URL.
        audience: input.audience.unwrap_or_else(|| state.urls.issuer(&server.issuer_slug)),
        max_token_age_secs: input.max_token_age_secs.unwrap_or(DEFAULT_TOKEN_AGE_SECS),
        subjects: present(input.subjects)?,
        claim_conditions: input.claim_conditions.unwrap_or_default(),
        copy_claims: input.copy_claims.unwrap_or_default(),
        enabled: input.enabled.unwrap_or(true),
        created_at: now,
        updated_at: now,
    };
    store::trusted_issuers::insert(&state.store, &issuer, &origin).await.on_store_error(write_error(
        auth_server_id,
        issuer.name.as_str().to_owned(),
        issuer.issuer.clone(),
    ))?;
    Ok((StatusCode::CREATED, Json(view(issuer))))
}

async fn list(
    State(state): State<AppState>,
    ids: PathIds,
    query: QueryPairs,
) -> Result<Json<Page<TrustedIssuerView>>, ApiError> {
    let auth_server_id = ids.auth_server()?;
    let params = list_params(&query, &store::trusted_issuers::LIST)?;
    require_auth_server(&state, auth_server_id).await?;
    let page = store::trusted_issuers::list(&state.store, auth_server_id, &params).await?;
    Ok(Json(Page::new(page, &params, view)))
}

async fn get(State(state): State<AppState>, ids: PathIds) -> Result<Json<TrustedIssuerView>, ApiError> {
    let (auth_server_id, id) = (ids.auth_server()?, ids.trusted_issuer()?);
    require_auth_server(&state, auth_server_id).await?;
    let issuer = store::trusted_issuers::get(&state.store, auth_server_id, id).await.or_not_found(|| not_found(id))?;
    Ok(Json(view(issuer)))
}

async fn update(
    State(state): State<AppState>,
    origin: Origin,
    ids: PathIds,
    json: ApiJson,
) -> Result<Json<TrustedIssuerView>, ApiError> {
    let (auth_server_id, id) = (ids.auth_server()?, ids.trusted_issuer()?);
    require_auth_server(&state, auth_server_id).await?;
    let input = read_input(json, false)?;

    let new_name = input.name.as_ref().map(|n| n.as_str().to_owned()).unwrap_or_default();
    let new_issuer = input.issuer.clone().unwrap_or_default();
    let issuer = store::trusted_issuers::modify(&state.store, auth_server_id, id, &origin, |mut issuer| {
        issuer.name = input.name.unwrap_or(issuer.name);
        issuer.issuer = input.issuer.unwrap_or(issuer.issuer);
        issuer.keys = input.keys.unwrap_or(issuer.keys);
        issuer.algorithms = input.algorithms.unwrap_or(issuer.algorithms);
        issuer.audience = input.audience.unwrap_or(issuer.audience);
        issuer.max_token_age_secs = input.max_token_age_secs.unwrap_or(issuer.max_token_age_secs);
        issuer.subjects = input.subjects.unwrap_or(issuer.subjects);
        issuer.claim_conditions = input.claim_conditions.unwrap_or(issuer.claim_conditions);
        issuer.copy_claims = input.copy_claims.unwrap_or(issuer.copy_claims);
        issuer.enabled = input.enabled.unwrap_or(issuer.enabled);
        issuer.updated_at = state.now();
        Ok::<_, store::Error>(issuer)
    })
    .await
    .on_store_error(|e| match e {
        store::Error::NotFound => Some(ApiError::not_found(format!("{} not found", not_found(id)))),
        other => write_error(auth_server_id, new_name, new_issuer)(other),
    })?;
    Ok(Json(view(issuer)))
}

async fn delete(State(state): State<AppState>, origin: Origin, ids: PathIds) -> Result<StatusCode, ApiError> {
    let (auth_server_id, id) = (ids.auth_server()?, ids.trusted_issuer()?);
    require_auth_server(&state, auth_server_id).await?;
    store::trusted_issuers::delete(&state.store, auth_server_id, id, &origin).await.or_not_found(|| not_found(id))?;
    Ok(StatusCode::NO_CONTENT)
}
