//! What each kind of ticket event carries: its `data`, as the API shows it. A field that is
//! an `Option` without `skip` is written as `null` when empty (the API has always shown it);
//! one with `skip` is left out.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::EventKind;
use crate::followup::Remediation;
use crate::sla::Target;
use crate::ticket::channel::Channel;
use crate::ticket::status::Status;
use crate::ticket::transitions::{
    AttachmentKind, CheckInRecord, Confirmation, Flag, MoveKind, PartUsed,
};
use crate::{
    AttachmentId, CommentId, RegionId, RequisitionId, Role, TeamId, TicketId, UserId, WarehouseId,
};

/// An event's kind with its data.
#[derive(Clone, Debug, PartialEq)]
pub enum Payload {
    /// `created`.
    Created(Created),
    /// A move of the transition table.
    Move(MoveKind, MoveData),
    /// `comment`.
    Comment(Comment),
    /// `attachment`.
    Attachment(Attachment),
    /// `chased`.
    Chased(Chased),
    /// `urgency_signalled`.
    UrgencySignalled(UrgencySignalled),
    /// `priority_changed`.
    PriorityChanged(PriorityChanged),
    /// `category_changed`.
    CategoryChanged(CategoryChanged),
    /// `team_transferred`.
    TeamTransferred(TeamTransferred),
    /// `dispatch_override`.
    DispatchOverride(DispatchOverride),
    /// `accept_timeout`.
    AcceptTimeout(AcceptTimeout),
    /// `sla_warning`.
    SlaWarning(SlaMark),
    /// `sla_breached`.
    SlaBreached(SlaMark),
    /// `escalated`.
    Escalated(SlaMark),
    /// `survey_sent`.
    SurveySent(SurveySent),
    /// `survey_answered`.
    SurveyAnswered(SurveyAnswered),
    /// `remediation_opened`.
    RemediationOpened(RemediationOpened),
    /// `remediation_done`.
    RemediationDone(RemediationDone),
    /// `parts_requested`.
    PartsRequested(PartsRequested),
    /// `parts_approved`.
    PartsApproved(PartsApproved),
    /// `parts_rejected`.
    PartsRejected(PartsRejected),
    /// `parts_received`.
    PartsReceived(PartsReceived),
    /// `merged`: the ticket this one went into.
    Merged(MergedTicket),
    /// `merged_in`: the ticket that went into this one.
    MergedIn(MergedTicket),
}

/// Data that does not read as its kind's type.
#[derive(Debug, thiserror::Error)]
#[error("the data of a `{kind}` event: {error}")]
pub struct BadPayload {
    /// The kind.
    pub kind: EventKind,
    /// What serde said.
    pub error: serde_json::Error,
}

impl Payload {
    /// The event's kind.
    pub fn kind(&self) -> EventKind {
        match self {
            Payload::Created(_) => EventKind::Created,
            Payload::Move(kind, _) => EventKind::of_move(*kind),
            Payload::Comment(_) => EventKind::Comment,
            Payload::Attachment(_) => EventKind::Attachment,
            Payload::Chased(_) => EventKind::Chased,
            Payload::UrgencySignalled(_) => EventKind::UrgencySignalled,
            Payload::PriorityChanged(_) => EventKind::PriorityChanged,
            Payload::CategoryChanged(_) => EventKind::CategoryChanged,
            Payload::TeamTransferred(_) => EventKind::TeamTransferred,
            Payload::DispatchOverride(_) => EventKind::DispatchOverride,
            Payload::AcceptTimeout(_) => EventKind::AcceptTimeout,
            Payload::SlaWarning(_) => EventKind::SlaWarning,
            Payload::SlaBreached(_) => EventKind::SlaBreached,
            Payload::Escalated(_) => EventKind::Escalated,
            Payload::SurveySent(_) => EventKind::SurveySent,
            Payload::SurveyAnswered(_) => EventKind::SurveyAnswered,
            Payload::RemediationOpened(_) => EventKind::RemediationOpened,
            Payload::RemediationDone(_) => EventKind::RemediationDone,
            Payload::PartsRequested(_) => EventKind::PartsRequested,
            Payload::PartsApproved(_) => EventKind::PartsApproved,
            Payload::PartsRejected(_) => EventKind::PartsRejected,
            Payload::PartsReceived(_) => EventKind::PartsReceived,
            Payload::Merged(_) => EventKind::Merged,
            Payload::MergedIn(_) => EventKind::MergedIn,
        }
    }

