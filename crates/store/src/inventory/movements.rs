//! Stock movements (receive, transfer, reserve, consume, return): the append-only ledger
//! that every level is derived from, and the van stock a work report consumes.

use crate::idempotency::{claim_key, Idempotency};
use crate::outbox::{insert_jobs, NewJob};
use crate::rows::parse_id;
use crate::sql::{Arg, Sql};
use crate::{ms, Backend, StoreError, TenantStore};
use chrono::{DateTime, Utc};
use loopdesk_core::inventory::WarehouseKind;
use loopdesk_core::inventory::{self, Level, Line, Movement, MovementRequest, Shortage};
use loopdesk_core::job::{self, Job};
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::validate::FieldError;
use loopdesk_core::WarehouseId;
use loopdesk_core::{MovementId, PartId, TicketId, UserId};
use sqlx::{Any, Transaction};

use super::*;

/// Kinds whose one warehouse is where units arrive.
pub(crate) fn arriving(kind: inventory::MovementKind) -> bool {
    use inventory::MovementKind as K;
    matches!(kind, K::Receive | K::Return | K::Adjust)
}

/// Writes a checked movement inside `tx`: locks the level rows it touches (in warehouse
/// order), asks `core::inventory` for the lines and whether the levels allow them, then
/// writes the lines, the levels, the ticket's reservation and, when a level crosses its
/// threshold, a low-stock alert in the outbox. Answers the levels after it.
#[expect(clippy::too_many_arguments, reason = "the movement's parts, named")]
pub(crate) async fn apply_movement(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    tenant: &str,
    (part_id, sku): (&PartId, &str),
    m: &Movement,
    id: MovementId,
    actor: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<Vec<StockItem>, StoreError> {
    let part = part_id.to_string();
    let mut touched: Vec<WarehouseId> = std::iter::once(m.warehouse).chain(m.to).collect();
    touched.sort();
    // A movement that adds units to a warehouse may be the pair's first: make its row.
    let adds =
        |w: WarehouseId| m.to == Some(w) || (w == m.warehouse && arriving(m.kind) && m.qty > 0);
    let mut before: Vec<(WarehouseId, Level)> = Vec::with_capacity(2);
    for w in &touched {
        if adds(*w) {
            sqlx::query(
                "INSERT INTO stock_levels (warehouse_id, part_id, tenant_id, sku, on_hand, reserved) VALUES ($1, $2, $3, $4, 0, 0) \
                 ON CONFLICT (warehouse_id, part_id) DO NOTHING",
            )
            .bind(w.to_string())
            .bind(&part)
            .bind(tenant)
            .bind(sku)
            .execute(&mut **tx)
            .await?;
        }
        let level: Option<(i64, i64)> = sqlx::query_as(&format!(
            "SELECT on_hand, reserved FROM stock_levels WHERE warehouse_id = $1 AND part_id = $2{}",
            backend.for_update()
        ))
        .bind(w.to_string())
        .bind(&part)
        .fetch_optional(&mut **tx)
        .await?;
        let (on_hand, reserved) = level.unwrap_or((0, 0));
        before.push((*w, Level { on_hand, reserved }));
    }
    let held = match m.ticket {
        Some(t) => sqlx::query_scalar::<_, i64>(
            "SELECT qty FROM stock_reservations WHERE warehouse_id = $1 AND part_id = $2 AND ticket_id = $3",
        )
        .bind(m.warehouse.to_string())
        .bind(&part)
        .bind(t.to_string())
        .fetch_optional(&mut **tx)
        .await?
        .unwrap_or(0),
        None => 0,
    };
    let lines: Vec<Line> = m.lines(held);
    let mut out = Vec::with_capacity(lines.len());
    let mut rows = Vec::with_capacity(lines.len());
    for line in &lines {
        let level = before
            .iter()
            .find(|(w, _)| *w == line.warehouse)
            .map(|(_, l)| *l)
            .unwrap_or_default();
        let line_held = if line.warehouse == m.warehouse {
            held
        } else {
            0
        };
        let (after, held_after) = level.apply(line, line_held).map_err(|s| {
            let (reservation, available) = match s {
                Shortage::Stock { available } => (false, available),
                Shortage::Reservation { held } => (true, held),
            };
            StoreError::InsufficientStock {
                sku: sku.to_owned(),
                warehouse_id: line.warehouse,
                available,
                reservation,
            }
        })?;
        sqlx::query("UPDATE stock_levels SET on_hand = $1, reserved = $2 WHERE warehouse_id = $3 AND part_id = $4")
            .bind(after.on_hand)
            .bind(after.reserved)
            .bind(line.warehouse.to_string())
            .bind(&part)
            .execute(&mut **tx)
            .await?;
        if let (Some(t), true) = (m.ticket, line.ticket_reserved != 0) {
            sqlx::query(
                "INSERT INTO stock_reservations (warehouse_id, part_id, ticket_id, tenant_id, qty) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (warehouse_id, part_id, ticket_id) DO UPDATE SET qty = $5",
            )
            .bind(line.warehouse.to_string())
            .bind(&part)
            .bind(t.to_string())
            .bind(tenant)
            .bind(held_after)
            .execute(&mut **tx)
            .await?;
        }
        let min: Option<i64> = sqlx::query_scalar(
            "SELECT min_available FROM stock_thresholds WHERE warehouse_id = $1 AND part_id = $2",
        )
        .bind(line.warehouse.to_string())
        .bind(&part)
        .fetch_optional(&mut **tx)
        .await?;
        if inventory::crosses_low(level, after, min) {
            let alert = job::StockAlert {
                event: "stock.low".into(),
                warehouse_id: line.warehouse,
                sku: sku.to_owned(),
                available: after.available(),
                min_available: min,
                movement_id: id,
                at: ms(now),
            };
            let job = NewJob::of(tenant, Job::StockAlert(alert), now)
                .keyed(format!("stock:{id}:{}", line.warehouse));
            insert_jobs(tx, [job], now).await?;
        }
        rows.push(vec![
            Arg::Text(Some(id.to_string())),
            Arg::Text(Some(tenant.to_owned())),
            Arg::Text(Some(m.kind.as_str().to_owned())),
            Arg::Text(Some(part.clone())),
            Arg::Text(Some(line.warehouse.to_string())),
            Arg::Int(line.on_hand),
            Arg::Int(line.reserved),
            Arg::Text(m.ticket.map(|t| t.to_string())),
            Arg::Text(m.reason.clone()),
            Arg::Text(actor.map(|a| a.to_string())),
            Arg::Int(ms(now)),
        ]);
        out.push(StockItem {
            warehouse_id: line.warehouse,
            sku: sku.to_owned(),
            on_hand: after.on_hand,
            reserved: after.reserved,
            available: after.available(),
        });
    }
    Sql::new(
        "INSERT INTO stock_movements (id, tenant_id, kind, part_id, warehouse_id, on_hand_delta, \
         reserved_delta, ticket_id, reason, actor_id, at) VALUES ",
    )
    .rows(rows)
    .positional_on(tx)
    .query()
    .execute(&mut **tx)
    .await?;
    Ok(out)
}

impl TenantStore {
    /// Records one movement. Checks, in this order: the caller moves stock at all (403), the
    /// input (422), the warehouses and the part exist (422), the ticket is one the caller may
    /// see (404), the caller may make this movement there (403), and the stock suffices (409
    /// `insufficient_stock`). With an idempotency key
    /// a retry answers the first movement and records nothing.
    pub async fn record_movement(
        &self,
        actor: &Actor,
        input: StockMovementInput,
        idempotency: Option<Idempotency>,
        now: DateTime<Utc>,
    ) -> Result<MovementView, StoreError> {
        if !inventory::may_move_any(actor) {
            return Err(StoreError::Forbidden);
        }
        let m = inventory::movement(&input.movement)?;
        let part = self.part_by_sku("sku", &input.sku).await?;
        let id = MovementId::new();
        let mut tx = self.store.write.begin().await?;
        if let (Some(idem), Some(user)) = (&idempotency, actor.user_id()) {
            if let Some(first) =
                claim_key(&mut tx, &self.tid(), user, idem, &id.to_string(), now).await?
            {
                drop(tx);
                return self.movement(&first).await;
            }
        }
        let from_field = if m.to.is_some() || input.movement.from.is_some() {
            "from_warehouse_id"
        } else {
            "to_warehouse_id"
        };
        let warehouse = self.warehouse_in(&mut tx, m.warehouse, from_field).await?;
        if let Some(to) = m.to {
            self.warehouse_in(&mut tx, to, "to_warehouse_id").await?;
        }
        if let Some(t) = m.ticket {
            self.require_visible_ticket(&mut tx, actor, t).await?;
        }
        let own_van = warehouse.kind == WarehouseKind::Van
            && warehouse.engineer_id.is_some()
            && warehouse.engineer_id == actor.user_id();
        if !inventory::may_move(actor, m.kind, own_van) {
            return Err(StoreError::Forbidden);
        }
        let levels = apply_movement(
            &mut tx,
            self.store.backend,
            &self.tid(),
            (&part.id, &part.sku),
            &m,
            id,
            actor.user_id(),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(MovementView {
            id,
            kind: m.kind.as_str().to_owned(),
            sku: part.sku,
            qty: m.qty,
            from_warehouse_id: (m.to.is_some() || !arriving(m.kind)).then_some(m.warehouse),
            to_warehouse_id: m.to.or(arriving(m.kind).then_some(m.warehouse)),
            ticket_id: m.ticket,
            reason: m.reason,
            actor_id: actor.user_id().map(|u| u.to_string()),
            at: now,
            levels,
        })
    }

    /// The parts a work report records are consumed from the engineer's van, the ticket's
    /// reservation first (an engineer without a van keeps no stock in Loopdesk: nothing to do).
    pub(crate) async fn consume_from_van(
        &self,
        tx: &mut Transaction<'_, Any>,
        engineer: UserId,
        ticket: TicketId,
        parts: &[loopdesk_core::ticket::transitions::PartUsed],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if parts.is_empty() {
            return Ok(());
        }
        let Some(van) = self.van_of(tx, engineer).await? else {
            return Ok(());
        };
        for used in parts {
            let part = self.part_by_sku("report.parts.sku", &used.sku).await?;
            let m = inventory::movement(&MovementRequest {
                kind: "consume".into(),
                qty: used.qty,
                from: Some(van.id),
                to: None,
                ticket: Some(ticket),
                reason: None,
            })
            .map_err(|e| FieldError {
                field: "report.parts.qty",
                reason: e.reason,
            })?;
            let tid = self.tid();
            apply_movement(
                tx,
                self.store.backend,
                &tid,
                (&part.id, &part.sku),
                &m,
                MovementId::new(),
                Some(engineer),
                now,
            )
            .await?;
        }
        Ok(())
    }

    /// One recorded movement (for an idempotent retry).
    pub(crate) async fn movement(&self, id: &str) -> Result<MovementView, StoreError> {
        let lines = self.ledger_where("m.id = $2", id, 10).await?;
        let first = lines.first().ok_or(StoreError::NotFound)?;
        let kind = inventory::MovementKind::parse(&first.kind)
            .ok_or_else(|| StoreError::Corrupt(format!("movement kind {}", first.kind)))?;
        let wh = |l: &LedgerLine| parse_id(&l.warehouse_id, WarehouseId::parse);
        let (from, to) = match (kind, lines.get(1)) {
            (inventory::MovementKind::Transfer, Some(second)) => {
                (Some(wh(first)?), Some(wh(second)?))
            }
            (k, _) if arriving(k) => (None, Some(wh(first)?)),
            _ => (Some(wh(first)?), None),
        };
        let qty = match kind {
            inventory::MovementKind::Reserve | inventory::MovementKind::Release => {
                first.reserved_delta.abs()
            }
            inventory::MovementKind::Adjust => first.on_hand_delta,
            _ => first.on_hand_delta.abs(),
        };
        let mut levels = Vec::new();
        for l in &lines {
            levels.extend(
                self.stock_where(Some(&l.warehouse_id), Some(&l.sku), 1)
                    .await?,
            );
        }
        Ok(MovementView {
            id: parse_id(id, MovementId::parse)?,
            kind: first.kind.clone(),
            sku: first.sku.clone(),
            qty,
            from_warehouse_id: from,
            to_warehouse_id: to,
            ticket_id: first
                .ticket_id
                .as_deref()
                .map(|t| parse_id(t, TicketId::parse))
                .transpose()?,
            reason: first.reason.clone(),
            actor_id: first.actor_id.clone(),
            at: first.at,
            levels,
        })
    }
}
