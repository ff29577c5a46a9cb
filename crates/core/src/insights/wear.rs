//! Maintenance suggestions (issue 23, seed 000): for an equipment model, the faults that come
//! back at a regular age or meter reading, proposed as a preventive-maintenance plan.
//!
//! A fault's *life* is how long the equipment ran before it: from installation (or from the
//! meter's zero) to the first fault of its kind on that unit, then from each repair of that
//! kind to the next. Preventive maintenance pays only where faults wear in — lives bunched
//! around a typical age — not where they strike at random: random lives spread like an
//! exponential distribution, whose coefficient of variation (spread over mean) is 1, and a
//! plan would replace good parts without preventing anything. So a (model, fault) pair is
//! proposed only when its lives are many, from several units, and bunched
//! ([`MAX_SPREAD`]); the interval proposed is the age by which [`BEFORE_SHARE`] of the lives
//! had not yet failed, rounded down to whole weeks or months.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::Serialize;

use crate::i18n::{tf, Lang};

/// Lives a (model, fault) pair needs before anything is said of it.
pub const MIN_LIVES: usize = 6;
/// Units they must come from (one bad unit is a repair, not a model's pattern).
pub const MIN_UNITS: usize = 3;
/// Lives bunched at most this much (coefficient of variation) count as wear.
pub const MAX_SPREAD: f64 = 0.5;
/// The interval proposed leaves this share of lives to fail before it.
pub const BEFORE_SHARE: f64 = 0.1;
/// Suggestions at most.
pub const MAX_SUGGESTIONS: usize = 20;
/// Years of tickets read for lives.
pub const HISTORY_YEARS: i64 = 5;
/// A plan made from a suggestion first falls due this many days after it is made: time to
/// tell the customers.
pub const FIRST_VISIT_IN_DAYS: i64 = 14;

/// One fault as the store reads it: a ticket of a category on a unit.
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    /// The unit (asset id).
    pub unit: String,
    /// Its model.
    pub model: String,
    /// The fault's kind (category code).
    pub category: String,
    /// The day the ticket came in.
    pub on: NaiveDate,
    /// The meter read on that visit, if it was.
    pub meter: Option<i64>,
}

/// A unit's installation day, where known.
pub type Installed = HashMap<String, NaiveDate>;

/// How lives spread: count, quantiles and spread.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Lives {
    /// How many.
    pub n: usize,
    /// The age (days or meter units) by which [`BEFORE_SHARE`] had failed.
    pub early: f64,
    /// The median.
    pub median: f64,
    /// Spread over mean (1 for random faults).
    pub spread: f64,
}

impl Lives {
    /// The spread of these lives, when there are enough.
    pub fn of(lives: &[f64]) -> Option<Lives> {
        if lives.len() < MIN_LIVES {
            return None;
        }
        let mut v = lives.to_vec();
        v.sort_by(f64::total_cmp);
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        if mean <= 0.0 {
            return None;
        }
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let at = |q: f64| {
            let pos = q * (n - 1.0);
            let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
            v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
        };
        Some(Lives {
            n: v.len(),
            early: at(BEFORE_SHARE),
            median: at(0.5),
            spread: var.sqrt() / mean,
        })
    }

    /// True when the lives bunch (wear), not scatter (chance).
    pub fn wear(&self) -> bool {
        self.spread <= MAX_SPREAD
    }
}

/// A preventive plan proposed for a model against one kind of fault.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Suggestion {
    /// The equipment model.
    pub model: String,
    /// The fault (category code).
    pub category: String,
    /// Units of the model that had it.
    pub units: usize,
    /// Lives in days, when they bunch.
    pub days: Option<Lives>,
    /// Lives in meter units, when they bunch.
    pub meter: Option<Lives>,
    /// The plan: every so many days …
    pub every_days: Option<i64>,
    /// … or every so many meter units.
    pub every_meter: Option<i64>,
}

