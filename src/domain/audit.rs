//! The audit log's events: who changed what, when, from where, and which fields changed from
//! what to what. Secret-bearing fields are recorded only as changed, never with a value.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::admin::{Actor, Origin};
use super::exchange_policy::ExchangePolicy;
use super::registration::{InitialAccessToken, RegistrationMetadata, RegistrationPolicy};
use super::secret::SecretInfo;
use super::trusted_issuer::{IssuerKeys, TrustedIssuer};
use super::{AuthServer, Claim, Client, ClientId, Scope};

/// One audited action.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    pub id: Uuid,
    #[serde(serialize_with = "rfc3339_micros")]
    pub occurred_at: DateTime<Utc>,
    pub actor: Actor,
    /// `<resource>.<verb>`, e.g. `client_secret.disabled`.
    pub action: String,
    pub resource_type: String,
    pub resource_id: String,
    pub auth_server_id: Option<Uuid>,
    pub request_id: String,
    /// The caller's address (behind trusted proxies, the client's).
    pub source: String,
    pub changes: Vec<FieldChange>,
}

/// RFC 3339 with microseconds, as every /v1 timestamp.
fn rfc3339_micros<S: Serializer>(time: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&time.to_rfc3339_opts(SecondsFormat::Micros, true))
}

/// What an event is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resource {
    pub kind: &'static str,
    pub id: String,
    pub auth_server_id: Option<Uuid>,
}

impl Resource {
    pub fn new(kind: &'static str, id: impl ToString, auth_server_id: Option<Uuid>) -> Resource {
        Resource { kind, id: id.to_string(), auth_server_id }
    }

    pub fn auth_server(id: Uuid) -> Resource {
        Resource::new("auth_server", id, Some(id))
    }

    pub fn scope(auth_server_id: Uuid, id: Uuid) -> Resource {
        Resource::new("scope", id, Some(auth_server_id))
    }

    pub fn claim(auth_server_id: Uuid, id: Uuid) -> Resource {
        Resource::new("claim", id, Some(auth_server_id))
    }

    pub fn trusted_issuer(auth_server_id: Uuid, id: Uuid) -> Resource {
        Resource::new("trusted_issuer", id, Some(auth_server_id))
    }

    /// A resource of an auth server (RFC 8707): a protected resource, an API.
    pub fn protected_resource(auth_server_id: Uuid, id: Uuid) -> Resource {
        Resource::new("resource", id, Some(auth_server_id))
    }

    /// A client's token exchange policy: one per client, named by it.
    pub fn token_exchange_policy(auth_server_id: Uuid, client_id: &ClientId) -> Resource {
        Resource::new("token_exchange_policy", client_id, Some(auth_server_id))
    }

    pub fn client(auth_server_id: Uuid, id: &ClientId) -> Resource {
        Resource::new("client", id, Some(auth_server_id))
    }

    pub fn client_secret(auth_server_id: Uuid, id: Uuid) -> Resource {
        Resource::new("client_secret", id, Some(auth_server_id))
    }

    /// One issued access token, by its `jti`.
    pub fn token(auth_server_id: Uuid, id: Uuid) -> Resource {
        Resource::new("token", id, Some(auth_server_id))
    }

    /// Every token of a client: the resource is the client.
    pub fn tokens_of(auth_server_id: Uuid, client_id: &ClientId) -> Resource {
        Resource::new("tokens", client_id, Some(auth_server_id))
    }

    pub fn signing_key(auth_server_id: Uuid, kid: &str) -> Resource {
        Resource::new("signing_key", kid, Some(auth_server_id))
    }

    /// A login request, by the id of its sealed challenge.
    pub fn login_request(auth_server_id: Uuid, id: Uuid) -> Resource {
        Resource::new("login_request", id, Some(auth_server_id))
    }

    pub fn initial_access_token(auth_server_id: Uuid, id: Uuid) -> Resource {
        Resource::new("initial_access_token", id, Some(auth_server_id))
    }

    /// An auth server's registration policy: one per auth server, named by it.
    pub fn registration_policy(auth_server_id: Uuid) -> Resource {
        Resource::new("registration_policy", auth_server_id, Some(auth_server_id))
    }

    /// A client's registration through RFC 7591/7592.
    pub fn registration(auth_server_id: Uuid, client_id: &ClientId) -> Resource {
        Resource::new("registration", client_id, Some(auth_server_id))
    }

