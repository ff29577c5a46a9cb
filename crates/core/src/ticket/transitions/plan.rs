//! Planning a move: the table decides whether it may be made, then what it carries is
//! checked and what the store must write is worked out.

use crate::event::payload::MoveData;
use crate::geo::haversine_km;
use crate::screening::{self, Finding};
use crate::ticket::status::Status;
use crate::{validate, AttachmentId, Role, UserId};
use chrono::{DateTime, Utc};

use super::*;

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

pub(crate) fn err(field: &'static str, reason: &'static str) -> TransitionError {
    TransitionError::Invalid { field, reason }
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
            .find(|w| actor.is(**w, ticket.standing()))
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
        MoveKind::Reopen if from == Status::Closed && !policy.may_reopen(ticket.closed_at, now) => {
            return Err(err("to", "error.reopen_window_expired"));
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
pub(crate) fn reject_foreign_data(cmd: &MoveCommand, needs: Needs) -> Result<(), TransitionError> {
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

pub(crate) fn required_text(
    field: &'static str,
    text: Option<&str>,
) -> Result<String, TransitionError> {
    match validate::optional_text(field, text, validate::MAX_NOTE) {
        Ok(Some(t)) => Ok(t),
        Ok(None) => Err(TransitionError::Missing { field }),
        Err(e) => Err(err(field, e.reason)),
    }
}

pub(crate) fn plan_assignee(
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

pub(crate) fn plan_check_in(
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
pub(crate) fn plan_report(
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

    let mut findings = Vec::new();
    if ticket.check_in.is_some_and(|c| c.outside_geofence) {
        findings.push(Finding::bare(Flag::CheckInOutsideGeofence));
    }
    findings.extend(screening::screen(ticket, report));
    if let Some(at) = ticket.checked_in_at.filter(|_| !report.remote) {
        if now - at < policy.short_visit {
            findings.push(Finding::bare(Flag::ShortVisit));
        }
    }
    let review =
        ticket.category_requires_review || findings.iter().any(|f| policy.blocking.holds(f.flag));
    plan.flags.extend(findings.iter().map(|f| f.flag));
    if review {
        plan.to = Status::InReview;
    }
    plan.data = MoveData {
        remote: Some(report.remote),
        resolution: Some(report.resolution.trim().to_owned()),
        parts: Some(report.parts.clone()),
        photos: Some(report.before_photo_ids.len() + report.after_photo_ids.len()),
        screened_to_review: Some(review),
        findings,
        ..MoveData::default()
    };
    plan.report = Some(report.clone());
    Ok(())
}

pub(crate) fn check_report_values(
    ticket: &TicketFacts,
    report: &ReportInput,
) -> Result<(), TransitionError> {
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

pub(crate) fn plan_confirmation(
    who: Who,
    cmd: &MoveCommand,
    plan: &mut Plan,
) -> Result<(), TransitionError> {
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
