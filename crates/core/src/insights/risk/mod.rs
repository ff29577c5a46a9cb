//! Risk (issue 23): for an open ticket, how likely it is to miss its resolution due time
//! (breach) and to come back after it is resolved (reopen), from what is known at the moment
//! it is scored — its category and priority, its age and the SLA time left, its engineer's
//! open orders and record, parts it waits for, its customer's recent requests and record,
//! their chases and urgent words — each score with the reasons that raised it.
//!
//! The models are logistic regressions ([`logistic`]) over those features, trained on the
//! tenant's own past tickets. A ticket teaches at several moments of its life (at creation and
//! at each quarter of its SLA window while still open), so the model learns how risk moves as
//! the clock runs. [`backtest`] replays a past period: trained only on what was known before
//! it, scored on its tickets at the same moments, judged by AUC, Brier score and calibration.

use serde::{Deserialize, Serialize};

use crate::event::EventKind;
use crate::i18n::{self, Lang};
use crate::ticket::status::Status;

mod history;
pub mod logistic;
pub mod simulate;
#[cfg(test)]
mod tests;

pub use history::History;
pub use logistic::Logistic;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;
/// Days of history an open ticket's engineer and customer are looked up in (the customer
/// window, and enough of an engineer's record).
pub const LOOKED_UP_DAYS: i64 = 90;
/// A customer's recent requests are those of this window.
pub const CUSTOMER_WINDOW_MS: i64 = 90 * DAY_MS;
/// A resolution not reopened within this time counts as not reopened.
pub const REOPEN_HORIZON_MS: i64 = 14 * DAY_MS;
/// Moments a ticket is scored at while open: creation and each quarter of its SLA window.
const MOMENTS: i64 = 4;
/// Tickets with a known outcome a model needs.
pub const MIN_TICKETS: usize = 50;
/// Categories the model knows by name (the most frequent); the rest are one "other".
const MAX_CATEGORIES: usize = 30;
/// From this chance of breaching, an open ticket is likely to run late.
pub const LIKELY_LATE: f64 = 0.5;
/// Reasons given per ticket at most.
const MAX_REASONS: usize = 3;
/// Pseudo-outcomes at the overall rate that an engineer's or customer's record starts with.
const PRIOR_WEIGHT: f64 = 5.0;

/// One ticket's life as risk reads it (ms since the epoch throughout).
#[derive(Clone, Debug, Default)]
pub struct Case {
    /// Created.
    pub created_at: i64,
    /// The resolution due time, if an SLA set one.
    pub due: Option<i64>,
    /// The first move to resolved.
    pub resolved_at: Option<i64>,
    /// The first reopen after that.
    pub reopened_at: Option<i64>,
    /// Cancelled (or merged into another).
    pub cancelled_at: Option<i64>,
    /// Category code.
    pub category: Option<String>,
    /// Priority 1 (highest) to 4.
    pub priority: i64,
    /// The customer.
    pub customer: Option<String>,
    /// Assignments in time order: when, and to whom (`None`: the engineer declined).
    pub assignments: Vec<(i64, Option<String>)>,
    /// When the customer chased.
    pub chases: Vec<i64>,
    /// When the customer's words read urgent.
    pub urgent: Vec<i64>,
    /// Waits for parts: from, until (`None`: still waiting).
    pub parts: Vec<(i64, Option<i64>)>,
}

impl Case {
    /// When the ticket stopped being open work: first resolved, or cancelled; far future if
    /// neither.
    fn end(&self) -> i64 {
        match (self.resolved_at, self.cancelled_at) {
            (Some(r), Some(c)) => r.min(c),
            (Some(r), None) => r,
            (None, Some(c)) => c,
            (None, None) => i64::MAX,
        }
    }

    /// (when it became known, whether it breached): resolved by the due time, or not.
    /// Cancelled before either: no outcome.
    pub fn breach_outcome(&self) -> Option<(i64, bool)> {
        let due = self.due?;
        match self.resolved_at {
            Some(r) if r <= due => Some((r, false)),
            _ if self.cancelled_at.is_some_and(|c| c <= due) => None,
            _ => Some((due, true)),
        }
    }