    /// The registration access token of a registered client (RFC 7592 §1).
    pub fn registration_access_token(auth_server_id: Uuid, client_id: &ClientId) -> Resource {
        Resource::new("registration_access_token", client_id, Some(auth_server_id))
    }

    /// The /v1 management API, as the target of failed authentications.
    pub fn admin_authentication() -> Resource {
        Resource::new("admin_authentication", "", None)
    }

    /// The event of `origin` doing `verb` to this resource.
    pub fn event(&self, origin: &Origin, verb: &str, changes: Vec<FieldChange>) -> Event {
        Event {
            id: Uuid::new_v4(),
            occurred_at: origin.at,
            actor: origin.actor.clone(),
            action: format!("{}.{verb}", self.kind),
            resource_type: self.kind.to_owned(),
            resource_id: self.id.clone(),
            auth_server_id: self.auth_server_id,
            request_id: origin.request_id.clone(),
            source: origin.source.to_string(),
            changes,
        }
    }
}

/// One field of a change: its old and new values, or only the fact that a secret changed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FieldChange {
    Redacted { field: String, redacted: bool },
    Values { field: String, old: Value, new: Value },
}

impl FieldChange {
    /// A secret, token, key or hash that changed (was set, replaced or removed).
    pub fn redacted(field: &str) -> FieldChange {
        FieldChange::Redacted { field: field.to_owned(), redacted: true }
    }

    /// A change of a plain value; a secret-bearing field name is redacted all the same.
    pub fn values(field: &str, old: Value, new: Value) -> FieldChange {
        if is_secret_field(field) {
            FieldChange::redacted(field)
        } else {
            FieldChange::Values { field: field.to_owned(), old, new }
        }
    }

    pub fn field(&self) -> &str {
        match self {
            FieldChange::Redacted { field, .. } | FieldChange::Values { field, .. } => field,
        }
    }
}

/// Fields whose values must never reach the log: secrets, tokens, private keys and hashes.
pub fn is_secret_field(field: &str) -> bool {
    const WORDS: [&str; 6] = ["secret", "token", "private_key", "hash", "digest", "password"];
    let field = field.to_ascii_lowercase();
    // `token_digest`, `client_secret`, `registration_access_token`; not `access_token_duration`
    // nor `initial_access_token_id`, which name settings and ids.
    WORDS.iter().any(|word| field == *word || field.ends_with(&format!("_{word}")))
}

/// The audited fields of a resource as JSON values: what a diff compares. Timestamps that
/// every write bumps (`updated_at`) are left out, and secrets are never part of a snapshot.
pub trait Snapshot {
    fn snapshot(&self) -> Map<String, Value>;
}

/// The fields that differ between two snapshots; `None` stands for "did not exist", so a
/// creation lists every field with `old: null`.
pub fn diff(old: Option<&Map<String, Value>>, new: Option<&Map<String, Value>>) -> Vec<FieldChange> {
    let empty = Map::new();
    let (old, new) = (old.unwrap_or(&empty), new.unwrap_or(&empty));
    let mut fields: Vec<&String> = old.keys().chain(new.keys()).collect();
    fields.sort();
    fields.dedup();
    fields
        .into_iter()
        .filter_map(|field| {
            let (before, after) = (old.get(field).unwrap_or(&Value::Null), new.get(field).unwrap_or(&Value::Null));
            (before != after).then(|| FieldChange::values(field, before.clone(), after.clone()))
        })
        .collect()
}

/// Every field of a new resource.
pub fn created<T: Snapshot>(new: &T) -> Vec<FieldChange> {
    diff(None, Some(&new.snapshot()))
}

