//! What the SLA owes a ticket as time passes: its colour, the warnings, breaches and
//! escalation levels due, and which of them a scan must still record.

use crate::event::payload::SlaMark;
use crate::event::Payload;
use crate::Status;

use super::*;

/// When each promise was kept (met), if it was.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Met {
    /// First response.
    pub first_response: Option<i64>,
    /// Arrival.
    pub arrival: Option<i64>,
    /// Resolution (or the ticket stopped being open: closed, cancelled).
    pub resolution: Option<i64>,
}

impl Met {
    /// When `target` was met.
    pub fn of(&self, target: Target) -> Option<i64> {
        match target {
            Target::FirstResponse => self.first_response,
            Target::Arrival => self.arrival,
            Target::Resolution => self.resolution,
        }
    }
}

/// The colour of a ticket at `now`: red when a promise was broken (kept late, or due and not
/// kept), yellow when an unkept promise is past its warning moment, green otherwise. A
/// paused clock does not turn a colour further.
pub fn state(schedule: &Schedule, met: &Met, paused_since: Option<i64>, now: i64) -> SlaState {
    let now = paused_since.map_or(now, |p| p.min(now));
    let mut worst = SlaState::Ok;
    for target in Target::ALL {
        let Some(d) = schedule.of(target) else {
            continue;
        };
        let s = match met.of(target) {
            Some(m) if m > d.due => SlaState::Breached,
            Some(_) => SlaState::Ok,
            None if now >= d.due => SlaState::Breached,
            None if now >= d.warn => SlaState::Warning,
            None => SlaState::Ok,
        };
        worst = worst.max(s);
    }
    worst
}

/// Something the SLA owes a ticket: a warning, a breach, or an escalation level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MarkKind {
    /// Turned yellow.
    Warning,
    /// Turned red.
    Breached,
    /// An escalation level was notified.
    Escalated(u8),
}

impl MarkKind {
    /// The stored name: `warning`, `breached`, `escalated:<level>`.
    pub fn code(self) -> String {
        match self {
            MarkKind::Warning => "warning".into(),
            MarkKind::Breached => "breached".into(),
            MarkKind::Escalated(l) => format!("escalated:{l}"),
        }
    }

    /// The event the mark writes on its ticket.
    pub fn event(self, mark: SlaMark) -> Payload {
        match self {
            MarkKind::Warning => Payload::SlaWarning(mark),
            MarkKind::Breached => Payload::SlaBreached(mark),
            MarkKind::Escalated(_) => Payload::Escalated(mark),
        }
    }

    /// The event published to the outside world (webhooks, notifications).
    pub fn published_event(self) -> &'static str {
        match self {
            MarkKind::Warning => "sla.warning",
            MarkKind::Breached => "sla.breached",
            MarkKind::Escalated(_) => "sla.escalated",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<MarkKind> {
        match text {
            "warning" => Some(MarkKind::Warning),
            "breached" => Some(MarkKind::Breached),
            _ => text
                .strip_prefix("escalated:")
                .and_then(|l| l.parse().ok())
                .map(MarkKind::Escalated),
        }
    }
}

/// One owed mark of one target, and the moment it falls due.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Mark {
    /// Which promise.
    pub target: Target,
    /// Warning, breach or escalation level.
    pub kind: MarkKind,
    /// When it falls due (ms since the epoch).
    pub at: i64,
}

/// Every mark of every target, with its moment. Warnings and breaches are owed when the
/// promise was not kept by their moment; escalations only while it is still not kept.
pub fn marks(schedule: &Schedule, escalation: &[EscalationLevel]) -> Vec<Mark> {
    let mut out = Vec::new();
    for target in Target::ALL {
        let Some(d) = schedule.of(target) else {
            continue;
        };
        out.push(Mark {
            target,
            kind: MarkKind::Warning,
            at: d.warn,
        });
        out.push(Mark {
            target,
            kind: MarkKind::Breached,
            at: d.due,
        });
        for level in escalation {
            let base = match level.trigger {
                EscalationTrigger::Breach => d.due,
                EscalationTrigger::Warning => d.warn,
            };
            out.push(Mark {
                target,
                kind: MarkKind::Escalated(level.level),
                at: base.saturating_add(level.after_breach_minutes.max(0) * MINUTE_MS),
            });
        }
    }
    out
}

/// What a scan at `now` must record, and when the next scan of this ticket is needed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scan {
    /// Owed marks not yet recorded, oldest first.
    pub fire: Vec<Mark>,
    /// The earliest moment a further mark falls due (`None`: nothing more, or paused).
    pub next: Option<i64>,
}

/// Decides what is owed at `now`, given the marks already recorded (`fired`). A mark is owed
/// when its moment has come, its target was not kept before that moment, and (for an
/// escalation) the target is still not kept. While paused, only moments before the pause
/// fall due; the rest wait for the clock to resume.
pub fn scan(
    schedule: &Schedule,
    escalation: &[EscalationLevel],
    met: &Met,
    paused_since: Option<i64>,
    now: i64,
    fired: impl Fn(Target, MarkKind) -> bool,
) -> Scan {
    let horizon = paused_since.map_or(now, |p| p.min(now));
    let mut out = Scan::default();
    for mark in marks(schedule, escalation) {
        if fired(mark.target, mark.kind) {
            continue;
        }
        let kept = met.of(mark.target);
        let still_owed = match (mark.kind, kept) {
            (_, None) => true,
            (MarkKind::Escalated(_), Some(_)) => false,
            (_, Some(k)) => k > mark.at,
        };
        if !still_owed {
            continue;
        }
        if mark.at <= horizon {
            out.fire.push(mark);
        } else if kept.is_none() && paused_since.is_none() {
            out.next = Some(out.next.map_or(mark.at, |n| n.min(mark.at)));
        }
    }
    out.fire.sort_by_key(|m| (m.at, m.target, m.kind));
    out
}

/// Which promises a ticket kept, and when. Resolution counts as kept while the ticket is
/// resolved or closed (a reopen starts it running again) or once cancelled.
pub fn met(
    status: Status,
    first_response_at: Option<i64>,
    first_arrival_at: Option<i64>,
    resolved_at: Option<i64>,
    closed_at: Option<i64>,
    updated_at: i64,
) -> Met {
    let resolution = match status {
        Status::Resolved | Status::Closed => resolved_at.or(closed_at).or(Some(updated_at)),
        Status::Cancelled => closed_at.or(Some(updated_at)),
        _ => None,
    };
    Met {
        first_response: first_response_at,
        arrival: first_arrival_at,
        resolution,
    }
}