    /// (when it became known, whether it was reopened) for a resolved ticket.
    pub fn reopen_outcome(&self) -> Option<(i64, bool)> {
        let resolved = self.resolved_at?;
        Some(match self.reopened_at {
            Some(at) => (at, true),
            None => (resolved.saturating_add(REOPEN_HORIZON_MS), false),
        })
    }

    /// The moments the ticket is scored at, before `until`: creation and each quarter of its
    /// SLA window (one day without one), while still open and not yet due.
    pub fn moments(&self, until: i64) -> Vec<i64> {
        let window = self
            .due
            .map_or(DAY_MS, |d| (d - self.created_at).max(HOUR_MS));
        let stop = self.end().min(self.due.unwrap_or(i64::MAX)).min(until);
        (0..MOMENTS)
            .map(|k| self.created_at + window * k / MOMENTS)
            .filter(|&t| t < stop)
            .collect()
    }

    /// Takes one event of the ticket into account (events in time order): an assignment
    /// (`assignee`: who), a decline, the first resolution and the first reopen after it, a
    /// cancellation or merge, a chase, urgent words, and waits for parts — from a request
    /// or a move to 等待配件 until the parts arrive, are refused or work resumes.
    pub fn apply(&mut self, kind: EventKind, at: i64, assignee: Option<&str>) {
        let waiting = self.parts.last().is_some_and(|(_, until)| until.is_none());
        match kind {
            EventKind::Assign | EventKind::Reassign | EventKind::Redispatch => {
                self.assignments.push((at, assignee.map(str::to_owned)));
            }
            EventKind::Decline => self.assignments.push((at, None)),
            EventKind::Resolve if self.resolved_at.is_none() => self.resolved_at = Some(at),
            EventKind::Reopen if self.resolved_at.is_some() && self.reopened_at.is_none() => {
                self.reopened_at = Some(at);
            }
            EventKind::Cancel | EventKind::Merged if self.cancelled_at.is_none() => {
                self.cancelled_at = Some(at);
            }
            EventKind::Chased => self.chases.push(at),
            EventKind::UrgencySignalled => self.urgent.push(at),
            EventKind::PartsRequested | EventKind::WaitParts if !waiting => {
                self.parts.push((at, None));
            }
            EventKind::PartsReceived | EventKind::PartsRejected | EventKind::Resume => {
                if let Some(last) = self.parts.last_mut().filter(|_| waiting) {
                    last.1 = Some(at);
                }
            }
            _ => {}
        }
    }

    fn engineer_at(&self, t: i64) -> Option<&str> {
        self.assignments
            .iter()
            .take_while(|(at, _)| *at <= t)
            .last()
            .and_then(|(_, e)| e.as_deref())
    }
}

/// The events [`Case::apply`] reads.
pub const KINDS: [EventKind; 15] = [
    EventKind::Assign,
    EventKind::Reassign,
    EventKind::Redispatch,
    EventKind::Decline,
    EventKind::Resolve,
    EventKind::Reopen,
    EventKind::Cancel,
    EventKind::Merged,
    EventKind::Chased,
    EventKind::UrgencySignalled,
    EventKind::PartsRequested,
    EventKind::WaitParts,
    EventKind::PartsReceived,
    EventKind::PartsRejected,
    EventKind::Resume,
];

/// The statuses of a ticket still at work: not yet resolved, so its resolution can still be
/// late (the tickets risk is shown for).
pub fn at_work(status: Status) -> bool {
    !matches!(
        status,
        Status::Resolved | Status::InReview | Status::Closed | Status::Cancelled
    )
}

/// The risk of an open ticket when the tenant has too little history for a model: the share of
/// its SLA window already gone (1 once past due), said as the time left.
pub fn by_the_clock(c: &Case, t: i64) -> Risk {
    let Some(due) = c.due else {
        return Risk {
            breach: 0.0,
            reopen: 0.0,
            reasons: Vec::new(),
        };
    };
    if due <= t {
        return Risk {
            breach: 1.0,
            reopen: 0.0,
            reasons: vec![Reason {
                key: "risk.reason.overdue",
                value: String::new(),
            }],
        };
    }
    let window = (due - c.created_at).max(1) as f64;
    Risk {
        breach: ((t - c.created_at).max(0) as f64 / window).clamp(0.0, 1.0),
        reopen: 0.0,
        reasons: vec![Reason {
            key: "risk.reason.time_left",
            value: format!("{:.1}", (due - t) as f64 / HOUR_MS as f64),
        }],
    }
}

