//! Contacts and sites changed or removed from the customer's card. A removed one is kept
//! (marked `removed_at`) for the tickets that name it, and is left out everywhere else.

use chrono::{DateTime, Utc};
use loopdesk_core::customer::{self, NewSite};
use loopdesk_core::search::Kind;
use loopdesk_core::{ContactId, CustomerId, SiteId};

use crate::search::index;
use crate::sql::{Arg, Sql};
use crate::{ms, StoreError, TenantStore};

impl TenantStore {
    /// Removes a contact from the customer (someone who left): no longer found by their
    /// phone, mailed or offered at intake; their tickets keep their name. `NotFound` when
    /// the customer has no such contact.
    pub async fn remove_contact(
        &self,
        customer: CustomerId,
        contact: ContactId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let tid = self.tid();
        let mut tx = self.store.write.begin().await?;
        let changed = sqlx::query(
            "UPDATE contacts SET removed_at = $1 \
             WHERE tenant_id = $2 AND customer_id = $3 AND id = $4 AND removed_at IS NULL",
        )
        .bind(ms(now))
        .bind(&tid)
        .bind(customer.to_string())
        .bind(contact.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        index::refresh(&mut tx, &tid, Kind::Customer, &[customer.to_string()]).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Replaces a site's name, address, position, region and geofence, checked as a new
    /// site is (the region defaults to the customer's). `NotFound` when the customer has no
    /// such site.
    pub async fn edit_site(
        &self,
        customer: CustomerId,
        site: SiteId,
        s: NewSite,
    ) -> Result<(), StoreError> {
        let region: Option<Option<String>> =
            sqlx::query_scalar("SELECT region_id FROM customers WHERE tenant_id = $1 AND id = $2")
                .bind(self.tid())
                .bind(customer.to_string())
                .fetch_optional(&self.store.read)
                .await?;
        let Some(region) = region else {
            return Err(StoreError::NotFound);
        };
        let region = region.and_then(|r| loopdesk_core::RegionId::parse(&r));
        let drawn = self.drawn_regions().await?;
        let s = customer::site(&crate::users::placed(s, &drawn), region)?;
        if let Some(r) = s.region_id {
            self.require("regions", &r.to_string(), "region_id").await?;
        }
        let tid = self.tid();
        let mut tx = self.store.write.begin().await?;
        let mut sql = Sql::new("UPDATE sites SET name = ");
        sql.text(s.name)
            .push(", address = ")
            .text(s.address)
            .push(", lat = ")
            .float_or_null(s.lat)
            .push(", lon = ")
            .float_or_null(s.lon)
            .push(", region_id = ")
            .bind(Arg::Text(s.region_id.map(|r| r.to_string())))
            .push(", geofence_m = ")
            .float_or_null(s.geofence_m)
            .push(" WHERE tenant_id = ")
            .text(tid.clone())
            .push(" AND customer_id = ")
            .text(customer.to_string())
            .push(" AND id = ")
            .text(site.to_string())
            .push(" AND removed_at IS NULL");
        if sql.query().execute(&mut *tx).await?.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let assets: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM assets WHERE tenant_id = $1 AND site_id = $2 ORDER BY id",
        )
        .bind(&tid)
        .bind(site.to_string())
        .fetch_all(&mut *tx)
        .await?;
        index::refresh(&mut tx, &tid, Kind::Customer, &[customer.to_string()]).await?;
        index::refresh(&mut tx, &tid, Kind::Asset, &assets).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a site from the customer, when no equipment stands there and no open ticket
    /// waits there (else the field error says which). `NotFound` when the customer has no
    /// such site.
    pub async fn remove_site(
        &self,
        customer: CustomerId,
        site: SiteId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let tid = self.tid();
        let open = loopdesk_core::Status::OPEN
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect::<Vec<_>>();
        let mut tx = self.store.write.begin().await?;
        // The site row is held (PostgreSQL) while it is checked and marked.
        let found: Option<String> = sqlx::query_scalar(&format!(
            "SELECT id FROM sites WHERE tenant_id = $1 AND customer_id = $2 AND id = $3 \
             AND removed_at IS NULL{}",
            self.store.backend.for_update()
        ))
        .bind(&tid)
        .bind(customer.to_string())
        .bind(site.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        if found.is_none() {
            return Err(StoreError::NotFound);
        }
        let assets: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM assets WHERE tenant_id = $1 AND site_id = $2")
                .bind(&tid)
                .bind(site.to_string())
                .fetch_one(&mut *tx)
                .await?;
        let mut waiting = Sql::new("SELECT COUNT(*) FROM tickets WHERE tenant_id = ");
        waiting
            .text(tid.clone())
            .push(" AND site_id = ")
            .text(site.to_string())
            .push(" AND ")
            .in_list("status", &open);
        let (open_tickets,): (i64,) = waiting.query_as().fetch_one(&mut *tx).await?;
        customer::site_removal(assets, open_tickets)?;
        sqlx::query("UPDATE sites SET removed_at = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(ms(now))
            .bind(&tid)
            .bind(site.to_string())
            .execute(&mut *tx)
            .await?;
        index::refresh(&mut tx, &tid, Kind::Customer, &[customer.to_string()]).await?;
        tx.commit().await?;
        Ok(())
    }
}
