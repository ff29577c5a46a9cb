use chrono::{NaiveDate, TimeZone, Utc};
use proptest::prelude::*;

use super::*;
use crate::validate::FieldError;

const H: i64 = 60 * MINUTE_MS;

/// Milliseconds of a Beijing local time.
fn bj(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .unwrap()
        .timestamp_millis()
        - 8 * H
}

fn prc() -> Calendar {
    Calendar::Business(Box::new(CalendarSpec::prc_standard().build().unwrap()))
}

#[test]
fn working_hours_on_a_plain_week() {
    let cal = prc();
    // Tuesday 2026-11-24 17:00 + 2 h = Wednesday 10:00 (one hour left on Tuesday).
    assert_eq!(
        cal.add(bj(2026, 11, 24, 17, 0), 2 * H),
        Some(bj(2026, 11, 25, 10, 0))
    );
    // Friday 17:30 + 1 h = Monday 09:30.
    assert_eq!(
        cal.add(bj(2026, 11, 27, 17, 30), H),
        Some(bj(2026, 11, 30, 9, 30))
    );
    // A start before opening counts from opening; at the close exactly, from the next day.
    assert_eq!(
        cal.add(bj(2026, 11, 24, 6, 0), H),
        Some(bj(2026, 11, 24, 10, 0))
    );
    assert_eq!(
        cal.add(bj(2026, 11, 24, 9, 0), 9 * H),
        Some(bj(2026, 11, 24, 18, 0))
    );
    // Zero minutes on a Saturday: due at Monday's opening.
    assert_eq!(
        cal.add(bj(2026, 11, 28, 12, 0), 0),
        Some(bj(2026, 11, 30, 9, 0))
    );
    assert_eq!(
        cal.between(bj(2026, 11, 27, 17, 0), bj(2026, 11, 30, 10, 0)),
        2 * H
    );
}

#[test]
fn national_day_holiday_and_its_make_up_saturday() {
    let cal = prc();
    // 2026-09-30 (Wed) 17:00 + 2 h: 1 h on the 30th, then 国庆 1–7 October is off, Thursday 8
    // October is a working day again.
    assert_eq!(
        cal.add(bj(2026, 9, 30, 17, 0), 2 * H),
        Some(bj(2026, 10, 8, 10, 0))
    );
    // Friday 9 October 17:00 + 2 h: Saturday 10 October is a make-up working day (调休).
    assert_eq!(
        cal.add(bj(2026, 10, 9, 17, 0), 2 * H),
        Some(bj(2026, 10, 10, 10, 0))
    );
    // Spring festival 2026: 15–23 February off, Saturday 14 February worked.
    assert_eq!(
        cal.add(bj(2026, 2, 13, 17, 0), 2 * H),
        Some(bj(2026, 2, 14, 10, 0))
    );
    assert_eq!(
        cal.add(bj(2026, 2, 14, 17, 0), 2 * H),
        Some(bj(2026, 2, 24, 10, 0))
    );
    // 2025: 元旦 on a Wednesday.
    assert_eq!(
        cal.add(bj(2024, 12, 31, 17, 0), 2 * H),
        Some(bj(2025, 1, 2, 10, 0))
    );
}

#[test]
fn the_shipped_calendar_holds_both_years() {
    let (off, work) = calendar::prc_holidays();
    assert!(off.contains(&NaiveDate::from_ymd_opt(2025, 1, 28).unwrap()));
    assert!(off.contains(&NaiveDate::from_ymd_opt(2026, 10, 7).unwrap()));
    assert!(work.contains(&NaiveDate::from_ymd_opt(2025, 1, 26).unwrap()));
    assert!(work.contains(&NaiveDate::from_ymd_opt(2026, 10, 10).unwrap()));
    // 2025: 1 + 8 + 3 + 5 + 3 + 8 days off; 2026: 3 + 9 + 3 + 5 + 3 + 3 + 7.
    assert_eq!(off.len(), 28 + 33);
    assert_eq!(work.len(), 5 + 6);
}

