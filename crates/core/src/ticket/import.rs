//! Tickets migrated from another system, one per line (`POST /api/v1/import/tickets`): each
//! line checked on its own, then its life rebuilt as an event log the transition table allows
//! (created → … → its status at its times, a reopen, a survey answer), so that the KPIs count
//! it like a ticket lived in Loopdesk.
//!
//! The old system gives three times at most (created, resolved, closed). Loopdesk does not
//! invent the others: the moves between them (assignment, acceptance, the visit) are recorded
//! at the known times as the system's, so they are not counted as a person's first response
//! or an engineer's arrival, and no on-site time is made up.

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use crate::event::payload::{self, MoveData};
use crate::event::{By, Payload};
use crate::ticket::transitions::{rules_between, MoveKind};
use crate::ticket::Channel;
use crate::validate::{self, FieldError, MAX_DESCRIPTION, MAX_NOTE, MAX_SUBJECT};
use crate::{AssetId, CustomerId, RegionId, Status, UserId};

/// Most lines one request may carry.
pub const MAX_LINES: usize = 200_000;
/// Most line errors an answer lists (the count says how many there were).
pub const MAX_ERRORS: usize = 1_000;
/// Longest external id.
pub const MAX_EXTERNAL_ID: usize = 128;

/// One line as it is written (the contract's fields; any other is refused).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Line {
    /// The ticket's id in the old system: a line whose id was imported before is skipped.
    pub external_id: String,
    /// Subject.
    pub subject: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// How it came in (`phone` when absent).
    #[serde(default)]
    pub channel: Option<String>,
    /// 1–4 (3 when absent).
    #[serde(default)]
    pub priority: Option<i64>,
    /// A category code of the tenant.
    #[serde(default)]
    pub category: Option<String>,
    /// The customer.
    #[serde(default)]
    pub customer_id: Option<String>,
    /// The equipment.
    #[serde(default)]
    pub asset_id: Option<String>,
    /// The region.
    #[serde(default)]
    pub region_id: Option<String>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// `new`, `in_progress`, `resolved`, `closed` or `cancelled`.
    pub status: String,
    /// When it was (last) resolved.
    #[serde(default)]
    pub resolved_at: Option<DateTime<Utc>>,
    /// When it was closed (or cancelled).
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
    /// The engineer's username.
    #[serde(default)]
    pub assignee: Option<String>,
    /// Whether the customer once said it was not fixed.
    #[serde(default)]
    pub reopened: Option<bool>,
    /// The customer's survey score, 1–5.
    #[serde(default)]
    pub csat: Option<i64>,
    /// The customer's survey comment.
    #[serde(default)]
    pub comment: Option<String>,
}

/// The statuses a migrated ticket may have now.
pub const STATUSES: [Status; 5] = [
    Status::New,
    Status::InProgress,
    Status::Resolved,
    Status::Closed,
    Status::Cancelled,
];

/// A line that passed its own checks: what it names is still to be looked up (the category,
/// the customer, the equipment, the region, the assignee).
#[derive(Clone, Debug, PartialEq)]
pub struct Checked {
    /// The old system's id.
    pub external_id: String,
    /// Subject.
    pub subject: String,
    /// Description (may be empty).
    pub description: String,
    /// Channel.
    pub channel: Channel,
    /// 1–4.
    pub priority: i64,
    /// Category code.
    pub category: Option<String>,
    /// Customer.
    pub customer_id: Option<CustomerId>,
    /// Equipment.
    pub asset_id: Option<AssetId>,
    /// Region.
    pub region_id: Option<RegionId>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Its status now.
    pub status: Status,
    /// Resolved (for a resolved or closed ticket, and a reopened one).
    pub resolved_at: Option<DateTime<Utc>>,
    /// Closed or cancelled.
    pub closed_at: Option<DateTime<Utc>>,
    /// The engineer's username.
    pub assignee: Option<String>,
    /// Reopened once.
    pub reopened: bool,
    /// Survey score.
    pub csat: Option<i64>,
    /// Survey comment.
    pub comment: Option<String>,
}

