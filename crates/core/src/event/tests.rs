use chrono::{TimeZone, Utc};
use serde_json::json;

use super::payload::*;
use super::*;
use crate::sla::Target;
use crate::ticket::transitions::{
    CheckIn, CheckInRecord, Confirmation, ConfirmedBy, Flag, PartUsed,
};
use crate::{CommentId, RequisitionId, UserId, WarehouseId};

fn round_trip(p: &Payload) -> Value {
    let data = p.data();
    let back = Payload::parse(p.kind(), &data).expect("reads back");
    assert_eq!(&back, p, "{} does not read back as written", p.kind());
    data
}

use serde_json::Value;

#[test]
fn every_kind_has_one_code_and_parses_back() {
    for k in EventKind::ALL {
        assert_eq!(EventKind::parse(k.as_str()), Some(*k));
        assert_eq!(serde_json::to_value(k).ok(), Some(json!(k.as_str())));
    }
    let mut codes: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), EventKind::ALL.len(), "two kinds share a code");
    assert_eq!(EventKind::parse("no_such_kind"), None);
}

#[test]
fn the_moves_are_kinds_of_their_own_under_the_move_codes() {
    for m in MoveKind::ALL {
        let k = EventKind::of_move(m);
        assert_eq!(k.as_str(), m.as_str());
        assert_eq!(k.move_kind(), Some(m));
    }
    assert_eq!(EventKind::Comment.move_kind(), None);
}

#[test]
fn payloads_keep_the_json_the_api_has_always_shown() {
    let e1 = UserId::new();
    // An assignment names the engineer before, `null` when there was none.
    let assign = Payload::Move(
        MoveKind::Assign,
        MoveData {
            assignee_id: Some(e1),
            previous_assignee_id: Some(None),
            ..MoveData::default()
        },
    );
    assert_eq!(
        round_trip(&assign),
        json!({ "assignee_id": e1, "previous_assignee_id": null })
    );
    // A move that carries nothing writes an empty object; a note when there is one.
    let accept = Payload::Move(MoveKind::Accept, MoveData::default());
    assert_eq!(round_trip(&accept), json!({}));
    let noted = Payload::Move(
        MoveKind::SendBack,
        MoveData {
            note: Some("照片不清楚".into()),
            ..MoveData::default()
        },
    );
    assert_eq!(round_trip(&noted), json!({ "note": "照片不清楚" }));
    // A confirmation keeps its note, null or not.
    let confirm = Payload::Move(
        MoveKind::Confirm,
        MoveData {
            confirmation: Some(Confirmation {
                by: ConfirmedBy::Customer,
                note: None,
            }),
            ..MoveData::default()
        },
    );
    assert_eq!(
        round_trip(&confirm),
        json!({ "confirmation": { "by": "customer", "note": null } })
    );
    let resolve = Payload::Move(
        MoveKind::Resolve,
        MoveData {
            remote: Some(false),
            resolution: Some("更换压缩机".into()),
            parts: Some(vec![PartUsed {
                sku: "CMP-1".into(),
                qty: 1,
            }]),
            photos: Some(2),
            screened_to_review: Some(true),
            flags: vec![Flag::ShortVisit],
            ..MoveData::default()
        },
    );
    assert_eq!(
        round_trip(&resolve),
        json!({ "remote": false, "resolution": "更换压缩机", "parts": [{ "sku": "CMP-1", "qty": 1 }],
                "photos": 2, "screened_to_review": true, "flags": ["short_visit"] })
    );
    let check_in = Payload::Move(
        MoveKind::CheckIn,
        MoveData {
            check_in: Some(CheckInRecord {
                position: CheckIn {
                    lat: 31.2,
                    lon: 121.4,
                    accuracy_m: Some(8.0),
                },
                distance_m: Some(12.5),
                outside_geofence: false,
            }),
            ..MoveData::default()
        },
    );
    assert_eq!(
        round_trip(&check_in),
        json!({ "check_in": { "lat": 31.2, "lon": 121.4, "accuracy_m": 8.0, "distance_m": 12.5, "outside_geofence": false } })
    );
}

