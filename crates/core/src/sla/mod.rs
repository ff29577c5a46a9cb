//! Service-level agreements: which policy a ticket falls under, when each promise is due in
//! business time, when it turns yellow and red, and which escalations are owed.
//!
//! Every function here is pure: times are milliseconds since the epoch (UTC) passed in by the
//! caller, so the same inputs always give the same answer, whatever the wall clock says.

pub mod calendar;

use serde::{Deserialize, Serialize};

use crate::{Role, Status};
pub use calendar::{BusinessCalendar, Calendar, CalendarError, CalendarSpec, WorkingHours};

mod marks;
mod policy;

pub use marks::*;
pub use policy::*;

const MINUTE_MS: i64 = 60_000;

/// One promise of a policy.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// First response to the customer (acceptance, outbound contact, a public reply).
    FirstResponse,
    /// The engineer's arrival on site (check-in).
    Arrival,
    /// Resolution.
    Resolution,
}

impl Target {
    /// All targets, in the order they fall due.
    pub const ALL: [Target; 3] = [Target::FirstResponse, Target::Arrival, Target::Resolution];

    /// The code name.
    pub fn as_str(self) -> &'static str {
        match self {
            Target::FirstResponse => "first_response",
            Target::Arrival => "arrival",
            Target::Resolution => "resolution",
        }
    }

    /// Parses a code name.
    pub fn parse(text: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

/// Green, yellow or red.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaState {
    /// Every promise is on track.
    Ok,
    /// A promise has used up its warning share.
    Warning,
    /// A promise was broken.
    Breached,
}

impl SlaState {
    /// The code name.
    pub fn as_str(self) -> &'static str {
        match self {
            SlaState::Ok => "ok",
            SlaState::Warning => "warning",
            SlaState::Breached => "breached",
        }
    }

    /// True when a promise is about to break or has broken: what a supervisor looks at.
    pub fn at_risk(self) -> bool {
        matches!(self, SlaState::Warning | SlaState::Breached)
    }

    /// Parses a code name.
    pub fn parse(text: &str) -> Option<SlaState> {
        [SlaState::Ok, SlaState::Warning, SlaState::Breached]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// What starts an escalation level's countdown.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationTrigger {
    /// The breach (the default).
    #[default]
    Breach,
    /// The warning.
    Warning,
}

/// Merges pause intervals `[from, to)` into sorted, disjoint ones: the result does not
/// depend on the order the pauses were recorded in.
pub fn merge_pauses(pauses: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let mut v: Vec<(i64, i64)> = pauses.iter().copied().filter(|(f, t)| t > f).collect();
    v.sort_unstable();
    let mut out: Vec<(i64, i64)> = Vec::with_capacity(v.len());
    for (f, t) in v {
        match out.last_mut() {
            Some(last) if f <= last.1 => last.1 = last.1.max(t),
            _ => out.push((f, t)),
        }
    }
    out
}

/// The moment `target_ms` of working time has run since `start`, not counting the (closed)
/// pauses. `None` when the calendar never reaches it.
pub fn due(calendar: &Calendar, start: i64, target_ms: i64, pauses: &[(i64, i64)]) -> Option<i64> {
    let mut cursor = start;
    let mut left = target_ms.max(0);
    for (from, to) in merge_pauses(pauses) {
        if to <= cursor {
            continue;
        }
        if from > cursor {
            let candidate = calendar.add(cursor, left)?;
            if candidate <= from {
                return Some(candidate);
            }
            left -= calendar.between(cursor, from);
        }
        cursor = cursor.max(to);
    }
    calendar.add(cursor, left)
}

/// A ticket's SLA clock as stored on it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    /// When the clock started (the ticket's creation).
    pub start: i64,
    /// Finished pauses (`waiting_customer` spans), `[from, to)`.
    #[serde(default)]
    pub pauses: Vec<(i64, i64)>,
    /// Since when the clock is paused, if it is now.
    #[serde(default)]
    pub paused_since: Option<i64>,
}

impl Clock {
    /// Pauses the clock at `at` (no-op when already paused).
    pub fn pause(&mut self, at: i64) {
        if self.paused_since.is_none() {
            self.paused_since = Some(at);
        }
    }

    /// Resumes the clock at `at` (no-op when running).
    pub fn resume(&mut self, at: i64) {
        if let Some(from) = self.paused_since.take() {
            self.pauses.push((from, at.max(from)));
            self.pauses = merge_pauses(&self.pauses);
        }
    }
}

/// When each promise is due and when it turns yellow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Due {
    /// Breach moment.
    pub due: i64,
    /// Warning moment.
    pub warn: i64,
}

