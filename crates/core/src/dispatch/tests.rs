use super::*;
use proptest::prelude::*;

const SKILLS: [&str; 3] = ["hvac", "electrical", "plumbing"];

fn engineer(id: usize, lat: f64, lon: f64, skills: &[(&str, u8)], capacity: i64) -> Engineer {
    Engineer {
        id: format!("E{id}"),
        position: Some(Point { lat, lon }),
        skills: skills
            .iter()
            .map(|(n, l)| Skill {
                name: (*n).to_owned(),
                level: *l,
            })
            .collect(),
        capacity,
        load: 0,
        on_duty: true,
        in_shift: true,
        regions: Vec::new(),
    }
}

fn order(id: usize, lat: f64, lon: f64, skill: &str, priority: i64) -> Order {
    Order {
        id: format!("O{id}"),
        position: Some(Point { lat, lon }),
        skill: Some(skill.to_owned()),
        min_level: 1,
        priority,
        region: None,
        sla_slack_minutes: None,
        tried: Vec::new(),
    }
}

/// The lexicographic value of an assignment: (assigned, priority weight, urgency, −distance
/// units).
type Value = (usize, i64, i64, i64);

fn value(orders: &[Order], engineers: &[Engineer], pick: &[Option<usize>]) -> Value {
    let mut v = (0, 0, 0, 0);
    for (i, p) in pick.iter().enumerate() {
        if let Some(j) = p {
            v.0 += 1;
            v.1 += steps(&orders[i]);
            v.2 += urgency(&orders[i]);
            v.3 -= Units::DM.between(orders[i].position.unwrap(), engineers[*j].position.unwrap());
        }
    }
    v
}

/// The best value over every assignment, by brute force.
fn brute(orders: &[Order], engineers: &[Engineer], opts: &Options) -> Value {
    fn go(
        i: usize,
        orders: &[Order],
        engineers: &[Engineer],
        opts: &Options,
        used: &mut Vec<i64>,
        pick: &mut Vec<Option<usize>>,
        best: &mut Value,
    ) {
        if i == orders.len() {
            *best = (*best).max(value(orders, engineers, pick));
            return;
        }
        pick[i] = None;
        go(i + 1, orders, engineers, opts, used, pick, best);
        if orders[i].position.is_none() {
            return;
        }
        for (j, e) in engineers.iter().enumerate() {
            if used[j] < e.free() && exclusion(&orders[i], e, opts).is_none() {
                used[j] += 1;
                pick[i] = Some(j);
                go(i + 1, orders, engineers, opts, used, pick, best);
                pick[i] = None;
                used[j] -= 1;
            }
        }
    }
    let mut best = (0, 0, 0, 0);
    go(
        0,
        orders,
        engineers,
        opts,
        &mut vec![0; engineers.len()],
        &mut vec![None; orders.len()],
        &mut best,
    );
    best
}

