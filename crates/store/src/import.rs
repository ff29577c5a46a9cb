//! History import: tickets from another system (or a benchmark's generator) written with
//! their whole event log in one transaction per batch, in any order. The ticket's own columns
//! (status, assignee, resolution, closure, first response and arrival, visits, reopens) are
//! derived from its events, the same way the KPIs read them, so the two cannot disagree.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::atomic::Ordering;

use chrono::{DateTime, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::event::payload::{self, MoveData};
use loopdesk_core::event::{By, Event, EventKind, Payload};
use loopdesk_core::kpi::Facts;
use loopdesk_core::ticket::status::Status;
use loopdesk_core::ticket::transitions::{Actor, ConfirmedBy, MoveKind};
use loopdesk_core::ticket::Channel;
use loopdesk_core::{CustomerId, RegionId, TeamId, TicketId, UserId};

use crate::events::{EventRow, EVENT_INSERT};
use crate::sql::{Arg, Sql};
use crate::{ms, RowError, StoreError, TenantStore};

/// One event of an imported ticket.
#[derive(Clone, Debug)]
pub struct HistoryEvent {
    /// What happened, with its data.
    pub payload: Payload,
    /// Who; `None` for the system.
    pub actor_id: Option<UserId>,
    /// Whether that was the customer, staff or the system.
    pub by: By,
    /// When.
    pub at: DateTime<Utc>,
    /// The status before a move.
    pub from: Option<Status>,
    /// The status after a move.
    pub to: Option<Status>,
    /// An internal note.
    pub internal: bool,
}

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
     region_id, team_id, category, priority, subject, description, status, assignee_id, created_by, \
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
                (ticket_rows, event_rows, assignment_rows, facts_rows),
            )
            .await;
        if alone {
            self.import_cache(false).await?;
        }
        written
    }

    /// Starts a bulk import of many batches: on SQLite the writer keeps the import's page
    /// cache until [`TenantStore::end_import`] (shrinking a cache drops its pages, so one
    /// per batch made every batch start cold).
    ///
    /// Into an empty database, the import also defers the history tables' secondary indexes
    /// (and on PostgreSQL their foreign keys): they are dropped here and built, each in one
    /// sorted pass, by `end_import`. History arrives in no order, so each batch's inserts
    /// landed on pages all over those indexes, and every commit wrote those pages again (on
    /// SQLite, 78 GB of writes for a million tickets). Unique indexes stay, so a duplicate is
    /// still refused at once, and every batch checks the customers, regions, teams and users
    /// it names. If the process stops before `end_import`, the next start builds what is left
    /// ([`Store::migrate`]).
    pub async fn begin_import(&self) -> Result<(), StoreError> {
        if self.store.importing.fetch_add(1, Ordering::SeqCst) > 0 {
            return Ok(());
        }
        let begun = match self.import_cache(true).await {
            Ok(()) => self.store.defer_schema().await,
            Err(e) => Err(e),
        };
        if begun.is_err() {
            // Not begun, so there is nothing for an `end_import` to end; the error that
            // stopped it is the one to report, not a failure to shrink the cache after it.
            self.store.importing.fetch_sub(1, Ordering::SeqCst);
            let _ = self.import_cache(false).await;
        }
        begun
    }

    /// Ends a bulk import: the deferred indexes and keys built, and the writer's usual cache
    /// again. An end without a begin (after a restart, say) ends nothing.
    pub async fn end_import(&self) -> Result<(), StoreError> {
        let ended = self
            .store
            .importing
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if ended == Ok(1) {
            self.store.build_deferred_schema().await?;
            self.import_cache(false).await?;
            // The planner's statistics of the tables just filled.
            sqlx::query("ANALYZE").execute(&self.store.write).await?;
        }
        Ok(())
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
        (ticket_rows, event_rows, assignment_rows, facts_rows): HistoryRows,
    ) -> Result<(), StoreError> {
        let mut tx = sqlx::Connection::begin(conn).await?;
        let written = async {
            check_references(&mut tx, backend, &self.tid(), named, refs).await?;
            insert_rows(&mut tx, backend, TICKET_INSERT, ticket_rows, TICKET_ROWS).await?;
            insert_rows(&mut tx, backend, EVENT_INSERT, event_rows, EVENT_ROWS).await?;
            insert_rows(
                &mut tx,
                backend,
                ASSIGNMENT_INSERT,
                assignment_rows,
                EVENT_ROWS,
            )
            .await?;
            crate::facts::write(&mut tx, &self.tid(), facts_rows).await
        }
        .await;
        match written {
            Ok(()) => tx.commit().await.map_err(StoreError::from),
            Err(e) => tx.rollback().await.map_err(StoreError::from).and(Err(e)),
        }
    }
}