#[test]
fn bad_calendars_name_the_field() {
    let mut spec = CalendarSpec::prc_standard();
    spec.hours[1].to = "08:00".into();
    assert_eq!(spec.build().unwrap_err().field, "hours[1].to");
    let mut spec = CalendarSpec::prc_standard();
    spec.hours[0].weekday = 8;
    assert_eq!(spec.build().unwrap_err().field, "hours[0].weekday");
    let mut spec = CalendarSpec::prc_standard();
    spec.hours[2].from = "9h".into();
    assert_eq!(spec.build().unwrap_err().field, "hours[2].from");
    let mut spec = CalendarSpec::prc_standard();
    spec.hours.push(WorkingHours {
        weekday: 1,
        from: "17:00".into(),
        to: "20:00".into(),
    });
    assert_eq!(spec.build().unwrap_err().reason, "error.calendar_overlap");
    // A calendar without hours never falls due.
    let empty = CalendarSpec {
        utc_offset_minutes: 480,
        hours: vec![],
        holidays: vec![],
        workdays: vec![],
    };
    assert_eq!(
        Calendar::Business(Box::new(empty.build().unwrap())).add(0, H),
        None
    );
}

#[test]
fn a_pause_moves_the_due_time_by_its_working_length() {
    let cal = prc();
    let start = bj(2026, 11, 24, 9, 0);
    // 4 h target: due 13:00. Paused 10:00–11:30 → due 14:30.
    assert_eq!(due(&cal, start, 4 * H, &[]), Some(bj(2026, 11, 24, 13, 0)));
    let p = (bj(2026, 11, 24, 10, 0), bj(2026, 11, 24, 11, 30));
    assert_eq!(
        due(&cal, start, 4 * H, &[p]),
        Some(bj(2026, 11, 24, 14, 30))
    );
    // A pause over the night costs only the working hours inside it.
    let night = (bj(2026, 11, 24, 17, 0), bj(2026, 11, 25, 10, 0));
    assert_eq!(
        due(&cal, start, 9 * H, &[night]),
        Some(bj(2026, 11, 25, 11, 0))
    );
    // A pause after the due moment changes nothing.
    let late = (bj(2026, 11, 24, 15, 0), bj(2026, 11, 24, 16, 0));
    assert_eq!(
        due(&cal, start, 4 * H, &[late]),
        Some(bj(2026, 11, 24, 13, 0))
    );
    // The clock: pause and resume record the span.
    let mut clock = Clock {
        start,
        ..Clock::default()
    };
    clock.pause(p.0);
    clock.pause(p.0 + H); // already paused: ignored
    clock.resume(p.1);
    clock.resume(p.1 + H); // already running: ignored
    assert_eq!(clock.pauses, vec![p]);
}

fn policy(scope: PolicyScope, name: &'static str) -> (PolicyScope, &'static str) {
    (scope, name)
}

#[test]
fn the_most_specific_matching_policy_wins() {
    let ps = vec![
        policy(PolicyScope::default(), "default"),
        policy(
            PolicyScope {
                priority: Some(1),
                ..Default::default()
            },
            "p1",
        ),
        policy(
            PolicyScope {
                priority: Some(1),
                customer_tier: Some("vip".into()),
                ..Default::default()
            },
            "p1-vip",
        ),
        policy(
            PolicyScope {
                customer_tier: Some("vip".into()),
                category: Some("hvac".into()),
                ..Default::default()
            },
            "vip-hvac",
        ),
    ];
    let pick = |priority, tier, category| {
        choose_policy(
            &ps,
            |p| &p.0,
            &TicketKey {
                priority,
                customer_tier: tier,
                category,
            },
        )
        .map(|p| p.1)
    };
    assert_eq!(pick(3, None, None), Some("default"));
    assert_eq!(pick(1, None, Some("hvac")), Some("p1"));
    assert_eq!(pick(1, Some("vip"), None), Some("p1-vip"));
    // Two criteria each: the first listed wins.
    assert_eq!(pick(1, Some("vip"), Some("hvac")), Some("p1-vip"));
    assert_eq!(pick(2, Some("vip"), Some("hvac")), Some("vip-hvac"));
    assert_eq!(
        choose_policy(&ps[1..2], |p| &p.0, &TicketKey::default()),
        None
    );
}

fn targets() -> Targets {
    Targets {
        first_response_minutes: 60,
        arrival_minutes: Some(240),
        resolution_minutes: 480,
        warn_at: 0.75,
    }
}

/// The chain the tests use: the default one (supervisor at breach, manager an hour later).
fn chain() -> Vec<EscalationLevel> {
    default_escalation()
}

