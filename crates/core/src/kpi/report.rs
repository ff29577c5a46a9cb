//! KPIs for people: labels of groups, the table of an export, and the weekly report by
//! mail.

use crate::i18n::{self, Lang};
use chrono::FixedOffset;
use std::collections::BTreeMap;

use super::*;

/// The display name of a group: the name behind an id (`name_of`), a translated channel or
/// tier, or the time key itself.
pub fn label(
    by: Option<GroupBy>,
    key: Option<&str>,
    lang: Lang,
    name_of: impl Fn(&str) -> Option<String>,
) -> String {
    let Some(by) = by else {
        return i18n::t(lang, "kpi.all").to_owned();
    };
    let Some(key) = key else {
        return i18n::t(lang, "kpi.none").to_owned();
    };
    let translated = |prefix: &str| {
        let k = format!("{prefix}.{key}");
        if i18n::has(&k) {
            i18n::t(lang, &k).to_owned()
        } else {
            key.to_owned()
        }
    };
    match by {
        GroupBy::Region | GroupBy::Team | GroupBy::Engineer | GroupBy::Category => {
            name_of(key).unwrap_or_else(|| key.to_owned())
        }
        GroupBy::Channel => translated("channel"),
        GroupBy::CustomerTier => translated("tier"),
        GroupBy::Day | GroupBy::Week | GroupBy::Month => key.to_owned(),
    }
}

/// One cell of an exported KPI table.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A number.
    Number(f64),
    /// Nothing to show (a rate over nothing).
    Empty,
}

/// How an exported table shows its figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Units {
    /// As people read them: durations in hours with one decimal, rates in percent with one
    /// decimal.
    Human,
    /// As the API answers them, for analysts: durations in seconds, rates as fractions 0–1.
    Raw,
}

