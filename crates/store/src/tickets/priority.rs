//! Changing a ticket's priority; its SLA follows.

use chrono::{DateTime, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::event::{payload, Payload};
use loopdesk_core::ticket::Actor;
use loopdesk_core::validate::{self, FieldError};
use loopdesk_core::TicketId;

use super::*;
use crate::events::{self, NewEvent};
use crate::rows::parse_id;
use crate::sla::{write_sla, Kept, ReapplyRow};
use crate::{ms, StoreError, TenantStore, TicketDetail};

use crate::PriorityChange;

impl TenantStore {
    /// Changes a ticket's priority; its SLA follows (the policy is chosen again and the due
    /// times recomputed on the same clock). Checks in the order of a move: visible (404),
    /// `version` current (409), allowed (403), then the input (422). The same priority again
    /// changes nothing.
    pub async fn change_priority(
        &self,
        actor: &Actor,
        id: TicketId,
        req: PriorityChange,
        now: DateTime<Utc>,
    ) -> Result<TicketDetail, StoreError> {
        let scope = access::ticket_scope(actor);
        let mut tx = self.store.write.begin().await?;
        let row = self.lock_current(&mut tx, id, &scope, req.version).await?;
        if !access::allowed(actor, Permission::ChangePriority) {
            return Err(StoreError::Forbidden);
        }
        let priority = i64::from(validate::priority(req.priority)?);
        let reason = validate::optional_text("reason", req.reason.as_deref(), 500)?;
        if !row.status()?.is_open() {
            return Err(FieldError {
                field: "priority",
                reason: "error.priority_closed",
            }
            .into());
        }
        if priority == row.priority {
            drop(tx);
            return self.ticket(&scope, id, sees_internal(actor)).await;
        }
        let tier: Option<String> = match &row.customer_id {
            Some(c) => {
                sqlx::query_scalar("SELECT tier FROM customers WHERE tenant_id = $1 AND id = $2")
                    .bind(self.tid())
                    .bind(c)
                    .fetch_optional(&mut *tx)
                    .await?
            }
            None => None,
        };
        let t = ms(now);
        let updated = sqlx::query(
            "UPDATE tickets SET priority = $1, version = version + 1, updated_at = $2 \
             WHERE tenant_id = $3 AND id = $4 AND version = $5",
        )
        .bind(priority)
        .bind(t)
        .bind(self.tid())
        .bind(&row.id)
        .bind(row.version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated != 1 {
            return Err(StoreError::Stale {
                current: row.version + 1,
            });
        }
        let current = ReapplyRow {
            id: row.id.clone(),
            priority: row.priority,
            category: row.category.clone(),
            tier,
            sla: row.sla.clone(),
            kept: Kept {
                status: row.status.clone(),
                first_response_at: row.first_response_at,
                first_arrival_at: row.first_arrival_at,
                resolved_at: row.resolved_at,
                closed_at: row.closed_at,
                updated_at: t,
            },
        };
        let tid = self.tid();
        if let Some(cols) = self.sla_reapplied(&current, priority, now).await? {
            write_sla(
                &mut tx,
                &tid,
                &row.id,
                &cols,
                row.first_response_at,
                row.first_arrival_at,
            )
            .await?;
        }
        let changed = Payload::PriorityChanged(payload::PriorityChanged {
            from: row.priority,
            to: priority,
            reason,
        });
        let ticket_id = parse_id(&row.id, TicketId::parse)?;
        let event = NewEvent::by(actor, ticket_id, changed, now);
        events::record(&mut tx, &tid, event, Some("ticket.priority_changed")).await?;
        tx.commit().await?;
        self.ticket(&scope, id, sees_internal(actor)).await
    }
}
