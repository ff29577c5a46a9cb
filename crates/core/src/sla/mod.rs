//! Service-level agreements: which policy a ticket falls under, when each promise is due in
//! business time, when it turns yellow and red, and which escalations are owed.
//!
//! Every function here is pure: times are milliseconds since the epoch (UTC) passed in by the
//! caller, so the same inputs always give the same answer, whatever the wall clock says.

pub mod calendar;

use serde::{Deserialize, Serialize};

use crate::event::payload::SlaMark;
use crate::event::Payload;
use crate::validate::FieldError;
use crate::{Role, Status};
pub use calendar::{BusinessCalendar, Calendar, CalendarError, CalendarSpec, WorkingHours};

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

/// One level of an escalation chain.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationLevel {
    /// 1 = the region's supervisor, 2 = the manager, …
    pub level: u8,
    /// Minutes (wall clock) after the trigger before this level is notified.
    #[serde(default)]
    pub after_breach_minutes: i64,
    /// Who hears of it.
    #[serde(default)]
    pub notify_roles: Vec<Role>,
    /// What starts the countdown: the breach (default) or the warning.
    #[serde(default)]
    pub trigger: EscalationTrigger,
}

/// The promises of a policy.
#[derive(Clone, Debug, PartialEq)]
pub struct Targets {
    /// Minutes to the first response.
    pub first_response_minutes: i64,
    /// Minutes to the arrival on site (none for remote-only service).
    pub arrival_minutes: Option<i64>,
    /// Minutes to resolution.
    pub resolution_minutes: i64,
    /// Share of a target after which it turns yellow (0 < warn_at < 1).
    pub warn_at: f64,
}

/// Longest target: a year.
const MAX_MINUTES: i64 = 525_600;

fn fail<T>(field: &'static str, reason: &'static str) -> Result<T, FieldError> {
    Err(FieldError { field, reason })
}

fn check_minutes(field: &'static str, minutes: i64) -> Result<i64, FieldError> {
    if (1..=MAX_MINUTES).contains(&minutes) {
        Ok(minutes)
    } else {
        fail(field, "error.sla_minutes")
    }
}

impl Targets {
    /// Checks a policy's targets (1 minute to a year each; the warning share, 0.75 when not
    /// given, strictly between 0 and 1).
    pub fn checked(
        first_response_minutes: i64,
        arrival_minutes: Option<i64>,
        resolution_minutes: i64,
        warn_at: Option<f64>,
    ) -> Result<Targets, FieldError> {
        check_minutes("first_response_minutes", first_response_minutes)?;
        if let Some(a) = arrival_minutes {
            check_minutes("arrival_minutes", a)?;
        }
        check_minutes("resolution_minutes", resolution_minutes)?;
        let warn_at = warn_at.unwrap_or(DEFAULT_WARN_AT);
        if !(warn_at > 0.0 && warn_at < 1.0) {
            return fail("warn_at", "error.sla_warn_at");
        }
        Ok(Targets {
            first_response_minutes,
            arrival_minutes,
            resolution_minutes,
            warn_at,
        })
    }

    /// The target's length in minutes, when the policy has it.
    pub fn minutes(&self, target: Target) -> Option<i64> {
        match target {
            Target::FirstResponse => Some(self.first_response_minutes),
            Target::Arrival => self.arrival_minutes,
            Target::Resolution => Some(self.resolution_minutes),
        }
    }
}

/// Checks an escalation chain: levels rising from 1 to at most 9, each waiting 0 minutes to a
/// year after its trigger.
pub fn check_escalation(levels: &[EscalationLevel]) -> Result<(), FieldError> {
    let mut last = 0u8;
    for level in levels {
        if level.level <= last || level.level > 9 {
            return fail("escalation", "error.sla_levels");
        }
        if !(0..=MAX_MINUTES).contains(&level.after_breach_minutes) {
            return fail("escalation", "error.sla_minutes");
        }
        last = level.level;
    }
    Ok(())
}

/// The warning share when a policy names none.
pub const DEFAULT_WARN_AT: f64 = 0.75;

/// The catch-all policy every tenant starts with: 1 h to respond, 4 h to arrive, 24 h to
/// resolve, around the clock.
pub fn default_targets() -> Targets {
    Targets {
        first_response_minutes: 60,
        arrival_minutes: Some(240),
        resolution_minutes: 1440,
        warn_at: DEFAULT_WARN_AT,
    }
}

/// The default policy's chain: the region's supervisor hears of a breach at once, the
/// manager an hour later.
pub fn default_escalation() -> Vec<EscalationLevel> {
    vec![
        EscalationLevel {
            level: 1,
            after_breach_minutes: 0,
            notify_roles: vec![Role::Supervisor],
            trigger: EscalationTrigger::Breach,
        },
        EscalationLevel {
            level: 2,
            after_breach_minutes: 60,
            notify_roles: vec![Role::Manager],
            trigger: EscalationTrigger::Breach,
        },
    ]
}

/// Which tickets a policy is for; `None` matches anything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyScope {
    /// Priority 1–4.
    pub priority: Option<i64>,
    /// Customer tier (e.g. `vip`).
    pub customer_tier: Option<String>,
    /// Category code.
    pub category: Option<String>,
}

/// What a ticket offers to be matched against a policy.
#[derive(Clone, Copy, Debug, Default)]
pub struct TicketKey<'a> {
    /// Priority 1–4.
    pub priority: i64,
    /// The customer's tier.
    pub customer_tier: Option<&'a str>,
    /// The category.
    pub category: Option<&'a str>,
}

impl PolicyScope {
    /// True when the ticket falls under this scope.
    pub fn matches(&self, key: &TicketKey<'_>) -> bool {
        self.priority.is_none_or(|p| p == key.priority)
            && self
                .customer_tier
                .as_deref()
                .is_none_or(|t| key.customer_tier == Some(t))
            && self
                .category
                .as_deref()
                .is_none_or(|c| key.category == Some(c))
    }

    fn specificity(&self) -> usize {
        usize::from(self.priority.is_some())
            + usize::from(self.customer_tier.is_some())
            + usize::from(self.category.is_some())
    }
}

/// The policy for a ticket: among the policies whose scope matches, the most specific one
/// (most criteria set); between equally specific ones, the first in `policies` order. A
/// policy with no criteria is the default and matches every ticket.
pub fn choose_policy<'a, P>(
    policies: &'a [P],
    scope: impl Fn(&P) -> &PolicyScope,
    key: &TicketKey<'_>,
) -> Option<&'a P> {
    let mut best: Option<(&P, usize)> = None;
    for p in policies {
        let s = scope(p);
        if s.matches(key) && best.is_none_or(|(_, b)| s.specificity() > b) {
            best = Some((p, s.specificity()));
        }
    }
    best.map(|(p, _)| p)
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

#[cfg(test)]
mod tests;
