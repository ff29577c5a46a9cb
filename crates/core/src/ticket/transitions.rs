//! THE transition table (DESIGN §1) and the planner that checks a requested move against it.
//!
//! Every status change in Loopdesk goes through [`plan_move`]: it finds the rule for
//! `from → to`, checks that the actor may make the move, checks the data the move must
//! carry, screens work reports, and answers with a [`Plan`] that the store writes (ticket
//! row and event in one transaction). Nothing else decides what a move may do.

use crate::event::payload::MoveData;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::status::Status;
use crate::geo::haversine_km;
use crate::{validate, AttachmentId, CustomerId, RegionId, Role, Roles, UserId};

/// Who may make a move.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    /// Any user holding the role.
    Role(Role),
    /// An engineer who is the ticket's current assignee.
    AssignedEngineer,
    /// A customer contact of the ticket's own customer.
    OwnCustomer,
    /// The job runner (auto-close).
    System,
}

/// What a move must carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    /// Nothing beyond an optional note.
    Nothing,
    /// `assignee_id` of an active engineer.
    Assignee,
    /// `check_in` with a position.
    CheckIn,
    /// `report` that passes the completeness check.
    Report,
    /// `confirmation` by the customer, an agent for them (with a note), or the auto-close timer.
    Confirmation,
    /// `reason`.
    Reason,
    /// `note` (e.g. why a report is sent back).
    Note,
}

/// The business meaning of a move; it names the event written for it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MoveKind {
    /// 派工: first assignment.
    Assign,
    /// 转派: another engineer before the work began.
    Reassign,
    /// Another visit (possibly by the same engineer) after work began, e.g. after a reopen.
    Redispatch,
    /// The engineer turns the order down, with a reason.
    Decline,
    /// 接单
    Accept,
    /// 出发
    Depart,
    /// 到场签到 with a GPS position.
    CheckIn,
    /// Work begins on site.
    Start,
    /// An agent takes the request to solve it remotely.
    TakeRemote,
    /// 等待配件
    WaitParts,
    /// 等待客户
    WaitCustomer,
    /// Work goes on after waiting.
    Resume,
    /// A work report is submitted (lands in `resolved` or, screened, in `in_review`).
    Resolve,
    /// A supervisor approves a report under review.
    Approve,
    /// A supervisor sends a report back.
    SendBack,
    /// The customer (or an agent for them) confirms the fix.
    Confirm,
    /// Closed by the timer after the customer did not answer.
    AutoClose,
    /// The customer says it is not fixed (or a closed ticket comes back).
    Reopen,
    /// 取消
    Cancel,
}

impl MoveKind {
    /// Every move kind.
    pub const ALL: [MoveKind; 19] = [
        MoveKind::Assign,
        MoveKind::Reassign,
        MoveKind::Redispatch,
        MoveKind::Decline,
        MoveKind::Accept,
        MoveKind::Depart,
        MoveKind::CheckIn,
        MoveKind::Start,
        MoveKind::TakeRemote,
        MoveKind::WaitParts,
        MoveKind::WaitCustomer,
        MoveKind::Resume,
        MoveKind::Resolve,
        MoveKind::Approve,
        MoveKind::SendBack,
        MoveKind::Confirm,
        MoveKind::AutoClose,
        MoveKind::Reopen,
        MoveKind::Cancel,
    ];

    /// The code name, used as the event `kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            MoveKind::Assign => "assign",
            MoveKind::Reassign => "reassign",
            MoveKind::Redispatch => "redispatch",
            MoveKind::Decline => "decline",
            MoveKind::Accept => "accept",
            MoveKind::Depart => "depart",
            MoveKind::CheckIn => "check_in",
            MoveKind::Start => "start",
            MoveKind::TakeRemote => "take_remote",
            MoveKind::WaitParts => "wait_parts",
            MoveKind::WaitCustomer => "wait_customer",
            MoveKind::Resume => "resume",
            MoveKind::Resolve => "resolve",
            MoveKind::Approve => "approve",
            MoveKind::SendBack => "send_back",
            MoveKind::Confirm => "confirm",
            MoveKind::AutoClose => "auto_close",
            MoveKind::Reopen => "reopen",
            MoveKind::Cancel => "cancel",
        }
    }
}

