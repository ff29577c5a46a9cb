//! Tests of the transition table: worked examples for each rule family, and property tests
//! over random sequences of moves by random actors.

use super::*;
use crate::{AttachmentId, CustomerId, Role, UserId};
use chrono::TimeZone;
use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 2, 0, 0).unwrap()
}

fn user(roles: &[Role]) -> Actor {
    Actor::User {
        id: UserId::new(),
        roles: roles.iter().copied().collect(),
        customer_id: None,
        region_id: None,
    }
}

fn engineer_facts(id: UserId) -> AssigneeFacts {
    AssigneeFacts {
        id,
        is_engineer: true,
        active: true,
    }
}

fn go(to: Status) -> MoveCommand {
    MoveCommand {
        to: Some(to),
        ..MoveCommand::default()
    }
}

fn plan(t: &TicketFacts, a: &Actor, cmd: &MoveCommand) -> Result<Plan, TransitionError> {
    let assignee = cmd.assignee_id.map(engineer_facts);
    plan_move(t, a, cmd, assignee, &LifecyclePolicy::default(), now())
}

struct World {
    engineer: Actor,
    agent: Actor,
    supervisor: Actor,
    customer: Actor,
    ticket: TicketFacts,
}

fn world() -> World {
    let customer_id = CustomerId::new();
    let engineer = user(&[Role::Engineer]);
    let customer = Actor::User {
        id: UserId::new(),
        roles: [Role::Customer].into_iter().collect(),
        customer_id: Some(customer_id),
        region_id: None,
    };
    let mut ticket = TicketFacts::new_ticket(Some(customer_id));
    ticket.site = Some(SiteFacts {
        lat: 31.2304,
        lon: 121.4737,
        geofence_m: 300.0,
    });
    ticket.attachments = vec![
        (AttachmentId::new(), AttachmentKind::Before),
        (AttachmentId::new(), AttachmentKind::After),
        (AttachmentId::new(), AttachmentKind::Signature),
    ];
    World {
        engineer,
        agent: user(&[Role::Agent]),
        supervisor: user(&[Role::Supervisor]),
        customer,
        ticket,
    }
}

fn full_report(t: &TicketFacts) -> ReportInput {
    ReportInput {
        resolution: "更换压缩机电容".into(),
        before_photo_ids: vec![t.attachments[0].0],
        after_photo_ids: vec![t.attachments[1].0],
        signature_id: Some(t.attachments[2].0),
        parts: vec![PartUsed {
            sku: "CAP-35UF".into(),
            qty: 1,
        }],
        ..ReportInput::default()
    }
}

/// Walks a ticket to `on_site` with the world's engineer, checking in at the site.
fn to_on_site(w: &mut World) {
    let eng_id = w.engineer.user_id().unwrap();
    let steps = [
        (
            w.agent.clone(),
            MoveCommand {
                assignee_id: Some(eng_id),
                ..go(Status::Assigned)
            },
        ),
        (w.engineer.clone(), go(Status::Accepted)),
        (w.engineer.clone(), go(Status::EnRoute)),
        (
            w.engineer.clone(),
            MoveCommand {
                check_in: Some(CheckIn {
                    lat: 31.2305,
                    lon: 121.4738,
                    accuracy_m: Some(10.0),
                }),
                ..go(Status::OnSite)
            },
        ),
    ];
    for (actor, cmd) in steps {
        let p = plan(&w.ticket, &actor, &cmd).unwrap();
        w.ticket.apply(&p, now() - Duration::hours(1));
    }
}

#[test]
fn the_whole_on_site_loop_ends_closed_by_the_customer() {
    let mut w = world();
    to_on_site(&mut w);
    assert_eq!(w.ticket.status, Status::OnSite);
    let cmd = MoveCommand {
        report: Some(full_report(&w.ticket)),
        ..go(Status::Resolved)
    };
    let p = plan(&w.ticket, &w.engineer, &cmd).unwrap();
    assert_eq!((p.kind, p.to), (MoveKind::Resolve, Status::Resolved));
    w.ticket.apply(&p, now());
    let confirm = MoveCommand {
        confirmation: Some(Confirmation {
            by: ConfirmedBy::Customer,
            note: None,
        }),
        ..go(Status::Closed)
    };
    let p = plan(&w.ticket, &w.customer, &confirm).unwrap();
    assert_eq!(
        (p.to, p.confirmed_by),
        (Status::Closed, Some(ConfirmedBy::Customer))
    );
}