#[test]
fn an_escalation_carries_its_reach_and_a_warning_does_not() {
    let at = Utc.with_ymd_and_hms(2026, 12, 4, 2, 0, 0).single();
    let Some(at) = at else { panic!("a valid time") };
    let warning = Payload::SlaWarning(SlaMark {
        target: Target::Arrival,
        due: Some(at),
        at,
        escalation: None,
    });
    assert_eq!(
        round_trip(&warning),
        json!({ "target": "arrival", "due": "2026-12-04T02:00:00Z", "at": "2026-12-04T02:00:00Z" })
    );
    let escalated = Payload::Escalated(SlaMark {
        target: Target::Resolution,
        due: None,
        at,
        escalation: Some(Escalation {
            level: 2,
            notify_roles: vec![Role::Manager],
            region_id: None,
        }),
    });
    assert_eq!(
        round_trip(&escalated),
        json!({ "target": "resolution", "due": null, "at": "2026-12-04T02:00:00Z",
                "level": 2, "notify_roles": ["manager"], "region_id": null })
    );
}

#[test]
fn the_other_payloads_read_back_as_written() {
    let requisition = RequisitionId::new();
    let van = WarehouseId::new();
    for p in [
        Payload::Comment(Comment {
            comment_id: CommentId::new(),
            body: "已联系客户".into(),
            internal: true,
            channel: None,
            from: None,
        }),
        Payload::Chased(Chased {
            note: None,
            status: Status::Assigned,
            assignee_id: Some(UserId::new()),
        }),
        Payload::SurveyAnswered(SurveyAnswered {
            survey_id: "s".into(),
            csat: Some(2),
            nps: Some(4),
            comment: None,
        }),
        Payload::RemediationOpened(RemediationOpened {
            reasons: vec![
                crate::followup::Remediation::LowCsat,
                crate::followup::Remediation::Detractor,
            ],
        }),
        Payload::PartsApproved(PartsApproved {
            requisition_id: requisition,
            van_id: van,
            items: vec![PartLine {
                sku: "F-1".into(),
                qty: 2,
                from_warehouse_id: Some(WarehouseId::new()),
            }],
            automatic: true,
        }),
        Payload::PartsReceived(PartsReceived {
            requisition_id: requisition,
        }),
    ] {
        round_trip(&p);
    }
}

#[test]
fn data_of_the_wrong_shape_is_refused_with_its_kind() {
    let wrong = Payload::parse(EventKind::Comment, &json!({ "body": 3 }));
    let Err(e) = wrong else {
        panic!("a comment without an id read as {wrong:?}")
    };
    assert_eq!(e.kind, EventKind::Comment);
}

fn event(payload: &Payload, to: Option<Status>, by: By, internal: bool) -> bool {
    Event {
        payload,
        at: 0,
        to,
        by,
        internal,
    }
    .answers_customer()
}

#[test]
fn only_staff_answer_the_customer_and_only_past_dispatch_or_in_public() {
    let accept = Payload::Move(MoveKind::Accept, MoveData::default());
    let assign = Payload::Move(MoveKind::Assign, MoveData::default());
    let cancel = Payload::Move(MoveKind::Cancel, MoveData::default());
    let reply = |internal| {
        Payload::Comment(Comment {
            comment_id: CommentId::new(),
            body: "x".into(),
            internal,
            channel: None,
            from: None,
        })
    };
    assert!(event(&accept, Some(Status::Accepted), By::Staff, false));
    assert!(!event(&assign, Some(Status::Assigned), By::Staff, false));
    assert!(!event(&cancel, Some(Status::Cancelled), By::Staff, false));
    assert!(event(&reply(false), None, By::Staff, false));
    assert!(!event(&reply(true), None, By::Staff, true));
    // The customer's own reply, and whatever the system does, answer nobody.
    assert!(!event(&reply(false), None, By::Customer, false));
    let reopen = Payload::Move(MoveKind::Reopen, MoveData::default());
    assert!(!event(
        &reopen,
        Some(Status::InProgress),
        By::Customer,
        false
    ));
    let auto_close = Payload::Move(MoveKind::AutoClose, MoveData::default());
    assert!(!event(&auto_close, Some(Status::Closed), By::System, false));
}

