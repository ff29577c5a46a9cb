use super::*;
use chrono::{TimeZone, Utc};

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .unwrap()
        .timestamp_millis()
}

#[test]
fn each_report_covers_the_last_whole_period_from_eight_in_the_morning() {
    let beijing = FixedOffset::east_opt(8 * 3600).unwrap();
    // Tuesday 1 December 2026, 07:59 in Beijing (23:59 UTC the day before): too early.
    assert_eq!(
        due_period(Frequency::Daily, at(2026, 11, 30, 23, 59), beijing),
        None
    );
    // 08:00: yesterday, 30 November, whole.
    let (from, to, key) = due_period(Frequency::Daily, at(2026, 12, 1, 0, 0), beijing).unwrap();
    assert_eq!(key, "2026-11-30");
    assert_eq!(
        (from, to),
        (at(2026, 11, 29, 16, 0), at(2026, 11, 30, 16, 0))
    );
    // The same Tuesday: last week is W48, last month November.
    let now = at(2026, 12, 1, 2, 0);
    assert_eq!(
        due_period(Frequency::Weekly, now, beijing).unwrap().2,
        "2026-W48"
    );
    let (from, to, key) = due_period(Frequency::Monthly, now, beijing).unwrap();
    assert_eq!(key, "2026-11");
    assert_eq!(
        (from, to),
        (at(2026, 10, 31, 16, 0), at(2026, 11, 30, 16, 0))
    );
    // 07:00 on the 1st in Beijing: November's is not due yet.
    assert_eq!(
        due_period(Frequency::Monthly, at(2026, 11, 30, 23, 0), beijing),
        None
    );
    assert_eq!(Frequency::parse("weekly"), Ok(Frequency::Weekly));
    assert_eq!(Frequency::parse("hourly").unwrap_err().field, "frequency");
    assert_eq!(schedule_group("region"), Ok("region"));
    assert_eq!(schedule_group("customer").unwrap_err().field, "group_by");
}

#[test]
fn the_mail_has_the_figures_and_the_table_as_csv() {
    let mut values = BTreeMap::new();
    values.insert(
        "closure_rate",
        KpiValue::Rate {
            value: Some(0.875),
            n: 8,
        },
    );
    let rows = vec![("浦东, 新区".to_owned(), values)];
    let (msg, csv) = scheduled_mail(Lang::ZhCn, Frequency::Daily, "region", "2026-11-30", &rows);
    assert!(msg.subject.contains("2026-11-30"), "{}", msg.subject);
    assert!(
        msg.body.contains("浦东, 新区") && msg.body.contains("87.5%"),
        "{}",
        msg.body
    );
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with("分组,"), "{csv}");
    let row = lines.next().unwrap();
    assert!(
        row.starts_with("\"浦东, 新区\","),
        "a cell with a comma is quoted: {row}"
    );
    assert!(row.ends_with(",87.5,8"), "percent to one decimal: {row}");
}