/// One row of the table: from which statuses, to which, who, and what it must carry.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    /// What the move means.
    pub kind: MoveKind,
    /// The statuses the move may start from.
    pub from: &'static [Status],
    /// The status asked for.
    pub to: Status,
    /// Who may make it (any one suffices).
    pub who: &'static [Who],
    /// What it must carry.
    pub needs: Needs,
}

use Status as S;
use Who as W;

const DISPATCHERS: &[Who] = &[
    W::Role(Role::Agent),
    W::Role(Role::Dispatcher),
    W::Role(Role::Supervisor),
    W::Role(Role::Admin),
];
/// Assignment by people, and by the system when the tenant dispatches automatically.
const ASSIGNERS: &[Who] = &[
    W::Role(Role::Agent),
    W::Role(Role::Dispatcher),
    W::Role(Role::Supervisor),
    W::Role(Role::Admin),
    W::System,
];
const ENGINEER: &[Who] = &[W::AssignedEngineer];
const HANDLERS: &[Who] = &[W::AssignedEngineer, W::Role(Role::Agent)];

/// THE transition table. The API's status enum, the pages' buttons and the tests all read it.
#[rustfmt::skip]
pub const RULES: &[Rule] = &[
    Rule { kind: MoveKind::Assign, from: &[S::New], to: S::Assigned, who: ASSIGNERS, needs: Needs::Assignee },
    Rule { kind: MoveKind::Reassign, from: &[S::Assigned, S::Accepted], to: S::Assigned, who: ASSIGNERS, needs: Needs::Assignee },
    Rule { kind: MoveKind::Redispatch, from: &[S::InProgress, S::WaitingParts, S::WaitingCustomer], to: S::Assigned, who: DISPATCHERS, needs: Needs::Assignee },
    Rule { kind: MoveKind::Decline, from: &[S::Assigned], to: S::New, who: ENGINEER, needs: Needs::Reason },
    Rule { kind: MoveKind::Accept, from: &[S::Assigned], to: S::Accepted, who: ENGINEER, needs: Needs::Nothing },
    Rule { kind: MoveKind::Depart, from: &[S::Accepted], to: S::EnRoute, who: ENGINEER, needs: Needs::Nothing },
    Rule { kind: MoveKind::CheckIn, from: &[S::Accepted, S::EnRoute], to: S::OnSite, who: ENGINEER, needs: Needs::CheckIn },
    Rule { kind: MoveKind::Start, from: &[S::OnSite], to: S::InProgress, who: ENGINEER, needs: Needs::Nothing },
    Rule { kind: MoveKind::TakeRemote, from: &[S::New], to: S::InProgress, who: &[W::Role(Role::Agent)], needs: Needs::Nothing },
    Rule { kind: MoveKind::WaitParts, from: &[S::OnSite, S::InProgress], to: S::WaitingParts, who: ENGINEER, needs: Needs::Reason },
    Rule { kind: MoveKind::WaitCustomer, from: &[S::OnSite, S::InProgress], to: S::WaitingCustomer, who: HANDLERS, needs: Needs::Reason },
    Rule { kind: MoveKind::Resume, from: &[S::WaitingParts, S::WaitingCustomer], to: S::InProgress, who: HANDLERS, needs: Needs::Nothing },
    Rule { kind: MoveKind::Resolve, from: &[S::OnSite, S::InProgress], to: S::Resolved, who: HANDLERS, needs: Needs::Report },
    Rule { kind: MoveKind::Approve, from: &[S::InReview], to: S::Resolved, who: &[W::Role(Role::Supervisor)], needs: Needs::Nothing },
    Rule { kind: MoveKind::SendBack, from: &[S::InReview], to: S::InProgress, who: &[W::Role(Role::Supervisor)], needs: Needs::Note },
    Rule { kind: MoveKind::Confirm, from: &[S::Resolved], to: S::Closed, who: &[W::OwnCustomer, W::Role(Role::Agent)], needs: Needs::Confirmation },
    Rule { kind: MoveKind::AutoClose, from: &[S::Resolved], to: S::Closed, who: &[W::System], needs: Needs::Nothing },
    Rule { kind: MoveKind::Reopen, from: &[S::Resolved, S::Closed], to: S::InProgress, who: &[W::OwnCustomer, W::Role(Role::Agent), W::Role(Role::Supervisor)], needs: Needs::Reason },
    Rule { kind: MoveKind::Cancel, from: &Status::OPEN, to: S::Cancelled, who: &[W::Role(Role::Agent), W::Role(Role::Supervisor), W::Role(Role::Admin)], needs: Needs::Reason },
];

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

    fn is(&self, who: Who, ticket: &TicketFacts) -> bool {
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
}

