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

    /// The tenant's value however old, and whether it is still within its time (a caller
    /// may answer with an old value while it makes a new one).
    pub(crate) fn get_aged(&self, tenant: TenantId) -> Option<(V, bool)> {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&tenant)
            .map(|(v, at)| (v.clone(), at.elapsed() < self.ttl))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_old_value_is_still_answered_when_asked_for_with_its_age() {
        let cache = TenantCache::new(Duration::from_millis(30));
        let tenant = TenantId::new();
        assert_eq!(cache.get_aged(tenant), None);
        cache.put(tenant, 7);
        assert_eq!(cache.get(tenant), Some(7));
        assert_eq!(cache.get_aged(tenant), Some((7, true)));
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(cache.get(tenant), None, "expired");
        assert_eq!(cache.get_aged(tenant), Some((7, false)), "but kept");
        cache.put(tenant, 8);
        assert_eq!(cache.get_aged(tenant), Some((8, true)));
        cache.forget(tenant);
        assert_eq!(cache.get_aged(tenant), None);
    }
}
