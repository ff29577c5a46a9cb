use super::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap_or_default()
}

#[test]
fn warranty_runs_through_its_last_day() {
    let until = Some(d("2026-11-24"));
    assert_eq!(warranty_on(until, d("2026-11-24")), Some(Warranty::In));
    assert_eq!(warranty_on(until, d("2026-11-25")), Some(Warranty::Out));
    assert_eq!(warranty_on(None, d("2026-11-25")), None);
    assert!(chargeable(Some(Warranty::Out)));
    assert!(!chargeable(None));
    assert!(!chargeable(Some(Warranty::In)));
}

#[test]
fn a_contract_covers_the_repair_and_may_raise_the_tier() {
    let day = d("2026-11-24");
    let lapsed = Some(d("2020-01-01"));
    assert_eq!(
        at_intake(lapsed, day, None, Some("standard")),
        (Some(Warranty::Out), Some("standard".into()))
    );
    assert_eq!(
        at_intake(lapsed, day, Some(Some("vip")), Some("standard")),
        (Some(Warranty::In), Some("vip".into()))
    );
    assert_eq!(
        at_intake(None, day, Some(None), Some("standard")),
        (Some(Warranty::In), Some("standard".into()))
    );
}

#[test]
fn the_model_gives_the_default_warranty() {
    assert_eq!(
        default_warranty(None, Some(d("2025-01-31")), Some(13)),
        Some(d("2026-02-28")),
        "the end of a shorter month"
    );
    assert_eq!(
        default_warranty(Some(d("2030-01-01")), Some(d("2025-01-31")), Some(12)),
        Some(d("2030-01-01")),
        "a given date wins (a contract's, say)"
    );
    assert_eq!(default_warranty(None, None, Some(12)), None);
    assert_eq!(default_warranty(None, Some(d("2025-01-31")), None), None);
}

#[test]
fn import_rows_are_read_by_their_header() {
    let header: Vec<String> = [
        "serial",
        "model",
        "customer_id",
        "site_id",
        "楼层",
        "status",
    ]
    .map(String::from)
    .to_vec();
    let c = crate::CustomerId::new();
    let s = crate::SiteId::new();
    let row = [
        " SN-1 ",
        "X1",
        &c.to_string(),
        &s.to_string(),
        "B1",
        "out_of_service",
    ]
    .map(String::from)
    .to_vec();
    let (a, status) = import_row(&header, &row).unwrap_or_default();
    assert_eq!(
        (a.serial.as_str(), a.customer_id, a.site_id),
        ("SN-1", c, s)
    );
    assert_eq!(status, Some(AssetStatus::OutOfService));
    assert_eq!(a.fields, Some(serde_json::json!({ "楼层": "B1" })));
    let mut bad = row.clone();
    bad[5] = "broken".into();
    assert_eq!(
        import_row(&header, &bad).map(|_| ()).map_err(|e| e.field),
        Err("status")
    );
    let mut bad = row;
    bad[2] = String::new();
    assert_eq!(
        import_row(&header, &bad).map(|_| ()).map_err(|e| e.field),
        Err("customer_id")
    );
}

#[test]
fn models_and_readings_are_checked() {
    let ok = model(&NewModel {
        code: " X1 ".into(),
        name: "冷柜 X1".into(),
        skill: Some("refrigeration".into()),
        checklist: vec!["检查压缩机".into()],
        ..NewModel::default()
    })
    .unwrap_or_default();
    assert_eq!((ok.code.as_str(), ok.skill_level), ("X1", Some(1)));
    let bad = |m: NewModel| model(&m).err().map(|e| e.field);
    assert_eq!(
        bad(NewModel {
            code: "X".into(),
            name: "x".into(),
            warranty_months: Some(-1),
            ..NewModel::default()
        }),
        Some("warranty_months")
    );
    assert_eq!(
        bad(NewModel {
            code: "X".into(),
            name: "x".into(),
            skill_level: Some(2),
            ..NewModel::default()
        }),
        Some("skill")
    );
    assert_eq!(reading(120, Some(100)), Ok(120));
    assert_eq!(
        reading(99, Some(100)).map_err(|e| e.reason),
        Err("error.meter_backwards")
    );
    assert_eq!(reading(-1, None).map_err(|e| e.field), Err("value"));
}

#[test]
fn an_edit_keeps_what_it_does_not_name_and_a_new_owner_needs_their_site() {
    let current = crate::customer::NewAsset {
        customer_id: crate::CustomerId::new(),
        site_id: crate::SiteId::new(),
        model: "X1".into(),
        serial: "SN-1".into(),
        installed_on: Some("2025-01-01".into()),
        warranty_until: Some("2026-01-01".into()),
        fields: None,
    };
    let site = crate::SiteId::new();
    let (next, note) = edited(
        &current,
        &AssetEdit {
            site_id: Some(site),
            warranty_until: Some(None),
            note: Some(" 搬到二号仓 ".into()),
            ..AssetEdit::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(next.site_id, site);
    assert_eq!(next.customer_id, current.customer_id);
    assert_eq!((next.model.as_str(), next.serial.as_str()), ("X1", "SN-1"));
    assert_eq!(next.installed_on.as_deref(), Some("2025-01-01"));
    assert_eq!(next.warranty_until, None);
    assert_eq!(note.as_deref(), Some("搬到二号仓"));
    // Another owner without a site of theirs: refused, naming the site.
    let other = edited(
        &current,
        &AssetEdit {
            customer_id: Some(crate::CustomerId::new()),
            ..AssetEdit::default()
        },
    );
    assert_eq!(
        other.map_err(|e| (e.field, e.reason)).err(),
        Some(("site_id", "error.required"))
    );
    // The same owner named again needs nothing more.
    assert!(edited(
        &current,
        &AssetEdit {
            customer_id: Some(current.customer_id),
            ..AssetEdit::default()
        }
    )
    .is_ok());
    let long = edited(
        &current,
        &AssetEdit {
            note: Some("长".repeat(501)),
            ..AssetEdit::default()
        },
    );
    assert_eq!(long.map_err(|e| e.field).err(), Some("note"));
}
