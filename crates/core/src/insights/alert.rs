//! The morning alert of recurring problems: from 08:00 local time, the problems of the seven
//! days before, by mail to the managers (the whole tenant) and the supervisors (their region,
//! or the whole tenant when they have none) — once a day, and only to those with problems.

use chrono::{FixedOffset, NaiveTime, TimeZone, Utc};

use crate::followup::Message;
use crate::i18n::{self, Lang};
use crate::insights::Attribute;
use crate::{RegionId, Role, Roles};

/// The alert goes out from this local hour.
const HOUR: u32 = 8;
/// Days the alert looks back over.
pub const DAYS: i64 = 7;

/// The alert due at `now` (ms): its window `[from, to)` (the seven days up to this morning's
/// 08:00 local time) and its day (`YYYY-MM-DD`), or `None` before 08:00.
pub fn due(now: i64, offset: FixedOffset) -> Option<(i64, i64, String)> {
    let local = Utc
        .timestamp_millis_opt(now)
        .single()?
        .with_timezone(&offset);
    let morning = local
        .date_naive()
        .and_time(NaiveTime::from_hms_opt(HOUR, 0, 0)?)
        .and_local_timezone(offset)
        .single()?
        .timestamp_millis();
    if now < morning {
        return None;
    }
    let from = morning - DAYS * 86_400_000;
    Some((from, morning, local.date_naive().to_string()))
}

/// Who gets the alert: managers and supervisors.
pub fn receives(roles: Roles) -> bool {
    roles.has(Role::Manager) || roles.has(Role::Supervisor)
}

/// Whose problems a reader hears of: a supervisor of a region that region's (`Some`), anyone
/// else — managers above all — the whole tenant's (`None`).
pub fn scope(roles: Roles, region: Option<RegionId>) -> Option<RegionId> {
    region.filter(|_| !roles.has(Role::Manager))
}

/// One problem as the alert lists it.
#[derive(Clone, Debug)]
pub struct Line {
    /// The problem's label.
    pub label: String,
    /// Its tickets in the window.
    pub count: usize,
    /// Its expected count.
    pub expected: f64,
    /// What its tickets concentrate on most: (attribute, the value's name, share).
    pub top: Option<(Attribute, String, f64)>,
}

/// The name of an attribute's value: the store's name when it has one (a region, a site, a
/// model, a category), else the language's (a channel, a tier), else the value itself.
pub fn value_label(lang: Lang, attribute: Attribute, value: &str, stored: Option<&str>) -> String {
    if let Some(name) = stored {
        return name.to_owned();
    }
    let key = match attribute {
        Attribute::Channel => format!("channel.{value}"),
        Attribute::CustomerTier => format!("tier.{value}"),
        _ => return value.to_owned(),
    };
    if i18n::has(&key) {
        i18n::t(lang, &key).to_owned()
    } else {
        value.to_owned()
    }
}

/// The alert's mail in `lang`: each problem with its count against the usual and where it
/// concentrates, then the page to open.
pub fn message(lang: Lang, day: &str, lines: &[Line], link: &str) -> Message {
    let mut body = i18n::tf(lang, "insights.alert.intro", &[("days", &DAYS.to_string())]);
    for l in lines {
        let count = l.count.to_string();
        let figures = if l.expected == 0.0 {
            i18n::tf(lang, "page.insights.figures_new", &[("count", &count)])
        } else {
            i18n::tf(
                lang,
                "page.insights.figures",
                &[
                    ("count", &count),
                    ("expected", &format!("{:.1}", l.expected)),
                    ("lift", &format!("{:.1}", l.count as f64 / l.expected)),
                ],
            )
        };
        body.push_str(&format!("\n\n· {}: {figures}", l.label));
        if let Some((attribute, value, share)) = &l.top {
            body.push_str(&format!(
                "\n  {} {} · {} {:.0}%",
                i18n::t(lang, "page.insights.concentrates"),
                i18n::t(lang, &format!("page.insights.attr.{}", attribute.as_str())),
                value,
                share * 100.0
            ));
        }
    }
    body.push_str("\n\n");
    body.push_str(&i18n::tf(lang, "insights.alert.open", &[("link", link)]));
    Message {
        subject: i18n::tf(
            lang,
            "insights.alert.subject",
            &[("day", day), ("count", &lines.len().to_string())],
        ),
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alert_is_due_from_eight_in_the_morning_local_time() {
        let shanghai = FixedOffset::east_opt(8 * 3600).unwrap();
        // 2026-12-07 23:30 UTC is 07:30 on the 8th in Shanghai: not yet.
        let before = Utc.with_ymd_and_hms(2026, 12, 7, 23, 30, 0).unwrap();
        assert_eq!(due(before.timestamp_millis(), shanghai), None);
        let after = Utc.with_ymd_and_hms(2026, 12, 8, 0, 30, 0).unwrap();
        let (from, to, day) = due(after.timestamp_millis(), shanghai).unwrap();
        assert_eq!(day, "2026-12-08");
        assert_eq!(
            to,
            Utc.with_ymd_and_hms(2026, 12, 8, 0, 0, 0)
                .unwrap()
                .timestamp_millis()
        );
        assert_eq!(to - from, 7 * 86_400_000);
    }

    #[test]
    fn the_message_names_each_problem_and_where_it_concentrates() {
        let lines = [
            Line {
                label: "冷柜 · 自动 · 停机".into(),
                count: 10,
                expected: 0.0,
                top: Some((Attribute::AssetModel, "冷柜 FZ-9".into(), 0.9)),
            },
            Line {
                label: "电梯".into(),
                count: 30,
                expected: 10.0,
                top: Some((
                    Attribute::Channel,
                    value_label(Lang::ZhCn, Attribute::Channel, "wechat", None),
                    0.5,
                )),
            },
        ];
        let m = message(Lang::ZhCn, "2026-12-08", &lines, "https://x.test/insights");
        assert!(
            m.subject.contains("2026-12-08") && m.subject.contains('2'),
            "{}",
            m.subject
        );
        assert!(m.body.contains("冷柜 · 自动 · 停机: 10 单"), "{}", m.body);
        assert!(m.body.contains("型号 · 冷柜 FZ-9 90%"), "{}", m.body);
        assert!(m.body.contains("（3.0 倍）"), "{}", m.body);
        assert!(m.body.contains("微信 50%"), "{}", m.body);
        assert!(m.body.contains("https://x.test/insights"), "{}", m.body);
        assert_eq!(
            value_label(Lang::En, Attribute::CustomerTier, "odd", None),
            "odd"
        );
    }
}
