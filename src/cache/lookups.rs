//! The lookup API's answers held in memory, per directory: the directory itself (its `ttl`s),
//! and which principal each presented API key (by its lookup digest) or identity stood for.
//! Any write in a directory drops all of that directory's answers, here at once and on other
//! nodes through the change feed (`Change::Directory`), so a gateway's hot keys cost no
//! database read while a revoked key stops working as soon as a token's client change would.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::{MAX_AGE, read, write};
use crate::domain::Labels;
use crate::domain::directory::Directory;
use crate::domain::principal::{Metadata, Principal};

/// Bounds memory (about 200 bytes a principal with a little metadata): past this many
/// remembered principals (hits) on the node, every directory's answers start over.
const MAX_HITS: usize = 40_000;

/// Bounds the remembered misses of one directory, for each kind of credential (about 80 bytes
/// each); past it they start over, so a flood of unknown keys never displaces the keys that work.
const MAX_MISSES: usize = 20_000;

/// A presented credential's principal, and until when the credential is valid.
pub struct Found {
    pub principal_id: Uuid,
    /// The principal as the lookup API answers it ([`PrincipalView`]), serialized once: a
    /// tenth of the parsed principal's memory, and no serialization per answer.
    pub principal: Box<RawValue>,
    pub valid_until: Option<DateTime<Utc>>,
}

/// What the lookup API tells of a principal.
#[derive(Serialize, Deserialize)]
pub struct PrincipalView<T = Metadata, L = Labels> {
    pub id: Uuid,
    pub display_name: String,
    pub metadata: T,
    pub labels: L,
}

impl Found {
    pub fn new(principal: Principal, valid_until: Option<DateTime<Utc>>) -> Found {
        let view = PrincipalView {
            id: principal.id,
            display_name: principal.display_name,
            metadata: principal.metadata,
            labels: principal.labels,
        };
        let principal = serde_json::value::to_raw_value(&view)
            .unwrap_or_else(|_| RawValue::from_string("null".to_owned()).unwrap_or_default());
        Found { principal_id: view.id, principal, valid_until }
    }
}

/// What a directory's lookups answered since the directory was loaded. A loader that read the
/// database before a write may still add to a snapshot the write has already dropped: no
/// request reads a dropped snapshot's answers after the drop.
pub struct Answers {
    pub directory: Directory,
    loaded: Instant,
    /// By the key's current lookup digest; `None` for a key that authenticates no one.
    keys: RwLock<Remembered<[u8; 32]>>,
    /// By SHA-256 of the identity's canonical JSON (which may be kilobytes long).
    identities: RwLock<Remembered<[u8; 32]>>,
    /// By [`Lookups::password_digest`] of a username and password: a pair that matched (until
    /// the soonest expiry of the username's passwords, then checked again) or did not.
    passwords: RwLock<Remembered<[u8; 32]>>,
    /// Hits remembered here, given back to the node-wide count when the answers are dropped.
    hits: AtomicUsize,
}

struct Remembered<K> {
    answers: HashMap<K, Option<Arc<Found>>>,
    misses: usize,
}

impl<K> Default for Remembered<K> {
    fn default() -> Self {
        Remembered { answers: HashMap::new(), misses: 0 }
    }
}

impl<K: std::hash::Hash + Eq> Remembered<K> {
    fn get<Q: std::hash::Hash + Eq + ?Sized>(&self, key: &Q) -> Option<Option<Arc<Found>>>
    where
        K: std::borrow::Borrow<Q>,
    {
        self.answers.get(key).cloned()
    }

    /// Remembers an answer; whether it was a hit (for the node-wide bound).
    fn insert(&mut self, key: K, found: Option<Arc<Found>>) -> bool {
        let hit = found.is_some();
        if !hit {
            if self.misses >= MAX_MISSES {
                self.answers.retain(|_, found| found.is_some());
                self.misses = 0;
            }
            self.misses += 1;
        }
        self.answers.insert(key, found);
        hit
    }
}

impl Answers {
    fn new(directory: Directory) -> Answers {
        Answers {
            directory,
            loaded: Instant::now(),
            keys: Default::default(),
            identities: Default::default(),
            passwords: Default::default(),
            hits: AtomicUsize::new(0),
        }
    }

    /// The answer remembered for an API key's lookup digest, if any.
    pub fn key(&self, digest: &[u8; 32]) -> Option<Option<Arc<Found>>> {
        read(&self.keys).get(digest)
    }

    /// The answer remembered for a username and password's digest, if any.
    pub fn password(&self, digest: &[u8; 32]) -> Option<Option<Arc<Found>>> {
        read(&self.passwords).get(digest)
    }

    /// The answer remembered for an identity, if any.
    pub fn identity(&self, identity: &[u8; 32]) -> Option<Option<Arc<Found>>> {
        read(&self.identities).get(identity)
    }
}

pub struct Lookups {
    directories: RwLock<HashMap<Uuid, Arc<Answers>>>,
    /// Bumped by every invalidation; a directory loaded before a bump is not kept.
    generation: AtomicU64,
    /// Hits remembered across all directories, for [`MAX_HITS`].
    hits: AtomicUsize,
    /// Per-node key of the digests passwords are remembered under; never leaves memory.
    password_key: aws_lc_rs::hmac::Key,
}

impl Default for Lookups {
    fn default() -> Self {
        let mut key = [0u8; 32];
        rand::fill(&mut key);
        Lookups {
            directories: Default::default(),
            generation: AtomicU64::new(0),
            hits: AtomicUsize::new(0),
            password_key: aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &key),
        }
    }
}

