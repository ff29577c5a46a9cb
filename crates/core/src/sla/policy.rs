//! SLA policies: their targets and escalation chain, the defaults, and which policy a
//! ticket falls under (priority × customer tier × category).

use crate::validate::FieldError;
use crate::Role;
use serde::{Deserialize, Serialize};

use super::*;

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
pub(crate) const MAX_MINUTES: i64 = 525_600;

pub(crate) fn fail<T>(field: &'static str, reason: &'static str) -> Result<T, FieldError> {
    Err(FieldError { field, reason })
}

pub(crate) fn check_minutes(field: &'static str, minutes: i64) -> Result<i64, FieldError> {
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
