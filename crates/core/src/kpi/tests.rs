//! KPI definitions against figures worked out by hand (the working is in the comments).

use super::*;
use crate::event::Payload;
use crate::i18n::Lang;
use crate::sla::calendar::CalendarSpec;
use crate::ticket::status::Status;
use serde_json::{json, Value};

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

/// The user id the tests give engineer `e1`, `e2`, … (in that order).
fn eng(name: &str) -> String {
    format!("00000000-0000-0000-0000-{:0>12}", name)
}

/// The typed payload of a kind and its data as the tests write them: only what the KPIs
/// read, engineers by name; the rest of what the kind carries is filled in here.
fn payload(kind: &str, data: &Value) -> Payload {
    let mut data = data.clone();
    if let Some(name) = data["assignee_id"].as_str().map(eng) {
        data["assignee_id"] = json!(name);
    }
    let rest = match kind {
        "chased" => json!({ "status": "accepted" }),
        "survey_sent" => json!({ "survey_id": "s", "expires_at": "2026-12-01T00:00:00Z" }),
        _ => json!({}),
    };
    for (field, value) in rest.as_object().into_iter().flatten() {
        data[field.as_str()] = value.clone();
    }
    let kind = crate::event::EventKind::parse(kind).expect("a known kind");
    Payload::parse(kind, &data).expect("data of its kind")
}

