//! Service KPIs (DESIGN §3): one definition each, computed from a ticket's events.
//!
//! Two steps, both pure:
//! 1. [`Facts::apply`] folds a ticket's events, oldest first, into the few facts every KPI
//!    needs (first response, arrival, last resolution, visits, reopens, closure, transfers,
//!    chases, survey answers, engineers' travel and on-site time).
//! 2. [`compute`] groups tickets and turns their facts into the KPI values of the API
//!    contract, for a period `[from, to)`.
//!
//! A ticket belongs to the period by its creation time, except MTTR, FCR, FTFR, reopen and
//! on-time rates, which take the tickets *resolved* in the period ("resolved" is the last move
//! to `resolved`), and utilisation, which takes the engineers' working time inside the period.
//! Durations are in seconds; percentiles are nearest-rank (p50 of 1, 2, 3, 4 is 2).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::event::payload::{MoveData, Payload};
use crate::event::EventKind;
use crate::i18n::{self, Lang};
use crate::sla::calendar::Calendar;
use crate::ticket::status::Status;
use crate::ticket::transitions::{ConfirmedBy, MoveKind};
use crate::validate::FieldError;

pub mod board;
mod book;
#[cfg(test)]
mod tests;

pub use book::Book;

/// The KPIs, by their code names in the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Metric {
    /// First response time.
    Frt,
    /// On-site arrival time.
    Oat,
    /// First-contact resolution.
    Fcr,
    /// First-time fix rate.
    Ftfr,
    /// Time to resolve.
    Mttr,
    /// Closed ÷ created.
    ClosureRate,
    /// Closed on the customer's own confirmation ÷ created.
    ConfirmedClosureRate,
    /// Reopened at least once ÷ resolved.
    ReopenRate,
    /// Resolved by the resolution due time ÷ resolved.
    OnTimeRate,
    /// Ratings 4–5 ÷ ratings.
    Csat,
    /// Promoters − detractors, in percent.
    Nps,
    /// (Travel + on-site time) ÷ on-shift time.
    Utilisation,
    /// Reassigned at least once ÷ assigned.
    TransferRate,
    /// Chased (催单) at least once ÷ created.
    ChaseRate,
    /// Created in the period and still open at its end.
    Backlog,
    /// Preventive maintenance done by its due date ÷ maintenance due in the period (asked
    /// for by name; not among the contract's "all").
    PmCompliance,
}

impl Metric {
    /// Every KPI, in the contract's order.
    pub const ALL: [Metric; 15] = [
        Metric::Frt,
        Metric::Oat,
        Metric::Fcr,
        Metric::Ftfr,
        Metric::Mttr,
        Metric::ClosureRate,
        Metric::ConfirmedClosureRate,
        Metric::ReopenRate,
        Metric::OnTimeRate,
        Metric::Csat,
        Metric::Nps,
        Metric::Utilisation,
        Metric::TransferRate,
        Metric::ChaseRate,
        Metric::Backlog,
    ];

    /// The code name.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Frt => "frt",
            Metric::Oat => "oat",
            Metric::Fcr => "fcr",
            Metric::Ftfr => "ftfr",
            Metric::Mttr => "mttr",
            Metric::ClosureRate => "closure_rate",
            Metric::ConfirmedClosureRate => "confirmed_closure_rate",
            Metric::ReopenRate => "reopen_rate",
            Metric::OnTimeRate => "on_time_rate",
            Metric::Csat => "csat",
            Metric::Nps => "nps",
            Metric::Utilisation => "utilisation",
            Metric::TransferRate => "transfer_rate",
            Metric::ChaseRate => "chase_rate",
            Metric::Backlog => "backlog",
            Metric::PmCompliance => "pm_compliance",
        }
    }

    /// Parses a code name.
    pub fn parse(text: &str) -> Option<Metric> {
        Metric::ALL
            .into_iter()
            .chain([Metric::PmCompliance])
            .find(|m| m.as_str() == text)
    }

    /// Parses a comma-separated list (`None` or empty: every KPI). Duplicates are dropped.
    pub fn parse_list(text: Option<&str>) -> Result<Vec<Metric>, FieldError> {
        let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
            return Ok(Metric::ALL.to_vec());
        };
        let mut out = BTreeSet::new();
        for part in text.split(',') {
            match Metric::parse(part.trim()) {
                Some(m) => {
                    out.insert(m);
                }
                None => {
                    return Err(FieldError {
                        field: "metrics",
                        reason: "error.unknown_metric",
                    })
                }
            }
        }
        Ok(out.into_iter().collect())
    }

    /// True for the KPIs whose tickets are those resolved in the period.
    pub fn by_resolution(self) -> bool {
        matches!(
            self,
            Metric::Mttr | Metric::Fcr | Metric::Ftfr | Metric::ReopenRate | Metric::OnTimeRate
        )
    }
}

