//! The management dashboard's rules (管理驾驶舱): which figures are its cards, which way is
//! better for each, how a period compares with the one before, which regions miss the
//! closure target, and how teams and engineers are ranked.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::{KpiValue, Metric};
use crate::validate::FieldError;

/// The cards, in the order they are shown: every KPI of the contract, then PM compliance.
pub fn cards() -> Vec<Metric> {
    Metric::ALL
        .into_iter()
        .chain([Metric::PmCompliance])
        .collect()
}

/// What rankings may be sorted by.
pub const RANKINGS: [Metric; 5] = [
    Metric::Ftfr,
    Metric::Csat,
    Metric::ReopenRate,
    Metric::Mttr,
    Metric::OnTimeRate,
];

/// The default closure-rate target of the region heat map.
pub const DEFAULT_CLOSURE_TARGET: f64 = 0.9;

/// True for the KPIs where a smaller figure is the better one.
pub fn lower_is_better(m: Metric) -> bool {
    matches!(
        m,
        Metric::Frt
            | Metric::Oat
            | Metric::Mttr
            | Metric::ReopenRate
            | Metric::TransferRate
            | Metric::ChaseRate
            | Metric::Backlog
    )
}

/// The one number a card shows: the median of a duration (seconds), a rate, NPS, a count.
pub fn headline(v: &KpiValue) -> Option<f64> {
    match v {
        KpiValue::Durations(d) => d.p50,
        KpiValue::Csat { value, .. } | KpiValue::Rate { value, .. } => *value,
        KpiValue::Count { value } => Some(*value as f64),
    }
}

/// The figure a card, a chart or a ranking shows for KPI `m`: as [`headline`], except MTTR,
/// which DESIGN defines as a mean.
pub fn headline_of(m: Metric, v: &KpiValue) -> Option<f64> {
    match (m, v) {
        (Metric::Mttr, KpiValue::Durations(d)) => d.mean,
        _ => headline(v),
    }
}

/// Which statistic [`headline_of`] shows for a duration KPI: `mean` or `median`; none for
/// rates and counts.
pub fn statistic(m: Metric, v: &KpiValue) -> Option<&'static str> {
    match (m, v) {
        (Metric::Mttr, KpiValue::Durations(_)) => Some("mean"),
        (_, KpiValue::Durations(_)) => Some("median"),
        _ => None,
    }
}

/// How many tickets (or engineers) a figure stands on.
pub fn sample(v: &KpiValue) -> u64 {
    match v {
        KpiValue::Durations(d) => d.n,
        KpiValue::Csat { n, .. } | KpiValue::Rate { n, .. } => *n,
        KpiValue::Count { value } => *value,
    }
}

/// A figure against the previous period's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trend {
    /// Moved the good way.
    Better,
    /// Moved the bad way.
    Worse,
    /// Did not move.
    Same,
    /// One of the two is missing.
    Unknown,
}

/// Compares `now` with `before` for KPI `m`.
pub fn trend(m: Metric, now: Option<f64>, before: Option<f64>) -> Trend {
    let (Some(a), Some(b)) = (now, before) else {
        return Trend::Unknown;
    };
    match a.partial_cmp(&b) {
        Some(Ordering::Equal) | None => Trend::Same,
        Some(Ordering::Less) if lower_is_better(m) => Trend::Better,
        Some(Ordering::Greater) if !lower_is_better(m) => Trend::Better,
        Some(_) => Trend::Worse,
    }
}

/// The period before `[from, to)`, of the same length.
pub fn previous(from: i64, to: i64) -> (i64, i64) {
    (from - (to - from), from)
}

/// A region's cell in the closure heat map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Heat {
    /// No ticket created in it.
    Empty,
    /// Under the target: shown red.
    Under,
    /// At or over the target.
    Met,
}

/// Where a closure rate stands against the target.
pub fn heat(rate: Option<f64>, target: f64) -> Heat {
    match rate {
        None => Heat::Empty,
        Some(r) if r < target => Heat::Under,
        Some(_) => Heat::Met,
    }
}

/// Checks a closure target: a fraction above 0, at most 1.
pub fn check_target(target: f64) -> Result<f64, FieldError> {
    if target.is_finite() && target > 0.0 && target <= 1.0 {
        Ok(target)
    } else {
        Err(FieldError {
            field: "closure_target",
            reason: "error.closure_target",
        })
    }
}

/// Sorts ranking rows best first by KPI `by`; rows without that figure go last, ties by
/// how many tickets stand behind the figure (more first), then by label.
pub fn rank(rows: &mut [(String, BTreeMap<&'static str, KpiValue>)], by: Metric) {
    let figure = |values: &BTreeMap<&'static str, KpiValue>| {
        values
            .get(by.as_str())
            .map(|v| (headline_of(by, v), sample(v)))
            .unwrap_or((None, 0))
    };
    rows.sort_by(|a, b| {
        let ((x, xn), (y, yn)) = (figure(&a.1), figure(&b.1));
        let by_value = match (x, y) {
            (Some(x), Some(y)) if lower_is_better(by) => x.total_cmp(&y),
            (Some(x), Some(y)) => y.total_cmp(&x),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        by_value.then(yn.cmp(&xn)).then_with(|| a.0.cmp(&b.0))
    });
}

#[cfg(test)]
#[path = "board_tests.rs"]
mod tests;
