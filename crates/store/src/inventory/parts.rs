//! The parts catalogue (SKUs, prices in fen), one at a time or a sheet at once.

use crate::dialect::{contains_pattern, LIKE_ESCAPE};
use crate::rows::parse_id;
use crate::sql::{Arg, Sql};
use crate::{ms, StoreError, TenantStore};
use chrono::{DateTime, Utc};
use loopdesk_core::access::Permission;
use loopdesk_core::inventory::{self, NewPart};
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::{access, PartId};
use serde_json::json;

use super::*;

impl TenantStore {
    /// Adds a part to the catalogue.
    pub async fn create_part(
        &self,
        actor: &Actor,
        new: NewPart,
        now: DateTime<Utc>,
    ) -> Result<Part, StoreError> {
        if !access::allowed(actor, Permission::ManageStock) {
            return Err(StoreError::Forbidden);
        }
        let p = inventory::part(&new)?;
        let id = PartId::new();
        sqlx::query(
            "INSERT INTO parts (id, tenant_id, sku, name, unit, cost_fen, price_fen, models, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id.to_string())
        .bind(self.tid())
        .bind(&p.sku)
        .bind(&p.name)
        .bind(&p.unit)
        .bind(p.cost_fen)
        .bind(p.price_fen)
        .bind(json!(p.models).to_string())
        .bind(ms(now))
        .execute(&self.store.write)
        .await
        .map_err(|e| StoreError::on_unique(e, "sku"))?;
        Ok(Part {
            id,
            sku: p.sku,
            name: p.name,
            unit: p.unit,
            cost: yuan(p.cost_fen),
            price: yuan(p.price_fen),
            models: p.models,
            cost_fen: p.cost_fen,
        })
    }

    /// Parts whose SKU or name contains `q` (all when empty), by SKU, at most `limit`.
    pub async fn parts(&self, actor: &Actor, q: &str, limit: i64) -> Result<Vec<Part>, StoreError> {
        if !access::allowed(actor, Permission::ReadStock) {
            return Err(StoreError::Forbidden);
        }
        let like = contains_pattern(q.trim());
        let rows: Vec<PartRow> = sqlx::query_as(&format!(
            "SELECT id, sku, name, unit, cost_fen, price_fen, models FROM parts \
             WHERE tenant_id = $1 AND (sku {ilike} $2{LIKE_ESCAPE} OR name {ilike} $2{LIKE_ESCAPE}) \
             ORDER BY sku LIMIT $3",
            ilike = self.store.backend.ilike()
        ))
        .bind(self.tid())
        .bind(like)
        .bind(limit.clamp(1, 1000))
        .fetch_all(&self.store.read)
        .await?;
        rows.into_iter().map(part_of).collect()
    }

    pub(crate) async fn part_by_sku(
        &self,
        field_name: &'static str,
        sku: &str,
    ) -> Result<Part, StoreError> {
        let sku = inventory::sku(field_name, sku)?;
        let row: Option<PartRow> = sqlx::query_as(
            "SELECT id, sku, name, unit, cost_fen, price_fen, models FROM parts WHERE tenant_id = $1 AND sku = $2",
        )
        .bind(self.tid())
        .bind(&sku)
        .fetch_optional(&self.store.read)
        .await?;
        match row {
            Some(r) => part_of(r),
            None => field(field_name, "error.unknown_sku"),
        }
    }

    /// Every part's id by SKU.
    pub async fn part_ids(&self) -> Result<std::collections::HashMap<String, PartId>, StoreError> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT sku, id FROM parts WHERE tenant_id = $1")
                .bind(self.tid())
                .fetch_all(&self.store.read)
                .await?;
        rows.into_iter()
            .map(|(sku, id)| Ok((sku, parse_id(&id, PartId::parse)?)))
            .collect()
    }

    /// Adds many parts at once, all or none (a catalogue import): one invalid part, or a SKU
    /// taken or given twice, refuses the whole batch.
    pub async fn create_parts(
        &self,
        actor: &Actor,
        parts: &[NewPart],
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        if !access::allowed(actor, Permission::ManageStock) {
            return Err(StoreError::Forbidden);
        }
        let valid = parts
            .iter()
            .map(inventory::part)
            .collect::<Result<Vec<_>, _>>()?;
        let mut tx = self.store.write.begin().await?;
        for chunk in valid.chunks(500) {
            let rows = chunk.iter().map(|p| {
                vec![
                    Arg::Text(Some(PartId::new().to_string())),
                    Arg::Text(Some(self.tid())),
                    Arg::Text(Some(p.sku.clone())),
                    Arg::Text(Some(p.name.clone())),
                    Arg::Text(Some(p.unit.clone())),
                    Arg::OptInt(p.cost_fen),
                    Arg::OptInt(p.price_fen),
                    Arg::Text(Some(json!(p.models).to_string())),
                    Arg::Int(ms(now)),
                ]
            });
            Sql::new(
                "INSERT INTO parts (id, tenant_id, sku, name, unit, cost_fen, price_fen, models, created_at) VALUES ",
            )
            .rows(rows)
            .positional_on(&tx)
            .query()
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::on_unique(e, "sku"))?;
        }
        tx.commit().await?;
        Ok(valid.len())
    }
}
