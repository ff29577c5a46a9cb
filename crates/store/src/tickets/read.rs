//! Reading one ticket with the events its reader may see, and what live pages poll.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use loopdesk_core::access::{self, TicketScope};
use loopdesk_core::event::EventKind;
use loopdesk_core::screening::Finding;
use loopdesk_core::ticket::transitions::{moves_for, ReportInput, Rule, Standing};
use loopdesk_core::ticket::Actor;
use loopdesk_core::{Status, TicketId, UserId};

use super::*;
use crate::rows::{corrupt, parse_id, parse_opt_id};
use crate::scope::push_scope;
use crate::sql::Sql;
use crate::{from_ms, StoreError, TenantStore, Ticket, TicketDetail, TicketEvent};

impl TenantStore {
    /// One ticket with its events, if `scope` may see it (otherwise `NotFound`).
    pub async fn ticket(
        &self,
        scope: &TicketScope,
        id: TicketId,
        internal: bool,
    ) -> Result<TicketDetail, StoreError> {
        let events_json = self.store.backend.ticket_events_json(internal);
        let sql = self.visible_ticket(
            &format!("{TICKET_COLUMNS}, {events_json} AS events"),
            id,
            scope,
        );
        let row: Option<TicketWithEventsRow> =
            sql.query_as().fetch_optional(&self.store.read).await?;
        let row = row.ok_or(StoreError::NotFound)?;
        let ticket = row.ticket.into_model()?;
        let rows: Vec<EventRow> = serde_json::from_str(row.events.as_deref().unwrap_or("[]"))
            .map_err(|_| corrupt("ticket events"))?;
        // A reader who may not see internal entries is the customer: they get their view of
        // the log (core decides, per kind, what of it is theirs).
        let events = rows
            .into_iter()
            .filter_map(|mut r| {
                let Some(kind) = EventKind::parse(&r.kind) else {
                    return Some(Err(corrupt("event kind")));
                };
                if !internal {
                    r.data = kind.customer_view(&r.data)?;
                }
                Some(Ok((kind, r)))
            })
            .map(|found| {
                let (kind, r) = found?;
                Ok(TicketEvent {
                    id: r.id,
                    kind,
                    actor: parse_opt_id(r.actor_id, UserId::parse)?,
                    actor_name: r.actor_name,
                    at: from_ms(r.at),
                    from_status: r
                        .from_status
                        .as_deref()
                        .map(Status::parse)
                        .map(|s| s.ok_or_else(|| corrupt("from_status")))
                        .transpose()?,
                    to_status: r
                        .to_status
                        .as_deref()
                        .map(Status::parse)
                        .map(|s| s.ok_or_else(|| corrupt("to_status")))
                        .transpose()?,
                    internal: r.internal != 0,
                    data: r.data,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(TicketDetail { ticket, events })
    }

    /// One ticket without its events, as the API shows it (for the outbox: no access check).
    pub(crate) async fn ticket_without_events(&self, id: TicketId) -> Result<Ticket, StoreError> {
        let sql = self.visible_ticket(TICKET_COLUMNS, id, &access::ticket_scope(&Actor::System));
        let row: Option<TicketRow> = sql.query_as().fetch_optional(&self.store.read).await?;
        row.ok_or(StoreError::NotFound)?.into_model()
    }

    /// One ticket with the events `actor` may see.
    pub async fn ticket_for(
        &self,
        actor: &Actor,
        id: TicketId,
    ) -> Result<TicketDetail, StoreError> {
        self.ticket(&access::ticket_scope(actor), id, sees_internal(actor))
            .await
    }

    /// The last work report sent on each of these tickets that the actor may see, as it was
    /// sent (staff only), in one query: the review desk shows what each waiting report says,
    /// and after a review sends one back the engineer's form comes back filled in with it.
    pub async fn last_reports(
        &self,
        actor: &Actor,
        ids: &[TicketId],
    ) -> Result<HashMap<TicketId, ReportInput>, StoreError> {
        let mut last = HashMap::new();
        for (id, body) in self.last_report_column(actor, ids, "body").await? {
            let body = body.ok_or_else(|| corrupt("body"))?;
            let report =
                serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            last.insert(id, report);
        }
        Ok(last)
    }

    /// What screening found in the last report on each of these tickets (staff only): the
    /// review desk and the ticket page say why a report was flagged.
    pub async fn last_findings(
        &self,
        actor: &Actor,
        ids: &[TicketId],
    ) -> Result<HashMap<TicketId, Vec<Finding>>, StoreError> {
        let mut last = HashMap::new();
        for (id, findings) in self.last_report_column(actor, ids, "findings").await? {
            let findings = match findings {
                Some(f) => serde_json::from_str(&f).map_err(|_| corrupt("findings"))?,
                None => Vec::new(),
            };
            last.insert(id, findings);
        }
        Ok(last)
    }

    /// One column of the work reports on these tickets the actor may see (staff only),
    /// oldest first: a ticket's last report is the last of its rows.
    async fn last_report_column(
        &self,
        actor: &Actor,
        ids: &[TicketId],
        column: &'static str,
    ) -> Result<Vec<(TicketId, Option<String>)>, StoreError> {
        if !sees_internal(actor) {
            return Err(StoreError::Forbidden);
        }
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
        let mut sql = Sql::new(&format!(
            "SELECT w.ticket_id, w.{column} FROM work_reports w JOIN tickets t \
             ON t.tenant_id = w.tenant_id AND t.id = w.ticket_id WHERE w.tenant_id = "
        ));
        sql.text(self.tid()).id_list(" AND w.ticket_id", &ids);
        push_scope(&mut sql, &access::ticket_scope(actor));
        sql.push(" ORDER BY w.submitted_at, w.id");
        let rows: Vec<(String, Option<String>)> =
            sql.query_as().fetch_all(&self.store.read).await?;
        rows.into_iter()
            .map(|(id, value)| Ok((parse_id(&id, TicketId::parse)?, value)))
            .collect()
    }

    /// The version of a ticket the actor may see (`None`: not visible), for live pages.
    pub async fn ticket_version(
        &self,
        actor: &Actor,
        id: TicketId,
    ) -> Result<Option<i64>, StoreError> {
        let scope = access::ticket_scope(actor);
        let row: Option<(i64,)> = self
            .visible_ticket("t.version", id, &scope)
            .query_as()
            .fetch_optional(&self.store.read)
            .await?;
        Ok(row.map(|r| r.0))
    }

    /// When a ticket the actor may see last changed (`updated_at`, newest), for live queues.
    pub async fn queue_stamp(&self, actor: &Actor) -> Result<i64, StoreError> {
        let scope = access::ticket_scope(actor);
        let mut sql = Sql::new("SELECT MAX(t.updated_at) FROM tickets t WHERE t.tenant_id = ");
        sql.text(self.tid());
        push_scope(&mut sql, &scope);
        let row: (Option<i64>,) = sql.query_as().fetch_one(&self.store.read).await?;
        Ok(row.0.unwrap_or(0))
    }
}

impl TenantStore {
    /// The moves `actor` may make on `ticket` now (core's `moves_for`, with the tenant's
    /// reopen window): what a page offers.
    pub async fn moves_on(
        &self,
        actor: &Actor,
        ticket: &Ticket,
        now: DateTime<Utc>,
    ) -> Result<Vec<&'static Rule>, StoreError> {
        let policy = self.settings().await?.policy;
        let standing = Standing {
            status: ticket.status,
            assignee_id: ticket.assignee_id,
            customer_id: ticket.customer_id,
            closed_at: ticket.closed_at,
        };
        Ok(moves_for(actor, standing, &policy, now))
    }
}