/// A KPI answer as a flat table for CSV and Excel: one row per group, one column per figure
/// (durations: mean, p50, p90, count; rates: value, count; …), headers in `lang` naming the
/// unit of each column.
pub fn table(
    metrics: &[Metric],
    rows: &[(String, BTreeMap<&'static str, KpiValue>)],
    lang: Lang,
    units: Units,
) -> (Vec<String>, Vec<Vec<Cell>>) {
    let human = units == Units::Human;
    let name = |m: Metric| i18n::t(lang, &format!("kpi.metric.{}", m.as_str())).to_owned();
    let part = |key: &str| i18n::t(lang, &format!("kpi.part.{key}")).to_owned();
    // The header part of a column: a duration in hours or seconds, a rate in percent or as
    // a fraction.
    let unit_part = |key: &str, m: Metric| match (key, human) {
        ("mean" | "p50" | "p90", true) => part(&format!("{key}_h")),
        ("value", true) if m != Metric::Nps && m != Metric::Backlog => part("value_pct"),
        ("response_rate", true) => part("response_rate_pct"),
        _ => part(key),
    };
    let mut header = vec![part("group")];
    for m in metrics {
        let parts: &[&str] = match m {
            Metric::Frt | Metric::Oat | Metric::Mttr => &["mean", "p50", "p90", "n"],
            Metric::Csat => &["value", "n", "response_rate", "sent"],
            Metric::Backlog => &["value"],
            _ => &["value", "n"],
        };
        for p in parts {
            header.push(format!("{} {}", name(*m), unit_part(p, *m)));
        }
    }
    let tenth = |v: f64| (v * 10.0).round() / 10.0;
    let hours = |v: Option<f64>| match v {
        Some(s) if human => Cell::Number(tenth(s / 3600.0)),
        Some(s) => Cell::Number(s),
        None => Cell::Empty,
    };
    let share = |v: Option<f64>| match v {
        Some(f) if human => Cell::Number(tenth(f * 100.0)),
        Some(f) => Cell::Number(f),
        None => Cell::Empty,
    };
    let count = |n: u64| Cell::Number(n as f64);
    let body = rows
        .iter()
        .map(|(label, values)| {
            let mut cells = vec![Cell::Text(label.clone())];
            for m in metrics {
                match values.get(m.as_str()) {
                    Some(KpiValue::Durations(d)) => {
                        cells.extend([hours(d.mean), hours(d.p50), hours(d.p90), count(d.n)]);
                    }
                    Some(KpiValue::Csat {
                        value,
                        n,
                        response_rate,
                        sent,
                    }) => cells.extend([
                        share(*value),
                        count(*n),
                        share(*response_rate),
                        count(*sent),
                    ]),
                    Some(KpiValue::Rate { value, n }) if *m == Metric::Nps => cells.extend([
                        value.map_or(Cell::Empty, |v| {
                            Cell::Number(if human { tenth(v) } else { v })
                        }),
                        count(*n),
                    ]),
                    Some(KpiValue::Rate { value, n }) => cells.extend([share(*value), count(*n)]),
                    Some(KpiValue::Count { value }) => cells.push(count(*value)),
                    None => {}
                }
            }
            cells
        })
        .collect();
    (header, body)
}

/// The file name of a KPI export (without extension): what it groups by and the period it
/// covers (local time; `to` exclusive), from its first day to its last: whole ISO weeks as
/// `2026W40-2026W48`, whole months as `2026M10-2026M11`, else the days, `20261124-20261201`.
pub fn export_name(
    by: Option<GroupBy>,
    from: chrono::DateTime<FixedOffset>,
    to: chrono::DateTime<FixedOffset>,
) -> String {
    use chrono::{Datelike, Timelike, Weekday};
    let midnight = |t: &chrono::DateTime<FixedOffset>| t.num_seconds_from_midnight() == 0;
    let first = from.date_naive();
    let last = (to - chrono::Duration::milliseconds(1))
        .date_naive()
        .max(first);
    let whole = midnight(&from) && midnight(&to) && to > from;
    let period = if whole && from.weekday() == Weekday::Mon && to.weekday() == Weekday::Mon {
        let (a, b) = (first.iso_week(), last.iso_week());
        format!("{}W{:02}-{}W{:02}", a.year(), a.week(), b.year(), b.week())
    } else if whole && from.day() == 1 && to.day() == 1 {
        format!(
            "{}M{:02}-{}M{:02}",
            first.year(),
            first.month(),
            last.year(),
            last.month()
        )
    } else {
        format!("{}-{}", first.format("%Y%m%d"), last.format("%Y%m%d"))
    };
    let group = by.map_or("all", GroupBy::as_str);
    format!("kpis-{group}-{period}")
}

/// The week a weekly report covers at `now`: the last full ISO week (Monday to Monday, local
/// time), once this week's Monday 08:00 has passed. Answers (from, to, `2026-W47`) in ms.
pub fn report_week(now: i64, offset: FixedOffset) -> Option<(i64, i64, String)> {
    let (_, this_monday, _) = time_bucket(now, GroupBy::Week, offset)?;
    if now < this_monday + 8 * 3_600_000 {
        return None;
    }
    let (key, from, to) = time_bucket(this_monday - 1, GroupBy::Week, offset)?;
    Some((from, to, key))
}

/// Who gets the weekly report by mail: managers (with an address to send it to).
pub fn receives_weekly_report(roles: crate::Roles) -> bool {
    roles.has(crate::Role::Manager)
}

/// The figures a report by mail leads with (the weekly one, and each scheduled one).
pub const HEADLINE: [Metric; 8] = [
    Metric::Frt,
    Metric::Mttr,
    Metric::ClosureRate,
    Metric::Ftfr,
    Metric::ReopenRate,
    Metric::OnTimeRate,
    Metric::Csat,
    Metric::Backlog,
];

/// The weekly report mail: the headline KPIs of the week for the whole tenant, then per
/// group (region), in `lang`.
pub fn report_message(
    lang: Lang,
    week: &str,
    rows: &[(String, BTreeMap<&'static str, KpiValue>)],
) -> crate::followup::Message {
    let minutes = |s: Option<f64>| s.map_or("—".to_owned(), |s| format!("{:.0} min", s / 60.0));
    let percent = |v: Option<f64>| v.map_or("—".to_owned(), |v| format!("{:.1}%", v * 100.0));
    let mut body = i18n::tf(lang, "report.intro", &[("week", week)]);
    for (label, values) in rows {
        body.push_str("\n\n");
        body.push_str(label);
        for m in HEADLINE {
            let shown = match values.get(m.as_str()) {
                Some(KpiValue::Durations(d)) => {
                    format!("{} (p90 {}, n={})", minutes(d.mean), minutes(d.p90), d.n)
                }
                Some(KpiValue::Rate { value, n } | KpiValue::Csat { value, n, .. }) => {
                    format!("{} (n={n})", percent(*value))
                }
                Some(KpiValue::Count { value }) => value.to_string(),
                None => continue,
            };
            body.push_str(&format!(
                "\n  {}: {shown}",
                i18n::t(lang, &format!("kpi.metric.{}", m.as_str()))
            ));
        }
    }
    crate::followup::Message {
        subject: i18n::tf(lang, "report.subject", &[("week", week)]),
        body,
    }
}
