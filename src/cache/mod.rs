//! What the issuer endpoints read on every request, held in memory: each auth server's
//! configuration (scopes, claims, signing keys) by issuer slug, each client with its secret
//! hashes, and the revoked token ids. Writes invalidate locally at once and on other nodes
//! through the change feed (`sync`), so no request reloads configuration a cache can answer.

pub mod api_key_digests;
pub mod flow_keys;
pub mod issuer_keys;
mod locks;
pub mod lookups;
pub mod sync;
pub mod verified_tokens;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tracing::Instrument;
use uuid::Uuid;

use crate::claims::CompiledClaim;
use crate::domain::registration::RegistrationPolicy;
use crate::domain::secret::ClientSecret;
use crate::domain::{AuthServer, Client, ClientId, IssuerSlug, Scope};
use crate::hashing::{Busy, Hasher};
use crate::keys::{self, Sealer, Signer, Verifier};
use crate::store::signing_keys::KeyState;
use crate::store::{self, Store, changes::Change};

/// Bounds memory: past this many cached clients, the client cache starts over. Only clients
/// that exist count: misses live in their own map, so random ids cannot push real clients out.
const MAX_CACHED_CLIENTS: usize = 200_000;

/// Bounds the remembered misses (client ids and issuer slugs that do not exist): past this
/// many, expired ones are dropped, and if none has, the misses start over.
const MAX_CACHED_MISSES: usize = 100_000;

/// How long a wrong secret is remembered as wrong for a client id, so repeating it costs no
/// Argon2. Any change to the client's secrets forgets it at once (here, and through the change
/// feed on other nodes).
pub const FAILED_SECRET_TTL: Duration = Duration::from_secs(30);

/// Bounds the remembered wrong secrets; past it, expired ones go, and if none has, all.
const MAX_FAILED_SECRETS: usize = 10_000;

/// A backstop behind the change feed: no entry is trusted for longer than this, whatever
/// invalidation a node may have missed.
pub const MAX_AGE: Duration = Duration::from_secs(300);

/// A cached value and when it was loaded.
struct Cached<T> {
    at: Instant,
    value: T,
}

impl<T: Clone> Cached<T> {
    fn fresh(&self) -> Option<T> {
        (self.at.elapsed() < MAX_AGE).then(|| self.value.clone())
    }
}

/// (auth server, client id).
type ClientKey = (Uuid, String);

/// A keyed digest (HMAC-SHA256 under the node's key) of a presented secret.
type Digest = [u8; 32];

/// The presented secrets that matched a client, valid while its enabled secret hashes are the
/// ones they matched (the fingerprint): reloading the client after a write that did not touch
/// its secrets keeps them.
struct Verified {
    fingerprint: Digest,
    digests: std::collections::HashSet<Digest>,
}

/// An auth server as the issuer endpoints need it.
pub struct ServerEntry {
    pub server: AuthServer,
    pub scopes: Vec<Scope>,
    /// Claims with their templates parsed, so minting a token only renders them.
    pub claims: Vec<CompiledClaim>,
    /// The key that signs new tokens: the current key (not the next one, which is only
    /// published so far).
    pub signer: Option<Arc<Signer>>,
    /// Every published key by kid, for introspection.
    pub verifiers: HashMap<String, Verifier>,
    /// The JWKS document, serialized once.
    pub jwks: String,
    /// Dynamic Client Registration (RFC 7591) for this auth server; off unless configured.
    pub registration: RegistrationPolicy,
    /// External issuers whose tokens are grants here (RFC 7523 §2.1), oldest first.
    pub trusted_issuers: Vec<crate::domain::trusted_issuer::TrustedIssuer>,
    /// The APIs tokens can be narrowed to (RFC 8707), by URI.
    pub resources: Vec<crate::domain::resource::Resource>,
    /// Which clients may exchange tokens (RFC 8693), and how.
    pub exchange_policies: Vec<crate::domain::exchange_policy::ExchangePolicy>,
    /// Subject and actor tokens whose signature was checked, for token exchange.
    pub verified_tokens: verified_tokens::VerifiedTokens,
}

impl ServerEntry {
    /// The declared resource named by `uri`.
    pub fn resource(&self, uri: &str) -> Option<&crate::domain::resource::Resource> {
        self.resources.iter().find(|resource| resource.uri == uri)
    }

