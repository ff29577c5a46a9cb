//! After the work: what the customer hears at each milestone and on which channel, the
//! satisfaction survey (its signed link, its answer, and what a bad or a glowing answer
//! sets off), and when an unconfirmed fix closes by itself.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::i18n::{self, Lang};
use crate::ticket::transitions::{Actor, MoveKind};
use crate::validate::FieldError;
use crate::{Role, Status};

fn fail<T>(field: &'static str, reason: &'static str) -> Result<T, FieldError> {
    Err(FieldError { field, reason })
}

/// A milestone the customer is told of (已受理 … 已关闭), or the survey.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    /// 已受理: the request is recorded.
    Accepted,
    /// 已派工: an engineer is assigned.
    Assigned,
    /// 工程师已出发.
    EnRoute,
    /// 已到场.
    OnSite,
    /// 已完成待确认: fixed, please confirm.
    Resolved,
    /// 已关闭.
    Closed,
    /// The survey link.
    Survey,
}

impl Notice {
    /// The code name (in `customer.notice` deliveries).
    pub fn as_str(self) -> &'static str {
        match self {
            Notice::Accepted => "accepted",
            Notice::Assigned => "assigned",
            Notice::EnRoute => "en_route",
            Notice::OnSite => "on_site",
            Notice::Resolved => "resolved",
            Notice::Closed => "closed",
            Notice::Survey => "survey",
        }
    }

    /// The notice an outbox event means for the customer, if any: creation, the moves to
    /// `assigned` (a reassignment is not news to them), `en_route`, `on_site`, `resolved` and
    /// `closed`, and a sent survey.
    pub fn of_event(event: &str, data: &serde_json::Value) -> Option<Notice> {
        match event {
            "ticket.created" => Some(Notice::Accepted),
            "survey.sent" => Some(Notice::Survey),
            "ticket.status_changed" => {
                if data["from"] == data["to"] {
                    return None;
                }
                match Status::parse(data["to"].as_str()?)? {
                    Status::Assigned => Some(Notice::Assigned),
                    Status::EnRoute => Some(Notice::EnRoute),
                    Status::OnSite => Some(Notice::OnSite),
                    Status::Resolved => Some(Notice::Resolved),
                    Status::Closed => Some(Notice::Closed),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

/// How a contact wants to hear from us.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// E-mail, sent by Loopdesk over SMTP.
    #[default]
    Email,
    /// SMS, through a gateway subscribed to `customer.notice` webhooks.
    Sms,
    /// WeChat, through a bot subscribed to `customer.notice` webhooks.
    Wechat,
    /// Nothing is sent.
    None,
}

impl Channel {
    /// The code name.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Wechat => "wechat",
            Channel::None => "none",
        }
    }

    /// Parses a code name.
    pub fn parse(s: &str) -> Option<Channel> {
        Some(match s {
            "email" => Channel::Email,
            "sms" => Channel::Sms,
            "wechat" => Channel::Wechat,
            "none" => Channel::None,
            _ => return None,
        })
    }
}

/// A contact as far as telling them something needs.
#[derive(Clone, Debug, Default)]
pub struct Recipient {
    /// Preferred channel.
    pub channel: Channel,
    /// Language.
    pub lang: Lang,
    /// E-mail address.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// WeChat id.
    pub wechat_id: Option<String>,
}

impl Recipient {
    /// The address on the preferred channel, if the contact has one.
    pub fn address(&self) -> Option<&str> {
        match self.channel {
            Channel::Email => self.email.as_deref(),
            Channel::Sms => self.phone.as_deref(),
            Channel::Wechat => self.wechat_id.as_deref(),
            Channel::None => None,
        }
        .filter(|a| !a.trim().is_empty())
    }
}

/// A message ready to send: a subject (with the ticket number in brackets, so replies can
/// be threaded) and a plain-text body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Subject line.
    pub subject: String,
    /// Body.
    pub body: String,
}

/// What a ticket message is about.
#[derive(Clone, Copy, Debug)]
pub struct About<'a> {
    /// The ticket number.
    pub number: &'a str,
    /// The ticket's subject.
    pub subject: &'a str,
    /// The survey link, for [`Notice::Survey`].
    pub link: Option<&'a str>,
}

/// The customer's message for a notice, in their language.
pub fn customer_message(lang: Lang, notice: Notice, about: About<'_>) -> Message {
    let args = [
        ("number", about.number),
        ("subject", about.subject),
        ("link", about.link.unwrap_or("")),
    ];
    let key = notice.as_str();
    Message {
        subject: format!(
            "[{}] {}",
            about.number,
            i18n::tf(lang, &format!("notice.{key}.subject"), &args)
        ),
        body: i18n::tf(lang, &format!("notice.{key}.body"), &args),
    }
}

