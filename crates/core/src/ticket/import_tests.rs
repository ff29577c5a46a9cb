use super::*;
use crate::event::{Event, EventKind};
use crate::kpi::Facts;
use chrono::TimeZone;

fn at(h: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap() + Duration::hours(h)
}

fn now() -> DateTime<Utc> {
    at(24 * 200)
}

fn line(status: &str) -> Line {
    Line {
        external_id: "OLD-1".into(),
        subject: "空调不制冷".into(),
        created_at: at(0),
        status: status.into(),
        ..Line::default()
    }
}

fn fields(r: Result<Checked, Vec<FieldError>>) -> Vec<(&'static str, &'static str)> {
    match r {
        Ok(_) => Vec::new(),
        Err(e) => e.iter().map(|e| (e.field, e.reason)).collect(),
    }
}

fn facts(t: &Checked, events: &[HistoryEvent]) -> Facts {
    Facts::from_events(
        t.created_at.timestamp_millis(),
        events.iter().map(|e| Event {
            payload: &e.payload,
            at: e.at.timestamp_millis(),
            to: e.to,
            by: e.by,
            internal: e.internal,
        }),
    )
}

const PARTIES: Parties<'static> = Parties {
    assignee: None,
    survey_id: "S1",
    reason: "导入",
};

#[test]
fn a_closed_reopened_ticket_lives_again_at_its_own_times_and_counts_like_lived_history() {
    let mut l = line("closed");
    l.resolved_at = Some(at(30));
    l.closed_at = Some(at(40));
    l.assignee = Some("engineer11".into());
    l.reopened = Some(true);
    l.csat = Some(2);
    l.comment = Some("修了两次才好".into());
    let t = check(l, now()).expect("a good line");
    let engineer = UserId::new();
    let events = life(
        &t,
        Parties {
            assignee: Some(engineer),
            ..PARTIES
        },
    );
    let kinds: Vec<EventKind> = events.iter().map(|e| e.payload.kind()).collect();
    assert_eq!(
        kinds,
        [
            EventKind::Assign,
            EventKind::Accept,
            EventKind::CheckIn,
            EventKind::Start,
            EventKind::Resolve,
            EventKind::Reopen,
            EventKind::Resolve,
            EventKind::AutoClose,
            EventKind::SurveySent,
            EventKind::SurveyAnswered,
        ]
    );
    // Oldest first, never before the creation.
    assert!(events.windows(2).all(|w| w[0].at <= w[1].at));
    assert_eq!(events[4].at, at(15), "the first fix halfway to the last");
    let f = facts(&t, &events);
    assert_eq!(f.resolved_at, Some(at(30).timestamp_millis()));
    assert_eq!(f.closed.map(|c| c.at), Some(at(40).timestamp_millis()));
    assert_eq!((f.reopens, f.visits, f.assignments), (1, 1, 1));
    assert_eq!(f.engineer, Some(engineer.to_string()));
    assert_eq!(f.ratings.len(), 1);
    assert_eq!(f.ratings[0].csat, Some(2));
    // Times the old system did not keep are not made up.
    assert_eq!(f.first_response_at, None, "no person's response is known");
    assert_eq!(f.first_arrival_at, None, "no arrival time is known");
    assert!(f.work.is_empty(), "no on-site time is invented");
}

#[test]
fn every_life_follows_the_transition_table_to_the_status_it_names() {
    for status in STATUSES {
        for assigned in [false, true] {
            if assigned && status == Status::New {
                continue;
            }
            for reopened in [false, true] {
                let mut l = line(status.as_str());
                let done = matches!(status, Status::Resolved | Status::Closed);
                if done || (reopened && status == Status::InProgress) {
                    l.resolved_at = Some(at(5));
                }
                if matches!(status, Status::Closed | Status::Cancelled) {
                    l.closed_at = Some(at(9));
                }
                if reopened && matches!(status, Status::InProgress) || done {
                    l.reopened = Some(reopened);
                }
                if done {
                    l.csat = Some(5);
                }
                let t = check(l, now()).unwrap_or_else(|e| panic!("{status:?}: {e:?}"));
                let events = life(
                    &t,
                    Parties {
                        assignee: assigned.then(UserId::new),
                        ..PARTIES
                    },
                );
                let mut current = Status::New;
                for e in events.iter().filter(|e| e.to.is_some()) {
                    let Payload::Move(kind, _) = &e.payload else {
                        panic!("a move is a move event")
                    };
                    assert_eq!(e.from, Some(current));
                    let to = e.to.unwrap_or(current);
                    assert!(
                        rules_between(current, to).any(|r| r.kind == *kind),
                        "{status:?}: {kind:?} {current:?} → {to:?} is not in the table"
                    );
                    current = to;
                }
                assert_eq!(current, status, "assigned {assigned}, reopened {reopened}");
                let f = facts(&t, &events);
                let reopens = u32::from(t.reopened && status != Status::Cancelled);
                assert_eq!(f.reopens, reopens, "{status:?}");
            }
        }
    }
}

