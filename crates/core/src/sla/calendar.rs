//! Business calendars: when the SLA clock runs.
//!
//! A calendar has working hours per weekday (local time at a fixed UTC offset), public
//! holidays (no working hours) and make-up working days (调休: a weekend day that is worked,
//! with the hours of a regular working day). Times are milliseconds since the Unix epoch
//! in UTC; the calendar converts to local time internally.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Timelike, Utc};
use serde::{Deserialize, Serialize};

const DAY_MS: i64 = 86_400_000;
const MINUTE_MS: i64 = 60_000;
/// How far a computation looks ahead before deciding that a calendar has no working time.
const HORIZON_DAYS: i64 = 3 * 366;

/// When the SLA clock runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Calendar {
    /// Every minute counts (24×7).
    AroundTheClock,
    /// Working hours only.
    Business(Box<BusinessCalendar>),
}

/// Working hours, holidays and make-up working days.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BusinessCalendar {
    offset_ms: i64,
    /// Working intervals per weekday, Monday first: minutes after local midnight, `[from, to)`,
    /// sorted and disjoint.
    week: [Vec<(i64, i64)>; 7],
    /// The hours of a make-up working day.
    makeup: Vec<(i64, i64)>,
    holidays: BTreeSet<NaiveDate>,
    workdays: BTreeSet<NaiveDate>,
}

/// A calendar as admins write it and the API shows it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSpec {
    /// Offset of local time from UTC in minutes (China: 480).
    #[serde(default = "china_offset")]
    pub utc_offset_minutes: i32,
    /// Working hours.
    pub hours: Vec<WorkingHours>,
    /// Public holidays: days without working hours.
    #[serde(default)]
    pub holidays: Vec<NaiveDate>,
    /// Make-up working days (调休上班): worked with the hours of the first working weekday.
    #[serde(default)]
    pub workdays: Vec<NaiveDate>,
}

fn china_offset() -> i32 {
    480
}

/// Working hours on one weekday.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkingHours {
    /// ISO weekday: 1 = Monday … 7 = Sunday.
    pub weekday: u8,
    /// Start, local time `HH:MM`.
    pub from: String,
    /// End, local time `HH:MM` (`24:00` for midnight).
    pub to: String,
}

/// Why a calendar was refused: the field and a translation key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct CalendarError {
    /// The offending field.
    pub field: String,
    /// Translation key of the reason.
    pub reason: &'static str,
}

fn parse_hhmm(text: &str) -> Option<i64> {
    if text == "24:00" {
        return Some(24 * 60);
    }
    let t = NaiveTime::parse_from_str(text, "%H:%M").ok()?;
    Some(i64::from(t.hour() * 60 + t.minute()))
}

impl CalendarSpec {
    /// Checks the spec and builds the calendar.
    pub fn build(&self) -> Result<BusinessCalendar, CalendarError> {
        let err = |field: String, reason| CalendarError { field, reason };
        if !(-14 * 60..=14 * 60).contains(&self.utc_offset_minutes) {
            return Err(err("utc_offset_minutes".into(), "error.calendar_offset"));
        }
        let mut week: [Vec<(i64, i64)>; 7] = Default::default();
        for (i, h) in self.hours.iter().enumerate() {
            if !(1..=7).contains(&h.weekday) {
                return Err(err(format!("hours[{i}].weekday"), "error.calendar_weekday"));
            }
            let from = parse_hhmm(&h.from)
                .ok_or_else(|| err(format!("hours[{i}].from"), "error.calendar_time"))?;
            let to = parse_hhmm(&h.to)
                .ok_or_else(|| err(format!("hours[{i}].to"), "error.calendar_time"))?;
            if from >= to {
                return Err(err(format!("hours[{i}].to"), "error.calendar_interval"));
            }
            week[usize::from(h.weekday - 1)].push((from, to));
        }
        for (d, day) in week.iter_mut().enumerate() {
            day.sort_unstable();
            if day.windows(2).any(|w| w[0].1 > w[1].0) {
                return Err(err(
                    format!("hours (weekday {})", d + 1),
                    "error.calendar_overlap",
                ));
            }
        }
        let makeup = week
            .iter()
            .find(|d| !d.is_empty())
            .cloned()
            .unwrap_or_default();
        Ok(BusinessCalendar {
            offset_ms: i64::from(self.utc_offset_minutes) * MINUTE_MS,
            week,
            makeup,
            holidays: self.holidays.iter().copied().collect(),
            workdays: self.workdays.iter().copied().collect(),
        })
    }

    /// Monday to Friday, 09:00–18:00 Beijing time, with the State Council's published public
    /// holidays and make-up working days for the years shipped with Loopdesk.
    pub fn prc_standard() -> CalendarSpec {
        let hours = (1..=5)
            .map(|weekday| WorkingHours {
                weekday,
                from: "09:00".into(),
                to: "18:00".into(),
            })
            .collect();
        let (holidays, workdays) = prc_holidays();
        CalendarSpec {
            utc_offset_minutes: 480,
            hours,
            holidays,
            workdays,
        }
    }
}

#[derive(Deserialize)]
struct HolidayFile {
    years: std::collections::BTreeMap<String, HolidayYear>,
}

#[derive(Deserialize)]
struct HolidayYear {
    holidays: Vec<HolidayBlock>,
    workdays: Vec<NaiveDate>,
}

#[derive(Deserialize)]
struct HolidayBlock {
    from: NaiveDate,
    to: NaiveDate,
}