#[test]
fn warning_breach_and_escalations_fall_due_once_each() {
    let start = 0;
    let clock = Clock {
        start,
        ..Clock::default()
    };
    let sched = schedule(&Calendar::AroundTheClock, &targets(), &clock);
    assert_eq!(
        sched.first_response,
        Some(Due {
            due: 60 * MINUTE_MS,
            warn: 45 * MINUTE_MS
        })
    );
    let met = Met::default();
    let none = |_: Target, _: MarkKind| false;
    let s = scan(&sched, &chain(), &met, None, 44 * MINUTE_MS, none);
    assert!(s.fire.is_empty());
    assert_eq!(s.next, Some(45 * MINUTE_MS));
    assert_eq!(state(&sched, &met, None, 44 * MINUTE_MS), SlaState::Ok);
    assert_eq!(state(&sched, &met, None, 45 * MINUTE_MS), SlaState::Warning);
    let s = scan(&sched, &chain(), &met, None, 60 * MINUTE_MS, none);
    let kinds: Vec<_> = s.fire.iter().map(|m| (m.target, m.kind)).collect();
    assert_eq!(
        kinds,
        vec![
            (Target::FirstResponse, MarkKind::Warning),
            (Target::FirstResponse, MarkKind::Breached),
            (Target::FirstResponse, MarkKind::Escalated(1)),
        ]
    );
    // Once recorded, they are not owed again; the next is level 2 an hour later.
    let fired = |t: Target, k: MarkKind| t == Target::FirstResponse && k != MarkKind::Escalated(2);
    let s = scan(&sched, &chain(), &met, None, 61 * MINUTE_MS, fired);
    assert!(s.fire.is_empty());
    assert_eq!(s.next, Some(120 * MINUTE_MS));
    // Responded at 70 min: level 2 is no longer owed; the breach stays red.
    let met = Met {
        first_response: Some(70 * MINUTE_MS),
        ..Met::default()
    };
    let s = scan(&sched, &chain(), &met, None, 121 * MINUTE_MS, fired);
    assert!(s.fire.iter().all(|m| m.target != Target::FirstResponse));
    assert_eq!(state(&sched, &met, None, 0), SlaState::Breached);
    // Met in time: nothing is owed for that target, ever.
    let met = Met {
        first_response: Some(30 * MINUTE_MS),
        ..Met::default()
    };
    let s = scan(&sched, &chain(), &met, None, 50 * MINUTE_MS, none);
    assert!(s.fire.is_empty());
}

#[test]
fn a_paused_clock_owes_nothing_new() {
    let clock = Clock {
        start: 0,
        pauses: vec![],
        paused_since: Some(30 * MINUTE_MS),
    };
    let sched = schedule(&Calendar::AroundTheClock, &targets(), &clock);
    let s = scan(
        &sched,
        &chain(),
        &Met::default(),
        clock.paused_since,
        10 * H,
        |_, _| false,
    );
    assert!(s.fire.is_empty());
    assert_eq!(s.next, None);
    assert_eq!(
        state(&sched, &Met::default(), clock.paused_since, 10 * H),
        SlaState::Ok
    );
}

#[test]
fn mark_codes_round_trip() {
    for k in [
        MarkKind::Warning,
        MarkKind::Breached,
        MarkKind::Escalated(3),
    ] {
        assert_eq!(MarkKind::parse(&k.code()), Some(k));
    }
    assert_eq!(MarkKind::parse("escalated:x"), None);
}

fn arb_calendar() -> impl Strategy<Value = Calendar> {
    prop_oneof![Just(Calendar::AroundTheClock), Just(prc())]
}