#[test]
fn a_line_names_every_field_at_fault() {
    let mut l = line("shipped");
    l.subject = "  ".into();
    l.external_id = String::new();
    l.priority = Some(7);
    l.channel = Some("fax".into());
    l.customer_id = Some("not-an-id".into());
    assert_eq!(
        fields(check(l, now())),
        [
            ("external_id", "error.required"),
            ("subject", "error.required"),
            ("channel", "error.invalid_value"),
            ("priority", "error.priority_range"),
            ("customer_id", "error.unknown_id"),
            ("status", "error.unknown_status"),
        ]
    );
}

#[test]
fn times_must_fit_the_status_and_each_other() {
    let with = |status: &str, f: &dyn Fn(&mut Line)| {
        let mut l = line(status);
        f(&mut l);
        fields(check(l, now()))
    };
    // A resolved ticket needs its resolution time; a closed one may give only its closure.
    assert_eq!(
        with("resolved", &|_| {}),
        [("resolved_at", "error.required")]
    );
    let closed = check(
        Line {
            closed_at: Some(at(3)),
            ..line("closed")
        },
        now(),
    )
    .expect("closed with its closure only");
    assert_eq!(closed.resolved_at, Some(at(3)));
    assert_eq!(with("closed", &|_| {}), [("closed_at", "error.required")]);
    // Times that belong to another status.
    assert_eq!(
        with("new", &|l| l.resolved_at = Some(at(2))),
        [("resolved_at", "error.not_for_status")]
    );
    assert_eq!(
        with("in_progress", &|l| l.closed_at = Some(at(2))),
        [("closed_at", "error.not_for_status")]
    );
    assert_eq!(
        with("in_progress", &|l| l.reopened = Some(true)),
        [("resolved_at", "error.required")]
    );
    assert_eq!(
        with("new", &|l| l.reopened = Some(true)),
        [("reopened", "error.not_for_status")]
    );
    assert_eq!(
        with("new", &|l| l.assignee = Some("engineer11".into())),
        [("assignee", "error.not_for_status")]
    );
    // Order and the future.
    assert_eq!(
        with("closed", &|l| {
            l.resolved_at = Some(at(5));
            l.closed_at = Some(at(4));
        }),
        [("closed_at", "error.before_resolved")]
    );
    assert_eq!(
        with("resolved", &|l| l.resolved_at = Some(at(-1))),
        [("resolved_at", "error.before_created")]
    );
    assert_eq!(
        with("new", &|l| l.created_at = now() + Duration::hours(1)),
        [("created_at", "error.in_future")]
    );
    // The survey belongs to a fixed ticket, its comment to its score.
    assert_eq!(
        with("in_progress", &|l| l.csat = Some(4)),
        [("csat", "error.not_for_status")]
    );
    assert_eq!(
        with("resolved", &|l| {
            l.resolved_at = Some(at(1));
            l.csat = Some(9);
            l.comment = Some("好".into());
        }),
        [("csat", "error.survey_csat")]
    );
    assert_eq!(
        with("resolved", &|l| {
            l.resolved_at = Some(at(1));
            l.comment = Some("好".into());
        }),
        [("comment", "error.needs_csat")]
    );
}

#[test]
fn a_cancelled_ticket_ends_at_its_closure_time_or_its_creation() {
    let t = check(
        Line {
            closed_at: Some(at(2)),
            ..line("cancelled")
        },
        now(),
    )
    .expect("cancelled");
    let events = life(&t, PARTIES);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].at, at(2));
    assert_eq!(
        facts(&t, &events).cancelled_at,
        Some(at(2).timestamp_millis())
    );
    let t = check(line("cancelled"), now()).expect("cancelled");
    assert_eq!(life(&t, PARTIES)[0].at, at(0));
}
