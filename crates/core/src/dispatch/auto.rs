//! Automatic dispatch: the tenant's setting, and when an engineer has had an order too long
//! without accepting it.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::validate::FieldError;

/// How a tenant dispatches.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Dispatchers assign by hand; no proposals.
    Off,
    /// Proposals for dispatchers to accept (the default).
    #[default]
    Propose,
    /// The system assigns each new order to its proposal, and passes an order on to the
    /// next candidate when its engineer does not accept in time.
    Auto,
}

impl Mode {
    /// The stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Off => "off",
            Mode::Propose => "propose",
            Mode::Auto => "auto",
        }
    }

    /// Reads the stored name.
    pub fn parse(text: &str) -> Option<Mode> {
        match text {
            "off" => Some(Mode::Off),
            "propose" => Some(Mode::Propose),
            "auto" => Some(Mode::Auto),
            _ => None,
        }
    }
}

/// A tenant's dispatch settings.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `off`, `propose` or `auto`.
    pub mode: Mode,
    /// Minutes an assigned engineer has to accept before the order moves on (automatic mode).
    pub accept_minutes: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            mode: Mode::Propose,
            accept_minutes: 15,
        }
    }
}

/// Checks settings: 1 to 1440 minutes to accept.
pub fn settings(s: Settings) -> Result<Settings, FieldError> {
    if !(1..=1440).contains(&s.accept_minutes) {
        return Err(FieldError {
            field: "accept_minutes",
            reason: "error.invalid_number",
        });
    }
    Ok(s)
}

/// True when an order assigned at `since` and not accepted has waited too long by `now`.
pub fn timed_out(since: DateTime<Utc>, now: DateTime<Utc>, accept_minutes: i64) -> bool {
    now - since >= Duration::minutes(accept_minutes)
}

/// True when a person assigning `chosen` overrides the proposal `proposed`: there was one,
/// and it was someone else. The event records who and why.
pub fn is_override(proposed: Option<&str>, chosen: &str) -> bool {
    proposed.is_some_and(|p| p != chosen)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn an_order_times_out_after_the_minutes_to_accept() {
        let at = Utc
            .with_ymd_and_hms(2026, 11, 24, 9, 0, 0)
            .single()
            .unwrap_or_default();
        assert!(!timed_out(at, at + Duration::minutes(14), 15));
        assert!(timed_out(at, at + Duration::minutes(15), 15));
        assert_eq!(
            settings(Settings {
                mode: Mode::Auto,
                accept_minutes: 0
            })
            .map_err(|e| e.field),
            Err("accept_minutes")
        );
        assert_eq!(Mode::parse("auto"), Some(Mode::Auto));
        assert!(is_override(Some("a"), "b"));
        assert!(!is_override(Some("a"), "a"));
        assert!(!is_override(None, "a"));
    }
}
