//! The SLA scan: the tickets whose next moment has come get their warnings, breaches and
//! escalations marked, each once, with its event and outbox entry.

use crate::events::{self, NewEvent};
use crate::model::parse_sla;
use crate::outbox::{insert_jobs, publish};
use crate::rows::{parse_id, parse_opt_id};
use crate::sql::{Arg, Sql};
use crate::{from_ms, ms, Store, StoreError};
use chrono::{DateTime, Utc};
use loopdesk_core::event::payload::{Escalation, SlaMark};
use loopdesk_core::sla::{self, MarkKind, Target};
use loopdesk_core::{RegionId, TenantId, TicketId};
use std::collections::HashSet;

use super::*;

#[derive(sqlx::FromRow)]
pub(crate) struct DueRow {
    id: String,
}

#[derive(sqlx::FromRow)]
pub(crate) struct ScanRow {
    id: String,
    tenant_id: String,
    region_id: Option<String>,
    sla_policy_id: Option<String>,
    sla: Option<String>,
    sla_state: String,
    #[sqlx(flatten)]
    kept: Kept,
}

/// Tickets scanned per transaction.
pub(crate) const SCAN_CHUNK: usize = 200;

/// What one SLA scan did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScanReport {
    /// Tickets looked at.
    pub tickets: usize,
    /// Warnings, breaches and escalations recorded.
    pub marks: usize,
}

impl Store {
    /// Records every warning, breach and escalation owed at `now`, at most `limit` tickets
    /// at a time (the oldest due first). Each mark is written at most once per ticket,
    /// target and level, whichever instance runs the scan: the mark's primary key decides.
    pub async fn sla_scan(&self, now: DateTime<Utc>, limit: i64) -> Result<ScanReport, StoreError> {
        let due: Vec<DueRow> = sqlx::query_as(
            "SELECT id FROM tickets WHERE sla_next_at IS NOT NULL AND sla_next_at <= $1 \
             ORDER BY sla_next_at LIMIT $2",
        )
        .bind(ms(now))
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        let mut report = ScanReport::default();
        for chunk in due.chunks(SCAN_CHUNK) {
            report.marks += self.scan_chunk(chunk, now).await?;
            report.tickets += chunk.len();
        }
        Ok(report)
    }