/// The PRC public holidays (every day off, weekends inside a block included) and make-up
/// working days shipped in `data/prc-holidays.json` (2025 and 2026).
pub fn prc_holidays() -> (Vec<NaiveDate>, Vec<NaiveDate>) {
    let file: Result<HolidayFile, _> =
        serde_json::from_str(include_str!("../../data/prc-holidays.json"));
    let Ok(file) = file else {
        return (Vec::new(), Vec::new());
    };
    let mut off = Vec::new();
    let mut work = Vec::new();
    for year in file.years.into_values() {
        for block in year.holidays {
            let mut d = block.from;
            while d <= block.to {
                off.push(d);
                match d.succ_opt() {
                    Some(n) => d = n,
                    None => break,
                }
            }
        }
        work.extend(year.workdays);
    }
    (off, work)
}

fn date_of_day(day: i64) -> Option<NaiveDate> {
    // 719_163 days from 0001-01-01 (CE day 1) to 1970-01-01.
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(day + 719_163).ok()?)
}

impl BusinessCalendar {
    /// Working intervals of local day number `day` (days since 1970-01-01), in local ms.
    fn intervals(&self, day: i64) -> impl Iterator<Item = (i64, i64)> + '_ {
        let hours: &[(i64, i64)] = match date_of_day(day) {
            Some(date) if self.holidays.contains(&date) => &[],
            Some(date) if self.workdays.contains(&date) => &self.makeup,
            Some(date) => &self.week[date.weekday().num_days_from_monday() as usize],
            None => &[],
        };
        let base = day * DAY_MS;
        hours
            .iter()
            .map(move |&(f, t)| (base + f * MINUTE_MS, base + t * MINUTE_MS))
    }

    /// True when the calendar has any working time in a week (otherwise nothing can be due).
    fn has_hours(&self) -> bool {
        self.week.iter().any(|d| !d.is_empty()) || !self.workdays.is_empty()
    }
}

impl Calendar {
    /// The moment `ms` milliseconds of working time after `start`; `None` when the
    /// calendar has no working time in the next three years.
    pub fn add(&self, start: i64, ms: i64) -> Option<i64> {
        let ms = ms.max(0);
        let cal = match self {
            Calendar::AroundTheClock => return start.checked_add(ms),
            Calendar::Business(c) => c,
        };
        if !cal.has_hours() {
            return None;
        }
        let local = start + cal.offset_ms;
        let first = local.div_euclid(DAY_MS);
        let mut left = ms;
        for day in first..first + HORIZON_DAYS {
            for (from, to) in cal.intervals(day) {
                let from = from.max(local);
                if from >= to {
                    continue;
                }
                if left == 0 {
                    // Zero minutes: due at the first working moment, not before.
                    return Some(from - cal.offset_ms);
                }
                if to - from >= left {
                    return Some(from + left - cal.offset_ms);
                }
                left -= to - from;
            }
        }
        None
    }

    /// Working milliseconds in `[a, b)` (0 when `b <= a`).
    pub fn between(&self, a: i64, b: i64) -> i64 {
        if b <= a {
            return 0;
        }
        let cal = match self {
            Calendar::AroundTheClock => return b - a,
            Calendar::Business(c) => c,
        };
        let (la, lb) = (a + cal.offset_ms, b + cal.offset_ms);
        let mut sum = 0;
        for day in la.div_euclid(DAY_MS)..=lb.div_euclid(DAY_MS) {
            for (from, to) in cal.intervals(day) {
                let (f, t) = (from.max(la), to.min(lb));
                if t > f {
                    sum += t - f;
                }
            }
        }
        sum
    }
}

/// Milliseconds since the epoch.
pub fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// The UTC time of `ms` milliseconds since the epoch (the epoch itself when out of range).
pub fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// The most days one pasted list may name (a decade of holidays).
pub const MAX_PASTED_DAYS: usize = 400;

/// Days as an administrator pastes them from the State Council's notice or a spreadsheet:
/// `YYYY-MM-DD` dates (also `YYYY/MM/DD`, `YYYY.MM.DD`, `YYYY年M月D日`) separated by spaces,
/// commas, 、 or lines, and ranges written `A..B`, `A~B`, `A至B` or `A到B` (both ends
/// included). Sorted, each once. `field` names the box in an error.
pub fn parse_days(
    field: &'static str,
    text: &str,
) -> Result<Vec<NaiveDate>, crate::validate::FieldError> {
    let fail = || crate::validate::FieldError {
        field,
        reason: "error.invalid_date_list",
    };
    let day = |t: &str| -> Result<NaiveDate, crate::validate::FieldError> {
        let t = t.trim().trim_end_matches('日');
        let normal: String = t
            .chars()
            .map(|c| match c {
                '/' | '.' | '年' | '月' => '-',
                c => c,
            })
            .collect();
        NaiveDate::parse_from_str(&normal, "%Y-%m-%d").map_err(|_| fail())
    };
    let mut out = BTreeSet::new();
    let mut separated = text.replace(['至', '到', '~', '～'], "..");
    // A range may be written with spaces around its mark.
    while separated.contains(" ..") || separated.contains(".. ") {
        separated = separated.replace(" ..", "..").replace(".. ", "..");
    }
    for item in
        separated.split(|c: char| c.is_whitespace() || matches!(c, ',' | '，' | '、' | ';' | '；'))
    {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        match item.split_once("..") {
            Some((a, b)) => {
                let (a, b) = (day(a)?, day(b)?);
                if b < a || (b - a).num_days() >= MAX_PASTED_DAYS as i64 {
                    return Err(fail());
                }
                let mut d = a;
                while d <= b {
                    out.insert(d);
                    d = d.succ_opt().ok_or_else(fail)?;
                }
            }
            None => {
                out.insert(day(item)?);
            }
        }
        if out.len() > MAX_PASTED_DAYS {
            return Err(fail());
        }
    }
    Ok(out.into_iter().collect())
}
