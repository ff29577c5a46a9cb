//! Stock levels derived from the ledger: what is where, the ledger itself, thresholds,
//! what runs low, and a check that the kept levels agree with the ledger.

use crate::rows::parse_id;
use crate::sql::Sql;
use crate::{from_ms, StoreError, TenantStore};
use loopdesk_core::inventory::{self, Level};
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::{access, TicketId};
use loopdesk_core::{access::Permission, WarehouseId};

use super::*;

impl TenantStore {
    /// Stock levels, optionally of one warehouse and/or one part (a pair that never had a
    /// movement has no row), by warehouse and SKU, at most `limit`.
    pub async fn stock(
        &self,
        actor: &Actor,
        warehouse: Option<WarehouseId>,
        sku: Option<&str>,
        limit: i64,
    ) -> Result<Vec<StockItem>, StoreError> {
        if !access::allowed(actor, Permission::ReadStock) {
            return Err(StoreError::Forbidden);
        }
        let w = warehouse.map(|w| w.to_string());
        self.stock_where(w.as_deref(), sku, limit).await
    }

    pub(crate) async fn stock_where(
        &self,
        warehouse: Option<&str>,
        sku: Option<&str>,
        limit: i64,
    ) -> Result<Vec<StockItem>, StoreError> {
        let mut sql = Sql::new(
            "SELECT warehouse_id, sku, on_hand, reserved FROM stock_levels WHERE tenant_id = ",
        );
        sql.text(self.tid());
        if let Some(w) = warehouse {
            sql.push(" AND warehouse_id = ").text(w);
        }
        if let Some(s) = sku {
            sql.push(" AND sku = ").text(s.trim());
        }
        sql.push(" ORDER BY warehouse_id, sku LIMIT ")
            .int(limit.clamp(1, 10_000));
        let rows: Vec<LevelRow> = sql.query_as().fetch_all(&self.store.read).await?;
        rows.into_iter()
            .map(|r| {
                Ok(StockItem {
                    warehouse_id: parse_id(&r.warehouse_id, WarehouseId::parse)?,
                    sku: r.sku,
                    on_hand: r.on_hand,
                    reserved: r.reserved,
                    available: r.on_hand - r.reserved,
                })
            })
            .collect()
    }

    /// The ledger, newest first: of one warehouse, one part or one ticket when given.
    pub async fn ledger(
        &self,
        actor: &Actor,
        warehouse: Option<WarehouseId>,
        ticket: Option<TicketId>,
        limit: i64,
    ) -> Result<Vec<LedgerLine>, StoreError> {
        if !access::allowed(actor, Permission::ReadStock) {
            return Err(StoreError::Forbidden);
        }
        match (warehouse, ticket) {
            (Some(w), _) => {
                self.ledger_where("m.warehouse_id = $2", &w.to_string(), limit)
                    .await
            }
            (None, Some(t)) => {
                self.ledger_where("m.ticket_id = $2", &t.to_string(), limit)
                    .await
            }
            (None, None) => self.ledger_where("$2 = $2", "", limit).await,
        }
    }

    pub(crate) async fn ledger_where(
        &self,
        condition: &str,
        value: &str,
        limit: i64,
    ) -> Result<Vec<LedgerLine>, StoreError> {
        let rows: Vec<LedgerRow> = sqlx::query_as(&format!(
            "SELECT m.seq, m.id, m.kind, p.sku, m.warehouse_id, m.on_hand_delta, m.reserved_delta, \
             m.ticket_id, m.reason, m.actor_id, m.at FROM stock_movements m JOIN parts p ON p.id = m.part_id \
             WHERE m.tenant_id = $1 AND {condition} ORDER BY m.seq DESC LIMIT $3"
        ))
        .bind(self.tid())
        .bind(value)
        .bind(limit.clamp(1, 10_000))
        .fetch_all(&self.store.read)
        .await?;
        let mut lines: Vec<LedgerLine> = rows
            .into_iter()
            .map(|r| LedgerLine {
                seq: r.seq,
                movement_id: r.id,
                kind: r.kind,
                sku: r.sku,
                warehouse_id: r.warehouse_id,
                on_hand_delta: r.on_hand_delta,
                reserved_delta: r.reserved_delta,
                ticket_id: r.ticket_id,
                reason: r.reason,
                actor_id: r.actor_id,
                at: from_ms(r.at),
            })
            .collect();
        if condition.starts_with("m.id") {
            lines.reverse();
        }
        Ok(lines)
    }