fn arb_pauses() -> impl Strategy<Value = Vec<(i64, i64)>> {
    prop::collection::vec((0i64..20 * 24 * H, 0i64..3 * 24 * H), 0..6)
        .prop_map(|v| v.into_iter().map(|(f, l)| (f, f + l)).collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn due_is_never_before_start(cal in arb_calendar(), start in 0i64..400 * 24 * H, target in 0i64..5 * 24 * H, pauses in arb_pauses()) {
        let start = start + bj(2025, 1, 1, 0, 0);
        let pauses: Vec<_> = pauses.iter().map(|(f, t)| (f + start, t + start)).collect();
        let d = due(&cal, start, target, &pauses).unwrap();
        prop_assert!(d >= start);
        prop_assert!(d >= start + target || matches!(cal, Calendar::Business(_)));
    }

    #[test]
    fn pausing_never_shortens_the_time_left(cal in arb_calendar(), start in 0i64..400 * 24 * H, target in 0i64..5 * 24 * H, pauses in arb_pauses()) {
        let start = start + bj(2025, 1, 1, 0, 0);
        let pauses: Vec<_> = pauses.iter().map(|(f, t)| (f + start, t + start)).collect();
        let without = due(&cal, start, target, &[]).unwrap();
        let with = due(&cal, start, target, &pauses).unwrap();
        prop_assert!(with >= without);
        // The working time counted to the due moment, pauses taken out, is the target.
        let mut worked = cal.between(start, with);
        for (f, t) in merge_pauses(&pauses) {
            worked -= cal.between(f.max(start), t.min(with));
        }
        prop_assert_eq!(worked, target);
    }

    #[test]
    fn the_order_of_pauses_does_not_matter(cal in arb_calendar(), target in 0i64..5 * 24 * H, pauses in arb_pauses()) {
        let start = bj(2026, 9, 20, 8, 0);
        let pauses: Vec<_> = pauses.iter().map(|(f, t)| (f + start, t + start)).collect();
        let mut reversed = pauses.clone();
        reversed.reverse();
        let mut rotated = pauses.clone();
        if !rotated.is_empty() { rotated.rotate_left(1); }
        let a = due(&cal, start, target, &pauses);
        prop_assert_eq!(a, due(&cal, start, target, &reversed));
        prop_assert_eq!(a, due(&cal, start, target, &rotated));
        // And recording them through the clock one by one gives the same schedule.
        let mut clock = Clock { start, ..Clock::default() };
        for (f, t) in &reversed { clock.pause(*f); clock.resume(*t); }
        let t = Targets { first_response_minutes: target / MINUTE_MS, arrival_minutes: None, resolution_minutes: 0, warn_at: 0.75 };
        let s = schedule(&cal, &t, &clock);
        prop_assert_eq!(s.first_response.map(|d| d.due), due(&cal, start, (target / MINUTE_MS) * MINUTE_MS, &pauses));
    }

    #[test]
    fn warning_comes_no_later_than_breach(cal in arb_calendar(), minutes in 0i64..10_000, share in 0.05f64..0.95) {
        let t = Targets { first_response_minutes: minutes, arrival_minutes: Some(minutes * 2), resolution_minutes: minutes * 3, warn_at: share };
        let s = schedule(&cal, &t, &Clock { start: bj(2026, 1, 30, 16, 0), ..Clock::default() });
        for target in Target::ALL {
            let d = s.of(target).unwrap();
            prop_assert!(d.warn <= d.due);
        }
        // Every mark is owed exactly once: scanning again with the fired set owes nothing.
        let now = bj(2027, 1, 1, 0, 0);
        let first = scan(&s, &chain(), &Met::default(), None, now, |_, _| false);
        let fired: std::collections::HashSet<_> = first.fire.iter().map(|m| (m.target, m.kind)).collect();
        prop_assert_eq!(fired.len(), first.fire.len());
        let again = scan(&s, &chain(), &Met::default(), None, now, |t, k| fired.contains(&(t, k)));
        prop_assert!(again.fire.is_empty());
    }
}

#[test]
fn policy_terms_and_chains_are_checked_field_by_field() {
    let t = Targets::checked(30, None, 240, None).unwrap();
    assert_eq!(t.warn_at, DEFAULT_WARN_AT);
    let field = |r: Result<Targets, FieldError>| r.unwrap_err().field;
    assert_eq!(
        field(Targets::checked(0, None, 240, None)),
        "first_response_minutes"
    );
    assert_eq!(
        field(Targets::checked(30, Some(-1), 240, None)),
        "arrival_minutes"
    );
    assert_eq!(
        field(Targets::checked(30, None, 600_000, None)),
        "resolution_minutes"
    );
    assert_eq!(field(Targets::checked(30, None, 240, Some(1.0))), "warn_at");
    assert!(check_escalation(&default_escalation()).is_ok());
    let mut backwards = default_escalation();
    backwards.reverse();
    assert_eq!(
        check_escalation(&backwards).unwrap_err().reason,
        "error.sla_levels"
    );
    assert_eq!(default_targets().minutes(Target::Arrival), Some(240));
}

#[test]
fn pasted_holidays_read_as_people_write_them() {
    use super::calendar::parse_days;
    let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    assert_eq!(
        parse_days(
            "holidays",
            "2027-01-01\n2027年2月6日至2027年2月8日、2027/10/01 ~ 2027/10/02, 2027-01-01"
        )
        .unwrap(),
        vec![
            d("2027-01-01"),
            d("2027-02-06"),
            d("2027-02-07"),
            d("2027-02-08"),
            d("2027-10-01"),
            d("2027-10-02")
        ]
    );
    assert_eq!(
        parse_days("holidays", "  ").unwrap(),
        Vec::<chrono::NaiveDate>::new()
    );
    assert_eq!(
        parse_days("holidays", "2027-02-30").unwrap_err().field,
        "holidays"
    );
    assert_eq!(
        parse_days("workdays", "2027-02-08..2027-02-06")
            .unwrap_err()
            .field,
        "workdays"
    );
    assert!(parse_days("holidays", "2020-01-01..2030-01-01").is_err());
}

mod what_if {
    use super::super::whatif::{compare, verdict, Group, Lived, Verdict};
    use super::*;

    fn terms(response_h: i64, resolution_h: i64, calendar: Calendar) -> PolicyTerms {
        PolicyTerms {
            targets: Targets {
                first_response_minutes: response_h * 60,
                arrival_minutes: None,
                resolution_minutes: resolution_h * 60,
                warn_at: 0.75,
            },
            calendar,
            escalation: Vec::new(),
        }
    }

    fn lived(start: i64, pauses: Vec<(i64, i64)>, response: i64, resolved: Option<i64>) -> Lived {
        Lived {
            clock: Clock {
                start,
                pauses,
                paused_since: None,
            },
            met: Met {
                first_response: Some(start + response),
                arrival: None,
                resolution: resolved.map(|r| start + r),
            },
        }
    }

    #[test]
    fn a_ticket_keeps_its_life_and_only_the_promises_change() {
        let t0 = bj(2026, 11, 24, 9, 0);
        // Answered after 30 min, resolved after 6 h.
        let l = lived(t0, Vec::new(), H / 2, Some(6 * H));
        let loose = terms(1, 8, Calendar::AroundTheClock);
        let tight = terms(1, 4, Calendar::AroundTheClock);
        let v = verdict(&loose, &l, t0 + 100 * H);
        assert_eq!(
            v,
            Verdict {
                first_response: Some(false),
                resolution: Some(false)
            }
        );
        assert_eq!(verdict(&tight, &l, t0 + 100 * H).resolution, Some(true));
        // Three hours waiting for the customer do not count: 6 h with 3 paused is 3 h.
        let paused = lived(t0, vec![(t0 + H, t0 + 4 * H)], H / 2, Some(6 * H));
        assert_eq!(
            verdict(&tight, &paused, t0 + 100 * H).resolution,
            Some(false)
        );
        // Not resolved yet: late once the due time has passed, not before.
        let open = lived(t0, Vec::new(), H / 2, None);
        assert_eq!(verdict(&tight, &open, t0 + 3 * H).resolution, Some(false));
        assert_eq!(verdict(&tight, &open, t0 + 5 * H).resolution, Some(true));
        // Business hours: resolved the next morning at 10:00 (Tuesday 17:00 + 17 h) is two
        // working hours under a 9-to-6 calendar.
        let evening = lived(bj(2026, 11, 24, 17, 0), Vec::new(), H / 2, Some(17 * H));
        assert_eq!(
            verdict(&terms(1, 4, prc()), &evening, t0 + 100 * H).resolution,
            Some(false)
        );
        assert_eq!(
            verdict(&tight, &evening, t0 + 100 * H).resolution,
            Some(true)
        );
    }

    #[test]
    fn the_comparison_counts_per_group_and_lists_the_flips() {
        let g = |region: &str, priority: i64| Group {
            region: Some(region.into()),
            category: None,
            priority,
        };
        let v = |r: bool, s: bool| Verdict {
            first_response: Some(r),
            resolution: Some(s),
        };
        let w = compare(&[
            (g("east", 1), v(false, false), v(false, true)),
            (g("east", 1), v(false, true), v(false, true)),
            (g("west", 3), v(true, false), v(true, false)),
            (
                g("west", 3),
                v(false, false),
                Verdict {
                    first_response: None,
                    resolution: Some(false),
                },
            ),
        ]);
        assert_eq!(w.total.tickets, 4);
        assert_eq!(w.total.resolution, (1, 2));
        assert_eq!(w.total.first_response, (1, 1));
        assert_eq!(w.groups[0].0, g("east", 1), "the most changed group first");
        assert_eq!(w.groups[0].1.resolution, (1, 2));
        assert_eq!(w.flips.len(), 1);
        assert_eq!(w.flips[0].ticket, 0);
        assert_eq!(w.flips[0].target, Target::Resolution);
        assert!(!w.flips[0].was_late);
    }
}