/// Every kind has an audience; what the customer may read of each kind's data is its own
/// short list, and the rest (positions, internal reasons, review flags) never reaches them.
#[test]
fn the_customer_reads_only_their_part_of_every_kind() {
    let staff_only = [
        EventKind::Decline,
        EventKind::Approve,
        EventKind::SendBack,
        EventKind::PriorityChanged,
        EventKind::CategoryChanged,
        EventKind::TeamTransferred,
        EventKind::DispatchOverride,
        EventKind::AcceptTimeout,
        EventKind::SlaWarning,
        EventKind::SlaBreached,
        EventKind::Escalated,
        EventKind::SurveySent,
        EventKind::RemediationOpened,
        EventKind::RemediationDone,
        EventKind::PartsRequested,
        EventKind::PartsApproved,
        EventKind::PartsRejected,
        EventKind::PartsReceived,
        // How the customer's words read is the organisation's business.
        EventKind::UrgencySignalled,
    ];
    let everything = serde_json::json!({
        "number": "T-1", "channel": "phone", "priority": 1, "assignee_id": "u",
        "previous_assignee_id": "v", "reason": "r", "note": "internal note",
        "check_in": {"lat": 31.2, "lon": 121.5}, "flags": ["far_from_site"],
        "screened_to_review": true, "resolution": "fixed", "proposed_engineer_id": "p",
        "body": "hi", "comment_id": "c", "csat": 5,
    });
    for kind in EventKind::ALL.iter().copied() {
        let seen = kind.customer_view(&everything);
        if staff_only.contains(&kind) {
            assert_eq!(kind.audience(), Audience::Staff, "{kind:?}");
            assert_eq!(seen, None, "{kind:?}");
            continue;
        }
        assert_eq!(kind.audience(), Audience::Everyone, "{kind:?}");
        let seen = seen.unwrap();
        let keys: Vec<&str> = seen
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        for key in &keys {
            assert!(kind.customer_fields().contains(key), "{kind:?} shows {key}");
        }
        for hidden in [
            "check_in",
            "flags",
            "note",
            "screened_to_review",
            "previous_assignee_id",
            "proposed_engineer_id",
            "priority",
        ] {
            // A chase's note is the customer's own words.
            if (kind, hidden) == (EventKind::Chased, "note") {
                continue;
            }
            assert!(!keys.contains(&hidden), "{kind:?} shows {hidden}");
        }
    }
    let reassign = EventKind::Reassign.customer_view(&everything).unwrap();
    assert_eq!(
        reassign,
        serde_json::json!({"assignee_id": "u"}),
        "no internal reason"
    );
    let cancel = EventKind::Cancel.customer_view(&everything).unwrap();
    assert_eq!(cancel, serde_json::json!({"reason": "r"}));
}

#[test]
fn a_rework_is_pending_from_a_send_back_until_the_next_report() {
    use EventKind::*;
    let sent_back = [Created, Assign, Accept, CheckIn, Resolve, SendBack, Comment];
    assert_eq!(pending_rework(Status::InProgress, &sent_back), Some(5));
    // Once the report goes again, nothing is pending, whatever the status.
    let again = [Created, Resolve, SendBack, Resolve];
    assert_eq!(pending_rework(Status::InProgress, &again), None);
    assert_eq!(pending_rework(Status::InReview, &again), None);
    // Sent back but since moved on (cancelled, say): nothing to redo.
    assert_eq!(pending_rework(Status::Cancelled, &sent_back), None);
    assert_eq!(pending_rework(Status::InProgress, &[Created, Accept]), None);
}
