use super::*;
use serde_json::json;

#[test]
fn every_kind_has_one_code_and_the_recurring_ones_carry_nothing() {
    for k in JobKind::ALL {
        assert_eq!(JobKind::parse(k.as_str()), Some(*k));
        if k.is_recurring() {
            let job = Job::parse(*k, &json!({}));
            assert!(matches!(job, Ok(Job::Recurring(r)) if r == *k), "{job:?}");
        }
    }
    assert_eq!(JobKind::parse("nothing"), None);
}

#[test]
fn payloads_read_back_as_written_and_a_wrong_one_names_its_kind() {
    let survey = Job::Survey(SurveyDue {
        ticket_id: TicketId::new(),
        round: 1,
    });
    let back = Job::parse(JobKind::Survey, &survey.payload());
    assert_eq!(back.ok(), Some(survey));
    let mail = json!({ "to": "a@b.cn", "subject": "s", "body": "b" });
    assert_eq!(
        Job::parse(JobKind::Mail, &mail).ok().map(|j| j.payload()),
        Some(mail)
    );
    let Err(e) = Job::parse(JobKind::Webhook, &json!({ "body": 1 })) else {
        panic!("a delivery without its endpoint read")
    };
    assert_eq!(e.kind, JobKind::Webhook);
}
