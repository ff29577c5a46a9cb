use super::*;

fn hours(weekday: u8, from: &str, to: &str) -> WorkingHours {
    WorkingHours {
        weekday,
        from: from.into(),
        to: to.into(),
    }
}

#[test]
fn a_profile_is_checked_field_by_field() {
    let good = ProfileInput {
        skills: vec![Skill {
            name: " HVAC ".into(),
            level: 3,
        }],
        regions: vec!["b".into(), "a".into(), "b".into()],
        home: Some(Point {
            lat: 31.2,
            lon: 121.5,
        }),
        capacity: 6,
        shift: vec![hours(1, "09:00", "18:00")],
    };
    let checked = good.clone().checked(480).unwrap();
    assert_eq!(checked.skills[0].name, "hvac");
    assert_eq!(checked.regions, ["a", "b"]);
    let bad = |f: fn(&mut ProfileInput)| {
        let mut p = good.clone();
        f(&mut p);
        p.checked(480).unwrap_err().field
    };
    assert_eq!(bad(|p| p.skills[0].level = 0), "skills");
    assert_eq!(bad(|p| p.skills[0].level = 6), "skills");
    assert_eq!(
        bad(|p| p.skills.push(Skill {
            name: "hvac".into(),
            level: 1
        })),
        "skills"
    );
    assert_eq!(bad(|p| p.skills[0].name = "空调".into()), "skills");
    assert_eq!(bad(|p| p.capacity = 0), "capacity");
    assert_eq!(
        bad(|p| p.home = Some(Point {
            lat: 91.0,
            lon: 0.0
        })),
        "home"
    );
    assert_eq!(bad(|p| p.shift = vec![hours(1, "18:00", "09:00")]), "shift");
}

#[test]
fn the_shift_is_local_time() {
    let shift = [hours(2, "09:00", "18:00")];
    // 2026-11-24 is a Tuesday; 02:00 UTC is 10:00 in Beijing.
    let tuesday_10 = 1_795_485_600_000;
    assert!(in_shift(&shift, 480, tuesday_10));
    assert!(!in_shift(&shift, 0, tuesday_10), "02:00 at UTC+0");
    assert!(!in_shift(&shift, 480, tuesday_10 + 9 * 3_600_000), "19:00");
    assert!(in_shift(&[], 480, tuesday_10), "no shift: no limit");
    assert_eq!(check_position(95.0, 0.0, None).unwrap_err().field, "lat");
    assert_eq!(
        check_position(30.0, 120.0, Some(-1.0)).unwrap_err().field,
        "accuracy_m"
    );
}