/// The fields an update changed.
pub fn updated<T: Snapshot>(old: &T, new: &T) -> Vec<FieldChange> {
    diff(Some(&old.snapshot()), Some(&new.snapshot()))
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn strings<T>(items: &[T], name: impl Fn(&T) -> &str) -> Value {
    Value::from(items.iter().map(|item| name(item).to_owned()).collect::<Vec<_>>())
}

fn time(at: Option<DateTime<Utc>>) -> Value {
    at.map_or(Value::Null, |at| Value::from(at.to_rfc3339_opts(SecondsFormat::Micros, true)))
}

impl Snapshot for AuthServer {
    fn snapshot(&self) -> Map<String, Value> {
        object(json!({
            "name": self.name.as_str(),
            "description": self.description,
            "audience": self.audience,
            "signing_algorithm": self.signing_algorithm.as_str(),
            "labels": self.labels,
            "trusted_origins": strings(&self.trusted_origins, |o| o.as_str()),
            "require_pkce": self.require_pkce,
            "rate_limit_per_second": self.rate_limit_per_second,
        }))
    }
}

impl Snapshot for Scope {
    fn snapshot(&self) -> Map<String, Value> {
        object(json!({
            "name": self.name.as_str(),
            "description": self.description,
            "default": self.is_default,
            "include_in_metadata": self.include_in_metadata,
            "enabled": self.enabled,
        }))
    }
}

impl Snapshot for Claim {
    fn snapshot(&self) -> Map<String, Value> {
        object(json!({
            "name": self.name.as_str(),
            "value": self.value,
            "include_in_token": self.include_in_token,
            "include_in_all_scopes": self.include_in_all_scopes,
            "include_in_scopes": self.include_in_scopes,
            "enabled": self.enabled,
        }))
    }
}

impl Snapshot for Client {
    fn snapshot(&self) -> Map<String, Value> {
        object(json!({
            "name": self.name.as_str(),
            "grant_types": strings(&self.grant_types, |g| g.as_str()),
            "response_types": strings(&self.response_types, |r| r.as_str()),
            "redirect_uris": strings(&self.redirect_uris, |u| u.as_str()),
            "login_uri": self.login_uri.as_ref().map(|u| u.as_str()),
            "access_token_duration": self.access_token_duration.seconds(),
            "id_token_duration": self.id_token_duration.seconds(),
            "allow_all_scopes": self.allow_all_scopes,
            "allow_scopes": self.allow_scopes,
            "labels": self.labels,
            "token_endpoint_auth_method": self.token_endpoint_auth_method.as_str(),
            // Public keys only (ClientJwks refuses private members).
            "jwks": self.jwks.as_ref().map(|jwks| jwks.as_value().clone()),
            "introspection_allowed": self.introspection_allowed,
            "login_requests_answered_by_client": self.login_requests_answered_by_client,
        }))
    }
}

impl Snapshot for TrustedIssuer {
    fn snapshot(&self) -> Map<String, Value> {
        // Public keys only (ClientJwks refuses private members), so the set itself is logged.
        let (jwks, jwks_uri) = match &self.keys {
            IssuerKeys::Jwks(jwks) => (jwks.as_value().clone(), Value::Null),
            IssuerKeys::JwksUri(uri) => (Value::Null, Value::from(uri.as_str())),
        };
        object(json!({
            "name": self.name.as_str(),
            "issuer": self.issuer,
            "jwks": jwks,
            "jwks_uri": jwks_uri,
            "allowed_algorithms": strings(&self.algorithms, |a| a.as_str()),
            "audience": self.audience,
            "max_token_age_secs": self.max_token_age_secs,
            "subjects": self.subjects,
            "claim_conditions": self.claim_conditions,
            "copy_claims": self.copy_claims,
            "enabled": self.enabled,
        }))
    }
}

impl Snapshot for super::resource::Resource {
    fn snapshot(&self) -> Map<String, Value> {
        object(json!({ "uri": self.uri, "description": self.description, "scopes": self.scopes }))
    }
}

impl Snapshot for ExchangePolicy {
    fn snapshot(&self) -> Map<String, Value> {
        object(json!({
            "accept_own_tokens": self.accept_own_tokens,
            "trusted_issuer_ids": self.trusted_issuer_ids,
            "audiences": self.audiences,
            "scopes": self.scopes,
            "allow_scope_widening": self.allow_scope_widening,
            "allow_impersonation": self.allow_impersonation,
            "allow_delegation": self.allow_delegation,
        }))
    }
}

impl Snapshot for SecretInfo {
    fn snapshot(&self) -> Map<String, Value> {
        object(json!({ "enabled": self.enabled }))
    }
}

impl Snapshot for RegistrationPolicy {
    fn snapshot(&self) -> Map<String, Value> {
        object(json!({
            "enabled": self.enabled,
            "open_registration": self.open_registration,
            "allowed_grant_types": strings(&self.allowed_grant_types, |g| g.as_str()),
            "default_grant_types": strings(&self.default_grant_types, |g| g.as_str()),
            "allowed_token_endpoint_auth_methods":
                strings(&self.allowed_token_endpoint_auth_methods, |m| m.as_str()),
            "allow_all_scopes": self.allow_all_scopes,
            "allowed_scopes": self.allowed_scopes,
            "default_scopes": self.default_scopes,
            "default_access_token_duration": self.default_access_token_duration.seconds(),
            "max_access_token_duration": self.max_access_token_duration.seconds(),
            "default_id_token_duration": self.default_id_token_duration.seconds(),
            "max_id_token_duration": self.max_id_token_duration.seconds(),
            "login_uri": self.login_uri.as_ref().map(|u| u.as_str()),
            "labels": self.labels,
            "max_registered_clients": self.max_registered_clients,
        }))
    }
}

/// What a registration keeps beyond its client (RFC 7591 §2 metadata).
impl Snapshot for RegistrationMetadata {
    fn snapshot(&self) -> Map<String, Value> {
        object(serde_json::to_value(self).unwrap_or_default())
    }
}

impl Snapshot for InitialAccessToken {
    fn snapshot(&self) -> Map<String, Value> {
        object(json!({
            "description": self.description,
            "max_uses": self.max_uses,
            "expires_at": time(self.expires_at),
        }))
    }
}

/// Failed /v1 authentications, thinned so a flood cannot fill the audit table, yet counted in
/// full. Within a window (see `tasks::record_held_back_failures`), a source's first failure is
/// recorded at once, up to `global_cap` sources; every other failure is counted, and the window's
/// end hands the counts over: one event per source (the `global_cap` busiest), and one event for
/// all the rest together. At most `2 × global_cap + 1` events per window and node, and no failure
/// goes uncounted. The state is in memory, per node, and bounded.
#[derive(Debug)]
pub struct FailureThrottle {
    global_cap: usize,
    /// Sources whose first failure of this window was recorded at once.
    recorded: HashSet<IpAddr>,
    /// Failures held back in this window, per source.
    held: HashMap<IpAddr, u64>,
    /// Failures of sources beyond [`FailureThrottle::MAX_SOURCES`], counted together.
    overflow: u64,
}

/// What a window held back: per-source counts, and the rest summed up.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct HeldBack {
    pub per_source: Vec<(IpAddr, u64)>,
    /// (sources, failures) not given an event of their own.
    pub others: Option<(u64, u64)>,
}