/// The message for a member of staff about an outbox event, if staff hear of it by mail.
pub fn staff_message(
    lang: Lang,
    event: &str,
    data: &serde_json::Value,
    about: About<'_>,
) -> Option<Message> {
    let key = match event {
        "ticket.assigned" => "assigned",
        "ticket.chased" => "chased",
        "sla.escalated" => "escalated",
        "ticket.remediation" => "remediation",
        _ => return None,
    };
    let level = data["level"].as_i64().unwrap_or(0).to_string();
    let target = data["target"]
        .as_str()
        .map(|t| i18n::t(lang, &format!("sla.target.{t}")).to_owned())
        .unwrap_or_default();
    let args = [
        ("number", about.number),
        ("subject", about.subject),
        ("level", level.as_str()),
        ("target", target.as_str()),
    ];
    Some(Message {
        subject: format!(
            "[{}] {}",
            about.number,
            i18n::tf(lang, &format!("staff.{key}.subject"), &args)
        ),
        body: i18n::tf(lang, &format!("staff.{key}.body"), &args),
    })
}

/// How a member of staff wants to hear of what concerns them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StaffChannel {
    /// The bell in the app.
    #[default]
    App,
    /// The bell and an e-mail.
    Email,
}

impl StaffChannel {
    /// The code name.
    pub fn as_str(self) -> &'static str {
        match self {
            StaffChannel::App => "app",
            StaffChannel::Email => "email",
        }
    }

    /// Parses a code name.
    pub fn parse(s: &str) -> Option<StaffChannel> {
        match s {
            "app" => Some(StaffChannel::App),
            "email" => Some(StaffChannel::Email),
            _ => None,
        }
    }
}

/// A choice given by code name, checked; the default when none is given.
fn choice<T: Default>(
    given: Option<&str>,
    parse: impl Fn(&str) -> Option<T>,
    field: &'static str,
    reason: &'static str,
) -> Result<T, FieldError> {
    match given {
        None => Ok(T::default()),
        Some(g) => parse(g).ok_or(FieldError { field, reason }),
    }
}

/// Checks a contact's channel and language (e-mail and zh-CN unless given).
pub fn contact_prefs(
    channel: Option<&str>,
    lang: Option<&str>,
) -> Result<(Channel, Lang), FieldError> {
    Ok((
        choice(
            channel,
            Channel::parse,
            "contacts.notify_channel",
            "error.notify_channel",
        )?,
        choice(lang, Lang::from_tag, "contacts.lang", "error.lang")?,
    ))
}

/// Checks a member of staff's channel and language (the app and zh-CN unless given).
pub fn staff_prefs(
    channel: Option<&str>,
    lang: Option<&str>,
) -> Result<(StaffChannel, Lang), FieldError> {
    Ok((
        choice(
            channel,
            StaffChannel::parse,
            "notify_channel",
            "error.staff_channel",
        )?,
        choice(lang, Lang::from_tag, "lang", "error.lang")?,
    ))
}

/// A tenant's after-resolution knobs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FollowUp {
    /// Days a resolved ticket waits for the customer before it closes by itself (1–90).
    pub auto_close_days: i64,
    /// Minutes after `resolved` the survey goes out (0–1440: always within 24 hours).
    pub survey_delay_minutes: i64,
    /// Days a survey link stays valid (1–60).
    pub survey_valid_days: i64,
}

impl Default for FollowUp {
    fn default() -> Self {
        FollowUp {
            auto_close_days: 7,
            survey_delay_minutes: 60,
            survey_valid_days: 14,
        }
    }
}

impl FollowUp {
    /// Checks the ranges.
    pub fn checked(self) -> Result<FollowUp, FieldError> {
        if !(1..=90).contains(&self.auto_close_days) {
            return fail("auto_close_days", "error.auto_close_days");
        }
        if !(0..=1440).contains(&self.survey_delay_minutes) {
            return fail("survey_delay_minutes", "error.survey_delay");
        }
        if !(1..=60).contains(&self.survey_valid_days) {
            return fail("survey_valid_days", "error.survey_valid_days");
        }
        Ok(self)
    }

    /// When a ticket resolved at `resolved_at` closes by itself.
    pub fn auto_close_at(&self, resolved_at: DateTime<Utc>) -> DateTime<Utc> {
        resolved_at + Duration::days(self.auto_close_days)
    }

    /// The latest resolution time that is due for auto-close at `now`.
    pub fn auto_close_cutoff(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - Duration::days(self.auto_close_days)
    }

    /// When the survey of a ticket resolved at `resolved_at` goes out.
    pub fn survey_at(&self, resolved_at: DateTime<Utc>) -> DateTime<Utc> {
        resolved_at + Duration::minutes(self.survey_delay_minutes)
    }

