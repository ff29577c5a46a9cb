//! A small per-tenant cache for configuration read on hot paths (settings, SLA policies):
//! an entry lives for a fixed time, so a change made by another instance shows within it;
//! this instance forgets an entry at once when it changes the data behind it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use loopdesk_core::TenantId;

/// Values per tenant, each kept for `ttl`.
#[derive(Debug)]
pub(crate) struct TenantCache<V> {
    ttl: Duration,
    map: Arc<Mutex<HashMap<TenantId, (V, Instant)>>>,
}

impl<V> Clone for TenantCache<V> {
    fn clone(&self) -> Self {
        TenantCache {
            ttl: self.ttl,
            map: self.map.clone(),
        }
    }
}

impl<V: Clone> TenantCache<V> {
    /// An empty cache whose entries live for `ttl`.
    pub(crate) fn new(ttl: Duration) -> Self {
        TenantCache {
            ttl,
            map: Arc::default(),
        }
    }

    /// The tenant's value, unless absent or expired.
    pub(crate) fn get(&self, tenant: TenantId) -> Option<V> {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&tenant)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(v, _)| v.clone())
    }

    /// Remembers the tenant's value from now.
    pub(crate) fn put(&self, tenant: TenantId, value: V) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(tenant, (value, Instant::now()));
    }

    /// Forgets the tenant's value (after changing it).
    pub(crate) fn forget(&self, tenant: TenantId) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&tenant);
    }
}
