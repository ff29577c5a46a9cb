//! Loading a whole stock ledger at once (a migration from another system).

use crate::sql::{Arg, Sql};
use crate::{ms, StoreError, TenantStore};
use loopdesk_core::inventory::Level;
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::{access, PartId};
use loopdesk_core::{access::Permission, WarehouseId};

use super::*;

impl TenantStore {
    /// Loads ledger history (from the system Loopdesk replaces, or a benchmark's generated
    /// data) in one transaction: the lines, and the levels they add up to. Refused with
    /// nothing written when a level would end below zero.
    pub async fn load_ledger(&self, actor: &Actor, lines: &[LoadLine]) -> Result<(), StoreError> {
        if !access::allowed(actor, Permission::ManageStock) {
            return Err(StoreError::Forbidden);
        }
        self.import_cache(true).await?;
        let loaded = self.write_ledger(lines).await;
        self.import_cache(false).await?;
        loaded
    }

    pub(crate) async fn write_ledger(&self, lines: &[LoadLine]) -> Result<(), StoreError> {
        let tid = self.tid();
        let mut tx = self.store.write.begin().await?;
        for chunk in lines.chunks(800) {
            let rows = chunk.iter().map(|l| {
                vec![
                    Arg::Text(Some(l.movement.to_string())),
                    Arg::Text(Some(tid.clone())),
                    Arg::Text(Some(l.kind.as_str().to_owned())),
                    Arg::Text(Some(l.part.to_string())),
                    Arg::Text(Some(l.warehouse.to_string())),
                    Arg::Int(l.on_hand),
                    Arg::Int(l.reserved),
                    Arg::Text(None),
                    Arg::Text(None),
                    Arg::Text(None),
                    Arg::Int(ms(l.at)),
                ]
            });
            Sql::new(
                "INSERT INTO stock_movements (id, tenant_id, kind, part_id, warehouse_id, on_hand_delta, \
                 reserved_delta, ticket_id, reason, actor_id, at) VALUES ",
            )
            .rows(rows)
            .positional_on(&tx)
            .query()
            .execute(&mut *tx)
            .await?;
        }
        let mut sums: std::collections::HashMap<(WarehouseId, PartId), (&str, Level)> =
            std::collections::HashMap::new();
        for l in lines {
            let e = sums
                .entry((l.warehouse, l.part))
                .or_insert((l.sku.as_str(), Level::default()));
            e.1.on_hand += l.on_hand;
            e.1.reserved += l.reserved;
        }
        let pairs: Vec<_> = sums.into_iter().collect();
        for chunk in pairs.chunks(800) {
            let rows = chunk.iter().map(|((w, p), (sku, level))| {
                vec![
                    Arg::Text(Some(w.to_string())),
                    Arg::Text(Some(p.to_string())),
                    Arg::Text(Some(tid.clone())),
                    Arg::Text(Some((*sku).to_owned())),
                    Arg::Int(level.on_hand),
                    Arg::Int(level.reserved),
                ]
            });
            Sql::new("INSERT INTO stock_levels (warehouse_id, part_id, tenant_id, sku, on_hand, reserved) VALUES ")
                .rows(rows)
                .push(
                    " ON CONFLICT (warehouse_id, part_id) DO UPDATE SET \
                     on_hand = stock_levels.on_hand + excluded.on_hand, \
                     reserved = stock_levels.reserved + excluded.reserved",
                )
                .positional_on(&tx)
                .query()
                .execute(&mut *tx)
                .await?;
            let keys = chunk.iter().map(|((w, p), _)| {
                vec![
                    Arg::Text(Some(w.to_string())),
                    Arg::Text(Some(p.to_string())),
                ]
            });
            let mut check = Sql::new("SELECT COUNT(*) FROM stock_levels l JOIN (VALUES ");
            let negative: i64 = check
                .rows(keys)
                .push(
                    ") v ON l.warehouse_id = v.column1 AND l.part_id = v.column2 \
                     WHERE l.on_hand < 0 OR l.reserved < 0 OR l.reserved > l.on_hand",
                )
                .positional_on(&tx)
                .query_as::<(i64,)>()
                .fetch_one(&mut *tx)
                .await?
                .0;
            if negative > 0 {
                return Err(StoreError::Refused {
                    reason: "error.ledger_below_zero",
                    gone: false,
                });
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