    /// The event's `data`.
    pub fn data(&self) -> Value {
        serde_json::from_str(&self.data_text()).unwrap_or(Value::Null)
    }

    /// The event's `data`, as JSON text.
    pub fn data_text(&self) -> String {
        let text = match self {
            Payload::Created(d) => serde_json::to_string(d),
            Payload::Move(_, d) => serde_json::to_string(d),
            Payload::Comment(d) => serde_json::to_string(d),
            Payload::Attachment(d) => serde_json::to_string(d),
            Payload::Chased(d) => serde_json::to_string(d),
            Payload::UrgencySignalled(d) => serde_json::to_string(d),
            Payload::PriorityChanged(d) => serde_json::to_string(d),
            Payload::CategoryChanged(d) => serde_json::to_string(d),
            Payload::TeamTransferred(d) => serde_json::to_string(d),
            Payload::DispatchOverride(d) => serde_json::to_string(d),
            Payload::AcceptTimeout(d) => serde_json::to_string(d),
            Payload::SlaWarning(d) | Payload::SlaBreached(d) | Payload::Escalated(d) => {
                serde_json::to_string(d)
            }
            Payload::SurveySent(d) => serde_json::to_string(d),
            Payload::SurveyAnswered(d) => serde_json::to_string(d),
            Payload::RemediationOpened(d) => serde_json::to_string(d),
            Payload::RemediationDone(d) => serde_json::to_string(d),
            Payload::PartsRequested(d) => serde_json::to_string(d),
            Payload::PartsApproved(d) => serde_json::to_string(d),
            Payload::PartsRejected(d) => serde_json::to_string(d),
            Payload::PartsReceived(d) => serde_json::to_string(d),
            Payload::Merged(d) | Payload::MergedIn(d) => serde_json::to_string(d),
        };
        // Plain structs of strings, numbers and ids with string keys: they always serialise.
        text.unwrap_or_else(|_| "null".to_owned())
    }

    /// Reads a stored event's data as its kind's type.
    pub fn parse(kind: EventKind, data: &Value) -> Result<Payload, BadPayload> {
        fn read<T: serde::de::DeserializeOwned>(
            kind: EventKind,
            data: &Value,
        ) -> Result<T, BadPayload> {
            T::deserialize(data).map_err(|error| BadPayload { kind, error })
        }
        Ok(match kind {
            EventKind::Created => Payload::Created(read(kind, data)?),
            EventKind::Comment => Payload::Comment(read(kind, data)?),
            EventKind::Attachment => Payload::Attachment(read(kind, data)?),
            EventKind::Chased => Payload::Chased(read(kind, data)?),
            EventKind::UrgencySignalled => Payload::UrgencySignalled(read(kind, data)?),
            EventKind::PriorityChanged => Payload::PriorityChanged(read(kind, data)?),
            EventKind::CategoryChanged => Payload::CategoryChanged(read(kind, data)?),
            EventKind::TeamTransferred => Payload::TeamTransferred(read(kind, data)?),
            EventKind::DispatchOverride => Payload::DispatchOverride(read(kind, data)?),
            EventKind::AcceptTimeout => Payload::AcceptTimeout(read(kind, data)?),
            EventKind::SlaWarning => Payload::SlaWarning(read(kind, data)?),
            EventKind::SlaBreached => Payload::SlaBreached(read(kind, data)?),
            EventKind::Escalated => Payload::Escalated(read(kind, data)?),
            EventKind::SurveySent => Payload::SurveySent(read(kind, data)?),
            EventKind::SurveyAnswered => Payload::SurveyAnswered(read(kind, data)?),
            EventKind::RemediationOpened => Payload::RemediationOpened(read(kind, data)?),
            EventKind::RemediationDone => Payload::RemediationDone(read(kind, data)?),
            EventKind::PartsRequested => Payload::PartsRequested(read(kind, data)?),
            EventKind::PartsApproved => Payload::PartsApproved(read(kind, data)?),
            EventKind::PartsRejected => Payload::PartsRejected(read(kind, data)?),
            EventKind::PartsReceived => Payload::PartsReceived(read(kind, data)?),
            EventKind::Merged => Payload::Merged(read(kind, data)?),
            EventKind::MergedIn => Payload::MergedIn(read(kind, data)?),
            _ => match kind.move_kind() {
                Some(m) => Payload::Move(m, read(kind, data)?),
                None => unreachable_kind(kind)?,
            },
        })
    }
}

