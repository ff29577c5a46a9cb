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

/// A KPI answer as a flat table for CSV and Excel: one row per group, one column per figure
/// (durations in seconds: mean, p50, p90, count; rates: value, count; …), headers in `lang`.
pub fn table(
    metrics: &[Metric],
    rows: &[(String, BTreeMap<&'static str, KpiValue>)],
    lang: Lang,
) -> (Vec<String>, Vec<Vec<Cell>>) {
    let name = |m: Metric| i18n::t(lang, &format!("kpi.metric.{}", m.as_str())).to_owned();
    let part = |key: &str| i18n::t(lang, &format!("kpi.part.{key}")).to_owned();
    let mut header = vec![part("group")];
    for m in metrics {
        let parts: &[&str] = match m {
            Metric::Frt | Metric::Oat | Metric::Mttr => &["mean", "p50", "p90", "n"],
            Metric::Csat => &["value", "n", "response_rate", "sent"],
            Metric::Backlog => &["value"],
            _ => &["value", "n"],
        };
        for p in parts {
            header.push(format!("{} {}", name(*m), part(p)));
        }
    }
    let num = |v: Option<f64>| v.map_or(Cell::Empty, Cell::Number);
    let count = |n: u64| Cell::Number(n as f64);
    let body = rows
        .iter()
        .map(|(label, values)| {
            let mut cells = vec![Cell::Text(label.clone())];
            for m in metrics {
                match values.get(m.as_str()) {
                    Some(KpiValue::Durations(d)) => {
                        cells.extend([num(d.mean), num(d.p50), num(d.p90), count(d.n)]);
                    }
                    Some(KpiValue::Csat {
                        value,
                        n,
                        response_rate,
                        sent,
                    }) => cells.extend([num(*value), count(*n), num(*response_rate), count(*sent)]),
                    Some(KpiValue::Rate { value, n }) => cells.extend([num(*value), count(*n)]),
                    Some(KpiValue::Count { value }) => cells.push(count(*value)),
                    None => {}
                }
            }
            cells
        })
        .collect();
    (header, body)
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

/// The weekly report mail: the headline KPIs of the week for the whole tenant, then per
/// group (region), in `lang`.
pub fn report_message(
    lang: Lang,
    week: &str,
    rows: &[(String, BTreeMap<&'static str, KpiValue>)],
) -> crate::followup::Message {
    const HEADLINE: [Metric; 8] = [
        Metric::Frt,
        Metric::Mttr,
        Metric::ClosureRate,
        Metric::Ftfr,
        Metric::ReopenRate,
        Metric::OnTimeRate,
        Metric::Csat,
        Metric::Backlog,
    ];
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
