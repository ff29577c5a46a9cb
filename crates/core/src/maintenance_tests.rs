use super::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap_or_default()
}

#[test]
fn calendar_plans_come_due_ahead_by_the_lead() {
    // Every 90 days from 1 Jan; made 14 days ahead; today 24 Nov.
    let due = due_dates(
        d("2026-01-01"),
        90,
        d("2026-01-01"),
        d("2026-11-24"),
        14,
        None,
        100,
    );
    assert_eq!(
        due,
        vec![
            d("2026-01-01"),
            d("2026-04-01"),
            d("2026-06-30"),
            d("2026-09-28")
        ]
    );
    // The next, 27 Dec, is 33 days away: not yet. With a 40-day lead it is.
    let more = due_dates(
        d("2026-01-01"),
        90,
        d("2026-01-01"),
        d("2026-11-24"),
        40,
        None,
        100,
    );
    assert_eq!(more.last(), Some(&d("2026-12-27")));
    // A plan made in November does not fill the past: the first date from then.
    let fresh = due_dates(
        d("2026-01-01"),
        90,
        d("2026-11-20"),
        d("2026-11-24"),
        40,
        None,
        100,
    );
    assert_eq!(fresh, vec![d("2026-12-27")]);
    // A contract ending on 1 Dec stops it.
    let ends = due_dates(
        d("2026-01-01"),
        90,
        d("2026-11-20"),
        d("2026-11-24"),
        40,
        Some(d("2026-12-01")),
        100,
    );
    assert!(ends.is_empty());
}

#[test]
fn meter_plans_come_due_at_each_multiple() {
    assert_eq!(meter_thresholds(1000, 500, 1499, 10), Vec::<i64>::new());
    assert_eq!(
        meter_thresholds(1000, 500, 2600, 10),
        vec![1500, 2000, 2500]
    );
    assert_eq!(due_key(None, Some(1500)), "meter:1500");
    assert_eq!(due_key(Some(d("2026-04-01")), None), "2026-04-01");
}

#[test]
fn plans_and_contracts_are_checked() {
    let asset = Some(AssetId::new());
    let ok = plan(&NewPlan {
        name: "季度保养".into(),
        asset_id: asset,
        every_days: Some(90),
        starts_on: Some(d("2026-01-01")),
        ..NewPlan::default()
    });
    assert_eq!(ok.map(|p| (p.lead_days, p.priority)), Ok((14, 3)));
    let err = |p: NewPlan| plan(&p).err().map(|e| e.field);
    assert_eq!(
        err(NewPlan {
            name: "x".into(),
            asset_id: asset,
            every_days: Some(90),
            ..NewPlan::default()
        }),
        Some("starts_on")
    );
    assert_eq!(
        err(NewPlan {
            name: "x".into(),
            contract_id: Some(crate::ContractId::new()),
            every_meter: Some(500),
            ..NewPlan::default()
        }),
        Some("model")
    );
    assert_eq!(
        err(NewPlan {
            name: "x".into(),
            asset_id: asset,
            every_days: Some(30),
            every_meter: Some(500),
            starts_on: Some(d("2026-01-01")),
            ..NewPlan::default()
        }),
        Some("every_meter")
    );
    let c = NewContract {
        name: "HT-2026-001".into(),
        starts_on: d("2026-01-01"),
        ends_on: d("2025-12-31"),
        ..NewContract::default()
    };
    assert_eq!(contract(&c).err().map(|e| e.field), Some("ends_on"));
    assert!(covers(d("2026-01-01"), d("2026-12-31"), d("2026-12-31")));
    assert!(!covers(d("2026-01-01"), d("2026-12-31"), d("2027-01-01")));
}

#[test]
fn compliance_counts_visits_done_by_their_due_date() {
    let visits = [
        (d("2026-03-01"), Some(d("2026-02-27"))),
        (d("2026-06-01"), Some(d("2026-06-01"))),
        (d("2026-09-01"), Some(d("2026-09-03"))),
        (d("2026-12-01"), None),
    ];
    assert_eq!(compliance(&visits), (4, 2));
}