/// Checks a line on its own: every field at fault, in the contract's order. `now` bounds the
/// times (history is in the past).
pub fn check(line: Line, now: DateTime<Utc>) -> Result<Checked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut keep = |r: Result<(), FieldError>| {
        if let Err(e) = r {
            errors.push(e);
        }
    };
    let fail = |field, reason| Err(FieldError { field, reason });
    let mut external_id = String::new();
    keep(
        validate::required_text("external_id", &line.external_id, MAX_EXTERNAL_ID)
            .map(|t| external_id = t),
    );
    let mut subject = String::new();
    keep(validate::required_text("subject", &line.subject, MAX_SUBJECT).map(|t| subject = t));
    let mut description = String::new();
    keep(
        validate::optional_text("description", line.description.as_deref(), MAX_DESCRIPTION)
            .map(|t| description = t.unwrap_or_default()),
    );
    let channel = match line.channel.as_deref().map(str::trim) {
        None | Some("") => Some(Channel::Phone),
        Some(c) => Channel::parse(c),
    };
    keep(match channel {
        Some(_) => Ok(()),
        None => fail("channel", "error.invalid_value"),
    });
    let priority = line.priority.unwrap_or(3);
    keep(validate::priority(priority).map(|_| ()));
    let mut category = None;
    keep(validate::optional_text("category", line.category.as_deref(), 64).map(|c| category = c));
    let mut id = |field, text: Option<&str>, parse: fn(&str) -> bool| match text.map(str::trim) {
        None | Some("") => None,
        Some(t) if parse(t) => Some(t.to_owned()),
        Some(_) => {
            errors.push(FieldError {
                field,
                reason: "error.unknown_id",
            });
            None
        }
    };
    let customer_id = id("customer_id", line.customer_id.as_deref(), |t| {
        CustomerId::parse(t).is_some()
    })
    .and_then(|t| CustomerId::parse(&t));
    let asset_id = id("asset_id", line.asset_id.as_deref(), |t| {
        AssetId::parse(t).is_some()
    })
    .and_then(|t| AssetId::parse(&t));
    let region_id = id("region_id", line.region_id.as_deref(), |t| {
        RegionId::parse(t).is_some()
    })
    .and_then(|t| RegionId::parse(&t));
    let mut keep = |r: Result<(), FieldError>| {
        if let Err(e) = r {
            errors.push(e);
        }
    };
    let created = line.created_at;
    keep(if created > now {
        fail("created_at", "error.in_future")
    } else {
        Ok(())
    });
    let status = STATUSES
        .into_iter()
        .find(|s| s.as_str() == line.status.trim());
    keep(match status {
        Some(_) => Ok(()),
        None => fail("status", "error.unknown_status"),
    });
    let status = status.unwrap_or(Status::New);
    let reopened = line.reopened.unwrap_or(false);
    let done = matches!(status, Status::Resolved | Status::Closed);
    // When each time may be given, and must be.
    let resolved_allowed = done || (status == Status::InProgress && reopened);
    let closed_allowed = matches!(status, Status::Closed | Status::Cancelled);
    let resolved_at = match status {
        Status::Closed => line.resolved_at.or(line.closed_at),
        _ => line.resolved_at,
    };
    keep(match (line.resolved_at, resolved_at) {
        (Some(_), _) if !resolved_allowed => fail("resolved_at", "error.not_for_status"),
        // A closed ticket without either time is told of its closure time only.
        (_, None) if resolved_allowed && line.closed_at.is_some() == (status == Status::Closed) => {
            fail("resolved_at", "error.required")
        }
        (_, Some(r)) if r < created => fail("resolved_at", "error.before_created"),
        (_, Some(r)) if r > now => fail("resolved_at", "error.in_future"),
        _ => Ok(()),
    });
    keep(match line.closed_at {
        Some(_) if !closed_allowed => fail("closed_at", "error.not_for_status"),
        None if status == Status::Closed => fail("closed_at", "error.required"),
        Some(x) if x < created => fail("closed_at", "error.before_created"),
        Some(x) if resolved_at.is_some_and(|r| x < r) => fail("closed_at", "error.before_resolved"),
        Some(x) if x > now => fail("closed_at", "error.in_future"),
        _ => Ok(()),
    });
    keep(match line.reopened {
        Some(true)
            if !matches!(
                status,
                Status::InProgress | Status::Resolved | Status::Closed
            ) =>
        {
            fail("reopened", "error.not_for_status")
        }
        _ => Ok(()),
    });
    let mut assignee = None;
    keep(validate::optional_text("assignee", line.assignee.as_deref(), 64).map(|a| assignee = a));
    // A new ticket has nobody yet (one with an engineer would be 已派工, not new).
    keep(match assignee {
        Some(_) if status == Status::New => fail("assignee", "error.not_for_status"),
        _ => Ok(()),
    });
    keep(match line.csat {
        Some(_) if !done => fail("csat", "error.not_for_status"),
        Some(c) if !(1..=5).contains(&c) => fail("csat", "error.survey_csat"),
        _ => Ok(()),
    });
    let mut comment = None;
    keep(
        validate::optional_text("comment", line.comment.as_deref(), MAX_NOTE).map(|c| comment = c),
    );
    keep(match (&comment, line.csat) {
        (Some(_), None) => fail("comment", "error.needs_csat"),
        _ => Ok(()),
    });
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Checked {
        external_id,
        subject,
        description,
        channel: channel.unwrap_or(Channel::Phone),
        priority,
        category,
        customer_id,
        asset_id,
        region_id,
        created_at: created,
        status,
        resolved_at: resolved_at.filter(|_| resolved_allowed),
        closed_at: line.closed_at,
        assignee,
        reopened,
        csat: line.csat,
        comment,
    })
}

/// When a line's survey was sent and answered: at the closure, else at the resolution.
pub fn survey_at(t: &Checked) -> DateTime<Utc> {
    t.closed_at
        .filter(|_| t.status == Status::Closed)
        .or(t.resolved_at)
        .unwrap_or(t.created_at)
}

