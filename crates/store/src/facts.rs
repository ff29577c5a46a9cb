//! The KPI fast path. Every ticket has a row in `ticket_facts` holding its events folded by
//! [`kpi::Facts`]; each new event is folded into it in the same transaction that appends the
//! event ([`crate::events::append`]), so it never disagrees with the log.
//! The KPI book reads these rows ([`crate::kpi::book`]). The reference definition — folding
//! the event log of the period — stays in [`crate::kpi`] and is what the tests compare the
//! book with.

use std::borrow::Borrow;
use std::collections::HashMap;

use loopdesk_core::event::{By, Event, EventKind, Payload};
use loopdesk_core::kpi::Facts;
use loopdesk_core::ticket::status::Status;
use loopdesk_core::{Role, Roles, TicketId};
use serde_json::Value;
use sqlx::{Any, Transaction};

use crate::sql::{Arg, Sql};
use crate::{Backend, StoreError, TenantStore};

/// A stored event as the fold reads it, with its actor's roles.
#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    ticket_id: String,
    kind: String,
    at: i64,
    to_status: Option<String>,
    internal: i64,
    data: String,
    actor_id: Option<String>,
    roles: Option<String>,
}

/// The select list of [`EventRow`] over `ticket_events e` joined to `users u`.
pub(crate) const EVENT_COLUMNS: &str =
    "e.ticket_id, e.kind, e.at, e.to_status, e.internal, e.data, e.actor_id, u.roles";

/// A column with a ticket `t`'s maintenance due date (`YYYY-MM-DD`), if it is one.
pub(crate) const PM_DUE: &str = "(SELECT MIN(v.due_on) FROM maintenance_visits v \
     WHERE v.tenant_id = t.tenant_id AND v.ticket_id = t.id)";

/// The start of a maintenance due date in local time, in ms.
pub(crate) fn pm_due_ms(due_on: Option<&str>, offset: chrono::FixedOffset) -> Option<i64> {
    let day: chrono::NaiveDate = due_on?.parse().ok()?;
    Some(
        day.and_hms_opt(0, 0, 0)?
            .and_local_timezone(offset)
            .single()?
            .timestamp_millis(),
    )
}

/// Folds events (ordered by ticket, time, id) into the facts of their tickets; events of
/// tickets not in `facts` are passed over.
pub(crate) fn fold(
    facts: &mut HashMap<String, Facts>,
    events: &[EventRow],
) -> Result<(), StoreError> {
    for row in events {
        let Some(f) = facts.get_mut(&row.ticket_id) else {
            continue;
        };
        let kind = EventKind::parse(&row.kind)
            .ok_or_else(|| StoreError::Corrupt(format!("event kind {}", row.kind)))?;
        let data: Value = serde_json::from_str(&row.data)
            .map_err(|_| StoreError::Corrupt(format!("data of a {kind} event")))?;
        let payload =
            Payload::parse(kind, &data).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let by = match (&row.actor_id, &row.roles) {
            (None, _) => By::System,
            (Some(_), Some(roles))
                if Roles::from_csv(roles).is_ok_and(|r| r.has(Role::Customer)) =>
            {
                By::Customer
            }
            (Some(_), _) => By::Staff,
        };
        f.apply(&Event {
            payload: &payload,
            at: row.at,
            to: row.to_status.as_deref().and_then(Status::parse),
            by,
            internal: row.internal != 0,
        });
    }
    Ok(())
}

/// The mark of a change made in `tx`: on SQLite one more than the tenant's highest (its one
/// writer commits in that order), on PostgreSQL the transaction's id.
async fn mark(tx: &mut Transaction<'_, Any>, tenant: &str) -> Result<i64, StoreError> {
    let mark: i64 = sqlx::query_scalar(Backend::of_connection(tx).facts_mark())
        .bind(tenant)
        .fetch_one(&mut **tx)
        .await?;
    Ok(mark)
}

/// Rows per statement when writing facts.
const FACTS_ROWS: usize = 1_000;