#[test]
fn applying_moves_keeps_the_last_resolution_counts_visits_and_reopens_and_clears_a_confirmation() {
    let mut w = world();
    to_on_site(&mut w);
    assert_eq!(
        (w.ticket.visit_count, w.ticket.check_in.is_some()),
        (1, true)
    );
    let resolve = MoveCommand {
        report: Some(full_report(&w.ticket)),
        ..go(Status::Resolved)
    };
    let first = now() - Duration::minutes(30);
    let p = plan(&w.ticket, &w.engineer, &resolve).unwrap();
    w.ticket.apply(&p, first);
    let confirm = MoveCommand {
        confirmation: Some(Confirmation {
            by: ConfirmedBy::Customer,
            note: None,
        }),
        ..go(Status::Closed)
    };
    let p = plan(&w.ticket, &w.customer, &confirm).unwrap();
    w.ticket.apply(&p, first + Duration::minutes(1));
    assert_eq!(w.ticket.confirmed_by, Some(ConfirmedBy::Customer));
    let reopen = MoveCommand {
        reason: Some("还是不行".into()),
        ..go(Status::InProgress)
    };
    let p = plan(&w.ticket, &w.customer, &reopen).unwrap();
    w.ticket.apply(&p, first + Duration::minutes(2));
    assert_eq!((w.ticket.reopen_count, w.ticket.confirmed_by), (1, None));
    let again = MoveCommand {
        report: Some(full_report(&w.ticket)),
        ..go(Status::Resolved)
    };
    let p = plan(&w.ticket, &w.engineer, &again).unwrap();
    w.ticket.apply(&p, now());
    assert_eq!(
        w.ticket.resolved_at,
        Some(now()),
        "the last move to resolved counts"
    );
    assert_eq!(w.ticket.status, Status::Resolved);
}

#[test]
fn a_remote_fix_goes_new_in_progress_resolved_with_only_a_resolution() {
    let w = world();
    let p = plan(&w.ticket, &w.agent, &go(Status::InProgress)).unwrap();
    assert_eq!(p.kind, MoveKind::TakeRemote);
    let mut t = w.ticket.clone();
    t.apply(&p, now());
    let report = ReportInput {
        resolution: "指导客户重启设备".into(),
        remote: true,
        ..ReportInput::default()
    };
    let p = plan(
        &t,
        &w.agent,
        &MoveCommand {
            report: Some(report),
            ..go(Status::Resolved)
        },
    )
    .unwrap();
    assert_eq!(p.to, Status::Resolved);
    let not_remote = ReportInput {
        resolution: "x".into(),
        ..ReportInput::default()
    };
    let e = plan(
        &t,
        &w.agent,
        &MoveCommand {
            report: Some(not_remote),
            ..go(Status::Resolved)
        },
    );
    assert_eq!(
        e,
        Err(TransitionError::Invalid {
            field: "report.remote",
            reason: "error.agent_resolves_remotely"
        })
    );
}

#[test]
fn an_incomplete_on_site_report_lists_everything_missing() {
    let mut w = world();
    to_on_site(&mut w);
    let cmd = MoveCommand {
        report: Some(ReportInput::default()),
        ..go(Status::Resolved)
    };
    assert_eq!(
        plan(&w.ticket, &w.engineer, &cmd),
        Err(TransitionError::IncompleteReport {
            missing: vec![
                "report.resolution",
                "report.before_photo_ids",
                "report.after_photo_ids",
                "report.signature_id"
            ]
        })
    );
}

#[test]
fn a_photo_of_the_wrong_kind_or_another_ticket_is_refused() {
    let mut w = world();
    to_on_site(&mut w);
    let mut report = full_report(&w.ticket);
    report.before_photo_ids = vec![w.ticket.attachments[1].0]; // an "after" photo
    let cmd = MoveCommand {
        report: Some(report.clone()),
        ..go(Status::Resolved)
    };
    assert_eq!(
        plan(&w.ticket, &w.engineer, &cmd).unwrap_err(),
        TransitionError::Invalid {
            field: "report.before_photo_ids",
            reason: "error.attachment_not_on_ticket"
        }
    );
    report.before_photo_ids = vec![AttachmentId::new()];
    let cmd = MoveCommand {
        report: Some(report),
        ..go(Status::Resolved)
    };
    assert!(plan(&w.ticket, &w.engineer, &cmd).is_err());
}

