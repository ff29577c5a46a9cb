//! Background jobs (DESIGN §4): every kind the queue holds, with its payload. The store writes
//! them — the outbox entry of a change, a delivery the fan-out makes, a recurring job — and the
//! job runner reads them back as a [`Job`] and runs them. Nobody spells a kind as a string but
//! [`JobKind::as_str`].

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{MovementId, TicketId, WarehouseId};

macro_rules! job_kinds {
    ($($(#[$doc:meta])* $name:ident = $code:literal),* $(,)?) => {
        /// What a job does.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum JobKind {
            $($(#[$doc])* #[serde(rename = $code)] $name,)*
        }

        impl JobKind {
            /// Every kind.
            pub const ALL: &'static [JobKind] = &[$(JobKind::$name),*];

            /// The code name: the job's stored `kind`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(JobKind::$name => $code,)*
                }
            }
        }
    };
}

job_kinds! {
    /// Recurring: marks SLA warnings, breaches and escalations that fell due.
    SlaScan = "sla_scan",
    /// Recurring: closes fixes the customer left unconfirmed for too long.
    AutoClose = "auto_close",
    /// Recurring: deletes finished jobs after a while.
    JobsCleanup = "jobs_cleanup",
    /// Recurring: mails each tenant's managers last week's KPIs on Monday morning.
    KpiReport = "kpi_report",
    /// Recurring: makes the preventive maintenance work orders that are due.
    Maintenance = "maintenance",
    /// Recurring: automatic dispatch in the tenants that dispatch automatically.
    Dispatch = "dispatch",
    /// Recurring: trains each tenant's triage models again at night.
    TriageTrain = "triage_train",
    /// A change to tell the outside world of (the outbox entry): fanned out into webhook
    /// deliveries, the customer's notice, in-app notifications and staff mail.
    Publish = "publish",
    /// A warehouse's free stock of a part fell below its threshold.
    StockAlert = "stock_alert",
    /// One webhook delivery.
    Webhook = "webhook",
    /// One e-mail.
    Mail = "mail",
    /// One message to a customer on a chat platform (WeCom, WeChat).
    Chat = "chat",
    /// The survey of a resolved ticket falls due.
    Survey = "survey",
}

// The document shows the code names (a derive inside the macro would not see the renames).
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for JobKind {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .enum_values(Some(JobKind::ALL.iter().map(|k| k.as_str())))
            .description(Some("What a job does (its code name)."))
            .build()
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for JobKind {}

impl JobKind {
    /// The recurring kinds: one row each, made by whichever runner starts first, and put back
    /// in the queue after each run.
    pub const RECURRING: [JobKind; 7] = [
        JobKind::SlaScan,
        JobKind::AutoClose,
        JobKind::JobsCleanup,
        JobKind::KpiReport,
        JobKind::Maintenance,
        JobKind::Dispatch,
        JobKind::TriageTrain,
    ];

    /// Parses a code name.
    pub fn parse(text: &str) -> Option<JobKind> {
        JobKind::ALL.iter().copied().find(|k| k.as_str() == text)
    }

    /// True for the recurring kinds.
    pub fn is_recurring(self) -> bool {
        JobKind::RECURRING.contains(&self)
    }
}

impl std::fmt::Display for JobKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A job with its payload.
#[derive(Clone, Debug, PartialEq)]
pub enum Job {
    /// A recurring job (no payload).
    Recurring(JobKind),
    /// `publish`.
    Publish(Publish),
    /// `stock_alert`.
    StockAlert(StockAlert),
    /// `webhook`.
    Webhook(Delivery),
    /// `mail`.
    Mail(Mail),
    /// `chat`.
    Chat(ChatSend),
    /// `survey`.
    Survey(SurveyDue),
}

/// A payload that does not read as its kind's type.
#[derive(Debug, thiserror::Error)]
#[error("the payload of a `{kind}` job: {error}")]
pub struct BadJob {
    /// The kind.
    pub kind: JobKind,
    /// What serde said.
    pub error: serde_json::Error,
}

impl Job {
    /// The job's kind.
    pub fn kind(&self) -> JobKind {
        match self {
            Job::Recurring(kind) => *kind,
            Job::Publish(_) => JobKind::Publish,
            Job::StockAlert(_) => JobKind::StockAlert,
            Job::Webhook(_) => JobKind::Webhook,
            Job::Mail(_) => JobKind::Mail,
            Job::Chat(_) => JobKind::Chat,
            Job::Survey(_) => JobKind::Survey,
        }
    }

    /// The stored payload.
    pub fn payload(&self) -> Value {
        let value = match self {
            Job::Recurring(_) => Ok(Value::Object(serde_json::Map::new())),
            Job::Publish(p) => serde_json::to_value(p),
            Job::StockAlert(p) => serde_json::to_value(p),
            Job::Webhook(p) => serde_json::to_value(p),
            Job::Mail(p) => serde_json::to_value(p),
            Job::Chat(p) => serde_json::to_value(p),
            Job::Survey(p) => serde_json::to_value(p),
        };
        // Plain structs of strings, numbers and ids with string keys: they always serialise.
        value.unwrap_or(Value::Null)
    }

    /// Reads a stored job.
    pub fn parse(kind: JobKind, payload: &Value) -> Result<Job, BadJob> {
        fn read<T: serde::de::DeserializeOwned>(kind: JobKind, v: &Value) -> Result<T, BadJob> {
            T::deserialize(v).map_err(|error| BadJob { kind, error })
        }
        Ok(match kind {
            JobKind::Publish => Job::Publish(read(kind, payload)?),
            JobKind::StockAlert => Job::StockAlert(read(kind, payload)?),
            JobKind::Webhook => Job::Webhook(read(kind, payload)?),
            JobKind::Mail => Job::Mail(read(kind, payload)?),
            JobKind::Chat => Job::Chat(read(kind, payload)?),
            JobKind::Survey => Job::Survey(read(kind, payload)?),
            recurring => Job::Recurring(recurring),
        })
    }
}

/// `publish`: a change to a ticket, under the name webhooks subscribe to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Publish {
    /// The published event (`ticket.created`, `sla.escalated` …; see `notify::EVENTS`).
    pub event: String,
    /// The ticket.
    pub ticket_id: TicketId,
    /// What the event says.
    pub data: Value,
    /// When it happened, in ms since the epoch.
    pub at: i64,
}

/// `stock_alert`: free stock fell below a warehouse's threshold; its payload is the data
/// webhooks receive.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StockAlert {
    /// Always `stock.low`.
    pub event: String,
    /// The warehouse.
    pub warehouse_id: WarehouseId,
    /// The part.
    pub sku: String,
    /// Free stock after the movement.
    pub available: i64,
    /// The threshold.
    pub min_available: Option<i64>,
    /// The movement that crossed it.
    pub movement_id: MovementId,
    /// When, in ms since the epoch.
    pub at: i64,
}