/// Writes the facts of tickets inside `tx` (insert or replace).
pub(crate) async fn write<T: ToString, F: Borrow<Facts>>(
    tx: &mut Transaction<'_, Any>,
    tenant: &str,
    facts: impl IntoIterator<Item = (T, F)>,
) -> Result<(), StoreError> {
    let backend = Backend::of_connection(tx);
    // In key order: the index pages are visited once each rather than at random.
    let mut facts: Vec<(String, F)> = facts.into_iter().map(|(t, f)| (t.to_string(), f)).collect();
    if facts.is_empty() {
        return Ok(());
    }
    let mark = mark(tx, tenant).await?;
    facts.sort_by(|a, b| a.0.cmp(&b.0));
    let mut rows: Vec<Vec<Arg>> = Vec::with_capacity(facts.len());
    for (ticket, f) in facts {
        let json =
            serde_json::to_string(f.borrow()).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        rows.push(vec![
            Arg::Text(Some(tenant.to_owned())),
            Arg::Text(Some(ticket)),
            Arg::Int(mark),
            Arg::Text(Some(json)),
        ]);
    }
    while !rows.is_empty() {
        let rest = rows.split_off(rows.len().min(FACTS_ROWS));
        Sql::new("INSERT INTO ticket_facts (tenant_id, ticket_id, mark, facts) VALUES ")
            .rows(std::mem::replace(&mut rows, rest))
            .push(
                " ON CONFLICT (tenant_id, ticket_id) DO UPDATE SET mark = excluded.mark, \
                 facts = excluded.facts",
            )
            .positional_for(backend)
            .query()
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The stored facts of tickets, inside `tx`, locked against concurrent writers of the same
/// tickets on PostgreSQL (SQLite's one writer serialises them already). Tickets without a
/// facts row are left out.
pub(crate) async fn read(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    tenant: &str,
    tickets: &[TicketId],
) -> Result<HashMap<TicketId, Facts>, StoreError> {
    if tickets.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql = Sql::new("SELECT ticket_id, facts FROM ticket_facts WHERE tenant_id = ");
    // Several tickets (a batch of creations, an SLA scan) go in as a literal list: measured,
    // 444 ms -> a few for the 200 tickets of an SLA scan chunk at 100,000 tickets on PostgreSQL.
    let ids: Vec<String> = tickets.iter().map(ToString::to_string).collect();
    sql.text(tenant)
        .id_list(" AND ticket_id", &ids)
        .push(backend.for_update());
    let rows: Vec<(String, String)> = sql
        .positional_for(backend)
        .query_as()
        .fetch_all(&mut **tx)
        .await?;
    rows.into_iter()
        .map(|(id, json)| {
            let ticket = TicketId::parse(&id).ok_or_else(|| StoreError::Corrupt(id.clone()))?;
            let facts = serde_json::from_str(&json)
                .map_err(|_| StoreError::Corrupt(format!("facts of {id}")))?;
            Ok((ticket, facts))
        })
        .collect()
}

/// Folds the whole event log of each ticket again and writes its facts, inside `tx`: for
/// tickets that have no facts row (a database from before the facts).
pub(crate) async fn refresh<T: ToString>(
    tx: &mut Transaction<'_, Any>,
    tenant: &str,
    tickets: &[T],
) -> Result<(), StoreError> {
    if tickets.is_empty() {
        return Ok(());
    }
    let backend = Backend::of_connection(tx);
    let ids = |sql: &mut Sql| {
        for (i, t) in tickets.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(Arg::Text(Some(t.to_string())));
        }
        sql.push(")");
    };
    let mut sql = Sql::new("SELECT id, created_at FROM tickets WHERE tenant_id = ");
    sql.bind(Arg::Text(Some(tenant.to_owned())))
        .push(" AND id IN (");
    ids(&mut sql);
    let created: Vec<(String, i64)> = sql
        .positional_for(backend)
        .query_as()
        .fetch_all(&mut **tx)
        .await?;
    let mut sql = Sql::new(&format!(
        "SELECT {EVENT_COLUMNS} FROM ticket_events e LEFT JOIN users u ON u.id = e.actor_id \
         WHERE e.tenant_id = "
    ));
    sql.bind(Arg::Text(Some(tenant.to_owned())))
        .push(" AND e.ticket_id IN (");
    ids(&mut sql);
    sql.push(" ORDER BY e.ticket_id, e.at, e.id");
    let events: Vec<EventRow> = sql
        .positional_for(backend)
        .query_as()
        .fetch_all(&mut **tx)
        .await?;
    let mut facts: HashMap<String, Facts> = created
        .into_iter()
        .map(|(id, at)| (id, Facts::new(at)))
        .collect();
    fold(&mut facts, &events)?;
    write(tx, tenant, facts).await
}

/// Marks a ticket's facts as changed without refolding them, inside `tx`: for changes to the
/// ticket's own columns that the KPIs group or judge by (its resolution due time).
pub(crate) async fn touch(
    tx: &mut Transaction<'_, Any>,
    tenant: &str,
    ticket: &str,
) -> Result<(), StoreError> {
    let mark = mark(tx, tenant).await?;
    sqlx::query("UPDATE ticket_facts SET mark = $1 WHERE tenant_id = $2 AND ticket_id = $3")
        .bind(mark)
        .bind(tenant)
        .bind(ticket)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl TenantStore {}

impl crate::Store {
    /// Writes the facts of tickets that have none (a database from before the KPI book, or
    /// rows written around it), folding their event logs, a few hundred per transaction.
    pub(crate) async fn backfill_facts(&self) -> Result<usize, StoreError> {
        let mut done = 0;
        loop {
            let missing: Vec<(String, String)> = sqlx::query_as(
                "SELECT t.tenant_id, t.id FROM tickets t LEFT JOIN ticket_facts f \
                 ON f.tenant_id = t.tenant_id AND f.ticket_id = t.id \
                 WHERE f.ticket_id IS NULL ORDER BY t.tenant_id LIMIT 500",
            )
            .fetch_all(&self.write)
            .await?;
            if missing.is_empty() {
                return Ok(done);
            }
            let mut by_tenant: HashMap<String, Vec<String>> = HashMap::new();
            for (tenant, ticket) in missing {
                by_tenant.entry(tenant).or_default().push(ticket);
            }
            let mut tx = self.write.begin().await?;
            for (tenant, tickets) in by_tenant {
                done += tickets.len();
                refresh(&mut tx, &tenant, &tickets).await?;
            }
            tx.commit().await?;
        }
    }
}
