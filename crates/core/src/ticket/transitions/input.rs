//! What a move is asked with and decided on: who asks ([`Actor`]), what the store knows of
//! the ticket ([`TicketFacts`]), and what a move may carry (check-in, report, confirmation).

use crate::ticket::status::Status;
use crate::{AttachmentId, CustomerId, RegionId, Role, Roles, UserId};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::*;

/// Who is asking.
#[derive(Clone, Debug, PartialEq)]
pub enum Actor {
    /// A signed-in user.
    User {
        /// The user.
        id: UserId,
        /// Their roles.
        roles: Roles,
        /// For a customer contact: the customer they speak for.
        customer_id: Option<CustomerId>,
        /// Their region (supervisors see their region's tickets).
        region_id: Option<RegionId>,
    },
    /// The job runner.
    System,
}

impl Actor {
    /// The user id, if a person is acting.
    pub fn user_id(&self) -> Option<UserId> {
        match self {
            Actor::User { id, .. } => Some(*id),
            Actor::System => None,
        }
    }

    /// True when the actor is a user holding `role`.
    pub fn has(&self, role: Role) -> bool {
        matches!(self, Actor::User { roles, .. } if roles.has(role))
    }

    pub(crate) fn is(&self, who: Who, ticket: Standing) -> bool {
        match (who, self) {
            (Who::Role(role), _) => self.has(role),
            (Who::AssignedEngineer, Actor::User { id, roles, .. }) => {
                roles.has(Role::Engineer) && ticket.assignee_id == Some(*id)
            }
            (
                Who::OwnCustomer,
                Actor::User {
                    roles, customer_id, ..
                },
            ) => {
                roles.has(Role::Customer)
                    && customer_id.is_some()
                    && *customer_id == ticket.customer_id
            }
            (Who::System, Actor::System) => true,
            _ => false,
        }
    }
}

/// Where a ticket stands, as far as which moves are on offer: its status, whose it is, and
/// when it was closed (a closed ticket can be reopened only within the reopen window).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Standing {
    /// Current status.
    pub status: Status,
    /// Current assignee.
    pub assignee_id: Option<UserId>,
    /// The ticket's customer.
    pub customer_id: Option<CustomerId>,
    /// When it was closed, if it is closed.
    pub closed_at: Option<DateTime<Utc>>,
}

impl TicketFacts {
    /// Where the ticket stands.
    pub fn standing(&self) -> Standing {
        Standing {
            status: self.status,
            assignee_id: self.assignee_id,
            customer_id: self.customer_id,
            closed_at: self.closed_at,
        }
    }
}

/// The site a ticket is for, as far as a check-in cares.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SiteFacts {
    /// Latitude in degrees.
    pub lat: f64,
    /// Longitude in degrees.
    pub lon: f64,
    /// Radius in metres within which a check-in counts as on site.
    pub geofence_m: f64,
}

/// What the planner needs to know of the ticket, gathered by the store.
#[derive(Clone, Debug, PartialEq)]
pub struct TicketFacts {
    /// Current status.
    pub status: Status,
    /// Current assignee.
    pub assignee_id: Option<UserId>,
    /// The ticket's customer.
    pub customer_id: Option<CustomerId>,
    /// The site's position, when known.
    pub site: Option<SiteFacts>,
    /// When the engineer last checked in on site.
    pub checked_in_at: Option<DateTime<Utc>>,
    /// The last check-in.
    pub check_in: Option<CheckInRecord>,
    /// On-site visits (check-ins) so far.
    pub visit_count: i64,
    /// Flags raised so far (stored names; unknown ones are kept as they are).
    pub flags: Vec<String>,
    /// The last move to `resolved` (what MTTR measures).
    pub resolved_at: Option<DateTime<Utc>>,
    /// When the ticket was last closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// Who confirmed the last close (cleared by a reopen).
    pub confirmed_by: Option<ConfirmedBy>,
    /// Times reopened.
    pub reopen_count: i64,
    /// True when the ticket's category sends every report to supervisor review.
    pub category_requires_review: bool,
    /// Attachments of this ticket and their kinds, to check a report's references.
    pub attachments: Vec<(AttachmentId, AttachmentKind)>,
    /// The pictures' difference hashes (see [`crate::photo`]), where known.
    pub photo_hashes: Vec<(AttachmentId, u64)>,
    /// This ticket's pictures that another ticket of the tenant has too.
    pub reused_photos: Vec<AttachmentId>,
    /// What screening a report needs beyond the above (gathered for a report only).
    pub report: crate::screening::ReportFacts,
}

