//! THE transition table (DESIGN §1) and the planner that checks a requested move against it.
//!
//! Every status change in Loopdesk goes through [`plan_move`]: it finds the rule for
//! `from → to`, checks that the actor may make the move, checks the data the move must
//! carry, screens work reports, and answers with a [`Plan`] that the store writes (ticket
//! row and event in one transaction). Nothing else decides what a move may do.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ticket::status::Status;
use crate::Role;

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

/// What a move must carry: the request field it names.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
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

mod input;
mod plan;
mod when;

pub use input::*;
pub use plan::*;
pub use when::{happened_at, CLOCK_DRIFT, OFFLINE_LIMIT};

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
    // The customer's "not fixed" on a resolved ticket, said on a channel (a mail, a chat
    // message) and taken in on their behalf.
    Rule { kind: MoveKind::Reopen, from: &[S::Resolved], to: S::InProgress, who: &[W::System], needs: Needs::Reason },
    Rule { kind: MoveKind::Cancel, from: &Status::OPEN, to: S::Cancelled, who: &[W::Role(Role::Agent), W::Role(Role::Supervisor), W::Role(Role::Admin)], needs: Needs::Reason },
    // The customer withdraws their own request while nobody has been sent yet.
    Rule { kind: MoveKind::Cancel, from: &[S::New], to: S::Cancelled, who: &[W::OwnCustomer], needs: Needs::Reason },
];

/// The moves `actor` may make on a ticket standing as it does, in table order: the rows of
/// the table from its status that name the actor, less a reopen after the reopen window. Every
/// page that offers a ticket's actions derives them from here, so it offers exactly what
/// [`plan_move`] would accept (what a move must carry is checked when it is made).
pub fn moves_for(
    actor: &Actor,
    ticket: Standing,
    policy: &LifecyclePolicy,
    now: DateTime<Utc>,
) -> Vec<&'static Rule> {
    RULES
        .iter()
        .filter(|r| r.from.contains(&ticket.status))
        .filter(|r| r.who.iter().any(|w| actor.is(*w, ticket)))
        .filter(|r| r.kind != MoveKind::Reopen || policy.may_reopen(ticket.closed_at, now))
        .collect()
}

/// The rules that move `from` to `to`, in table order.
pub fn rules_between(from: Status, to: Status) -> impl Iterator<Item = &'static Rule> {
    RULES
        .iter()
        .filter(move |r| r.to == to && r.from.contains(&from))
}

#[cfg(test)]
mod tests;
