//! Ticket events (DESIGN §2): the append-only log of what happened to a ticket — its trace,
//! and the source of every KPI.
//!
//! Every kind is an [`EventKind`], and every kind's data is a type of [`payload`]: the store
//! writes a [`Payload`] as the event's `kind` and `data` (the JSON the API shows), and the KPI
//! fold and the SLA read it back typed through [`Payload::parse`]. Nobody spells a kind as a
//! string but [`EventKind::as_str`].

use serde::{Deserialize, Serialize};

use crate::ticket::status::Status;
use crate::ticket::transitions::{Actor, MoveKind};
use crate::Role;

pub mod payload;
#[cfg(test)]
mod tests;

pub use payload::Payload;

macro_rules! event_kinds {
    ($($(#[$doc:meta])* $name:ident = $code:literal),* $(,)?) => {
        /// What happened to a ticket. The moves of the transition table are kinds of their own
        /// ([`EventKind::of_move`]), under the same code names.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum EventKind {
            $($(#[$doc])* #[serde(rename = $code)] $name,)*
        }

        impl EventKind {
            /// Every kind.
            pub const ALL: &'static [EventKind] = &[$(EventKind::$name),*];

            /// The code name: the event's stored `kind`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(EventKind::$name => $code,)*
                }
            }
        }
    };
}

event_kinds! {
    /// The request was recorded.
    Created = "created",
    /// 派工.
    Assign = "assign",
    /// 转派.
    Reassign = "reassign",
    /// Another visit after work began.
    Redispatch = "redispatch",
    /// The engineer turned the order down.
    Decline = "decline",
    /// 接单.
    Accept = "accept",
    /// 出发.
    Depart = "depart",
    /// 到场签到.
    CheckIn = "check_in",
    /// Work began on site.
    Start = "start",
    /// An agent took the request to solve it remotely.
    TakeRemote = "take_remote",
    /// 等待配件.
    WaitParts = "wait_parts",
    /// 等待客户.
    WaitCustomer = "wait_customer",
    /// Work went on after waiting.
    Resume = "resume",
    /// A work report was submitted.
    Resolve = "resolve",
    /// A supervisor approved a report under review.
    Approve = "approve",
    /// A supervisor sent a report back.
    SendBack = "send_back",
    /// The customer (or an agent for them) confirmed the fix.
    Confirm = "confirm",
    /// Closed by the timer.
    AutoClose = "auto_close",
    /// Not fixed after all, or a closed ticket came back.
    Reopen = "reopen",
    /// 取消.
    Cancel = "cancel",
    /// A reply or an internal note.
    Comment = "comment",
    /// A file was attached.
    Attachment = "attachment",
    /// The customer asked about progress (催单).
    Chased = "chased",
    /// The priority changed (and the SLA with it).
    PriorityChanged = "priority_changed",
    /// The category changed (and the SLA with it), by a person or by the model's guess.
    CategoryChanged = "category_changed",
    /// The ticket went to another team.
    TeamTransferred = "team_transferred",
    /// A person assigned someone other than the dispatch engine's proposal.
    DispatchOverride = "dispatch_override",
    /// The engineer did not accept in time; automatic dispatch moves on.
    AcceptTimeout = "accept_timeout",
    /// An SLA target turned yellow.
    SlaWarning = "sla_warning",
    /// An SLA target was breached.
    SlaBreached = "sla_breached",
    /// An escalation level was notified.
    Escalated = "escalated",
    /// A survey went out.
    SurveySent = "survey_sent",
    /// The customer answered the survey.
    SurveyAnswered = "survey_answered",
    /// The ticket went into the remediation queue.
    RemediationOpened = "remediation_opened",
    /// Remediation was done.
    RemediationDone = "remediation_done",
    /// Parts were requested for the ticket (申领).
    PartsRequested = "parts_requested",
    /// The parts request was approved and the parts reserved.
    PartsApproved = "parts_approved",
    /// The parts request was turned down.
    PartsRejected = "parts_rejected",
    /// The parts arrived in the engineer's van.
    PartsReceived = "parts_received",
    /// This ticket was a duplicate and went into another (it is cancelled).
    Merged = "merged",
    /// A duplicate went into this ticket.
    MergedIn = "merged_in",
    /// The customer's words read urgent (尽快, 着急, 投诉, 12315 …): the supervisors are told.
    UrgencySignalled = "urgency_signalled",
}

// The document shows the code names (a derive inside the macro would not see the renames).
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for EventKind {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .enum_values(Some(EventKind::ALL.iter().map(|k| k.as_str())))
            .description(Some("What happened to a ticket (the event's code name)."))
            .build()
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for EventKind {}

/// Who may read an event of a kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Staff and the customer (with [`EventKind::customer_fields`] of its data).
    Everyone,
    /// Staff only: how the organisation runs the ticket (dispatch, SLA, review, parts,
    /// remediation) is not the customer's business.
    Staff,
}

impl EventKind {
    /// Parses a code name.
    pub fn parse(text: &str) -> Option<EventKind> {
        EventKind::ALL.iter().copied().find(|k| k.as_str() == text)
    }

    /// Who may read an event of this kind (a comment's own `internal` flag decides further).
    pub fn audience(self) -> Audience {
        use EventKind::*;
        match self {
            Created | Assign | Reassign | Redispatch | Accept | Depart | CheckIn | Start
            | TakeRemote | WaitParts | WaitCustomer | Resume | Resolve | Confirm | AutoClose
            | Reopen | Cancel | Comment | Attachment | Chased | SurveyAnswered | Merged
            | MergedIn => Audience::Everyone,
            Decline | Approve | SendBack | PriorityChanged | CategoryChanged | TeamTransferred
            | DispatchOverride | AcceptTimeout | SlaWarning | SlaBreached | Escalated
            | SurveySent | RemediationOpened | RemediationDone | PartsRequested | PartsApproved
            | PartsRejected | PartsReceived | UrgencySignalled => Audience::Staff,
        }
    }

    /// The fields of the data the customer sees of an event they may read: who comes, what
    /// was done, why they wait or why it was cancelled — never where the engineer stood
    /// (the check-in's position), a reassignment's internal reason, review flags or notes.
    pub fn customer_fields(self) -> &'static [&'static str] {
        use EventKind::*;
        match self {
            Created => &["number", "channel"],
            Assign | Reassign | Redispatch => &["assignee_id"],
            Resolve => &["remote", "resolution", "parts", "photos"],
            Confirm => &["confirmation"],
            WaitParts | WaitCustomer | Reopen | Cancel => &["reason"],
            Comment => &["comment_id", "body", "channel", "from"],
            Attachment => &["attachment_id", "kind", "filename", "content_type"],
            Chased => &["note"],
            SurveyAnswered => &["csat", "nps", "comment"],
            Merged | MergedIn => &["ticket_id", "number"],
            _ => &[],
        }
    }

    /// An event's data as the customer sees it (none when they may not see the event).
    pub fn customer_view(self, data: &serde_json::Value) -> Option<serde_json::Value> {
        if self.audience() == Audience::Staff {
            return None;
        }
        let keep = self.customer_fields();
        let mut out = serde_json::Map::new();
        if let Some(fields) = data.as_object() {
            for (k, v) in fields {
                if keep.contains(&k.as_str()) {
                    out.insert(k.clone(), v.clone());
                }
            }
        }
        Some(serde_json::Value::Object(out))
    }

    /// The kind of the events a move writes.
    pub fn of_move(kind: MoveKind) -> EventKind {
        match kind {
            MoveKind::Assign => EventKind::Assign,
            MoveKind::Reassign => EventKind::Reassign,
            MoveKind::Redispatch => EventKind::Redispatch,
            MoveKind::Decline => EventKind::Decline,
            MoveKind::Accept => EventKind::Accept,
            MoveKind::Depart => EventKind::Depart,
            MoveKind::CheckIn => EventKind::CheckIn,
            MoveKind::Start => EventKind::Start,
            MoveKind::TakeRemote => EventKind::TakeRemote,
            MoveKind::WaitParts => EventKind::WaitParts,
            MoveKind::WaitCustomer => EventKind::WaitCustomer,
            MoveKind::Resume => EventKind::Resume,
            MoveKind::Resolve => EventKind::Resolve,
            MoveKind::Approve => EventKind::Approve,
            MoveKind::SendBack => EventKind::SendBack,
            MoveKind::Confirm => EventKind::Confirm,
            MoveKind::AutoClose => EventKind::AutoClose,
            MoveKind::Reopen => EventKind::Reopen,
            MoveKind::Cancel => EventKind::Cancel,
        }
    }

    /// The move behind the kind, for the kinds the transition table writes.
    pub fn move_kind(self) -> Option<MoveKind> {
        MoveKind::ALL
            .iter()
            .copied()
            .find(|m| EventKind::of_move(*m) == self)
    }

    /// The kinds that (re)assign an engineer.
    pub const ASSIGNMENTS: [EventKind; 3] = [
        EventKind::Assign,
        EventKind::Reassign,
        EventKind::Redispatch,
    ];
}

