use super::*;
use crate::i18n::Lang;
use crate::{CustomerId, Roles, UserId};
use serde_json::json;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

#[test]
fn each_milestone_is_told_once_and_reassignment_is_not() {
    let moved = |from: &str, to: &str| {
        Notice::of_event("ticket.status_changed", &json!({"from": from, "to": to}))
    };
    assert_eq!(
        Notice::of_event("ticket.created", &json!({})),
        Some(Notice::Accepted)
    );
    assert_eq!(moved("new", "assigned"), Some(Notice::Assigned));
    assert_eq!(moved("assigned", "assigned"), None);
    assert_eq!(moved("accepted", "en_route"), Some(Notice::EnRoute));
    assert_eq!(moved("en_route", "on_site"), Some(Notice::OnSite));
    assert_eq!(moved("in_progress", "resolved"), Some(Notice::Resolved));
    assert_eq!(moved("resolved", "closed"), Some(Notice::Closed));
    assert_eq!(moved("assigned", "accepted"), None);
    assert_eq!(moved("on_site", "in_progress"), None);
    assert_eq!(Notice::of_event("sla.breached", &json!({})), None);
    assert_eq!(
        Notice::of_event("survey.sent", &json!({})),
        Some(Notice::Survey)
    );
}

#[test]
fn messages_carry_the_number_in_the_subject_in_both_languages() {
    let about = About {
        number: "20261124-0007",
        subject: "空调不制冷",
        link: Some("https://x.example/survey/abc"),
    };
    for lang in [Lang::ZhCn, Lang::En] {
        for notice in [
            Notice::Accepted,
            Notice::Assigned,
            Notice::EnRoute,
            Notice::OnSite,
            Notice::Resolved,
            Notice::Closed,
            Notice::Survey,
        ] {
            let m = customer_message(lang, notice, about);
            assert!(m.subject.starts_with("[20261124-0007] "), "{m:?}");
            assert!(!m.subject.contains("notice."), "untranslated: {m:?}");
            assert!(!m.body.contains('{'), "unfilled placeholder: {m:?}");
        }
        let survey = customer_message(lang, Notice::Survey, about);
        assert!(survey.body.contains("https://x.example/survey/abc"));
    }
    assert!(customer_message(Lang::ZhCn, Notice::OnSite, about)
        .subject
        .contains("已到场"));
    assert!(customer_message(Lang::En, Notice::OnSite, about)
        .subject
        .contains("arrived"));
    let esc = staff_message(
        Lang::En,
        "sla.escalated",
        &json!({"level": 2, "target": "resolution"}),
        about,
    )
    .unwrap();
    assert!(esc.subject.starts_with("[20261124-0007] "));
    assert!(esc.body.contains("level 2"), "{esc:?}");
    assert!(esc.body.contains("resolution"), "{esc:?}");
    assert!(staff_message(Lang::En, "ticket.commented", &json!({}), about).is_none());
}

#[test]
fn the_address_follows_the_channel() {
    let r = Recipient {
        channel: Channel::Sms,
        lang: Lang::ZhCn,
        email: Some("a@b.cn".into()),
        phone: Some("13800138000".into()),
        wechat_id: None,
    };
    assert_eq!(r.address(), Some("13800138000"));
    let wechat = Recipient {
        channel: Channel::Wechat,
        ..r.clone()
    };
    assert_eq!(wechat.address(), None);
    let none = Recipient {
        channel: Channel::None,
        ..r
    };
    assert_eq!(none.address(), None);
}

#[test]
fn answers_are_checked_and_triaged() {
    let a = |csat, nps| SurveyAnswer {
        csat,
        nps,
        comment: Some("  ".into()),
    };
    assert_eq!(a(0, 5).checked().unwrap_err().field, "csat");
    assert_eq!(a(6, 5).checked().unwrap_err().field, "csat");
    assert_eq!(a(3, 11).checked().unwrap_err().field, "nps");
    assert_eq!(a(3, -1).checked().unwrap_err().field, "nps");
    assert_eq!(a(3, 7).checked().unwrap().comment, None);
    let long = SurveyAnswer {
        comment: Some("长".repeat(2001)),
        ..a(3, 7)
    };
    assert_eq!(long.checked().unwrap_err().field, "comment");

    assert_eq!(triage(&a(3, 7)), Triage::default());
    assert_eq!(triage(&a(2, 7)).remediation, vec![Remediation::LowCsat]);
    assert_eq!(triage(&a(3, 6)).remediation, vec![Remediation::Detractor]);
    assert_eq!(
        triage(&a(1, 0)).remediation,
        vec![Remediation::LowCsat, Remediation::Detractor]
    );
    assert!(triage(&a(5, 9)).loyal);
    assert!(triage(&a(5, 10)).loyal);
    assert!(!triage(&a(5, 8)).loyal);
    assert!(!triage(&a(4, 10)).loyal);
}