#[test]
fn a_check_in_outside_the_geofence_is_flagged_and_its_report_goes_to_review() {
    let mut w = world();
    to_on_site(&mut w);
    // Check in again, 2 km away, from a second visit's en-route state.
    w.ticket.status = Status::EnRoute;
    let far = MoveCommand {
        check_in: Some(CheckIn {
            lat: 31.2484,
            lon: 121.4737,
            accuracy_m: None,
        }),
        ..go(Status::OnSite)
    };
    let p = plan(&w.ticket, &w.engineer, &far).unwrap();
    assert_eq!(p.flags, vec![Flag::CheckInOutsideGeofence]);
    assert!(p.check_in.unwrap().distance_m.unwrap() > 1900.0);
    w.ticket.apply(&p, now() - Duration::hours(1));
    let cmd = MoveCommand {
        report: Some(full_report(&w.ticket)),
        ..go(Status::Resolved)
    };
    let p = plan(&w.ticket, &w.engineer, &cmd).unwrap();
    assert_eq!(p.to, Status::InReview);
    assert_eq!(p.from, Status::OnSite);
}

#[test]
fn a_category_that_requires_review_and_an_engineer_asking_for_it_both_go_to_review() {
    let mut w = world();
    to_on_site(&mut w);
    let mut t = w.ticket.clone();
    t.category_requires_review = true;
    let cmd = MoveCommand {
        report: Some(full_report(&t)),
        ..go(Status::Resolved)
    };
    assert_eq!(plan(&t, &w.engineer, &cmd).unwrap().to, Status::InReview);
    let mut report = full_report(&w.ticket);
    report.needs_review = true;
    let p = plan(
        &w.ticket,
        &w.engineer,
        &MoveCommand {
            report: Some(report),
            ..go(Status::Resolved)
        },
    )
    .unwrap();
    assert_eq!(
        (p.to, p.flags),
        (Status::InReview, vec![Flag::ReviewRequested])
    );
}

#[test]
fn a_photo_shown_as_before_and_after_or_taken_from_another_ticket_goes_to_review() {
    let mut w = world();
    to_on_site(&mut w);
    let (before, after) = (w.ticket.attachments[0].0, w.ticket.attachments[1].0);
    let cmd = MoveCommand {
        report: Some(full_report(&w.ticket)),
        ..go(Status::Resolved)
    };
    // Two different pictures: nothing to say.
    w.ticket.photo_hashes = vec![
        (before, 0x0F0F_0F0F_0F0F_0F0F),
        (after, 0xF0F0_F0F0_F0F0_F0F0),
    ];
    let p = plan(&w.ticket, &w.engineer, &cmd).unwrap();
    assert_eq!((p.to, p.flags), (Status::Resolved, vec![]));
    // The same picture re-encoded (two bits apart) as before and after.
    w.ticket.photo_hashes = vec![
        (before, 0x0F0F_0F0F_0F0F_0F0F),
        (after, 0x0F0F_0F0F_0F0F_0F0C),
    ];
    let p = plan(&w.ticket, &w.engineer, &cmd).unwrap();
    assert_eq!(
        (p.to, p.flags),
        (Status::InReview, vec![Flag::SamePhotoBeforeAfter])
    );
    // A picture another ticket has too.
    w.ticket.photo_hashes.clear();
    w.ticket.reused_photos = vec![after];
    let p = plan(&w.ticket, &w.engineer, &cmd).unwrap();
    assert_eq!((p.to, p.flags), (Status::InReview, vec![Flag::PhotoReused]));
}

#[test]
fn a_visit_of_two_minutes_is_flagged_but_not_held_back() {
    let mut w = world();
    to_on_site(&mut w);
    w.ticket.checked_in_at = Some(now() - Duration::minutes(2));
    let cmd = MoveCommand {
        report: Some(full_report(&w.ticket)),
        ..go(Status::Resolved)
    };
    let p = plan(&w.ticket, &w.engineer, &cmd).unwrap();
    assert_eq!((p.to, p.flags), (Status::Resolved, vec![Flag::ShortVisit]));
}

