//! A short-lived cache of access keys: the key lookup is on every request's
//! path. Admin changes to keys clear it; other servers sharing a database see
//! a change within the TTL.

use physconn_domain::AccessKey;
use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

pub struct KeyCache {
    ttl: Duration,
    map: RwLock<HashMap<String, (AccessKey, Instant)>>,
}

impl KeyCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            map: RwLock::new(HashMap::new()),
        }
    }

    pub fn get(&self, id: &str) -> Option<AccessKey> {
        let g = self.map.read().unwrap_or_else(|e| e.into_inner());
        g.get(id)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(k, _)| k.clone())
    }

    pub fn put(&self, key: AccessKey) {
        let mut g = self.map.write().unwrap_or_else(|e| e.into_inner());
        if g.len() > 100_000 {
            g.clear();
        }
        g.insert(key.id.clone(), (key, Instant::now()));
    }

    pub fn clear(&self) {
        self.map.write().unwrap_or_else(|e| e.into_inner()).clear();
    }
}
