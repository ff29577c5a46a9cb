//! SLA policies and calendars, each ticket's SLA columns, and the scan that records
//! warnings, breaches and escalations exactly once.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::event::payload::{Escalation, SlaMark};
use loopdesk_core::i18n::{self, Lang};
use loopdesk_core::sla::{
    self, Calendar, CalendarSpec, EscalationLevel, MarkKind, PolicyScope, PolicyTerms, SlaState,
    Target, Targets, TicketKey, TicketSla,
};
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::validate::{self, FieldError};
use loopdesk_core::{CalendarId, RegionId, SlaPolicyId, Status, TenantId, TicketId};
use serde::{Deserialize, Serialize};
use sqlx::{Any, Transaction};
use utoipa::ToSchema;

use crate::events::{self, NewEvent};
use crate::model::parse_sla;
use crate::outbox::{insert_jobs, publish};
use crate::rows::{parse_id, parse_opt_id};
use crate::sql::{Arg, Sql};
use crate::{from_ms, ms, Store, StoreError, TenantStore};

/// A new SLA policy (the API's request body).
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSlaPolicy {
    /// Name shown to admins.
    pub name: String,
    /// Only tickets of this priority (1–4); none: any.
    pub priority: Option<i64>,
    /// Only customers of this tier; none: any.
    pub customer_tier: Option<String>,
    /// Only this category; none: any.
    pub category: Option<String>,
    /// Minutes to the first response.
    pub first_response_minutes: i64,
    /// Minutes to the arrival on site; none for remote service.
    pub arrival_minutes: Option<i64>,
    /// Minutes to resolution.
    pub resolution_minutes: i64,
    /// Share of a target after which it turns yellow (default 0.75).
    pub warn_at: Option<f64>,
    /// Business calendar; none: around the clock.
    pub calendar_id: Option<CalendarId>,
    /// Escalation chain.
    #[serde(default)]
    pub escalation: Vec<EscalationLevel>,
}

/// An SLA policy.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SlaPolicy {
    /// Id.
    pub id: SlaPolicyId,
    /// Name.
    pub name: String,
    /// Priority it is for (none: any).
    pub priority: Option<i64>,
    /// Customer tier it is for (none: any).
    pub customer_tier: Option<String>,
    /// Category it is for (none: any).
    pub category: Option<String>,
    /// Minutes to the first response.
    pub first_response_minutes: i64,
    /// Minutes to arrival.
    pub arrival_minutes: Option<i64>,
    /// Minutes to resolution.
    pub resolution_minutes: i64,
    /// Warning share.
    pub warn_at: f64,
    /// Calendar (none: around the clock).
    pub calendar_id: Option<CalendarId>,
    /// Escalation chain.
    pub escalation: Vec<EscalationLevel>,
    /// Created at.
    pub created_at: DateTime<Utc>,
}

/// A business calendar.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct BusinessCalendarView {
    /// Id.
    pub id: CalendarId,
    /// Name.
    pub name: String,
    /// Hours, holidays, make-up days.
    pub spec: CalendarSpec,
}

/// A new calendar: without `spec`, Monday–Friday 09:00–18:00 Beijing time with the shipped
/// PRC public holidays and make-up working days.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCalendar {
    /// Name.
    pub name: String,
    /// Hours, holidays, make-up days.
    pub spec: Option<CalendarSpec>,
}

/// One policy, ready to match and compute with.
#[derive(Clone, Debug)]
pub(crate) struct PolicyEntry {
    pub id: SlaPolicyId,
    pub scope: PolicyScope,
    pub terms: PolicyTerms,
}

#[derive(sqlx::FromRow)]
struct PolicyRow {
    id: String,
    name: String,
    priority: Option<i64>,
    customer_tier: Option<String>,
    category: Option<String>,
    first_response_minutes: i64,
    arrival_minutes: Option<i64>,
    resolution_minutes: i64,
    warn_at: f64,
    calendar_id: Option<String>,
    escalation: String,
    created_at: i64,
    spec: Option<String>,
}

const POLICY_SELECT: &str = "SELECT p.id, p.name, p.priority, p.customer_tier, p.category, \
    p.first_response_minutes, p.arrival_minutes, p.resolution_minutes, p.warn_at, p.calendar_id, \
    p.escalation, p.created_at, c.spec FROM sla_policies p LEFT JOIN calendars c ON c.id = p.calendar_id \
    WHERE p.tenant_id = $1 ORDER BY p.created_at, p.id";

