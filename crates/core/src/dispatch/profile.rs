//! Engineer profiles as admins write them: skills with levels, regions served, home base,
//! capacity and weekly shift; and the engineer's own on/off duty and position pings.

use serde::{Deserialize, Serialize};

use super::{Point, Skill};
use crate::sla::calendar::{Calendar, CalendarSpec, WorkingHours};
use crate::ticket::status::Status;
use crate::validate::{self, FieldError};

/// Most skills one engineer holds.
pub const MAX_SKILLS: usize = 20;
/// The highest skill level.
pub const MAX_LEVEL: u8 = 5;
/// The most open orders an engineer may be given at once.
pub const MAX_CAPACITY: i64 = 50;

/// The statuses in which an order weighs on its engineer's capacity: assigned and not yet
/// resolved (a fix waiting for the customer's word or a supervisor's review is done work).
pub const LOAD: [Status; 7] = [
    Status::Assigned,
    Status::Accepted,
    Status::EnRoute,
    Status::OnSite,
    Status::InProgress,
    Status::WaitingParts,
    Status::WaitingCustomer,
];

/// What an admin sets for an engineer.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileInput {
    /// Skills with levels 1–5, e.g. `{"name": "hvac", "level": 3}`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub skills: Vec<Skill>,
    /// Region ids served besides their own (empty: their own region only).
    #[serde(default)]
    pub regions: Vec<String>,
    /// Home base, where the day starts.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub home: Option<Point>,
    /// Most open orders at once (1–50, default 5).
    #[serde(default = "default_capacity")]
    pub capacity: i64,
    /// Weekly working hours, local time (empty: any time they are on duty).
    #[serde(default)]
    pub shift: Vec<WorkingHours>,
}

fn default_capacity() -> i64 {
    5
}

fn fail<T>(field: &'static str, reason: &'static str) -> Result<T, FieldError> {
    Err(FieldError { field, reason })
}

impl ProfileInput {
    /// Checks every value; skill names are trimmed and lower-cased.
    pub fn checked(mut self, utc_offset_minutes: i32) -> Result<ProfileInput, FieldError> {
        if self.skills.len() > MAX_SKILLS {
            return fail("skills", "error.too_many");
        }
        for s in &mut self.skills {
            s.name = s.name.trim().to_lowercase();
            let fine = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
            if s.name.is_empty() || s.name.len() > 32 || !s.name.chars().all(fine) {
                return fail("skills", "error.skill_name");
            }
            if !(1..=MAX_LEVEL).contains(&s.level) {
                return fail("skills", "error.skill_level");
            }
        }
        let mut names: Vec<&str> = self.skills.iter().map(|s| s.name.as_str()).collect();
        names.sort_unstable();
        if names.windows(2).any(|w| w[0] == w[1]) {
            return fail("skills", "error.skill_twice");
        }
        if let Some(h) = self.home {
            validate::lat_lon(h.lat, h.lon).map_err(|e| FieldError {
                field: "home",
                reason: e.reason,
            })?;
        }
        if !(1..=MAX_CAPACITY).contains(&self.capacity) {
            return fail("capacity", "error.capacity_range");
        }
        shift_calendar(&self.shift, utc_offset_minutes)?;
        self.regions.sort();
        self.regions.dedup();
        Ok(self)
    }
}

/// The calendar of a weekly shift (`None` for an empty one: no limit).
pub fn shift_calendar(
    shift: &[WorkingHours],
    utc_offset_minutes: i32,
) -> Result<Option<Calendar>, FieldError> {
    if shift.is_empty() {
        return Ok(None);
    }
    let spec = CalendarSpec {
        utc_offset_minutes,
        hours: shift.to_vec(),
        holidays: Vec::new(),
        workdays: Vec::new(),
    };
    let cal = spec.build().map_err(|_| FieldError {
        field: "shift",
        reason: "error.shift",
    })?;
    Ok(Some(Calendar::Business(Box::new(cal))))
}

/// True when `now` (ms) falls within the shift; an empty shift always does.
pub fn in_shift(shift: &[WorkingHours], utc_offset_minutes: i32, now: i64) -> bool {
    match shift_calendar(shift, utc_offset_minutes) {
        Ok(Some(cal)) => cal.between(now, now + 1) > 0,
        Ok(None) => true,
        Err(_) => false,
    }
}

/// An engineer as the engine sees them: they serve their own region and the profile's
/// others (neither: every region), and are where their phone last was, else at home.
pub fn for_dispatch(
    id: String,
    own_region: Option<String>,
    profile: &ProfileInput,
    last_position: Option<Point>,
    load: i64,
    on_duty: bool,
    in_shift: bool,
) -> super::Engineer {
    let mut regions = profile.regions.clone();
    regions.extend(own_region);
    super::Engineer {
        id,
        position: last_position.or(profile.home),
        skills: profile.skills.clone(),
        capacity: profile.capacity,
        load,
        on_duty,
        in_shift,
        regions,
    }
}

/// Checks a position ping (or a check-in used as one).
pub fn check_position(lat: f64, lon: f64, accuracy_m: Option<f64>) -> Result<Point, FieldError> {
    validate::lat_lon(lat, lon)?;
    if accuracy_m.is_some_and(|a| !a.is_finite() || a < 0.0) {
        return fail("accuracy_m", "error.invalid_value");
    }
    Ok(Point { lat, lon })
}

#[cfg(test)]
#[path = "profile_tests.rs"]
mod tests;
