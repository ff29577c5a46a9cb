//! KPI definitions against figures worked out by hand (the working is in the comments).

use super::*;
use crate::sla::calendar::CalendarSpec;
use serde_json::json;

const MIN: i64 = 60_000;
/// 2026-11-02 00:00 UTC, a Monday (08:00 in Beijing).
const T0: i64 = 1_793_577_600_000;

fn ev(
    kind: &str,
    min: i64,
    to: Option<Status>,
    by: By,
    data: Value,
) -> (String, i64, Option<Status>, By, Value) {
    (kind.to_owned(), T0 + min * MIN, to, by, data)
}

fn fold(events: &[(String, i64, Option<Status>, By, Value)]) -> Facts {
    Facts::from_events(
        T0,
        events.iter().map(|(kind, at, to, by, data)| Event {
            kind,
            at: *at,
            to: *to,
            by: *by,
            internal: false,
            data,
        }),
    )
}

use By::{Customer, Staff, System};
use Status as S;

/// A: solved on the phone at first contact, confirmed by the customer, rated 5 / 10.
fn ticket_a() -> Facts {
    fold(&[
        ev("take_remote", 5, Some(S::InProgress), Staff, json!({})),
        ev(
            "resolve",
            20,
            Some(S::Resolved),
            Staff,
            json!({"remote": true}),
        ),
        ev(
            "confirm",
            60,
            Some(S::Closed),
            Customer,
            json!({"confirmation": {"by": "customer"}}),
        ),
        ev("survey_sent", 120, None, System, json!({})),
        ev(
            "survey_answered",
            130,
            None,
            Customer,
            json!({"csat": 5, "nps": 10}),
        ),
    ])
}

/// B: one visit by e1, resolved on site, auto-closed, rated 3 / 7.
fn ticket_b() -> Facts {
    fold(&[
        ev(
            "assign",
            10,
            Some(S::Assigned),
            Staff,
            json!({"assignee_id": "e1"}),
        ),
        ev("accept", 30, Some(S::Accepted), Staff, json!({})),
        ev("depart", 40, Some(S::EnRoute), Staff, json!({})),
        ev("check_in", 70, Some(S::OnSite), Staff, json!({})),
        ev("start", 75, Some(S::InProgress), Staff, json!({})),
        ev(
            "resolve",
            130,
            Some(S::Resolved),
            Staff,
            json!({"remote": false}),
        ),
        ev("survey_sent", 190, None, System, json!({})),
        ev(
            "survey_answered",
            200,
            None,
            Customer,
            json!({"csat": 3, "nps": 7}),
        ),
        ev(
            "auto_close",
            3 * 1440,
            Some(S::Closed),
            System,
            json!({"confirmation": {"by": "auto"}}),
        ),
    ])
}

/// C: transferred e1 → e2, chased, resolved on site, reopened by the customer, resolved again.
fn ticket_c() -> Facts {
    fold(&[
        ev(
            "assign",
            10,
            Some(S::Assigned),
            Staff,
            json!({"assignee_id": "e1"}),
        ),
        ev(
            "reassign",
            20,
            Some(S::Assigned),
            Staff,
            json!({"assignee_id": "e2"}),
        ),
        ev("accept", 25, Some(S::Accepted), Staff, json!({})),
        ev("chased", 26, None, Customer, json!({})),
        ev("depart", 30, Some(S::EnRoute), Staff, json!({})),
        ev("check_in", 60, Some(S::OnSite), Staff, json!({})),
        ev(
            "resolve",
            90,
            Some(S::Resolved),
            Staff,
            json!({"remote": false}),
        ),
        ev("survey_sent", 100, None, System, json!({})),
        ev(
            "reopen",
            120,
            Some(S::InProgress),
            Customer,
            json!({"reason": "still broken"}),
        ),
        ev(
            "resolve",
            200,
            Some(S::Resolved),
            Staff,
            json!({"remote": false}),
        ),
    ])
}

/// D: cancelled by the agent (a cancellation is not a response); E: untouched.
fn ticket_d() -> Facts {
    fold(&[ev(
        "cancel",
        5,
        Some(S::Cancelled),
        Staff,
        json!({"reason": "duplicate"}),
    )])
}

fn tickets() -> Vec<TicketKpi> {
    let t = |facts: Facts, region: &str, channel: &str, due_min: Option<i64>| TicketKpi {
        id: String::new(),
        facts,
        region: Some(region.into()),
        team: None,
        category: Some("repair".into()),
        channel: channel.into(),
        tier: Some("gold".into()),
        resolution_due: due_min.map(|m| T0 + m * MIN),
    };
    vec![
        t(ticket_a(), "north", "phone", Some(240)),
        t(ticket_b(), "north", "web", Some(120)),
        t(ticket_c(), "south", "web", Some(480)),
        t(ticket_d(), "south", "phone", None),
        t(Facts::new(T0), "south", "app", None),
    ]
}

