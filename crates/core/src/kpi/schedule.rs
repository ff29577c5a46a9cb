//! Reports a manager has chosen to receive by mail: which grouping, how often (daily,
//! weekly, monthly), the period each one covers when it falls due, and the mail itself — the
//! headline figures in the body and the whole table attached as CSV.

use std::collections::BTreeMap;

use chrono::FixedOffset;

use super::{table, time_bucket, Cell, GroupBy, KpiValue, Units};
use crate::i18n::{self, Lang};
use crate::validate::FieldError;

/// How often a scheduled report goes out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frequency {
    /// Every morning: yesterday.
    Daily,
    /// Every Monday: last week.
    Weekly,
    /// On the first of the month: last month.
    Monthly,
}

impl Frequency {
    /// Every frequency, in the order a form offers them.
    pub const ALL: [Frequency; 3] = [Frequency::Daily, Frequency::Weekly, Frequency::Monthly];

    /// The code name.
    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
            Frequency::Monthly => "monthly",
        }
    }

    /// Parses the code name.
    pub fn parse(text: &str) -> Result<Frequency, FieldError> {
        Frequency::ALL
            .into_iter()
            .find(|f| f.as_str() == text.trim())
            .ok_or(FieldError {
                field: "frequency",
                reason: "error.invalid_value",
            })
    }

    fn bucket(self) -> GroupBy {
        match self {
            Frequency::Daily => GroupBy::Day,
            Frequency::Weekly => GroupBy::Week,
            Frequency::Monthly => GroupBy::Month,
        }
    }
}

/// What a scheduled report may be grouped by (`all`: one row for everything).
pub const SCHEDULE_GROUPS: [&str; 5] = ["all", "region", "team", "engineer", "category"];

/// Checks a scheduled report's grouping.
pub fn schedule_group(text: &str) -> Result<&'static str, FieldError> {
    SCHEDULE_GROUPS
        .into_iter()
        .find(|g| *g == text.trim())
        .ok_or(FieldError {
            field: "group_by",
            reason: "error.unknown_group",
        })
}

/// The period a report of `frequency` covers when it is due at `now` (ms): the last whole
/// day, week or month before the current one, from 08:00 local time on the first day after
/// it; its start, end and key (`2026-12-06`, `2026-W49`, `2026-11`).
pub fn due_period(
    frequency: Frequency,
    now: i64,
    offset: FixedOffset,
) -> Option<(i64, i64, String)> {
    let (_, this_start, _) = time_bucket(now, frequency.bucket(), offset)?;
    if now < this_start + 8 * 3_600_000 {
        return None;
    }
    let (key, from, to) = time_bucket(this_start - 1, frequency.bucket(), offset)?;
    Some((from, to, key))
}

/// The mail of a scheduled report: its subject, a body with the headline figures per group,
/// and the whole table (human units, translated headings) as CSV text.
pub fn scheduled_mail(
    lang: Lang,
    frequency: Frequency,
    group_by: &str,
    period: &str,
    rows: &[(String, BTreeMap<&'static str, KpiValue>)],
) -> (crate::followup::Message, String) {
    let (every_key, group_key) = (
        format!("report.every.{}", frequency.as_str()),
        format!("report.group.{group_by}"),
    );
    let (every, grouping) = (i18n::t(lang, &every_key), i18n::t(lang, &group_key));
    let headline = super::report_message(lang, period, rows);
    let intro = i18n::tf(
        lang,
        "report.scheduled_intro",
        &[("every", every), ("group", grouping), ("period", period)],
    );
    // The weekly report's lines, after this report's own first paragraph.
    let lines = headline
        .body
        .split_once("\n\n")
        .map_or(String::new(), |(_, rest)| rest.to_owned());
    let message = crate::followup::Message {
        subject: i18n::tf(
            lang,
            "report.scheduled_subject",
            &[("every", every), ("group", grouping), ("period", period)],
        ),
        body: format!("{intro}\n\n{lines}"),
    };
    let (header, cells) = table(&super::HEADLINE, rows, lang, Units::Human);
    (message, csv(&header, &cells))
}

/// A table as CSV (RFC 4180: a cell with a comma, quote or line break is quoted).
pub fn csv(header: &[String], rows: &[Vec<Cell>]) -> String {
    let quote = |text: &str| {
        if text.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text.to_owned()
        }
    };
    let mut out = header
        .iter()
        .map(|h| quote(h))
        .collect::<Vec<_>>()
        .join(",");
    out.push_str("\r\n");
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .map(|c| match c {
                Cell::Text(t) => quote(t),
                Cell::Number(n) => n.to_string(),
                Cell::Empty => String::new(),
            })
            .collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
#[path = "schedule_tests.rs"]
mod tests;
