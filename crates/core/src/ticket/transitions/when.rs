//! When a move happened. A phone without a network keeps the engineer's moves and sends them
//! later; each carries the time it was made on the phone (`client_at`), and the move counts
//! from then — an offline check-in is an arrival for OAT and the SLA when it happened, not
//! when it synced. Bounded, because a phone's clock is the phone's: never ahead of the server
//! (a couple of minutes of drift are taken as now, more is refused), never more than a day
//! old (refused: the engineer sees why and records it again), and never before what the log
//! already holds (taken as that moment, so the log stays in order).

use chrono::{DateTime, Duration, Utc};

use crate::validate::FieldError;

/// How far ahead of the server a phone's clock may run and still be taken as now.
pub const CLOCK_DRIFT: Duration = Duration::minutes(2);

/// The oldest a move sent later may be.
pub const OFFLINE_LIMIT: Duration = Duration::hours(24);

/// The time a move counts from: `client_at` within the bounds, else now (none given); refused
/// on `client_at` when too far ahead or too old. `previous` is the ticket's latest event.
pub fn happened_at(
    client_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    previous: Option<DateTime<Utc>>,
) -> Result<DateTime<Utc>, FieldError> {
    let Some(at) = client_at else {
        return Ok(now);
    };
    let refuse = |reason| {
        Err(FieldError {
            field: "client_at",
            reason,
        })
    };
    if at > now + CLOCK_DRIFT {
        return refuse("error.client_at_future");
    }
    if at < now - OFFLINE_LIMIT {
        return refuse("error.client_at_too_old");
    }
    let at = at.min(now);
    Ok(previous.map_or(at, |p| at.max(p.min(now))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 5, h, m, 0)
            .single()
            .unwrap_or_default()
    }

    #[test]
    fn a_move_counts_from_when_it_was_made_within_the_bounds() {
        let now = at(12, 0);
        assert_eq!(happened_at(None, now, Some(at(9, 0))), Ok(now));
        assert_eq!(
            happened_at(Some(at(10, 30)), now, Some(at(9, 0))),
            Ok(at(10, 30))
        );
        // A minute of drift ahead is now; before the last entry of the log is that entry.
        assert_eq!(happened_at(Some(at(12, 1)), now, None), Ok(now));
        assert_eq!(
            happened_at(Some(at(8, 0)), now, Some(at(9, 0))),
            Ok(at(9, 0))
        );
        let reason = |client| happened_at(Some(client), now, None).map_err(|e| (e.field, e.reason));
        assert_eq!(
            reason(at(12, 5)),
            Err(("client_at", "error.client_at_future"))
        );
        assert_eq!(
            reason(now - Duration::hours(25)),
            Err(("client_at", "error.client_at_too_old"))
        );
        assert_eq!(
            reason(now - Duration::hours(23)),
            Ok(now - Duration::hours(23))
        );
    }
}
