//! Human-readable ticket numbers: `WO-YYYYMMDD-NNNNN`, the date in the tenant's local
//! time, the sequence restarting each local day. The store hands out the sequence
//! atomically per tenant and day; this module only formats and reads it.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

/// The local calendar day a ticket created at `at` is numbered under.
pub fn numbering_day(at: DateTime<Utc>, offset: FixedOffset) -> NaiveDate {
    at.with_timezone(&offset).date_naive()
}

/// Formats a ticket number. Sequences past 99,999 in a day widen instead of wrapping.
pub fn format_number(day: NaiveDate, seq: u64) -> String {
    format!("WO-{}-{seq:05}", day.format("%Y%m%d"))
}

/// Reads a number back into its day and sequence; `None` if it is not one of ours.
pub fn parse_number(text: &str) -> Option<(NaiveDate, u64)> {
    let rest = text.strip_prefix("WO-")?;
    let (day, seq) = rest.split_once('-')?;
    if day.len() != 8 || seq.len() < 5 {
        return None;
    }
    let day = NaiveDate::parse_from_str(day, "%Y%m%d").ok()?;
    Some((day, seq.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn numbers_use_the_local_day_not_the_utc_day() {
        let shanghai = FixedOffset::east_opt(8 * 3600).unwrap();
        // 2026-11-23 17:30 UTC is already 2026-11-24 01:30 in Shanghai.
        let at = Utc.with_ymd_and_hms(2026, 11, 23, 17, 30, 0).unwrap();
        let day = numbering_day(at, shanghai);
        assert_eq!(format_number(day, 42), "WO-20261124-00042");
    }

    #[test]
    fn numbers_round_trip_and_widen_past_five_digits() {
        let day = NaiveDate::from_ymd_opt(2026, 1, 2).unwrap();
        assert_eq!(parse_number(&format_number(day, 7)), Some((day, 7)));
        assert_eq!(format_number(day, 123_456), "WO-20260102-123456");
        assert_eq!(parse_number("WO-20260102-123456"), Some((day, 123_456)));
        assert_eq!(parse_number("INC-1"), None);
    }
}