/// What rows a KPI query is cut into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupBy {
    /// The ticket's region.
    Region,
    /// The ticket's team.
    Team,
    /// The engineer the ticket was last assigned to.
    Engineer,
    /// The ticket's category.
    Category,
    /// How the request came in.
    Channel,
    /// The customer's tier.
    CustomerTier,
    /// Local calendar day (`2026-11-24`).
    Day,
    /// ISO week, Monday first (`2026-W48`).
    Week,
    /// Calendar month (`2026-11`).
    Month,
}

impl GroupBy {
    /// Parses the code name.
    pub fn parse(text: &str) -> Result<GroupBy, FieldError> {
        Ok(match text {
            "region" => GroupBy::Region,
            "team" => GroupBy::Team,
            "engineer" => GroupBy::Engineer,
            "category" => GroupBy::Category,
            "channel" => GroupBy::Channel,
            "customer_tier" => GroupBy::CustomerTier,
            "day" => GroupBy::Day,
            "week" => GroupBy::Week,
            "month" => GroupBy::Month,
            _ => {
                return Err(FieldError {
                    field: "group_by",
                    reason: "error.unknown_group",
                })
            }
        })
    }
}

pub use crate::event::{By, Event};

/// How a ticket was closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closure {
    /// When.
    pub at: i64,
    /// On the customer's own confirmation (not an agent's word for them, not an auto-close).
    pub by_customer: bool,
}

/// Travel or on-site time of one engineer on a ticket, `[start, end)` in ms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// The engineer (user id).
    pub engineer: String,
    /// Start.
    pub start: i64,
    /// End.
    pub end: i64,
}

/// A survey answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    /// 1–5.
    pub csat: Option<i64>,
    /// 0–10.
    pub nps: Option<i64>,
}

/// What the KPIs need of one ticket, folded from its events.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Facts {
    /// Created.
    pub created_at: i64,
    /// The first response: the first event that answers the customer
    /// ([`Event::answers_customer`], the one rule the SLA keeps too).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_response_at: Option<i64>,
    /// The first check-in on site.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_arrival_at: Option<i64>,
    /// The last move to `resolved` (kept after a reopen: the reopen rate counts those).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<i64>,
    /// Whether the last work report was a remote fix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote: Option<bool>,
    /// Assignment moves (派工, 转派, re-dispatch).
    #[serde(skip_serializing_if = "is_zero")]
    pub assignments: u32,
    /// Check-ins on site.
    #[serde(skip_serializing_if = "is_zero")]
    pub visits: u32,
    /// Moves from `resolved` or `closed` back to `in_progress`.
    #[serde(skip_serializing_if = "is_zero")]
    pub reopens: u32,
    /// The current closure, if the ticket is closed now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed: Option<Closure>,
    /// When it was cancelled, if it is cancelled now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<i64>,
    /// The engineer last assigned (user id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engineer: Option<String>,
    /// Times the customer asked about progress.
    #[serde(skip_serializing_if = "is_zero")]
    pub chases: u32,
    /// Surveys sent.
    #[serde(skip_serializing_if = "is_zero")]
    pub surveys_sent: u32,
    /// Survey answers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ratings: Vec<Rating>,
    /// Engineers' travel (出发 → 到场) and on-site (到场 → leaving) time.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub work: Vec<Span>,
    /// A span still running: (engineer, start).
    #[serde(skip_serializing_if = "Option::is_none")]
    open_span: Option<(String, i64)>,
}

