use super::logistic::Logistic;
use super::simulate;
use super::*;

const H: i64 = HOUR_MS;
const START: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

fn case(created: i64, due_hours: i64, resolved_hours: Option<i64>) -> Case {
    Case {
        created_at: created,
        due: Some(created + due_hours * H),
        resolved_at: resolved_hours.map(|r| created + r * H),
        priority: 3,
        ..Case::default()
    }
}

#[test]
fn outcomes_are_read_from_the_due_time_and_the_first_resolution() {
    assert_eq!(
        case(0, 24, Some(10)).breach_outcome(),
        Some((10 * H, false))
    );
    assert_eq!(case(0, 24, Some(30)).breach_outcome(), Some((24 * H, true)));
    // Still open: it breached when the due time passed.
    assert_eq!(case(0, 24, None).breach_outcome(), Some((24 * H, true)));
    // Cancelled before its due time: no outcome; without an SLA: none either.
    let mut c = case(0, 24, None);
    c.cancelled_at = Some(5 * H);
    assert_eq!(c.breach_outcome(), None);
    c.due = None;
    assert_eq!(c.breach_outcome(), None);
    let mut r = case(0, 24, Some(10));
    assert_eq!(
        r.reopen_outcome(),
        Some((10 * H + REOPEN_HORIZON_MS, false))
    );
    r.reopened_at = Some(40 * H);
    assert_eq!(r.reopen_outcome(), Some((40 * H, true)));
}

#[test]
fn a_ticket_is_scored_at_its_quarters_while_open_and_before_the_horizon() {
    assert_eq!(
        case(0, 24, Some(100)).moments(i64::MAX),
        vec![0, 6 * H, 12 * H, 18 * H]
    );
    assert_eq!(
        case(0, 24, Some(13)).moments(i64::MAX),
        vec![0, 6 * H, 12 * H]
    );
    assert_eq!(case(0, 24, Some(100)).moments(7 * H), vec![0, 6 * H]);
}

#[test]
fn history_answers_as_of_a_moment_and_never_from_the_future() {
    let mut a = case(0, 10, Some(20)); // breached, known at 10 h
    a.assignments = vec![(H, Some("e1".into()))];
    a.customer = Some("c1".into());
    let mut b = case(2 * H, 10, Some(5)); // on time, known at 7 h
    b.assignments = vec![(3 * H, Some("e1".into()))];
    b.customer = Some("c1".into());
    let h = History::of(&[a, b]);
    assert_eq!(h.load("e1", 0), 0);
    assert_eq!(h.load("e1", 4 * H), 2);
    assert_eq!(h.load("e1", 8 * H), 1, "b was resolved at 7 h");
    assert_eq!(h.engineer_record("e1", 6 * H), (0, 0));
    assert_eq!(h.engineer_record("e1", 8 * H), (1, 0));
    assert_eq!(h.engineer_record("e1", 11 * H), (2, 1));
    assert_eq!(h.customer_record("c1", H), (1, (0, 0)));
    assert_eq!(h.customer_record("c1", 11 * H), (2, (2, 1)));
    assert_eq!(h.load("nobody", 4 * H), 0);
}

#[test]
fn logistic_regression_finds_the_direction_and_strength_of_a_known_relation() {
    // y ~ Bernoulli(sigmoid(-1 + 2 x0 - x1)), x2 is noise.
    let mut state = 7u64;
    let mut unit = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut rows = Vec::new();
    let mut labels = Vec::new();
    for _ in 0..20_000 {
        let x = vec![unit() * 2.0 - 1.0, unit() * 2.0 - 1.0, unit()];
        let p = 1.0 / (1.0 + (-(-1.0 + 2.0 * x[0] - x[1])).exp());
        labels.push(unit() < p);
        rows.push(x);
    }
    let m = Logistic::fit(&rows, &labels);
    // Back to raw units: weight / scale.
    let raw: Vec<f64> = m.weights.iter().zip(&m.scale).map(|(w, s)| w / s).collect();
    assert!((raw[0] - 2.0).abs() < 0.2, "{raw:?}");
    assert!((raw[1] + 1.0).abs() < 0.2, "{raw:?}");
    assert!(raw[2].abs() < 0.2, "{raw:?}");
    let p = m.probability(&[0.5, 0.0, 0.5]);
    assert!((p - 0.5).abs() < 0.05, "sigmoid(0) = 0.5, got {p}");
}

#[test]
fn the_backtest_ranks_a_generated_history_well_and_is_calibrated() {
    let cases = simulate::history(11, 6_000, 120, 25, START);
    let from = START + 90 * 86_400_000;
    let to = START + 120 * 86_400_000;
    let now = START + 200 * 86_400_000;
    let b = backtest(&cases, from, to, now).expect("enough history");
    assert!(b.tickets > 800, "{b:?}");
    assert!(
        b.auc > 0.75,
        "breaches follow load, category and parts: {b:?}"
    );
    // Better than always answering the overall rate.
    let rate = b
        .calibration
        .iter()
        .map(|x| x.observed * x.n as f64)
        .sum::<f64>()
        / b.n as f64;
    assert!(b.brier < rate * (1.0 - rate), "{b:?}");
    for bin in b.calibration.iter().filter(|x| x.n >= 200) {
        assert!((bin.predicted - bin.observed).abs() < 0.12, "{bin:?}");
    }
}

#[test]
fn the_model_learns_nothing_from_after_the_period_it_is_judged_on() {
    let cases = simulate::history(5, 3_000, 60, 15, START);
    let from = START + 40 * 86_400_000;
    let a = Model::train(&cases, from).expect("enough");
    // Whatever happens to tickets after `from`, the model trained before it is the same.
    let mut changed = cases;
    for c in changed.iter_mut().filter(|c| c.created_at >= from) {
        c.resolved_at = c.due.map(|d| d + 1_000 * H);
        c.priority = 1;
    }
    let b = Model::train(&changed, from).expect("enough");
    assert_eq!(a, b);
}

#[test]
fn an_open_ticket_past_due_is_certain_and_one_waiting_for_parts_says_so() {
    let cases = simulate::history(3, 3_000, 60, 15, START);
    let now = START + 61 * 86_400_000;
    let model = Model::train(&cases, now).expect("enough");
    let h = History::of(&cases);
    let late = case(now - 30 * H, 24, None);
    assert_eq!(model.score(&late, now, &h).breach, 1.0);
    assert_eq!(
        model.score(&late, now, &h).reasons[0].key,
        "risk.reason.overdue"
    );
    let mut waiting = case(now - 2 * H, 12, None);
    waiting.category = Some("compressor".into());
    waiting.parts = vec![(now - H, None)];
    let calm = case(now - 2 * H, 12, None);
    let w = model.score(&waiting, now, &h);
    let c = model.score(&calm, now, &h);
    assert!(w.breach > c.breach, "{w:?} vs {c:?}");
    assert!(
        w.reasons.iter().any(|r| r.key == "risk.reason.parts"),
        "{w:?}"
    );
    let text = w.reasons[0].text(crate::i18n::Lang::ZhCn, |code| format!("[{code}]"));
    assert!(!text.contains("risk.reason"), "translated: {text}");
}

#[test]
fn too_little_history_says_how_much_there_is_and_is_needed() {
    let cases: Vec<Case> = (0..10).map(|i| case(i * H, 24, Some(5))).collect();
    assert_eq!(
        Model::train(&cases, 1_000 * H),
        Err(TooFew {
            have: 10,
            need: MIN_TICKETS
        })
    );
}
