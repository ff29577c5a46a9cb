//! After the work: what the customer hears at each milestone and on which channel, the
//! satisfaction survey (its signed link, its answer, and what a bad or a glowing answer
//! sets off), and when an unconfirmed fix closes by itself.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::ticket::transitions::{Actor, MoveKind};
use crate::validate::FieldError;
use crate::{Role, Status};

mod messages;
mod survey;

pub use messages::*;
pub use survey::*;

fn fail<T>(field: &'static str, reason: &'static str) -> Result<T, FieldError> {
    Err(FieldError { field, reason })
}

/// A tenant's after-resolution knobs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FollowUp {
    /// Days a resolved ticket waits for the customer before it closes by itself (1–90).
    pub auto_close_days: i64,
    /// Minutes after `resolved` the survey goes out (0–1440: always within 24 hours).
    pub survey_delay_minutes: i64,
    /// Days a survey link stays valid (1–60).
    pub survey_valid_days: i64,
}

impl Default for FollowUp {
    fn default() -> Self {
        FollowUp {
            auto_close_days: 7,
            survey_delay_minutes: 60,
            survey_valid_days: 14,
        }
    }
}

impl FollowUp {
    /// Checks the ranges.
    pub fn checked(self) -> Result<FollowUp, FieldError> {
        if !(1..=90).contains(&self.auto_close_days) {
            return fail("auto_close_days", "error.auto_close_days");
        }
        if !(0..=1440).contains(&self.survey_delay_minutes) {
            return fail("survey_delay_minutes", "error.survey_delay");
        }
        if !(1..=60).contains(&self.survey_valid_days) {
            return fail("survey_valid_days", "error.survey_valid_days");
        }
        Ok(self)
    }

    /// When a ticket resolved at `resolved_at` closes by itself.
    pub fn auto_close_at(&self, resolved_at: DateTime<Utc>) -> DateTime<Utc> {
        resolved_at + Duration::days(self.auto_close_days)
    }

    /// The latest resolution time that is due for auto-close at `now`.
    pub fn auto_close_cutoff(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - Duration::days(self.auto_close_days)
    }

    /// When the survey of a ticket resolved at `resolved_at` goes out.
    pub fn survey_at(&self, resolved_at: DateTime<Utc>) -> DateTime<Utc> {
        resolved_at + Duration::minutes(self.survey_delay_minutes)
    }

    /// True while a survey for a fix made at `resolved_at` may still go out at `now`: no later
    /// than the survey's own validity after it was due. A fix found months later (a history
    /// import, a job queue that stood still) gets no survey: nobody remembers the visit.
    pub fn survey_in_time(&self, resolved_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        now <= self.survey_at(resolved_at) + Duration::days(self.survey_valid_days)
    }

    /// Until when a survey sent at `sent_at` can be answered.
    pub fn survey_expires(&self, sent_at: DateTime<Utc>) -> DateTime<Utc> {
        sent_at + Duration::days(self.survey_valid_days)
    }
}

/// True while the survey of resolution `round` is still to be sent: the ticket is resolved or
/// closed and has not been reopened since (a new resolution brings its own survey); a
/// cancelled or reopened ticket gets none.
pub fn survey_still_due(status: Status, reopen_count: i64, round: i64) -> bool {
    matches!(status, Status::Resolved | Status::Closed) && reopen_count == round
}

/// A reopen by the customer ("not fixed") opens remediation; one by staff does not.
pub fn reopen_remediation(kind: MoveKind, actor: &Actor) -> Option<Remediation> {
    (kind == MoveKind::Reopen && actor.has(Role::Customer)).then_some(Remediation::NotFixed)
}

#[cfg(test)]
mod tests;