    /// The token exchange policy of a client, if it has one.
    pub fn exchange_policy(&self, client_id: &str) -> Option<&crate::domain::exchange_policy::ExchangePolicy> {
        self.exchange_policies.iter().find(|policy| policy.client_id.as_str() == client_id)
    }
}

/// A client with what authenticates it.
pub struct ClientEntry {
    pub client: Client,
    /// The principal an `auth_server_client` identity links the client to, for `.Principal` in
    /// claim templates; a change to it or to the link is a change of the client (change feed).
    pub principal: Option<crate::domain::principal::Principal>,
    secret_hashes: Vec<String>,
    /// SHA-256 over the sorted secret hashes: which secrets the verified-secret memo is for.
    fingerprint: Digest,
    /// The enabled hashes last read from the database for a failed secret, and when that read
    /// began, so concurrent failures share one read.
    rechecked: Mutex<Option<(Instant, Arc<Vec<String>>)>>,
}

/// The fingerprint a failure is remembered under when there is no client (or no secret).
const NO_SECRETS: Digest = [0; 32];

/// What identifies a set of secret hashes, whatever their order.
fn fingerprint(hashes: &[String]) -> Digest {
    use sha2::Digest as _;
    let mut sorted: Vec<&String> = hashes.iter().collect();
    sorted.sort();
    let mut sha = sha2::Sha256::new();
    for hash in sorted {
        sha.update(hash.as_bytes());
        sha.update([0]);
    }
    sha.finalize().into()
}

impl ClientEntry {
    /// Whether a secret can authenticate this client: it has one, and it registered a secret
    /// method (`private_key_jwt` clients prove themselves only with a signed assertion, and
    /// public clients, `none`, with nothing: RFC 7591 §2).
    pub fn has_secrets(&self) -> bool {
        !self.secret_hashes.is_empty() && self.client.token_endpoint_auth_method.uses_secret()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error(transparent)]
    Key(#[from] keys::KeyError),
}

pub struct Cache {
    store: Store,
    metrics: Arc<crate::metrics::Metrics>,
    sealer: Arc<Sealer>,
    servers: RwLock<HashMap<String, Cached<Arc<ServerEntry>>>>,
    /// Issuer slugs that have no auth server, and since when.
    server_misses: RwLock<HashMap<String, Instant>>,
    clients: RwLock<HashMap<ClientKey, Cached<Arc<ClientEntry>>>>,
    /// Client ids that do not exist, and since when.
    client_misses: RwLock<HashMap<ClientKey, Instant>>,
    /// Presented secrets that matched, per client, kept across reloads of the client.
    verified: RwLock<HashMap<ClientKey, Verified>>,
    /// Presented secrets that did not match, per client id (known or not): until when, and
    /// the fingerprint of the secrets they failed against.
    failed: Mutex<HashMap<(ClientKey, Digest), (Instant, Digest)>>,
    /// Concurrent misses of one entry load it once; other entries load in parallel.
    server_loads: locks::KeyedLocks<String>,
    client_loads: locks::KeyedLocks<ClientKey>,
    /// Concurrent first uses of one secret run Argon2 once; other secrets are not held up.
    verifications: locks::KeyedLocks<Digest>,
    /// Concurrent failed secrets of one client read its hashes from the database once.
    rechecks: locks::KeyedLocks<ClientKey>,
    /// Bumped by every invalidation; a load that began before a bump does not insert its
    /// (possibly stale) result, so an invalidation can never be overtaken by a slow load.
    generation: std::sync::atomic::AtomicU64,
    /// Revoked jti → expiry (Unix seconds).
    revoked: RwLock<HashMap<Uuid, i64>>,
    /// Per-node key for digests of presented secrets; never leaves memory.
    digest_key: aws_lc_rs::hmac::Key,
    /// The node's one Argon2 pool, for verifying here and hashing in the handlers.
    hasher: Arc<Hasher>,
    /// The lookup API's answers, per directory.
    pub lookups: lookups::Lookups,
    /// Trusted issuers' keys fetched from their `jwks_uri`.
    pub issuer_keys: issuer_keys::IssuerKeys,
}

impl Cache {
    pub fn new(store: Store, sealer: Arc<Sealer>, metrics: Arc<crate::metrics::Metrics>, hasher: Arc<Hasher>) -> Cache {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let digest_key = aws_lc_rs::hmac::Key::generate(aws_lc_rs::hmac::HMAC_SHA256, &rng).unwrap_or_else(|_| {
            aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, uuid::Uuid::new_v4().as_bytes())
        });
        Cache {
            store,
            metrics,
            sealer,
            servers: RwLock::new(HashMap::new()),
            server_misses: RwLock::new(HashMap::new()),
            clients: RwLock::new(HashMap::new()),
            client_misses: RwLock::new(HashMap::new()),
            verified: RwLock::new(HashMap::new()),
            failed: Mutex::new(HashMap::new()),
            server_loads: Default::default(),
            client_loads: Default::default(),
            verifications: Default::default(),
            rechecks: Default::default(),
            generation: std::sync::atomic::AtomicU64::new(0),
            revoked: RwLock::new(HashMap::new()),
            digest_key,
            hasher,
            lookups: Default::default(),
            issuer_keys: Default::default(),
        }
    }

