//! Dynamic Client Registration: `POST $ISSUER/oauth/register` (RFC 7591 §3) and each
//! registered client's configuration endpoint, `$ISSUER/oauth/register/{clientId}` (RFC 7592 §2).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::domain::admin::{Actor, Origin};
use crate::domain::audit::Resource;
use crate::domain::registration::{
    REGISTERED_LABEL, REGISTRATION_ACCESS_TOKEN_PREFIX, Registration, RegistrationMetadata, RegistrationPolicy,
    generate_token,
};
use crate::domain::secret::{ClientSecret, NewSecret, SecretInfo, token_digest, token_matches};
use crate::domain::{Client, ClientId, Labels};
use crate::oauth::OAuthError;
use crate::oauth::bearer::{self, BearerError, Refusal};
use crate::oauth::registration::{self, ClientMetadata, Issued};
use crate::store::changes::Change;
use crate::store::registrations::{Registered, SecretChange};
use crate::store::{self};

use super::Context;

type Reply<T = Value> = Result<T, Refusal>;

fn refuse(error: OAuthError) -> Refusal {
    Refusal::OAuth(error)
}

/// Registration is an operator's choice per auth server; while it is off, every endpoint refuses.
fn policy<'a>(ctx: &Context<'a>) -> Result<&'a RegistrationPolicy, Refusal> {
    let policy = &ctx.entry.registration;
    if !policy.enabled {
        return Err(refuse(OAuthError::access_denied(
            "Dynamic client registration is not enabled for this auth server",
        )));
    }
    Ok(policy)
}

/// RFC 7591 §3.1: the body is a JSON object of client metadata.
fn metadata_body(content_type: &str, body: &[u8]) -> Result<Map<String, Value>, Refusal> {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return Err(refuse(OAuthError::invalid_client_metadata("Content-Type must be application/json")));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(refuse(OAuthError::invalid_client_metadata("The body must be a JSON object"))),
        Err(e) => Err(refuse(OAuthError::invalid_client_metadata(format!("The body is not valid JSON: {e}")))),
    }
}

/// RFC 7591 §3: the initial access token that authorises a registration, unless the operator
/// opened registration to anyone. A token that is sent must be valid even then.
async fn authorise(
    ctx: &Context<'_>,
    policy: &RegistrationPolicy,
    authorization: Option<&str>,
) -> Result<Option<uuid::Uuid>, Refusal> {
    let token = bearer::from_authorization(authorization)?;
    let Some(token) = token else {
        if policy.open_registration {
            return Ok(None);
        }
        return Err(
            BearerError::missing("An initial access token is required: send Authorization: Bearer <token>").into()
        );
    };
    let digest = token_digest(&token);
    let found = store::registrations::initial_token_by_digest(ctx.store, ctx.entry.server.id, &digest).await?;
    match found {
        Some(initial) if initial.usable(ctx.now) => Ok(Some(initial.id)),
        _ => Err(BearerError::invalid_token("The initial access token is invalid, expired or used up").into()),
    }
}

/// A request to a registration endpoint, as plain values.
pub struct RegistrationRequest<'a> {
    /// This issuer's registration endpoint; each client's configuration endpoint is below it.
    pub endpoint: &'a str,
    /// The `Authorization` header's value, if one was sent.
    pub authorization: Option<&'a str>,
    /// The client id of a configuration endpoint's path (RFC 7592).
    pub client_id: Option<&'a str>,
    pub content_type: &'a str,
    pub body: &'a [u8],
    /// The request id, for the audit event of a write.
    pub request_id: &'a str,
}

/// Who made a registration write, for its audit event.
fn origin(ctx: &Context<'_>, call: &RegistrationRequest<'_>, actor: Actor) -> Origin {
    Origin { actor, request_id: call.request_id.to_owned(), source: ctx.source, at: ctx.now }
}

/// A generated client secret and what is stored of it.
async fn new_secret(ctx: &Context<'_>, now: DateTime<Utc>) -> Result<(ClientSecret, NewSecret), Refusal> {
    let secret = ClientSecret::generate();
    let hash = ctx.cache.hasher().hash(&secret).await.map_err(|e| match e {
        crate::hashing::HashError::Busy(busy) => Refusal::from(busy),
        crate::hashing::HashError::Failed(e) => {
            tracing::error!(error = %e, "cannot hash a registered client's secret");
            refuse(OAuthError::server_error())
        }
    })?;
    let info = SecretInfo { id: uuid::Uuid::new_v4(), enabled: true, created_at: now, updated_at: now };
    Ok((secret, NewSecret { info, hash }))
}

