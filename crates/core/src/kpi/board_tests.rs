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
    // MTTR is a mean (DESIGN); the other durations show their median, and say so.
    assert_eq!(headline_of(Metric::Mttr, &d), Some(100.0));
    assert_eq!(headline_of(Metric::Frt, &d), Some(80.0));
    assert_eq!(statistic(Metric::Mttr, &d), Some("mean"));
    assert_eq!(statistic(Metric::Frt, &d), Some("median"));
    assert_eq!(statistic(Metric::Csat, &rate(Some(0.5), 4)), None);
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