impl FailureThrottle {
    pub const WINDOW: Duration = Duration::from_secs(60);
    pub const DEFAULT_GLOBAL_CAP: usize = 100;
    /// Sources counted apart at most; beyond it, failures are counted together.
    const MAX_SOURCES: usize = 10_000;

    pub fn new(global_cap: usize) -> FailureThrottle {
        FailureThrottle { global_cap, recorded: HashSet::new(), held: HashMap::new(), overflow: 0 }
    }

    /// Counts one failure from `source`; true when it is to be recorded now, as one failure.
    pub fn failed(&mut self, source: IpAddr) -> bool {
        if !self.recorded.contains(&source) && self.recorded.len() < self.global_cap {
            self.recorded.insert(source);
            return true;
        }
        if self.held.len() < Self::MAX_SOURCES || self.held.contains_key(&source) {
            *self.held.entry(source).or_default() += 1;
        } else {
            self.overflow += 1;
        }
        false
    }

    /// Ends the window: what was held back, to be recorded, and a fresh window.
    pub fn end_window(&mut self) -> HeldBack {
        self.recorded.clear();
        let mut counts: Vec<(IpAddr, u64)> = self.held.drain().collect();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let rest = counts.split_off(counts.len().min(self.global_cap));
        let overflow = std::mem::take(&mut self.overflow);
        let others_failures = rest.iter().map(|(_, n)| n).sum::<u64>() + overflow;
        let others = (others_failures > 0).then(|| (rest.len() as u64 + u64::from(overflow > 0), others_failures));
        HeldBack { per_source: counts, others }
    }
}

