//! Asking for parts (申领): a requisition for the ticket's van, approved at once under the
//! tenant's limit, the ticket waiting for parts when its engineer asks.

use crate::events::{self, NewEvent};
use crate::inventory::Part;
use crate::{ms, StoreError, TenantStore};
use chrono::{DateTime, Utc};
use loopdesk_core::event::{payload, Payload};
use loopdesk_core::inventory::{self};
use loopdesk_core::inventory::{RequisitionMove, RequisitionStatus};
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::ticket::MoveCommand;
use loopdesk_core::validate::{self};
use loopdesk_core::UserId;
use loopdesk_core::{access, access::Permission, RequisitionId, Status, TicketId};

use super::*;

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
             VALUES ($1, $2, $3, $4, $5, $9, $6, $7, $8)",
        )
        .bind(id.to_string())
        .bind(self.tid())
        .bind(ticket.to_string())
        .bind(actor.user_id().map(|u| u.to_string()))
        .bind(van.id.to_string())
        .bind(value)
        .bind(&note)
        .bind(ms(now))
        .bind(RequisitionStatus::Pending.as_str())
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
            let approved =
                inventory::move_requisition(RequisitionStatus::Pending, RequisitionMove::Approve)
                    .map_err(|reason| StoreError::Refused {
                    reason,
                    gone: false,
                })?;
            self.approve_in(&mut tx, &Actor::System, id, approved, now)
                .await?;
        }
        tx.commit().await?;
        self.requisition(id).await
    }
}