#[test]
fn only_the_assigned_engineer_may_work_the_order() {
    let mut w = world();
    let other = user(&[Role::Engineer]);
    let eng = w.engineer.user_id().unwrap();
    let p = plan(
        &w.ticket,
        &w.agent,
        &MoveCommand {
            assignee_id: Some(eng),
            ..go(Status::Assigned)
        },
    )
    .unwrap();
    w.ticket.apply(&p, now());
    assert_eq!(
        plan(&w.ticket, &other, &go(Status::Accepted)),
        Err(TransitionError::Forbidden)
    );
    assert_eq!(
        plan(&w.ticket, &w.agent, &go(Status::Accepted)),
        Err(TransitionError::Forbidden)
    );
    assert!(plan(&w.ticket, &w.engineer, &go(Status::Accepted)).is_ok());
}

#[test]
fn a_role_that_never_makes_a_move_is_forbidden_and_a_missing_row_is_not_allowed() {
    let w = world();
    let admin = user(&[Role::Admin]);
    assert_eq!(
        plan(&w.ticket, &admin, &go(Status::Closed)),
        Err(TransitionError::Forbidden)
    );
    assert_eq!(
        plan(&w.ticket, &w.agent, &go(Status::Closed)),
        Err(TransitionError::NotAllowed {
            from: Status::New,
            to: Status::Closed
        }),
        "agents may close, but not a new ticket"
    );
    assert_eq!(
        plan(&w.ticket, &w.customer, &go(Status::Assigned)),
        Err(TransitionError::Forbidden)
    );
    assert_eq!(
        plan(&w.ticket, &w.supervisor, &go(Status::InReview)),
        Err(TransitionError::NotAllowed {
            from: Status::New,
            to: Status::InReview
        }),
        "nobody asks for in_review: screening decides it"
    );
    let mut review = w.ticket.clone();
    review.status = Status::InReview;
    review.assignee_id = w.engineer.user_id();
    assert_eq!(
        plan(&review, &w.engineer, &go(Status::Resolved)),
        Err(TransitionError::Forbidden),
        "approving a report is the supervisor's move, not the engineer's"
    );
}

#[test]
fn reassigning_records_the_previous_engineer_and_refuses_the_same_one() {
    let mut w = world();
    let first = w.engineer.user_id().unwrap();
    let second = UserId::new();
    let p = plan(
        &w.ticket,
        &w.agent,
        &MoveCommand {
            assignee_id: Some(first),
            ..go(Status::Assigned)
        },
    )
    .unwrap();
    w.ticket.apply(&p, now());
    let same = plan(
        &w.ticket,
        &w.agent,
        &MoveCommand {
            assignee_id: Some(first),
            ..go(Status::Assigned)
        },
    );
    assert_eq!(
        same,
        Err(TransitionError::Invalid {
            field: "assignee_id",
            reason: "error.already_assigned"
        })
    );
    let p = plan(
        &w.ticket,
        &w.agent,
        &MoveCommand {
            assignee_id: Some(second),
            ..go(Status::Assigned)
        },
    )
    .unwrap();
    assert_eq!(
        (p.kind, p.from, p.to),
        (MoveKind::Reassign, Status::Assigned, Status::Assigned)
    );
    assert_eq!(p.data.previous_assignee_id, Some(Some(first)));
    assert_eq!(p.data.assignee_id, Some(second));
}

#[test]
fn assigning_to_someone_who_is_not_an_active_engineer_is_refused() {
    let w = world();
    let id = UserId::new();
    let cmd = MoveCommand {
        assignee_id: Some(id),
        ..go(Status::Assigned)
    };
    for facts in [
        AssigneeFacts {
            id,
            is_engineer: false,
            active: true,
        },
        AssigneeFacts {
            id,
            is_engineer: true,
            active: false,
        },
    ] {
        let e = plan_move(
            &w.ticket,
            &w.agent,
            &cmd,
            Some(facts),
            &LifecyclePolicy::default(),
            now(),
        );
        assert_eq!(
            e,
            Err(TransitionError::Invalid {
                field: "assignee_id",
                reason: "error.not_an_active_engineer"
            })
        );
    }
    let e = plan_move(
        &w.ticket,
        &w.agent,
        &cmd,
        None,
        &LifecyclePolicy::default(),
        now(),
    );
    assert_eq!(
        e,
        Err(TransitionError::Invalid {
            field: "assignee_id",
            reason: "error.unknown_id"
        })
    );
}

