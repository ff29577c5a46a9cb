//! Deciding on a requisition: approval reserves the parts from the nearest source and
//! moves them to the van, rejection says why, receipt takes the ticket out of waiting.

use crate::events::{self, NewEvent};
use crate::inventory::apply_movement;
use crate::rows::{corrupt, parse_id};
use crate::{ms, StoreError, TenantStore};
use chrono::{DateTime, Utc};
use loopdesk_core::event::{payload, Payload};
use loopdesk_core::inventory::{
    self, Movement, MovementKind, RequisitionMove, RequisitionStatus, Source, WarehouseKind,
};
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::ticket::MoveCommand;
use loopdesk_core::validate::{self, FieldError};
use loopdesk_core::{access, access::Permission, MovementId, RequisitionId, Status, TicketId};
use loopdesk_core::{UserId, WarehouseId};
use sqlx::{Any, Transaction};

use super::*;

/// Where a requisition's parts go: its ticket, the van, and the van's position (its
/// engineer's last known one, else the ticket's site).
pub(crate) async fn destination(
    conn: &mut sqlx::AnyConnection,
    tenant: &str,
    id: RequisitionId,
) -> Result<(TicketId, WarehouseId, Option<(f64, f64)>), StoreError> {
    type Head = (
        String,
        String,
        Option<f64>,
        Option<f64>,
        Option<f64>,
        Option<f64>,
    );
    let (ticket, van, van_lat, van_lon, site_lat, site_lon): Head = sqlx::query_as(
        "SELECT r.ticket_id, r.van_id, e.position_lat, e.position_lon, s.lat, s.lon FROM requisitions r \
         JOIN warehouses w ON w.id = r.van_id \
         LEFT JOIN engineer_profiles e ON e.user_id = w.engineer_id \
         JOIN tickets t ON t.id = r.ticket_id LEFT JOIN sites s ON s.id = t.site_id \
         WHERE r.tenant_id = $1 AND r.id = $2",
    )
    .bind(tenant)
    .bind(id.to_string())
    .fetch_one(&mut *conn)
    .await?;
    let to = match (van_lat, van_lon, site_lat, site_lon) {
        (Some(a), Some(b), _, _) | (_, _, Some(a), Some(b)) => Some((a, b)),
        _ => None,
    };
    Ok((
        parse_id(&ticket, TicketId::parse)?,
        parse_id(&van, WarehouseId::parse)?,
        to,
    ))
}

/// The warehouses (not vans) holding a part, with what they have free.
pub(crate) async fn sources_of(
    conn: &mut sqlx::AnyConnection,
    tenant: &str,
    part: &str,
) -> Result<Vec<Source>, StoreError> {
    type Cand = (String, String, Option<f64>, Option<f64>, i64);
    let cands: Vec<Cand> = sqlx::query_as(
        "SELECT w.id, w.kind, w.lat, w.lon, l.on_hand - l.reserved FROM stock_levels l \
         JOIN warehouses w ON w.id = l.warehouse_id \
         WHERE l.tenant_id = $1 AND l.part_id = $2 AND w.kind <> 'van'",
    )
    .bind(tenant)
    .bind(part)
    .fetch_all(&mut *conn)
    .await?;
    cands
        .iter()
        .map(|(w, kind, lat, lon, available)| {
            Ok(Source {
                id: parse_id(w, WarehouseId::parse)?,
                kind: WarehouseKind::parse(kind)
                    .ok_or_else(|| StoreError::Corrupt(format!("warehouse kind {kind}")))?,
                position: lat.zip(*lon),
                available: *available,
            })
        })
        .collect()
}

impl TenantStore {
    /// Approves a pending requisition: each line's units are transferred from the warehouse
    /// `core::inventory::choose_source` picks to the van and reserved there for the ticket.
    /// Refused with `insufficient_stock` when no warehouse has a line's units free.
    pub async fn approve_requisition(
        &self,
        actor: &Actor,
        id: RequisitionId,
        now: DateTime<Utc>,
    ) -> Result<Requisition, StoreError> {
        if !access::allowed(actor, Permission::ApproveRequisitions) {
            return Err(StoreError::Forbidden);
        }
        let mut tx = self.store.write.begin().await?;
        let (_, approved) = self.lock_for(&mut tx, id, RequisitionMove::Approve).await?;
        self.approve_in(&mut tx, actor, id, approved, now).await?;
        tx.commit().await?;
        self.requisition(id).await
    }

