//! Moves through the transition table: the facts the table decides on are gathered, core
//! plans the move, and the row, the assignment history, the work report, the SLA and the
//! event are written in one transaction.

use chrono::{DateTime, Utc};
use loopdesk_core::access::{self};
use loopdesk_core::dispatch::auto;
use loopdesk_core::event::{payload, Payload};
use loopdesk_core::followup::{self};
use loopdesk_core::sla::{self};
use loopdesk_core::ticket::transitions::happened_at;
use loopdesk_core::ticket::{plan_move, Actor, MoveCommand, Plan, TicketFacts};
use loopdesk_core::{Status, TicketId, UserId};
use serde_json::json;
use sqlx::{Any, Transaction};

use super::*;
use crate::events::{self, NewEvent};
use crate::idempotency::{claim_key, Idempotency};
use crate::outbox::enqueue_publish;
use crate::outbox::schedule_survey;
use crate::rows::parse_id;
use crate::search::index;
use crate::sla::write_sla;
use crate::sql::{Arg, Sql};
use crate::{ms, StoreError, TenantStore, TicketDetail};
use loopdesk_core::search::Kind;

use crate::TransitionRequest;

impl TenantStore {
    /// Moves a ticket through the transition table. Checks, in this order: visible (else
    /// `NotFound`), `version` current (else `Stale`), then the table (role, move, data). The row,
    /// the assignment history, the work report and the event are written in one transaction.
    pub async fn transition(
        &self,
        actor: &Actor,
        id: TicketId,
        req: TransitionRequest,
        idempotency: Option<Idempotency>,
        now: DateTime<Utc>,
    ) -> Result<TicketDetail, StoreError> {
        let scope = access::ticket_scope(actor);
        // The engine's proposal, for the record of an override: worked out before the write
        // begins, so the engine never runs while the ticket is locked.
        let proposed = match (req.command.assignee_id, actor.user_id()) {
            (Some(_), Some(_)) => self.proposed_for(id, now).await?,
            _ => None,
        };
        let mut tx = self.store.write.begin().await?;
        if let (Some(idem), Some(user)) = (&idempotency, actor.user_id()) {
            if claim_key(&mut tx, &self.tid(), user, idem, &id.to_string(), now)
                .await?
                .is_some()
            {
                drop(tx);
                return self.ticket(&scope, id, sees_internal(actor)).await;
            }
        }
        let row = self.lock_current(&mut tx, id, &scope, req.version).await?;
        // A move made offline counts from when it was made on the phone (core's bounds).
        let now = match req.command.client_at {
            None => now,
            Some(_) => {
                let (last,): (Option<i64>,) = sqlx::query_as(
                    "SELECT MAX(at) FROM ticket_events WHERE tenant_id = $1 AND ticket_id = $2",
                )
                .bind(self.tid())
                .bind(id.to_string())
                .fetch_one(&mut *tx)
                .await?;
                happened_at(req.command.client_at, now, last.map(from_ms))?
            }
        };
        let mut facts = self.facts(&mut tx, &row).await?;
        if let Some(report) = &req.command.report {
            facts.report = self.report_facts(&mut tx, &row, report).await?;
        }
        let assignee = match req.command.assignee_id {
            Some(a) => self.assignee_facts(&mut tx, a).await?,
            None => None,
        };
        let policy = self.settings().await?.policy;
        let plan = plan_move(&facts, actor, &req.command, assignee, &policy, now)?;
        // A person assigning someone other than the engine's proposal: recorded, with why.
        let overridden = match (plan.assignee, actor.user_id()) {
            (Some(Some(chosen)), Some(_)) => {
                auto::is_override(proposed.as_deref(), &chosen.to_string()).then(|| {
                    payload::DispatchOverride {
                        proposed_engineer_id: proposed.as_deref().and_then(UserId::parse),
                        assignee_id: chosen,
                        reason: req
                            .command
                            .reason
                            .clone()
                            .or_else(|| req.command.note.clone()),
                    }
                })
            }
            _ => None,
        };
        self.write_plan(&mut tx, actor, &row, facts, &plan, now)
            .await?;
        if let Some(over) = overridden {
            let event = NewEvent::by(actor, id, Payload::DispatchOverride(over), now);
            events::record(&mut tx, &self.tid(), event, None).await?;
        }
        tx.commit().await?;
        self.ticket(&scope, id, sees_internal(actor)).await
    }

    /// Moves a ticket, at whatever version it is, inside a transaction another change began
    /// (a requisition puts the ticket in `waiting_parts`; its parts arriving take it out). The
    /// transition table decides as for any move.
    pub(crate) async fn move_within(
        &self,
        tx: &mut Transaction<'_, Any>,
        actor: &Actor,
        id: TicketId,
        command: MoveCommand,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let scope = access::ticket_scope(actor);
        let mut sql = self.visible_ticket(TICKET_COLUMNS, id, &scope);
        sql.push(self.store.backend.for_update());
        let row: TicketRow = sql
            .query_as()
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut facts = self.facts(tx, &row).await?;
        if let Some(report) = &command.report {
            facts.report = self.report_facts(tx, &row, report).await?;
        }
        let policy = self.settings().await?.policy;
        let plan = plan_move(&facts, actor, &command, None, &policy, now)?;
        self.write_plan(tx, actor, &row, facts, &plan, now).await
    }

