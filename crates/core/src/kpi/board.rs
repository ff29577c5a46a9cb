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
            .map(|v| (headline(v), sample(v)))
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
mod tests {
    use super::*;
    use crate::kpi::Durations;

    fn rate(value: Option<f64>, n: u64) -> KpiValue {
        KpiValue::Rate { value, n }
    }

    #[test]
    fn better_is_the_right_way_for_each_kpi() {
        assert_eq!(trend(Metric::Frt, Some(60.0), Some(90.0)), Trend::Better);
        assert_eq!(trend(Metric::Ftfr, Some(0.6), Some(0.9)), Trend::Worse);
        assert_eq!(trend(Metric::Backlog, Some(12.0), Some(10.0)), Trend::Worse);
        assert_eq!(trend(Metric::Csat, Some(0.8), Some(0.8)), Trend::Same);
        assert_eq!(trend(Metric::Csat, None, Some(0.8)), Trend::Unknown);
        assert_eq!(previous(100, 130), (70, 100));
    }

    #[test]
    fn cards_show_medians_rates_and_counts() {
        let d = KpiValue::Durations(Durations {
            mean: Some(100.0),
            p50: Some(80.0),
            p90: Some(200.0),
            n: 7,
        });
        assert_eq!((headline(&d), sample(&d)), (Some(80.0), 7));
        assert_eq!(headline(&rate(Some(0.5), 4)), Some(0.5));
        assert_eq!(headline(&KpiValue::Count { value: 3 }), Some(3.0));
        assert_eq!(
            cards().len(),
            Metric::ALL.len() + 1,
            "every KPI and PM compliance"
        );
    }

    #[test]
    fn regions_under_the_target_are_marked() {
        assert_eq!(heat(Some(0.89), 0.9), Heat::Under);
        assert_eq!(heat(Some(0.9), 0.9), Heat::Met);
        assert_eq!(heat(None, 0.9), Heat::Empty);
        assert!(check_target(0.0).is_err());
        assert!(check_target(1.2).is_err());
        assert!(check_target(f64::NAN).is_err());
        assert_eq!(check_target(0.85), Ok(0.85));
    }

    #[test]
    fn rankings_put_the_best_first_and_the_unknown_last() {
        let row = |name: &str, v: KpiValue| {
            (
                name.to_owned(),
                BTreeMap::from([("reopen_rate", v), ("ftfr", v)]),
            )
        };
        let mut rows = vec![
            row("c", rate(None, 0)),
            row("b", rate(Some(0.2), 10)),
            row("a", rate(Some(0.1), 3)),
            row("d", rate(Some(0.2), 30)),
        ];
        rank(&mut rows, Metric::ReopenRate);
        let order: Vec<_> = rows.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(order, ["a", "d", "b", "c"], "lowest reopen rate first");
        rank(&mut rows, Metric::Ftfr);
        let order: Vec<_> = rows.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(order, ["d", "b", "a", "c"], "highest first-time fix first");
    }
}
