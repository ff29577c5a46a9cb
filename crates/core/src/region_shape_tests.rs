use super::*;

const SQUARE: &str = r#"{"type":"Polygon","coordinates":[[[121.4,31.1],[121.6,31.1],[121.6,31.3],[121.4,31.3],[121.4,31.1]],
    [[121.45,31.15],[121.5,31.15],[121.5,31.2],[121.45,31.2],[121.45,31.15]]]}"#;

#[test]
fn a_polygon_with_a_hole_holds_what_is_inside_it() {
    let s = Shape::parse(SQUARE).unwrap();
    assert!(s.contains(31.25, 121.55), "inside the outline");
    assert!(!s.contains(31.17, 121.47), "in the hole");
    assert!(!s.contains(31.0, 121.5), "south of it");
    assert_eq!(s.bounds(), Some((121.4, 31.1, 121.6, 31.3)));
    // Stored as a MultiPolygon, read back the same.
    let again = Shape::from_geojson(&s.to_geojson()).unwrap();
    assert_eq!(again, s);
    let shapes = vec![("a", s)];
    assert_eq!(region_at(&shapes, 31.25, 121.55), Some(&"a"));
    assert_eq!(region_at(&shapes, 30.0, 121.55), None);
}

#[test]
fn features_and_multipolygons_are_read_and_bad_outlines_refused() {
    let feature =
        format!(r#"{{"type":"Feature","properties":{{"name":"徐汇"}},"geometry":{SQUARE}}}"#);
    assert!(Shape::parse(&feature).is_ok());
    let collection = format!(r#"{{"type":"FeatureCollection","features":[{feature}]}}"#);
    assert!(Shape::parse(&collection).is_ok());
    let multi = r#"{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[2,2],[3,2],[3,3],[2,2]]]]}"#;
    let m = Shape::parse(multi).unwrap();
    assert!(m.contains(2.8, 2.9) && !m.contains(1.5, 1.5));
    for (text, reason) in [
        ("not json", "error.invalid_geojson"),
        (
            r#"{"type":"Point","coordinates":[121.4,31.1]}"#,
            "error.geojson_not_polygon",
        ),
        (
            r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}"#,
            "error.geojson_open_ring",
        ),
        (
            r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}"#,
            "error.geojson_open_ring",
        ),
        (
            r#"{"type":"Polygon","coordinates":[[[0,0],[200,0],[1,1],[0,0]]]}"#,
            "error.geojson_out_of_range",
        ),
        (
            r#"{"type":"Polygon","coordinates":[[[0,"a"],[1,0],[1,1],[0,0]]]}"#,
            "error.invalid_geojson",
        ),
        (
            r#"{"type":"FeatureCollection","features":[]}"#,
            "error.geojson_one_feature",
        ),
    ] {
        let e = Shape::parse(text).unwrap_err();
        assert_eq!((e.field, e.reason), ("shape", reason), "{text}");
    }
    let huge: Vec<String> = (0..=MAX_POINTS)
        .map(|i| format!("[{}, 0]", i % 90))
        .collect();
    let huge = format!(
        r#"{{"type":"Polygon","coordinates":[[[0,0],{},[0,0]]]}}"#,
        huge.join(",")
    );
    assert_eq!(
        Shape::parse(&huge).unwrap_err().reason,
        "error.too_many_points"
    );
}

#[test]
fn a_site_is_placed_in_the_region_drawn_around_it() {
    let (inner, given, theirs) = (
        crate::RegionId::new(),
        crate::RegionId::new(),
        crate::RegionId::new(),
    );
    let drawn = vec![(inner, Shape::parse(SQUARE).unwrap())];
    let inside = Some((31.25, 121.55));
    assert_eq!(
        site_region(Some(given), inside, &drawn, Some(theirs)),
        Some(given)
    );
    assert_eq!(site_region(None, inside, &drawn, Some(theirs)), Some(inner));
    assert_eq!(
        site_region(None, Some((30.0, 120.0)), &drawn, Some(theirs)),
        Some(theirs)
    );
    assert_eq!(site_region(None, None, &drawn, None), None);
}
