//! Rate limits and failed-authentication backoff, in process, with bounded memory. Each node
//! enforces its own share: with several nodes behind a load balancer, a limit of N per second
//! lets through up to N per second per node.
//!
//! Two building blocks, both keyed tables that never outgrow their capacity:
//! - [`Buckets`]: token buckets, kept as GCRA (one instant per key: when the bucket will be
//!   full again), for requests per second per source address, per client and per auth server;
//! - [`Backoff`]: failed authentications per (client, source address) or per source address;
//!   after `failures_allowed` failures further attempts are refused, without running Argon2,
//!   for a delay that doubles with each new failure up to a cap. A success resets it.
//!
//! Time is a parameter (`now: Instant`), so every rule is a unit test.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use uuid::Uuid;

pub mod proxies;

pub use proxies::TrustedProxies;

/// Keys tracked per table at most. A table that is full first drops the keys whose state is
/// back to nothing (a full bucket, failures forgotten), then, if a flood of new keys left none
/// to drop, an arbitrary eighth of them: memory stays bounded whatever the traffic.
pub const DEFAULT_CAPACITY: usize = 50_000;

/// Failures older than this are forgotten.
const FORGET_FAILURES_AFTER: Duration = Duration::from_secs(15 * 60);

/// A refusal: retry after this long (RFC 6585 §4, `Retry-After`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Throttled {
    pub retry_after: Duration,
}

impl Throttled {
    /// Whole seconds for `Retry-After`, rounded up, at least 1.
    pub fn retry_after_seconds(&self) -> u64 {
        let seconds = self.retry_after.as_secs() + u64::from(self.retry_after.subsec_nanos() > 0);
        seconds.max(1)
    }
}

/// RFC 6585 §4 at an issuer endpoint: 429 with `Retry-After` and an RFC 6749 §5.2 body.
impl From<Throttled> for crate::oauth::OAuthError {
    fn from(throttled: Throttled) -> Self {
        crate::oauth::OAuthError::too_many_requests(throttled.retry_after_seconds())
    }
}

/// A rate: `per_second` requests per second on average, `burst` at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub per_second: u32,
    pub burst: u32,
}

impl Rate {
    /// `per_second` with a burst of one second's worth; `None` for 0 (no limit).
    pub fn per_second(per_second: u32) -> Option<Rate> {
        (per_second > 0).then_some(Rate { per_second, burst: per_second })
    }

    fn interval(self) -> Duration {
        Duration::from_secs(1) / self.per_second.max(1)
    }
}

/// A keyed table with a capacity.
struct Table<K, V> {
    entries: HashMap<K, V>,
    capacity: usize,
}

impl<K: Hash + Eq + Clone, V> Table<K, V> {
    fn new(capacity: usize) -> Self {
        Table { entries: HashMap::new(), capacity: capacity.max(8) }
    }

    /// Makes room for one more key: drops the entries `idle` says hold nothing, and if that is
    /// not enough, an arbitrary eighth (amortized O(1) per insert).
    fn make_room(&mut self, idle: impl Fn(&V) -> bool) {
        if self.entries.len() < self.capacity {
            return;
        }
        self.entries.retain(|_, value| !idle(value));
        if self.entries.len() >= self.capacity - self.capacity / 8 {
            let excess = self.entries.len() - (self.capacity - self.capacity / 8);
            let victims: Vec<K> = self.entries.keys().take(excess + 1).cloned().collect();
            for key in victims {
                self.entries.remove(&key);
            }
        }
    }

    fn len(&self) -> usize {
        self.entries.len()
    }
}

/// Token buckets by key (GCRA): each key holds the instant its bucket is full again.
pub struct Buckets<K> {
    table: Mutex<Table<K, Instant>>,
}

impl<K: Hash + Eq + Clone> Buckets<K> {
    pub fn new(capacity: usize) -> Self {
        Buckets { table: Mutex::new(Table::new(capacity)) }
    }

