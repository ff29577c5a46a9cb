//! History import: tickets from another system (or a benchmark's generator) written with
//! their whole event log in one transaction per batch, in any order. The ticket's own columns
//! (status, assignee, resolution, closure, first response and arrival, visits, reopens) are
//! derived from its events, the same way the KPIs read them, so the two cannot disagree.

use loopdesk_core::search::Kind;
use std::collections::BTreeSet;
use std::sync::atomic::Ordering;

use chrono::{DateTime, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::event::payload::{self, MoveData};
use loopdesk_core::event::{Event, EventKind, Payload};
use loopdesk_core::kpi::Facts;
use loopdesk_core::ticket::status::Status;
use loopdesk_core::ticket::transitions::{Actor, ConfirmedBy, MoveKind};
use loopdesk_core::ticket::Channel;
use loopdesk_core::{AssetId, CustomerId, RegionId, TeamId, TicketId, UserId};

use crate::events::{EventRow, EVENT_INSERT};
use crate::sql::{Arg, Sql};
use crate::{ms, StoreError, TenantStore};

mod checks;
mod customers;
mod tickets;
pub use customers::{ContactImportRow, CustomerImportRow, SiteImportRow};
pub use tickets::TicketsImported;
mod schema;

use checks::{check_references, named, Named, Reference};

pub use loopdesk_core::ticket::import::HistoryEvent;

/// An imported ticket with its event log, oldest event first.
#[derive(Clone, Debug)]
pub struct HistoryTicket {
    /// Its id.
    pub id: TicketId,
    /// Its number (unique in the tenant).
    pub number: String,
    /// How it came in.
    pub channel: Channel,
    /// The customer.
    pub customer_id: Option<CustomerId>,
    /// The equipment.
    pub asset_id: Option<AssetId>,
    /// The region.
    pub region_id: Option<RegionId>,
    /// The team.
    pub team_id: Option<TeamId>,
    /// Category code.
    pub category: Option<String>,
    /// 1–4.
    pub priority: i64,
    /// Subject.
    pub subject: String,
    /// Description.
    pub description: String,
    /// Who recorded it.
    pub created_by: Option<UserId>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// The resolution due time its SLA gave it.
    pub resolution_due: Option<DateTime<Utc>>,
    /// Its events, oldest first.
    pub events: Vec<HistoryEvent>,
}

/// Rows per statement: well under SQLite's 32,766 and PostgreSQL's 65,535 placeholders.
const TICKET_ROWS: usize = 1_000;
const EVENT_ROWS: usize = 3_000;

/// The history import's statements (events: [`EVENT_INSERT`]).
const TICKET_INSERT: &str = "INSERT INTO tickets (id, tenant_id, number, channel, customer_id, \
     asset_id, region_id, team_id, category, priority, subject, description, status, assignee_id, created_by, \
     created_at, updated_at, version, visit_count, resolved_at, closed_at, confirmed_by, \
     reopen_count, first_response_at, first_arrival_at, resolution_due, checked_in_at) VALUES ";
const ASSIGNMENT_INSERT: &str =
    "INSERT INTO ticket_assignments (tenant_id, ticket_id, user_id, first_at) VALUES ";

impl TenantStore {
    /// Writes a batch of tickets with their events in one transaction (admin): all of them or
    /// none. Events must be in time order and not before the ticket's creation; a log that
    /// does not begin with `created` gets that event.
    pub async fn import_history(
        &self,
        actor: &Actor,
        tickets: &[HistoryTicket],
    ) -> Result<(), StoreError> {
        self.import_history_with(actor, tickets, Vec::new()).await
    }

    /// [`TenantStore::import_history`], with more rows written in the same transaction after
    /// the tickets and their events: `(INSERT INTO … VALUES , rows)`.
    pub(crate) async fn import_history_with(
        &self,
        actor: &Actor,
        tickets: &[HistoryTicket],
        extra: Vec<(&'static str, Vec<Vec<Arg>>)>,
    ) -> Result<(), StoreError> {
        if !access::allowed(actor, Permission::ManageUsers) {
            return Err(StoreError::Forbidden);
        }
        let tid = self.tid();
        let mut ticket_rows = Vec::with_capacity(tickets.len());
        let mut event_rows = Vec::new();
        let mut assignment_rows = Vec::new();
        let mut facts_rows = Vec::with_capacity(tickets.len());
        let mut refs = Vec::new();
        for (i, t) in tickets.iter().enumerate() {
            let mut refer = |table, field, id: Option<String>| {
                refs.extend(id.map(|id| Reference {
                    table,
                    field,
                    id,
                    row: i + 1,
                }));
            };
            refer(
                "customers",
                "customer_id",
                t.customer_id.map(|c| c.to_string()),
            );
            refer("assets", "asset_id", t.asset_id.map(|a| a.to_string()));
            refer("regions", "region_id", t.region_id.map(|r| r.to_string()));
            refer("teams", "team_id", t.team_id.map(|r| r.to_string()));
            refer("users", "created_by", t.created_by.map(|u| u.to_string()));
            let created = ms(t.created_at);
            let mut last = created;
            for e in &t.events {
                if ms(e.at) < last {
                    return Err(StoreError::Corrupt(format!(
                        "{}: events out of order",
                        t.number
                    )));
                }
                last = ms(e.at);
            }
            let facts = Facts::from_events(
                created,
                t.events.iter().map(|e| Event {
                    payload: &e.payload,
                    at: ms(e.at),
                    to: e.to,
                    by: e.by,
                    internal: e.internal,
                }),
            );
            let status = t
                .events
                .iter()
                .rev()
                .find_map(|e| e.to)
                .unwrap_or(Status::New);
            let moves = t
                .events
                .iter()
                .filter(|e| e.to.is_some() && e.payload.kind() != EventKind::Created)
                .count() as i64;
            let assignee = match status {
                Status::New | Status::Cancelled if facts.engineer.is_none() => None,
                _ => facts.engineer.clone(),
            };
            // The ticket's engineer is the last one any assign, reassign or redispatch named.
            refer("users", "assignee_id", assignee.clone());
            let checked_in_at = t
                .events
                .iter()
                .rev()
                .find(|e| e.payload.kind() == EventKind::CheckIn)
                .map(|e| ms(e.at));
            ticket_rows.push(vec![
                Arg::Text(Some(t.id.to_string())),
                Arg::Text(Some(tid.clone())),
                Arg::Text(Some(t.number.clone())),
                Arg::Text(Some(t.channel.as_str().to_owned())),
                Arg::Text(t.customer_id.map(|c| c.to_string())),
                Arg::Text(t.asset_id.map(|a| a.to_string())),
                Arg::Text(t.region_id.map(|r| r.to_string())),
                Arg::Text(t.team_id.map(|r| r.to_string())),
                Arg::Text(t.category.clone()),
                Arg::Int(t.priority),
                Arg::Text(Some(t.subject.clone())),
                Arg::Text(Some(t.description.clone())),
                Arg::Text(Some(status.as_str().to_owned())),
                Arg::Text(assignee.clone()),
                Arg::Text(t.created_by.map(|u| u.to_string())),
                Arg::Int(created),
                Arg::Int(last),
                Arg::Int(1 + moves),
                Arg::Int(i64::from(facts.visits)),
                Arg::OptInt(facts.resolved_at),
                Arg::OptInt(facts.closed.map(|c| c.at).or(facts.cancelled_at)),
                Arg::Text(facts.closed.and_then(|_| confirmed_by(&t.events))),
                Arg::Int(i64::from(facts.reopens)),
                Arg::OptInt(facts.first_response_at),
                Arg::OptInt(facts.first_arrival_at),
                Arg::OptInt(t.resolution_due.map(ms)),
                Arg::OptInt(checked_in_at),
            ]);
            facts_rows.push((t.id.to_string(), facts));
            let mut assigned = BTreeSet::new();
            if t.events
                .first()
                .is_none_or(|e| e.payload.kind() != EventKind::Created)
            {
                // Every ticket's log starts with its creation, as a lived one does.
                let created = Payload::Created(payload::Created {
                    number: t.number.clone(),
                    channel: t.channel,
                    priority: t.priority,
                });
                let row = EventRow {
                    ticket: t.id,
                    payload: &created,
                    actor: t.created_by,
                    at: t.created_at,
                    from: None,
                    to: Some(Status::New),
                    internal: false,
                };
                event_rows.push(row.row(&tid));
            }
            for e in &t.events {
                refer("users", "actor_id", e.actor_id.map(|u| u.to_string()));
                if let Payload::Move(
                    _,
                    MoveData {
                        assignee_id: Some(a),
                        ..
                    },
                ) = &e.payload
                {
                    if e.to == Some(Status::Assigned) && assigned.insert(*a) {
                        refer("users", "assignee_id", Some(a.to_string()));
                        assignment_rows.push(vec![
                            Arg::Text(Some(tid.clone())),
                            Arg::Text(Some(t.id.to_string())),
                            Arg::Text(Some(a.to_string())),
                            Arg::Int(ms(e.at)),
                        ]);
                    }
                }
                let row = EventRow {
                    ticket: t.id,
                    payload: &e.payload,
                    actor: e.actor_id,
                    at: e.at,
                    from: e.from,
                    to: e.to,
                    internal: e.internal,
                };
                event_rows.push(row.row(&tid));
            }
        }
        let backend = self.store.backend;
        // A batch on its own gets the large cache for itself; within a bulk import
        // ([`TenantStore::begin_import`]) the cache stays large from batch to batch.
        let alone = self.store.importing.load(Ordering::SeqCst) == 0;
        if alone {
            self.import_cache(true).await?;
        }
        let written = self
            .write_history(
                backend,
                refs,
                HistoryRows {
                    ids: tickets.iter().map(|t| t.id.to_string()).collect(),
                    tickets: ticket_rows,
                    events: event_rows,
                    assignments: assignment_rows,
                    facts: facts_rows,
                    extra,
                },
            )
            .await;
        if alone {
            self.import_cache(false).await?;
        }
        written
    }

    async fn write_history(
        &self,
        backend: crate::Backend,
        refs: Vec<Reference>,
        rows: HistoryRows,
    ) -> Result<(), StoreError> {
        let named = named(&refs);
        let mut conn = self.store.write.acquire().await?;
        // The batch checks every customer, region, team and user it names at once, and its
        // events and assignments name only its own tickets; so on the writer connection, held
        // for this transaction alone, the row-by-row checks are off and back on before any
        // other write can use it.
        if let Some(off) = backend.row_key_checks(false) {
            sqlx::query(off).execute(&mut *conn).await?;
        }
        let ended = self
            .write_batch(&mut conn, backend, (&named, &refs), rows)
            .await;
        if let Some(on) = backend.row_key_checks(true) {
            if let Err(e) = sqlx::query(on).execute(&mut *conn).await {
                // Never back into the pool without its key checks.
                conn.close_on_drop();
                return ended.and(Err(e.into()));
            }
        }
        ended
    }

    /// One batch's transaction on `conn`: committed whole or rolled back.
    async fn write_batch(
        &self,
        conn: &mut sqlx::AnyConnection,
        backend: crate::Backend,
        (named, refs): (&Named<'_>, &[Reference]),
        rows: HistoryRows,
    ) -> Result<(), StoreError> {
        let mut tx = sqlx::Connection::begin(conn).await?;
        let written = async {
            check_references(&mut tx, backend, &self.tid(), named, refs).await?;
            insert_rows(&mut tx, backend, TICKET_INSERT, rows.tickets, TICKET_ROWS).await?;
            insert_rows(&mut tx, backend, EVENT_INSERT, rows.events, EVENT_ROWS).await?;
            insert_rows(
                &mut tx,
                backend,
                ASSIGNMENT_INSERT,
                rows.assignments,
                EVENT_ROWS,
            )
            .await?;
            for (insert, extra) in rows.extra {
                insert_rows(&mut tx, backend, insert, extra, EVENT_ROWS).await?;
            }
            crate::facts::write(&mut tx, &self.tid(), rows.facts).await?;
            crate::search::index::refresh(&mut tx, &self.tid(), Kind::Ticket, &rows.ids).await
        }
        .await;
        match written {
            Ok(()) => tx.commit().await.map_err(StoreError::from),
            Err(e) => tx.rollback().await.map_err(StoreError::from).and(Err(e)),
        }
    }
}

/// A batch's rows, ready to insert.
struct HistoryRows {
    /// The tickets' ids (for their search documents).
    ids: Vec<String>,
    /// Tickets ([`TICKET_INSERT`]).
    tickets: Vec<Vec<Arg>>,
    /// Their events ([`EVENT_INSERT`]).
    events: Vec<Vec<Arg>>,
    /// Their assignment histories ([`ASSIGNMENT_INSERT`]).
    assignments: Vec<Vec<Arg>>,
    /// Each ticket's facts.
    facts: Vec<(String, Facts)>,
    /// More rows naming the tickets: (statement, rows).
    extra: Vec<(&'static str, Vec<Vec<Arg>>)>,
}

/// Who confirmed the last closure: `auto` for the auto-close, else what its confirmation says.
fn confirmed_by(events: &[HistoryEvent]) -> Option<String> {
    let close = events.iter().rev().find(|e| e.to == Some(Status::Closed))?;
    match &close.payload {
        Payload::Move(MoveKind::AutoClose, _) => Some(ConfirmedBy::Auto.as_str().to_owned()),
        Payload::Move(_, MoveData { confirmation, .. }) => {
            confirmation.as_ref().map(|c| c.by.as_str().to_owned())
        }
        _ => None,
    }
}

/// Inserts `rows` with `insert` (`INSERT INTO … VALUES `), at most `size` to a statement.
async fn insert_rows(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: crate::Backend,
    insert: &str,
    rows: Vec<Vec<Arg>>,
    size: usize,
) -> Result<(), StoreError> {
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        Sql::new(insert)
            .rows(rows.by_ref().take(size))
            .positional_for(backend)
            .query()
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