#[test]
fn only_the_customers_reopen_opens_remediation() {
    let customer = Actor::User {
        id: UserId::new(),
        roles: [Role::Customer].into_iter().collect::<Roles>(),
        customer_id: Some(CustomerId::new()),
        region_id: None,
    };
    let agent = Actor::User {
        id: UserId::new(),
        roles: [Role::Agent].into_iter().collect::<Roles>(),
        customer_id: None,
        region_id: None,
    };
    assert_eq!(
        reopen_remediation(MoveKind::Reopen, &customer),
        Some(Remediation::NotFixed)
    );
    assert_eq!(reopen_remediation(MoveKind::Reopen, &agent), None);
    assert_eq!(reopen_remediation(MoveKind::Confirm, &customer), None);
}

#[test]
fn tokens_verify_only_with_their_key_and_id() {
    let t = survey_token("k1-0123456789abcdef", "0190-survey");
    assert!(verify_survey_token("k1-0123456789abcdef", &t));
    assert_eq!(survey_token_id(&t), Some("0190-survey"));
    assert!(!verify_survey_token("k2-0123456789abcdef", &t));
    let (_, sig) = t.split_once('.').unwrap();
    assert!(!verify_survey_token(
        "k1-0123456789abcdef",
        &format!("0190-other.{sig}")
    ));
    assert!(!verify_survey_token("k1-0123456789abcdef", "0190-survey"));
    assert!(!verify_survey_token(
        "k1-0123456789abcdef",
        "0190-survey.zz"
    ));
}

#[test]
fn timers_and_windows() {
    let f = FollowUp::default();
    let resolved = at("2026-11-20T10:00:00Z");
    assert_eq!(f.auto_close_at(resolved), at("2026-11-27T10:00:00Z"));
    assert_eq!(f.auto_close_cutoff(at("2026-11-27T10:00:00Z")), resolved);
    assert_eq!(f.survey_at(resolved), at("2026-11-20T11:00:00Z"));
    assert_eq!(
        f.survey_expires(at("2026-11-20T11:00:00Z")),
        at("2026-12-04T11:00:00Z")
    );
    let now = at("2026-11-21T00:00:00Z");
    assert_eq!(survey_open(false, at("2026-11-22T00:00:00Z"), now), Ok(()));
    assert_eq!(survey_open(false, now, now), Err(SurveyClosed::Expired));
    assert_eq!(
        survey_open(true, at("2026-11-22T00:00:00Z"), now),
        Err(SurveyClosed::Answered)
    );
    assert_eq!(
        FollowUp {
            auto_close_days: 0,
            ..f
        }
        .checked()
        .unwrap_err()
        .field,
        "auto_close_days"
    );
    assert_eq!(
        FollowUp {
            survey_delay_minutes: 1441,
            ..f
        }
        .checked()
        .unwrap_err()
        .field,
        "survey_delay_minutes"
    );
    assert!(f.checked().is_ok());
}

#[test]
fn a_fix_older_than_the_survey_window_gets_no_survey() {
    let f = FollowUp::default();
    let resolved = at("2026-09-01T10:00:00Z");
    // Due an hour after the fix; still sent up to 14 days after that.
    assert!(f.survey_in_time(resolved, at("2026-09-01T11:00:00Z")));
    assert!(f.survey_in_time(resolved, at("2026-09-15T11:00:00Z")));
    assert!(!f.survey_in_time(resolved, at("2026-09-15T11:00:01Z")));
    // 80 days later: none.
    assert!(!f.survey_in_time(resolved, resolved + Duration::days(80)));
}
