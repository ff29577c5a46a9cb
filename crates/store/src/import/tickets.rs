//! Tickets migrated from another system (`POST /api/v1/import/tickets`). Every line is checked
//! against the tenant (its category, assignee, customer, equipment and region) before anything
//! is written, so a bad line stores nothing; a line whose external id was imported before (or
//! came earlier in the same file) is skipped. The lines are then written in batches of whole
//! tickets, each batch one transaction with the external ids it used: a write that fails half
//! way (the database gone) is finished by sending the same file again.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::sla::{self, TicketKey, TicketSla};
use loopdesk_core::ticket::import::{life, survey_at, Checked, Parties};
use loopdesk_core::ticket::number::{format_number, numbering_day};
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::{RegionId, TicketId, UserId};

use super::checks::{check_references, named, Reference};
use super::HistoryTicket;
use crate::sql::{Arg, Sql};
use crate::{from_ms, ms, RowError, StoreError, TenantStore};

/// What an import did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TicketsImported {
    /// Tickets written.
    pub imported: usize,
    /// Lines skipped: imported before, or repeated in the file.
    pub skipped: usize,
}

/// Tickets per transaction.
const BATCH: usize = 2_000;
/// Ids per lookup statement.
const LOOKUP: usize = 1_000;

const IMPORT_INSERT: &str =
    "INSERT INTO ticket_imports (tenant_id, external_id, ticket_id, imported_at) VALUES ";
const SURVEY_INSERT: &str = "INSERT INTO surveys (id, tenant_id, ticket_id, round, sent_at, \
     expires_at, answered_at, csat, nps, comment) VALUES ";

/// A customer a line names: its tier (for the SLA) and region (for a line without one).
struct CustomerFacts {
    tier: String,
    region_id: Option<String>,
}