impl crate::Store {
    /// When no ticket is stored yet: drops what [`crate::Backend::deferrable_schema`] names and
    /// keeps how to build it again in `deferred_schema`, in one transaction.
    async fn defer_schema(&self) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        let (tickets,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM (SELECT 1 FROM tickets LIMIT 1) t")
                .fetch_one(&mut *tx)
                .await?;
        if tickets > 0 {
            return Ok(());
        }
        let deferrable: Vec<(String, String, String, Option<String>)> =
            sqlx::query_as(self.backend.deferrable_schema())
                .fetch_all(&mut *tx)
                .await?;
        for (name, drop, build, then) in deferrable {
            sqlx::query(
                "INSERT INTO deferred_schema (name, sql, then_sql, checks) VALUES ($1, $2, $3, 0)",
            )
            .bind(name)
            .bind(build)
            .bind(then)
            .execute(&mut *tx)
            .await?;
            sqlx::query(&drop).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Builds what [`Store::defer_schema`] dropped: each step in its own transaction with the
    /// record of it, so a build cut short resumes where it stopped. A foreign key whose
    /// validation fails stays `NOT VALID` (still checked for every new row) and is logged:
    /// only rows changed outside the import can break it, since the import checks every
    /// reference it writes.
    pub(crate) async fn build_deferred_schema(&self) -> Result<(), StoreError> {
        let (known,): (i64,) = sqlx::query_as(self.backend.table_count())
            .bind("deferred_schema")
            .fetch_one(&self.write)
            .await?;
        if known == 0 {
            return Ok(());
        }
        let built = self.build_deferred_steps().await;
        if let Some(reset) = self.backend.schema_build_reset() {
            sqlx::query(&reset).execute(&self.write).await?;
        }
        built
    }

    async fn build_deferred_steps(&self) -> Result<(), StoreError> {
        loop {
            let next: Option<(String, String, Option<String>, i64)> = sqlx::query_as(
                "SELECT name, sql, then_sql, checks FROM deferred_schema ORDER BY name LIMIT 1",
            )
            .fetch_optional(&self.write)
            .await?;
            let Some((name, sql, then, checks)) = next else {
                return Ok(());
            };
            let mut tx = self.write.begin().await?;
            sqlx::query(&self.backend.schema_build_settings())
                .execute(&mut *tx)
                .await?;
            let built = sqlx::query(&sql).execute(&mut *tx).await;
            match (built, then) {
                (Ok(_), Some(then)) => {
                    // The step after a build is its check (a foreign key's validation).
                    sqlx::query(
                        "UPDATE deferred_schema SET sql = $1, then_sql = NULL, checks = 1 \
                         WHERE name = $2",
                    )
                    .bind(then)
                    .bind(&name)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    continue;
                }
                (Ok(_), None) => tx.commit().await?,
                (Err(e), _) if checks == 1 => {
                    tx.rollback().await?;
                    tracing::error!(constraint = %name, error = %e,
                        "rows stored during a bulk import break a foreign key; it stays NOT VALID");
                }
                (Err(e), _) => return Err(e.into()),
            }
            sqlx::query("DELETE FROM deferred_schema WHERE name = $1")
                .bind(&name)
                .execute(&self.write)
                .await?;
        }
    }
}

/// A batch's rows: tickets, events, assignments, and each ticket's facts.
type HistoryRows = (
    Vec<Vec<Arg>>,
    Vec<Vec<Arg>>,
    Vec<Vec<Arg>>,
    Vec<(String, Facts)>,
);

/// A customer, region, team or user a batch names: its table, the field that names it, its
/// id and the batch row (from 1).
struct Reference {
    table: &'static str,
    field: &'static str,
    id: String,
    row: usize,
}

/// The ids a batch names, each once, by table: gathered before the batch's transaction, so
/// that inside it only the lookups run.
type Named<'a> = BTreeMap<&'static str, BTreeSet<&'a str>>;

fn named(refs: &[Reference]) -> Named<'_> {
    let mut tables = Named::new();
    for r in refs {
        tables.entry(r.table).or_default().insert(r.id.as_str());
    }
    tables
}

/// Refuses a batch naming a customer, region, team or user the tenant does not have, with
/// every row and field at fault, and a batch for a tenant that does not exist. The foreign
/// keys would refuse most of these too, but not another tenant's; and a bulk import defers
/// them on PostgreSQL, and on SQLite this check stands in for them.
async fn check_references(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: crate::Backend,
    tenant: &str,
    named: &Named<'_>,
    refs: &[Reference],
) -> Result<(), StoreError> {
    let tenants: Vec<(String,)> = Sql::new("SELECT id FROM tenants WHERE id = ")
        .text(tenant)
        .positional_for(backend)
        .query_as()
        .fetch_all(&mut **tx)
        .await?;
    if tenants.is_empty() {
        return Err(StoreError::NotFound);
    }
    let mut missing = false;
    let mut known: BTreeMap<&str, HashSet<String>> = BTreeMap::new();
    for (&table, ids) in named {
        let ids: Vec<&str> = ids.iter().copied().collect();
        let found = known.entry(table).or_default();
        for chunk in ids.chunks(1_000) {
            let mut sql = Sql::new(&format!("SELECT id FROM {table} WHERE tenant_id = "));
            sql.text(tenant).push(" AND id IN (");
            for (i, id) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.text(*id);
            }
            sql.push(")");
            let rows: Vec<(String,)> = sql
                .positional_for(backend)
                .query_as()
                .fetch_all(&mut **tx)
                .await?;
            found.extend(rows.into_iter().map(|(id,)| id));
        }
        missing |= found.len() < ids.len();
    }
    if !missing {
        return Ok(());
    }
    let mut errors: Vec<RowError> = refs
        .iter()
        .filter(|r| known.get(r.table).is_none_or(|ids| !ids.contains(&r.id)))
        .map(|r| RowError {
            row: r.row,
            field: r.field,
            reason: "error.unknown_id",
        })
        .collect();
    let mut seen = HashSet::new();
    errors.retain(|e| seen.insert((e.row, e.field)));
    Err(StoreError::Rows(errors))
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
mod tests {
    use chrono::TimeZone;
    use loopdesk_core::TenantId;