#[test]
fn an_agent_confirms_only_with_a_note_and_never_as_the_customer() {
    let mut w = world();
    w.ticket.status = Status::Resolved;
    let as_customer = MoveCommand {
        confirmation: Some(Confirmation {
            by: ConfirmedBy::Customer,
            note: None,
        }),
        ..go(Status::Closed)
    };
    assert_eq!(
        plan(&w.ticket, &w.agent, &as_customer).unwrap_err(),
        TransitionError::Invalid {
            field: "confirmation.by",
            reason: "error.confirmation_by_mismatch"
        }
    );
    let no_note = MoveCommand {
        confirmation: Some(Confirmation {
            by: ConfirmedBy::Agent,
            note: None,
        }),
        ..go(Status::Closed)
    };
    assert_eq!(
        plan(&w.ticket, &w.agent, &no_note).unwrap_err(),
        TransitionError::Missing {
            field: "confirmation.note"
        }
    );
    let ok = MoveCommand {
        confirmation: Some(Confirmation {
            by: ConfirmedBy::Agent,
            note: Some("客户电话确认已修好".into()),
        }),
        ..go(Status::Closed)
    };
    assert_eq!(
        plan(&w.ticket, &w.agent, &ok).unwrap().confirmed_by,
        Some(ConfirmedBy::Agent)
    );
}

#[test]
fn another_customer_cannot_confirm_and_the_timer_closes_as_auto() {
    let mut w = world();
    w.ticket.status = Status::Resolved;
    let stranger = Actor::User {
        id: UserId::new(),
        roles: [Role::Customer].into_iter().collect(),
        customer_id: Some(CustomerId::new()),
        region_id: None,
    };
    let confirm = MoveCommand {
        confirmation: Some(Confirmation {
            by: ConfirmedBy::Customer,
            note: None,
        }),
        ..go(Status::Closed)
    };
    assert_eq!(
        plan(&w.ticket, &stranger, &confirm),
        Err(TransitionError::Forbidden)
    );
    let p = plan(&w.ticket, &Actor::System, &go(Status::Closed)).unwrap();
    assert_eq!(
        (p.kind, p.confirmed_by),
        (MoveKind::AutoClose, Some(ConfirmedBy::Auto))
    );
}

#[test]
fn a_closed_ticket_reopens_with_a_reason_inside_the_window_only() {
    let mut w = world();
    w.ticket.status = Status::Closed;
    w.ticket.closed_at = Some(now() - Duration::days(29));
    let reopen = MoveCommand {
        reason: Some("又不制冷了".into()),
        ..go(Status::InProgress)
    };
    assert_eq!(
        plan(&w.ticket, &w.customer, &reopen).unwrap().kind,
        MoveKind::Reopen
    );
    assert_eq!(
        plan(&w.ticket, &w.customer, &go(Status::InProgress)),
        Err(TransitionError::Missing { field: "reason" })
    );
    w.ticket.closed_at = Some(now() - Duration::days(31));
    assert_eq!(
        plan(&w.ticket, &w.customer, &reopen),
        Err(TransitionError::Invalid {
            field: "to",
            reason: "error.reopen_window_expired"
        })
    );
}

fn offered(t: &TicketFacts, a: &Actor) -> Vec<MoveKind> {
    moves_for(a, t.standing(), &LifecyclePolicy::default(), now())
        .iter()
        .map(|r| r.kind)
        .collect()
}

#[test]
fn what_is_offered_is_what_the_table_accepts_reopen_window_included() {
    let mut w = world();
    w.ticket.status = Status::Resolved;
    assert_eq!(
        offered(&w.ticket, &w.customer),
        [MoveKind::Confirm, MoveKind::Reopen]
    );
    // A closed ticket offers the reopen too, while the window is open.
    w.ticket.status = Status::Closed;
    w.ticket.closed_at = Some(now() - Duration::days(29));
    assert_eq!(offered(&w.ticket, &w.customer), [MoveKind::Reopen]);
    w.ticket.closed_at = Some(now() - Duration::days(31));
    assert!(offered(&w.ticket, &w.customer).is_empty());
    // Another customer is offered nothing; the assigned engineer what the table gives them.
    let stranger = Actor::User {
        id: UserId::new(),
        roles: [Role::Customer].into_iter().collect(),
        customer_id: Some(CustomerId::new()),
        region_id: None,
    };
    w.ticket.status = Status::Resolved;
    assert!(offered(&w.ticket, &stranger).is_empty());
    w.ticket.status = Status::Assigned;
    let Actor::User { id, .. } = w.engineer else {
        panic!("a user")
    };
    w.ticket.assignee_id = Some(id);
    assert_eq!(
        offered(&w.ticket, &w.engineer),
        [MoveKind::Decline, MoveKind::Accept]
    );
    assert!(offered(&w.ticket, &user(&[Role::Engineer])).is_empty());
}