impl TenantStore {
    /// Imports checked lines, each with its line number (admin). `reason` is written on the
    /// moves the import makes. Any line naming what the tenant does not have refuses the whole
    /// import with every line and field at fault.
    pub async fn import_tickets(
        &self,
        actor: &Actor,
        lines: Vec<(usize, Checked)>,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<TicketsImported, StoreError> {
        if !access::allowed(actor, Permission::ManageUsers) {
            return Err(StoreError::Forbidden);
        }
        let total = lines.len();
        let before = self
            .imported_before(lines.iter().map(|(_, l)| l.external_id.clone()).collect())
            .await?;
        let mut seen = HashSet::new();
        let mut lines: Vec<(usize, Checked)> = lines
            .into_iter()
            .filter(|(_, l)| !before.contains(&l.external_id) && seen.insert(l.external_id.clone()))
            .collect();
        let skipped = total - lines.len();
        if lines.is_empty() {
            return Ok(TicketsImported {
                imported: 0,
                skipped,
            });
        }
        let (assignees, customers) = self.check_named(&lines).await?;

        // Numbers in each local day follow the creation times.
        lines.sort_by_key(|(n, l)| (l.created_at, *n));
        let offset = self.settings().await?.offset;
        let numbers = self
            .numbers_for(
                lines
                    .iter()
                    .map(|(_, l)| numbering_day(l.created_at, offset)),
            )
            .await?;
        let policies = self.policies().await?;
        let tid = self.tid();
        let importer = actor.user_id();
        let mut imported = 0;
        let mut batch = Vec::with_capacity(BATCH);
        let mut extra: (Vec<Vec<Arg>>, Vec<Vec<Arg>>) = (Vec::new(), Vec::new());
        for ((_, t), number) in lines.into_iter().zip(numbers) {
            let id = TicketId::new();
            let customer = t.customer_id.and_then(|c| customers.get(&c.to_string()));
            let key = TicketKey {
                priority: t.priority,
                customer_tier: customer.map(|c| c.tier.as_str()),
                category: t.category.as_deref(),
            };
            let resolution_due = sla::choose_policy(&policies, |p| &p.scope, &key)
                .and_then(|p| {
                    TicketSla::start(&p.terms, ms(t.created_at))
                        .schedule
                        .resolution
                })
                .map(|d| from_ms(d.due));
            let region_id = t.region_id.or_else(|| {
                customer
                    .and_then(|c| c.region_id.as_deref())
                    .and_then(RegionId::parse)
            });
            let survey_id = uuid::Uuid::now_v7().to_string();
            let events = life(
                &t,
                Parties {
                    assignee: t.assignee.as_ref().and_then(|a| assignees.get(a).copied()),
                    survey_id: &survey_id,
                    reason,
                },
            );
            extra.0.push(vec![
                Arg::Text(Some(tid.clone())),
                Arg::Text(Some(t.external_id.clone())),
                Arg::Text(Some(id.to_string())),
                Arg::Int(ms(now)),
            ]);
            if let Some(csat) = t.csat {
                let at = ms(survey_at(&t));
                extra.1.push(vec![
                    Arg::Text(Some(survey_id)),
                    Arg::Text(Some(tid.clone())),
                    Arg::Text(Some(id.to_string())),
                    Arg::Int(1),
                    Arg::Int(at),
                    Arg::Int(at),
                    Arg::Int(at),
                    Arg::Int(csat),
                    Arg::OptInt(None),
                    Arg::Text(t.comment.clone()),
                ]);
            }
            batch.push(HistoryTicket {
                id,
                number,
                channel: t.channel,
                customer_id: t.customer_id,
                asset_id: t.asset_id,
                region_id,
                team_id: None,
                category: t.category,
                priority: t.priority,
                subject: t.subject,
                description: t.description,
                created_by: importer,
                created_at: t.created_at,
                resolution_due,
                events,
            });
            if batch.len() == BATCH {
                imported += self.write_imported(actor, &mut batch, &mut extra).await?;
            }
        }
        imported += self.write_imported(actor, &mut batch, &mut extra).await?;
        // The planner learns how many external ids there are now: without it, the next
        // import's look-ups scan the table (seen on PostgreSQL: 70 s to skip 50,000 lines).
        sqlx::query("ANALYZE ticket_imports")
            .execute(&self.store.write)
            .await?;
        Ok(TicketsImported { imported, skipped })
    }

    /// Writes a batch with its external ids and surveys, and empties it.
    async fn write_imported(
        &self,
        actor: &Actor,
        batch: &mut Vec<HistoryTicket>,
        extra: &mut (Vec<Vec<Arg>>, Vec<Vec<Arg>>),
    ) -> Result<usize, StoreError> {
        if batch.is_empty() {
            return Ok(0);
        }
        let rows = vec![
            (IMPORT_INSERT, std::mem::take(&mut extra.0)),
            (SURVEY_INSERT, std::mem::take(&mut extra.1)),
        ];
        match self.import_history_with(actor, batch, rows).await {
            Ok(()) => {}
            // The same lines imported at the same moment by another request.
            Err(StoreError::Database(e)) => return Err(StoreError::on_unique(e, "external_id")),
            Err(e) => return Err(e),
        }
        let n = batch.len();
        batch.clear();
        Ok(n)
    }

    /// The external ids of these that were imported before.
    async fn imported_before(&self, ids: Vec<String>) -> Result<HashSet<String>, StoreError> {
        let mut found = HashSet::new();
        for chunk in ids.chunks(LOOKUP) {
            let mut sql = Sql::new("SELECT external_id FROM ticket_imports WHERE tenant_id = ");
            sql.text(self.tid());
            sql.in_list(" AND external_id", chunk);
            let rows: Vec<(String,)> = sql
                .positional_for(self.store.backend)
                .query_as()
                .fetch_all(&self.store.read)
                .await?;
            found.extend(rows.into_iter().map(|(id,)| id));
        }
        Ok(found)
    }

    /// Checks what the lines name (categories, assignees by username, customers, equipment,
    /// regions) and answers the assignees' ids and the customers' facts; every line and field
    /// naming what the tenant does not have is an error.
    async fn check_named(
        &self,
        lines: &[(usize, Checked)],
    ) -> Result<(HashMap<String, UserId>, HashMap<String, CustomerFacts>), StoreError> {
        let tid = self.tid();
        let backend = self.store.backend;
        let read = &self.store.read;
        let categories: HashSet<String> =
            sqlx::query_as::<_, (String,)>("SELECT code FROM categories WHERE tenant_id = $1")
                .bind(&tid)
                .fetch_all(read)
                .await?
                .into_iter()
                .map(|(c,)| c)
                .collect();
        let usernames: Vec<String> = lines
            .iter()
            .filter_map(|(_, l)| l.assignee.clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut assignees = HashMap::new();
        for chunk in usernames.chunks(LOOKUP) {
            let mut sql = Sql::new("SELECT username, id FROM users WHERE tenant_id = ");
            sql.text(&tid).in_list(" AND username", chunk);
            let rows: Vec<(String, String)> = sql
                .positional_for(backend)
                .query_as()
                .fetch_all(read)
                .await?;
            assignees.extend(
                rows.into_iter()
                    .filter_map(|(name, id)| Some((name, UserId::parse(&id)?))),
            );
        }
        let customer_ids: Vec<String> = lines
            .iter()
            .filter_map(|(_, l)| l.customer_id.map(|c| c.to_string()))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut customers = HashMap::new();
        for chunk in customer_ids.chunks(LOOKUP) {
            let mut sql = Sql::new("SELECT id, tier, region_id FROM customers WHERE tenant_id = ");
            sql.text(&tid).in_list(" AND id", chunk);
            let rows: Vec<(String, String, Option<String>)> = sql
                .positional_for(backend)
                .query_as()
                .fetch_all(read)
                .await?;
            customers.extend(
                rows.into_iter()
                    .map(|(id, tier, region_id)| (id, CustomerFacts { tier, region_id })),
            );
        }
        let mut errors = Vec::new();
        let mut refs = Vec::new();
        for (line, l) in lines {
            let fault = |field| RowError {
                row: *line,
                field,
                reason: "error.unknown_id",
            };
            if l.category.as_ref().is_some_and(|c| !categories.contains(c)) {
                errors.push(fault("category"));
            }
            if l.assignee
                .as_ref()
                .is_some_and(|a| !assignees.contains_key(a))
            {
                errors.push(fault("assignee"));
            }
            if l.customer_id
                .is_some_and(|c| !customers.contains_key(&c.to_string()))
            {
                errors.push(fault("customer_id"));
            }
            let mut refer = |table, field, id: Option<String>| {
                refs.extend(id.map(|id| Reference {
                    table,
                    field,
                    id,
                    row: *line,
                }));
            };
            refer("assets", "asset_id", l.asset_id.map(|a| a.to_string()));
            refer("regions", "region_id", l.region_id.map(|r| r.to_string()));
        }
        let mut tx = read.begin().await?;
        match check_references(&mut tx, backend, &tid, &named(&refs), &refs).await {
            Ok(()) => {}
            Err(StoreError::Rows(more)) => errors.extend(more),
            Err(e) => return Err(e),
        }
        tx.rollback().await?;
        if errors.is_empty() {
            return Ok((assignees, customers));
        }
        errors.sort_by_key(|e| e.row);
        Err(StoreError::Rows(errors))
    }

    /// Ticket numbers for tickets created on these local days, in the order given (which
    /// follows the creation times): one counter update per day, in one transaction.
    async fn numbers_for(
        &self,
        days: impl Iterator<Item = NaiveDate>,
    ) -> Result<Vec<String>, StoreError> {
        let days: Vec<NaiveDate> = days.collect();
        let mut counts: BTreeMap<NaiveDate, i64> = BTreeMap::new();
        for d in &days {
            *counts.entry(*d).or_default() += 1;
        }
        let tid = self.tid();
        let mut next = BTreeMap::new();
        let mut tx = self.store.write.begin().await?;
        for (day, n) in counts {
            let last: i64 = sqlx::query_scalar(
                "INSERT INTO ticket_counters (tenant_id, day, last) VALUES ($1, $2, $3) \
                 ON CONFLICT (tenant_id, day) DO UPDATE SET last = ticket_counters.last + $3 \
                 RETURNING last",
            )
            .bind(&tid)
            .bind(day.to_string())
            .bind(n)
            .fetch_one(&mut *tx)
            .await?;
            next.insert(day, last - n + 1);
        }
        tx.commit().await?;
        Ok(days
            .into_iter()
            .map(|d| {
                let seq = next.get_mut(&d).map_or(1, |s| {
                    *s += 1;
                    *s - 1
                });
                format_number(d, seq.max(0) as u64)
            })
            .collect())
    }
}