impl PolicyRow {
    fn view(&self) -> Result<SlaPolicy, StoreError> {
        Ok(SlaPolicy {
            id: parse_id(&self.id, SlaPolicyId::parse)?,
            name: self.name.clone(),
            priority: self.priority,
            customer_tier: self.customer_tier.clone(),
            category: self.category.clone(),
            first_response_minutes: self.first_response_minutes,
            arrival_minutes: self.arrival_minutes,
            resolution_minutes: self.resolution_minutes,
            warn_at: self.warn_at,
            calendar_id: self
                .calendar_id
                .as_deref()
                .map(|c| parse_id(c, CalendarId::parse))
                .transpose()?,
            escalation: serde_json::from_str(&self.escalation)
                .map_err(|_| StoreError::Corrupt("escalation".into()))?,
            created_at: from_ms(self.created_at),
        })
    }

    fn entry(&self) -> Result<PolicyEntry, StoreError> {
        let v = self.view()?;
        let calendar = match &self.spec {
            Some(spec) => {
                let spec: CalendarSpec = serde_json::from_str(spec)
                    .map_err(|_| StoreError::Corrupt("calendar".into()))?;
                Calendar::Business(Box::new(
                    spec.build()
                        .map_err(|_| StoreError::Corrupt("calendar".into()))?,
                ))
            }
            None => Calendar::AroundTheClock,
        };
        Ok(PolicyEntry {
            id: v.id,
            scope: PolicyScope {
                priority: v.priority,
                customer_tier: v.customer_tier,
                category: v.category,
            },
            terms: PolicyTerms {
                targets: Targets {
                    first_response_minutes: v.first_response_minutes,
                    arrival_minutes: v.arrival_minutes,
                    resolution_minutes: v.resolution_minutes,
                    warn_at: v.warn_at,
                },
                calendar,
                escalation: v.escalation,
            },
        })
    }
}

/// The SLA columns of a ticket being written.
#[derive(Clone, Debug, Default)]
pub(crate) struct SlaColumns {
    pub policy_id: Option<String>,
    pub sla: Option<String>,
    pub state: &'static str,
    pub next_at: Option<i64>,
    pub resolution_due: Option<i64>,
}

impl SlaColumns {
    /// The columns of a ticket under `policy` with the SLA `sla`.
    fn of(
        policy: &PolicyEntry,
        sla: &TicketSla,
        state: SlaState,
        next: Option<i64>,
    ) -> Result<SlaColumns, StoreError> {
        Ok(SlaColumns {
            policy_id: Some(policy.id.to_string()),
            sla: Some(serde_json::to_string(sla).map_err(|e| StoreError::Corrupt(e.to_string()))?),
            state: state.as_str(),
            next_at: next,
            resolution_due: sla.schedule.resolution.map(|d| d.due),
        })
    }
}

impl TenantStore {
    /// The tenant's policies (cached).
    pub(crate) async fn policies(&self) -> Result<Arc<Vec<PolicyEntry>>, StoreError> {
        if let Some(p) = self.store.policies.get(self.tenant_id) {
            return Ok(p);
        }
        let rows: Vec<PolicyRow> = sqlx::query_as(POLICY_SELECT)
            .bind(self.tid())
            .fetch_all(&self.store.read)
            .await?;
        let entries = Arc::new(
            rows.iter()
                .map(PolicyRow::entry)
                .collect::<Result<Vec<_>, _>>()?,
        );
        self.store.policies.put(self.tenant_id, entries.clone());
        Ok(entries)
    }

    fn forget_policies(&self) {
        self.store.policies.forget(self.tenant_id);
    }

    /// The SLA a new ticket starts with.
    pub(crate) async fn sla_for_new(
        &self,
        key: &TicketKey<'_>,
        now: DateTime<Utc>,
    ) -> Result<SlaColumns, StoreError> {
        let policies = self.policies().await?;
        let Some(p) = sla::choose_policy(&policies, |p| &p.scope, key) else {
            // Only a database whose default policy was removed by hand gets here.
            return Ok(SlaColumns {
                state: SlaState::Ok.as_str(),
                ..SlaColumns::default()
            });
        };
        let sla = TicketSla::start(&p.terms, ms(now));
        let (state, next) = sla.evaluate(&p.terms, &sla::Met::default(), ms(now));
        SlaColumns::of(p, &sla, state, next)
    }

    /// The terms of a stored policy id.
    pub(crate) async fn terms_of(
        &self,
        id: Option<&str>,
    ) -> Result<Option<PolicyEntry>, StoreError> {
        let Some(id) = id else { return Ok(None) };
        let id = parse_id(id, SlaPolicyId::parse)?;
        let policies = self.policies().await?;
        if let Some(p) = policies.iter().find(|p| p.id == id) {
            return Ok(Some(p.clone()));
        }
        // Created by another instance since the cache was filled.
        self.forget_policies();
        Ok(self.policies().await?.iter().find(|p| p.id == id).cloned())
    }