/// A feature, by what it tells (the reasons name them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Feature {
    Priority(usize),
    Category(usize),
    OtherCategory,
    Age,
    Left,
    HoursLeft,
    Assigned,
    Load,
    EngineerRecord,
    PartsWaiting,
    PartsRequests,
    CustomerRecent,
    CustomerRecord,
    Chases,
    Urgent,
    Reassigned,
}

/// The features in their order, for the categories `categories`.
fn layout(categories: &[String]) -> Vec<Feature> {
    let mut out: Vec<Feature> = (1..=4).map(Feature::Priority).collect();
    out.extend((0..categories.len()).map(Feature::Category));
    out.extend([
        Feature::OtherCategory,
        Feature::Age,
        Feature::Left,
        Feature::HoursLeft,
        Feature::Assigned,
        Feature::Load,
        Feature::EngineerRecord,
        Feature::PartsWaiting,
        Feature::PartsRequests,
        Feature::CustomerRecent,
        Feature::CustomerRecord,
        Feature::Chases,
        Feature::Urgent,
        Feature::Reassigned,
    ]);
    out
}

/// The features' names, in order (a header for the same features in another tool).
pub fn feature_names(categories: &[String]) -> Vec<String> {
    layout(categories)
        .into_iter()
        .map(|f| match f {
            Feature::Priority(p) => format!("priority_{p}"),
            Feature::Category(i) => format!("category_{}", categories[i]),
            Feature::OtherCategory => "category_other".into(),
            Feature::Age => "age".into(),
            Feature::Left => "left".into(),
            Feature::HoursLeft => "hours_left".into(),
            Feature::Assigned => "assigned".into(),
            Feature::Load => "load".into(),
            Feature::EngineerRecord => "engineer_breach_rate".into(),
            Feature::PartsWaiting => "parts_waiting".into(),
            Feature::PartsRequests => "parts_requests".into(),
            Feature::CustomerRecent => "customer_recent".into(),
            Feature::CustomerRecord => "customer_breach_rate".into(),
            Feature::Chases => "chases".into(),
            Feature::Urgent => "urgent".into(),
            Feature::Reassigned => "reassigned".into(),
        })
        .collect()
}

/// The facts behind one row, kept for the reasons.
#[derive(Clone, Debug, Default)]
struct Facts {
    hours_left: f64,
    assigned: bool,
    reassignments: usize,
    load: u32,
    engineer_rate: Option<f64>,
    customer_recent: u32,
    chases: usize,
    urgent: usize,
    parts_waiting: bool,
}

/// What a ticket's moment looks like to the model.
struct Row {
    values: Vec<f64>,
    facts: Facts,
}

fn rate(record: (u32, u32), overall: f64) -> f64 {
    let (n, breaches) = record;
    (f64::from(breaches) + PRIOR_WEIGHT * overall) / (f64::from(n) + PRIOR_WEIGHT)
}