    /// Until when a survey sent at `sent_at` can be answered.
    pub fn survey_expires(&self, sent_at: DateTime<Utc>) -> DateTime<Utc> {
        sent_at + Duration::days(self.survey_valid_days)
    }
}

/// A customer's answer to the survey.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SurveyAnswer {
    /// Satisfaction, 1 (very unhappy) to 5 (very happy).
    pub csat: i64,
    /// Likelihood to recommend, 0 to 10.
    pub nps: i64,
    /// Anything else they want to say (up to 2,000 characters).
    #[serde(default)]
    pub comment: Option<String>,
}

impl SurveyAnswer {
    /// Checks the ranges; a blank comment counts as none.
    pub fn checked(mut self) -> Result<SurveyAnswer, FieldError> {
        if !(1..=5).contains(&self.csat) {
            return fail("csat", "error.survey_csat");
        }
        if !(0..=10).contains(&self.nps) {
            return fail("nps", "error.survey_nps");
        }
        self.comment = self
            .comment
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty());
        if self
            .comment
            .as_ref()
            .is_some_and(|c| c.chars().count() > 2000)
        {
            return fail("comment", "error.too_long");
        }
        Ok(self)
    }
}

/// Why a ticket went into the remediation queue (补救通道).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Remediation {
    /// CSAT of 2 or less.
    LowCsat,
    /// NPS of 6 or less (a detractor).
    Detractor,
    /// The customer said it is not fixed.
    NotFixed,
}

impl Remediation {
    /// The code name (in the `remediation_opened` event).
    pub fn as_str(self) -> &'static str {
        match self {
            Remediation::LowCsat => "low_csat",
            Remediation::Detractor => "detractor",
            Remediation::NotFixed => "not_fixed",
        }
    }
}

/// What an answer sets off.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Triage {
    /// Reasons to open remediation (none: no remediation).
    pub remediation: Vec<Remediation>,
    /// The customer joins the loyalty programme.
    pub loyal: bool,
}

/// CSAT ≤ 2 or NPS ≤ 6 opens remediation; CSAT 5 with NPS ≥ 9 tags the customer loyal.
pub fn triage(answer: &SurveyAnswer) -> Triage {
    let mut remediation = Vec::new();
    if answer.csat <= 2 {
        remediation.push(Remediation::LowCsat);
    }
    if answer.nps <= 6 {
        remediation.push(Remediation::Detractor);
    }
    Triage {
        remediation,
        loyal: answer.csat == 5 && answer.nps >= 9,
    }
}

/// True while the survey of resolution `round` is still to be sent: the ticket is resolved or
/// closed and has not been reopened since (a new resolution brings its own survey); a
/// cancelled or reopened ticket gets none.
pub fn survey_still_due(status: Status, reopen_count: i64, round: i64) -> bool {
    matches!(status, Status::Resolved | Status::Closed) && reopen_count == round
}

/// A reopen by the customer ("not fixed") opens remediation; one by staff does not.
pub fn reopen_remediation(kind: MoveKind, actor: &Actor) -> Option<Remediation> {
    (kind == MoveKind::Reopen && actor.has(Role::Customer)).then_some(Remediation::NotFixed)
}

/// The tag that marks a customer for the loyalty programme.
pub const LOYALTY_TAG: &str = "loyalty";

/// The token of a survey link: the survey id and an HMAC-SHA256 of it under the tenant's
/// survey key. Nobody without the key can make one; the expiry is kept with the survey.
pub fn survey_token(key: &str, survey_id: &str) -> String {
    format!("{survey_id}.{}", hex::encode(survey_mac(key, survey_id)))
}

/// The survey id a token names, without checking it (to find the key).
pub fn survey_token_id(token: &str) -> Option<&str> {
    token.split_once('.').map(|(id, _)| id)
}

/// Checks a token in constant time.
pub fn verify_survey_token(key: &str, token: &str) -> bool {
    let Some((id, sig)) = token.split_once('.') else {
        return false;
    };
    let Ok(bytes) = hex::decode(sig) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key.as_bytes()) else {
        return false;
    };
    mac.update(b"survey:");
    mac.update(id.as_bytes());
    mac.verify_slice(&bytes).is_ok()
}

fn survey_mac(key: &str, survey_id: &str) -> Vec<u8> {
    // HMAC takes a key of any length; this cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key.as_bytes()) else {
        return Vec::new();
    };
    mac.update(b"survey:");
    mac.update(survey_id.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// Why a survey cannot be answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SurveyClosed {
    /// Answered already.
    Answered,
    /// The link has expired.
    Expired,
}

/// Whether a survey can still be answered at `now`.
pub fn survey_open(
    answered: bool,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), SurveyClosed> {
    if answered {
        Err(SurveyClosed::Answered)
    } else if now >= expires_at {
        Err(SurveyClosed::Expired)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
}
