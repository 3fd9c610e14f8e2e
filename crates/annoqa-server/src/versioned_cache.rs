//! Computed responses kept while what they were computed from has not changed.
//!
//! A scorecards response reads every submission of a project; reading and shaping 100,000 of
//! them costs hundreds of milliseconds, while what it depends on changes only when someone
//! submits, reviews, flags or decides. So the response is kept with the *version* of its
//! sources — a few values that change whenever the sources do, cheap to read from the database
//! on every request — and served again while the version read now equals the kept one. The
//! version lives in the database, not in this process, so writes by another server process on
//! the same database are seen too.
//!
//! The caller must read the version *before* the sources: a response then holds at least what
//! its version says, and a write between the two reads only costs one more computation.
//!
//! The cache is bounded by the bytes of its values; the least recently used go first.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

use axum::body::Bytes;

struct Entry<V> {
    version: V,
    body: Bytes,
    /// When it was last served, in the cache's own ticks.
    used: u64,
}

struct Entries<K, V> {
    map: HashMap<K, Entry<V>>,
    bytes: usize,
    tick: u64,
}

/// Response bodies by key, each with the version of the sources it was computed from.
pub(crate) struct VersionedCache<K, V> {
    entries: Mutex<Entries<K, V>>,
    max_bytes: usize,
}

impl<K: Eq + Hash + Clone, V: PartialEq> VersionedCache<K, V> {
    pub(crate) fn new(max_bytes: usize) -> VersionedCache<K, V> {
        VersionedCache { entries: Mutex::new(Entries { map: HashMap::new(), bytes: 0, tick: 0 }), max_bytes }
    }

    /// The body kept for `key` if it was computed at `version`.
    pub(crate) fn get(&self, key: &K, version: &V) -> Option<Bytes> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.tick += 1;
        let tick = entries.tick;
        let entry = entries.map.get_mut(key).filter(|e| e.version == *version)?;
        entry.used = tick;
        Some(entry.body.clone())
    }

    /// Keeps `body`, computed at `version`, for `key`, replacing what was kept; a body larger
    /// than the whole budget is not kept.
    pub(crate) fn put(&self, key: K, version: V, body: Bytes) {
        if body.len() > self.max_bytes {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.tick += 1;
        let used = entries.tick;
        let size = body.len();
        if let Some(old) = entries.map.insert(key, Entry { version, body, used }) {
            entries.bytes -= old.body.len();
        }
        entries.bytes += size;
        while entries.bytes > self.max_bytes {
            let Some(oldest) = entries.map.iter().min_by_key(|(_, e)| e.used).map(|(k, _)| k.clone()) else { break };
            if let Some(gone) = entries.map.remove(&oldest) {
                entries.bytes -= gone.body.len();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_a_body_only_at_its_version() {
        let cache: VersionedCache<&str, u32> = VersionedCache::new(100);
        assert_eq!(cache.get(&"p", &1), None);
        cache.put("p", 1, Bytes::from_static(b"one"));
        assert_eq!(cache.get(&"p", &1).as_deref(), Some(&b"one"[..]));
        assert_eq!(cache.get(&"p", &2), None, "a newer version is not served the old body");
        cache.put("p", 2, Bytes::from_static(b"two"));
        assert_eq!(cache.get(&"p", &1), None);
        assert_eq!(cache.get(&"p", &2).as_deref(), Some(&b"two"[..]));
    }

    #[test]
    fn stays_within_its_bytes_dropping_the_least_recently_used() {
        let cache: VersionedCache<u8, u8> = VersionedCache::new(10);
        cache.put(1, 0, Bytes::from_static(b"aaaa"));
        cache.put(2, 0, Bytes::from_static(b"bbbb"));
        assert!(cache.get(&1, &0).is_some());
        cache.put(3, 0, Bytes::from_static(b"cccc"));
        assert!(cache.get(&2, &0).is_none(), "2 was used least recently");
        assert!(cache.get(&1, &0).is_some() && cache.get(&3, &0).is_some());
        cache.put(4, 0, Bytes::from_static(b"too large for the cache"));
        assert!(cache.get(&4, &0).is_none());
        assert!(cache.get(&1, &0).is_some(), "a body that cannot fit evicts nothing");
    }
}