    /// Writes what the move does to the ticket ([`TicketFacts::apply`], in core), the
    /// assignment history, the work report and the event.
    pub(super) async fn write_plan(
        &self,
        tx: &mut Transaction<'_, Any>,
        actor: &Actor,
        row: &TicketRow,
        mut after: TicketFacts,
        plan: &Plan,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let expected = row.version;
        let t = ms(now);
        after.apply(plan, now);
        let check_in = after.check_in;
        let mut sql = Sql::new("UPDATE tickets SET status = ");
        sql.text(after.status.as_str())
            .push(", version = version + 1, updated_at = ")
            .int(t);
        sql.push(", assignee_id = ")
            .bind(Arg::Text(after.assignee_id.map(|u| u.to_string())));
        sql.push(", checked_in_at = ")
            .bind(Arg::OptInt(after.checked_in_at.map(ms)));
        sql.push(", checkin_lat = ")
            .float_or_null(check_in.map(|c| c.position.lat));
        sql.push(", checkin_lon = ")
            .float_or_null(check_in.map(|c| c.position.lon));
        sql.push(", checkin_distance_m = ")
            .float_or_null(check_in.and_then(|c| c.distance_m));
        sql.push(", checkin_outside = ")
            .int(i64::from(check_in.is_some_and(|c| c.outside_geofence)));
        sql.push(", visit_count = ").int(after.visit_count);
        sql.push(", flags = ").text(json!(after.flags).to_string());
        sql.push(", resolved_at = ")
            .bind(Arg::OptInt(after.resolved_at.map(ms)));
        sql.push(", closed_at = ")
            .bind(Arg::OptInt(after.closed_at.map(ms)));
        sql.push(", confirmed_by = ")
            .bind(Arg::Text(after.confirmed_by.map(|c| c.as_str().to_owned())));
        sql.push(", reopen_count = ").int(after.reopen_count);
        sql.push(" WHERE tenant_id = ")
            .text(self.tid())
            .push(" AND id = ")
            .text(row.id.clone());
        sql.push(" AND version = ").int(expected);
        let updated = sql.query().execute(&mut **tx).await?.rows_affected();
        if updated != 1 {
            return Err(StoreError::Stale {
                current: expected + 1,
            });
        }
        let ticket_id = parse_id(&row.id, TicketId::parse)?;
        if let Some(Some(a)) = plan.assignee {
            sqlx::query(
                "INSERT INTO ticket_assignments (tenant_id, ticket_id, user_id, first_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (ticket_id, user_id) DO NOTHING",
            )
            .bind(self.tid())
            .bind(&row.id)
            .bind(a.to_string())
            .bind(t)
            .execute(&mut **tx)
            .await?;
        }
        if let (Some(c), Some(engineer)) = (&plan.check_in, actor.user_id()) {
            // A check-in is the engineer's latest known position, for dispatch.
            crate::engineers::record_position_in(
                tx,
                &self.tid(),
                engineer,
                c.position.lat,
                c.position.lon,
                now,
            )
            .await?;
        }
        if let Some(report) = &plan.report {
            sqlx::query(
                "INSERT INTO work_reports (id, tenant_id, ticket_id, submitted_by, submitted_at, remote, \
                 resolution, body, labour_minutes, category, findings) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(self.tid())
            .bind(&row.id)
            .bind(user_text(actor))
            .bind(t)
            .bind(i64::from(report.remote))
            .bind(report.resolution.trim())
            .bind(serde_json::to_string(report).map_err(|e| StoreError::Corrupt(e.to_string()))?)
            .bind(report.labour_minutes)
            .bind(&row.category)
            .bind(
                serde_json::to_string(&plan.data.findings)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            )
            .execute(&mut **tx)
            .await?;
            if let Some(engineer) = actor.user_id() {
                self.consume_from_van(tx, engineer, ticket_id, &report.parts, now)
                    .await?;
            }
            // The resolution is searchable from the moment the report is in.
            index::refresh(tx, &self.tid(), Kind::Ticket, std::slice::from_ref(&row.id)).await?;
        }
        let tid = self.tid();
        let mut data = plan.data.clone();
        data.flags.clone_from(&plan.flags);
        let event = NewEvent::by(actor, ticket_id, Payload::Move(plan.kind, data), now)
            .moving(plan.from, plan.to);
        let folded = events::record(tx, &tid, event, None).await?;
        // The SLA follows the move: first response and arrival as the ticket's facts have
        // them (one rule with the KPIs, in core), the clock paused or resumed, the colour
        // and the next moment to look again.
        let first_response_at = row.first_response_at.or(folded.first_response_at);
        let first_arrival_at = row.first_arrival_at.or(folded.first_arrival_at);
        let met = sla::met(
            after.status,
            first_response_at,
            first_arrival_at,
            after.resolved_at.map(ms),
            after.closed_at.map(ms),
            t,
        );
        if let Some(cols) = self
            .sla_after_move(
                row.sla_policy_id.as_deref(),
                row.sla.as_deref(),
                plan.from,
                &met,
                plan.to,
                now,
            )
            .await?
        {
            write_sla(
                tx,
                &tid,
                &row.id,
                &cols,
                first_response_at,
                first_arrival_at,
            )
            .await?;
        }
        let change = json!({ "kind": plan.kind.as_str(), "from": plan.from, "to": plan.to });
        enqueue_publish(tx, &tid, ticket_id, "ticket.status_changed", &change, now).await?;
        if let Some(Some(a)) = plan.assignee {
            let assigned = json!({ "assignee_id": a });
            enqueue_publish(tx, &tid, ticket_id, "ticket.assigned", &assigned, now).await?;
        }
        if plan.to == Status::Resolved {
            let at = self.settings().await?.follow_up.survey_at(now);
            schedule_survey(tx, &tid, ticket_id, after.reopen_count, at, now).await?;
        }
        if let Some(reason) = followup::reopen_remediation(plan.kind, actor) {
            open_remediation(tx, &tid, ticket_id, &[reason], now).await?;
        }
        Ok(())
    }
}