proptest! {
    /// Every move on offer is one the planner takes for that actor: it may ask for the data
    /// the move carries, never refuse the move itself.
    #[test]
    fn every_offered_move_is_accepted_by_the_planner(status in arb_status(), who in arb_who()) {
        let mut w = world();
        let Actor::User { id, .. } = w.engineer else { panic!("a user") };
        w.ticket.status = status;
        w.ticket.assignee_id = Some(id);
        w.ticket.closed_at = (status == Status::Closed).then(now);
        let actor = match who {
            Who4::Agent => w.agent.clone(),
            Who4::Dispatcher => user(&[Role::Dispatcher]),
            Who4::Supervisor => w.supervisor.clone(),
            Who4::Admin => user(&[Role::Admin]),
            Who4::Manager => user(&[Role::Manager]),
            Who4::Engineer => w.engineer.clone(),
            Who4::OtherEngineer => user(&[Role::Engineer]),
            Who4::Customer => w.customer.clone(),
            Who4::OtherCustomer => Actor::User { id: UserId::new(), roles: [Role::Customer].into_iter().collect(), customer_id: Some(CustomerId::new()), region_id: None },
            Who4::System => Actor::System,
        };
        for rule in moves_for(&actor, w.ticket.standing(), &LifecyclePolicy::default(), now()) {
            let refused = plan(&w.ticket, &actor, &go(rule.to));
            prop_assert!(
                !matches!(refused, Err(TransitionError::Forbidden | TransitionError::NotAllowed { .. })),
                "{:?} offered {:?} from {status:?} but the planner says {refused:?}", who, rule.kind
            );
        }
    }
}

#[test]
fn data_for_another_move_is_refused_not_dropped() {
    let mut w = world();
    to_on_site(&mut w);
    let cmd = MoveCommand {
        report: Some(full_report(&w.ticket)),
        ..go(Status::InProgress)
    };
    assert_eq!(
        plan(&w.ticket, &w.engineer, &cmd),
        Err(TransitionError::Invalid {
            field: "report",
            reason: "error.not_expected_for_move"
        })
    );
}

#[test]
fn cancelling_needs_a_reason_and_is_possible_from_every_open_status() {
    let w = world();
    for s in Status::OPEN {
        let mut t = w.ticket.clone();
        t.status = s;
        let p = plan(
            &t,
            &w.supervisor,
            &MoveCommand {
                reason: Some("客户撤单".into()),
                ..go(Status::Cancelled)
            },
        );
        assert_eq!(p.map(|p| p.to), Ok(Status::Cancelled), "from {s}");
    }
    let mut t = w.ticket.clone();
    t.status = Status::Closed;
    assert!(matches!(
        plan(&t, &w.supervisor, &go(Status::Cancelled)),
        Err(TransitionError::NotAllowed { .. })
    ));
}

#[test]
fn the_customer_withdraws_their_request_only_while_nobody_was_sent() {
    let w = world();
    let withdraw = MoveCommand {
        reason: Some("已自行解决".into()),
        ..go(Status::Cancelled)
    };
    let mut t = w.ticket.clone();
    t.status = Status::New;
    assert_eq!(
        plan(&t, &w.customer, &withdraw).map(|p| p.kind),
        Ok(MoveKind::Cancel)
    );
    assert_eq!(
        plan(&t, &w.customer, &go(Status::Cancelled)),
        Err(TransitionError::Missing { field: "reason" })
    );
    for s in Status::OPEN.into_iter().filter(|s| *s != Status::New) {
        t.status = s;
        assert_eq!(
            plan(&t, &w.customer, &withdraw),
            Err(TransitionError::Forbidden),
            "from {s}"
        );
    }
    // Another customer's request is not theirs to withdraw.
    let mut other = w.ticket.clone();
    other.status = Status::New;
    other.customer_id = Some(CustomerId::new());
    assert!(plan(&other, &w.customer, &withdraw).is_err());
}

