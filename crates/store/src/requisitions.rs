//! Requisitions (申领): an engineer asks for parts for a ticket; a supervisor approves (or the
//! tenant's limit does); the parts move from the nearest warehouse that has them (a regional
//! pool before the central store) to the engineer's van, reserved for the ticket; when the
//! engineer has them, the ticket goes on.

use chrono::{DateTime, Utc};
use loopdesk_core::event::{payload, Payload};
use loopdesk_core::inventory::{
    self, Movement, MovementKind, RequisitionStatus, Source, WarehouseKind,
};
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::ticket::MoveCommand;
use loopdesk_core::validate::{self, FieldError};
use loopdesk_core::{access, access::Permission, MovementId, RequisitionId, Status, TicketId};
use loopdesk_core::{UserId, WarehouseId};
use serde::Serialize;
use sqlx::{Any, Transaction};
use utoipa::ToSchema;

use crate::events::{self, NewEvent};
use crate::inventory::{apply_movement, Part};
use crate::rows::parse_id;
use crate::{from_ms, ms, StoreError, TenantStore};

/// One line of a requisition.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RequisitionItem {
    /// Part.
    pub sku: String,
    /// Units.
    pub qty: i64,
    /// The warehouse the units came from, once approved.
    pub source_warehouse_id: Option<WarehouseId>,
    /// While pending: where they would come from if approved now (none: no warehouse has
    /// them free).
    pub proposed_warehouse_id: Option<WarehouseId>,
}

/// A requisition.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Requisition {
    /// Id.
    pub id: RequisitionId,
    /// The ticket the parts are for.
    pub ticket_id: TicketId,
    /// `pending`, `approved`, `rejected` or `received`.
    #[schema(value_type = String)]
    pub status: RequisitionStatus,
    /// Who asked.
    pub requested_by: Option<String>,
    /// The van the parts go to.
    pub van_id: Option<WarehouseId>,
    /// What the parts cost, in yuan (unknown when a part has no cost).
    pub value: Option<f64>,
    /// The requester's note.
    pub note: Option<String>,
    /// Who decided (none: approved automatically).
    pub decided_by: Option<String>,
    /// When.
    pub decided_at: Option<DateTime<Utc>>,
    /// Why (a rejection's reason).
    pub decision_note: Option<String>,
    /// When the engineer had the parts.
    pub received_at: Option<DateTime<Utc>>,
    /// When asked.
    pub created_at: DateTime<Utc>,
    /// What was asked for.
    pub items: Vec<RequisitionItem>,
}

type Row = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<i64>,
    i64,
);

const COLUMNS: &str = "id, ticket_id, status, requested_by, van_id, value_fen, note, decided_by, \
    decided_at, decision_note, received_at, created_at";