impl Default for FailureThrottle {
    fn default() -> Self {
        FailureThrottle::new(Self::DEFAULT_GLOBAL_CAP)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::admin::Actor;

    fn scope() -> Scope {
        Scope {
            id: Uuid::nil(),
            auth_server_id: Uuid::nil(),
            name: crate::domain::ScopeName::trusted("read".to_owned()),
            description: "Read".to_owned(),
            is_default: false,
            include_in_metadata: false,
            enabled: true,
            created_at: DateTime::UNIX_EPOCH,
            updated_at: DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn an_update_lists_only_the_fields_that_changed_with_old_and_new_values() {
        let old = scope();
        let new =
            Scope { description: "Read it all".to_owned(), enabled: false, updated_at: Utc::now(), ..old.clone() };
        assert_eq!(
            updated(&old, &new),
            vec![
                FieldChange::values("description", json!("Read"), json!("Read it all")),
                FieldChange::values("enabled", json!(true), json!(false)),
            ]
        );
        assert!(updated(&old, &old).is_empty(), "an unchanged resource has no changes");
    }

    #[test]
    fn a_creation_lists_every_field_with_a_null_old_value() {
        let changes = created(&scope());
        let names: Vec<&str> = changes.iter().map(FieldChange::field).collect();
        assert_eq!(names, ["default", "description", "enabled", "include_in_metadata", "name"]);
        assert!(changes.iter().all(|c| matches!(c, FieldChange::Values { old: Value::Null, .. })));
    }

    #[test]
    fn secret_fields_are_recorded_only_as_changed() {
        let old = object(json!({ "client_secret": "old-value", "token_digest": "abc", "name": "a" }));
        let new = object(json!({ "client_secret": "new-value", "token_digest": "def", "name": "a" }));
        let changes = diff(Some(&old), Some(&new));
        assert_eq!(changes, vec![FieldChange::redacted("client_secret"), FieldChange::redacted("token_digest")]);
        let text = serde_json::to_string(&changes).unwrap_or_default();
        assert_eq!(text, r#"[{"field":"client_secret","redacted":true},{"field":"token_digest","redacted":true}]"#);
        for field in ["secret", "registration_access_token", "private_key", "secret_hash", "access_token_digest"] {
            assert!(is_secret_field(field), "{field}");
        }
        for field in ["name", "access_token_duration", "initial_access_token_id", "enabled", "jwks", "revoked_tokens"] {
            assert!(!is_secret_field(field), "{field}");
        }
    }

    #[test]
    fn field_changes_read_back_from_their_json() {
        let changes = vec![FieldChange::redacted("secret"), FieldChange::values("enabled", json!(true), json!(false))];
        let text = serde_json::to_string(&changes).unwrap_or_default();
        let read: Vec<FieldChange> = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(read, changes);
    }

    #[test]
    fn an_event_names_its_actor_action_and_resource() {
        let origin = Origin {
            actor: Actor::credential(Uuid::nil(), "bootstrap"),
            request_id: "r-1".to_owned(),
            source: IpAddr::from([127, 0, 0, 1]),
            at: DateTime::UNIX_EPOCH,
        };
        let event = Resource::new("scope", Uuid::nil(), Some(Uuid::nil())).event(&origin, "deleted", Vec::new());
        let value = serde_json::to_value(&event).unwrap_or_default();
        assert_eq!(value["action"], "scope.deleted");
        assert_eq!(value["resource_type"], "scope");
        assert_eq!(value["actor"]["type"], "admin_credential");
        assert_eq!(value["actor"]["name"], "bootstrap");
        assert_eq!(value["occurred_at"], "1970-01-01T00:00:00.000000Z");
        assert_eq!(value["source"], "127.0.0.1");
    }

    #[test]
    fn a_sources_first_failure_is_recorded_at_once_and_the_rest_counted_to_the_windows_end() {
        let mut throttle = FailureThrottle::new(100);
        let source = IpAddr::from([10, 0, 0, 1]);
        assert!(throttle.failed(source));
        for _ in 1..=9 {
            assert!(!throttle.failed(source));
        }
        assert!(throttle.failed(IpAddr::from([10, 0, 0, 2])), "another source has its own first failure");
        assert_eq!(throttle.end_window(), HeldBack { per_source: vec![(source, 9)], others: None });
        assert!(throttle.failed(source), "a new window records the first failure again");
        assert_eq!(throttle.end_window(), HeldBack::default());
    }

    #[test]
    fn failures_from_more_sources_than_the_cap_are_counted_together_never_dropped() {
        let mut throttle = FailureThrottle::new(3);
        let recorded = (0..50u8).filter(|n| throttle.failed(IpAddr::from([10, 0, 1, *n]))).count();
        assert_eq!(recorded, 3);
        let busy = IpAddr::from([10, 0, 1, 49]);
        assert!(!throttle.failed(busy));
        let held = throttle.end_window();
        assert_eq!(held.per_source.len(), 3, "the cap's busiest sources get their own events");
        assert_eq!(held.per_source[0], (busy, 2));
        let counted: u64 = held.per_source.iter().map(|(_, n)| n).sum::<u64>() + held.others.map_or(0, |(_, n)| n);
        assert_eq!(counted, 48, "the 47 held-back sources' 48 failures, all counted");
        assert_eq!(held.others.map(|(sources, _)| sources), Some(44));
    }
}
