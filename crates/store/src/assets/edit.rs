//! Changing an asset from its card: its model, serial and dates, and moving it to another
//! site (or to another customer's site), each move kept for the card's history.

use chrono::{DateTime, Utc};
use loopdesk_core::asset::{self, AssetEdit};
use loopdesk_core::customer::NewAsset;
use loopdesk_core::search::Kind;
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::{access, access::Permission, AssetId};
use serde::Serialize;
use utoipa::ToSchema;

use crate::search::index;
use crate::{from_ms, ms, Asset, StoreError, TenantStore};

/// A move of an asset from one site to another.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AssetMove {
    /// The site it left.
    pub from_site: String,
    /// The site it went to.
    pub to_site: String,
    /// The customer it left, when it changed hands.
    pub from_customer: Option<String>,
    /// Why.
    pub note: Option<String>,
    /// Who moved it.
    pub moved_by: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

impl TenantStore {
    /// Changes an asset (those who edit customers), if `version` is still the stored one (else
    /// `Stale`, nothing changed): checked as a new asset is (the site must be the customer's,
    /// the serial unique). A new site is a move, kept with its note. Answers the asset.
    pub async fn edit_asset(
        &self,
        actor: &Actor,
        id: AssetId,
        version: i64,
        edit: AssetEdit,
        now: DateTime<Utc>,
    ) -> Result<Asset, StoreError> {
        if !access::allowed(actor, Permission::WriteCustomers) {
            return Err(StoreError::Forbidden);
        }
        let current = self.visible_asset(actor, id).await?;
        if current.version != version {
            return Err(StoreError::Stale {
                current: current.version,
            });
        }
        let as_new = NewAsset {
            customer_id: current.customer_id,
            site_id: current.site_id,
            model: current.model.clone(),
            serial: current.serial.clone(),
            installed_on: current.installed_on.clone(),
            warranty_until: current.warranty_until.clone(),
            fields: Some(current.fields.clone()),
        };
        let (next, note) = asset::edited(&as_new, &edit)?;
        let checked = self.check_asset(next, Some(current.status)).await?;
        let mut tx = self.store.write.begin().await?;
        let changed = sqlx::query(
            "UPDATE assets SET customer_id = $1, site_id = $2, model = $3, serial = $4, installed_on = $5, \
             warranty_until = $6, version = version + 1 WHERE tenant_id = $7 AND id = $8 AND version = $9",
        )
        .bind(checked.customer_id.to_string())
        .bind(checked.site_id.to_string())
        .bind(&checked.model)
        .bind(&checked.serial)
        .bind(&checked.installed_on)
        .bind(&checked.warranty_until)
        .bind(self.tid())
        .bind(id.to_string())
        .bind(version)
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::on_unique(e, "serial"))?
        .rows_affected();
        if changed != 1 {
            // Another change landed between the read and the write.
            return Err(StoreError::Stale {
                current: version + 1,
            });
        }
        if checked.site_id != current.site_id {
            sqlx::query(
                "INSERT INTO asset_moves (id, tenant_id, asset_id, from_customer_id, from_site_id, \
                 to_customer_id, to_site_id, note, moved_by, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(self.tid())
            .bind(id.to_string())
            .bind(current.customer_id.to_string())
            .bind(current.site_id.to_string())
            .bind(checked.customer_id.to_string())
            .bind(checked.site_id.to_string())
            .bind(note)
            .bind(actor.user_id().map(|u| u.to_string()))
            .bind(ms(now))
            .execute(&mut *tx)
            .await?;
        }
        index::refresh(&mut tx, &self.tid(), Kind::Asset, &[id.to_string()]).await?;
        tx.commit().await?;
        self.asset(id).await
    }

    /// Where an asset has been, newest move first (site names, and the customer's name when
    /// it changed hands).
    pub async fn asset_moves(&self, id: AssetId) -> Result<Vec<AssetMove>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            from_site: String,
            to_site: String,
            from_customer: Option<String>,
            note: Option<String>,
            moved_by: Option<String>,
            at: i64,
        }
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT fs.name AS from_site, ts.name AS to_site, \
             CASE WHEN m.from_customer_id <> m.to_customer_id THEN fc.name END AS from_customer, \
             m.note, u.display_name AS moved_by, m.at FROM asset_moves m \
             JOIN sites fs ON fs.id = m.from_site_id JOIN sites ts ON ts.id = m.to_site_id \
             JOIN customers fc ON fc.id = m.from_customer_id \
             LEFT JOIN users u ON u.id = m.moved_by \
             WHERE m.tenant_id = $1 AND m.asset_id = $2 ORDER BY m.at DESC, m.id DESC LIMIT 200",
        )
        .bind(self.tid())
        .bind(id.to_string())
        .fetch_all(&self.store.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| AssetMove {
                from_site: r.from_site,
                to_site: r.to_site,
                from_customer: r.from_customer,
                note: r.note,
                moved_by: r.moved_by,
                at: from_ms(r.at),
            })
            .collect())
    }
}