impl Flag {
    /// The code name.
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::CheckInOutsideGeofence => "check_in_outside_geofence",
            Flag::ShortVisit => "short_visit",
            Flag::ReviewRequested => "review_requested",
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
}

impl Default for LifecyclePolicy {
    fn default() -> Self {
        LifecyclePolicy {
            reopen_window: Duration::days(30),
            short_visit: Duration::minutes(5),
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

/// The answer of the planner: what the store must write.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// What the move means (the event kind).
    pub kind: MoveKind,
    /// The status before.
    pub from: Status,
    /// The status after (`in_review` when a report is screened out of `resolved`).
    pub to: Status,
    /// The new assignee, when the move changes it (`Some(None)` clears it).
    pub assignee: Option<Option<UserId>>,
    /// The check-in to record.
    pub check_in: Option<CheckInRecord>,
    /// The report to store.
    pub report: Option<ReportInput>,
    /// Flags raised by this move.
    pub flags: Vec<Flag>,
    /// Who confirmed, for a close.
    pub confirmed_by: Option<ConfirmedBy>,
    /// The event's `data`.
    pub data: MoveData,
}

impl Plan {
    /// True when this move is a reopen (counts for the reopen rate).
    pub fn is_reopen(&self) -> bool {
        self.kind == MoveKind::Reopen
    }
}

/// Why a move was refused. Each maps to one HTTP status and one translated message.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum TransitionError {
    /// The table has no such move from the current status (422).
    #[error("no move from {from} to {to}")]
    NotAllowed {
        /// Current status.
        from: Status,
        /// Requested status.
        to: Status,
    },
    /// The move is someone else's to make, or the role never makes moves to that status (403).
    #[error("this role may not make the move")]
    Forbidden,
    /// Data the move must carry is absent (422).
    #[error("{field} is required for this move")]
    Missing {
        /// The missing field.
        field: &'static str,
    },
    /// Data is present but wrong (422).
    #[error("{field}: {reason}")]
    Invalid {
        /// The field at fault.
        field: &'static str,
        /// Translation key of the reason.
        reason: &'static str,
    },
    /// The work report fails the completeness check (422), listing what is missing.
    #[error("the report is incomplete: {missing:?}")]
    IncompleteReport {
        /// Fields that are missing, in the order the form shows them.
        missing: Vec<&'static str>,
    },
}

fn err(field: &'static str, reason: &'static str) -> TransitionError {
    TransitionError::Invalid { field, reason }
}

/// The moves a ticket's assigned engineer can make from `status`, in table order (the
/// buttons of the engineer's order page).
pub fn engineer_moves(status: Status) -> Vec<&'static Rule> {
    RULES
        .iter()
        .filter(|r| r.from.contains(&status) && r.who.contains(&Who::AssignedEngineer))
        .collect()
}

/// The rules that move `from` to `to`, in table order.
pub fn rules_between(from: Status, to: Status) -> impl Iterator<Item = &'static Rule> {
    RULES
        .iter()
        .filter(move |r| r.to == to && r.from.contains(&from))
}