fn fold(events: &[(String, i64, Option<Status>, By, Value)]) -> Facts {
    let payloads: Vec<Payload> = events
        .iter()
        .map(|(kind, _, _, _, data)| payload(kind, data))
        .collect();
    Facts::from_events(
        T0,
        events
            .iter()
            .zip(&payloads)
            .map(|((_, at, to, by, _), payload)| Event {
                payload,
                at: *at,
                to: *to,
                by: *by,
                internal: false,
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
        pm_due: None,
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
    assert_eq!(c.engineer, Some(eng("e2")));
    assert_eq!(c.remote, Some(false));
    assert_eq!(c.closed, None);
    // Travel 30 → 60 and on site 60 → 90 for e2; the reopen starts no span.
    let spans: Vec<_> = c
        .work
        .iter()
        .map(|s| (s.engineer.clone(), (s.start - T0) / MIN, (s.end - T0) / MIN))
        .collect();
    assert_eq!(spans, [(eng("e2"), 30, 60), (eng("e2"), 60, 90)]);

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
    let note = Payload::Comment(crate::event::payload::Comment {
        comment_id: crate::CommentId::new(),
        body: "已联系".into(),
        internal: false,
        channel: None,
        from: None,
    });
    let mut g = Facts::new(T0);
    g.apply(&Event {
        payload: &note,
        at: T0 + MIN,
        to: None,
        by: Staff,
        internal: true,
    });
    assert_eq!(g.first_response_at, None);
    g.apply(&Event {
        payload: &note,
        at: T0 + 2 * MIN,
        to: None,
        by: Customer,
        internal: false,
    });
    assert_eq!(
        g.first_response_at, None,
        "the customer's own words are no response"
    );
    g.apply(&Event {
        payload: &note,
        at: T0 + 3 * MIN,
        to: None,
        by: Staff,
        internal: false,
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
        [Some(eng("e1").as_str()), Some(eng("e2").as_str()), None],
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

mod book {
    use super::*;
    use proptest::prelude::*;

    const DAY: i64 = 1440 * MIN;

    fn any_time() -> impl Strategy<Value = Option<i64>> {
        proptest::option::of(0..20 * DAY)
    }

    prop_compose! {
        fn any_ticket()(
            created in 0..14 * DAY,
            first_response in any_time(),
            first_arrival in any_time(),
            resolved in any_time(),
            closed in proptest::option::of((0..20 * DAY, any::<bool>())),
            counts in (0..3u32, 0..3u32, 0..2u32, 0..3u32, 0..2u32),
            remote in proptest::option::of(any::<bool>()),
            ratings in proptest::collection::vec((proptest::option::of(1..=5i64), proptest::option::of(0..=10i64)), 0..2),
            work in proptest::collection::vec((0..3usize, 0..20 * DAY, 1..2 * DAY), 0..3),
            dims in (0..3usize, 0..3usize, 0..4usize, 0..3usize),
            due in any_time(),
            pm in proptest::option::of(0..14i64),
        ) -> TicketKpi {
            let names = ["north", "south", "east"];
            let engineers = ["e1", "e2", "e3"];
            let pick = |i: usize| (i < names.len()).then(|| names[i].to_owned());
            let (assignments, visits, reopens, chases, sent) = counts;
            TicketKpi {
                id: String::new(),
                facts: Facts {
                    created_at: T0 + created,
                    first_response_at: first_response.map(|t| T0 + created + t),
                    first_arrival_at: first_arrival.map(|t| T0 + created + t),
                    resolved_at: resolved.map(|t| T0 + created + t),
                    closed: closed.map(|(t, by_customer)| Closure { at: T0 + created + t, by_customer }),
                    assignments,
                    visits,
                    reopens,
                    chases,
                    surveys_sent: sent,
                    remote,
                    engineer: (dims.2 < 3).then(|| engineers[dims.2].to_owned()),
                    ratings: ratings.into_iter().map(|(csat, nps)| Rating { csat, nps }).collect(),
                    work: work
                        .into_iter()
                        .map(|(e, start, len)| Span { engineer: engineers[e].to_owned(), start: T0 + start, end: T0 + start + len })
                        .collect(),
                    ..Facts::default()
                },
                region: pick(dims.0),
                team: pick(dims.1),
                category: Some("repair".into()),
                channel: ["web", "phone", "app"][dims.3].into(),
                tier: None,
                resolution_due: due.map(|d| T0 + created + d),
                pm_due: pm.map(|d| T0 + d * DAY),
            }
        }
    }

    fn queries() -> Vec<Query> {
        let groupings = [
            None,
            Some(GroupBy::Region),
            Some(GroupBy::Team),
            Some(GroupBy::Engineer),
            Some(GroupBy::Channel),
            Some(GroupBy::Day),
            Some(GroupBy::Week),
            Some(GroupBy::Month),
        ];
        groupings
            .into_iter()
            .map(|group_by| Query {
                // Not on day borders: the edges cut days and spans.
                from: T0 + 2 * DAY + 7 * MIN,
                to: T0 + 12 * DAY + 3 * 60 * MIN,
                metrics: Metric::ALL
                    .into_iter()
                    .chain([Metric::PmCompliance])
                    .collect(),
                group_by,
                offset: FixedOffset::east_opt(8 * 3600).unwrap(),
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// A book that saw earlier versions of its tickets, in any order, answers exactly as
        /// one built from the final versions; and its percentiles are the nearest ranks.
        #[test]
        fn replacing_tickets_leaves_no_trace(
            finals in proptest::collection::vec(any_ticket(), 1..40),
            earlier in proptest::collection::vec((any::<proptest::sample::Index>(), any_ticket()), 0..60),
            order in any::<u64>(),
            filtered in any::<bool>(),
        ) {
            let mut fresh = Book::new();
            for (i, t) in finals.iter().enumerate() {
                fresh.put(i as u128, t);
            }
            let mut lived = Book::new();
            for (at, t) in &earlier {
                lived.put(at.index(finals.len()) as u128, t);
            }
            let mut keys: Vec<usize> = (0..finals.len()).collect();
            keys.sort_by_key(|k| (*k as u64).wrapping_mul(order | 1).rotate_left(17));
            for k in keys {
                lived.put(k as u128, &finals[k]);
            }
            prop_assert_eq!(lived.len(), finals.len());
            let filter = Filter {
                channel: filtered.then(|| "web".to_owned()),
                ..Filter::default()
            };
            for q in queries() {
                let a = fresh.compute(&q, &filter, &shift());
                let b = lived.compute(&q, &filter, &shift());
                prop_assert_eq!(&a, &b);
                for m in [Metric::Frt, Metric::Backlog, Metric::Csat, Metric::OnTimeRate, Metric::PmCompliance] {
                    let x = fresh.behind(&q, &filter, m, None);
                    let y = lived.behind(&q, &filter, m, None);
                    let sorted = |v: Option<Vec<(u128, Option<f64>)>>| {
                        let mut v = v.unwrap_or_default();
                        v.sort_by_key(|p| p.0);
                        v
                    };
                    prop_assert_eq!(sorted(x), sorted(y));
                }
            }
            // Nearest-rank percentiles of the whole period's first responses, by sorting.
            let q = &queries()[0];
            let mut frt: Vec<i64> = finals
                .iter()
                .filter(|t| t.facts.created_at >= q.from && t.facts.created_at < q.to)
                .filter(|t| filter.admits(t))
                .filter_map(|t| t.facts.first_response_at.map(|r| r - t.facts.created_at))
                .collect();
            frt.sort_unstable();
            let rows = fresh.compute(q, &filter, &shift());
            if let Some(KpiValue::Durations(d)) = rows.first().map(|r| r.values["frt"]) {
                let rank = |p: f64| frt[((p * frt.len() as f64).ceil() as usize).max(1) - 1] as f64 / 1000.0;
                if frt.is_empty() {
                    prop_assert_eq!(d.p50, None);
                } else {
                    prop_assert_eq!(d.p50, Some(rank(0.5)));
                    prop_assert_eq!(d.p90, Some(rank(0.9)));
                }
            }
        }
    }

    #[test]
    fn a_filter_naming_what_no_ticket_has_matches_nothing() {
        let mut b = Book::new();
        for (i, t) in tickets().iter().enumerate() {
            b.put(i as u128, t);
        }
        let nowhere = Filter {
            region: Some("atlantis".into()),
            ..Filter::default()
        };
        assert!(b.compute(&query(None), &nowhere, &shift()).is_empty());
        let north = Filter {
            region: Some("north".into()),
            ..Filter::default()
        };
        let rows = b.compute(&query(None), &north, &shift());
        assert_eq!(rows.len(), 1);
        let by_region = b.compute(&query(Some(GroupBy::Region)), &Filter::default(), &shift());
        let north_row = by_region
            .iter()
            .find(|r| r.group.as_deref() == Some("north"));
        assert_eq!(rows[0].values, north_row.unwrap().values);
        assert_eq!(
            rows[0].values["closure_rate"],
            KpiValue::Rate {
                value: Some(1.0),
                n: 2
            }
        );
    }

    /// Replaced tickets' work spans are dropped once they outnumber the live ones.
    #[test]
    fn spans_of_replaced_tickets_are_reclaimed() {
        let all = tickets();
        let mut fresh = Book::new();
        for (i, t) in all.iter().enumerate() {
            fresh.put(i as u128, t);
        }
        let mut busy = fresh.clone();
        let mut noisy = all[2].clone();
        noisy.facts.work = (0..3)
            .map(|i| Span {
                engineer: format!("e{i}"),
                start: T0 + i * MIN,
                end: T0 + (i + 5) * MIN,
            })
            .collect();
        for _ in 0..3000 {
            busy.put(2, &noisy);
        }
        busy.put(2, &all[2]);
        assert!(
            busy.spans_held() < 4096 + 16,
            "{} spans kept",
            busy.spans_held()
        );
        for g in [None, Some(GroupBy::Engineer), Some(GroupBy::Day)] {
            let q = query(g);
            assert_eq!(
                busy.compute(&q, &Filter::default(), &shift()),
                fresh.compute(&q, &Filter::default(), &shift())
            );
        }
    }
}

/// PM compliance takes maintenance orders by their due day: done on time when resolved before
/// that day ends (local time), whenever they were created; an unresolved one counts against.
#[test]
fn pm_compliance_judges_maintenance_by_its_due_day() {
    // Due on 2026-11-03 (Beijing): the day starts at T0 + 16 h UTC.
    let due = T0 + 16 * 60 * MIN;
    let order = |resolved_min: Option<i64>| TicketKpi {
        facts: Facts {
            created_at: T0 - 10 * 1440 * MIN,
            resolved_at: resolved_min.map(|m| due + m * MIN),
            ..Facts::default()
        },
        channel: "web".into(),
        pm_due: Some(due),
        ..TicketKpi::default()
    };
    let tickets = [
        order(Some(23 * 60 + 59)), // 23:59 on the due day: on time
        order(Some(24 * 60)),      // 00:00 the day after: late
        order(None),               // not done
    ];
    let mut q = query(Some(GroupBy::Day));
    q.metrics = vec![Metric::PmCompliance];
    let rows = compute(&tickets, &q, &shift());
    // The late one was resolved the next day: that day has a row for what it resolved.
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0].group.as_deref(), Some("2026-11-03"));
    assert_eq!(rate(&rows[1], "pm_compliance"), (None, 0));
    assert_eq!(rate(&rows[0], "pm_compliance"), (Some(1.0 / 3.0), 3));
    let late = behind(&tickets, &q, Metric::PmCompliance, Some("2026-11-03")).unwrap();
    assert_eq!(late, [(1, Some(0.0)), (2, None)]);
    assert_eq!(Metric::parse("pm_compliance"), Some(Metric::PmCompliance));
    assert!(
        !Metric::ALL.contains(&Metric::PmCompliance),
        "not in the contract's all"
    );
}

/// How fast the book answers at a million tickets (run with
/// `cargo test --release -p loopdesk-core book_speed -- --ignored --nocapture`); prints, asserts
/// nothing about time.
#[test]
#[ignore = "a benchmark, not a test"]
fn book_speed() {
    use std::time::Instant;
    let engineers: Vec<String> = (0..64).map(|i| format!("engineer-{i:02}")).collect();
    let regions: Vec<String> = (0..8).map(|i| format!("region-{i}")).collect();
    let year = 365 * 1440 * MIN;
    let mut book = Book::new();
    let mut seed = 7_u64;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n.max(1)
    };
    let t = Instant::now();
    for i in 0..1_000_000_u64 {
        let created = T0 - year + next(year as u64) as i64;
        let e = &engineers[next(64) as usize];
        let r = next(8) as usize;
        let resolved = created + 3_600_000 + next(3 * 86_400_000) as i64;
        let t = TicketKpi {
            id: String::new(),
            facts: Facts {
                created_at: created,
                first_response_at: Some(created + next(3_600_000) as i64),
                first_arrival_at: Some(created + 1_800_000 + next(14_400_000) as i64),
                resolved_at: Some(resolved),
                closed: Some(Closure {
                    at: resolved + 86_400_000,
                    by_customer: next(2) == 0,
                }),
                remote: Some(next(3) == 0),
                assignments: 1 + u32::from(next(10) == 0),
                visits: 1,
                engineer: Some(e.clone()),
                surveys_sent: 1,
                ratings: vec![Rating {
                    csat: Some(1 + next(5) as i64),
                    nps: Some(next(11) as i64),
                }],
                work: vec![
                    Span {
                        engineer: e.clone(),
                        start: created + 1_000_000,
                        end: created + 2_800_000,
                    },
                    Span {
                        engineer: e.clone(),
                        start: created + 2_800_000,
                        end: created + 9_000_000,
                    },
                ],
                ..Facts::default()
            },
            region: Some(regions[r].clone()),
            team: Some(format!("team-{r}")),
            category: Some("repair".into()),
            channel: "phone".into(),
            tier: Some("gold".into()),
            resolution_due: Some(created + 86_400_000),
            pm_due: None,
        };
        book.put(u128::from(i), &t);
    }
    println!("built in {:.1} s", t.elapsed().as_secs_f64());
    let offset = FixedOffset::east_opt(8 * 3600).unwrap();
    let q = |days: i64, metrics: Vec<Metric>, group_by: Option<GroupBy>| Query {
        from: T0 - days * 1440 * MIN,
        to: T0,
        metrics,
        group_by,
        offset,
    };
    let all = Metric::ALL.to_vec();
    let calls = [
        (
            "all, 12 months, by week",
            q(365, all.clone(), Some(GroupBy::Week)),
        ),
        (
            "all, 12 months, by region",
            q(365, all.clone(), Some(GroupBy::Region)),
        ),
        (
            "frt, 12 months, by engineer",
            q(365, vec![Metric::Frt], Some(GroupBy::Engineer)),
        ),
        (
            "reopen, 12 months, by region",
            q(365, vec![Metric::ReopenRate], Some(GroupBy::Region)),
        ),
        ("all, 30 days", q(30, all, None)),
        ("backlog, 30 days", q(30, vec![Metric::Backlog], None)),
        (
            "backlog, 12 months, by week",
            q(365, vec![Metric::Backlog], Some(GroupBy::Week)),
        ),
        (
            "utilisation, 12 months, by week",
            q(365, vec![Metric::Utilisation], Some(GroupBy::Week)),
        ),
        (
            "frt, 12 months, by week",
            q(365, vec![Metric::Frt], Some(GroupBy::Week)),
        ),
        (
            "utilisation, 12 months, by region",
            q(365, vec![Metric::Utilisation], Some(GroupBy::Region)),
        ),
        (
            "utilisation, 30 days",
            q(30, vec![Metric::Utilisation], None),
        ),
        ("frt, 30 days", q(30, vec![Metric::Frt], None)),
    ];
    let t = Instant::now();
    let cal = shift();
    let _ = cal.between(T0 - 365 * 1440 * MIN, T0);
    println!(
        "a year of shift time in {:.2} ms",
        t.elapsed().as_secs_f64() * 1000.0
    );
    for (name, query) in calls {
        let mut times = Vec::new();
        for _ in 0..7 {
            let t = Instant::now();
            let rows = book.compute(&query, &Filter::default(), &shift());
            assert!(!rows.is_empty());
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{name:<32} median {:>6.1} ms  max {:>6.1} ms",
            times[3], times[6]
        );
    }
}

/// The facts kept beside each ticket read back as they were written, empty fields left out.
#[test]
fn facts_are_stored_and_read_back_whole() {
    for f in [
        ticket_a(),
        ticket_b(),
        ticket_c(),
        ticket_d(),
        Facts::new(T0),
    ] {
        let json = serde_json::to_string(&f).unwrap();
        assert_eq!(serde_json::from_str::<Facts>(&json).unwrap(), f, "{json}");
    }
    let bare = serde_json::to_string(&Facts::new(T0)).unwrap();
    assert_eq!(bare, format!("{{\"created_at\":{T0}}}"));
}

#[test]
fn an_export_is_named_after_its_grouping_and_period() {
    let tz = chrono::FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| unreachable!());
    let at = |s: &str| {
        chrono::DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&tz))
            .unwrap_or_else(|e| panic!("{s}: {e}"))
    };
    // Monday 2026-09-28 (W40) to Monday 2026-11-30 (the end of W48), local midnights.
    assert_eq!(
        export_name(
            Some(GroupBy::Region),
            at("2026-09-28T00:00:00+08:00"),
            at("2026-11-30T00:00:00+08:00")
        ),
        "kpis-region-2026W40-2026W48"
    );
    assert_eq!(
        export_name(
            None,
            at("2026-10-01T00:00:00+08:00"),
            at("2026-12-01T00:00:00+08:00")
        ),
        "kpis-all-2026M10-2026M11"
    );
    // Not at midnight: the days it touches, the last one included.
    assert_eq!(
        export_name(
            Some(GroupBy::CustomerTier),
            at("2026-11-24T10:00:00+08:00"),
            at("2026-12-01T10:00:00+08:00")
        ),
        "kpis-customer_tier-20261124-20261201"
    );
    // A midnight end stops the day before.
    assert_eq!(
        export_name(
            Some(GroupBy::Week),
            at("2026-11-24T00:00:00+08:00"),
            at("2026-11-27T00:00:00+08:00")
        ),
        "kpis-week-20261124-20261126"
    );
}

#[test]
fn an_export_shows_hours_and_percentages_and_keeps_the_raw_figures() {
    let mut values = std::collections::BTreeMap::new();
    values.insert(
        "mttr",
        KpiValue::Durations(Durations {
            mean: Some(5_430.0),
            p50: Some(3_600.0),
            p90: Some(9_000.0),
            n: 3,
        }),
    );
    values.insert(
        "closure_rate",
        KpiValue::Rate {
            value: Some(0.8756),
            n: 8,
        },
    );
    values.insert(
        "nps",
        KpiValue::Rate {
            value: Some(-33.333),
            n: 3,
        },
    );
    let rows = vec![("浦东".to_owned(), values)];
    let metrics = [Metric::Mttr, Metric::ClosureRate, Metric::Nps];
    let (head, body) = table(&metrics, &rows, Lang::ZhCn, Units::Human);
    assert_eq!(head[1], "平均修复时长 均值(小时)");
    assert_eq!(head[5], "结案率 值(%)");
    assert_eq!(head[7], "净推荐值 值", "NPS is points, not a percentage");
    let n = |c: &Cell| match c {
        Cell::Number(n) => *n,
        _ => f64::NAN,
    };
    let got: Vec<f64> = body[0][1..].iter().map(n).collect();
    assert_eq!(got, [1.5, 1.0, 2.5, 3.0, 87.6, 8.0, -33.3, 3.0]);
    let (head, body) = table(&metrics, &rows, Lang::En, Units::Raw);
    assert_eq!(head[1], "Time to resolve mean (s)");
    let got: Vec<f64> = body[0][1..].iter().map(n).collect();
    assert_eq!(
        got,
        [5_430.0, 3_600.0, 9_000.0, 3.0, 0.8756, 8.0, -33.333, 3.0]
    );
}