impl TicketFacts {
    /// The facts of a ticket just created: `new`, nothing else known.
    pub fn new_ticket(customer_id: Option<CustomerId>) -> Self {
        TicketFacts {
            status: Status::New,
            assignee_id: None,
            customer_id,
            site: None,
            checked_in_at: None,
            check_in: None,
            visit_count: 0,
            flags: Vec::new(),
            resolved_at: None,
            closed_at: None,
            confirmed_by: None,
            reopen_count: 0,
            category_requires_review: false,
            attachments: Vec::new(),
            photo_hashes: Vec::new(),
            reused_photos: Vec::new(),
            report: crate::screening::ReportFacts::default(),
        }
    }

    /// What an applied move does to the ticket: the one place that says so (the store writes
    /// the result; KPIs read `resolved_at`, `reopen_count`, `visit_count`, `confirmed_by`).
    pub fn apply(&mut self, plan: &Plan, at: DateTime<Utc>) {
        self.status = plan.to;
        if let Some(assignee) = plan.assignee {
            self.assignee_id = assignee;
        }
        if let Some(check_in) = plan.check_in {
            self.checked_in_at = Some(at);
            self.check_in = Some(check_in);
            self.visit_count += 1;
        }
        for flag in &plan.flags {
            if !self.flags.iter().any(|f| f == flag.as_str()) {
                self.flags.push(flag.as_str().to_owned());
            }
        }
        match plan.to {
            Status::Resolved => self.resolved_at = Some(at),
            Status::Closed => {
                self.closed_at = Some(at);
                self.confirmed_by = plan.confirmed_by;
            }
            _ => {}
        }
        if plan.is_reopen() {
            self.reopen_count += 1;
            self.confirmed_by = None;
        }
    }
}

/// What kind of file an attachment is, for a report.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    /// A photo before the repair.
    Before,
    /// A photo after the repair.
    After,
    /// The customer's signature.
    Signature,
    /// Anything else.
    Other,
}

impl AttachmentKind {
    /// The code name.
    pub fn as_str(self) -> &'static str {
        match self {
            AttachmentKind::Before => "before",
            AttachmentKind::After => "after",
            AttachmentKind::Signature => "signature",
            AttachmentKind::Other => "other",
        }
    }

    /// Parses a code name.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Before, Self::After, Self::Signature, Self::Other]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// A GPS position reported at check-in.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckIn {
    /// Latitude in degrees.
    pub lat: f64,
    /// Longitude in degrees.
    pub lon: f64,
    /// Reported accuracy in metres.
    #[serde(default)]
    pub accuracy_m: Option<f64>,
}

/// One part used in a repair.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartUsed {
    /// The part's SKU.
    pub sku: String,
    /// How many units.
    pub qty: i64,
}

/// A work report as submitted.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportInput {
    /// What was done (resolution text).
    #[serde(default)]
    pub resolution: String,
    /// True for a fix without a visit.
    #[serde(default)]
    pub remote: bool,
    /// Photos before the repair.
    #[serde(default)]
    pub before_photo_ids: Vec<AttachmentId>,
    /// Photos after the repair.
    #[serde(default)]
    pub after_photo_ids: Vec<AttachmentId>,
    /// The customer's signature.
    #[serde(default)]
    pub signature_id: Option<AttachmentId>,
    /// Parts consumed.
    #[serde(default)]
    pub parts: Vec<PartUsed>,
    /// Checklist items with their answers.
    #[serde(default)]
    pub checklist: Vec<ChecklistItem>,
    /// Labour in minutes.
    #[serde(default)]
    pub labour_minutes: Option<i64>,
    /// The engineer asks a supervisor to look at this report.
    #[serde(default)]
    pub needs_review: bool,
}

/// A checklist item and whether it was done.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecklistItem {
    /// The item's text.
    pub item: String,
    /// Done or not.
    pub done: bool,
}