/// One event of a ticket's rebuilt (or generated) history.
#[derive(Clone, Debug)]
pub struct HistoryEvent {
    /// What happened, with its data.
    pub payload: Payload,
    /// Who; `None` for the system.
    pub actor_id: Option<UserId>,
    /// Whether that was the customer, staff or the system.
    pub by: By,
    /// When.
    pub at: DateTime<Utc>,
    /// The status before a move.
    pub from: Option<Status>,
    /// The status after a move.
    pub to: Option<Status>,
    /// An internal note.
    pub internal: bool,
}

/// What a checked line's life needs beyond itself.
#[derive(Clone, Copy, Debug)]
pub struct Parties<'a> {
    /// The engineer its `assignee` names.
    pub assignee: Option<UserId>,
    /// The survey's id, when the line carries a score.
    pub survey_id: &'a str,
    /// The reason written on moves the import makes (in the importing admin's language).
    pub reason: &'a str,
}

/// The events after `created` that bring a checked line to its status, oldest first; every
/// move is a row of the transition table.
pub fn life(t: &Checked, parties: Parties<'_>) -> Vec<HistoryEvent> {
    let mut log = Log {
        status: Status::New,
        events: Vec::new(),
    };
    let created = t.created_at;
    let reason = || MoveData {
        reason: Some(parties.reason.to_owned()),
        ..MoveData::default()
    };
    if let Some(a) = parties.assignee {
        let assigned = MoveData {
            assignee_id: Some(a),
            previous_assignee_id: Some(None),
            ..MoveData::default()
        };
        log.moves(MoveKind::Assign, assigned, created);
    }
    if t.status == Status::Cancelled {
        log.moves(MoveKind::Cancel, reason(), t.closed_at.unwrap_or(created));
        return log.events;
    }
    if t.status == Status::New {
        return log.events;
    }
    // The visit (or the remote take-over) is placed where the work ended, so that no on-site
    // time is invented; an open ticket's at its creation.
    let reopen_at = t.resolved_at.map(|r| match t.status {
        Status::InProgress => r,
        _ => created + Duration::milliseconds((r - created).num_milliseconds() / 2),
    });
    let work_at = reopen_at.or(t.resolved_at).unwrap_or(created);
    if parties.assignee.is_some() {
        log.moves(MoveKind::Accept, MoveData::default(), created);
        log.moves(MoveKind::CheckIn, MoveData::default(), work_at);
        log.moves(MoveKind::Start, MoveData::default(), work_at);
    } else {
        log.moves(MoveKind::TakeRemote, MoveData::default(), work_at);
    }
    if let (true, Some(at)) = (t.reopened, reopen_at) {
        log.moves(MoveKind::Resolve, MoveData::default(), at);
        log.moves(MoveKind::Reopen, reason(), at);
    }
    if t.status == Status::InProgress {
        return log.events;
    }
    let resolved = t.resolved_at.unwrap_or(created);
    log.moves(MoveKind::Resolve, MoveData::default(), resolved);
    let closed = t.closed_at.filter(|_| t.status == Status::Closed);
    if let Some(at) = closed {
        log.moves(MoveKind::AutoClose, MoveData::default(), at);
    }
    if let Some(csat) = t.csat {
        let at = survey_at(t);
        let survey_id = parties.survey_id.to_owned();
        log.note(
            Payload::SurveySent(payload::SurveySent {
                survey_id: survey_id.clone(),
                expires_at: at,
            }),
            at,
        );
        log.note(
            Payload::SurveyAnswered(payload::SurveyAnswered {
                survey_id,
                csat: Some(csat),
                nps: None,
                comment: t.comment.clone(),
            }),
            at,
        );
    }
    log.events
}

/// A log being written, with the status it has reached.
struct Log {
    status: Status,
    events: Vec<HistoryEvent>,
}

impl Log {
    /// A move by the system: the table must have a row for it from where the log stands (a
    /// life that needs another is a bug here, caught by the tests).
    fn moves(&mut self, kind: MoveKind, data: MoveData, at: DateTime<Utc>) {
        let Some(rule) = crate::ticket::RULES
            .iter()
            .find(|r| r.kind == kind && r.from.contains(&self.status))
        else {
            debug_assert!(false, "{kind:?} from {:?}", self.status);
            return;
        };
        debug_assert!(rules_between(self.status, rule.to).any(|r| r.kind == kind));
        self.events.push(HistoryEvent {
            payload: Payload::Move(kind, data),
            actor_id: None,
            by: By::System,
            at,
            from: Some(self.status),
            to: Some(rule.to),
            internal: false,
        });
        self.status = rule.to;
    }

    fn note(&mut self, payload: Payload, at: DateTime<Utc>) {
        self.events.push(HistoryEvent {
            payload,
            actor_id: None,
            by: By::System,
            at,
            from: None,
            to: None,
            internal: false,
        });
    }
}

#[cfg(test)]
#[path = "import_tests.rs"]
mod tests;
