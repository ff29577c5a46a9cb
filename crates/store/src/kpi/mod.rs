//! KPIs straight from the event log: the tickets a period touches and their events are read,
//! folded by [`kpi::Facts`] and computed by [`kpi::compute`] (both in core). This is the
//! reference definition; anything faster must agree with it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use loopdesk_core::access;
use loopdesk_core::i18n::Lang;
use loopdesk_core::kpi::{self, Facts, Filter, GroupBy, Metric, Query, TicketKpi};
use loopdesk_core::sla::calendar::{Calendar, CalendarSpec};
use loopdesk_core::ticket::transitions::Actor;
use serde::Serialize;
use utoipa::ToSchema;

use crate::facts::pm_due_ms;
use crate::{ms, StoreError, TenantStore};

mod behind;
pub(crate) mod book;
pub(crate) mod report;
mod schedules;
pub use schedules::{DueSchedule, ReportSchedule};

/// What a KPI query asks.
#[derive(Clone, Debug, Default)]
pub struct KpiRequest {
    /// Start of the period (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// End of the period (exclusive); default now.
    pub to: Option<DateTime<Utc>>,
    /// Comma-separated KPI names; default all.
    pub metrics: Option<String>,
    /// How to cut the rows.
    pub group_by: Option<String>,
    /// Which tickets (ids and codes).
    pub filter: Filter,
    /// Where the figures come from.
    pub source: KpiSource,
}

/// Where KPI figures are computed from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KpiSource {
    /// The KPI book: each ticket's facts, kept with its events (fast).
    #[default]
    Book,
    /// The event log of the period, folded again (the reference definition; slow on a
    /// large tenant, for audits and tests).
    Events,
}

/// One row of a KPI answer.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct KpiRow {
    /// The group's key (an id, a code or a time key); `null` for the whole period or for
    /// tickets without that attribute.
    pub group: Option<String>,
    /// Its display name in the caller's language.
    pub label: String,
    /// KPI name → value.
    #[schema(value_type = Object)]
    pub values: std::collections::BTreeMap<&'static str, kpi::KpiValue>,
}

/// A KPI answer.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct KpiReport {
    /// Start of the period.
    pub from: DateTime<Utc>,
    /// End of the period.
    pub to: DateTime<Utc>,
    /// The rows, named groups first.
    pub rows: Vec<KpiRow>,
}

/// A ticket behind a KPI figure.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct KpiTicket {
    /// Ticket id.
    pub id: String,
    /// Ticket number.
    pub number: String,
    /// Subject.
    pub subject: String,
    /// Current status.
    pub status: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// What it adds to the figure: its duration or delay in seconds, its score; `null` when
    /// it only counts.
    pub value: Option<f64>,
}

/// The default period: the last 30 days.
const DEFAULT_DAYS: i64 = 30;

/// What the KPIs group and judge a ticket by, read as [`GROUP_COLUMNS`] followed by
/// `{PM_DUE} AS pm_due`.
#[derive(sqlx::FromRow)]
pub(crate) struct Grouping {
    created_at: i64,
    region_id: Option<String>,
    team_id: Option<String>,
    category: Option<String>,
    channel: String,
    tier: Option<String>,
    resolution_due: Option<i64>,
    pm_due: Option<String>,
}

/// The select list of [`Grouping`] over `tickets t` left-joined to `customers c`.
pub(crate) const GROUP_COLUMNS: &str = "t.created_at, t.region_id, t.team_id, t.category, \
    t.channel, c.tier, t.resolution_due";

impl Grouping {
    /// The ticket as the KPIs see it, with its facts.
    pub(crate) fn ticket(self, id: String, facts: Facts, offset: chrono::FixedOffset) -> TicketKpi {
        TicketKpi {
            id,
            facts,
            region: self.region_id,
            team: self.team_id,
            category: self.category,
            channel: self.channel,
            tier: self.tier,
            resolution_due: self.resolution_due,
            pm_due: pm_due_ms(self.pm_due.as_deref(), offset),
        }
    }
}

/// A ticket with what the KPIs group it by.
#[derive(sqlx::FromRow)]
struct TicketRow {
    id: String,
    #[sqlx(flatten)]
    grouping: Grouping,
}

