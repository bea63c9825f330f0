//! /v1/auth-servers/{authServerId}/login-requests/{loginChallenge}: how the client's login
//! page, having signed the user in its own way, tells Tessera who it was (accept) or that no
//! one was (reject). Modelled on Ory Hydra's login flow; the challenge itself carries the
//! request, sealed, so nothing is stored until it is answered.

use axum::extract::State;
use axum::{Extension, Json};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::domain::admin::Origin;
use crate::domain::audit::{Event, FieldChange, Resource};
use crate::domain::{AuthServer, Invalid, check_length};
use crate::http::error::ResultExt;
use crate::http::extract::{ApiJson, Caller, PathIds};
use crate::http::routes::{AUTHORIZE_SUFFIX, LOGIN_REQUEST, LOGIN_REQUEST_ACCEPT, LOGIN_REQUEST_REJECT};
use crate::http::validate::{Body, integer, object, present, string, strings};
use crate::http::{ApiError, AppState, Routes};
use crate::oauth::authorize::REJECTION_CODES;
use crate::oauth::flow::{self, Challenge, FlowError, Kind, Login, Opened, Outcome, Verifier};
use crate::store;

use super::{auth_server_not_found, timestamp};

pub fn routes() -> Routes<AppState> {
    Routes::default().get(LOGIN_REQUEST, get).post(LOGIN_REQUEST_ACCEPT, accept).post(LOGIN_REQUEST_REJECT, reject)
}

/// What the login page needs to know about the request it is signing a user in for.
#[derive(Serialize)]
struct LoginRequestView {
    challenge: String,
    client_id: String,
    client_name: String,
    redirect_uri: String,
    response_type: String,
    scope: Vec<String>,
    /// What the client asked of the sign-in (OpenID Connect Core §3.1.2.1); the login page
    /// honours them: `prompt=login` means sign the user in again, `max_age` bounds how long
    /// ago the user may have signed in.
    #[serde(skip_serializing_if = "Option::is_none")]
    prompt: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_age: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    acr_values: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    login_hint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ui_locales: Option<String>,
    expires_at: String,
}

#[derive(Serialize)]
struct Redirect {
    redirect_to: String,
}

/// The admin may answer any login request; a login page holding its client's credentials
/// (authenticated and allowed by the route's middleware) only that client's.
fn check_caller(caller: &Caller, client_id: &str) -> Result<(), ApiError> {
    match caller {
        Caller::LoginPage(caller) if caller != client_id => {
            Err(ApiError::forbidden("A client may answer only its own login requests"))
        }
        _ => Ok(()),
    }
}

/// The auth server and the opened challenge, once the caller may see it.
async fn open(state: &AppState, caller: &Caller, ids: &PathIds) -> Result<(AuthServer, Opened<Challenge>), ApiError> {
    let auth_server_id = ids.auth_server()?;
    let server = store::auth_servers::get(&state.store, auth_server_id)
        .await
        .on_store_error(|e| matches!(e, store::Error::NotFound).then(|| auth_server_not_found(auth_server_id)))?;
    let challenge = ids.login_challenge()?;
    let opened = state
        .flows
        .sealer()
        .await?
        .open::<Challenge>(Kind::Challenge, auth_server_id, challenge, state.now())
        .map_err(|e| match e {
            FlowError::Expired(_) => ApiError::gone("The login request has expired; the user must start again"),
            _ => ApiError::not_found("Login request not found"),
        })?;
    check_caller(caller, &opened.payload.request.client_id)?;
    Ok((server, opened))
}

async fn get(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ids: PathIds,
) -> Result<Json<LoginRequestView>, ApiError> {
    let (server, opened) = open(&state, &caller, &ids).await?;
    let request = opened.payload.request;
    let client = state
        .cache
        .client(server.id, &request.client_id)
        .await?
        .ok_or_else(|| ApiError::not_found("The login request's client no longer exists"))?;
    Ok(Json(LoginRequestView {
        challenge: ids.login_challenge()?.to_owned(),
        client_id: request.client_id,
        client_name: client.client.name.as_str().to_owned(),
        redirect_uri: request.redirect_uri,
        response_type: request.response_type,
        scope: request.scope,
        prompt: request.prompt,
        max_age: request.max_age,
        acr_values: request.acr_values,
        login_hint: request.login_hint,
        ui_locales: request.ui_locales,
        expires_at: timestamp(opened.expires_at),
    }))
}

/// An end user's subject identifier (OpenID Connect Core §2: at most 255 ASCII characters).
fn subject(value: Value) -> Result<String, Invalid> {
    let subject = string(value)?;
    check_length(&subject, 1, 255)?;
    if !subject.is_ascii() || subject.chars().any(|c| c.is_ascii_control()) {
        return Err(Invalid::new("invalid", "must be printable ASCII"));
    }
    Ok(subject)
}

/// Claims about the user travel inside authorization codes, which travel in URLs: kept small
/// enough that a code fits the 8 KiB request lines of common proxies.
const MAX_CLAIMS_BYTES: usize = 4 * 1024;

/// Claims about the user; names Tessera sets itself are refused.
fn user_claims(value: Value) -> Result<Map<String, Value>, Invalid> {
    let claims = object(value)?;
    if let Some(name) = claims.keys().find(|name| crate::claims::is_registered(name)) {
        return Err(Invalid::new("invalid", format!("{name} is a registered claim that Tessera sets itself"))
            .at(format!(".{name}")));
    }
    if Value::Object(claims.clone()).to_string().len() > MAX_CLAIMS_BYTES {
        let mut too_long = Invalid::max_length(MAX_CLAIMS_BYTES);
        too_long.reason = format!("must be at most {MAX_CLAIMS_BYTES} bytes as JSON");
        return Err(too_long);
    }
    Ok(claims)
}