impl Facts {
    /// The facts of a ticket created at `created_at`, before any other event.
    pub fn new(created_at: i64) -> Facts {
        Facts {
            created_at,
            ..Facts::default()
        }
    }

    /// Folds events, oldest first.
    pub fn from_events<'a>(created_at: i64, events: impl IntoIterator<Item = Event<'a>>) -> Facts {
        let mut facts = Facts::new(created_at);
        for e in events {
            facts.apply(&e);
        }
        facts
    }

    /// Takes one more event into account.
    pub fn apply(&mut self, e: &Event<'_>) {
        if self.first_response_at.is_none() && e.answers_customer() {
            self.first_response_at = Some(e.at);
        }
        match e.payload {
            Payload::Move(MoveKind::Assign | MoveKind::Reassign | MoveKind::Redispatch, d) => {
                self.assignments += 1;
                if let Some(a) = d.assignee_id {
                    self.engineer = Some(a.to_string());
                }
            }
            Payload::Move(MoveKind::CheckIn, _) => {
                self.visits += 1;
                self.first_arrival_at.get_or_insert(e.at);
            }
            Payload::Move(MoveKind::Resolve, d) => self.remote = d.remote,
            Payload::Chased(_) => self.chases += 1,
            Payload::SurveySent(_) => self.surveys_sent += 1,
            Payload::SurveyAnswered(a) => self.ratings.push(Rating {
                csat: a.csat,
                nps: a.nps,
            }),
            _ => {}
        }
        let Some(to) = e.to else { return };
        if to == Status::Resolved {
            self.resolved_at = Some(e.at);
        }
        if e.kind() == EventKind::Reopen {
            self.reopens += 1;
        }
        self.closed = (to == Status::Closed).then(|| Closure {
            at: e.at,
            by_customer: matches!(
                e.payload,
                Payload::Move(MoveKind::Confirm, MoveData { confirmation: Some(c), .. })
                    if c.by == ConfirmedBy::Customer
            ),
        });
        self.cancelled_at = (to == Status::Cancelled).then_some(e.at);
        self.track_work(e, to);
    }

    /// Travel runs from 出发 to the check-in; on-site time from the check-in until the ticket
    /// leaves `on_site`/`in_progress` (resolved, waiting, re-dispatched, cancelled …).
    fn track_work(&mut self, e: &Event<'_>, to: Status) {
        let engineer = self.engineer.clone();
        let keeps = match e.kind() {
            EventKind::CheckIn => false,
            _ => matches!(
                (self.open_span.is_some(), to),
                (true, Status::EnRoute | Status::OnSite | Status::InProgress)
            ),
        };
        if !keeps {
            if let Some((who, start)) = self.open_span.take() {
                if e.at > start {
                    self.work.push(Span {
                        engineer: who,
                        start,
                        end: e.at,
                    });
                }
            }
        }
        if matches!(e.kind(), EventKind::Depart | EventKind::CheckIn) {
            if let Some(who) = engineer {
                self.open_span = Some((who, e.at));
            }
        }
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// One ticket with what it is grouped by.
#[derive(Clone, Debug, Default)]
pub struct TicketKpi {
    /// The ticket's id (for drill-down; the figures do not read it).
    pub id: String,
    /// The folded events.
    pub facts: Facts,
    /// Region id.
    pub region: Option<String>,
    /// Team id.
    pub team: Option<String>,
    /// Category code.
    pub category: Option<String>,
    /// Channel code.
    pub channel: String,
    /// The customer's tier.
    pub tier: Option<String>,
    /// The resolution due time of the SLA, when it has one.
    pub resolution_due: Option<i64>,
    /// For a preventive-maintenance order: the start of its due day (local time); it is
    /// done on time when resolved before that day ends.
    pub pm_due: Option<i64>,
}

/// Which tickets a query looks at (every field optional; all given must match).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Region id.
    pub region: Option<String>,
    /// Team id.
    pub team: Option<String>,
    /// The engineer last assigned (user id).
    pub engineer: Option<String>,
    /// Category code.
    pub category: Option<String>,
    /// Channel code.
    pub channel: Option<String>,
    /// Customer tier.
    pub tier: Option<String>,
}

