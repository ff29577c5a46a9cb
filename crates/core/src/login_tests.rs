use super::*;
use chrono::TimeZone;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 4, 9, 0, 0).unwrap()
}

#[test]
fn an_account_gets_its_free_tries_then_waits_that_double_up_to_the_ceiling() {
    let rules = Rules::default();
    let mut tally = None;
    let now = t0();
    for _ in 0..rules.account_free {
        tally = Some(rules.failed(Subject::Account, tally, now));
        assert_eq!(rules.wait(tally, now), None);
    }
    let mut waits = Vec::new();
    for _ in 0..12 {
        tally = Some(rules.failed(Subject::Account, tally, now));
        waits.push(rules.wait(tally, now).unwrap().num_seconds());
    }
    assert_eq!(&waits[..6], &[2, 4, 8, 16, 32, 64]);
    assert_eq!(*waits.last().unwrap(), 15 * 60, "capped");
    // Waiting it out allows one more try; a quiet half hour forgets everything.
    let later = now + Duration::minutes(16);
    assert_eq!(rules.wait(tally, later), None);
    let quiet = now + Duration::minutes(31);
    assert_eq!(rules.current(tally, quiet), None);
    assert_eq!(rules.failed(Subject::Account, tally, quiet).failures, 1);
}

#[test]
fn an_address_has_a_larger_allowance_and_a_burst_is_alerted_once() {
    let rules = Rules::default();
    let mut tally = None;
    let now = t0();
    for i in 1..=rules.address_free {
        tally = Some(rules.failed(Subject::Address, tally, now));
        assert_eq!(rules.wait(tally, now), None, "failure {i}");
    }
    tally = Some(rules.failed(Subject::Address, tally, now));
    assert_eq!(rules.wait(tally, now), Some(Duration::seconds(2)));
    // Hammering on while blocked: refused attempts count towards a burst; it is told once.
    let mut alerts = 0;
    for _ in 0..100 {
        let mut t = rules.refused(tally.unwrap());
        if rules.alert_due(&t) {
            alerts += 1;
            t.alerted = true;
        }
        tally = Some(t);
    }
    assert_eq!(alerts, 1);
    let t = tally.unwrap();
    assert_eq!((t.failures, t.refused), (rules.address_free + 1, 100));
    assert_eq!(
        rules.wait(tally, now),
        Some(Duration::seconds(2)),
        "refusals add no wait"
    );
}