fn row(c: &Case, t: i64, h: &History, categories: &[String], overall: f64) -> Row {
    let mut values = Vec::with_capacity(categories.len() + 18);
    for p in 1..=4 {
        values.push(f64::from(u8::from(c.priority == p)));
    }
    let known = c
        .category
        .as_ref()
        .and_then(|code| categories.iter().position(|k| k == code));
    for i in 0..categories.len() {
        values.push(f64::from(u8::from(known == Some(i))));
    }
    values.push(f64::from(u8::from(known.is_none())));
    let age_hours = (t - c.created_at).max(0) as f64 / HOUR_MS as f64;
    values.push(age_hours.ln_1p());
    let (left, hours_left) = match c.due {
        Some(due) => {
            let window = (due - c.created_at).max(1) as f64;
            let left = (due - t) as f64;
            ((left / window).clamp(-1.0, 1.0), left / HOUR_MS as f64)
        }
        None => (1.0, 24.0 * 30.0),
    };
    values.push(left);
    values.push(hours_left.max(0.0).ln_1p());
    let engineer = c.engineer_at(t);
    values.push(f64::from(u8::from(engineer.is_some())));
    let load = engineer.map_or(0, |e| h.load(e, t));
    values.push(f64::from(load).ln_1p());
    let engineer_rate = engineer.map(|e| rate(h.engineer_record(e, t), overall));
    values.push(engineer_rate.map_or(0.0, |r| r - overall));
    let parts_waiting = c
        .parts
        .iter()
        .any(|&(from, until)| from <= t && until.is_none_or(|u| u > t));
    values.push(f64::from(u8::from(parts_waiting)));
    let requests = c.parts.iter().filter(|&&(from, _)| from <= t).count();
    values.push((requests as f64).ln_1p());
    let (recent, record) = c
        .customer
        .as_deref()
        .map_or((0, (0, 0)), |k| h.customer_record(k, t));
    values.push(f64::from(recent).ln_1p());
    values.push(if c.customer.is_some() {
        rate(record, overall) - overall
    } else {
        0.0
    });
    let chases = c.chases.iter().filter(|&&at| at <= t).count();
    values.push((chases as f64).ln_1p());
    let urgent = c.urgent.iter().filter(|&&at| at <= t).count();
    values.push((urgent as f64).ln_1p());
    let assignments = c.assignments.iter().filter(|(at, _)| *at <= t).count();
    values.push((assignments.saturating_sub(1) as f64).ln_1p());
    Row {
        values,
        facts: Facts {
            hours_left,
            assigned: engineer.is_some(),
            reassignments: assignments.saturating_sub(1),
            load,
            engineer_rate,
            customer_recent: recent,
            chases,
            urgent,
            parts_waiting,
        },
    }
}

/// Why a ticket is at risk: a message key and its argument.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Reason {
    /// The translation key (`risk.reason.*`).
    pub key: &'static str,
    /// What fills `{value}`.
    pub value: String,
}

impl Reason {
    /// The reason in `lang`; a category's code is named by `category`.
    pub fn text(&self, lang: Lang, category: impl Fn(&str) -> String) -> String {
        let value = if self.key == "risk.reason.category" {
            category(&self.value)
        } else {
            self.value.clone()
        };
        i18n::tf(lang, self.key, &[("value", &value)])
    }
}

fn reason(feature: Feature, c: &Case, f: &Facts) -> Option<Reason> {
    let (key, value) = match feature {
        Feature::Priority(p) => ("risk.reason.priority", p.to_string()),
        Feature::Category(_) | Feature::OtherCategory => {
            ("risk.reason.category", c.category.clone()?)
        }
        Feature::Age | Feature::Left | Feature::HoursLeft => {
            ("risk.reason.time_left", format!("{:.1}", f.hours_left))
        }
        Feature::Assigned if !f.assigned => ("risk.reason.unassigned", String::new()),
        Feature::Load if f.load > 1 => ("risk.reason.load", f.load.to_string()),
        Feature::EngineerRecord => (
            "risk.reason.engineer_record",
            format!("{:.0}", f.engineer_rate? * 100.0),
        ),
        Feature::PartsWaiting | Feature::PartsRequests => {
            if !f.parts_waiting {
                return None;
            }
            ("risk.reason.parts", String::new())
        }
        Feature::CustomerRecent if f.customer_recent > 1 => {
            ("risk.reason.customer_recent", f.customer_recent.to_string())
        }
        Feature::CustomerRecord if c.customer.is_some() => {
            ("risk.reason.customer_record", String::new())
        }
        Feature::Chases if f.chases > 0 => ("risk.reason.chases", f.chases.to_string()),
        Feature::Urgent if f.urgent > 0 => ("risk.reason.urgent", f.urgent.to_string()),
        Feature::Reassigned if f.reassignments > 0 => ("risk.reason.reassigned", String::new()),
        // A feature that lowers the risk at this value is no reason for it.
        _ => return None,
    };
    Some(Reason { key, value })
}

/// The trained models of a tenant.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Model {
    /// The categories known by name, in feature order.
    pub categories: Vec<String>,
    /// The share of tickets that breached in training.
    pub overall: f64,
    /// Breach of the resolution due time.
    pub breach: Logistic,
    /// Reopen after resolution (`None`: no reopen in training to learn from).
    pub reopen: Option<Logistic>,
    /// Tickets with a known breach outcome it learned from.
    pub trained_on: usize,
}

/// Too little history to learn from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooFew {
    /// Tickets with a known outcome.
    pub have: usize,
    /// Needed.
    pub need: usize,
}