/// Checks a requested move and plans its effects. Order of checks: the role (else
/// [`TransitionError::Forbidden`]), the table (else `NotAllowed`), then the data it carries.
pub fn plan_move(
    ticket: &TicketFacts,
    actor: &Actor,
    cmd: &MoveCommand,
    assignee: Option<AssigneeFacts>,
    policy: &LifecyclePolicy,
    now: DateTime<Utc>,
) -> Result<Plan, TransitionError> {
    let to = cmd.to.ok_or(TransitionError::Missing { field: "to" })?;
    let from = ticket.status;
    // The contract's order: first the role (403), then the table (422). A move is the role's
    // to make when the table has it from here for this actor. When the table has it from here
    // only for others, or this actor never makes any move to `to`, it is a matter of role (403);
    // when the actor could reach `to`, just not from here, it is the table's (422).
    let for_actor = |r: &&'static Rule| {
        r.who
            .iter()
            .find(|w| actor.is(**w, ticket))
            .map(|w| (*r, *w))
    };
    let here: Vec<&Rule> = rules_between(from, to).collect();
    let found = here.iter().find_map(for_actor);
    let Some((rule, who)) = found else {
        let reachable_by_actor = RULES
            .iter()
            .filter(|r| r.to == to)
            .any(|r| for_actor(&r).is_some());
        let anyone_reaches = RULES.iter().any(|r| r.to == to);
        return Err(
            if !here.is_empty() || (anyone_reaches && !reachable_by_actor) {
                TransitionError::Forbidden
            } else {
                TransitionError::NotAllowed { from, to }
            },
        );
    };
    reject_foreign_data(cmd, rule.needs)?;
    let note = validate::optional_text("note", cmd.note.as_deref(), validate::MAX_NOTE)
        .map_err(|e| err("note", e.reason))?;

    let mut plan = Plan {
        kind: rule.kind,
        from,
        to,
        assignee: None,
        check_in: None,
        report: None,
        flags: Vec::new(),
        confirmed_by: None,
        data: MoveData::default(),
    };
    match rule.needs {
        Needs::Nothing => {}
        Needs::Assignee => plan_assignee(ticket, cmd, assignee, &mut plan)?,
        Needs::CheckIn => plan_check_in(ticket, cmd, &mut plan)?,
        Needs::Report => plan_report(ticket, who, cmd, policy, now, &mut plan)?,
        Needs::Confirmation => plan_confirmation(who, cmd, &mut plan)?,
        Needs::Reason => {
            let reason = required_text("reason", cmd.reason.as_deref())?;
            plan.data.reason = Some(reason);
        }
        Needs::Note => {
            if note.is_none() {
                return Err(TransitionError::Missing { field: "note" });
            }
        }
    }
    match rule.kind {
        MoveKind::Decline => {
            plan.assignee = Some(None);
            plan.data.previous_assignee_id = Some(ticket.assignee_id);
        }
        MoveKind::AutoClose => plan.confirmed_by = Some(ConfirmedBy::Auto),
        MoveKind::Reopen if from == Status::Closed => {
            let closed_at = ticket.closed_at.unwrap_or(now);
            if now - closed_at > policy.reopen_window {
                return Err(err("to", "error.reopen_window_expired"));
            }
        }
        _ => {}
    }
    if let Some(note) = note {
        plan.data.note = Some(note);
    }
    Ok(plan)
}

/// A move must not carry the data of another move: a report sent with `to: "accepted"`
/// is a client mistake worth telling about, not something to drop silently.
fn reject_foreign_data(cmd: &MoveCommand, needs: Needs) -> Result<(), TransitionError> {
    let present = [
        ("assignee_id", cmd.assignee_id.is_some(), Needs::Assignee),
        ("check_in", cmd.check_in.is_some(), Needs::CheckIn),
        ("report", cmd.report.is_some(), Needs::Report),
        (
            "confirmation",
            cmd.confirmation.is_some(),
            Needs::Confirmation,
        ),
        ("reason", cmd.reason.is_some(), Needs::Reason),
    ];
    match present
        .iter()
        .find(|(_, there, wanted)| *there && *wanted != needs)
    {
        Some((field, _, _)) => Err(err(field, "error.not_expected_for_move")),
        None => Ok(()),
    }
}