    /// The SLA of a ticket under the policy that fits it now (its priority, tier or category
    /// changed, or the policies did): the same clock, due times recomputed from the new
    /// targets, the colour re-evaluated. `None` for a ticket without an SLA clock (older than
    /// SLAs) or a tenant without policies.
    pub(crate) async fn sla_reapplied(
        &self,
        row: &ReapplyRow,
        priority: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<SlaColumns>, StoreError> {
        let Some(stored) = row.sla.as_deref() else {
            return Ok(None);
        };
        let policies = self.policies().await?;
        let key = TicketKey {
            priority,
            customer_tier: row.tier.as_deref(),
            category: row.category.as_deref(),
        };
        let Some(p) = sla::choose_policy(&policies, |p| &p.scope, &key) else {
            return Ok(None);
        };
        let mut sla = parse_sla(stored)?;
        sla.reapply(&p.terms);
        let met = row.kept.met()?;
        let (state, next) = sla.evaluate(&p.terms, &met, ms(now));
        SlaColumns::of(p, &sla, state, next).map(Some)
    }

    /// Re-applies the policies to every open ticket that `policy` fits best now (admin):
    /// their due times are recomputed from its targets on their own clocks. Answers how many
    /// tickets changed. Tickets are taken in batches of 500, one transaction each.
    pub async fn apply_sla_policy(
        &self,
        actor: &Actor,
        policy: SlaPolicyId,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        if !access::allowed(actor, Permission::ManageAutomation) {
            return Err(StoreError::Forbidden);
        }
        self.forget_policies();
        if !self.policies().await?.iter().any(|p| p.id == policy) {
            return Err(StoreError::NotFound);
        }
        let open: Vec<String> = Status::OPEN
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        let mut after = String::new();
        let mut changed = 0;
        loop {
            let rows: Vec<ReapplyRow> = sqlx::query_as(&format!(
                "{REAPPLY_SELECT} AND t.status IN ({}) AND t.id > $2 ORDER BY t.id LIMIT 500",
                open.join(", ")
            ))
            .bind(self.tid())
            .bind(&after)
            .fetch_all(&self.store.read)
            .await?;
            let Some(last) = rows.last() else { break };
            after = last.id.clone();
            let mut tx = self.store.write.begin().await?;
            for row in &rows {
                let Some(cols) = self.sla_reapplied(row, row.priority, now).await? else {
                    continue;
                };
                if cols.policy_id.as_deref() != Some(&policy.to_string()) {
                    continue;
                }
                write_sla(
                    &mut tx,
                    &self.tid(),
                    &row.id,
                    &cols,
                    row.kept.first_response_at,
                    row.kept.first_arrival_at,
                )
                .await?;
                changed += 1;
            }
            tx.commit().await?;
        }
        Ok(changed)
    }

    /// The tenant's business calendars (admin).
    pub async fn calendars(&self, actor: &Actor) -> Result<Vec<BusinessCalendarView>, StoreError> {
        if !access::allowed(actor, Permission::ManageAutomation) {
            return Err(StoreError::Forbidden);
        }
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT id, name, spec FROM calendars WHERE tenant_id = $1 ORDER BY created_at, id",
        )
        .bind(self.tid())
        .fetch_all(&self.store.read)
        .await?;
        rows.into_iter()
            .map(|(id, name, spec)| {
                Ok(BusinessCalendarView {
                    id: parse_id(&id, CalendarId::parse)?,
                    name,
                    spec: serde_json::from_str(&spec)
                        .map_err(|_| StoreError::Corrupt("calendar".into()))?,
                })
            })
            .collect()
    }

    /// Replaces a calendar's name and spec (admin), e.g. to add next year's holidays. New
    /// tickets use it at once; open tickets when their policy is re-applied.
    pub async fn update_calendar(
        &self,
        actor: &Actor,
        id: CalendarId,
        new: NewCalendar,
    ) -> Result<BusinessCalendarView, StoreError> {
        let (name, spec) = checked_calendar(actor, new)?;
        let updated = sqlx::query(
            "UPDATE calendars SET name = $1, spec = $2 WHERE tenant_id = $3 AND id = $4",
        )
        .bind(&name)
        .bind(serde_json::to_string(&spec).map_err(|e| StoreError::Corrupt(e.to_string()))?)
        .bind(self.tid())
        .bind(id.to_string())
        .execute(&self.store.write)
        .await?
        .rows_affected();
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        self.forget_policies();
        Ok(BusinessCalendarView { id, name, spec })
    }

