//! Merging a duplicate customer into the one that stays: everything of the duplicate's
//! (contacts, sites, equipment, tickets, contracts, portal accounts) moves over, the
//! duplicate is removed, and the merge is kept on the survivor's card.

use chrono::{DateTime, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::customer;
use loopdesk_core::search::Kind;
use loopdesk_core::ticket::Actor;
use loopdesk_core::validate::FieldError;
use loopdesk_core::{CustomerId, RegionId};
use serde::Serialize;
use utoipa::ToSchema;

use crate::rows::parse_opt_id;
use crate::search::index;
use crate::{from_ms, ms, StoreError, TenantStore};

/// The tables whose rows belong to a customer and follow it into the survivor.
const OWNED: [&str; 7] = [
    "contacts",
    "sites",
    "assets",
    "tickets",
    "contracts",
    "users",
    "calls",
];

/// How many documents of one kind are read and cut in one statement after a merge.
const REINDEX_CHUNK: usize = 500;

/// A customer merged into this one.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CustomerMerge {
    /// The merged customer's id (gone; its page leads here).
    pub merged_id: String,
    /// Its name at the time.
    pub merged_name: String,
    /// Who merged it.
    pub merged_by: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct Party {
    name: String,
    region_id: Option<String>,
    tags: String,
    version: i64,
}

impl TenantStore {
    /// Merges `duplicate` into `survivor` (those who edit customers), if `version` is still
    /// the survivor's (else `Stale`, nothing changed): all in one transaction, the search
    /// documents of everything that moved rewritten. Answers the survivor's new version.
    pub async fn merge_customers(
        &self,
        actor: &Actor,
        survivor: CustomerId,
        version: i64,
        duplicate: CustomerId,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        if !access::allowed(actor, Permission::WriteCustomers) {
            return Err(StoreError::Forbidden);
        }
        let tid = self.tid();
        let mut tx = self.store.write.begin().await?;
        let mut parties = Vec::with_capacity(2);
        for id in [survivor, duplicate] {
            let party: Option<Party> = sqlx::query_as(
                "SELECT name, region_id, tags, version FROM customers \
                 WHERE tenant_id = $1 AND id = $2",
            )
            .bind(&tid)
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await?;
            parties.push(party);
        }
        let (Some(kept), dup) = (parties.remove(0), parties.remove(0)) else {
            return Err(StoreError::NotFound);
        };
        let Some(dup) = dup else {
            return Err(StoreError::Invalid(FieldError {
                field: "duplicate_id",
                reason: "error.not_found",
            }));
        };
        if kept.version != version {
            return Err(StoreError::Stale {
                current: kept.version,
            });
        }
        let tags = |json: &str| -> Result<Vec<String>, StoreError> {
            serde_json::from_str(json).map_err(|_| StoreError::Corrupt("customer tags".into()))
        };
        let (kept_tags, dup_tags) = (tags(&kept.tags)?, tags(&dup.tags)?);
        let (region, merged_tags) = customer::merged(
            (
                survivor,
                parse_opt_id(kept.region_id, RegionId::parse)?,
                &kept_tags,
            ),
            (
                duplicate,
                parse_opt_id(dup.region_id, RegionId::parse)?,
                &dup_tags,
            ),
        )?;
        let (kept_id, dup_id) = (survivor.to_string(), duplicate.to_string());
        let moved_tickets = ids_of(&mut tx, "tickets", &tid, &dup_id).await?;
        let moved_assets = ids_of(&mut tx, "assets", &tid, &dup_id).await?;
        for table in OWNED {
            sqlx::query(&format!(
                "UPDATE {table} SET customer_id = $1 WHERE tenant_id = $2 AND customer_id = $3"
            ))
            .bind(&kept_id)
            .bind(&tid)
            .bind(&dup_id)
            .execute(&mut *tx)
            .await?;
        }
        let json = serde_json::to_string(&merged_tags)
            .map_err(|_| StoreError::Corrupt("customer tags".into()))?;
        let changed = sqlx::query(
            "UPDATE customers SET tags = $1, region_id = $2, version = version + 1, \
             updated_at = $3 WHERE tenant_id = $4 AND id = $5 AND version = $6",
        )
        .bind(json)
        .bind(region.map(|r| r.to_string()))
        .bind(ms(now))
        .bind(&tid)
        .bind(&kept_id)
        .bind(version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed != 1 {
            return Err(StoreError::Stale {
                current: version + 1,
            });
        }
        // Earlier merges into the duplicate now lead to the survivor too.
        sqlx::query(
            "UPDATE customer_merges SET survivor_id = $1 WHERE tenant_id = $2 AND survivor_id = $3",
        )
        .bind(&kept_id)
        .bind(&tid)
        .bind(&dup_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO customer_merges (merged_id, tenant_id, survivor_id, merged_name, \
             merged_by, at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&dup_id)
        .bind(&tid)
        .bind(&kept_id)
        .bind(&dup.name)
        .bind(actor.user_id().map(|u| u.to_string()))
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM customers WHERE tenant_id = $1 AND id = $2")
            .bind(&tid)
            .bind(&dup_id)
            .execute(&mut *tx)
            .await?;
        index::delete_docs(&mut tx, &tid, Kind::Customer, std::slice::from_ref(&dup_id)).await?;
        index::refresh(
            &mut tx,
            &tid,
            Kind::Customer,
            std::slice::from_ref(&kept_id),
        )
        .await?;
        for chunk in moved_tickets.chunks(REINDEX_CHUNK) {
            index::refresh(&mut tx, &tid, Kind::Ticket, chunk).await?;
        }
        for chunk in moved_assets.chunks(REINDEX_CHUNK) {
            index::refresh(&mut tx, &tid, Kind::Asset, chunk).await?;
        }
        tx.commit().await?;
        Ok(version + 1)
    }

    /// The customers merged into this one, newest first.
    pub async fn customer_merges(&self, id: CustomerId) -> Result<Vec<CustomerMerge>, StoreError> {
        let rows: Vec<(String, String, Option<String>, i64)> = sqlx::query_as(
            "SELECT m.merged_id, m.merged_name, u.display_name, m.at FROM customer_merges m \
             LEFT JOIN users u ON u.id = m.merged_by \
             WHERE m.tenant_id = $1 AND m.survivor_id = $2 ORDER BY m.at DESC, m.merged_id",
        )
        .bind(self.tid())
        .bind(id.to_string())
        .fetch_all(&self.store.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(merged_id, merged_name, merged_by, at)| CustomerMerge {
                merged_id,
                merged_name,
                merged_by,
                at: from_ms(at),
            })
            .collect())
    }

    /// The customer a merged-away customer now lives on as, if it was merged.
    pub async fn merged_into(&self, id: CustomerId) -> Result<Option<CustomerId>, StoreError> {
        let survivor: Option<String> = sqlx::query_scalar(
            "SELECT survivor_id FROM customer_merges WHERE tenant_id = $1 AND merged_id = $2",
        )
        .bind(self.tid())
        .bind(id.to_string())
        .fetch_optional(&self.store.read)
        .await?;
        parse_opt_id(survivor, CustomerId::parse)
    }
}

/// The ids of a customer's rows in `table`.
async fn ids_of(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    table: &str,
    tenant: &str,
    customer: &str,
) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(&format!(
        "SELECT id FROM {table} WHERE tenant_id = $1 AND customer_id = $2 ORDER BY id"
    ))
    .bind(tenant)
    .bind(customer)
    .fetch_all(&mut **tx)
    .await?)
}