/// Of a ticket in `status` whose log holds these kinds (oldest first): the position of the
/// review's send-back the engineer still has to answer. A rework is pending when the last
/// verdict on the report (a resolve or a send-back) is a send-back and the ticket is back in
/// progress; `None` otherwise.
pub fn pending_rework(status: Status, log: &[EventKind]) -> Option<usize> {
    if status != Status::InProgress {
        return None;
    }
    let last = log
        .iter()
        .rposition(|k| matches!(k, EventKind::SendBack | EventKind::Resolve))?;
    (log[last] == EventKind::SendBack).then_some(last)
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who made an event, as far as the rules care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum By {
    /// The customer's contact.
    Customer,
    /// Staff: agents, engineers, dispatchers, supervisors, admins.
    Staff,
    /// The job runner (auto-close, SLA marks, surveys), or a customer through a signed link
    /// without signing in.
    System,
}

impl By {
    /// The code name (`customer`, `staff`, `system`), as published events carry it.
    pub fn as_str(self) -> &'static str {
        match self {
            By::Customer => "customer",
            By::Staff => "staff",
            By::System => "system",
        }
    }

    /// Who `actor` is.
    pub fn of(actor: &Actor) -> By {
        match actor {
            Actor::System => By::System,
            Actor::User { roles, .. } if roles.has(Role::Customer) => By::Customer,
            Actor::User { .. } => By::Staff,
        }
    }
}