impl Filter {
    /// True when the ticket matches.
    pub fn admits(&self, t: &TicketKpi) -> bool {
        let is = |want: &Option<String>, have: Option<&String>| {
            want.as_ref().is_none_or(|w| have == Some(w))
        };
        is(&self.region, t.region.as_ref())
            && is(&self.team, t.team.as_ref())
            && is(&self.engineer, t.facts.engineer.as_ref())
            && is(&self.category, t.category.as_ref())
            && is(&self.channel, Some(&t.channel))
            && is(&self.tier, t.tier.as_ref())
    }
}

/// What to compute.
#[derive(Clone, Debug)]
pub struct Query {
    /// Start of the period (ms, inclusive).
    pub from: i64,
    /// End of the period (ms, exclusive).
    pub to: i64,
    /// Which KPIs.
    pub metrics: Vec<Metric>,
    /// How to cut the rows (`None`: one row for everything).
    pub group_by: Option<GroupBy>,
    /// Local time, for days, weeks and months.
    pub offset: FixedOffset,
}

/// A duration KPI: seconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Durations {
    /// Mean.
    pub mean: Option<f64>,
    /// Median (nearest rank).
    pub p50: Option<f64>,
    /// 90th percentile (nearest rank).
    pub p90: Option<f64>,
    /// How many tickets.
    pub n: u64,
}

/// A KPI value as the API gives it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum KpiValue {
    /// FRT, OAT, MTTR.
    Durations(Durations),
    /// CSAT: a rate with its response rate beside it.
    Csat {
        /// Share of ratings 4–5.
        value: Option<f64>,
        /// Ratings.
        n: u64,
        /// Answered ÷ sent.
        response_rate: Option<f64>,
        /// Surveys sent.
        sent: u64,
    },
    /// A fraction 0–1 (NPS: −100 to 100) over `n`.
    Rate {
        /// The value; `None` when `n` is 0.
        value: Option<f64>,
        /// What it is computed over.
        n: u64,
    },
    /// A count.
    Count {
        /// The count.
        value: u64,
    },
}

/// One row of the answer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// The group's key (`None`: the whole period, or tickets without that attribute).
    pub group: Option<String>,
    /// KPI code name → value.
    pub values: BTreeMap<&'static str, KpiValue>,
}

/// The key of a local day, ISO week or month; and that bucket's `[start, end)` in ms.
pub fn time_bucket(at: i64, by: GroupBy, offset: FixedOffset) -> Option<(String, i64, i64)> {
    let local = DateTime::from_timestamp_millis(at)?
        .with_timezone(&offset)
        .date_naive();
    let (key, first, next) = match by {
        GroupBy::Day => (
            local.format("%Y-%m-%d").to_string(),
            local,
            local.succ_opt()?,
        ),
        GroupBy::Week => {
            let w = local.iso_week();
            let monday = NaiveDate::from_isoywd_opt(w.year(), w.week(), chrono::Weekday::Mon)?;
            (
                format!("{}-W{:02}", w.year(), w.week()),
                monday,
                monday.checked_add_days(chrono::Days::new(7))?,
            )
        }
        GroupBy::Month => {
            let first = local.with_day(1)?;
            (
                local.format("%Y-%m").to_string(),
                first,
                first.checked_add_months(chrono::Months::new(1))?,
            )
        }
        _ => return None,
    };
    let start = |d: NaiveDate| -> Option<i64> {
        Some(
            d.and_hms_opt(0, 0, 0)?
                .and_local_timezone(offset)
                .single()?
                .timestamp_millis(),
        )
    };
    Some((key, start(first)?, start(next)?))
}