fn instance() -> impl Strategy<Value = (Vec<Order>, Vec<Engineer>)> {
    let point = (31.0f64..31.4, 121.2f64..121.7);
    let eng = (
        point.clone(),
        proptest::sample::subsequence(SKILLS.to_vec(), 1..=2),
        0i64..3,
        1u8..3,
        proptest::bool::weighted(0.9),
        prop::option::of(0usize..2),
    );
    let ord = (
        point,
        0usize..3,
        1i64..=4,
        0u8..3,
        prop::option::weighted(0.9, Just(())),
        prop::option::of(0usize..2),
        prop::option::of(-60i64..6000),
    );
    (
        prop::collection::vec(ord, 0..7),
        prop::collection::vec(eng, 0..4),
    )
        .prop_map(|(os, es)| {
            let engineers = es
                .into_iter()
                .enumerate()
                .map(
                    |(j, ((lat, lon), skills, cap, level, duty, region))| Engineer {
                        on_duty: duty,
                        regions: region.map(|r| vec![format!("R{r}")]).unwrap_or_default(),
                        ..engineer(
                            j,
                            lat,
                            lon,
                            &skills.iter().map(|s| (*s, level)).collect::<Vec<_>>(),
                            cap,
                        )
                    },
                )
                .collect();
            let orders = os
                .into_iter()
                .enumerate()
                .map(
                    |(i, ((lat, lon), s, p, lvl, has_pos, region, slack))| Order {
                        position: has_pos.map(|()| Point { lat, lon }),
                        min_level: lvl,
                        region: region.map(|r| format!("R{r}")),
                        sla_slack_minutes: slack,
                        ..order(i, lat, lon, SKILLS[s], p)
                    },
                )
                .collect();
            (orders, engineers)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// No proposal breaks a hard rule, every order is accounted for once, and the plan is as
    /// good as the best of every possible assignment.
    #[test]
    fn plans_keep_the_rules_and_are_optimal((orders, engineers) in instance(), cross in any::<bool>()) {
        let opts = Options { cross_region: cross, candidates: 1, ..Options::default() };
        let p = plan(&orders, &engineers, &opts);
        let mut used = vec![0i64; engineers.len()];
        let mut seen = vec![0; orders.len()];
        for a in &p.assignments {
            prop_assert_eq!(exclusion(&orders[a.order], &engineers[a.engineer], &opts), None);
            used[a.engineer] += 1;
            seen[a.order] += 1;
        }
        for (j, e) in engineers.iter().enumerate() {
            prop_assert!(used[j] <= e.free());
        }
        for (i, _) in &p.unassigned {
            seen[*i] += 1;
        }
        prop_assert!(seen.iter().all(|&s| s == 1), "{:?}", seen);
        let mut pick = vec![None; orders.len()];
        for a in &p.assignments {
            pick[a.order] = Some(a.engineer);
        }
        prop_assert_eq!(value(&orders, &engineers, &pick), brute(&orders, &engineers, &opts));
    }
}

#[test]
fn urgent_orders_win_scarce_capacity_then_the_nearest_engineer() {
    let engineers = vec![
        engineer(0, 31.20, 121.40, &[("hvac", 1)], 1),
        engineer(1, 31.30, 121.60, &[("hvac", 1)], 1),
    ];
    let orders = vec![
        order(0, 31.21, 121.41, "hvac", 4),
        order(1, 31.29, 121.59, "hvac", 1),
        order(2, 31.25, 121.50, "hvac", 2),
    ];
    let p = plan(&orders, &engineers, &Options::default());
    assert_eq!(p.assigned, 2);
    assert_eq!(p.priority_weight, 4 + 3);
    let by_order: Vec<(usize, usize)> = p
        .assignments
        .iter()
        .map(|a| (a.order, a.engineer))
        .collect();
    // P1 keeps its nearby engineer; the P2 in the middle takes the other; the P4 waits.
    assert_eq!(by_order, vec![(1, 1), (2, 0)]);
    assert_eq!(p.unassigned, vec![(0, Unassigned::CapacityTaken)]);
}

#[test]
fn sla_slack_breaks_ties_between_equal_priorities() {
    let engineers = vec![engineer(0, 31.2, 121.4, &[("hvac", 1)], 1)];
    let mut near = order(0, 31.2, 121.4, "hvac", 2);
    near.sla_slack_minutes = Some(600);
    let mut urgent = order(1, 31.3, 121.6, "hvac", 2);
    urgent.sla_slack_minutes = Some(30);
    let p = plan(&[near, urgent], &engineers, &Options::default());
    assert_eq!(p.assignments[0].order, 1);
}

#[test]
fn engineers_at_the_same_place_share_the_work() {
    // Both start from the depot; one already carries two orders. The two new orders cost the
    // same travel whoever takes them, so the one with nothing on goes.
    let mut busy = engineer(0, 31.2, 121.4, &[("hvac", 1)], 5);
    busy.load = 2;
    let idle = engineer(1, 31.2, 121.4, &[("hvac", 1)], 5);
    let orders = vec![
        order(0, 31.25, 121.45, "hvac", 2),
        order(1, 31.15, 121.35, "hvac", 3),
    ];
    let p = plan(&orders, &[busy.clone(), idle.clone()], &Options::default());
    let by: Vec<usize> = p.assignments.iter().map(|a| a.engineer).collect();
    assert_eq!(by, vec![1, 1]);
    // With three orders, the loads come out even: 3 and 3.
    let mut three = orders;
    three.push(order(2, 31.2, 121.5, "hvac", 4));
    let p = plan(&three, &[busy, idle], &Options::default());
    let idle_takes = p.assignments.iter().filter(|a| a.engineer == 1).count();
    assert_eq!((p.assigned, idle_takes), (3, 2));
}

#[test]
fn bad_input_gets_a_reason_not_a_panic() {
    let opts = Options::default();
    assert_eq!(
        plan(&[], &[], &opts),
        Plan {
            rounds: 1,
            ..Plan::default()
        }
    );
    let mut lost = order(0, 31.2, 121.4, "hvac", 1);
    lost.position = None;
    let mut nowhere = engineer(0, 0.0, 0.0, &[("elevator", 1)], 2);
    nowhere.position = None;
    let full = engineer(1, 31.2, 121.4, &[("elevator", 1)], 0);
    let orders = vec![
        lost,
        order(1, 31.2, 121.4, "cctv", 1),
        order(2, 31.2, 121.4, "elevator", 1),
    ];
    let p = plan(&orders, &[nowhere, full], &opts);
    assert_eq!(p.assigned, 0);
    assert_eq!(p.unassigned[0], (0, Unassigned::NoPosition));
    assert_eq!(
        p.unassigned[1],
        (
            1,
            Unassigned::NoEligibleEngineer {
                excluded: vec![(Exclusion::NoSkill, 2)]
            }
        )
    );
    assert_eq!(
        p.unassigned[2],
        (
            2,
            Unassigned::NoEligibleEngineer {
                excluded: vec![(Exclusion::NoPosition, 1), (Exclusion::Full, 1)]
            }
        )
    );
}

#[test]
fn explanations_rank_candidates_and_name_exclusions() {
    let mut off = engineer(2, 31.2, 121.4, &[("hvac", 2)], 3);
    off.on_duty = false;
    let mut busy = engineer(3, 31.2, 121.4, &[("hvac", 2)], 1);
    busy.load = 1;
    let engineers = vec![
        engineer(0, 31.30, 121.50, &[("hvac", 2)], 3),
        engineer(1, 31.21, 121.41, &[("hvac", 3)], 3),
        off,
        busy,
        engineer(4, 31.2, 121.4, &[("hvac", 1)], 3),
        engineer(5, 31.2, 121.4, &[("plumbing", 3)], 3),
        engineer(6, 31.40, 121.70, &[("hvac", 2)], 3),
        engineer(7, 31.35, 121.65, &[("hvac", 2)], 3),
    ];
    let mut o = order(0, 31.2, 121.4, "hvac", 1);
    o.min_level = 2;
    let x = explain(&o, &engineers, &Options::default());
    let top: Vec<usize> = x.top().iter().map(|c| c.engineer).collect();
    assert_eq!(top, vec![1, 0, 7]);
    assert_eq!(x.top()[0].level, 3);
    assert!((x.top()[0].road_km - x.top()[0].km * 1.3).abs() < 1e-9);
    let mut excluded = x.excluded;
    excluded.sort();
    assert_eq!(
        excluded,
        vec![
            (2, Exclusion::OffDuty),
            (3, Exclusion::Full),
            (4, Exclusion::LevelTooLow),
            (5, Exclusion::NoSkill)
        ]
    );
}

#[test]
fn a_country_wide_batch_fits_the_integers() {
    // Harbin to Sanya, Kashgar to Shanghai: the costs and the prices they move must fit the
    // flow's integers, and everyone is still assigned (debug builds trap any overflow).
    let mut seed = 11u64;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let engineers: Vec<Engineer> = (0..300)
        .map(|j| {
            engineer(
                j,
                18.0 + 32.0 * next(),
                75.0 + 55.0 * next(),
                &[("hvac", 1)],
                10,
            )
        })
        .collect();
    let orders: Vec<Order> = (0..3000)
        .map(|i| {
            order(
                i,
                18.0 + 32.0 * next(),
                75.0 + 55.0 * next(),
                "hvac",
                1 + (i % 4) as i64,
            )
        })
        .collect();
    let p = plan(&orders, &engineers, &Options::default());
    assert_eq!(p.assigned, 3000);
    assert!(p.unassigned.is_empty());
    assert!(p.travel_km > 0.0);
}

#[test]
fn a_person_may_override_soft_reasons_with_a_note_but_never_a_missing_skill() {
    use Exclusion::*;
    assert_eq!(hand_choice(None, ""), Ok(()));
    for soft in [
        OffDuty,
        OutOfShift,
        OtherRegion,
        NoPosition,
        Full,
        TriedAlready,
    ] {
        assert!(soft.overridable(), "{soft:?}");
        assert_eq!(hand_choice(Some(soft), "电话确认可以去"), Ok(()));
        assert_eq!(hand_choice(Some(soft), "  ").unwrap_err().field, "note");
    }
    for hard in [NoSkill, LevelTooLow] {
        assert!(!hard.overridable());
        assert_eq!(
            hand_choice(Some(hard), "无论如何").unwrap_err().field,
            "engineer_id"
        );
    }
}

#[test]
fn exclusions_are_spelled_as_serde_spells_them() {
    use Exclusion::*;
    for e in [
        NoSkill,
        LevelTooLow,
        OffDuty,
        OutOfShift,
        OtherRegion,
        NoPosition,
        Full,
        TriedAlready,
    ] {
        assert_eq!(serde_json::to_value(e).unwrap(), e.as_str(), "{e:?}");
    }
}