#[test]
fn every_rule_names_a_real_move_and_no_rule_leaves_a_final_status() {
    for r in RULES {
        assert!(!r.from.is_empty() && !r.who.is_empty(), "{:?}", r.kind);
        assert!(!r.from.contains(&Status::Cancelled), "{:?}", r.kind);
        if r.from.contains(&Status::Closed) {
            assert_eq!(r.kind, MoveKind::Reopen, "only a reopen leaves closed");
        }
    }
}

// ---- property tests ------------------------------------------------------------------

fn arb_status() -> impl Strategy<Value = Status> {
    prop::sample::select(Status::ALL.to_vec())
}

#[derive(Clone, Debug)]
enum Who4 {
    Agent,
    Dispatcher,
    Supervisor,
    Admin,
    Manager,
    Engineer,
    OtherEngineer,
    Customer,
    OtherCustomer,
    System,
}

fn arb_who() -> impl Strategy<Value = Who4> {
    prop_oneof![
        Just(Who4::Agent),
        Just(Who4::Dispatcher),
        Just(Who4::Supervisor),
        Just(Who4::Admin),
        Just(Who4::Manager),
        Just(Who4::Engineer),
        Just(Who4::OtherEngineer),
        Just(Who4::Customer),
        Just(Who4::OtherCustomer),
        Just(Who4::System),
    ]
}

/// A random request: a status, and each kind of data present or not.
fn arb_cmd() -> impl Strategy<Value = (Status, u8, bool, bool)> {
    (arb_status(), any::<u8>(), any::<bool>(), any::<bool>())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// No sequence of requests reaches a state the table forbids, every applied move is in the
    /// table for its actor, a close always carries a confirmation, `resolved` is only reached
    /// through a complete report or a supervisor's approval, and the event log records every
    /// applied move with a from/to chain that matches the ticket's history.
    #[test]
    fn random_sequences_only_make_moves_the_table_allows(
        steps in prop::collection::vec((arb_who(), arb_cmd()), 1..60)
    ) {
        let mut w = world();
        let other_eng = user(&[Role::Engineer]);
        let other_cust = Actor::User { id: UserId::new(), roles: [Role::Customer].into_iter().collect(), customer_id: Some(CustomerId::new()), region_id: None };
        let mut log: Vec<(Status, Status, MoveKind)> = Vec::new();
        let mut at = now();
        for (who, (to, data_bits, with_reason, with_note)) in steps {
            at += Duration::minutes(7);
            let actor = match who {
                Who4::Agent => w.agent.clone(),
                Who4::Dispatcher => user(&[Role::Dispatcher]),
                Who4::Supervisor => w.supervisor.clone(),
                Who4::Admin => user(&[Role::Admin]),
                Who4::Manager => user(&[Role::Manager]),
                Who4::Engineer => w.engineer.clone(),
                Who4::OtherEngineer => other_eng.clone(),
                Who4::Customer => w.customer.clone(),
                Who4::OtherCustomer => other_cust.clone(),
                Who4::System => Actor::System,
            };
            let engineer_id = if data_bits & 1 == 0 { w.engineer.user_id() } else { other_eng.user_id() };
            let mut report = full_report(&w.ticket);
            report.remote = data_bits & 32 != 0;
            if data_bits & 64 != 0 { report.signature_id = None; }
            let cmd = MoveCommand {
                to: Some(to),
                note: with_note.then(|| "note".to_owned()),
                reason: with_reason.then(|| "reason".to_owned()),
                assignee_id: if data_bits & 2 != 0 { engineer_id } else { None },
                check_in: (data_bits & 4 != 0).then_some(CheckIn { lat: 31.23, lon: 121.47, accuracy_m: None }),
                report: (data_bits & 8 != 0).then_some(report),
                confirmation: (data_bits & 16 != 0).then(|| Confirmation {
                    by: if matches!(who, Who4::Agent) { ConfirmedBy::Agent } else { ConfirmedBy::Customer },
                    note: with_note.then(|| "客户确认".to_owned()),
                }),
                client_at: None,
            };
            let before = w.ticket.clone();
            let result = plan_move(&w.ticket, &actor, &cmd, cmd.assignee_id.map(engineer_facts), &LifecyclePolicy::default(), at);
            match result {
                Ok(p) => {
                    // The row the move was made by: its kind, from here, naming this actor.
                    let rule = RULES
                        .iter()
                        .find(|r| {
                            r.kind == p.kind
                                && r.from.contains(&before.status)
                                && r.who.iter().any(|w| actor.is(*w, before.standing()))
                        });
                    prop_assert!(rule.is_some(), "no row of the table made {:?}", p.kind);
                    let rule = rule.unwrap();
                    prop_assert_eq!(p.from, before.status);
                    prop_assert!(p.to == rule.to || (rule.kind == MoveKind::Resolve && p.to == Status::InReview));
                    if p.to == Status::Closed { prop_assert!(p.confirmed_by.is_some()); }
                    if p.to == Status::Resolved {
                        prop_assert!(p.report.is_some() || p.kind == MoveKind::Approve);
                    }
                    if p.to == Status::OnSite { prop_assert!(p.check_in.is_some()); }
                    log.push((p.from, p.to, p.kind));
                    w.ticket.apply(&p, at);
                }
                Err(_) => prop_assert_eq!(&w.ticket, &before, "a refused move changes nothing"),
            }
            if before.status == Status::Cancelled {
                prop_assert_eq!(w.ticket.status, Status::Cancelled, "nothing leaves cancelled");
            }
        }
        // The log is a chain: each move starts where the previous one ended.
        let mut status = Status::New;
        for (from, to, _) in &log {
            prop_assert_eq!(*from, status);
            status = *to;
        }
        prop_assert_eq!(status, w.ticket.status);
    }

    /// Whatever the status and whoever asks, the planner answers (no panic), and a success
    /// is always backed by a table row.
    #[test]
    fn the_planner_never_panics_and_never_invents_a_move(from in arb_status(), to in arb_status(), who in arb_who()) {
        let mut w = world();
        w.ticket.status = from;
        w.ticket.assignee_id = w.engineer.user_id();
        let actor = match who {
            Who4::Engineer => w.engineer.clone(),
            Who4::Customer => w.customer.clone(),
            Who4::System => Actor::System,
            _ => w.agent.clone(),
        };
        if let Ok(p) = plan(&w.ticket, &actor, &go(to)) {
            prop_assert!(rules_between(from, to).any(|r| r.kind == p.kind));
        }
    }
}

