//! Idempotency keys: a request retried with the same key answers what the first one did,
//! and a different request under a used key is refused.

use chrono::{DateTime, Utc};
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::UserId;
use sqlx::{Any, Transaction};

use crate::{ms, StoreError, TenantStore};

/// An idempotency key and the hash of the request that came with it.
#[derive(Clone, Debug)]
pub struct Idempotency {
    /// The client's key.
    pub key: String,
    /// SHA-256 of the request body.
    pub request_hash: String,
}

/// Claims an idempotency key inside `tx`; answers the resource of an earlier request with
/// the same key, or `IdempotencyMismatch` when that request was a different one. On
/// PostgreSQL a concurrent duplicate waits here for the first to commit.
pub(crate) async fn claim_key(
    tx: &mut Transaction<'_, Any>,
    tenant: &str,
    user: UserId,
    idem: &Idempotency,
    resource: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (tenant_id, user_id, key, request_hash, resource_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, user_id, key) DO NOTHING",
    )
    .bind(tenant)
    .bind(user.to_string())
    .bind(&idem.key)
    .bind(&idem.request_hash)
    .bind(resource)
    .bind(ms(now))
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(None);
    }
    let (hash, existing): (String, String) = sqlx::query_as(
        "SELECT request_hash, resource_id FROM idempotency_keys WHERE tenant_id = $1 AND user_id = $2 AND key = $3",
    )
    .bind(tenant)
    .bind(user.to_string())
    .bind(&idem.key)
    .fetch_one(&mut **tx)
    .await?;
    if hash != idem.request_hash {
        return Err(StoreError::IdempotencyMismatch);
    }
    Ok(Some(existing))
}

impl TenantStore {
    /// True when the caller already made a request under this idempotency key (a form sent
    /// again from a phone's offline queue, for instance).
    pub async fn idempotency_used(&self, actor: &Actor, key: &str) -> Result<bool, StoreError> {
        let Some(user) = actor.user_id() else {
            return Ok(false);
        };
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM idempotency_keys WHERE tenant_id = $1 AND user_id = $2 AND key = $3",
        )
        .bind(self.tid())
        .bind(user.to_string())
        .bind(key)
        .fetch_optional(&self.store.write)
        .await?;
        Ok(found.is_some())
    }
}

/// The key space of idempotency keys claimed by the system itself (no user).
const SYSTEM_KEYS: uuid::Uuid = uuid::Uuid::nil();

/// The user whose idempotency keys a creation claims: the system's own when none.
pub(crate) fn key_owner(user: Option<UserId>) -> UserId {
    user.unwrap_or(UserId::from_uuid(SYSTEM_KEYS))
}