    /// Scans a few hundred due tickets in one transaction with a handful of statements: their
    /// rows (locked; rows another instance holds are left to it), the marks they have, then
    /// the new marks in one insert whose `RETURNING` names the ones really added (the primary
    /// key makes each happen once), their events and outbox entries in one insert each, and
    /// every ticket's colour and next moment in one update. Answers the marks added.
    pub(crate) async fn scan_chunk(
        &self,
        chunk: &[DueRow],
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let t = ms(now);
        let in_list = |sql: &mut Sql| {
            for (i, r) in chunk.iter().enumerate() {
                sql.push(if i == 0 { "(" } else { ", " }).text(r.id.clone());
            }
            sql.push(")");
        };
        let mut tx = self.write.begin().await?;
        let mut sql = Sql::new(
            "SELECT id, tenant_id, status, region_id, sla_policy_id, sla, sla_state, \
             first_response_at, first_arrival_at, resolved_at, closed_at, updated_at FROM tickets \
             WHERE sla_next_at <= ",
        );
        sql.int(t).push(" AND id IN ");
        in_list(&mut sql);
        sql.push(self.backend.skip_locked());
        let rows: Vec<ScanRow> = sql.query_as().fetch_all(&mut *tx).await?;
        let mut sql = Sql::new("SELECT ticket_id, target, kind FROM sla_marks WHERE ticket_id IN ");
        in_list(&mut sql);
        let fired: Vec<(String, String, String)> = sql.query_as().fetch_all(&mut *tx).await?;
        let fired: HashSet<(String, Target, MarkKind)> = fired
            .into_iter()
            .filter_map(|(id, tg, k)| Some((id, Target::parse(&tg)?, MarkKind::parse(&k)?)))
            .collect();

        let mut marks = Vec::new();
        let mut owed_marks = Vec::new();
        let mut updates = Vec::with_capacity(rows.len());
        for row in &rows {
            let tenant = parse_id(&row.tenant_id, TenantId::parse)?;
            let ticket = parse_id(&row.id, TicketId::parse)?;
            let policy = self
                .tenant(tenant)
                .terms_of(row.sla_policy_id.as_deref())
                .await?;
            let stored = row.sla.as_deref().map(parse_sla).transpose()?;
            let (Some(policy), Some(stored)) = (policy, stored) else {
                updates.push((row.id.clone(), row.sla_state.clone(), None));
                continue;
            };
            let met = row.kept.met()?;
            let owed = sla::scan(
                &stored.schedule,
                &policy.terms.escalation,
                &met,
                stored.clock.paused_since,
                t,
                |tg, k| fired.contains(&(row.id.clone(), tg, k)),
            );
            for mark in &owed.fire {
                marks.push(vec![
                    Arg::Text(Some(row.tenant_id.clone())),
                    Arg::Text(Some(row.id.clone())),
                    Arg::Text(Some(mark.target.as_str().to_owned())),
                    Arg::Text(Some(mark.kind.code())),
                    Arg::Int(t),
                ]);
                let escalation = match mark.kind {
                    MarkKind::Escalated(level) => Some(Escalation {
                        level,
                        notify_roles: policy.terms.notify_roles(level).to_vec(),
                        region_id: parse_opt_id(row.region_id.clone(), RegionId::parse)?,
                    }),
                    _ => None,
                };
                let data = SlaMark {
                    target: mark.target,
                    due: stored.schedule.of(mark.target).map(|d| from_ms(d.due)),
                    at: from_ms(mark.at),
                    escalation,
                };
                owed_marks.push((row.tenant_id.clone(), ticket, *mark, data));
            }
            // Every owed mark is recorded now; the next look is the scan's next moment.
            let state = sla::state(&stored.schedule, &met, stored.clock.paused_since, t);
            updates.push((row.id.clone(), state.as_str().to_owned(), owed.next));
        }

        let mut written = 0;
        if !marks.is_empty() {
            let mut sql =
                Sql::new("INSERT INTO sla_marks (tenant_id, ticket_id, target, kind, at) VALUES ");
            sql.rows(marks).push(
                " ON CONFLICT (ticket_id, target, kind) DO NOTHING RETURNING ticket_id, target, kind",
            );
            let added: HashSet<(String, String, String)> = sql
                .query_as()
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .collect();
            let mut events: Vec<(String, NewEvent)> = Vec::new();
            let mut outbox = Vec::new();
            for (tenant, ticket, mark, data) in owed_marks {
                let key = (
                    ticket.to_string(),
                    mark.target.as_str().to_owned(),
                    mark.kind.code(),
                );
                if !added.contains(&key) {
                    continue;
                }
                written += 1;
                let event = NewEvent::system(ticket, mark.kind.event(data), now);
                let published = mark.kind.published_event();
                outbox.push(publish(
                    &tenant,
                    ticket,
                    published,
                    event.payload.data(),
                    now,
                ));
                events.push((tenant, event));
            }
            if !events.is_empty() {
                events.sort_by(|a, b| a.0.cmp(&b.0));
                for run in events.chunk_by(|a, b| a.0 == b.0) {
                    let tenant = &run[0].0;
                    let run: Vec<NewEvent> = run.iter().map(|(_, e)| e.clone()).collect();
                    events::append(&mut tx, tenant, &run).await?;
                }
                insert_jobs(&mut tx, outbox, now).await?;
            }
        }
        if !updates.is_empty() {
            let mut sql = Sql::new("UPDATE tickets SET sla_state = CASE id");
            for (id, state, _) in &updates {
                sql.push(" WHEN ")
                    .text(id.clone())
                    .push(" THEN ")
                    .text(state.clone());
            }
            sql.push(" END, sla_next_at = CASE id");
            for (id, _, next) in &updates {
                sql.push(" WHEN ")
                    .text(id.clone())
                    .push(" THEN ")
                    .bind(Arg::OptInt(*next));
            }
            sql.push(" END WHERE id IN (");
            for (i, (id, _, _)) in updates.iter().enumerate() {
                sql.push(if i == 0 { "" } else { ", " }).text(id.clone());
            }
            sql.push(")");
            sql.query().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(written)
    }
}
