//! What the issuer endpoints read on every request, held in memory: each auth server's
//! configuration (scopes, claims, signing keys) by issuer slug, each client with its secret
//! hashes, and the revoked token ids. Writes invalidate locally at once and on other nodes
//! through the change feed (`sync`), so no request reloads configuration a cache can answer.

pub mod flow_keys;
mod locks;
pub mod sync;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::claims::CompiledClaim;
use crate::domain::registration::RegistrationPolicy;
use crate::domain::secret::ClientSecret;
use crate::domain::{AuthServer, Client, ClientId, IssuerSlug, Scope};
use crate::keys::{self, Sealer, Signer, Verifier};
use crate::store::signing_keys::KeyState;
use crate::store::{self, Store, changes::Change};

/// Bounds memory: past this many cached clients, the client cache starts over.
const MAX_CACHED_CLIENTS: usize = 200_000;

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

/// (auth server, client id); a `None` entry remembers that no such client exists.
type ClientKey = (Uuid, String);

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
}

/// A client with what authenticates it.
pub struct ClientEntry {
    pub client: Client,
    secret_hashes: Vec<String>,
    /// Keyed digests of presented secrets that matched, so Argon2 runs once per secret.
    verified: Mutex<std::collections::HashSet<[u8; 32]>>,
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
    clients: RwLock<HashMap<ClientKey, Cached<Option<Arc<ClientEntry>>>>>,
    /// Concurrent misses of one entry load it once; other entries load in parallel.
    server_loads: locks::KeyedLocks<String>,
    client_loads: locks::KeyedLocks<ClientKey>,
    /// Concurrent first uses of one secret run Argon2 once; other secrets are not held up.
    verifications: locks::KeyedLocks<[u8; 32]>,
    /// Bumped by every invalidation; a load that began before a bump does not insert its
    /// (possibly stale) result, so an invalidation can never be overtaken by a slow load.
    generation: std::sync::atomic::AtomicU64,
    /// Revoked jti → expiry (Unix seconds).
    revoked: RwLock<HashMap<Uuid, i64>>,
    /// Per-node key for digests of presented secrets; never leaves memory.
    digest_key: aws_lc_rs::hmac::Key,
    /// At most this many Argon2 verifications run at once, so bad secrets cannot starve the node.
    argon2_permits: tokio::sync::Semaphore,
}

