use super::*;

/// A small deterministic generator: uniform draws in (0, 1).
struct Draws(u64);

impl Draws {
    fn uniform(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// Roughly normal (the sum of twelve uniforms).
    fn normal(&mut self, mean: f64, sd: f64) -> f64 {
        let s: f64 = (0..12).map(|_| self.uniform()).sum();
        mean + sd * (s - 6.0)
    }

    fn exponential(&mut self, mean: f64) -> f64 {
        -mean * self.uniform().ln()
    }
}

fn day(d: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2022, 1, 1).unwrap() + chrono::Duration::days(d)
}

/// `units` units of `model`, installed on day 0, each failing `cycles` times with lives
/// drawn by `life` (days), the meter running 10 units a day.
fn history(
    model: &str,
    category: &str,
    units: usize,
    cycles: usize,
    mut life: impl FnMut() -> f64,
) -> (Vec<Fault>, Installed) {
    let mut faults = Vec::new();
    let mut installed = Installed::new();
    for u in 0..units {
        let unit = format!("{model}-{u}");
        installed.insert(unit.clone(), day(0));
        let mut at = 0.0;
        for _ in 0..cycles {
            at += life().max(1.0);
            faults.push(Fault {
                unit: unit.clone(),
                model: model.into(),
                category: category.into(),
                on: day(at as i64),
                meter: Some((at * 10.0) as i64),
            });
        }
    }
    (faults, installed)
}

#[test]
fn faults_that_wear_in_at_a_year_are_proposed_as_a_plan_before_most_of_them() {
    let mut d = Draws(7);
    let (faults, installed) = history("X9", "compressor", 20, 3, || d.normal(365.0, 30.0));
    let found = suggest(&faults, &installed);
    assert_eq!(found.len(), 1, "{found:?}");
    let s = &found[0];
    assert_eq!(
        (s.model.as_str(), s.category.as_str(), s.units),
        ("X9", "compressor", 20)
    );
    let days = s.days.unwrap();
    assert_eq!(days.n, 60);
    assert!((days.median - 365.0).abs() < 20.0, "{days:?}");
    assert!(days.spread < 0.15, "{days:?}");
    // Before nine in ten of them: about 325 days, written as whole months.
    let every = s.every_days.unwrap();
    assert!((300..=330).contains(&every) && every % 30 == 0, "{every}");
    // The meter runs with the days: the same, in meter units, two figures.
    let meter = s.every_meter.unwrap();
    assert!(
        (3_000..=3_300).contains(&meter) && meter % 100 == 0,
        "{meter}"
    );
    let text = s.text(Lang::ZhCn, "压缩机");
    assert!(
        text.contains("压缩机") && text.contains(&every.to_string()),
        "{text}"
    );
}

#[test]
fn random_faults_are_never_proposed_in_a_hundred_histories() {
    let mut false_alarms = 0;
    for seed in 0..100 {
        let mut d = Draws(seed);
        let (faults, installed) = history("K3", "fan", 12, 4, || d.exponential(365.0));
        false_alarms += suggest(&faults, &installed).len();
    }
    assert_eq!(false_alarms, 0);
}

#[test]
fn one_bad_unit_or_few_faults_say_nothing() {
    let mut d = Draws(3);
    let (faults, installed) = history("X9", "compressor", 2, 10, || d.normal(200.0, 10.0));
    assert!(suggest(&faults, &installed).is_empty(), "two units");
    let (faults, installed) = history("X9", "compressor", 5, 1, || d.normal(200.0, 10.0));
    assert!(suggest(&faults, &installed).is_empty(), "five lives");
}

#[test]
fn without_an_installation_day_the_first_fault_only_starts_the_clock() {
    let mut d = Draws(11);
    let (faults, _) = history("X9", "belt", 10, 3, || d.normal(90.0, 5.0));
    let found = suggest(&faults, &Installed::new());
    let days = found[0].days.unwrap();
    // Ten units, three faults each: two lives each from fault to fault.
    assert_eq!(days.n, 20);
    assert!((days.median - 90.0).abs() < 6.0, "{days:?}");
    // The age by which one in ten had failed, in whole weeks below it.
    let every = found[0].every_days.unwrap() as f64;
    assert!(
        every % 7.0 == 0.0 && every <= days.early && days.early - every < 7.0,
        "{every}"
    );
}

#[test]
fn intervals_are_rounded_as_a_planner_writes_them() {
    assert_eq!(round_days(3.0), 7);
    assert_eq!(round_days(87.9), 84);
    assert_eq!(round_days(334.0), 330);
    assert_eq!(round_meter(4_870.0), 4_800);
    assert_eq!(round_meter(87.0), 87);
    assert_eq!(round_meter(0.4), 1);
}