/// RFC 7591 §3.2.1 / RFC 7592 §3: the client information response.
fn information(
    ctx: &Context<'_>,
    endpoint: &str,
    client: &Client,
    metadata: &RegistrationMetadata,
    client_secret: Option<&str>,
    registration_access_token: &str,
) -> Value {
    let uri = format!("{endpoint}/{}", client.id);
    let issued = Issued {
        client_secret,
        registration_access_token,
        registration_client_uri: &uri,
        issued_at: client.created_at,
    };
    let entry = ctx.entry;
    registration::client_information(client, metadata, &entry.scopes, entry.server.signing_algorithm, issued)
}

/// The operator's labels for registered clients, and the mark that they were registered.
fn registered_labels(extra: &Labels, current: &Labels) -> Labels {
    let mark = BTreeMap::from([(REGISTERED_LABEL.0.to_owned(), Some(REGISTERED_LABEL.1.to_owned()))]);
    let extra = extra.iter().map(|(k, v)| (k.clone(), Some(v.clone())));
    current.merged(extra.chain(mark).collect()).unwrap_or_else(|_| current.clone())
}

/// RFC 7591 §3.1–3.2: registers a client and answers with its credentials, once.
#[tracing::instrument(level = "info", skip_all, fields(auth_server = %ctx.entry.server.id))]
pub async fn register(ctx: &Context<'_>, call: &RegistrationRequest<'_>) -> Reply {
    let now = ctx.now;
    let policy = policy(ctx)?;
    let initial_access_token = authorise(ctx, policy, call.authorization).await?;
    let body = metadata_body(call.content_type, call.body)?;
    let algorithm = ctx.entry.server.signing_algorithm;
    let metadata = registration::read_metadata(&body, policy, &ctx.entry.scopes, algorithm, None).map_err(refuse)?;
    let server_id = ctx.entry.server.id;
    let id = ClientId::generate();
    let mut client = Client {
        id: id.clone(),
        auth_server_id: server_id,
        name: metadata.name(&id),
        grant_types: Vec::new(),
        response_types: Vec::new(),
        redirect_uris: Vec::new(),
        login_uri: policy.login_uri.clone(),
        access_token_duration: metadata.access_token_duration,
        id_token_duration: metadata.id_token_duration,
        allow_all_scopes: false,
        allow_scopes: Vec::new(),
        labels: registered_labels(&policy.labels, &Labels::default()),
        token_endpoint_auth_method: metadata.token_endpoint_auth_method,
        jwks: None,
        introspection_allowed: false,
        login_requests_answered_by_client: false,
        created_at: now,
        updated_at: now,
    };
    metadata.apply_to(&mut client);
    let secret = if client.token_endpoint_auth_method.uses_secret() { Some(new_secret(ctx, now).await?) } else { None };
    let access_token = generate_token(REGISTRATION_ACCESS_TOKEN_PREFIX);
    let registration = Registration {
        auth_server_id: server_id,
        client_id: id.clone(),
        access_token_digest: token_digest(&access_token),
        metadata: metadata.metadata.clone(),
        initial_access_token_id: initial_access_token,
        created_at: now,
        updated_at: now,
    };
    let stored_secret = secret.as_ref().map(|(_, stored)| stored);
    let max = policy.max_registered_clients;
    // The registrant is known only by the initial access token it used, if any.
    let actor = initial_access_token.map_or_else(Actor::anonymous, Actor::initial_access_token);
    let origin = origin(ctx, call, actor);
    let mut outcome =
        store::registrations::register(ctx.store, &client, stored_secret, &registration, max, now, &origin).await;
    if matches!(&outcome, Err(e) if is_name_conflict(e)) {
        // Two portals' apps may share a name; the client id keeps the second one unique.
        client.name = metadata.unique_name(&id);
        outcome =
            store::registrations::register(ctx.store, &client, stored_secret, &registration, max, now, &origin).await;
    }
    match outcome? {
        Registered::Done => {}
        Registered::Full => {
            return Err(refuse(OAuthError::access_denied(format!(
                "This auth server has reached its limit of {max} registered clients"
            ))));
        }
        Registered::TokenSpent => {
            return Err(BearerError::invalid_token("The initial access token is invalid, expired or used up").into());
        }
    }
    ctx.cache.invalidate(&Change::Client(server_id, id.as_str().to_owned()));
    tracing::info!(auth_server = %server_id, client_id = %id, "client registered");
    let client_secret = secret.as_ref().map(|(secret, _)| secret.expose());
    Ok(information(ctx, call.endpoint, &client, &registration.metadata, client_secret, &access_token))
}