    /// Rejects a pending requisition, with a reason; the engineer hears of it.
    pub async fn reject_requisition(
        &self,
        actor: &Actor,
        id: RequisitionId,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Requisition, StoreError> {
        if !access::allowed(actor, Permission::ApproveRequisitions) {
            return Err(StoreError::Forbidden);
        }
        let reason = validate::optional_text("reason", reason.as_deref(), validate::MAX_NOTE)?
            .ok_or(FieldError {
                field: "reason",
                reason: "error.required",
            })?;
        let mut tx = self.store.write.begin().await?;
        let (ticket, rejected) = self.lock_for(&mut tx, id, RequisitionMove::Reject).await?;
        sqlx::query(
            "UPDATE requisitions SET status = $6, decided_by = $1, decided_at = $2, decision_note = $3 \
             WHERE tenant_id = $4 AND id = $5",
        )
        .bind(actor.user_id().map(|u| u.to_string()))
        .bind(ms(now))
        .bind(&reason)
        .bind(self.tid())
        .bind(id.to_string())
        .bind(rejected.as_str())
        .execute(&mut *tx)
        .await?;
        let rejected = Payload::PartsRejected(payload::PartsRejected {
            requisition_id: id,
            reason,
        });
        let event = NewEvent::by(actor, ticket, rejected, now);
        events::record(&mut tx, &self.tid(), event, Some("requisition.rejected")).await?;
        tx.commit().await?;
        self.requisition(id).await
    }

    /// The engineer has the parts of an approved requisition: it is `received`, and a ticket
    /// waiting for parts goes back to work when the one who says so may resume it.
    pub async fn receive_requisition(
        &self,
        actor: &Actor,
        id: RequisitionId,
        now: DateTime<Utc>,
    ) -> Result<Requisition, StoreError> {
        let mut tx = self.store.write.begin().await?;
        let row: Option<ReceiveRow> = sqlx::query_as(&format!(
            "SELECT ticket_id, status, van_id FROM requisitions WHERE tenant_id = $1 AND id = $2{}",
            self.store.backend.for_update()
        ))
        .bind(self.tid())
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let ReceiveRow {
            ticket_id: ticket,
            status,
            van_id: van,
        } = row.ok_or(StoreError::NotFound)?;
        let owner: Option<String> = match van {
            Some(v) => sqlx::query_scalar(
                "SELECT engineer_id FROM warehouses WHERE tenant_id = $1 AND id = $2",
            )
            .bind(self.tid())
            .bind(v)
            .fetch_optional(&mut *tx)
            .await?
            .flatten(),
            None => None,
        };
        let own = owner.is_some() && owner.as_deref().and_then(UserId::parse) == actor.user_id();
        if !inventory::may_receive(actor, own) {
            return Err(StoreError::Forbidden);
        }
        let status = RequisitionStatus::parse(&status).ok_or_else(|| corrupt("status"))?;
        let received =
            inventory::move_requisition(status, RequisitionMove::Receive).map_err(|reason| {
                StoreError::Refused {
                    reason,
                    gone: false,
                }
            })?;
        let ticket = parse_id(&ticket, TicketId::parse)?;
        sqlx::query("UPDATE requisitions SET status = $4, received_at = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(ms(now))
            .bind(self.tid())
            .bind(id.to_string())
            .bind(received.as_str())
            .execute(&mut *tx)
            .await?;
        let received = Payload::PartsReceived(payload::PartsReceived { requisition_id: id });
        let event = NewEvent::by(actor, ticket, received, now);
        events::record(&mut tx, &self.tid(), event, None).await?;
        let waiting: Option<String> =
            sqlx::query_scalar("SELECT status FROM tickets WHERE tenant_id = $1 AND id = $2")
                .bind(self.tid())
                .bind(ticket.to_string())
                .fetch_optional(&mut *tx)
                .await?;
        let still_waiting: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM requisitions WHERE tenant_id = $1 AND ticket_id = $2 AND status IN ($3, $4)",
        )
        .bind(self.tid())
        .bind(ticket.to_string())
        .bind(RequisitionStatus::OPEN[0].as_str())
        .bind(RequisitionStatus::OPEN[1].as_str())
        .fetch_one(&mut *tx)
        .await?;
        let status = waiting.as_deref().and_then(Status::parse);
        if status.is_some_and(|s| inventory::parts_arrived(s, still_waiting)) {
            let resume = MoveCommand {
                to: Some(Status::InProgress),
                ..MoveCommand::default()
            };
            match self.move_within(&mut tx, actor, ticket, resume, now).await {
                Ok(()) | Err(StoreError::Transition(_)) => {}
                Err(e) => return Err(e),
            }
        }
        tx.commit().await?;
        self.requisition(id).await
    }

    /// Locks a requisition for a decision; answers its ticket and the status the decision
    /// takes it to (the requisition table in core), or why it is refused.
    pub(crate) async fn lock_for(
        &self,
        tx: &mut Transaction<'_, Any>,
        id: RequisitionId,
        kind: RequisitionMove,
    ) -> Result<(TicketId, RequisitionStatus), StoreError> {
        let row: Option<(String, String)> = sqlx::query_as(&format!(
            "SELECT ticket_id, status FROM requisitions WHERE tenant_id = $1 AND id = $2{}",
            self.store.backend.for_update()
        ))
        .bind(self.tid())
        .bind(id.to_string())
        .fetch_optional(&mut **tx)
        .await?;
        let (ticket, status) = row.ok_or(StoreError::NotFound)?;
        let status = RequisitionStatus::parse(&status).ok_or_else(|| corrupt("status"))?;
        let to =
            inventory::move_requisition(status, kind).map_err(|reason| StoreError::Refused {
                reason,
                gone: false,
            })?;
        Ok((parse_id(&ticket, TicketId::parse)?, to))
    }

    pub(crate) async fn approve_in(
        &self,
        tx: &mut Transaction<'_, Any>,
        actor: &Actor,
        id: RequisitionId,
        approved: RequisitionStatus,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (ticket, van, to) = destination(tx, &self.tid(), id).await?;
        let lines: Vec<LineRow> = sqlx::query_as(
            "SELECT i.line, i.part_id, p.sku, i.qty FROM requisition_items i JOIN parts p ON p.id = i.part_id \
             WHERE i.tenant_id = $1 AND i.requisition_id = $2 ORDER BY i.line",
        )
        .bind(self.tid())
        .bind(id.to_string())
        .fetch_all(&mut **tx)
        .await?;
        let mut moved = Vec::new();
        for LineRow {
            line,
            part_id: part,
            sku,
            qty,
        } in lines
        {
            let sources = sources_of(tx, &self.tid(), &part).await?;
            let Some(source) = inventory::choose_source(qty, to, &sources) else {
                return Err(StoreError::InsufficientStock {
                    sku,
                    warehouse_id: van,
                    available: sources.iter().map(|s| s.available).max().unwrap_or(0),
                    reservation: false,
                });
            };
            let part_id = parse_id(&part, loopdesk_core::PartId::parse)?;
            let transfer = Movement {
                kind: MovementKind::Transfer,
                qty,
                warehouse: source,
                to: Some(van),
                ticket: Some(ticket),
                // The ledger line names the requisition it serves.
                reason: Some(id.to_string()),
            };
            let user = actor.user_id();
            let backend = self.store.backend;
            let tid = self.tid();
            apply_movement(
                tx,
                backend,
                &tid,
                (&part_id, &sku),
                &transfer,
                MovementId::new(),
                user,
                now,
            )
            .await?;
            let reserve = Movement {
                kind: MovementKind::Reserve,
                warehouse: van,
                to: None,
                ..transfer
            };
            apply_movement(
                tx,
                backend,
                &tid,
                (&part_id, &sku),
                &reserve,
                MovementId::new(),
                user,
                now,
            )
            .await?;
            sqlx::query("UPDATE requisition_items SET source_id = $1 WHERE requisition_id = $2 AND line = $3")
                .bind(source.to_string())
                .bind(id.to_string())
                .bind(line)
                .execute(&mut **tx)
                .await?;
            moved.push(payload::PartLine {
                sku,
                qty,
                from_warehouse_id: Some(source),
            });
        }
        sqlx::query(
            "UPDATE requisitions SET status = $5, decided_by = $1, decided_at = $2 WHERE tenant_id = $3 AND id = $4",
        )
        .bind(actor.user_id().map(|u| u.to_string()))
        .bind(ms(now))
        .bind(self.tid())
        .bind(id.to_string())
        .bind(approved.as_str())
        .execute(&mut **tx)
        .await?;
        let approved = Payload::PartsApproved(payload::PartsApproved {
            requisition_id: id,
            van_id: van,
            items: moved,
            automatic: actor.user_id().is_none(),
        });
        let event = NewEvent::by(actor, ticket, approved, now);
        events::record(tx, &self.tid(), event, Some("requisition.approved")).await?;
        Ok(())
    }
}

/// A line of a requisition with its part's SKU.
#[derive(sqlx::FromRow)]
struct LineRow {
    line: i64,
    part_id: String,
    sku: String,
    qty: i64,
}

/// What a receipt needs of a requisition.
#[derive(sqlx::FromRow)]
struct ReceiveRow {
    ticket_id: String,
    status: String,
    van_id: Option<String>,
}