impl Cache {
    pub fn new(store: Store, sealer: Arc<Sealer>, metrics: Arc<crate::metrics::Metrics>) -> Cache {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let digest_key = aws_lc_rs::hmac::Key::generate(aws_lc_rs::hmac::HMAC_SHA256, &rng).unwrap_or_else(|_| {
            aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, uuid::Uuid::new_v4().as_bytes())
        });
        let cores = std::thread::available_parallelism().map(usize::from).unwrap_or(2);
        Cache {
            store,
            metrics,
            sealer,
            servers: RwLock::new(HashMap::new()),
            clients: RwLock::new(HashMap::new()),
            server_loads: Default::default(),
            client_loads: Default::default(),
            verifications: Default::default(),
            generation: std::sync::atomic::AtomicU64::new(0),
            revoked: RwLock::new(HashMap::new()),
            digest_key,
            argon2_permits: tokio::sync::Semaphore::new(cores),
        }
    }

    pub fn sealer(&self) -> &Sealer {
        &self.sealer
    }

    /// The auth server behind an issuer slug; `None` when there is none.
    pub async fn server(&self, slug: &IssuerSlug, now: DateTime<Utc>) -> Result<Option<Arc<ServerEntry>>, CacheError> {
        let cached = || read(&self.servers).get(slug.as_str()).and_then(Cached::fresh);
        if let Some(entry) = cached() {
            self.metrics.server_cache.hit();
            return Ok(Some(entry));
        }
        let _loading = self.server_loads.lock(&slug.as_str().to_owned()).await;
        if let Some(entry) = cached() {
            self.metrics.server_cache.hit();
            return Ok(Some(entry));
        }
        self.metrics.server_cache.miss();
        let generation = self.generation();
        let server = match store::auth_servers::get_by_slug(&self.store, slug).await {
            Ok(server) => server,
            Err(store::Error::NotFound) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let entry = Arc::new(self.load_server(server, now).await?);
        let mut servers = write(&self.servers);
        if self.generation() == generation {
            servers.insert(slug.as_str().to_owned(), Cached { at: Instant::now(), value: entry.clone() });
        }
        Ok(Some(entry))
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
        Ok(ServerEntry { server, scopes, claims, signer, verifiers, jwks, registration })
    }

    /// A client of an auth server; `None` when there is none (remembered until it changes).
    pub async fn client(&self, auth_server_id: Uuid, client_id: &str) -> Result<Option<Arc<ClientEntry>>, CacheError> {
        // An id that cannot exist is answered without caching the caller's string.
        let Ok(id) = ClientId::parse(client_id) else { return Ok(None) };
        let key = (auth_server_id, client_id.to_owned());
        let cached = || read(&self.clients).get(&key).and_then(Cached::fresh);
        if let Some(entry) = cached() {
            self.metrics.client_cache.hit();
            return Ok(entry);
        }
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
                Some(Arc::new(ClientEntry { client, secret_hashes, verified: Mutex::new(Default::default()) }))
            }
            Err(store::Error::NotFound) => None,
            Err(e) => return Err(e.into()),
        };
        let mut clients = write(&self.clients);
        if clients.len() >= MAX_CACHED_CLIENTS {
            clients.clear();
        }
        if self.generation() == generation {
            clients.insert(key.clone(), Cached { at: Instant::now(), value: entry.clone() });
        }
        Ok(entry)
    }

    /// Whether `secret` is one of the client's enabled secrets. Argon2 runs only the first
    /// time a given secret is presented; afterwards a keyed digest answers.
    pub async fn verify_secret(&self, entry: &Arc<ClientEntry>, secret: &str) -> bool {
        let digest: [u8; 32] = {
            let tag = aws_lc_rs::hmac::sign(&self.digest_key, secret.as_bytes());
            let mut out = [0u8; 32];
            out.copy_from_slice(tag.as_ref());
            out
        };
        if lock(&entry.verified).contains(&digest) {
            self.metrics.secret_cache.hit();
            return true;
        }
        // Concurrent first uses of this secret wait for one Argon2 run and find its result.
        let _verifying = self.verifications.lock(&digest).await;
        if lock(&entry.verified).contains(&digest) {
            self.metrics.secret_cache.hit();
            return true;
        }
        self.metrics.secret_cache.miss();
        let Ok(secret) = ClientSecret::parse(secret.to_owned()) else { return false };
        let Ok(_permit) = self.argon2_permits.acquire().await else { return false };
        let hashes = entry.secret_hashes.clone();
        let matched =
            crate::telemetry::spawn_blocking_with_tracing(move || hashes.iter().any(|hash| secret.verify(hash)))
                .await
                .unwrap_or(false);
        if matched {
            lock(&entry.verified).insert(digest);
        }
        matched
    }

    /// The Argon2 work of checking a wrong secret, for a client that does not exist or has no
    /// secret, so the answer's timing does not tell an unknown client id from a wrong secret
    /// (RFC 6819 §5.1.4.2.2, client enumeration).
    pub async fn verify_without_client(&self, secret: &str) {
        static DECOY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
        let Ok(secret) = ClientSecret::parse(secret.to_owned()) else { return };
        self.metrics.secret_cache.miss();
        let Ok(_permit) = self.argon2_permits.acquire().await else { return };
        crate::telemetry::spawn_blocking_with_tracing(move || {
            let decoy = DECOY.get_or_init(|| ClientSecret::generate().hash().ok());
            decoy.as_deref().map(|hash| secret.verify(hash))
        })
        .await
        .ok();
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
            }
            Change::Client(server, client) => {
                write(&self.clients).remove(&(*server, client.clone()));
            }
        }
    }

    /// Drops everything cached about an auth server: its configuration and its clients.
    pub fn invalidate_all_of(&self, auth_server_id: Uuid) {
        self.bump();
        write(&self.servers).retain(|_, cached| cached.value.server.id != auth_server_id);
        write(&self.clients).retain(|(server, _), _| *server != auth_server_id);
    }
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