/// The tickets behind one KPI figure that pull it down (drill-down from a number): for a
/// duration, every ticket it counts, slowest first, with its duration in seconds; for a rate,
/// the tickets counted against it (not closed, not fixed the first time, reopened,
/// transferred, chased, late, rated 1–3, detractors); for the backlog, the tickets in it.
/// `group` picks the row (`None`: the row without a key, or the whole period when ungrouped).
/// Answers indexes into `tickets` with the value to show; `None` for utilisation, which is
/// about engineers' time rather than tickets.
pub fn behind(
    tickets: &[TicketKpi],
    q: &Query,
    metric: Metric,
    group: Option<&str>,
) -> Option<Vec<(usize, Option<f64>)>> {
    let found = book_of(tickets).behind(q, &Filter::default(), metric, group)?;
    Some(
        found
            .into_iter()
            .map(|(key, value)| (usize::try_from(key).unwrap_or(usize::MAX), value))
            .collect(),
    )
}

/// The KPI rows of `tickets` for the query. `shift` gives one engineer's on-shift time in ms
/// within `[a, b)`. Rows are sorted by group key (the `None` group last); only groups with
/// tickets appear.
pub fn compute(tickets: &[TicketKpi], q: &Query, shift: &Calendar) -> Vec<Row> {
    book_of(tickets).compute(q, &Filter::default(), shift)
}

/// A book of `tickets`, each under its index.
fn book_of(tickets: &[TicketKpi]) -> Book {
    let mut book = Book::new();
    for (i, t) in tickets.iter().enumerate() {
        book.put(i as u128, t);
    }
    book
}

/// The longest period one query may cover.
pub const MAX_PERIOD_DAYS: i64 = 3 * 366;

/// Checks a period: `from` before `to`, at most [`MAX_PERIOD_DAYS`] apart.
pub fn check_period(from: i64, to: i64) -> Result<(), FieldError> {
    if from >= to || to - from > MAX_PERIOD_DAYS * 86_400_000 {
        return Err(FieldError {
            field: "from",
            reason: "error.period",
        });
    }
    Ok(())
}

/// The display name of a group: the name behind an id (`name_of`), a translated channel or
/// tier, or the time key itself.
pub fn label(
    by: Option<GroupBy>,
    key: Option<&str>,
    lang: Lang,
    name_of: impl Fn(&str) -> Option<String>,
) -> String {
    let Some(by) = by else {
        return i18n::t(lang, "kpi.all").to_owned();
    };
    let Some(key) = key else {
        return i18n::t(lang, "kpi.none").to_owned();
    };
    let translated = |prefix: &str| {
        let k = format!("{prefix}.{key}");
        if i18n::has(&k) {
            i18n::t(lang, &k).to_owned()
        } else {
            key.to_owned()
        }
    };
    match by {
        GroupBy::Region | GroupBy::Team | GroupBy::Engineer | GroupBy::Category => {
            name_of(key).unwrap_or_else(|| key.to_owned())
        }
        GroupBy::Channel => translated("channel"),
        GroupBy::CustomerTier => translated("tier"),
        GroupBy::Day | GroupBy::Week | GroupBy::Month => key.to_owned(),
    }
}

/// One cell of an exported KPI table.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A number.
    Number(f64),
    /// Nothing to show (a rate over nothing).
    Empty,
}