/// `webhook`: one delivery, its body ready to sign and send.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// The endpoint.
    pub webhook_id: String,
    /// The delivery's id (the receiver's dedupe key).
    pub delivery: String,
    /// The event it carries.
    pub event: String,
    /// The JSON body.
    pub body: String,
}

/// `mail`: one e-mail.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mail {
    /// The address.
    pub to: String,
    /// Subject.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// A ticket whose service report (PDF) goes with the mail, made when it is sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_report: Option<ReportToAttach>,
    /// A table that goes with the mail as a CSV file: (file name, text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csv: Option<(String, String)>,
    /// The ticket the mail is about, so that an answer threads back to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<MailThread>,
}

/// `chat`: a message to a customer through a chat platform's message API, on the channel
/// they wrote from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChatSend {
    /// The channel (its app's credentials send it).
    pub channel_id: crate::ChannelId,
    /// The customer's id on the platform (a WeCom user id, a WeChat openid).
    pub to: String,
    /// What it says.
    pub text: String,
    /// A milestone notice's parts, for WeChat's template message when the customer is out
    /// of the 48 hours in which the account may send them service messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<ChatTemplate>,
}

/// A notice as a WeChat template message fills it in: `first` the headline, `keyword1` the
/// ticket's number, `keyword2` its subject, and the link to open (the survey).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChatTemplate {
    /// The headline ("您的服务请求已受理").
    pub headline: String,
    /// The ticket's number.
    pub number: String,
    /// The ticket's subject.
    pub subject: String,
    /// Where a tap on the message goes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// How a mail about a ticket threads: its own `Message-ID` names the ticket
/// (`inbound::mail::outbound_message_id`, with the sender's domain), and it answers the
/// customer's last mail on the ticket, if they wrote one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MailThread {
    /// The ticket.
    pub ticket_id: TicketId,
    /// Makes the `Message-ID` unique (the publishing job).
    pub nonce: String,
    /// The `Message-ID` (without brackets) of the customer's mail this one answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<String>,
    /// A notice sent on its own (`Auto-Submitted: auto-generated`, RFC 3834): the
    /// customer's auto-responder does not answer it. A person's reply is not marked.
    #[serde(default)]
    pub automatic: bool,
}

/// The service report a mail carries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportToAttach {
    /// The ticket.
    pub ticket_id: TicketId,
    /// The reader's language (`zh-CN`, `en`).
    pub lang: String,
}

/// `survey`: the survey of a ticket's resolution falls due.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SurveyDue {
    /// The ticket.
    pub ticket_id: TicketId,
    /// Which resolution (the ticket's reopen count then).
    pub round: i64,
}

#[cfg(test)]
#[path = "job_tests.rs"]
mod tests;

/// The states a queued job passes through, as the job list filters them.
pub const JOB_STATUSES: [&str; 5] = ["pending", "running", "done", "failed", "dead"];