    pub fn sealer(&self) -> &Sealer {
        &self.sealer
    }

    /// The node's Argon2 pool: hash secrets here, never on the async runtime.
    pub fn hasher(&self) -> &Hasher {
        &self.hasher
    }

    /// The auth server behind an issuer slug; `None` when there is none.
    pub async fn server(&self, slug: &IssuerSlug, now: DateTime<Utc>) -> Result<Option<Arc<ServerEntry>>, CacheError> {
        let cached = || match read(&self.servers).get(slug.as_str()).and_then(Cached::fresh) {
            Some(entry) => Some(Some(entry)),
            None => known_miss(&self.server_misses, slug.as_str()).then_some(None),
        };
        if let Some(entry) = cached() {
            self.metrics.server_cache.hit();
            return Ok(entry);
        }
        let span = tracing::info_span!("cache_load", cache = "auth_server");
        async {
            let _loading = self.server_loads.lock(&slug.as_str().to_owned()).await;
            if let Some(entry) = cached() {
                self.metrics.server_cache.hit();
                return Ok(entry);
            }
            self.metrics.server_cache.miss();
            let generation = self.generation();
            let server = match store::auth_servers::get_by_slug(&self.store, slug).await {
                Ok(server) => server,
                Err(store::Error::NotFound) => {
                    if self.generation() == generation {
                        remember_miss(&self.server_misses, slug.as_str().to_owned());
                    }
                    return Ok(None);
                }
                Err(e) => return Err(e.into()),
            };
            let entry = Arc::new(self.load_server(server, now).await?);
            let mut servers = write(&self.servers);
            if self.generation() == generation {
                servers.insert(slug.as_str().to_owned(), Cached { at: Instant::now(), value: entry.clone() });
            }
            Ok(Some(entry))
        }
        .instrument(span)
        .await
    }

    async fn load_server(&self, server: AuthServer, now: DateTime<Utc>) -> Result<ServerEntry, CacheError> {
        let scopes = store::scopes::all(&self.store, server.id).await?;
        let claims = store::claims::all(&self.store, server.id).await?.into_iter().map(CompiledClaim::new).collect();
        let keys =
            store::signing_keys::published(&self.store, server.id, now, keys::RETIRED_KEY_PUBLISH_SECONDS).await?;
        let mut verifiers = HashMap::new();
        let mut jwks = Vec::new();
        let mut signer = None;
        for key in &keys {
            verifiers.insert(key.kid.clone(), Verifier::from_jwk(&key.public_jwk)?);
            jwks.push(key.public_jwk.clone());
            if signer.is_none() && key.state() == KeyState::Current && key.algorithm == server.signing_algorithm {
                let der = self.sealer.open(&key.kid, &key.sealed_private_key)?;
                signer = Some(Arc::new(Signer::from_der(&key.kid, key.algorithm, &der)?));
            }
        }
        let jwks = serde_json::json!({ "keys": jwks }).to_string();
        let registration =
            store::registrations::policy(&self.store, server.id).await?.map(|p| p.policy).unwrap_or_default();
        let trusted_issuers = store::trusted_issuers::for_server(&self.store, server.id).await?;
        let resources = store::resources::for_server(&self.store, server.id).await?;
        let exchange_policies = store::exchange_policies::for_server(&self.store, server.id).await?;
        Ok(ServerEntry {
            server,
            scopes,
            claims,
            signer,
            verifiers,
            jwks,
            registration,
            trusted_issuers,
            resources,
            exchange_policies,
            verified_tokens: Default::default(),
        })
    }