fn is_name_conflict(error: &store::Error) -> bool {
    matches!(error, store::Error::Conflict { constraint } if constraint == "clients_auth_server_id_name_key")
}

/// RFC 7592 §2: the registration access token opens only its own client's configuration.
/// Any failure is the same 401, so the endpoint does not reveal which clients exist.
async fn authenticate(ctx: &Context<'_>, call: &RegistrationRequest<'_>) -> Result<(Registration, String), Refusal> {
    let invalid = || Refusal::from(BearerError::invalid_token("The registration access token is invalid"));
    let token = bearer::from_authorization(call.authorization)?
        .ok_or_else(|| Refusal::from(BearerError::missing("A registration access token is required")))?;
    let id = call.client_id.and_then(|raw| ClientId::parse(raw).ok()).ok_or_else(invalid)?;
    let registration =
        store::registrations::registration(ctx.store, ctx.entry.server.id, &id).await?.ok_or_else(invalid)?;
    if !token_matches(&token, &registration.access_token_digest) {
        return Err(invalid());
    }
    Ok((registration, token))
}

/// RFC 7592 §2.1: a client that no longer exists is answered like an invalid token.
fn client_gone_or_failed(error: store::Error) -> Refusal {
    match error {
        store::Error::NotFound => BearerError::invalid_token("The registration access token is invalid").into(),
        other => other.into(),
    }
}

async fn current_client(ctx: &Context<'_>, registration: &Registration) -> Result<Client, Refusal> {
    store::clients::get(ctx.store, registration.auth_server_id, &registration.client_id)
        .await
        .map_err(client_gone_or_failed)
}

/// RFC 7592 §2.1: the client's current registration.
#[tracing::instrument(level = "info", skip_all, fields(auth_server = %ctx.entry.server.id))]
pub async fn read(ctx: &Context<'_>, call: &RegistrationRequest<'_>) -> Reply {
    policy(ctx)?;
    let (registration, token) = authenticate(ctx, call).await?;
    let client = current_client(ctx, &registration).await?;
    Ok(information(ctx, call.endpoint, &client, &registration.metadata, None, &token))
}

/// RFC 7592 §2.2: replaces the client's metadata. Omitted fields return to the policy's
/// defaults. The secret stays unless the client asks for a new one with Tessera's
/// `rotate_client_secret: true`; a `client_secret` in the body must be the current one.
#[tracing::instrument(level = "info", skip_all, fields(auth_server = %ctx.entry.server.id))]
pub async fn update(ctx: &Context<'_>, call: &RegistrationRequest<'_>) -> Reply {
    let now = ctx.now;
    let policy = policy(ctx)?;
    let (registration, token) = authenticate(ctx, call).await?;
    let body = metadata_body(call.content_type, call.body)?;
    let id = registration.client_id.clone();
    if body.get("client_id").and_then(Value::as_str) != Some(id.as_str()) {
        return Err(refuse(OAuthError::invalid_client_metadata(
            "client_id is required and must be the client's identifier (RFC 7592 §2.2)",
        )));
    }
    let scopes = &ctx.entry.scopes;
    let algorithm = ctx.entry.server.signing_algorithm;
    // Checked here for a prompt answer, and again against the locked client when written.
    let current = current_client(ctx, &registration).await?;
    let metadata = registration::read_metadata(&body, policy, scopes, algorithm, Some(&current)).map_err(refuse)?;
    let secret = secret_change(ctx, &current, &metadata, &body).await?;
    let change = match &secret {
        Rotation::Keep => SecretChange::Keep,
        Rotation::Remove => SecretChange::Remove,
        Rotation::New(_, stored) => SecretChange::Replace(stored),
    };
    // An unchanged client_name keeps the client's name, even one the operator changed.
    let renamed = metadata.metadata.client_name != registration.metadata.client_name;
    let server_id = ctx.entry.server.id;
    let origin = origin(ctx, call, Actor::client(id.as_str()));
    let update = Update { body: &body, policy, scopes, algorithm, metadata: &metadata, now, origin: &origin };
    let write = |name| write_update(ctx, &id, &update, change, name);
    let mut outcome = write(renamed.then(|| metadata.name(&id))).await;
    if renamed && matches!(&outcome, Err(UpdateError::Store(e)) if is_name_conflict(e)) {
        outcome = write(Some(metadata.unique_name(&id))).await;
    }
    let client = outcome.map_err(|e| match e {
        UpdateError::Store(e) => client_gone_or_failed(e),
        UpdateError::Refused(e) => refuse(e),
    })?;
    ctx.cache.invalidate(&Change::Client(server_id, id.as_str().to_owned()));
    let client_secret = match &secret {
        Rotation::New(secret, _) => Some(secret.expose()),
        _ => None,
    };
    Ok(information(ctx, call.endpoint, &client, &metadata.metadata, client_secret, &token))
}

