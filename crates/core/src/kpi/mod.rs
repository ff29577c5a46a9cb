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
use serde::Serialize;

use crate::sla::calendar::Calendar;
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
    /// The code name.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Region => "region",
            GroupBy::Team => "team",
            GroupBy::Engineer => "engineer",
            GroupBy::Category => "category",
            GroupBy::Channel => "channel",
            GroupBy::CustomerTier => "customer_tier",
            GroupBy::Day => "day",
            GroupBy::Week => "week",
            GroupBy::Month => "month",
        }
    }

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

mod facts;
mod report;
pub mod schedule;

pub use facts::*;
pub use report::*;

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