fn query(group_by: Option<GroupBy>) -> Query {
    Query {
        from: T0,
        to: T0 + 7 * 1440 * MIN,
        metrics: Metric::ALL.to_vec(),
        group_by,
        offset: FixedOffset::east_opt(8 * 3600).unwrap(),
    }
}

fn shift() -> Calendar {
    Calendar::Business(Box::new(CalendarSpec::prc_standard().build().unwrap()))
}

fn rate(row: &Row, m: &str) -> (Option<f64>, u64) {
    match row.values[m] {
        KpiValue::Rate { value, n } => (value, n),
        ref other => panic!("{m}: {other:?}"),
    }
}

fn dur(row: &Row, m: &str) -> Durations {
    match row.values[m] {
        KpiValue::Durations(d) => d,
        ref other => panic!("{m}: {other:?}"),
    }
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

#[test]
fn the_fold_keeps_what_the_kpis_need() {
    let c = ticket_c();
    assert_eq!(
        c.first_response_at,
        Some(T0 + 25 * MIN),
        "accept answers; (re)assignment does not"
    );
    assert_eq!(c.first_arrival_at, Some(T0 + 60 * MIN));
    assert_eq!(
        c.resolved_at,
        Some(T0 + 200 * MIN),
        "the last move to resolved"
    );
    assert_eq!((c.assignments, c.visits, c.reopens, c.chases), (2, 1, 1, 1));
    assert_eq!(c.engineer.as_deref(), Some("e2"));
    assert_eq!(c.remote, Some(false));
    assert_eq!(c.closed, None);
    // Travel 30 → 60 and on site 60 → 90 for e2; the reopen starts no span.
    let spans: Vec<_> = c
        .work
        .iter()
        .map(|s| {
            (
                s.engineer.as_str(),
                (s.start - T0) / MIN,
                (s.end - T0) / MIN,
            )
        })
        .collect();
    assert_eq!(spans, [("e2", 30, 60), ("e2", 60, 90)]);

    let b = ticket_b();
    assert_eq!(
        b.closed,
        Some(Closure {
            at: T0 + 3 * 1440 * MIN,
            by_customer: false
        }),
        "an auto-close is not a confirmation"
    );
    assert_eq!(ticket_a().closed.map(|c| c.by_customer), Some(true));
    assert_eq!(
        ticket_d().first_response_at,
        None,
        "a cancellation is not a response"
    );
    assert_eq!(ticket_d().cancelled_at, Some(T0 + 5 * MIN));
}

#[test]
fn a_reopen_undoes_the_closure_and_an_internal_note_is_no_response() {
    let f = fold(&[
        ev(
            "resolve",
            10,
            Some(S::Resolved),
            Staff,
            json!({"remote": true}),
        ),
        ev(
            "confirm",
            20,
            Some(S::Closed),
            Staff,
            json!({"confirmation": {"by": "agent"}}),
        ),
        ev("reopen", 30, Some(S::InProgress), Customer, json!({})),
    ]);
    assert_eq!(f.closed, None);
    assert_eq!(f.reopens, 1);
    let note = json!({});
    let mut g = Facts::new(T0);
    g.apply(&Event {
        kind: "comment",
        at: T0 + MIN,
        to: None,
        by: Staff,
        internal: true,
        data: &note,
    });
    assert_eq!(g.first_response_at, None);
    g.apply(&Event {
        kind: "comment",
        at: T0 + 2 * MIN,
        to: None,
        by: Customer,
        internal: false,
        data: &note,
    });
    assert_eq!(
        g.first_response_at, None,
        "the customer's own words are no response"
    );
    g.apply(&Event {
        kind: "comment",
        at: T0 + 3 * MIN,
        to: None,
        by: Staff,
        internal: false,
        data: &note,
    });
    assert_eq!(g.first_response_at, Some(T0 + 3 * MIN));
}

#[test]
fn every_kpi_of_the_whole_period_matches_the_hand_computation() {
    let rows = compute(&tickets(), &query(None), &shift());
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(r.group, None);
    // FRT: A 5 min, B 30 min (accept), C 25 min (accept); D and E none.
    assert_eq!(
        dur(r, "frt"),
        Durations {
            mean: Some(1200.0),
            p50: Some(1500.0),
            p90: Some(1800.0),
            n: 3
        }
    );
    // OAT: C 60 min, B 70 min: p50 = rank ⌈0.5·2⌉ = 1, p90 = rank ⌈0.9·2⌉ = 2.
    assert_eq!(
        dur(r, "oat"),
        Durations {
            mean: Some(3900.0),
            p50: Some(3600.0),
            p90: Some(4200.0),
            n: 2
        }
    );
    // MTTR over the resolved: A 20 min, B 130 min, C 200 min (its last resolution).
    assert_eq!(
        dur(r, "mttr"),
        Durations {
            mean: Some(7000.0),
            p50: Some(7800.0),
            p90: Some(12000.0),
            n: 3
        }
    );
    assert_eq!(rate(r, "closure_rate"), (Some(0.4), 5), "A and B of five");
    assert_eq!(
        rate(r, "confirmed_closure_rate"),
        (Some(0.2), 5),
        "only A's customer confirmed"
    );
    let (v, n) = rate(r, "reopen_rate");
    assert!(close(v, 1.0 / 3.0) && n == 3, "C of three resolved: {v:?}");
    assert_eq!(
        rate(r, "fcr"),
        (Some(1.0), 1),
        "A: remote, never dispatched, never reopened"
    );
    assert_eq!(rate(r, "ftfr"), (Some(0.5), 2), "B yes; C was reopened");
    let (v, n) = rate(r, "on_time_rate");
    assert!(
        close(v, 2.0 / 3.0) && n == 3,
        "B took 130 min against 120: {v:?}"
    );
    assert_eq!(rate(r, "transfer_rate"), (Some(0.5), 2), "C of B and C");
    assert_eq!(rate(r, "chase_rate"), (Some(0.2), 5));
    assert_eq!(
        r.values["backlog"],
        KpiValue::Count { value: 2 },
        "C (resolved, not closed) and E"
    );
    match r.values["csat"] {
        KpiValue::Csat {
            value,
            n,
            response_rate,
            sent,
        } => {
            assert_eq!(
                (value, n, sent),
                (Some(0.5), 2, 3),
                "A's 5 is good, B's 3 is not"
            );
            assert!(close(response_rate, 2.0 / 3.0), "C's survey unanswered");
        }
        ref other => panic!("{other:?}"),
    }
    assert_eq!(
        rate(r, "nps"),
        (Some(50.0), 2),
        "A promoter, B passive: (1 − 0) / 2"
    );
    // e1 worked 90 min on B, e2 60 min on C; each had 5 × 9 h = 2,700 min on shift that week.
    let (v, n) = rate(r, "utilisation");
    assert!(close(v, 150.0 / 5400.0) && n == 2, "{v:?}");
}

#[test]
fn groups_cut_each_kpi_by_its_own_tickets() {
    let rows = compute(&tickets(), &query(Some(GroupBy::Region)), &shift());
    let keys: Vec<_> = rows.iter().map(|r| r.group.as_deref()).collect();
    assert_eq!(keys, [Some("north"), Some("south")]);
    let south = &rows[1];
    assert_eq!(rate(south, "closure_rate"), (Some(0.0), 3));
    assert_eq!(south.values["backlog"], KpiValue::Count { value: 2 });
    assert_eq!(rate(&rows[0], "fcr"), (Some(1.0), 1));
    assert_eq!(rate(south, "fcr"), (None, 0), "nothing to compute over");

    let rows = compute(&tickets(), &query(Some(GroupBy::Engineer)), &shift());
    let keys: Vec<_> = rows.iter().map(|r| r.group.as_deref()).collect();
    assert_eq!(
        keys,
        [Some("e1"), Some("e2"), None],
        "named groups first, then the rest"
    );
    let (v, n) = rate(&rows[0], "utilisation");
    assert!(close(v, 90.0 / 2700.0) && n == 1, "{v:?}");
    assert_eq!(dur(&rows[1], "mttr").n, 1);
}

#[test]
fn time_groups_put_each_kpi_in_the_bucket_of_its_own_anchor() {
    // B created on day 1, resolved on day 2 (local time): its FRT counts on day 1, its MTTR on day 2.
    let b = fold(&[
        ev("accept", 30, Some(S::Accepted), Staff, json!({})),
        ev(
            "resolve",
            1440,
            Some(S::Resolved),
            Staff,
            json!({"remote": true}),
        ),
    ]);
    let t = TicketKpi {
        facts: b,
        channel: "web".into(),
        ..TicketKpi::default()
    };
    let rows = compute(&[t], &query(Some(GroupBy::Day)), &shift());
    let keys: Vec<_> = rows.iter().map(|r| r.group.as_deref()).collect();
    assert_eq!(keys, [Some("2026-11-02"), Some("2026-11-03")]);
    assert_eq!((dur(&rows[0], "frt").n, dur(&rows[0], "mttr").n), (1, 0));
    assert_eq!((dur(&rows[1], "frt").n, dur(&rows[1], "mttr").n), (0, 1));
}

#[test]
fn buckets_follow_local_time() {
    let beijing = FixedOffset::east_opt(8 * 3600).unwrap();
    let utc = FixedOffset::east_opt(0).unwrap();
    // Sunday 2026-11-08 20:00 UTC is Monday 04:00 in Beijing.
    let at = T0 + (6 * 1440 + 20 * 60) * MIN;
    assert_eq!(time_bucket(at, GroupBy::Week, utc).unwrap().0, "2026-W45");
    let (key, start, end) = time_bucket(at, GroupBy::Week, beijing).unwrap();
    assert_eq!(key, "2026-W46");
    assert_eq!((end - start) / MIN, 7 * 1440);
    assert_eq!(
        time_bucket(at, GroupBy::Month, beijing).unwrap().0,
        "2026-11"
    );
    assert_eq!(
        time_bucket(at, GroupBy::Day, beijing).unwrap().0,
        "2026-11-09"
    );
}

#[test]
fn outside_the_period_counts_nothing() {
    let mut q = query(None);
    q.from = T0 + 10 * 1440 * MIN;
    q.to = q.from + 1440 * MIN;
    assert!(
        compute(&tickets(), &q, &shift()).is_empty(),
        "only groups with tickets appear"
    );
}

#[test]
fn metric_and_group_names_are_checked() {
    assert_eq!(Metric::parse_list(None).unwrap().len(), 15);
    assert_eq!(
        Metric::parse_list(Some("mttr, frt,mttr")).unwrap(),
        [Metric::Frt, Metric::Mttr]
    );
    assert_eq!(
        Metric::parse_list(Some("frt,speed")).unwrap_err().field,
        "metrics"
    );
    assert_eq!(GroupBy::parse("tier").unwrap_err().field, "group_by");
    assert_eq!(
        GroupBy::parse("customer_tier").unwrap(),
        GroupBy::CustomerTier
    );
    for m in Metric::ALL {
        assert_eq!(Metric::parse(m.as_str()), Some(m));
    }
}

#[test]
fn the_weekly_report_covers_last_week_once_monday_morning_has_come() {
    let beijing = FixedOffset::east_opt(8 * 3600).unwrap();
    // Tuesday 2026-11-24 10:00 in Beijing: last week is W47, Monday 16th to Monday 23rd.
    let tuesday = T0 + (22 * 1440 + 2 * 60) * MIN;
    let (from, to, key) = report_week(tuesday, beijing).unwrap();
    assert_eq!(key, "2026-W47");
    assert_eq!(
        from,
        T0 + (13 * 1440 + 16 * 60) * MIN,
        "2026-11-15 16:00 UTC"
    );
    assert_eq!(to - from, 7 * 1440 * MIN);
    // Monday 07:59 in Beijing is too early; 08:00 is not.
    let monday = to;
    assert_eq!(report_week(monday + 8 * 60 * MIN - 1, beijing), None);
    assert_eq!(
        report_week(monday + 8 * 60 * MIN, beijing).unwrap().2,
        "2026-W47"
    );

    let rows = compute(&tickets(), &query(None), &shift());
    let all = vec![("全部".to_owned(), rows[0].values.clone())];
    let msg = report_message(Lang::ZhCn, "2026-W45", &all);
    assert_eq!(msg.subject, "服务周报 2026-W45");
    assert!(msg.body.contains("结案率: 40.0% (n=5)"), "{}", msg.body);
    assert!(
        msg.body
            .contains("平均修复时长: 117 min (p90 200 min, n=3)"),
        "{}",
        msg.body
    );
    assert!(msg.body.contains("积压工单: 2"), "{}", msg.body);
}

#[test]
fn behind_a_figure_are_the_tickets_that_pull_it_down_worst_first() {
    let t = tickets();
    let q = query(None);
    let ids = |m: Metric| -> Vec<usize> {
        behind(&t, &q, m, None)
            .unwrap()
            .into_iter()
            .map(|(i, _)| i)
            .collect()
    };
    assert_eq!(
        ids(Metric::ClosureRate),
        [2, 3, 4],
        "C, D and E are not closed"
    );
    assert_eq!(ids(Metric::Mttr), [2, 1, 0], "slowest first: C, B, A");
    assert_eq!(
        behind(&t, &q, Metric::OnTimeRate, None).unwrap(),
        [(1, Some(600.0))],
        "B, 10 min late"
    );
    assert_eq!(ids(Metric::ReopenRate), [2]);
    assert_eq!(ids(Metric::Csat), [1], "B rated 3");
    assert_eq!(ids(Metric::Backlog), [2, 4]);
    assert_eq!(behind(&t, &q, Metric::Utilisation, None), None);
    let by_region = query(Some(GroupBy::Region));
    let south: Vec<_> = behind(&t, &by_region, Metric::ClosureRate, Some("south"))
        .unwrap()
        .into_iter()
        .map(|(i, _)| i)
        .collect();
    assert_eq!(south, [2, 3, 4]);
    assert!(behind(&t, &by_region, Metric::ClosureRate, Some("north"))
        .unwrap()
        .is_empty());
}