fn required_text(field: &'static str, text: Option<&str>) -> Result<String, TransitionError> {
    match validate::optional_text(field, text, validate::MAX_NOTE) {
        Ok(Some(t)) => Ok(t),
        Ok(None) => Err(TransitionError::Missing { field }),
        Err(e) => Err(err(field, e.reason)),
    }
}

fn plan_assignee(
    ticket: &TicketFacts,
    cmd: &MoveCommand,
    assignee: Option<AssigneeFacts>,
    plan: &mut Plan,
) -> Result<(), TransitionError> {
    let wanted = cmd.assignee_id.ok_or(TransitionError::Missing {
        field: "assignee_id",
    })?;
    let facts = assignee
        .filter(|a| a.id == wanted)
        .ok_or(err("assignee_id", "error.unknown_id"))?;
    if !facts.is_engineer || !facts.active {
        return Err(err("assignee_id", "error.not_an_active_engineer"));
    }
    // Reassigning to the engineer who already has it changes nothing; a redispatch after
    // work began may send the same engineer again (a second visit).
    if plan.kind == MoveKind::Reassign && ticket.assignee_id == Some(wanted) {
        return Err(err("assignee_id", "error.already_assigned"));
    }
    plan.assignee = Some(Some(wanted));
    plan.data = MoveData {
        assignee_id: Some(wanted),
        previous_assignee_id: Some(ticket.assignee_id),
        ..MoveData::default()
    };
    Ok(())
}

fn plan_check_in(
    ticket: &TicketFacts,
    cmd: &MoveCommand,
    plan: &mut Plan,
) -> Result<(), TransitionError> {
    let pos = cmd
        .check_in
        .ok_or(TransitionError::Missing { field: "check_in" })?;
    validate::lat_lon(pos.lat, pos.lon).map_err(|e| err("check_in", e.reason))?;
    if let Some(acc) = pos.accuracy_m {
        if !acc.is_finite() || acc < 0.0 {
            return Err(err("check_in.accuracy_m", "error.invalid_number"));
        }
    }
    let distance_m = ticket
        .site
        .map(|s| haversine_km(s.lat, s.lon, pos.lat, pos.lon) * 1000.0);
    let outside = match (distance_m, ticket.site) {
        (Some(d), Some(site)) => d > site.geofence_m,
        _ => false,
    };
    if outside {
        plan.flags.push(Flag::CheckInOutsideGeofence);
    }
    let record = CheckInRecord {
        position: pos,
        distance_m,
        outside_geofence: outside,
    };
    plan.data = MoveData {
        check_in: Some(record),
        ..MoveData::default()
    };
    plan.check_in = Some(record);
    Ok(())
}