    /// Takes one token from `key`'s bucket, or says how long until one is there.
    pub fn take(&self, key: &K, rate: Rate, now: Instant) -> Result<(), Throttled> {
        let interval = rate.interval();
        let tolerance = interval * rate.burst.max(1);
        let Ok(mut table) = self.table.lock() else { return Ok(()) };
        let full_at = table.entries.get(key).copied().unwrap_or(now).max(now);
        let next = full_at + interval;
        if next > now + tolerance {
            return Err(Throttled { retry_after: next - (now + tolerance) });
        }
        if !table.entries.contains_key(key) {
            table.make_room(|full_at| *full_at <= now);
        }
        table.entries.insert(key.clone(), next);
        Ok(())
    }

    /// Keys tracked now.
    pub fn len(&self) -> usize {
        self.table.lock().map(|t| t.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How failed authentications back off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackoffPolicy {
    /// Failures before the first delay: the attempt after the last of them waits.
    pub failures_allowed: u32,
    /// The first delay; each further failure doubles it.
    pub first_delay: Duration,
    /// The longest delay.
    pub max_delay: Duration,
}

#[derive(Clone, Copy, Debug)]
struct Failures {
    count: u32,
    last: Instant,
    blocked_until: Instant,
}

/// Failed authentications by key.
pub struct Backoff<K> {
    table: Mutex<Table<K, Failures>>,
    policy: BackoffPolicy,
}

impl<K: Hash + Eq + Clone> Backoff<K> {
    pub fn new(policy: BackoffPolicy, capacity: usize) -> Self {
        Backoff { table: Mutex::new(Table::new(capacity)), policy }
    }

    /// Refuses an attempt while `key` is backing off.
    pub fn check(&self, key: &K, now: Instant) -> Result<(), Throttled> {
        let Ok(table) = self.table.lock() else { return Ok(()) };
        match table.entries.get(key) {
            Some(failures) if failures.blocked_until > now => {
                Err(Throttled { retry_after: failures.blocked_until - now })
            }
            _ => Ok(()),
        }
    }

    /// Records a failure; past `failures_allowed`, the key backs off for a delay that doubles
    /// with each further failure.
    pub fn failed(&self, key: &K, now: Instant) {
        let policy = self.policy;
        let Ok(mut table) = self.table.lock() else { return };
        if !table.entries.contains_key(key) {
            table.make_room(|f| f.blocked_until <= now && f.last + FORGET_FAILURES_AFTER <= now);
        }
        let entry = table.entries.entry(key.clone()).or_insert(Failures { count: 0, last: now, blocked_until: now });
        if entry.last + FORGET_FAILURES_AFTER <= now {
            entry.count = 0;
        }
        entry.count = entry.count.saturating_add(1);
        entry.last = now;
        if entry.count >= policy.failures_allowed {
            let doublings = (entry.count - policy.failures_allowed).min(30);
            let delay = policy.first_delay.saturating_mul(1 << doublings).min(policy.max_delay);
            entry.blocked_until = now + delay;
        }
    }

    /// A success forgets the failures.
    pub fn succeeded(&self, key: &K) {
        if let Ok(mut table) = self.table.lock() {
            table.entries.remove(key);
        }
    }

    pub fn len(&self) -> usize {
        self.table.lock().map(|t| t.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A fixed-size key for (auth server, client id[, address]): client ids come from requests
/// and may be long, so tables hold a digest, never the id.
pub type ClientKey = [u8; 16];

pub fn client_key(server: Uuid, client_id: &str, source: Option<IpAddr>) -> ClientKey {
    let mut hash = Sha256::new();
    hash.update(server.as_bytes());
    hash.update((client_id.len() as u64).to_be_bytes());
    hash.update(client_id.as_bytes());
    match source {
        Some(IpAddr::V4(address)) => hash.update(address.octets()),
        Some(IpAddr::V6(address)) => hash.update(address.octets()),
        None => {}
    }
    let digest = hash.finalize();
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

/// The limits a node enforces, as configured.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Issuer requests (token, introspection, revocation, registration) per source address.
    pub per_address: Option<Rate>,
    /// Dynamic Client Registration requests (RFC 7591) per source address: each writes a
    /// client and hashes its secret, so open registration must not be a free write per request.
    pub registrations_per_address: Option<Rate>,
    /// Authenticated issuer requests per client.
    pub per_client: Option<Rate>,
    /// Failed client authentications per (client, source address).
    pub client_backoff: BackoffPolicy,
    /// Failed client authentications per source address, whichever client they name: random
    /// client ids each have a fresh (client, source) count, and each costs an Argon2 decoy.
    pub source_backoff: BackoffPolicy,
    /// Failed /v1 authentications per source address.
    pub admin_backoff: BackoffPolicy,
    pub capacity: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            per_address: None,
            registrations_per_address: Rate::per_second(10),
            per_client: None,
            client_backoff: BackoffPolicy {
                failures_allowed: 5,
                first_delay: Duration::from_secs(1),
                max_delay: Duration::from_secs(300),
            },
            source_backoff: BackoffPolicy {
                failures_allowed: 20,
                first_delay: Duration::from_secs(1),
                max_delay: Duration::from_secs(300),
            },
            admin_backoff: BackoffPolicy {
                failures_allowed: 10,
                first_delay: Duration::from_secs(1),
                max_delay: Duration::from_secs(300),
            },
            capacity: DEFAULT_CAPACITY,
        }
    }
}

/// One node's rate limiter: every table it keeps.
pub struct Limiter {
    settings: Settings,
    addresses: Buckets<IpAddr>,
    registrations: Buckets<IpAddr>,
    clients: Buckets<ClientKey>,
    servers: Buckets<Uuid>,
    client_failures: Backoff<ClientKey>,
    source_failures: Backoff<IpAddr>,
    admin_failures: Backoff<IpAddr>,
}

impl Default for Limiter {
    fn default() -> Self {
        Limiter::new(Settings::default())
    }
}

impl Limiter {
    pub fn new(settings: Settings) -> Limiter {
        let capacity = settings.capacity;
        Limiter {
            addresses: Buckets::new(capacity),
            registrations: Buckets::new(capacity),
            clients: Buckets::new(capacity),
            servers: Buckets::new(capacity),
            client_failures: Backoff::new(settings.client_backoff, capacity),
            source_failures: Backoff::new(settings.source_backoff, capacity),
            admin_failures: Backoff::new(settings.admin_backoff, capacity),
            settings,
        }
    }

    /// An issuer request from `source`.
    pub fn address(&self, source: IpAddr, now: Instant) -> Result<(), Throttled> {
        match self.settings.per_address {
            Some(rate) => self.addresses.take(&source, rate, now),
            None => Ok(()),
        }
    }

    /// A registration request from `source`.
    pub fn registration(&self, source: IpAddr, now: Instant) -> Result<(), Throttled> {
        match self.settings.registrations_per_address {
            Some(rate) => self.registrations.take(&source, rate, now),
            None => Ok(()),
        }
    }

    /// An authenticated request of a client.
    pub fn client(&self, server: Uuid, client_id: &str, now: Instant) -> Result<(), Throttled> {
        match self.settings.per_client {
            Some(rate) => self.clients.take(&client_key(server, client_id, None), rate, now),
            None => Ok(()),
        }
    }

    /// A token request to an auth server with its own limit (`None`: unlimited).
    pub fn server(&self, server: Uuid, per_second: Option<u32>, now: Instant) -> Result<(), Throttled> {
        match per_second.and_then(Rate::per_second) {
            Some(rate) => self.servers.take(&server, rate, now),
            None => Ok(()),
        }
    }

    /// Client authentication backoff per (client, source).
    pub fn client_failures(&self) -> &Backoff<ClientKey> {
        &self.client_failures
    }

    /// Client authentication backoff per source address, across clients.
    pub fn source_failures(&self) -> &Backoff<IpAddr> {
        &self.source_failures
    }

    /// /v1 authentication backoff per source.
    pub fn admin_failures(&self) -> &Backoff<IpAddr> {
        &self.admin_failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    #[test]
    fn a_bucket_lets_a_burst_through_then_one_request_per_interval() {
        let buckets = Buckets::new(100);
        let rate = Rate { per_second: 2, burst: 3 };
        let t0 = Instant::now();
        for i in 0..3 {
            assert_eq!(buckets.take(&ip(1), rate, t0), Ok(()), "request {i} of the burst");
        }
        let refused = buckets.take(&ip(1), rate, t0).unwrap_err();
        assert_eq!(refused.retry_after, Duration::from_millis(500));
        assert_eq!(refused.retry_after_seconds(), 1);
        assert_eq!(buckets.take(&ip(2), rate, t0), Ok(()), "another key has its own bucket");
        assert_eq!(buckets.take(&ip(1), rate, t0 + Duration::from_millis(500)), Ok(()));
        assert!(buckets.take(&ip(1), rate, t0 + Duration::from_millis(500)).is_err());
    }

    #[test]
    fn failures_back_off_with_a_doubling_delay_up_to_the_cap_and_a_success_resets() {
        let policy = BackoffPolicy {
            failures_allowed: 2,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(4),
        };
        let backoff = Backoff::new(policy, 100);
        let mut now = Instant::now();
        backoff.failed(&1, now);
        assert_eq!(backoff.check(&1, now), Ok(()), "within the allowed failures, no delay");
        for expected in [1, 2, 4, 4] {
            backoff.failed(&1, now);
            let refused = backoff.check(&1, now).unwrap_err();
            assert_eq!(refused.retry_after, Duration::from_secs(expected));
            assert_eq!(backoff.check(&2, now), Ok(()), "another key is not delayed");
            now += refused.retry_after;
            assert_eq!(backoff.check(&1, now), Ok(()), "allowed again after the delay");
        }
        backoff.succeeded(&1);
        backoff.failed(&1, now);
        assert_eq!(backoff.check(&1, now), Ok(()), "a success starts over");
    }

    #[test]
    fn keyed_state_stays_bounded_under_a_flood_of_new_keys() {
        let capacity = 1_000;
        let buckets = Buckets::new(capacity);
        let backoff = Backoff::new(Settings::default().client_backoff, capacity);
        let rate = Rate { per_second: 1, burst: 1 };
        let now = Instant::now();
        for i in 0..100_000u32 {
            let key = client_key(Uuid::nil(), &format!("random-{i}"), Some(IpAddr::from(i.to_be_bytes())));
            let _ = buckets.take(&key, rate, now);
            backoff.failed(&key, now);
            assert!(buckets.len() <= capacity && backoff.len() <= capacity, "at key {i}");
        }
        // Buckets that are full again hold nothing and make room first.
        let later = now + Duration::from_secs(2);
        let _ = buckets.take(&[0u8; 16], rate, later);
        assert!(buckets.len() <= capacity);
    }

    #[test]
    fn limits_set_to_nothing_never_refuse() {
        let limiter =
            Limiter::new(Settings { per_address: None, per_client: None, capacity: 10, ..Settings::default() });
        let now = Instant::now();
        for _ in 0..1_000 {
            assert_eq!(limiter.address(ip(1), now), Ok(()));
            assert_eq!(limiter.client(Uuid::nil(), "c", now), Ok(()));
            assert_eq!(limiter.server(Uuid::nil(), None, now), Ok(()));
        }
        assert!(limiter.server(Uuid::nil(), Some(1), now).is_ok());
        assert!(limiter.server(Uuid::nil(), Some(1), now).is_err());
    }

    #[test]
    fn client_keys_depend_on_every_part() {
        let a = client_key(Uuid::nil(), "client", Some(ip(1)));
        assert_ne!(a, client_key(Uuid::nil(), "client", Some(ip(2))));
        assert_ne!(a, client_key(Uuid::nil(), "client2", Some(ip(1))));
        assert_ne!(a, client_key(Uuid::nil(), "client", None));
    }
}
