//! What customers and staff are told, on which channel, in their language: the milestone
//! notices, the recipient's preferences, and the message texts.

use crate::i18n::{self, Lang};
use crate::validate::FieldError;
use crate::Status;
use serde::{Deserialize, Serialize};

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
    /// The closing notice carries the service report (a PDF by e-mail): the customer keeps
    /// the record of what was done with the word that it is done.
    pub fn carries_service_report(self) -> bool {
        self == Notice::Closed
    }

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

/// The text of a published comment the customer gets by mail: a public reply by staff (a
/// customer's own words, an internal note or the system's are not sent).
pub fn reply_for_customer<'a>(event: &str, data: &'a serde_json::Value) -> Option<&'a str> {
    let public_by_staff =
        event == "ticket.commented" && data["by"] == "staff" && data["internal"] == false;
    public_by_staff
        .then(|| data["body"].as_str())
        .flatten()
        .filter(|b| !b.trim().is_empty())
}

/// The mail of a staff reply, in the customer's language: the reply, and how to answer (by
/// replying, keeping the number in the subject).
pub fn reply_message(lang: Lang, about: About<'_>, reply: &str) -> Message {
    let args = [("number", about.number), ("subject", about.subject)];
    Message {
        subject: format!(
            "[{}] {}",
            about.number,
            i18n::tf(lang, "notice.reply.subject", &args)
        ),
        body: format!(
            "{reply}\n\n--\n{}",
            i18n::tf(lang, "notice.reply.body", &args)
        ),
    }
}

/// A message as a chat line (WeCom, WeChat): the subject, then the text.
pub fn chat_text(m: &Message) -> String {
    format!("{}\n{}", m.subject, m.body.trim())
}

/// A milestone notice as a WeChat template message fills it in (for a customer WeChat no
/// longer lets the account write to freely).
pub fn chat_template(lang: Lang, notice: Notice, about: About<'_>) -> crate::job::ChatTemplate {
    let args = [("number", about.number), ("subject", about.subject)];
    crate::job::ChatTemplate {
        headline: i18n::tf(lang, &format!("notice.{}.subject", notice.as_str()), &args),
        number: about.number.to_owned(),
        subject: about.subject.to_owned(),
        link: about.link.map(str::to_owned),
    }
}

/// A staff reply as a chat line: the ticket's number and the reply (an answer in the chat
/// comes back onto the ticket by itself).
pub fn chat_reply(about: About<'_>, reply: &str) -> String {
    format!("[{}] {reply}", about.number)
}

/// The mail to an admin whose support mailbox keeps failing to be fetched.
pub fn channel_alert(lang: Lang, name: &str, error: &str) -> Message {
    let args = [("name", name), ("error", error)];
    Message {
        subject: i18n::tf(lang, "staff.channel_failing.subject", &args),
        body: i18n::tf(lang, "staff.channel_failing.body", &args),
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
        "ticket.urgent" => "urgent",
        _ => return None,
    };
    let level = data["level"].as_i64().unwrap_or(0).to_string();
    let target = data["target"]
        .as_str()
        .map(|t| i18n::t(lang, &format!("sla.target.{t}")).to_owned())
        .unwrap_or_default();
    let signals = data["signals"]
        .as_array()
        .map(|s| {
            s.iter()
                .filter_map(|w| w.as_str())
                .collect::<Vec<_>>()
                .join("、")
        })
        .unwrap_or_default();
    let args = [
        ("number", about.number),
        ("subject", about.subject),
        ("level", level.as_str()),
        ("target", target.as_str()),
        ("signals", signals.as_str()),
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
pub(crate) fn choice<T: Default>(
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
