//! Values a node keeps for a while, each with the time it was read.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use time::{Duration, OffsetDateTime};

pub(super) struct Kept<K, V> {
    entries: HashMap<K, (V, OffsetDateTime)>,
    /// Past this many entries the map starts over rather than grow without bound (keys may
    /// come from requests, so anyone can send many).
    capacity: usize,
}

impl<K: Hash + Eq, V: Clone> Kept<K, V> {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            entries: HashMap::new(),
            capacity,
        }
    }

    /// The value kept under `key`, unless it was read `ttl` or longer ago.
    pub(super) fn get<Q>(&self, key: &Q, now: OffsetDateTime, ttl: Duration) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let (value, read_at) = self.entries.get(key)?;
        (now >= *read_at && now - *read_at < ttl).then(|| value.clone())
    }

    pub(super) fn insert(&mut self, key: K, value: V, read_at: OffsetDateTime) {
        if self.entries.len() >= self.capacity {
            self.entries.clear();
        }
        self.entries.insert(key, (value, read_at));
    }

    pub(super) fn retain(&mut self, mut keep: impl FnMut(&V) -> bool) {
        self.entries.retain(|_, (value, _)| keep(value));
    }

    pub(super) fn clear(&mut self) {
        self.entries.clear();
    }
}