impl TenantStore {
    /// The KPIs of a period (managers, dispatchers, admins; a supervisor of a region: that
    /// region's), grouped as asked, with labels in `lang`.
    pub async fn kpis(
        &self,
        actor: &Actor,
        req: KpiRequest,
        lang: Lang,
        now: DateTime<Utc>,
    ) -> Result<KpiReport, StoreError> {
        let (query, filter) = self.kpi_query(actor, &req, now).await?;
        let (from, to) = (crate::from_ms(query.from), crate::from_ms(query.to));
        let group_by = query.group_by;
        let shift = self.shift_calendar().await?;
        let rows = match (filter, req.source) {
            (None, _) => Vec::new(),
            (Some(filter), KpiSource::Book) => {
                let shelf = self.kpi_book().await?;
                shelf.book.compute(&query, &filter, &shift)
            }
            (Some(filter), KpiSource::Events) => {
                let tickets = self.kpi_tickets(query.from, query.to).await?;
                let tickets: Vec<TicketKpi> =
                    tickets.into_iter().filter(|t| filter.admits(t)).collect();
                kpi::compute(&tickets, &query, &shift)
            }
        };
        let names = self.group_names(group_by).await?;
        let rows = rows
            .into_iter()
            .map(|r| KpiRow {
                label: kpi::label(group_by, r.group.as_deref(), lang, |k| {
                    names.get(k).cloned()
                }),
                group: r.group,
                values: r.values,
            })
            .collect();
        Ok(KpiReport { from, to, rows })
    }

    /// Checks a KPI request: the query, and the filter it applies (a supervisor's narrowed
    /// to their region; `None` when it can match nothing).
    async fn kpi_query(
        &self,
        actor: &Actor,
        req: &KpiRequest,
        now: DateTime<Utc>,
    ) -> Result<(Query, Option<Filter>), StoreError> {
        let Some(scope) = access::kpi_scope(actor) else {
            return Err(StoreError::Forbidden);
        };
        let metrics = Metric::parse_list(req.metrics.as_deref())?;
        let group_by = req.group_by.as_deref().map(GroupBy::parse).transpose()?;
        let to = req.to.unwrap_or(now);
        let from = req
            .from
            .unwrap_or(to - chrono::Duration::days(DEFAULT_DAYS));
        kpi::check_period(ms(from), ms(to))?;
        let query = Query {
            from: ms(from),
            to: ms(to),
            metrics,
            group_by,
            offset: self.settings().await?.offset,
        };
        let mut filter = req.filter.clone();
        if let Some(region) = scope {
            let region = region.to_string();
            if filter.region.as_ref().is_some_and(|r| *r != region) {
                // A supervisor asking for another region sees nothing of it.
                return Ok((query, None));
            }
            filter.region = Some(region);
        }
        Ok((query, Some(filter)))
    }

    /// Engineers' on-shift time: the tenant's first business calendar, or the PRC standard
    /// working week when it has none (engineers get shifts of their own with dispatch).
    async fn shift_calendar(&self) -> Result<Calendar, StoreError> {
        let spec: Option<String> = sqlx::query_scalar(
            "SELECT spec FROM calendars WHERE tenant_id = $1 ORDER BY created_at, id LIMIT 1",
        )
        .bind(self.tid())
        .fetch_optional(&self.store.replica)
        .await?;
        let spec = match spec {
            Some(s) => serde_json::from_str::<CalendarSpec>(&s)
                .map_err(|_| StoreError::Corrupt("calendar".into()))?,
            None => CalendarSpec::prc_standard(),
        };
        let cal = spec
            .build()
            .map_err(|_| StoreError::Corrupt("calendar".into()))?;
        Ok(Calendar::Business(Box::new(cal)))
    }

    /// Display names of the ids a grouping shows.
    async fn group_names(
        &self,
        by: Option<GroupBy>,
    ) -> Result<HashMap<String, String>, StoreError> {
        let sql = match by {
            Some(GroupBy::Region) => "SELECT id, name FROM regions WHERE tenant_id = $1",
            Some(GroupBy::Team) => "SELECT id, name FROM teams WHERE tenant_id = $1",
            Some(GroupBy::Engineer) => "SELECT id, display_name FROM users WHERE tenant_id = $1",
            Some(GroupBy::Category) => "SELECT code, name FROM categories WHERE tenant_id = $1",
            _ => return Ok(HashMap::new()),
        };
        let rows: Vec<(String, String)> = sqlx::query_as(sql)
            .bind(self.tid())
            .fetch_all(&self.store.replica)
            .await?;
        Ok(rows.into_iter().collect())
    }
}