impl Suggestion {
    /// Why, in words: how many faults, at what age, and the plan.
    pub fn text(&self, lang: Lang, category_name: &str) -> String {
        let mut parts = Vec::new();
        if let (Some(l), Some(every)) = (self.days, self.every_days) {
            parts.push(tf(
                lang,
                "wear.reason.days",
                &[
                    ("n", &l.n.to_string()),
                    ("units", &self.units.to_string()),
                    ("category", category_name),
                    ("median", &format!("{:.0}", l.median)),
                    ("every", &every.to_string()),
                ],
            ));
        }
        if let (Some(l), Some(every)) = (self.meter, self.every_meter) {
            parts.push(tf(
                lang,
                "wear.reason.meter",
                &[
                    ("n", &l.n.to_string()),
                    ("category", category_name),
                    ("median", &format!("{:.0}", l.median)),
                    ("every", &every.to_string()),
                ],
            ));
        }
        parts.join(" ")
    }
}

/// Rounds an interval down to what a planner would write: whole weeks under 13 weeks,
/// whole 30-day months after; meter readings to two significant figures.
pub fn round_days(days: f64) -> i64 {
    let d = days.floor() as i64;
    if d < 91 {
        (d / 7 * 7).max(7)
    } else {
        d / 30 * 30
    }
}

/// See [`round_days`].
pub fn round_meter(units: f64) -> i64 {
    let u = units.floor().max(1.0) as i64;
    let mut scale = 1;
    while u / scale >= 100 {
        scale *= 10;
    }
    (u / scale * scale).max(1)
}

/// Each unit's lives against each kind of fault: days and meter units from installation (or
/// zero) to the first fault, then from fault to fault.
fn lives(faults: &[Fault], installed: &Installed) -> BTreeMap<(String, String), Gathered> {
    let mut by_unit: BTreeMap<(&str, &str), Vec<&Fault>> = BTreeMap::new();
    for f in faults {
        by_unit
            .entry((f.unit.as_str(), f.category.as_str()))
            .or_default()
            .push(f);
    }
    let mut out: BTreeMap<(String, String), Gathered> = BTreeMap::new();
    for ((unit, category), mut list) in by_unit {
        list.sort_by_key(|f| f.on);
        let model = list[0].model.clone();
        let g = out.entry((model, category.to_owned())).or_default();
        g.units += 1;
        let mut since = installed.get(unit).copied();
        let mut meter_since = Some(0);
        for f in list {
            if let Some(from) = since.filter(|from| *from <= f.on) {
                let days = (f.on - from).num_days();
                // Two tickets on one day are one fault told twice.
                if days > 0 {
                    g.days.push(days as f64);
                }
            }
            if let (Some(from), Some(at)) = (meter_since, f.meter) {
                if at > from {
                    g.meter.push((at - from) as f64);
                }
            }
            since = Some(f.on);
            meter_since = f.meter;
        }
    }
    out
}

#[derive(Default)]
struct Gathered {
    units: usize,
    days: Vec<f64>,
    meter: Vec<f64>,
}

/// The plans worth proposing: (model, fault) pairs whose lives, in days or on the meter,
/// bunch around an age — most telling first (more lives, tighter bunch).
pub fn suggest(faults: &[Fault], installed: &Installed) -> Vec<Suggestion> {
    let mut out: Vec<Suggestion> = lives(faults, installed)
        .into_iter()
        .filter(|(_, g)| g.units >= MIN_UNITS)
        .filter_map(|((model, category), g)| {
            let days = Lives::of(&g.days).filter(Lives::wear);
            let meter = Lives::of(&g.meter).filter(Lives::wear);
            if days.is_none() && meter.is_none() {
                return None;
            }
            Some(Suggestion {
                model,
                category,
                units: g.units,
                every_days: days.map(|l| round_days(l.early)),
                every_meter: meter.map(|l| round_meter(l.early)),
                days,
                meter,
            })
        })
        .collect();
    let strength = |s: &Suggestion| {
        [s.days, s.meter]
            .into_iter()
            .flatten()
            .map(|l| l.n as f64 * (1.0 - l.spread))
            .fold(0.0, f64::max)
    };
    out.sort_by(|a, b| strength(b).total_cmp(&strength(a)));
    out.truncate(MAX_SUGGESTIONS);
    out
}

#[cfg(test)]
#[path = "wear_tests.rs"]
mod tests;