    /// Sets (or, with `None`, clears) the threshold under which a warehouse's free stock of
    /// a part counts as low.
    pub async fn set_threshold(
        &self,
        actor: &Actor,
        warehouse: WarehouseId,
        sku: &str,
        min_available: Option<i64>,
    ) -> Result<(), StoreError> {
        if !access::allowed(actor, Permission::ManageStock) {
            return Err(StoreError::Forbidden);
        }
        if min_available.is_some_and(|m| !(0..=inventory::MAX_QTY).contains(&m)) {
            return field("min_available", "error.invalid_number");
        }
        let part = self.part_by_sku("sku", sku).await?;
        self.require("warehouses", &warehouse.to_string(), "warehouse_id")
            .await?;
        let mut tx = self.store.write.begin().await?;
        sqlx::query("DELETE FROM stock_thresholds WHERE warehouse_id = $1 AND part_id = $2")
            .bind(warehouse.to_string())
            .bind(part.id.to_string())
            .execute(&mut *tx)
            .await?;
        if let Some(min) = min_available {
            sqlx::query(
                "INSERT INTO stock_thresholds (warehouse_id, part_id, tenant_id, min_available) VALUES ($1, $2, $3, $4)",
            )
            .bind(warehouse.to_string())
            .bind(part.id.to_string())
            .bind(self.tid())
            .bind(min)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every warehouse and part whose free stock is below its threshold (a pair without
    /// any stock row counts as zero), worst first.
    pub async fn low_stock(&self, actor: &Actor) -> Result<Vec<LowStock>, StoreError> {
        if !access::allowed(actor, Permission::ReadStock) {
            return Err(StoreError::Forbidden);
        }
        let rows: Vec<LowRow> = sqlx::query_as(
            "SELECT w.id AS warehouse_id, w.name AS warehouse, p.sku, p.name, \
             COALESCE(l.on_hand - l.reserved, 0) AS available, t.min_available \
             FROM stock_thresholds t JOIN warehouses w ON w.id = t.warehouse_id JOIN parts p ON p.id = t.part_id \
             LEFT JOIN stock_levels l ON l.warehouse_id = t.warehouse_id AND l.part_id = t.part_id \
             WHERE t.tenant_id = $1 AND COALESCE(l.on_hand - l.reserved, 0) < t.min_available",
        )
        .bind(self.tid())
        .fetch_all(&self.store.read)
        .await?;
        let mut out = rows
            .into_iter()
            .map(|r| {
                Ok(LowStock {
                    warehouse_id: parse_id(&r.warehouse_id, WarehouseId::parse)?,
                    warehouse: r.warehouse,
                    sku: r.sku,
                    name: r.name,
                    available: r.available,
                    min_available: r.min_available,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        out.sort_by_key(|l| (l.available - l.min_available, l.sku.clone()));
        Ok(out)
    }

    /// Pairs whose stored level is not the sum of their ledger lines (none, unless the
    /// database was edited by hand): `(warehouse, sku, stored, summed)`.
    pub async fn stock_disagreements(
        &self,
    ) -> Result<Vec<(String, String, Level, Level)>, StoreError> {
        let rows: Vec<DisagreementRow> = sqlx::query_as(
            "WITH s AS (SELECT warehouse_id, part_id, SUM(on_hand_delta) AS on_hand, SUM(reserved_delta) AS reserved \
               FROM stock_movements WHERE tenant_id = $1 GROUP BY warehouse_id, part_id) \
             SELECT s.warehouse_id, p.sku, COALESCE(l.on_hand, 0) AS stored_on_hand, \
             COALESCE(l.reserved, 0) AS stored_reserved, s.on_hand AS summed_on_hand, s.reserved AS summed_reserved \
             FROM s JOIN parts p ON p.id = s.part_id \
             LEFT JOIN stock_levels l ON l.warehouse_id = s.warehouse_id AND l.part_id = s.part_id \
             WHERE COALESCE(l.on_hand, 0) <> s.on_hand OR COALESCE(l.reserved, 0) <> s.reserved \
             UNION ALL \
             SELECT l.warehouse_id, l.sku, l.on_hand, l.reserved, 0, 0 FROM stock_levels l \
             LEFT JOIN s ON s.warehouse_id = l.warehouse_id AND s.part_id = l.part_id \
             WHERE l.tenant_id = $1 AND s.warehouse_id IS NULL AND (l.on_hand <> 0 OR l.reserved <> 0)",
        )
        .bind(self.tid())
        .fetch_all(&self.store.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                (
                    r.warehouse_id,
                    r.sku,
                    Level {
                        on_hand: r.stored_on_hand,
                        reserved: r.stored_reserved,
                    },
                    Level {
                        on_hand: r.summed_on_hand,
                        reserved: r.summed_reserved,
                    },
                )
            })
            .collect())
    }
}

/// A stock level row.
#[derive(sqlx::FromRow)]
struct LevelRow {
    warehouse_id: String,
    sku: String,
    on_hand: i64,
    reserved: i64,
}

/// A ledger line with its part's SKU.
#[derive(sqlx::FromRow)]
struct LedgerRow {
    seq: i64,
    id: String,
    kind: String,
    sku: String,
    warehouse_id: String,
    on_hand_delta: i64,
    reserved_delta: i64,
    ticket_id: Option<String>,
    reason: Option<String>,
    actor_id: Option<String>,
    at: i64,
}

/// A part running low in a warehouse.
#[derive(sqlx::FromRow)]
struct LowRow {
    warehouse_id: String,
    warehouse: String,
    sku: String,
    name: String,
    available: i64,
    min_available: i64,
}

/// A level that is not the sum of its ledger lines.
#[derive(sqlx::FromRow)]
struct DisagreementRow {
    warehouse_id: String,
    sku: String,
    stored_on_hand: i64,
    stored_reserved: i64,
    summed_on_hand: i64,
    summed_reserved: i64,
}