/// The completeness check (质量防线 3) and the screening that may send a report to review.
fn plan_report(
    ticket: &TicketFacts,
    who: Who,
    cmd: &MoveCommand,
    policy: &LifecyclePolicy,
    now: DateTime<Utc>,
    plan: &mut Plan,
) -> Result<(), TransitionError> {
    let report = cmd
        .report
        .as_ref()
        .ok_or(TransitionError::Missing { field: "report" })?;
    let on_site = who == Who::AssignedEngineer || ticket.checked_in_at.is_some();
    if who == Who::Role(Role::Agent) && !report.remote {
        return Err(err("report.remote", "error.agent_resolves_remotely"));
    }
    if who == Who::AssignedEngineer && report.remote && ticket.checked_in_at.is_some() {
        return Err(err("report.remote", "error.visit_was_on_site"));
    }
    check_report_values(ticket, report)?;
    let mut missing = Vec::new();
    if report.resolution.trim().is_empty() {
        missing.push("report.resolution");
    }
    if on_site && !report.remote {
        if report.before_photo_ids.is_empty() {
            missing.push("report.before_photo_ids");
        }
        if report.after_photo_ids.is_empty() {
            missing.push("report.after_photo_ids");
        }
        if report.signature_id.is_none() {
            missing.push("report.signature_id");
        }
    }
    if !missing.is_empty() {
        return Err(TransitionError::IncompleteReport { missing });
    }

    if ticket.check_in.is_some_and(|c| c.outside_geofence) {
        plan.flags.push(Flag::CheckInOutsideGeofence);
    }
    if report.needs_review {
        plan.flags.push(Flag::ReviewRequested);
    }
    let review = ticket.category_requires_review || !plan.flags.is_empty();
    if let Some(at) = ticket.checked_in_at.filter(|_| !report.remote) {
        if now - at < policy.short_visit {
            plan.flags.push(Flag::ShortVisit);
        }
    }
    if review {
        plan.to = Status::InReview;
    }
    plan.data = MoveData {
        remote: Some(report.remote),
        resolution: Some(report.resolution.trim().to_owned()),
        parts: Some(report.parts.clone()),
        photos: Some(report.before_photo_ids.len() + report.after_photo_ids.len()),
        screened_to_review: Some(review),
        ..MoveData::default()
    };
    plan.report = Some(report.clone());
    Ok(())
}

fn check_report_values(ticket: &TicketFacts, report: &ReportInput) -> Result<(), TransitionError> {
    if report.resolution.chars().count() > validate::MAX_DESCRIPTION {
        return Err(err("report.resolution", "error.too_long"));
    }
    let kind_of = |id: &AttachmentId| {
        ticket
            .attachments
            .iter()
            .find(|(a, _)| a == id)
            .map(|(_, k)| *k)
    };
    let refs = [
        (
            "report.before_photo_ids",
            &report.before_photo_ids,
            AttachmentKind::Before,
        ),
        (
            "report.after_photo_ids",
            &report.after_photo_ids,
            AttachmentKind::After,
        ),
    ];
    for (field, ids, kind) in refs {
        if ids.iter().any(|id| kind_of(id) != Some(kind)) {
            return Err(err(field, "error.attachment_not_on_ticket"));
        }
    }
    if let Some(sig) = &report.signature_id {
        if kind_of(sig) != Some(AttachmentKind::Signature) {
            return Err(err("report.signature_id", "error.attachment_not_on_ticket"));
        }
    }
    for part in &report.parts {
        let sku = part.sku.trim();
        if sku.is_empty() || sku.chars().count() > 64 {
            return Err(err("report.parts", "error.invalid_sku"));
        }
        if !(1..=10_000).contains(&part.qty) {
            return Err(err("report.parts", "error.invalid_quantity"));
        }
    }
    if let Some(minutes) = report.labour_minutes {
        if !(0..=60 * 24 * 7).contains(&minutes) {
            return Err(err("report.labour_minutes", "error.invalid_number"));
        }
    }
    Ok(())
}

fn plan_confirmation(who: Who, cmd: &MoveCommand, plan: &mut Plan) -> Result<(), TransitionError> {
    let conf = cmd.confirmation.as_ref().ok_or(TransitionError::Missing {
        field: "confirmation",
    })?;
    let expected = if who == Who::OwnCustomer {
        ConfirmedBy::Customer
    } else {
        ConfirmedBy::Agent
    };
    if conf.by != expected {
        return Err(err("confirmation.by", "error.confirmation_by_mismatch"));
    }
    let note = validate::optional_text(
        "confirmation.note",
        conf.note.as_deref(),
        validate::MAX_NOTE,
    )
    .map_err(|e| err("confirmation.note", e.reason))?;
    if expected == ConfirmedBy::Agent && note.is_none() {
        return Err(TransitionError::Missing {
            field: "confirmation.note",
        });
    }
    plan.confirmed_by = Some(conf.by);
    plan.data = MoveData {
        confirmation: Some(Confirmation { by: conf.by, note }),
        ..MoveData::default()
    };
    Ok(())
}

#[cfg(test)]
#[path = "transitions_tests.rs"]
mod tests;
