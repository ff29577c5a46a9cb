//! The rules that stop password guessing: failed sign-ins are counted per account (one
//! password tried many times) and per client address (many accounts tried from one place:
//! spraying). Past a free allowance each further failure doubles the wait before the next
//! attempt, up to a ceiling; a quiet spell forgets the count, and a success forgets the
//! account's. A burst of failures is worth an alert to the admins, once per burst.
//!
//! Pure: the caller keeps the tallies (in memory on one instance; shared storage when
//! several instances serve) and passes the time.

use chrono::{DateTime, Duration, Utc};

/// The limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rules {
    /// Failures on one account before waits begin.
    pub account_free: u32,
    /// Failures from one address before waits begin (higher: a shared office address).
    pub address_free: u32,
    /// The first wait; each further failure doubles it.
    pub first_wait: Duration,
    /// The longest wait.
    pub max_wait: Duration,
    /// A tally with no failure for this long starts again from nothing.
    pub forget_after: Duration,
    /// Failures and refused attempts within one tally that make a burst the admins hear of.
    pub burst: u32,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            account_free: 5,
            address_free: 20,
            first_wait: Duration::seconds(2),
            max_wait: Duration::minutes(15),
            forget_after: Duration::minutes(30),
            burst: 30,
        }
    }
}

/// The failures counted against one account or one address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tally {
    /// Failures since the tally began.
    pub failures: u32,
    /// The last failure.
    pub last: DateTime<Utc>,
    /// No attempt before this.
    pub blocked_until: Option<DateTime<Utc>>,
    /// Attempts refused for coming before `blocked_until`.
    pub refused: u32,
    /// The admins were told of this burst.
    pub alerted: bool,
}

/// What a tally is counted against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    /// One account (tenant and user name).
    Account,
    /// One client address.
    Address,
}

impl Rules {
    fn free(&self, subject: Subject) -> u32 {
        match subject {
            Subject::Account => self.account_free,
            Subject::Address => self.address_free,
        }
    }

    /// The tally as it stands at `now` (none: forgotten, or never begun).
    pub fn current(&self, tally: Option<Tally>, now: DateTime<Utc>) -> Option<Tally> {
        tally.filter(|t| now - t.last < self.forget_after)
    }

    /// How long the caller must wait before an attempt is even checked (none: go ahead).
    pub fn wait(&self, tally: Option<Tally>, now: DateTime<Utc>) -> Option<Duration> {
        let until = self.current(tally, now)?.blocked_until?;
        (until > now).then(|| until - now)
    }

    /// The tally after a failed attempt at `now`.
    pub fn failed(&self, subject: Subject, tally: Option<Tally>, now: DateTime<Utc>) -> Tally {
        let previous = self.current(tally, now);
        let failures = previous.map_or(0, |t| t.failures).saturating_add(1);
        let over = failures.saturating_sub(self.free(subject));
        let blocked_until = (over > 0).then(|| {
            // 2^(over-1) × the first wait, without overflowing on a long siege.
            let doublings = (over - 1).min(20);
            let wait = self.first_wait * 2i32.saturating_pow(doublings);
            now + wait.min(self.max_wait)
        });
        Tally {
            failures,
            last: now,
            blocked_until,
            refused: previous.map_or(0, |t| t.refused),
            alerted: previous.is_some_and(|t| t.alerted),
        }
    }

    /// The tally after an attempt refused for coming too soon (it counts towards a burst,
    /// not towards the wait).
    pub fn refused(&self, tally: Tally) -> Tally {
        Tally {
            refused: tally.refused.saturating_add(1),
            ..tally
        }
    }

    /// True when this tally has just become a burst the admins should hear of (the caller
    /// then marks it `alerted`).
    pub fn alert_due(&self, tally: &Tally) -> bool {
        !tally.alerted && tally.failures.saturating_add(tally.refused) >= self.burst
    }
}

#[cfg(test)]
#[path = "login_tests.rs"]
mod tests;