impl TenantStore {
    /// Asks for parts for a ticket. The ticket must be one the caller may see, assigned and not
    /// yet done, and its engineer must have a van for the parts to go to. When its engineer
    /// asks while at work on it, the ticket waits in `waiting_parts`. Under the tenant's limit
    /// the requisition is approved at once.
    pub async fn create_requisition(
        &self,
        actor: &Actor,
        ticket: TicketId,
        items: Vec<(String, i64)>,
        note: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Requisition, StoreError> {
        if !access::allowed(actor, Permission::RequestParts) {
            return Err(StoreError::Forbidden);
        }
        let items = inventory::requisition_items(&items)?;
        let note = validate::optional_text("note", note.as_deref(), validate::MAX_NOTE)?;
        let mut parts: Vec<(Part, i64)> = Vec::with_capacity(items.len());
        for (sku, qty) in items {
            parts.push((self.part_by_sku("items.sku", &sku).await?, qty));
        }
        let lines: Vec<(Option<i64>, i64)> = parts.iter().map(|(p, q)| (p.cost_fen, *q)).collect();
        let value = inventory::requisition_value(&lines);
        let limit: Option<i64> =
            sqlx::query_scalar("SELECT requisition_auto_approve_fen FROM tenants WHERE id = $1")
                .bind(self.tid())
                .fetch_one(&self.store.read)
                .await?;
        let mut tx = self.store.write.begin().await?;
        self.require_visible_ticket(&mut tx, actor, ticket).await?;
        let (status, assignee): (String, Option<String>) = sqlx::query_as(
            "SELECT status, assignee_id FROM tickets WHERE tenant_id = $1 AND id = $2",
        )
        .bind(self.tid())
        .bind(ticket.to_string())
        .fetch_one(&mut *tx)
        .await?;
        let status = Status::parse(&status).ok_or_else(|| StoreError::Corrupt(status.clone()))?;
        if !inventory::takes_requisitions(status) {
            return Err(StoreError::Refused {
                reason: "error.ticket_not_in_work",
                gone: false,
            });
        }
        let assignee = assignee.as_deref().and_then(UserId::parse);
        let van = match assignee {
            Some(a) => self.van_of(&mut tx, a).await?,
            None => None,
        };
        let Some(van) = van else {
            return Err(StoreError::Refused {
                reason: "error.no_van",
                gone: false,
            });
        };
        let id = RequisitionId::new();
        sqlx::query(
            "INSERT INTO requisitions (id, tenant_id, ticket_id, requested_by, van_id, status, value_fen, note, created_at) \
             VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8)",
        )
        .bind(id.to_string())
        .bind(self.tid())
        .bind(ticket.to_string())
        .bind(actor.user_id().map(|u| u.to_string()))
        .bind(van.id.to_string())
        .bind(value)
        .bind(&note)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        for (line, (part, qty)) in parts.iter().enumerate() {
            sqlx::query(
                "INSERT INTO requisition_items (requisition_id, line, tenant_id, part_id, qty) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id.to_string())
            .bind(i64::try_from(line).unwrap_or(i64::MAX))
            .bind(self.tid())
            .bind(part.id.to_string())
            .bind(*qty)
            .execute(&mut *tx)
            .await?;
        }
        let items = parts
            .iter()
            .map(|(p, q)| payload::PartLine {
                sku: p.sku.clone(),
                qty: *q,
                from_warehouse_id: None,
            })
            .collect();
        let requested = Payload::PartsRequested(payload::PartsRequested {
            requisition_id: id,
            items,
            note: note.clone(),
        });
        let by_assignee = assignee.is_some() && assignee == actor.user_id();
        if inventory::requisition_waits(status, by_assignee) {
            let reason = parts
                .iter()
                .map(|(p, q)| format!("{} × {q}", p.sku))
                .collect::<Vec<_>>()
                .join(", ");
            let command = MoveCommand {
                to: Some(Status::WaitingParts),
                reason: Some(reason),
                note: note.clone(),
                ..MoveCommand::default()
            };
            self.move_within(&mut tx, actor, ticket, command, now)
                .await?;
        }
        let auto = inventory::auto_approves(value, limit);
        let event = NewEvent::by(actor, ticket, requested, now);
        events::record(
            &mut tx,
            &self.tid(),
            event,
            (!auto).then_some("requisition.created"),
        )
        .await?;
        if auto {
            self.approve_in(&mut tx, &Actor::System, id, now).await?;
        }
        tx.commit().await?;
        self.requisition(id).await
    }

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
        self.lock_pending(&mut tx, id).await?;
        self.approve_in(&mut tx, actor, id, now).await?;
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
        let ticket = self.lock_pending(&mut tx, id).await?;
        sqlx::query(
            "UPDATE requisitions SET status = 'rejected', decided_by = $1, decided_at = $2, decision_note = $3 \
             WHERE tenant_id = $4 AND id = $5",
        )
        .bind(actor.user_id().map(|u| u.to_string()))
        .bind(ms(now))
        .bind(&reason)
        .bind(self.tid())
        .bind(id.to_string())
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
        let row: Option<(String, String, Option<String>)> = sqlx::query_as(&format!(
            "SELECT ticket_id, status, van_id FROM requisitions WHERE tenant_id = $1 AND id = $2{}",
            self.store.backend.for_update()
        ))
        .bind(self.tid())
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let (ticket, status, van) = row.ok_or(StoreError::NotFound)?;
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
        if RequisitionStatus::parse(&status) != Some(RequisitionStatus::Approved) {
            return Err(StoreError::Refused {
                reason: "error.requisition_not_approved",
                gone: false,
            });
        }
        let ticket = parse_id(&ticket, TicketId::parse)?;
        sqlx::query("UPDATE requisitions SET status = 'received', received_at = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(ms(now))
            .bind(self.tid())
            .bind(id.to_string())
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
            "SELECT COUNT(*) FROM requisitions WHERE tenant_id = $1 AND ticket_id = $2 AND status IN ('pending', 'approved')",
        )
        .bind(self.tid())
        .bind(ticket.to_string())
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

    /// Requisitions, newest first: all of them for those who approve or keep stock, an
    /// engineer's own otherwise; of one status and/or one ticket when given.
    pub async fn requisitions(
        &self,
        actor: &Actor,
        status: Option<RequisitionStatus>,
        ticket: Option<TicketId>,
    ) -> Result<Vec<Requisition>, StoreError> {
        if !access::allowed(actor, Permission::RequestParts)
            && !access::allowed(actor, Permission::ApproveRequisitions)
        {
            return Err(StoreError::Forbidden);
        }
        let everyone = access::allowed(actor, Permission::ApproveRequisitions)
            || access::allowed(actor, Permission::ManageStock);
        let mut sql = crate::sql::Sql::new(&format!(
            "SELECT {COLUMNS} FROM requisitions WHERE tenant_id = "
        ));
        sql.text(self.tid());
        if let Some(s) = status {
            sql.push(" AND status = ").text(s.as_str());
        }
        if let Some(t) = ticket {
            sql.push(" AND ticket_id = ").text(t.to_string());
        }
        if !everyone {
            let me = actor.user_id().map(|u| u.to_string()).unwrap_or_default();
            sql.push(" AND (requested_by = ")
                .text(me.clone())
                .push(" OR van_id IN (SELECT id FROM warehouses WHERE engineer_id = ")
                .text(me)
                .push("))");
        }
        sql.push(" ORDER BY created_at DESC, id DESC LIMIT 500");
        let rows: Vec<Row> = sql.query_as().fetch_all(&self.store.read).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(self.with_items(r).await?);
        }
        Ok(out)
    }

    /// One requisition.
    pub async fn requisition(&self, id: RequisitionId) -> Result<Requisition, StoreError> {
        let row: Option<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM requisitions WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(self.tid())
        .bind(id.to_string())
        .fetch_optional(&self.store.write)
        .await?;
        self.with_items(row.ok_or(StoreError::NotFound)?).await
    }

    async fn with_items(&self, r: Row) -> Result<Requisition, StoreError> {
        let items: Vec<(String, i64, Option<String>, String)> = sqlx::query_as(
            "SELECT p.sku, i.qty, i.source_id, i.part_id FROM requisition_items i JOIN parts p ON p.id = i.part_id \
             WHERE i.tenant_id = $1 AND i.requisition_id = $2 ORDER BY i.line",
        )
        .bind(self.tid())
        .bind(&r.0)
        .fetch_all(&self.store.write)
        .await?;
        let pending = RequisitionStatus::parse(&r.2) == Some(RequisitionStatus::Pending);
        let mut proposed = vec![None; items.len()];
        if pending {
            let mut conn = self.store.read.acquire().await?;
            let id = parse_id(&r.0, RequisitionId::parse)?;
            let (_, _, to) = destination(&mut conn, &self.tid(), id).await?;
            for (k, (_, qty, _, part)) in items.iter().enumerate() {
                let sources = sources_of(&mut conn, &self.tid(), part).await?;
                proposed[k] = inventory::choose_source(*qty, to, &sources);
            }
        }
        let corrupt = || StoreError::Corrupt(format!("requisition status {}", r.2));
        #[expect(clippy::cast_precision_loss, reason = "money below 2^53 fen")]
        let value = r.5.map(|f| f as f64 / 100.0);
        Ok(Requisition {
            id: parse_id(&r.0, RequisitionId::parse)?,
            ticket_id: parse_id(&r.1, TicketId::parse)?,
            status: RequisitionStatus::parse(&r.2).ok_or_else(corrupt)?,
            requested_by: r.3,
            van_id: r
                .4
                .as_deref()
                .map(|v| parse_id(v, WarehouseId::parse))
                .transpose()?,
            value,
            note: r.6,
            decided_by: r.7,
            decided_at: r.8.map(from_ms),
            decision_note: r.9,
            received_at: r.10.map(from_ms),
            created_at: from_ms(r.11),
            items: items
                .into_iter()
                .zip(proposed)
                .map(|((sku, qty, source, _), proposed_warehouse_id)| {
                    Ok(RequisitionItem {
                        sku,
                        qty,
                        source_warehouse_id: source
                            .as_deref()
                            .map(|s| parse_id(s, WarehouseId::parse))
                            .transpose()?,
                        proposed_warehouse_id,
                    })
                })
                .collect::<Result<_, StoreError>>()?,
        })
    }

    /// Locks a requisition that is still pending; answers its ticket.
    async fn lock_pending(
        &self,
        tx: &mut Transaction<'_, Any>,
        id: RequisitionId,
    ) -> Result<TicketId, StoreError> {
        let row: Option<(String, String)> = sqlx::query_as(&format!(
            "SELECT ticket_id, status FROM requisitions WHERE tenant_id = $1 AND id = $2{}",
            self.store.backend.for_update()
        ))
        .bind(self.tid())
        .bind(id.to_string())
        .fetch_optional(&mut **tx)
        .await?;
        let (ticket, status) = row.ok_or(StoreError::NotFound)?;
        if RequisitionStatus::parse(&status) != Some(RequisitionStatus::Pending) {
            return Err(StoreError::Refused {
                reason: "error.requisition_decided",
                gone: false,
            });
        }
        parse_id(&ticket, TicketId::parse)
    }

    async fn approve_in(
        &self,
        tx: &mut Transaction<'_, Any>,
        actor: &Actor,
        id: RequisitionId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (ticket, van, to) = destination(tx, &self.tid(), id).await?;
        let lines: Vec<(i64, String, String, i64)> = sqlx::query_as(
            "SELECT i.line, i.part_id, p.sku, i.qty FROM requisition_items i JOIN parts p ON p.id = i.part_id \
             WHERE i.tenant_id = $1 AND i.requisition_id = $2 ORDER BY i.line",
        )
        .bind(self.tid())
        .bind(id.to_string())
        .fetch_all(&mut **tx)
        .await?;
        let mut moved = Vec::new();
        for (line, part, sku, qty) in lines {
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
            "UPDATE requisitions SET status = 'approved', decided_by = $1, decided_at = $2 WHERE tenant_id = $3 AND id = $4",
        )
        .bind(actor.user_id().map(|u| u.to_string()))
        .bind(ms(now))
        .bind(self.tid())
        .bind(id.to_string())
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

/// Where a requisition's parts go: its ticket, the van, and the van's position (its
/// engineer's last known one, else the ticket's site).
async fn destination(
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
async fn sources_of(
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
