//! Async locks per key: work for one key (loading a cache entry, verifying one presented
//! secret) runs once while work for other keys goes on.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use tokio::sync::OwnedMutexGuard;

/// Idle locks are dropped once this many keys have been seen.
const PRUNE_ABOVE: usize = 10_000;

pub struct KeyedLocks<K> {
    locks: Mutex<HashMap<K, Arc<tokio::sync::Mutex<()>>>>,
}

impl<K: Eq + Hash + Clone> Default for KeyedLocks<K> {
    fn default() -> Self {
        KeyedLocks { locks: Mutex::new(HashMap::new()) }
    }
}

impl<K: Eq + Hash + Clone> KeyedLocks<K> {
    pub async fn lock(&self, key: &K) -> OwnedMutexGuard<()> {
        let mutex = {
            let mut locks = self.locks.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if locks.len() > PRUNE_ABOVE {
                // Only the map holds an idle lock.
                locks.retain(|_, lock| Arc::strong_count(lock) > 1);
            }
            locks.entry(key.clone()).or_default().clone()
        };
        mutex.lock_owned().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_same_key_is_exclusive_and_other_keys_are_not() {
        let locks = KeyedLocks::<u32>::default();
        let held = locks.lock(&1).await;
        let other = tokio::time::timeout(std::time::Duration::from_millis(50), locks.lock(&2)).await;
        assert!(other.is_ok(), "another key is free");
        let same = tokio::time::timeout(std::time::Duration::from_millis(50), locks.lock(&1)).await;
        assert!(same.is_err(), "the same key waits");
        drop(held);
        assert!(tokio::time::timeout(std::time::Duration::from_millis(50), locks.lock(&1)).await.is_ok());
    }
}