impl Lookups {
    /// The directory's answers, if it is cached and younger than [`MAX_AGE`].
    pub fn get(&self, directory_id: Uuid) -> Option<Arc<Answers>> {
        read(&self.directories).get(&directory_id).filter(|answers| answers.loaded.elapsed() < MAX_AGE).cloned()
    }

    /// Where a load starts: pass it to [`Lookups::insert`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Caches a directory read at `generation`, unless a write invalidated since; returns the
    /// answers to use either way.
    pub fn insert(&self, directory: Directory, generation: u64) -> Arc<Answers> {
        let answers = Arc::new(Answers::new(directory));
        let mut directories = write(&self.directories);
        if self.generation.load(Ordering::Acquire) == generation {
            // A reload (past MAX_AGE) replaces a snapshot: its hits no longer count.
            if let Some(replaced) = directories.insert(answers.directory.id, answers.clone()) {
                self.give_back(&replaced);
            }
        }
        answers
    }

    pub fn remember_key(&self, answers: &Answers, digest: [u8; 32], found: Option<Found>) -> Option<Arc<Found>> {
        self.remember(answers, &answers.keys, digest, found)
    }

    /// What a username and password are remembered under: HMAC-SHA256 under the node's key of
    /// both, each prefixed by its length, so no password is kept and no pair reads as another.
    pub fn password_digest(&self, username: &str, password: &str) -> [u8; 32] {
        let mut context = aws_lc_rs::hmac::Context::with_key(&self.password_key);
        for part in [username, password] {
            context.update(&(part.len() as u64).to_be_bytes());
            context.update(part.as_bytes());
        }
        let mut digest = [0u8; 32];
        digest.copy_from_slice(context.sign().as_ref());
        digest
    }

    pub fn remember_password(&self, answers: &Answers, digest: [u8; 32], found: Option<Found>) -> Option<Arc<Found>> {
        self.remember(answers, &answers.passwords, digest, found)
    }

    pub fn remember_identity(&self, answers: &Answers, identity: [u8; 32], found: Option<Found>) -> Option<Arc<Found>> {
        self.remember(answers, &answers.identities, identity, found)
    }

    fn remember<K: std::hash::Hash + Eq>(
        &self,
        answers: &Answers,
        map: &RwLock<Remembered<K>>,
        key: K,
        found: Option<Found>,
    ) -> Option<Arc<Found>> {
        let found = found.map(Arc::new);
        if write(map).insert(key, found.clone()) {
            answers.hits.fetch_add(1, Ordering::Relaxed);
            if self.hits.fetch_add(1, Ordering::Relaxed) + 1 > MAX_HITS {
                self.clear();
            }
        }
        found
    }

    /// Drops a directory's answers (any write in it).
    pub fn invalidate(&self, directory_id: Uuid) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        if let Some(dropped) = write(&self.directories).remove(&directory_id) {
            self.give_back(&dropped);
        }
    }

    /// A dropped snapshot's hits leave the node-wide count (saturating: a clear may have reset
    /// it since they were counted; hits added to a snapshot after its drop are over-counted
    /// until the next clear, which only brings that clear forward).
    fn give_back(&self, dropped: &Answers) {
        let hits = dropped.hits.load(Ordering::Relaxed);
        let _ = self.hits.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| Some(n.saturating_sub(hits)));
    }

    fn clear(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        write(&self.directories).clear();
        self.hits.store(0, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directory() -> Directory {
        use crate::domain::directory::{DirectoryName, Realm};
        Directory {
            id: Uuid::new_v4(),
            name: DirectoryName::parse("gateways".to_owned()).unwrap(),
            description: String::new(),
            allowed_control_planes: Vec::new(),
            allow_all_control_planes: true,
            ttl_secs: 60,
            negative_ttl_secs: 5,
            labels: Default::default(),
            managed_by: Default::default(),
            realm: Realm { ttl: 60, negative_ttl: 5, consumer_groups: Vec::new() },
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn principal(directory_id: Uuid) -> Principal {
        Principal {
            id: Uuid::new_v4(),
            directory_id,
            display_name: "payments".to_owned(),
            description: String::new(),
            metadata: Default::default(),
            labels: Default::default(),
            managed_by: Default::default(),
            provisioned_by: String::new(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn a_directory_loaded_before_a_write_is_not_kept() {
        let lookups = Lookups::default();
        let before = lookups.generation();
        lookups.invalidate(Uuid::new_v4());
        let dir = directory();
        let id = dir.id;
        lookups.insert(dir, before);
        assert!(lookups.get(id).is_none());
    }

    #[test]
    fn a_write_drops_the_directorys_answers() {
        let lookups = Lookups::default();
        let dir = directory();
        let id = dir.id;
        let answers = lookups.insert(dir, lookups.generation());
        lookups.remember_key(&answers, [1; 32], None);
        assert!(lookups.get(id).unwrap().key(&[1; 32]).is_some());
        lookups.invalidate(id);
        assert!(lookups.get(id).is_none());
    }

    #[test]
    fn a_flood_of_misses_keeps_the_hits() {
        let lookups = Lookups::default();
        let dir = directory();
        let principal = principal(dir.id);
        let answers = lookups.insert(dir, lookups.generation());
        lookups.remember_key(&answers, [0; 32], Some(Found::new(principal, None)));
        for i in 0..=MAX_MISSES {
            let mut digest = [0u8; 32];
            digest[..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
            lookups.remember_key(&answers, digest, None);
        }
        assert!(matches!(answers.key(&[0; 32]), Some(Some(_))));
        assert!(read(&answers.keys).answers.len() <= MAX_MISSES + 1);
    }
}