#[test]
fn a_flag_holds_the_report_only_when_the_tenant_made_it_blocking() {
    let mut w = world();
    to_on_site(&mut w);
    w.ticket.report.asset_model = Some("X9".into());
    w.ticket.report.part_models = vec![("CAP-35UF".into(), vec!["K3".into()])];
    let cmd = MoveCommand {
        report: Some(full_report(&w.ticket)),
        ..go(Status::Resolved)
    };
    let held = plan(&w.ticket, &w.engineer, &cmd).unwrap();
    assert_eq!(
        (held.to, held.flags.clone()),
        (Status::InReview, vec![Flag::PartNotForModel])
    );
    assert_eq!(held.data.findings[0].about["sku"], "CAP-35UF");
    let lenient = LifecyclePolicy {
        blocking: crate::screening::Blocking::NONE,
        ..LifecyclePolicy::default()
    };
    let assignee = cmd.assignee_id.map(engineer_facts);
    let p = plan_move(&w.ticket, &w.engineer, &cmd, assignee, &lenient, now()).unwrap();
    assert_eq!(
        (p.to, p.flags),
        (Status::Resolved, vec![Flag::PartNotForModel])
    );
    // A short visit held back when the tenant says so.
    w.ticket.checked_in_at = Some(now() - Duration::minutes(2));
    w.ticket.report = crate::screening::ReportFacts::default();
    let strict = LifecyclePolicy {
        blocking: crate::screening::Blocking::of(&[Flag::ShortVisit]),
        ..LifecyclePolicy::default()
    };
    let p = plan_move(&w.ticket, &w.engineer, &cmd, None, &strict, now()).unwrap();
    assert_eq!((p.to, p.flags), (Status::InReview, vec![Flag::ShortVisit]));
}
