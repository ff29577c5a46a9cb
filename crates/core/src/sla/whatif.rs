//! SLA what-if (issue 23): a past period's tickets replayed under a candidate policy. Each
//! ticket keeps its own life — its clock's start and the pauses it really had, when it was
//! first answered, reached and resolved — and only the promises change: would it have been
//! late, and does that differ from the policy it ran under? Counted per region, category and
//! priority, with the tickets that flip.

use std::collections::BTreeMap;

use super::marks::Met;
use super::{schedule, Clock, PolicyTerms, Target};

/// A past ticket's life as the SLA reads it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lived {
    /// Its clock: start and the pauses it had (and a pause still running).
    pub clock: Clock,
    /// When it kept each promise, if it did.
    pub met: Met,
}

/// Whether each promise would be broken (`None`: the policy makes no such promise).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// First response late.
    pub first_response: Option<bool>,
    /// Resolution late.
    pub resolution: Option<bool>,
}

impl Verdict {
    fn of(&self, target: Target) -> Option<bool> {
        match target {
            Target::FirstResponse => self.first_response,
            Target::Resolution => self.resolution,
            Target::Arrival => None,
        }
    }
}

/// The targets a what-if compares.
pub const COMPARED: [Target; 2] = [Target::FirstResponse, Target::Resolution];

/// Whether `lived` breaks the promises of `terms`, judged at `now` for a promise not kept yet.
/// A paused clock stops at the pause, as the live SLA does. A ticket resolved without a
/// first response on record (history moved in from another system, which did not keep it)
/// has no first-response verdict: unknown, not late.
pub fn verdict(terms: &PolicyTerms, lived: &Lived, now: i64) -> Verdict {
    let s = schedule(&terms.calendar, &terms.targets, &lived.clock);
    let now = lived.clock.paused_since.map_or(now, |p| p.min(now));
    let late = |target: Target| {
        let due = s.of(target)?.due;
        match lived.met.of(target) {
            Some(at) => Some(at > due),
            None if lived.met.resolution.is_some() && target != Target::Resolution => None,
            None => Some(now >= due),
        }
    };
    Verdict {
        first_response: late(Target::FirstResponse),
        resolution: late(Target::Resolution),
    }
}

/// Where a ticket is counted.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Group {
    /// Region id.
    pub region: Option<String>,
    /// Category code.
    pub category: Option<String>,
    /// Priority.
    pub priority: i64,
}

/// Late tickets under the policy in force and under the candidate, per target.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Tickets counted.
    pub tickets: usize,
    /// First response late: (in force, candidate).
    pub first_response: (usize, usize),
    /// Resolution late: (in force, candidate).
    pub resolution: (usize, usize),
}

impl Tally {
    fn add(&mut self, now: Verdict, candidate: Verdict) {
        self.tickets += 1;
        let n = |v: Option<bool>| usize::from(v == Some(true));
        self.first_response.0 += n(now.first_response);
        self.first_response.1 += n(candidate.first_response);
        self.resolution.0 += n(now.resolution);
        self.resolution.1 += n(candidate.resolution);
    }

    /// How much the candidate changes: the sum of the changes' sizes.
    fn change(&self) -> usize {
        self.first_response.0.abs_diff(self.first_response.1)
            + self.resolution.0.abs_diff(self.resolution.1)
    }
}

/// A ticket whose verdict on a target differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flip {
    /// Its index in the input.
    pub ticket: usize,
    /// Which promise.
    pub target: Target,
    /// Late under the policy in force.
    pub was_late: bool,
}

/// The comparison.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WhatIf {
    /// All tickets.
    pub total: Tally,
    /// Per group, the most changed first.
    pub groups: Vec<(Group, Tally)>,
    /// Every flip, in input order.
    pub flips: Vec<Flip>,
}

/// Compares each ticket's verdict in force with its candidate verdict.
pub fn compare(tickets: &[(Group, Verdict, Verdict)]) -> WhatIf {
    let mut total = Tally::default();
    let mut groups: BTreeMap<Group, Tally> = BTreeMap::new();
    let mut flips = Vec::new();
    for (i, (group, now, candidate)) in tickets.iter().enumerate() {
        total.add(*now, *candidate);
        groups
            .entry(group.clone())
            .or_default()
            .add(*now, *candidate);
        for target in COMPARED {
            if let (Some(a), Some(b)) = (now.of(target), candidate.of(target)) {
                if a != b {
                    flips.push(Flip {
                        ticket: i,
                        target,
                        was_late: a,
                    });
                }
            }
        }
    }
    let mut groups: Vec<(Group, Tally)> = groups.into_iter().collect();
    groups.sort_by(|a, b| b.1.change().cmp(&a.1.change()).then(a.0.cmp(&b.0)));
    WhatIf {
        total,
        groups,
        flips,
    }
}
