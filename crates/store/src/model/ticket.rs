//! A ticket as the API shows it: its row, its SLA, its history, its comments and files.

use crate::rows::parse_id;
use crate::{from_ms, StoreError};
use chrono::{DateTime, Utc};
use loopdesk_core::event::EventKind;
use loopdesk_core::sla::{SlaState, Target, TicketSla};
use loopdesk_core::{
    ticket::Channel, AssetId, AttachmentId, ContactId, CustomerId, RegionId, SiteId, SlaPolicyId,
    Status, TeamId, TicketId, UserId,
};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// Where the engineer checked in.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CheckInView {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Metres to the site.
    pub distance_m: Option<f64>,
    /// Beyond the site's geofence.
    pub outside_geofence: bool,
    /// When.
    pub at: DateTime<Utc>,
}

/// A work order.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Ticket {
    /// Id.
    pub id: TicketId,
    /// Human-readable number, e.g. `WO-20261124-00042`.
    pub number: String,
    /// Status.
    pub status: Status,
    /// Optimistic-locking version; send it back with a move.
    pub version: i64,
    /// P1 (most urgent) to P4.
    pub priority: i64,
    /// Intake channel.
    pub channel: Channel,
    /// Subject.
    pub subject: String,
    /// Description.
    pub description: String,
    /// Category code.
    pub category: Option<String>,
    /// The category is the tenant's model's guess, not yet confirmed or corrected by a person.
    pub category_guessed: bool,
    /// Category-specific fields.
    #[schema(value_type = Object)]
    pub fields: Value,
    /// Customer.
    pub customer_id: Option<CustomerId>,
    /// Contact.
    pub contact_id: Option<ContactId>,
    /// Caller's phone.
    pub contact_phone: Option<String>,
    /// Site.
    pub site_id: Option<SiteId>,
    /// Asset.
    pub asset_id: Option<AssetId>,
    /// Region.
    pub region_id: Option<RegionId>,
    /// Team.
    pub team_id: Option<TeamId>,
    /// Assigned engineer.
    pub assignee_id: Option<UserId>,
    /// Who recorded it.
    pub created_by: Option<UserId>,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Last move to `resolved`.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Last close.
    pub closed_at: Option<DateTime<Utc>>,
    /// `customer`, `agent` or `auto` for a closed ticket.
    pub confirmed_by: Option<String>,
    /// Times reopened.
    pub reopen_count: i64,
    /// On-site visits (check-ins).
    pub visit_count: i64,
    /// Flags for supervisors (e.g. `check_in_outside_geofence`, `short_visit`).
    pub flags: Vec<String>,
    /// The last check-in.
    pub check_in: Option<CheckInView>,
    /// `open` while the ticket is in the remediation queue (补救通道), `done` after.
    pub remediation: Option<String>,
    /// `in` or `out` of warranty when it came in (a ticket on an asset with a warranty date).
    pub warranty: Option<String>,
    /// Out of warranty: the repair is charged to the customer.
    pub chargeable: bool,
    /// Service-level promises and their state.
    pub sla: TicketSlaView,
    /// The ticket this duplicate went into (it is cancelled).
    pub merged_into: Option<TicketId>,
}

/// One entry of a ticket's history.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TicketEvent {
    /// Sequence (increasing).
    pub id: i64,
    /// What happened: `created`, a move kind (`assign`, `resolve` …), `comment`, …
    pub kind: EventKind,
    /// Who did it (absent for the system).
    pub actor: Option<UserId>,
    /// Their display name.
    pub actor_name: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
    /// Status before a move.
    pub from_status: Option<Status>,
    /// Status after a move.
    pub to_status: Option<Status>,
    /// Internal (hidden from customers).
    pub internal: bool,
    /// Details.
    #[schema(value_type = Object)]
    pub data: Value,
}

/// A ticket with its history.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TicketDetail {
    /// The ticket.
    #[serde(flatten)]
    pub ticket: Ticket,
    /// Its events, oldest first.
    pub events: Vec<TicketEvent>,
}

/// A page of tickets.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TicketPage {
    /// Tickets, newest first.
    pub items: Vec<Ticket>,
    /// Pass as `cursor` for the next page; absent on the last one.
    pub next_cursor: Option<String>,
}

/// A comment.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Comment {
    /// Id.
    pub id: loopdesk_core::CommentId,
    /// Ticket.
    pub ticket_id: TicketId,
    /// Author.
    pub author_id: Option<UserId>,
    /// Text.
    pub body: String,
    /// Internal note (hidden from customers).
    pub internal: bool,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A stored file's metadata.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Attachment {
    /// Id.
    pub id: AttachmentId,
    /// Ticket.
    pub ticket_id: TicketId,
    /// `before`, `after`, `signature` or `other`.
    pub kind: String,
    /// Original file name.
    pub filename: String,
    /// Sniffed content type.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// SHA-256 of the content.
    pub sha256: String,
    /// Where the bytes are kept (relative key in the object store).
    #[serde(skip)]
    pub storage_key: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A ticket's SLA as the API shows it.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct TicketSlaView {
    /// The policy that applies.
    pub policy_id: Option<SlaPolicyId>,
    /// First response due.
    pub first_response_due: Option<DateTime<Utc>>,
    /// Arrival due.
    pub arrival_due: Option<DateTime<Utc>>,
    /// Resolution due.
    pub resolution_due: Option<DateTime<Utc>>,
    /// Green, yellow or red.
    pub state: SlaState,
    /// True while the clock is paused (waiting for the customer).
    pub paused: bool,
}

impl TicketSlaView {
    pub(crate) fn of(
        policy: Option<&str>,
        stored: Option<&str>,
        state: &str,
    ) -> Result<TicketSlaView, StoreError> {
        let sla = stored.map(parse_sla).transpose()?;
        let due = |t: Target| {
            sla.as_ref()
                .and_then(|s| s.schedule.of(t))
                .map(|d| from_ms(d.due))
        };
        Ok(TicketSlaView {
            policy_id: policy
                .map(|p| parse_id(p, SlaPolicyId::parse))
                .transpose()?,
            first_response_due: due(Target::FirstResponse),
            arrival_due: due(Target::Arrival),
            resolution_due: due(Target::Resolution),
            state: SlaState::parse(state).ok_or_else(|| StoreError::Corrupt("sla_state".into()))?,
            paused: sla.as_ref().is_some_and(|s| s.clock.paused_since.is_some()),
        })
    }
}

/// A ticket's stored SLA (clock and schedule).
pub(crate) fn parse_sla(text: &str) -> Result<TicketSla, StoreError> {
    serde_json::from_str(text).map_err(|_| StoreError::Corrupt("sla".into()))
}