    /// Adds a policy (admin).
    pub async fn create_sla_policy(
        &self,
        actor: &Actor,
        new: NewSlaPolicy,
        now: DateTime<Utc>,
    ) -> Result<SlaPolicy, StoreError> {
        if !access::allowed(actor, Permission::ManageAutomation) {
            return Err(StoreError::Forbidden);
        }
        let name = validate::required_text("name", &new.name, 100)?;
        let priority = new
            .priority
            .map(|p| validate::priority(p).map(i64::from))
            .transpose()?;
        let tier = validate::optional_text("customer_tier", new.customer_tier.as_deref(), 32)?;
        let category = validate::optional_text("category", new.category.as_deref(), 64)?;
        let targets = Targets::checked(
            new.first_response_minutes,
            new.arrival_minutes,
            new.resolution_minutes,
            new.warn_at,
        )?;
        sla::check_escalation(&new.escalation)?;
        if let Some(c) = new.calendar_id {
            self.require("calendars", &c.to_string(), "calendar_id")
                .await?;
        }
        let id = SlaPolicyId::new();
        let escalation = serde_json::to_string(&new.escalation)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO sla_policies (id, tenant_id, name, priority, customer_tier, category, \
             first_response_minutes, arrival_minutes, resolution_minutes, warn_at, calendar_id, escalation, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(id.to_string())
        .bind(self.tid())
        .bind(&name)
        .bind(priority)
        .bind(&tier)
        .bind(&category)
        .bind(targets.first_response_minutes)
        .bind(targets.arrival_minutes)
        .bind(targets.resolution_minutes)
        .bind(targets.warn_at)
        .bind(new.calendar_id.map(|c| c.to_string()))
        .bind(&escalation)
        .bind(ms(now))
        .execute(&self.store.write)
        .await?;
        self.forget_policies();
        Ok(SlaPolicy {
            id,
            name,
            priority,
            customer_tier: tier,
            category,
            first_response_minutes: targets.first_response_minutes,
            arrival_minutes: targets.arrival_minutes,
            resolution_minutes: targets.resolution_minutes,
            warn_at: targets.warn_at,
            calendar_id: new.calendar_id,
            escalation: new.escalation,
            created_at: from_ms(ms(now)),
        })
    }

    /// Every policy, the default first.
    pub async fn sla_policies(&self, actor: &Actor) -> Result<Vec<SlaPolicy>, StoreError> {
        if !access::allowed(actor, Permission::ManageAutomation) {
            return Err(StoreError::Forbidden);
        }
        let rows: Vec<PolicyRow> = sqlx::query_as(POLICY_SELECT)
            .bind(self.tid())
            .fetch_all(&self.store.read)
            .await?;
        rows.iter().map(PolicyRow::view).collect()
    }

    /// Adds a business calendar (admin).
    pub async fn create_calendar(
        &self,
        actor: &Actor,
        new: NewCalendar,
        now: DateTime<Utc>,
    ) -> Result<BusinessCalendarView, StoreError> {
        let (name, spec) = checked_calendar(actor, new)?;
        let id = CalendarId::new();
        sqlx::query(
            "INSERT INTO calendars (id, tenant_id, name, spec, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id.to_string())
        .bind(self.tid())
        .bind(&name)
        .bind(serde_json::to_string(&spec).map_err(|e| StoreError::Corrupt(e.to_string()))?)
        .bind(ms(now))
        .execute(&self.store.write)
        .await?;
        self.forget_policies();
        Ok(BusinessCalendarView { id, name, spec })
    }
}

#[derive(sqlx::FromRow)]
struct DueRow {
    id: String,
}

#[derive(sqlx::FromRow)]
struct ScanRow {
    id: String,
    tenant_id: String,
    region_id: Option<String>,
    sla_policy_id: Option<String>,
    sla: Option<String>,
    sla_state: String,
    #[sqlx(flatten)]
    kept: Kept,
}

/// What a ticket's row says of the promises kept, for [`sla::met`].
#[derive(sqlx::FromRow, Clone, Debug)]
pub(crate) struct Kept {
    pub status: String,
    pub first_response_at: Option<i64>,
    pub first_arrival_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub updated_at: i64,
}

impl Kept {
    /// Which promises are met, and when.
    pub fn met(&self) -> Result<sla::Met, StoreError> {
        let status =
            Status::parse(&self.status).ok_or_else(|| StoreError::Corrupt("status".into()))?;
        Ok(sla::met(
            status,
            self.first_response_at,
            self.first_arrival_at,
            self.resolved_at,
            self.closed_at,
            self.updated_at,
        ))
    }
}

/// Tickets scanned per transaction.
const SCAN_CHUNK: usize = 200;

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
    async fn scan_chunk(&self, chunk: &[DueRow], now: DateTime<Utc>) -> Result<usize, StoreError> {
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

impl TenantStore {
    /// The SLA columns after a move (pause, resume, met targets), written by the move.
    pub(crate) async fn sla_after_move(
        &self,
        policy_id: Option<&str>,
        stored: Option<&str>,
        from: Status,
        met: &sla::Met,
        to: Status,
        now: DateTime<Utc>,
    ) -> Result<Option<SlaColumns>, StoreError> {
        let Some(policy) = self.terms_of(policy_id).await? else {
            return Ok(None);
        };
        let Some(mut sla) = stored.map(parse_sla).transpose()? else {
            return Ok(None);
        };
        sla.on_move(&policy.terms, from, to, ms(now));
        let (state, next) = sla.evaluate(&policy.terms, met, ms(now));
        SlaColumns::of(&policy, &sla, state, next).map(Some)
    }
}

/// Gives a new tenant the catch-all policy of [`sla::default_targets`] and
/// [`sla::default_escalation`], named in the tenant's default language. (Migration 0002 gives
/// the same policy to tenants created before it.)
pub(crate) async fn insert_default_policy(
    tx: &mut Transaction<'_, Any>,
    tenant: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let t = sla::default_targets();
    let chain = serde_json::to_string(&sla::default_escalation())
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    sqlx::query(
        "INSERT INTO sla_policies (id, tenant_id, name, first_response_minutes, arrival_minutes, \
         resolution_minutes, warn_at, escalation, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(SlaPolicyId::new().to_string())
    .bind(tenant)
    .bind(i18n::t(Lang::ZhCn, "sla.default_policy"))
    .bind(t.first_response_minutes)
    .bind(t.arrival_minutes)
    .bind(t.resolution_minutes)
    .bind(t.warn_at)
    .bind(chain)
    .bind(ms(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes a ticket's SLA columns inside `tx`.
pub(crate) async fn write_sla(
    tx: &mut Transaction<'_, Any>,
    tenant: &str,
    ticket: &str,
    c: &SlaColumns,
    first_response_at: Option<i64>,
    first_arrival_at: Option<i64>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE tickets SET sla = $1, sla_state = $2, sla_next_at = $3, resolution_due = $4, \
         first_response_at = $5, first_arrival_at = $6, sla_policy_id = COALESCE($9, sla_policy_id) \
         WHERE tenant_id = $7 AND id = $8",
    )
    .bind(&c.sla)
    .bind(c.state)
    .bind(c.next_at)
    .bind(c.resolution_due)
    .bind(first_response_at)
    .bind(first_arrival_at)
    .bind(tenant)
    .bind(ticket)
    .bind(&c.policy_id)
    .execute(&mut **tx)
    .await?;
    // The resolution due time decides the on-time rate.
    crate::facts::touch(tx, tenant, ticket).await
}

/// An admin's calendar, checked: its name and a spec that builds (the PRC standard week
/// when none is given).
fn checked_calendar(actor: &Actor, new: NewCalendar) -> Result<(String, CalendarSpec), StoreError> {
    if !access::allowed(actor, Permission::ManageAutomation) {
        return Err(StoreError::Forbidden);
    }
    let name = validate::required_text("name", &new.name, 100)?;
    let spec = new.spec.unwrap_or_else(CalendarSpec::prc_standard);
    spec.build().map_err(|e| FieldError {
        field: "spec",
        reason: e.reason,
    })?;
    Ok((name, spec))
}

/// What re-choosing a ticket's policy needs to know of it.
#[derive(sqlx::FromRow)]
pub(crate) struct ReapplyRow {
    pub id: String,
    pub priority: i64,
    pub category: Option<String>,
    pub tier: Option<String>,
    pub sla: Option<String>,
    #[sqlx(flatten)]
    pub kept: Kept,
}

/// `SELECT` of [`ReapplyRow`]s; the caller adds its conditions.
pub(crate) const REAPPLY_SELECT: &str = "SELECT t.id, t.status, t.priority, t.category, \
    c.tier, t.sla, t.first_response_at, t.first_arrival_at, t.resolved_at, \
    t.closed_at, t.updated_at FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id \
    WHERE t.tenant_id = $1";