    use super::*;

    fn history(number: &str, customer_id: Option<CustomerId>) -> HistoryTicket {
        HistoryTicket {
            id: TicketId::new(),
            number: number.into(),
            channel: Channel::Phone,
            customer_id,
            region_id: None,
            team_id: None,
            category: None,
            priority: 3,
            subject: "旧工单".into(),
            description: String::new(),
            created_by: None,
            created_at: Utc.with_ymd_and_hms(2026, 1, 5, 2, 0, 0).unwrap(),
            resolution_due: None,
            events: Vec::new(),
        }
    }

    /// On SQLite an import batch writes with the row-by-row key checks off, on the one writer
    /// connection: they are on again after a batch that commits, after one refused for what it
    /// names and after one for a tenant that does not exist, so the next write is checked.
    #[tokio::test]
    async fn the_writer_checks_foreign_keys_again_after_every_import_batch() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let (store, tenant) = crate::test_store(url).await;
        let tenant = store.tenant(tenant);
        let keys_checked = || async {
            sqlx::query_scalar::<_, i64>("PRAGMA foreign_keys")
                .fetch_one(&store.write)
                .await
                .unwrap()
        };
        assert_eq!(keys_checked().await, 1);

        tenant
            .import_history(&Actor::System, &[history("H-1", None)])
            .await
            .unwrap();
        assert_eq!(keys_checked().await, 1, "after a batch that commits");
        let stranger = history("H-2", Some(CustomerId::new()));
        let refused = tenant.import_history(&Actor::System, &[stranger]).await;
        assert!(matches!(&refused, Err(StoreError::Rows(rows)) if rows.len() == 1));
        assert_eq!(keys_checked().await, 1, "after a refused batch");
        let nowhere = store.tenant(TenantId::new());
        let refused = nowhere
            .import_history(&Actor::System, &[history("H-3", None)])
            .await;
        assert!(matches!(refused, Err(StoreError::NotFound)), "{refused:?}");
        assert_eq!(keys_checked().await, 1, "after a batch for no tenant");

        // And the writer refuses what breaks a key again.
        let broken = sqlx::query(
            "INSERT INTO ticket_events (tenant_id, ticket_id, kind, at) VALUES ($1, $2, 'comment', 0)",
        )
        .bind(tenant.tid())
        .bind(TicketId::new().to_string())
        .execute(&store.write)
        .await;
        assert!(broken.is_err(), "an event of no ticket was stored");
        let stored: Vec<(String,)> = sqlx::query_as("SELECT number FROM tickets")
            .fetch_all(&store.read)
            .await
            .unwrap();
        assert_eq!(stored, [("H-1".to_owned(),)]);
    }
}