/// A ticket's risk now.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Risk {
    /// Chance of missing the resolution due time.
    pub breach: f64,
    /// Chance of coming back after resolution.
    pub reopen: f64,
    /// What raised it most, most first.
    pub reasons: Vec<Reason>,
}

impl Risk {
    /// Likely to run late, and not late yet (a ticket past due is its clock's business).
    pub fn likely_late(&self) -> bool {
        self.breach >= LIKELY_LATE && self.breach < 1.0
    }
}

/// The training rows: each case with a known outcome by `until`, at its moments before it.
fn examples(
    cases: &[Case],
    h: &History,
    categories: &[String],
    overall: f64,
    until: i64,
    outcome: impl Fn(&Case) -> Option<(i64, bool)>,
) -> (Vec<Vec<f64>>, Vec<bool>) {
    let mut rows = Vec::new();
    let mut labels = Vec::new();
    for c in cases {
        let Some((known, label)) = outcome(c) else {
            continue;
        };
        if known > until {
            continue;
        }
        for t in c.moments(until) {
            rows.push(row(c, t, h, categories, overall).values);
            labels.push(label);
        }
    }
    (rows, labels)
}

impl Model {
    /// Trains on what `cases` show known by `until` (their outcomes and moments before it).
    pub fn train(cases: &[Case], until: i64) -> Result<Model, TooFew> {
        let known: Vec<bool> = cases
            .iter()
            .filter_map(Case::breach_outcome)
            .filter(|&(at, _)| at <= until)
            .map(|(_, b)| b)
            .collect();
        if known.len() < MIN_TICKETS {
            return Err(TooFew {
                have: known.len(),
                need: MIN_TICKETS,
            });
        }
        let overall = known.iter().filter(|&&b| b).count() as f64 / known.len() as f64;
        let mut counts: std::collections::HashMap<&str, usize> = Default::default();
        for c in cases.iter().filter(|c| c.created_at < until) {
            if let Some(k) = &c.category {
                *counts.entry(k).or_default() += 1;
            }
        }
        let mut ranked: Vec<(&str, usize)> = counts.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let categories: Vec<String> = ranked
            .into_iter()
            .take(MAX_CATEGORIES)
            .map(|(k, _)| k.to_owned())
            .collect();
        let h = History::of(cases);
        let (rows, labels) = examples(cases, &h, &categories, overall, until, Case::breach_outcome);
        let breach = Logistic::fit(&rows, &labels);
        let (rows, labels) = examples(cases, &h, &categories, overall, until, Case::reopen_outcome);
        let reopen = (labels.iter().any(|&y| y) && labels.iter().any(|&y| !y))
            .then(|| Logistic::fit(&rows, &labels));
        Ok(Model {
            categories,
            overall,
            breach,
            reopen,
            trained_on: known.len(),
        })
    }

    /// The feature values of `c` at `t` (the training rows' layout).
    pub fn features(&self, c: &Case, t: i64, h: &History) -> Vec<f64> {
        row(c, t, h, &self.categories, self.overall).values
    }

    /// The risk of open ticket `c` at `t`. Past its due time it has breached already: 1.
    pub fn score(&self, c: &Case, t: i64, h: &History) -> Risk {
        let r = row(c, t, h, &self.categories, self.overall);
        let reopen = self
            .reopen
            .as_ref()
            .map_or(0.0, |m| m.probability(&r.values));
        if c.due.is_some_and(|d| d <= t) {
            return Risk {
                breach: 1.0,
                reopen,
                reasons: vec![Reason {
                    key: "risk.reason.overdue",
                    value: String::new(),
                }],
            };
        }
        if c.due.is_none() {
            return Risk {
                breach: 0.0,
                reopen,
                reasons: Vec::new(),
            };
        }
        let features = layout(&self.categories);
        let mut raised: Vec<(f64, Feature)> = self
            .breach
            .contributions(&r.values)
            .into_iter()
            .zip(features)
            .filter(|(v, _)| *v > 0.05)
            .collect();
        raised.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut reasons: Vec<Reason> = Vec::new();
        for (_, f) in raised {
            if let Some(reason) = reason(f, c, &r.facts) {
                if !reasons.iter().any(|x| x.key == reason.key) {
                    reasons.push(reason);
                }
            }
            if reasons.len() == MAX_REASONS {
                break;
            }
        }
        Risk {
            breach: self.breach.probability(&r.values),
            reopen,
            reasons,
        }
    }
}