    /// A client of an auth server; `None` when there is none (remembered until it changes).
    pub async fn client(&self, auth_server_id: Uuid, client_id: &str) -> Result<Option<Arc<ClientEntry>>, CacheError> {
        // An id that cannot exist is answered without caching the caller's string.
        let Ok(id) = ClientId::parse(client_id) else { return Ok(None) };
        let key = (auth_server_id, client_id.to_owned());
        let cached = || match read(&self.clients).get(&key).and_then(Cached::fresh) {
            Some(entry) => Some(Some(entry)),
            None => known_miss(&self.client_misses, &key).then_some(None),
        };
        if let Some(entry) = cached() {
            self.metrics.client_cache.hit();
            return Ok(entry);
        }
        let span = tracing::info_span!("cache_load", cache = "client");
        async {
            let _loading = self.client_loads.lock(&key).await;
            if let Some(entry) = cached() {
                self.metrics.client_cache.hit();
                return Ok(entry);
            }
            self.metrics.client_cache.miss();
            let generation = self.generation();
            let entry = match store::clients::get(&self.store, auth_server_id, &id).await {
                Ok(client) => {
                    let secret_hashes = store::client_secrets::enabled_hashes(&self.store, auth_server_id, &id).await?;
                    let fingerprint = fingerprint(&secret_hashes);
                    let principal = store::principals::of_client(&self.store, auth_server_id, id.as_str()).await?;
                    Arc::new(ClientEntry { client, principal, secret_hashes, fingerprint, rechecked: Mutex::new(None) })
                }
                Err(store::Error::NotFound) => {
                    if self.generation() == generation {
                        remember_miss(&self.client_misses, key.clone());
                    }
                    return Ok(None);
                }
                Err(e) => return Err(e.into()),
            };
            let mut clients = write(&self.clients);
            if clients.len() >= MAX_CACHED_CLIENTS {
                clients.clear();
            }
            if self.generation() == generation {
                clients.insert(key.clone(), Cached { at: Instant::now(), value: entry.clone() });
            }
            Ok(Some(entry))
        }
        .instrument(span)
        .await
    }

