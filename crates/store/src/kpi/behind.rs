//! The tickets behind a figure (drill-down), worst first.

use crate::facts::{fold, EventRow, EVENT_COLUMNS, PM_DUE};
use crate::{StoreError, TenantStore};
use chrono::{DateTime, Utc};
use loopdesk_core::kpi::{Facts, Metric, TicketKpi};
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::validate::FieldError;
use std::collections::HashMap;

use super::*;

impl TenantStore {
    /// The tickets behind one figure of a KPI answer ([`kpi::behind`]), worst first, at most
    /// `limit`: `metric` names the KPI, `group` the row (as `group` in the answer).
    pub async fn kpi_tickets_behind(
        &self,
        actor: &Actor,
        req: KpiRequest,
        metric: &str,
        group: Option<&str>,
        limit: usize,
        now: DateTime<Utc>,
    ) -> Result<Vec<KpiTicket>, StoreError> {
        let unknown = FieldError {
            field: "metric",
            reason: "error.unknown_metric",
        };
        let metric = Metric::parse(metric).ok_or(unknown)?;
        let (query, filter) = self.kpi_query(actor, &req, now).await?;
        let not_per_ticket = FieldError {
            field: "metric",
            reason: "error.metric_not_per_ticket",
        };
        if metric == Metric::Utilisation {
            return Err(not_per_ticket.into());
        }
        let Some(filter) = filter else {
            return Ok(Vec::new());
        };
        let found = {
            let shelf = self.kpi_book().await?;
            shelf.book.behind(&query, &filter, metric, group)
        };
        let found = found.ok_or(not_per_ticket)?;
        let mut out = Vec::new();
        for (key, value) in found.into_iter().take(limit) {
            let id = uuid::Uuid::from_u128(key).to_string();
            let row: Option<BehindRow> = sqlx::query_as(
                "SELECT number, subject, status, created_at FROM tickets WHERE tenant_id = $1 AND id = $2",
            )
            .bind(self.tid())
            .bind(&id)
            .fetch_optional(&self.store.replica)
            .await?;
            if let Some(r) = row {
                out.push(KpiTicket {
                    id,
                    number: r.number,
                    subject: r.subject,
                    status: r.status,
                    created_at: crate::from_ms(r.created_at),
                    value,
                });
            }
        }
        Ok(out)
    }

    /// Every ticket the period `[from, to)` can touch — created before its end and created or
    /// changed since its start — folded from its events.
    pub(crate) async fn kpi_tickets(
        &self,
        from: i64,
        to: i64,
    ) -> Result<Vec<TicketKpi>, StoreError> {
        // Maintenance orders due from the day before the period on (in any time zone) count
        // too: PM compliance takes them by their due date.
        const TOUCHED: &str = "t.tenant_id = $1 AND t.created_at < $2 AND (t.created_at >= $3 \
             OR t.updated_at >= $3 OR t.id IN (SELECT v.ticket_id FROM maintenance_visits v \
             WHERE v.tenant_id = $1 AND v.due_on >= $4))";
        let offset = self.settings().await?.offset;
        let day_before = (crate::from_ms(from) - chrono::Duration::days(2))
            .date_naive()
            .to_string();
        let tickets: Vec<TicketRow> = sqlx::query_as(&format!(
            "SELECT t.id, {GROUP_COLUMNS}, {PM_DUE} AS pm_due \
             FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id WHERE {TOUCHED}"
        ))
        .bind(self.tid())
        .bind(to)
        .bind(from)
        .bind(&day_before)
        .fetch_all(&self.store.replica)
        .await?;
        let events: Vec<EventRow> = sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS} \
             FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id \
             LEFT JOIN users u ON u.id = e.actor_id \
             WHERE e.tenant_id = $1 AND {TOUCHED} ORDER BY e.ticket_id, e.at, e.id"
        ))
        .bind(self.tid())
        .bind(to)
        .bind(from)
        .bind(&day_before)
        .fetch_all(&self.store.replica)
        .await?;
        let mut facts: HashMap<String, Facts> = tickets
            .iter()
            .map(|t| (t.id.clone(), Facts::new(t.grouping.created_at)))
            .collect();
        fold(&mut facts, &events)?;
        Ok(tickets
            .into_iter()
            .map(|t| {
                let f = facts.remove(&t.id).unwrap_or_default();
                t.grouping.ticket(t.id, f, offset)
            })
            .collect())
    }
}

/// A ticket behind a figure, as the drill-down lists it.
#[derive(sqlx::FromRow)]
struct BehindRow {
    number: String,
    subject: String,
    status: String,
    created_at: i64,
}