/// One ticket event as the rules read it.
#[derive(Clone, Copy, Debug)]
pub struct Event<'a> {
    /// What happened, with its data.
    pub payload: &'a Payload,
    /// When, in ms since the epoch.
    pub at: i64,
    /// The status a move went to (`None` for events that are not moves).
    pub to: Option<Status>,
    /// Who.
    pub by: By,
    /// An internal note (not seen by the customer).
    pub internal: bool,
}

impl Event<'_> {
    /// The event's kind.
    pub fn kind(&self) -> EventKind {
        self.payload.kind()
    }

    /// True when the event answers the customer; the first such event is the ticket's first
    /// response, for the SLA's first-response target and for the FRT KPI alike (DESIGN §3:
    /// "first agent/engineer response — first outbound contact, acceptance, or a public
    /// reply"). It is a public reply by staff, or a move by staff that takes the ticket past
    /// dispatch (acceptance, departure, arrival, work, waiting, resolution); not a (re)assignment
    /// or a cancellation, which tell the customer nothing of their problem.
    ///
    /// Only staff respond. The customer's own acts do not, and neither does the system: an
    /// automatic dispatch, an SLA mark or an auto-close is not a person answering, and counting
    /// it would let a timer meet the promise the SLA makes on a person's behalf.
    pub fn answers_customer(&self) -> bool {
        if self.by != By::Staff {
            return false;
        }
        match self.kind() {
            EventKind::Comment => !self.internal,
            _ => self.to.is_some_and(|to| {
                !matches!(to, Status::New | Status::Assigned | Status::Cancelled)
            }),
        }
    }
}