    fn digest(&self, secret: &str) -> Digest {
        let tag = aws_lc_rs::hmac::sign(&self.digest_key, secret.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        out
    }

    /// What memory knows of a presented secret checked against the secrets `fingerprint`
    /// stands for: it matched them (`Some(true)`), or it failed against them a moment ago
    /// (`Some(false)`). Once the client's secrets change, neither is remembered.
    fn remembered(&self, key: &ClientKey, fingerprint: &Digest, digest: &Digest) -> Option<bool> {
        let matched = read(&self.verified)
            .get(key)
            .is_some_and(|memo| memo.fingerprint == *fingerprint && memo.digests.contains(digest));
        if matched {
            return Some(true);
        }
        let failed = lock(&self.failed)
            .get(&(key.clone(), *digest))
            .is_some_and(|(until, against)| *until > Instant::now() && against == fingerprint);
        failed.then_some(false)
    }

    fn remember_match(&self, key: &ClientKey, fingerprint: Digest, digest: Digest) {
        let mut verified = write(&self.verified);
        if verified.len() >= MAX_CACHED_CLIENTS && !verified.contains_key(key) {
            verified.clear();
        }
        let memo = verified.entry(key.clone()).or_insert_with(|| Verified { fingerprint, digests: Default::default() });
        if memo.fingerprint != fingerprint {
            *memo = Verified { fingerprint, digests: Default::default() };
        }
        memo.digests.insert(digest);
    }

    fn remember_failure(&self, key: ClientKey, fingerprint: Digest, digest: Digest) {
        let now = Instant::now();
        let mut failed = lock(&self.failed);
        if failed.len() >= MAX_FAILED_SECRETS {
            failed.retain(|_, (until, _)| *until > now);
            if failed.len() >= MAX_FAILED_SECRETS {
                failed.clear();
            }
        }
        failed.insert((key, digest), (now + FAILED_SECRET_TTL, fingerprint));
    }

    /// Whether `secret` is one of the client's enabled secrets. Argon2 runs only the first
    /// time a given secret is presented; afterwards a keyed digest answers, for a secret that
    /// matched as long as the client's secrets stay the same, for one that failed for
    /// [`FAILED_SECRET_TTL`]. A secret that fails against the cached hashes is checked against
    /// the database's once, so a secret just added on another node works here at once.
    /// [`Busy`] when the Argon2 pool is full.
    pub async fn verify_secret(&self, entry: &Arc<ClientEntry>, secret: &str) -> Result<bool, Busy> {
        let digest = self.digest(secret);
        let key = (entry.client.auth_server_id, entry.client.id.as_str().to_owned());
        if let Some(known) = self.remembered(&key, &entry.fingerprint, &digest) {
            self.metrics.secret_cache.hit();
            return Ok(known);
        }
        // Concurrent first uses of this secret wait for one Argon2 run and find its result.
        let _verifying = self.verifications.lock(&digest).await;
        if let Some(known) = self.remembered(&key, &entry.fingerprint, &digest) {
            self.metrics.secret_cache.hit();
            return Ok(known);
        }
        self.metrics.secret_cache.miss();
        let Ok(secret) = ClientSecret::parse(secret.to_owned()) else {
            self.remember_failure(key, entry.fingerprint, digest);
            return Ok(false);
        };
        let hashing = tracing::info_span!("argon2", hashes = entry.secret_hashes.len());
        if self.hasher.matches_any(&secret, entry.secret_hashes.clone()).instrument(hashing).await? {
            self.remember_match(&key, entry.fingerprint, digest);
            return Ok(true);
        }
        let (matched, stored) = self.matches_stored(entry, &key, &secret).await?;
        if matched {
            self.remember_match(&key, stored, digest);
        } else {
            self.remember_failure(key, stored, digest);
        }
        Ok(matched)
    }

    /// A secret added on another node may not have reached this node's cache yet: the
    /// client's enabled hashes are read from the database (once for concurrent failures of one
    /// client), and the secret is checked against those the cache did not have. On a match,
    /// Whether it matched, and the fingerprint of the secrets it was checked against. A stale
    /// entry is dropped, so the next request loads the client again.
    async fn matches_stored(
        &self,
        entry: &ClientEntry,
        key: &ClientKey,
        secret: &ClientSecret,
    ) -> Result<(bool, Digest), Busy> {
        let asked = Instant::now();
        let _reading = self.rechecks.lock(key).await;
        let shared = lock(&entry.rechecked).as_ref().filter(|(began, _)| *began >= asked).map(|(_, h)| h.clone());
        let stored = match shared {
            Some(stored) => stored,
            None => {
                let began = Instant::now();
                match store::client_secrets::enabled_hashes(&self.store, key.0, &entry.client.id).await {
                    Ok(hashes) => {
                        let hashes = Arc::new(hashes);
                        *lock(&entry.rechecked) = Some((began, hashes.clone()));
                        hashes
                    }
                    Err(error) => {
                        tracing::warn!(%error, "cannot read a client's secrets to recheck a failed secret");
                        return Ok((false, entry.fingerprint));
                    }
                }
            }
        };
        let stored_fingerprint = fingerprint(&stored);
        if stored_fingerprint == entry.fingerprint {
            return Ok((false, entry.fingerprint));
        }
        self.invalidate(&Change::Client(key.0, key.1.clone()));
        let added: Vec<String> = stored.iter().filter(|hash| !entry.secret_hashes.contains(hash)).cloned().collect();
        let hashing = tracing::info_span!("argon2", hashes = added.len());
        let matched = self.hasher.matches_any(secret, added).instrument(hashing).await?;
        Ok((matched, stored_fingerprint))
    }

    /// The Argon2 work of checking a wrong secret, for a client that does not exist or has no
    /// secret, so the answer's timing does not tell an unknown client id from a wrong secret
    /// (RFC 6819 §5.1.4.2.2, client enumeration). Remembered like a wrong secret of a known
    /// client, so a repeat is as cheap as there. [`Busy`] when the Argon2 pool is full, as for
    /// a known client.
    pub async fn verify_without_client(
        &self,
        auth_server_id: Option<Uuid>,
        client_id: &str,
        secret: &str,
    ) -> Result<(), Busy> {
        static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let digest = self.digest(secret);
        let key = (auth_server_id.unwrap_or_default(), client_id.to_owned());
        if self.remembered(&key, &NO_SECRETS, &digest).is_some() {
            self.metrics.secret_cache.hit();
            return Ok(());
        }
        self.metrics.secret_cache.miss();
        let Ok(secret) = ClientSecret::parse(secret.to_owned()) else {
            self.remember_failure(key, NO_SECRETS, digest);
            return Ok(());
        };
        let decoy = match DECOY.get() {
            Some(decoy) => decoy.clone(),
            None => match self.hasher.hash(&ClientSecret::generate()).await {
                Ok(decoy) => DECOY.get_or_init(|| decoy).clone(),
                Err(crate::hashing::HashError::Busy(busy)) => return Err(busy),
                Err(crate::hashing::HashError::Failed(_)) => String::new(),
            },
        };
        self.hasher.matches_any(&secret, vec![decoy]).await?;
        self.remember_failure(key, NO_SECRETS, digest);
        Ok(())
    }

    pub fn is_revoked(&self, jti: &Uuid) -> bool {
        read(&self.revoked).contains_key(jti)
    }

    pub fn add_revocations(&self, revoked: impl IntoIterator<Item = (Uuid, i64)>) {
        write(&self.revoked).extend(revoked);
    }

    /// Forgets revocations of tokens that have expired anyway.
    pub fn prune_revocations(&self, now: DateTime<Utc>) {
        let now = now.timestamp();
        write(&self.revoked).retain(|_, expires| *expires > now);
    }

    fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn bump(&self) {
        self.generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    /// Drops whatever a change made stale.
    pub fn invalidate(&self, change: &Change) {
        self.bump();
        match change {
            Change::Server(id) => {
                write(&self.servers).retain(|_, cached| cached.value.server.id != *id);
                // A new or changed auth server may answer to a slug remembered as unknown.
                write(&self.server_misses).clear();
            }
            Change::Directory(id) => self.lookups.invalidate(*id),
            Change::Client(server, client) => {
                // The secrets remembered as matching or failing stay remembered for the
                // secrets they were checked against (`fingerprint`): the reloaded client
                // tells whether those are still its secrets.
                let key = (*server, client.clone());
                write(&self.clients).remove(&key);
                write(&self.client_misses).remove(&key);
            }
        }
    }

    /// Drops everything cached about an auth server: its configuration and its clients. The
    /// secrets its clients presented stay remembered for as long as those clients' secrets
    /// are the same, so an admin write does not make every client pay Argon2 again.
    pub fn invalidate_all_of(&self, auth_server_id: Uuid) {
        self.bump();
        write(&self.servers).retain(|_, cached| cached.value.server.id != auth_server_id);
        write(&self.server_misses).clear();
        write(&self.clients).retain(|(server, _), _| *server != auth_server_id);
        write(&self.client_misses).retain(|(server, _), _| *server != auth_server_id);
    }
}

/// Whether `key` was found missing less than [`MAX_AGE`] ago.
fn known_miss<K: std::hash::Hash + Eq + ?Sized, Q: std::hash::Hash + Eq + std::borrow::Borrow<K>>(
    misses: &RwLock<HashMap<Q, Instant>>,
    key: &K,
) -> bool {
    read(misses).get(key).is_some_and(|at| at.elapsed() < MAX_AGE)
}

/// Remembers a miss, within [`MAX_CACHED_MISSES`]: a flood of unknown keys only ever
/// displaces other misses.
fn remember_miss<K: std::hash::Hash + Eq>(misses: &RwLock<HashMap<K, Instant>>, key: K) {
    let mut misses = write(misses);
    if misses.len() >= MAX_CACHED_MISSES {
        misses.retain(|_, at| at.elapsed() < MAX_AGE);
        if misses.len() >= MAX_CACHED_MISSES {
            misses.clear();
        }
    }
    misses.insert(key, Instant::now());
}

// A poisoned lock only means another request panicked mid-update of a cache; the data is
// still a valid map, so keep serving.
fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
