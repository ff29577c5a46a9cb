//! Automatic dispatch: the tenant's setting; the `dispatch` job that assigns new orders to
//! their proposals and passes an order on when its engineer does not accept in time; and the
//! record of a person overriding a proposal.

use chrono::{DateTime, Utc};
use loopdesk_core::dispatch::auto::{self, Mode};
use loopdesk_core::event::{payload, EventKind, Payload};
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::ticket::MoveCommand;
use loopdesk_core::{Status, TenantId, TicketId, UserId};

use crate::events::{self, NewEvent};
use crate::rows::{parse_id, parse_opt_id};
use crate::tickets::TransitionRequest;
use crate::{from_ms, Store, StoreError, TenantStore};

/// What one run of automatic dispatch did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AutoDispatch {
    /// New orders assigned to their proposal.
    pub assigned: usize,
    /// Orders passed on to the next candidate after a timeout.
    pub passed_on: usize,
}

impl TenantStore {
    /// One run for this tenant, in automatic mode: orders whose engineer has not accepted
    /// within the minutes allowed go to the next best candidate (one who has not had them);
    /// then every new order goes to the engineer the batch plan gives it. Each step is a move
    /// by the system, through the transition table, with its event.
    async fn auto_dispatch(&self, now: DateTime<Utc>) -> Result<AutoDispatch, StoreError> {
        let settings = self.dispatch_settings().await?;
        let mut done = AutoDispatch::default();
        if settings.mode != Mode::Auto {
            return Ok(done);
        }
        let [assign, reassign, redispatch] = EventKind::ASSIGNMENTS.map(EventKind::as_str);
        let waiting: Vec<(String, Option<String>, Option<i64>)> = sqlx::query_as(
            "SELECT t.id, t.assignee_id, (SELECT MAX(e.at) FROM ticket_events e WHERE e.tenant_id = t.tenant_id \
             AND e.ticket_id = t.id AND e.kind IN ($2, $3, $4)) \
             FROM tickets t WHERE t.tenant_id = $1 AND t.status = $5",
        )
        .bind(self.tid())
        .bind(assign)
        .bind(reassign)
        .bind(redispatch)
        .bind(Status::Assigned.as_str())
        .fetch_all(&self.store.read)
        .await?;
        let late: Vec<(String, Option<String>)> = waiting
            .into_iter()
            .filter(|(_, _, since)| {
                since.is_some_and(|s| auto::timed_out(from_ms(s), now, settings.accept_minutes))
            })
            .map(|(id, engineer, _)| (id, engineer))
            .collect();
        if !late.is_empty() {
            let ids: Vec<String> = late.iter().map(|(id, _)| id.clone()).collect();
            let proposals = self
                .proposals_for(Status::Assigned, Some(&ids), None, false, now)
                .await?;
            for p in proposals {
                let Some(next) = p.engineer.map(|e| e.id) else {
                    continue;
                };
                let ticket = parse_id(&p.ticket_id, TicketId::parse)?;
                let before = late
                    .iter()
                    .find(|(id, _)| *id == p.ticket_id)
                    .and_then(|(_, e)| e.clone());
                let timeout = Payload::AcceptTimeout(payload::AcceptTimeout {
                    engineer_id: parse_opt_id(before, UserId::parse)?,
                    minutes: settings.accept_minutes,
                    next,
                });
                let mut tx = self.store.write.begin().await?;
                let event = NewEvent::system(ticket, timeout, now);
                events::record(&mut tx, &self.tid(), event, None).await?;
                tx.commit().await?;
                if self.system_assign(ticket, next, now).await? {
                    done.passed_on += 1;
                }
            }
        }
        let proposals = self
            .proposals_for(Status::New, None, None, false, now)
            .await?;
        for p in proposals {
            let Some(engineer) = p.engineer.map(|e| e.id) else {
                continue;
            };
            let ticket = parse_id(&p.ticket_id, TicketId::parse)?;
            if self.system_assign(ticket, engineer, now).await? {
                done.assigned += 1;
            }
        }
        Ok(done)
    }

    /// Assigns by the system; false when someone changed the ticket meanwhile (it is looked
    /// at again on the next run).
    async fn system_assign(
        &self,
        ticket: TicketId,
        engineer: UserId,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let version: Option<i64> =
            sqlx::query_scalar("SELECT version FROM tickets WHERE tenant_id = $1 AND id = $2")
                .bind(self.tid())
                .bind(ticket.to_string())
                .fetch_optional(&self.store.read)
                .await?;
        let Some(version) = version else {
            return Ok(false);
        };
        let req = TransitionRequest {
            version,
            command: MoveCommand {
                to: Some(Status::Assigned),
                assignee_id: Some(engineer),
                ..MoveCommand::default()
            },
        };
        match self
            .transition(&Actor::System, ticket, req, None, now)
            .await
        {
            Ok(_) => Ok(true),
            Err(StoreError::Stale { .. } | StoreError::Transition(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

impl Store {
    /// One run of automatic dispatch in every tenant that dispatches automatically (the
    /// `dispatch` job).
    pub async fn auto_dispatch(&self, now: DateTime<Utc>) -> Result<AutoDispatch, StoreError> {
        let tenants: Vec<String> =
            sqlx::query_scalar("SELECT id FROM tenants WHERE dispatch_mode = 'auto'")
                .fetch_all(&self.read)
                .await?;
        let mut total = AutoDispatch::default();
        for t in tenants {
            let id = parse_id(&t, TenantId::parse)?;
            let done = self.tenant(id).auto_dispatch(now).await?;
            total.assigned += done.assigned;
            total.passed_on += done.passed_on;
        }
        Ok(total)
    }
}
