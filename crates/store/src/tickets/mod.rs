//! Tickets: creation (numbering, idempotency), scoped reads, moves through the transition
//! table, comments and attachments. Every write appends its event in the same transaction.

use chrono::{DateTime, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::asset::{self, Warranty};
use loopdesk_core::ticket::views::Sort;
use loopdesk_core::ticket::{Actor, Channel, MoveCommand};
use loopdesk_core::{
    AssetId, AttachmentId, ContactId, CustomerId, RegionId, SiteId, Status, TeamId, TicketId,
    UserId,
};
use serde_json::Value;

pub(crate) mod attachments;
pub(crate) mod batch;
mod category;
mod comments;
mod create;
mod gather;
mod hand;
mod list;
mod merge;
mod parties;
mod priority;
mod read;
mod remediation;
mod sheet;
mod team;
mod transition;
mod write;

use crate::rows::{corrupt, parse_id, parse_opt_id};
use crate::{from_ms, Attachment, CheckInView, StoreError, Ticket};
pub use category::CategoryChange;
pub use hand::{HandCandidate, HandDispatch};
pub use list::AwaitingConfirmation;
pub use parties::TicketParties;
pub(crate) use remediation::open_remediation;
pub use sheet::ServiceSheet;

/// A request to record.
#[derive(Clone, Debug)]
pub struct NewTicket {
    /// Subject.
    pub subject: String,
    /// Description.
    pub description: String,
    /// P1–P4.
    pub priority: i64,
    /// Intake channel.
    pub channel: Channel,
    /// Customer (forced to the caller's own for a customer).
    pub customer_id: Option<CustomerId>,
    /// The caller's phone; finds the contact (and the customer, when not given).
    pub contact_phone: Option<String>,
    /// Site.
    pub site_id: Option<SiteId>,
    /// Asset.
    pub asset_id: Option<AssetId>,
    /// Category code.
    pub category: Option<String>,
    /// Category-specific fields (a JSON object).
    pub fields: Option<Value>,
}

/// Filters of the ticket list.
#[derive(Clone, Debug, Default)]
pub struct TicketFilter {
    /// Any of these statuses.
    pub status: Vec<Status>,
    /// Priority.
    pub priority: Option<i64>,
    /// Customer.
    pub customer_id: Option<CustomerId>,
    /// On this piece of equipment.
    pub asset_id: Option<AssetId>,
    /// Assignee.
    pub assignee_id: Option<UserId>,
    /// `open`: the remediation queue; `done`: remediated tickets.
    pub remediation: Option<String>,
    /// Text in the subject or description, or the exact number.
    pub q: Option<String>,
    /// Created at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// Created before.
    pub created_to: Option<DateTime<Utc>>,
    /// Closed at or after.
    pub closed_from: Option<DateTime<Utc>>,
    /// In this SLA state (`ok`, `warning`, `breached`).
    pub sla_state: Option<loopdesk_core::sla::SlaState>,
    /// Without an engineer.
    pub unassigned: bool,
    /// Recorded by or assigned to this user.
    pub mine: Option<UserId>,
    /// In this region.
    pub region_id: Option<RegionId>,
    /// With this team.
    pub team_id: Option<TeamId>,
    /// Of this category code.
    pub category: Option<String>,
    /// Come in through this channel.
    pub channel: Option<Channel>,
    /// Last changed at or after.
    pub updated_from: Option<DateTime<Utc>>,
    /// Last changed before.
    pub updated_to: Option<DateTime<Utc>>,
    /// Resolution due at or after.
    pub due_from: Option<DateTime<Utc>>,
    /// Resolution due before.
    pub due_to: Option<DateTime<Utc>>,
    /// The order (default: newest first).
    pub sort: Option<Sort>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size (default 50, at most 200).
    pub limit: Option<i64>,
}

/// A priority change as requested through the API.
#[derive(Clone, Debug)]
pub struct PriorityChange {
    /// The version the caller last saw.
    pub version: i64,
    /// The new priority, 1–4.
    pub priority: i64,
    /// Why (shown in the event).
    pub reason: Option<String>,
}

/// A move as requested through the API.
#[derive(Clone, Debug)]
pub struct TransitionRequest {
    /// The version the caller last saw.
    pub version: i64,
    /// The move.
    pub command: MoveCommand,
}

const TICKET_COLUMNS: &str = "t.id, t.number, t.status, t.version, t.priority, t.channel, t.subject, \
    t.description, t.category, t.fields, t.customer_id, t.contact_id, t.contact_phone, t.site_id, t.asset_id, \
    t.region_id, t.team_id, t.assignee_id, t.created_by, t.created_at, t.updated_at, t.resolved_at, t.closed_at, \
    t.confirmed_by, t.reopen_count, t.visit_count, t.flags, t.checked_in_at, t.checkin_lat, t.checkin_lon, \
    t.checkin_distance_m, t.checkin_outside, t.sla_policy_id, t.sla, t.sla_state, t.first_response_at, \
    t.first_arrival_at, t.remediation, t.warranty, t.merged_into, t.category_guessed";

#[derive(sqlx::FromRow, Clone)]
struct TicketRow {
    id: String,
    number: String,
    status: String,
    version: i64,
    priority: i64,
    channel: String,
    subject: String,
    description: String,
    category: Option<String>,
    fields: String,
    customer_id: Option<String>,
    contact_id: Option<String>,
    contact_phone: Option<String>,
    site_id: Option<String>,
    asset_id: Option<String>,
    region_id: Option<String>,
    team_id: Option<String>,
    assignee_id: Option<String>,
    created_by: Option<String>,
    created_at: i64,
    updated_at: i64,
    resolved_at: Option<i64>,
    closed_at: Option<i64>,
    confirmed_by: Option<String>,
    reopen_count: i64,
    visit_count: i64,
    flags: String,
    checked_in_at: Option<i64>,
    checkin_lat: Option<f64>,
    checkin_lon: Option<f64>,
    checkin_distance_m: Option<f64>,
    checkin_outside: i64,
    sla_policy_id: Option<String>,
    sla: Option<String>,
    sla_state: String,
    first_response_at: Option<i64>,
    first_arrival_at: Option<i64>,
    remediation: Option<String>,
    warranty: Option<String>,
    merged_into: Option<String>,
    category_guessed: i64,
}

impl TicketRow {
    fn status(&self) -> Result<Status, StoreError> {
        Status::parse(&self.status).ok_or_else(|| corrupt("status"))
    }

    fn into_model(self) -> Result<Ticket, StoreError> {
        let check_in = match (self.checked_in_at, self.checkin_lat, self.checkin_lon) {
            (Some(at), Some(lat), Some(lon)) => Some(CheckInView {
                lat,
                lon,
                distance_m: self.checkin_distance_m,
                outside_geofence: self.checkin_outside != 0,
                at: from_ms(at),
            }),
            _ => None,
        };
        Ok(Ticket {
            id: parse_id(&self.id, TicketId::parse)?,
            status: self.status()?,
            number: self.number,
            version: self.version,
            priority: self.priority,
            channel: Channel::parse(&self.channel).ok_or_else(|| corrupt("channel"))?,
            subject: self.subject,
            description: self.description,
            category: self.category,
            category_guessed: self.category_guessed != 0,
            fields: serde_json::from_str(&self.fields).map_err(|_| corrupt("fields"))?,
            customer_id: parse_opt_id(self.customer_id, CustomerId::parse)?,
            contact_id: parse_opt_id(self.contact_id, ContactId::parse)?,
            contact_phone: self.contact_phone,
            site_id: parse_opt_id(self.site_id, SiteId::parse)?,
            asset_id: parse_opt_id(self.asset_id, AssetId::parse)?,
            region_id: parse_opt_id(self.region_id, RegionId::parse)?,
            team_id: parse_opt_id(self.team_id, TeamId::parse)?,
            assignee_id: parse_opt_id(self.assignee_id, UserId::parse)?,
            created_by: parse_opt_id(self.created_by, UserId::parse)?,
            created_at: from_ms(self.created_at),
            updated_at: from_ms(self.updated_at),
            resolved_at: self.resolved_at.map(from_ms),
            closed_at: self.closed_at.map(from_ms),
            confirmed_by: self.confirmed_by,
            reopen_count: self.reopen_count,
            visit_count: self.visit_count,
            flags: serde_json::from_str(&self.flags).map_err(|_| corrupt("flags"))?,
            check_in,
            remediation: self.remediation,
            chargeable: asset::chargeable(self.warranty.as_deref().and_then(Warranty::parse)),
            warranty: self.warranty,
            sla: crate::TicketSlaView::of(
                self.sla_policy_id.as_deref(),
                self.sla.as_deref(),
                &self.sla_state,
            )?,
            merged_into: parse_opt_id(self.merged_into, TicketId::parse)?,
        })
    }
}

/// One event as the read query's JSON array carries it.
#[derive(serde::Deserialize)]
struct EventRow {
    id: i64,
    kind: String,
    actor_id: Option<String>,
    actor_name: Option<String>,
    at: i64,
    from_status: Option<String>,
    to_status: Option<String>,
    internal: i64,
    data: serde_json::Value,
}

#[derive(sqlx::FromRow)]
struct TicketWithEventsRow {
    #[sqlx(flatten)]
    ticket: TicketRow,
    events: Option<String>,
}

#[derive(sqlx::FromRow)]
struct AttachmentRow {
    id: String,
    ticket_id: String,
    kind: String,
    filename: String,
    content_type: String,
    size_bytes: i64,
    sha256: String,
    storage_key: String,
    created_at: i64,
}

impl AttachmentRow {
    fn into_model(self) -> Result<Attachment, StoreError> {
        Ok(Attachment {
            id: parse_id(&self.id, AttachmentId::parse)?,
            ticket_id: parse_id(&self.ticket_id, TicketId::parse)?,
            kind: self.kind,
            filename: self.filename,
            content_type: self.content_type,
            size_bytes: self.size_bytes,
            sha256: self.sha256,
            storage_key: self.storage_key,
            created_at: from_ms(self.created_at),
        })
    }
}

fn user_text(actor: &Actor) -> Option<String> {
    actor.user_id().map(|u| u.to_string())
}

/// Internal notes are for staff: customers never see them.
fn sees_internal(actor: &Actor) -> bool {
    access::allowed(actor, Permission::InternalNotes)
}