/// A calibration bin: the mean predicted chance against the share that breached.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Bin {
    /// Mean predicted probability in the bin.
    pub predicted: f64,
    /// Share that breached.
    pub observed: f64,
    /// Moments in the bin.
    pub n: usize,
}

/// How a model trained before a period ranked that period's tickets.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Backtest {
    /// Moments scored (each ticket at its moments, see [`Case::moments`]).
    pub n: usize,
    /// Tickets scored.
    pub tickets: usize,
    /// Area under the ROC curve for breach.
    pub auc: f64,
    /// Mean squared error of the predicted chance.
    pub brier: f64,
    /// Ten bins of predicted chance, the empty left out.
    pub calibration: Vec<Bin>,
    /// The model's training size.
    pub trained_on: usize,
}

/// Trains on what was known before `from` and scores the tickets created in `[from, to)`
/// whose outcome is known by `now`, at their moments.
pub fn backtest(cases: &[Case], from: i64, to: i64, now: i64) -> Result<Backtest, TooFew> {
    let model = Model::train(cases, from)?;
    let set = replay(&model, cases, from, to, now);
    let scores: Vec<f64> = set
        .rows
        .iter()
        .map(|r| model.breach.probability(r))
        .collect();
    Ok(judge(&scores, &set.labels, set.tickets, model.trained_on))
}

/// Feature rows with their breach labels (for another tool to learn from the same rows).
#[derive(Clone, Debug, Default)]
pub struct Rows {
    /// One row per (ticket, moment).
    pub rows: Vec<Vec<f64>>,
    /// Whether that ticket breached.
    pub labels: Vec<bool>,
    /// Tickets the rows come from.
    pub tickets: usize,
}

impl Rows {
    /// How many rows.
    pub fn n(&self) -> usize {
        self.rows.len()
    }
}

/// The rows [`Model::train`] learns breach from, known by `until`, in `model`'s layout.
pub fn training_rows(model: &Model, cases: &[Case], until: i64) -> Rows {
    let h = History::of(cases);
    let (rows, labels) = examples(
        cases,
        &h,
        &model.categories,
        model.overall,
        until,
        Case::breach_outcome,
    );
    Rows {
        tickets: 0,
        rows,
        labels,
    }
}

/// The rows a backtest scores: the tickets created in `[from, to)` with an outcome known by
/// `now`, at their moments.
pub fn replay(model: &Model, cases: &[Case], from: i64, to: i64, now: i64) -> Rows {
    let h = History::of(cases);
    let mut out = Rows::default();
    for c in cases
        .iter()
        .filter(|c| c.created_at >= from && c.created_at < to)
    {
        let Some((known, breached)) = c.breach_outcome() else {
            continue;
        };
        if known > now {
            continue;
        }
        let moments = c.moments(now);
        out.tickets += usize::from(!moments.is_empty());
        for t in moments {
            out.rows.push(model.features(c, t, &h));
            out.labels.push(breached);
        }
    }
    out
}

/// AUC, Brier score and calibration of `scores` against `truth`.
pub fn judge(scores: &[f64], truth: &[bool], tickets: usize, trained_on: usize) -> Backtest {
    let n = scores.len();
    let brier = if n == 0 {
        0.0
    } else {
        scores
            .iter()
            .zip(truth)
            .map(|(p, &y)| (p - f64::from(u8::from(y))).powi(2))
            .sum::<f64>()
            / n as f64
    };
    let mut bins = vec![(0.0, 0usize, 0usize); 10];
    for (&p, &y) in scores.iter().zip(truth) {
        let b = ((p * 10.0) as usize).min(9);
        bins[b].0 += p;
        bins[b].1 += usize::from(y);
        bins[b].2 += 1;
    }
    Backtest {
        n,
        tickets,
        auc: crate::triage::train::auc(scores, truth),
        brier,
        calibration: bins
            .into_iter()
            .filter(|b| b.2 > 0)
            .map(|(sum, positives, n)| Bin {
                predicted: sum / n as f64,
                observed: positives as f64 / n as f64,
                n,
            })
            .collect(),
        trained_on,
    }
}
