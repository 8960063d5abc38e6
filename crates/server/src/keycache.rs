//! A short-lived cache of access keys (and the RAM user each acts as): the
//! key lookup is on every request's path. Admin changes to keys and users
//! clear it; other servers sharing a database see a change within the TTL.

use physconn_domain::ram::Policy;
use physconn_domain::AccessKey;
use physconn_store::security::RamUser;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// A key, with its secret in the clear, and the RAM user it belongs to.
#[derive(Clone)]
pub struct Principal {
    pub key: AccessKey,
    pub user: Option<RamUser>,
    /// The user's policy, parsed once when the key is loaded rather than on
    /// every request; `None` when there is no user or its policy no longer
    /// parses (which allows nothing).
    pub policy: Option<Policy>,
}

pub struct KeyCache {
    ttl: Duration,
    /// Shared, not copied: a hit used to clone the key, the user and the
    /// parsed policy on every request.
    map: RwLock<HashMap<String, (Arc<Principal>, Instant)>>,
}

impl KeyCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            map: RwLock::new(HashMap::new()),
        }
    }

    pub fn get(&self, id: &str) -> Option<Arc<Principal>> {
        let g = self.map.read().unwrap_or_else(|e| e.into_inner());
        g.get(id)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(p, _)| p.clone())
    }

    pub fn put(&self, p: Arc<Principal>) {
        let mut g = self.map.write().unwrap_or_else(|e| e.into_inner());
        if g.len() > 100_000 {
            g.clear();
        }
        g.insert(p.key.id.clone(), (p, Instant::now()));
    }

    pub fn clear(&self) {
        self.map.write().unwrap_or_else(|e| e.into_inner()).clear();
    }
}