/// Who confirms a fix.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfirmedBy {
    /// The customer themselves.
    Customer,
    /// An agent on the customer's word (with a note).
    Agent,
    /// The auto-close timer.
    Auto,
}

impl ConfirmedBy {
    /// Parses a code name.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Customer, Self::Agent, Self::Auto]
            .into_iter()
            .find(|c| c.as_str() == text)
    }

    /// The code name.
    pub fn as_str(self) -> &'static str {
        match self {
            ConfirmedBy::Customer => "customer",
            ConfirmedBy::Agent => "agent",
            ConfirmedBy::Auto => "auto",
        }
    }
}

/// The confirmation a close carries.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Confirmation {
    /// Who confirms.
    pub by: ConfirmedBy,
    /// A note (required when an agent confirms for the customer).
    #[serde(default)]
    pub note: Option<String>,
}

/// A requested move with everything it may carry.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MoveCommand {
    /// The status asked for.
    pub to: Option<Status>,
    /// A free note for the event.
    pub note: Option<String>,
    /// Why (decline, wait, reopen, cancel).
    pub reason: Option<String>,
    /// The engineer to assign.
    pub assignee_id: Option<UserId>,
    /// The check-in position.
    pub check_in: Option<CheckIn>,
    /// The work report.
    pub report: Option<ReportInput>,
    /// The closing confirmation.
    pub confirmation: Option<Confirmation>,
    /// When it happened on the phone, for a move made offline and sent later (see
    /// [`super::happened_at`]).
    pub client_at: Option<DateTime<Utc>>,
}

/// What the store knows of the engineer named in `assignee_id`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AssigneeFacts {
    /// The user.
    pub id: UserId,
    /// Holds the engineer role.
    pub is_engineer: bool,
    /// Not deactivated.
    pub active: bool,
}

/// Something a supervisor should see on a ticket.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// The check-in was farther from the site than its geofence.
    CheckInOutsideGeofence,
    /// The report came implausibly soon after the check-in.
    ShortVisit,
    /// The engineer asked for review.
    ReviewRequested,
    /// A photo before the work and one after it are the same picture.
    SamePhotoBeforeAfter,
    /// A photo of the report was uploaded to another ticket too.
    PhotoReused,
    /// A part used is listed for other models than the equipment's.
    PartNotForModel,
    /// The labour is far from what the category's reports usually take.
    LabourOffNorm,
    /// The customer's signature was drawn in a moment.
    SignatureRushed,
}

impl Flag {
    /// The code name.
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::CheckInOutsideGeofence => "check_in_outside_geofence",
            Flag::ShortVisit => "short_visit",
            Flag::ReviewRequested => "review_requested",
            Flag::SamePhotoBeforeAfter => "same_photo_before_after",
            Flag::PhotoReused => "photo_reused",
            Flag::PartNotForModel => "part_not_for_model",
            Flag::LabourOffNorm => "labour_off_norm",
            Flag::SignatureRushed => "signature_rushed",
        }
    }
}

/// Tenant-level knobs of the lifecycle.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LifecyclePolicy {
    /// How long after closing a ticket may still be reopened (default 30 days).
    pub reopen_window: Duration,
    /// A report sooner than this after check-in is flagged as a short visit.
    pub short_visit: Duration,
    /// The flags that send a report to review.
    pub blocking: crate::screening::Blocking,
}

impl LifecyclePolicy {
    /// True when a ticket closed at `closed_at` (none: not closed) may still be reopened.
    pub fn may_reopen(&self, closed_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
        closed_at.is_none_or(|at| now - at <= self.reopen_window)
    }
}

impl Default for LifecyclePolicy {
    fn default() -> Self {
        LifecyclePolicy {
            reopen_window: Duration::days(30),
            short_visit: Duration::minutes(5),
            blocking: crate::screening::Blocking::default(),
        }
    }
}

/// A check-in as it is recorded.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckInRecord {
    /// The reported position.
    #[serde(flatten)]
    pub position: CheckIn,
    /// Metres to the site, when the site's position is known.
    pub distance_m: Option<f64>,
    /// True when beyond the site's geofence.
    pub outside_geofence: bool,
}