/// A KPI answer as a flat table for CSV and Excel: one row per group, one column per figure
/// (durations in seconds: mean, p50, p90, count; rates: value, count; …), headers in `lang`.
pub fn table(
    metrics: &[Metric],
    rows: &[(String, BTreeMap<&'static str, KpiValue>)],
    lang: Lang,
) -> (Vec<String>, Vec<Vec<Cell>>) {
    let name = |m: Metric| i18n::t(lang, &format!("kpi.metric.{}", m.as_str())).to_owned();
    let part = |key: &str| i18n::t(lang, &format!("kpi.part.{key}")).to_owned();
    let mut header = vec![part("group")];
    for m in metrics {
        let parts: &[&str] = match m {
            Metric::Frt | Metric::Oat | Metric::Mttr => &["mean", "p50", "p90", "n"],
            Metric::Csat => &["value", "n", "response_rate", "sent"],
            Metric::Backlog => &["value"],
            _ => &["value", "n"],
        };
        for p in parts {
            header.push(format!("{} {}", name(*m), part(p)));
        }
    }
    let num = |v: Option<f64>| v.map_or(Cell::Empty, Cell::Number);
    let count = |n: u64| Cell::Number(n as f64);
    let body = rows
        .iter()
        .map(|(label, values)| {
            let mut cells = vec![Cell::Text(label.clone())];
            for m in metrics {
                match values.get(m.as_str()) {
                    Some(KpiValue::Durations(d)) => {
                        cells.extend([num(d.mean), num(d.p50), num(d.p90), count(d.n)]);
                    }
                    Some(KpiValue::Csat {
                        value,
                        n,
                        response_rate,
                        sent,
                    }) => cells.extend([num(*value), count(*n), num(*response_rate), count(*sent)]),
                    Some(KpiValue::Rate { value, n }) => cells.extend([num(*value), count(*n)]),
                    Some(KpiValue::Count { value }) => cells.push(count(*value)),
                    None => {}
                }
            }
            cells
        })
        .collect();
    (header, body)
}

/// The week a weekly report covers at `now`: the last full ISO week (Monday to Monday, local
/// time), once this week's Monday 08:00 has passed. Answers (from, to, `2026-W47`) in ms.
pub fn report_week(now: i64, offset: FixedOffset) -> Option<(i64, i64, String)> {
    let (_, this_monday, _) = time_bucket(now, GroupBy::Week, offset)?;
    if now < this_monday + 8 * 3_600_000 {
        return None;
    }
    let (key, from, to) = time_bucket(this_monday - 1, GroupBy::Week, offset)?;
    Some((from, to, key))
}

/// Who gets the weekly report by mail: managers (with an address to send it to).
pub fn receives_weekly_report(roles: crate::Roles) -> bool {
    roles.has(crate::Role::Manager)
}

/// The weekly report mail: the headline KPIs of the week for the whole tenant, then per
/// group (region), in `lang`.
pub fn report_message(
    lang: Lang,
    week: &str,
    rows: &[(String, BTreeMap<&'static str, KpiValue>)],
) -> crate::followup::Message {
    const HEADLINE: [Metric; 8] = [
        Metric::Frt,
        Metric::Mttr,
        Metric::ClosureRate,
        Metric::Ftfr,
        Metric::ReopenRate,
        Metric::OnTimeRate,
        Metric::Csat,
        Metric::Backlog,
    ];
    let minutes = |s: Option<f64>| s.map_or("—".to_owned(), |s| format!("{:.0} min", s / 60.0));
    let percent = |v: Option<f64>| v.map_or("—".to_owned(), |v| format!("{:.1}%", v * 100.0));
    let mut body = i18n::tf(lang, "report.intro", &[("week", week)]);
    for (label, values) in rows {
        body.push_str("\n\n");
        body.push_str(label);
        for m in HEADLINE {
            let shown = match values.get(m.as_str()) {
                Some(KpiValue::Durations(d)) => {
                    format!("{} (p90 {}, n={})", minutes(d.mean), minutes(d.p90), d.n)
                }
                Some(KpiValue::Rate { value, n } | KpiValue::Csat { value, n, .. }) => {
                    format!("{} (n={n})", percent(*value))
                }
                Some(KpiValue::Count { value }) => value.to_string(),
                None => continue,
            };
            body.push_str(&format!(
                "\n  {}: {shown}",
                i18n::t(lang, &format!("kpi.metric.{}", m.as_str()))
            ));
        }
    }
    crate::followup::Message {
        subject: i18n::tf(lang, "report.subject", &[("week", week)]),
        body,
    }
}