/// An update request and what it was read as.
struct Update<'a> {
    body: &'a Map<String, Value>,
    policy: &'a RegistrationPolicy,
    scopes: &'a [crate::domain::Scope],
    algorithm: crate::domain::SigningAlgorithm,
    metadata: &'a ClientMetadata,
    now: DateTime<Utc>,
    origin: &'a Origin,
}

/// Why an update was not written.
enum UpdateError {
    Store(store::Error),
    /// The client changed while the request ran (an admin narrowed it, say), and the request
    /// no longer passes against it.
    Refused(OAuthError),
}

impl From<store::Error> for UpdateError {
    fn from(error: store::Error) -> Self {
        UpdateError::Store(error)
    }
}

/// Writes the update, checking it once more against the client as locked, so "keep what
/// you already hold" never restores what an admin removed meanwhile.
async fn write_update(
    ctx: &Context<'_>,
    id: &ClientId,
    update: &Update<'_>,
    secret: SecretChange<'_>,
    name: Option<crate::domain::Name>,
) -> Result<Client, UpdateError> {
    let now = update.now;
    let server_id = ctx.entry.server.id;
    let metadata = &update.metadata.metadata;
    store::registrations::update(ctx.store, server_id, id, metadata, secret, update.origin, |mut client| {
        let metadata =
            registration::read_metadata(update.body, update.policy, update.scopes, update.algorithm, Some(&client))
                .map_err(UpdateError::Refused)?;
        metadata.apply_to(&mut client);
        client.name = name.unwrap_or(client.name);
        client.labels = registered_labels(&Labels::default(), &client.labels);
        client.updated_at = now;
        Ok(client)
    })
    .await
}

/// What an update does to the client's secret.
enum Rotation {
    Keep,
    Remove,
    New(ClientSecret, NewSecret),
}

/// RFC 7592 §2.2: a client may present its current secret but never choose one. A new
/// secret comes when the client asks (`rotate_client_secret`) or stops being public.
async fn secret_change(
    ctx: &Context<'_>,
    current: &Client,
    metadata: &ClientMetadata,
    body: &Map<String, Value>,
) -> Result<Rotation, Refusal> {
    let rotate = match body.get("rotate_client_secret") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(rotate)) => *rotate,
        Some(_) => return Err(refuse(OAuthError::invalid_client_metadata("rotate_client_secret must be a boolean"))),
    };
    if let Some(presented) = body.get("client_secret").filter(|v| !v.is_null()) {
        let mismatch =
            || refuse(OAuthError::invalid_client_metadata("client_secret must be the client's current secret"));
        let presented = presented.as_str().ok_or_else(mismatch)?;
        let entry = ctx.cache.client(ctx.entry.server.id, current.id.as_str()).await?.ok_or_else(mismatch)?;
        if !entry.has_secrets() || !ctx.cache.verify_secret(&entry, presented).await? {
            return Err(mismatch());
        }
    }
    // Public and private_key_jwt clients have no secret.
    if !metadata.token_endpoint_auth_method.uses_secret() {
        return Ok(Rotation::Remove);
    }
    if rotate || !current.token_endpoint_auth_method.uses_secret() {
        let (secret, stored) = new_secret(ctx, ctx.now).await?;
        return Ok(Rotation::New(secret, stored));
    }
    Ok(Rotation::Keep)
}

/// RFC 7592 §2.3: deletes the client; its tokens are revoked and its credentials stop working.
#[tracing::instrument(level = "info", skip_all, fields(auth_server = %ctx.entry.server.id))]
pub async fn delete(ctx: &Context<'_>, call: &RegistrationRequest<'_>) -> Reply<()> {
    policy(ctx)?;
    let (registration, _) = authenticate(ctx, call).await?;
    let server_id = ctx.entry.server.id;
    let actor = Actor::client(registration.client_id.as_str());
    let event = Resource::registration(server_id, &registration.client_id).event(
        &origin(ctx, call, actor),
        "deleted",
        Vec::new(),
    );
    let revoked = store::clients::delete(ctx.store, server_id, &registration.client_id, event)
        .await
        .map_err(client_gone_or_failed)?;
    ctx.cache.add_revocations(revoked);
    ctx.cache.invalidate(&Change::Client(server_id, registration.client_id.as_str().to_owned()));
    tracing::info!(auth_server = %server_id, client_id = %registration.client_id, "registered client deleted itself");
    Ok(())
}