/// The due moments of every target the policy has.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    /// First response.
    pub first_response: Option<Due>,
    /// Arrival.
    pub arrival: Option<Due>,
    /// Resolution.
    pub resolution: Option<Due>,
}

impl Schedule {
    /// The due moments of one target.
    pub fn of(&self, target: Target) -> Option<Due> {
        match target {
            Target::FirstResponse => self.first_response,
            Target::Arrival => self.arrival,
            Target::Resolution => self.resolution,
        }
    }

    fn set(&mut self, target: Target, due: Option<Due>) {
        match target {
            Target::FirstResponse => self.first_response = due,
            Target::Arrival => self.arrival = due,
            Target::Resolution => self.resolution = due,
        }
    }
}

/// Computes the due and warning moments of every target, in business time, with the pauses.
/// While the clock is paused the moments are those it would have if it resumed at once
/// (`paused_since` counts as `now`): they move on when it really resumes.
pub fn schedule(calendar: &Calendar, targets: &Targets, clock: &Clock) -> Schedule {
    let mut out = Schedule::default();
    for target in Target::ALL {
        let Some(minutes) = targets.minutes(target) else {
            continue;
        };
        let full = minutes.max(0) * MINUTE_MS;
        let warn_share = if targets.warn_at > 0.0 && targets.warn_at < 1.0 {
            targets.warn_at
        } else {
            DEFAULT_WARN_AT
        };
        let warn_ms = (full as f64 * warn_share).round() as i64;
        let d = due(calendar, clock.start, full, &clock.pauses);
        let w = due(calendar, clock.start, warn_ms, &clock.pauses);
        if let (Some(due), Some(warn)) = (d, w) {
            out.set(target, Some(Due { due, warn }));
        }
    }
    out
}

/// A ticket's SLA as stored with it: the clock and the moments computed from it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketSla {
    /// Start and pauses.
    pub clock: Clock,
    /// Due and warning moments.
    pub schedule: Schedule,
}

/// A policy's promises with the calendar they run on and the chain behind them.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyTerms {
    /// Targets and warning share.
    pub targets: Targets,
    /// When the clock runs.
    pub calendar: Calendar,
    /// Who hears of it, in order.
    pub escalation: Vec<EscalationLevel>,
}

impl PolicyTerms {
    /// Who hears of escalation `level` (nobody when the chain has no such level).
    pub fn notify_roles(&self, level: u8) -> &[Role] {
        self.escalation
            .iter()
            .find(|l| l.level == level)
            .map_or(&[], |l| l.notify_roles.as_slice())
    }
}

impl TicketSla {
    /// The SLA of a ticket created at `start` under `terms`.
    pub fn start(terms: &PolicyTerms, start: i64) -> TicketSla {
        let clock = Clock {
            start,
            ..Clock::default()
        };
        let schedule = schedule(&terms.calendar, &terms.targets, &clock);
        TicketSla { clock, schedule }
    }

    /// Follows a status move: the clock pauses on entering `waiting_customer` and resumes
    /// (moving the due times on by the working time spent waiting) on leaving it.
    pub fn on_move(&mut self, terms: &PolicyTerms, from: Status, to: Status, at: i64) {
        if to == Status::WaitingCustomer && from != Status::WaitingCustomer {
            self.clock.pause(at);
        } else if from == Status::WaitingCustomer && to != Status::WaitingCustomer {
            self.clock.resume(at);
            self.schedule = schedule(&terms.calendar, &terms.targets, &self.clock);
        }
    }

    /// Recomputes the moments under (new) terms, keeping the clock: a priority change or a
    /// policy re-applied to an open ticket.
    pub fn reapply(&mut self, terms: &PolicyTerms) {
        self.schedule = schedule(&terms.calendar, &terms.targets, &self.clock);
    }

    /// The colour at `now` and the moment the scan must look at this ticket again (`None`:
    /// nothing more can fall due, or the clock is paused). Marks already recorded are not
    /// known here, so a moment already past gives `now`: the scan then decides.
    pub fn evaluate(&self, terms: &PolicyTerms, met: &Met, now: i64) -> (SlaState, Option<i64>) {
        let st = state(&self.schedule, met, self.clock.paused_since, now);
        let s = scan(
            &self.schedule,
            &terms.escalation,
            met,
            self.clock.paused_since,
            now,
            |_, _| false,
        );
        let next = if s.fire.is_empty() { s.next } else { Some(now) };
        (st, next)
    }
}

pub mod whatif;

#[cfg(test)]
mod tests;