/// Every kind that is not a move is matched above; this answers the impossible rest.
fn unreachable_kind(kind: EventKind) -> Result<Payload, BadPayload> {
    Err(BadPayload {
        kind,
        error: serde::de::Error::custom("no payload type for this kind"),
    })
}

/// Writes `Some(None)` as `null` and leaves `None` out (with `skip_serializing_if`); reads a
/// present field, `null` included, as `Some`.
mod present {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer, T: Serialize>(
        value: &Option<Option<T>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// `created`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Created {
    /// The ticket's number.
    pub number: String,
    /// How it came in.
    pub channel: Channel,
    /// 1–4.
    pub priority: i64,
}

/// What a move carries; which fields are there depends on the move (what the transition
/// table makes it need: an assignee, a check-in, a report, a confirmation, a reason).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MoveData {
    /// The engineer assigned (assign, reassign, redispatch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<UserId>,
    /// The engineer before (assignments and decline; `null` when there was none).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "present")]
    pub previous_assignee_id: Option<Option<UserId>>,
    /// The check-in (check_in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_in: Option<CheckInRecord>,
    /// A remote fix (resolve).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<bool>,
    /// What was done (resolve).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
    /// Parts used (resolve).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parts: Option<Vec<PartUsed>>,
    /// Photos attached to the report (resolve).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photos: Option<usize>,
    /// The report went to a supervisor (resolve).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screened_to_review: Option<bool>,
    /// Who confirmed the fix (confirm).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation: Option<Confirmation>,
    /// Why (decline, waiting, reopen, cancel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// A free note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Flags the move raised.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<Flag>,
    /// What screening found in a report, each with what it found it on (resolve).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<crate::screening::Finding>,
}

/// `comment`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comment {
    /// The comment.
    pub comment_id: CommentId,
    /// Its text.
    pub body: String,
    /// Staff only.
    pub internal: bool,
    /// The channel it came in on (`email`, `wecom` …) when the customer wrote there rather
    /// than on a page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Who wrote on that channel: their name and address as the message gave them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

/// `attachment`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    /// The file.
    pub attachment_id: AttachmentId,
    /// What it shows.
    pub kind: AttachmentKind,
    /// Its name.
    pub filename: String,
    /// Its media type.
    pub content_type: String,
}

/// `chased`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Chased {
    /// What the customer said.
    pub note: Option<String>,
    /// The status when chased.
    pub status: Status,
    /// The engineer then.
    pub assignee_id: Option<UserId>,
}

/// `urgency_signalled`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UrgencySignalled {
    /// `high` or `critical`.
    pub level: String,
    /// The words that drove it.
    pub signals: Vec<String>,
    /// Where they were said: `request`, `comment` or `survey`.
    pub source: String,
}