/// OpenID Connect Core §2 `acr`: one short identifier.
fn acr(value: Value) -> Result<String, Invalid> {
    let text = string(value)?;
    check_length(&text, 1, 255)?;
    Ok(text)
}

/// OpenID Connect Core §2 `amr` (values as RFC 8176 registers them, e.g. `pwd`, `otp`):
/// a few short identifiers, since they travel in codes and tokens.
const MAX_AMR_VALUES: usize = 10;

fn amr(value: Value) -> Result<Vec<String>, Invalid> {
    let values = strings(value)?;
    if values.len() > MAX_AMR_VALUES {
        return Err(Invalid::max_items(MAX_AMR_VALUES));
    }
    for (index, method) in values.iter().enumerate() {
        check_length(method, 1, 64).map_err(|e| e.at(format!("[{index}]")))?;
    }
    Ok(values)
}

fn short_string(value: Value) -> Result<String, Invalid> {
    let text = string(value)?;
    check_length(&text, 1, 1024)?;
    Ok(text)
}

/// Seals the login page's answer and marks the challenge answered (once only).
/// The audit event of an answer: who signed in (or why not) to which client; the user's
/// claims stay out of the log.
fn answer_event(server: &AuthServer, opened: &Opened<Challenge>, outcome: &Outcome, origin: &Origin) -> Event {
    let set = |field: &str, value: Value| FieldChange::values(field, Value::Null, value);
    let mut fields = vec![set("client_id", opened.payload.request.client_id.clone().into())];
    let verb = match outcome {
        Outcome::Accepted(login) => {
            fields.push(set("subject", login.subject.clone().into()));
            "accepted"
        }
        Outcome::Rejected { error, .. } => {
            fields.push(set("error", error.clone().into()));
            "rejected"
        }
    };
    Resource::login_request(server.id, opened.id).event(origin, verb, fields)
}

async fn answer(
    state: &AppState,
    server: &AuthServer,
    opened: Opened<Challenge>,
    outcome: Outcome,
    origin: &Origin,
) -> Result<Json<Redirect>, ApiError> {
    let now = origin.at;
    let event = answer_event(server, &opened, &outcome, origin);
    let kind = Kind::Challenge.as_str();
    let first =
        store::grants::mark_used_audited(&state.store, opened.id, server.id, kind, opened.expires_at, event).await?;
    if !first {
        return Err(ApiError::conflict("The login request has already been accepted or rejected"));
    }
    let verifier = Verifier { request: opened.payload.request, outcome };
    let sealed = state
        .flows
        .sealer()
        .await?
        .seal(Kind::Verifier, server.id, &verifier, flow::VERIFIER_SECONDS, now)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("login_verifier", &sealed);
    let issuer = state.urls.issuer(&server.issuer_slug);
    Ok(Json(Redirect { redirect_to: format!("{issuer}{AUTHORIZE_SUFFIX}?{}", query.finish()) }))
}

async fn accept(
    State(state): State<AppState>,
    origin: Origin,
    Extension(caller): Extension<Caller>,
    ids: PathIds,
    json: ApiJson,
) -> Result<Json<Redirect>, ApiError> {
    let (server, opened) = open(&state, &caller, &ids).await?;
    let mut body = Body::new(json, &["subject", "claims", "acr", "amr", "auth_time"]);
    let subject = body.required("subject", subject);
    let claims = body.optional("claims", user_claims);
    let acr = body.optional("acr", acr);
    let amr = body.optional("amr", amr);
    let now = state.now();
    // When the user really signed in, for a login page that reuses its own session: Unix
    // seconds, not in the future and not before 1970, so `now - auth_time` (max_age) cannot overflow.
    let auth_time = body.optional("auth_time", |v| {
        let seconds = integer(v)?;
        if seconds < 0 {
            return Err(Invalid::min(0));
        }
        if seconds > now.timestamp() {
            return Err(Invalid::max(now.timestamp()));
        }
        Ok(seconds)
    });
    body.finish()?;
    let login = Login {
        subject: present(subject)?,
        claims: claims.unwrap_or_default(),
        auth_time: auth_time.unwrap_or_else(|| now.timestamp()),
        acr,
        amr,
    };
    answer(&state, &server, opened, Outcome::Accepted(login), &origin).await
}

async fn reject(
    State(state): State<AppState>,
    origin: Origin,
    Extension(caller): Extension<Caller>,
    ids: PathIds,
    json: ApiJson,
) -> Result<Json<Redirect>, ApiError> {
    let (server, opened) = open(&state, &caller, &ids).await?;
    let mut body = Body::new(json, &["error", "error_description"]);
    let error = body.optional("error", |v| {
        let code = string(v)?;
        REJECTION_CODES.contains(&code.as_str()).then_some(code).ok_or_else(|| Invalid::one_of(&REJECTION_CODES))
    });
    let description = body.optional("error_description", short_string);
    body.finish()?;
    let outcome = Outcome::Rejected { error: error.unwrap_or_else(|| "access_denied".to_owned()), description };
    answer(&state, &server, opened, outcome, &origin).await
}
