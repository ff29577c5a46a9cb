use super::*;

#[test]
fn defaults_and_refusals() {
    assert_eq!(kind(None), Ok("company"));
    assert_eq!(kind(Some("person")), Ok("person"));
    assert_eq!(kind(Some("robot")).unwrap_err().field, "kind");
    assert_eq!(tier(None).as_deref(), Ok("standard"));
    assert_eq!(
        date("d", Some(" 2026-02-28 ")),
        Ok(Some("2026-02-28".into()))
    );
    assert_eq!(date("d", Some("2026-02-30")).unwrap_err().field, "d");
    let region = RegionId::new();
    let s = site(
        &NewSite {
            name: "总店".into(),
            address: "人民大道 1 号".into(),
            ..NewSite::default()
        },
        Some(region),
    )
    .unwrap();
    assert_eq!(
        (s.region_id, s.geofence_m),
        (Some(region), Some(DEFAULT_GEOFENCE_M))
    );
    let half = NewSite {
        lat: Some(31.2),
        ..s.clone()
    };
    assert_eq!(site(&half, None).unwrap_err().field, "sites.lat");
    let wide = NewSite {
        geofence_m: Some(60_000.0),
        ..s
    };
    assert_eq!(site(&wide, None).unwrap_err().field, "sites.geofence_m");
}

#[test]
fn tags_are_trimmed_deduplicated_and_bounded() {
    let typed = split_tags(" vip，长期合作、 VIP ,, 医院");
    assert_eq!(typed, ["vip", "长期合作", "VIP", "医院"]);
    assert_eq!(
        tags(&typed),
        Ok(vec!["vip".into(), "长期合作".into(), "医院".into()])
    );
    assert_eq!(tags(&["a,b".into()]).unwrap_err().field, "tags");
    assert_eq!(
        tags(&["x".repeat(33)]).unwrap_err().reason,
        "error.invalid_value"
    );
    let many: Vec<String> = (0..=MAX_TAGS).map(|i| format!("t{i}")).collect();
    assert_eq!(tags(&many).unwrap_err().reason, "error.too_many_lines");
    assert_eq!(tags(&many[..MAX_TAGS]).map(|t| t.len()), Ok(MAX_TAGS));
}

#[test]
fn a_merge_keeps_the_survivors_fields_and_both_tag_lists() {
    let (a, b) = (CustomerId::new(), CustomerId::new());
    let (north, south) = (RegionId::new(), RegionId::new());
    let mine = vec!["VIP".to_owned(), "医院".to_owned()];
    let theirs = vec!["vip".to_owned(), "连锁".to_owned()];
    let (region, tags) = merged((a, None, &mine), (b, Some(south), &theirs)).unwrap();
    assert_eq!(region, Some(south), "the duplicate's region fills a gap");
    assert_eq!(tags, ["VIP", "医院", "连锁"], "survivor first, a tag once");
    let (region, _) = merged((a, Some(north), &mine), (b, Some(south), &theirs)).unwrap();
    assert_eq!(region, Some(north), "the survivor's own region stays");
    let many: Vec<String> = (0..MAX_TAGS).map(|i| format!("t{i}")).collect();
    let (_, tags) = merged((a, None, &many), (b, None, &theirs)).unwrap();
    assert_eq!(
        tags.len(),
        MAX_TAGS,
        "never more tags than a customer carries"
    );
    let err = merged((a, None, &mine), (a, None, &mine)).unwrap_err();
    assert_eq!(
        (err.field, err.reason),
        ("duplicate_id", "error.merge_same_customer")
    );
}

#[test]
fn a_site_goes_only_when_nothing_stands_or_waits_there() {
    assert_eq!(site_removal(0, 0), Ok(()));
    assert_eq!(
        site_removal(1, 0).unwrap_err().reason,
        "error.site_has_equipment"
    );
    assert_eq!(
        site_removal(0, 2).unwrap_err().reason,
        "error.site_has_open_tickets"
    );
}