/// `priority_changed`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PriorityChanged {
    /// Before.
    pub from: i64,
    /// After.
    pub to: i64,
    /// Why.
    pub reason: Option<String>,
}

/// `category_changed`: set or corrected by a person (with their reason), confirmed by a
/// person (`from` = `to`), or guessed by the tenant's model (by the system, with its
/// confidence: a guess no person has confirmed is never training data).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CategoryChanged {
    /// Before.
    pub from: Option<String>,
    /// After.
    pub to: String,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The model's confidence, when it was the model's guess.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
}

/// `merged` and `merged_in`: the other ticket of a merge.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MergedTicket {
    /// Its id.
    pub ticket_id: TicketId,
    /// Its number.
    pub number: String,
}

/// `team_transferred`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TeamTransferred {
    /// The team before.
    pub from_team_id: Option<TeamId>,
    /// The team now.
    pub to_team_id: TeamId,
    /// Why.
    pub note: Option<String>,
}

/// `dispatch_override`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DispatchOverride {
    /// Whom the engine proposed (none: it had nobody).
    pub proposed_engineer_id: Option<UserId>,
    /// Whom the person chose.
    pub assignee_id: UserId,
    /// Why.
    pub reason: Option<String>,
}

/// `accept_timeout`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AcceptTimeout {
    /// The engineer who did not accept.
    pub engineer_id: Option<UserId>,
    /// The minutes they had.
    pub minutes: i64,
    /// The engineer the order goes to next.
    pub next: UserId,
}

/// `sla_warning`, `sla_breached` and `escalated`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SlaMark {
    /// Which promise.
    pub target: Target,
    /// When it is (was) due.
    pub due: Option<DateTime<Utc>>,
    /// When the mark fell due.
    pub at: DateTime<Utc>,
    /// For an escalation: its level and whom it reaches.
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub escalation: Option<Escalation>,
}

/// An escalation level's reach.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Escalation {
    /// 1, 2, …
    pub level: u8,
    /// The roles it notifies.
    pub notify_roles: Vec<Role>,
    /// The ticket's region (a supervisor is notified for their own).
    pub region_id: Option<RegionId>,
}

/// `survey_sent`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SurveySent {
    /// The survey.
    pub survey_id: String,
    /// Its link expires then.
    pub expires_at: DateTime<Utc>,
}

/// `survey_answered`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SurveyAnswered {
    /// The survey.
    #[serde(default)]
    pub survey_id: String,
    /// 1–5.
    pub csat: Option<i64>,
    /// 0–10.
    pub nps: Option<i64>,
    /// What they wrote.
    pub comment: Option<String>,
}

/// `remediation_opened`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RemediationOpened {
    /// Why.
    pub reasons: Vec<Remediation>,
}

/// `remediation_done`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RemediationDone {
    /// What was done.
    pub note: String,
}

/// A part and a quantity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartLine {
    /// The part's SKU.
    pub sku: String,
    /// How many.
    pub qty: i64,
    /// Where the reservation came from (approval).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_warehouse_id: Option<WarehouseId>,
}

/// `parts_requested`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartsRequested {
    /// The requisition.
    pub requisition_id: RequisitionId,
    /// What is asked for.
    pub items: Vec<PartLine>,
    /// Why.
    pub note: Option<String>,
}

/// `parts_approved`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartsApproved {
    /// The requisition.
    pub requisition_id: RequisitionId,
    /// The van the parts go to.
    pub van_id: WarehouseId,
    /// What was reserved, and where.
    pub items: Vec<PartLine>,
    /// Approved without a person (under the tenant's limit).
    pub automatic: bool,
}

/// `parts_rejected`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartsRejected {
    /// The requisition.
    pub requisition_id: RequisitionId,
    /// Why.
    pub reason: String,
}

/// `parts_received`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartsReceived {
    /// The requisition.
    pub requisition_id: RequisitionId,
}
