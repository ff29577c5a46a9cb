use std::collections::HashMap;

use proptest::prelude::*;

use super::*;

fn req(kind: &str, qty: i64) -> MovementRequest {
    MovementRequest {
        kind: kind.into(),
        qty,
        ..MovementRequest::default()
    }
}

#[test]
fn each_kind_names_what_it_needs() {
    let w = WarehouseId::new();
    let v = WarehouseId::new();
    let t = TicketId::new();
    let err = |r: &MovementRequest| movement(r).err().map(|e| (e.field, e.reason));
    assert_eq!(err(&req("steal", 1)), Some(("kind", "error.invalid_value")));
    assert_eq!(
        err(&req("receive", 1)),
        Some(("to_warehouse_id", "error.required"))
    );
    assert_eq!(
        err(&MovementRequest {
            to: Some(w),
            ..req("receive", 0)
        }),
        Some(("qty", "error.invalid_number"))
    );
    assert_eq!(
        err(&MovementRequest {
            to: Some(w),
            ..req("transfer", 2)
        }),
        Some(("from_warehouse_id", "error.required"))
    );
    assert_eq!(
        err(&MovementRequest {
            from: Some(w),
            to: Some(w),
            ..req("transfer", 2)
        }),
        Some(("to_warehouse_id", "error.same_warehouse"))
    );
    assert_eq!(
        err(&MovementRequest {
            from: Some(w),
            ..req("consume", 1)
        }),
        Some(("ticket_id", "error.required"))
    );
    assert_eq!(
        err(&MovementRequest {
            from: Some(w),
            to: Some(v),
            ticket: Some(t),
            ..req("reserve", 1)
        }),
        Some(("to_warehouse_id", "error.one_warehouse"))
    );
    assert_eq!(
        err(&MovementRequest {
            to: Some(w),
            ..req("adjust", -3)
        }),
        Some(("reason", "error.required"))
    );
    // An adjustment may go down; any other movement counts units up.
    let m = movement(&MovementRequest {
        to: Some(w),
        reason: Some("盘点: 少 3 个".into()),
        ..req("adjust", -3)
    })
    .unwrap();
    assert_eq!((m.warehouse, m.qty), (w, -3));
    assert_eq!(
        err(&MovementRequest {
            to: Some(w),
            ..req("receive", -3)
        }),
        Some(("qty", "error.invalid_number"))
    );
    // Either field names the one warehouse of a reservation.
    let m = movement(&MovementRequest {
        to: Some(v),
        ticket: Some(t),
        ..req("reserve", 2)
    })
    .unwrap();
    assert_eq!(m.warehouse, v);
}

fn lines_of(kind: &str, qty: i64, held: i64) -> (Vec<Line>, WarehouseId, WarehouseId) {
    let a = WarehouseId::new();
    let b = WarehouseId::new();
    let m = movement(&MovementRequest {
        from: Some(a),
        to: (kind == "transfer").then_some(b),
        ticket: Some(TicketId::new()),
        reason: Some("count".into()),
        ..req(kind, qty)
    })
    .unwrap();
    (m.lines(held), a, b)
}

#[test]
fn what_each_movement_writes() {
    let (l, a, b) = lines_of("transfer", 5, 0);
    assert_eq!(
        l.iter()
            .map(|l| (l.warehouse, l.on_hand, l.reserved))
            .collect::<Vec<_>>(),
        vec![(a, -5, 0), (b, 5, 0)]
    );
    let (l, ..) = lines_of("reserve", 2, 0);
    assert_eq!(
        (l[0].on_hand, l[0].reserved, l[0].ticket_reserved),
        (0, 2, 2)
    );
    // Consuming 3 with 2 held uses the reservation, then 1 free unit.
    let (l, ..) = lines_of("consume", 3, 2);
    assert_eq!(
        (l[0].on_hand, l[0].reserved, l[0].ticket_reserved),
        (-3, -2, -2)
    );
    let (l, ..) = lines_of("consume", 1, 4);
    assert_eq!((l[0].on_hand, l[0].reserved), (-1, -1));
    let (l, ..) = lines_of("release", 2, 2);
    assert_eq!((l[0].on_hand, l[0].reserved), (0, -2));
}

#[test]
fn levels_never_go_below_zero() {
    let w = WarehouseId::new();
    let level = Level {
        on_hand: 5,
        reserved: 3,
    };
    let line = |on_hand, reserved| Line {
        warehouse: w,
        on_hand,
        reserved,
        ticket_reserved: reserved,
    };
    // Two free units: taking three is refused and says how many are free.
    assert_eq!(
        level.apply(&line(-3, 0), 0),
        Err(Shortage::Stock { available: 2 })
    );
    assert_eq!(
        level.apply(&line(-2, 0), 0).map(|(l, _)| l.available()),
        Ok(0)
    );
    // Reserving more than is free is refused too.
    assert_eq!(
        level.apply(&line(0, 3), 0),
        Err(Shortage::Stock { available: 2 })
    );
    // A ticket gives back only what it holds.
    assert_eq!(
        level.apply(&line(0, -2), 1),
        Err(Shortage::Reservation { held: 1 })
    );
    // Consuming a ticket's own reservation works even with nothing free.
    let full = Level {
        on_hand: 3,
        reserved: 3,
    };
    assert_eq!(
        full.apply(&line(-2, -2), 2),
        Ok((
            Level {
                on_hand: 1,
                reserved: 1
            },
            0
        ))
    );
}

#[test]
fn low_stock_is_raised_once_per_crossing() {
    let at = |on_hand| Level {
        on_hand,
        reserved: 0,
    };
    assert!(crosses_low(at(5), at(4), Some(5)));
    assert!(!crosses_low(at(4), at(3), Some(5)), "already low");
    assert!(
        !crosses_low(at(9), at(5), Some(5)),
        "at the threshold is fine"
    );
    assert!(!crosses_low(at(9), at(0), None));
    assert!(is_low(at(4), Some(5)));
}

#[test]
fn parts_and_money() {
    assert_eq!(money("cost", Some(12.5)), Ok(Some(1250)));
    assert_eq!(money("cost", Some(0.1 + 0.2)), Ok(Some(30)));
    assert_eq!(money("cost", Some(1.234)).unwrap_err().field, "cost");
    assert_eq!(money("cost", Some(-1.0)).unwrap_err().field, "cost");
    let p = part(&NewPart {
        sku: " FLT-01 ".into(),
        name: "滤芯".into(),
        cost: Some(35.0),
        models: vec!["X1".into(), "X1".into()],
        ..NewPart::default()
    })
    .unwrap();
    assert_eq!(
        (p.sku.as_str(), p.unit.as_str(), p.cost_fen, p.models.len()),
        ("FLT-01", "个", Some(3500), 1)
    );
    assert_eq!(
        part(&NewPart {
            sku: "A B".into(),
            name: "x".into(),
            ..NewPart::default()
        })
        .unwrap_err()
        .field,
        "sku"
    );
}

#[test]
fn warehouses_and_requisitions() {
    let van = |engineer| NewWarehouse {
        name: "沪A·12345".into(),
        kind: "van".into(),
        engineer_id: engineer,
        ..NewWarehouse::default()
    };
    assert_eq!(warehouse(&van(None)).unwrap_err().field, "engineer_id");
    assert_eq!(
        warehouse(&van(Some(crate::UserId::new()))).map(|w| w.1),
        Ok(WarehouseKind::Van)
    );
    assert_eq!(
        warehouse(&NewWarehouse {
            name: "总仓".into(),
            kind: "central".into(),
            lat: Some(31.0),
            ..NewWarehouse::default()
        })
        .unwrap_err()
        .field,
        "lon"
    );
    assert_eq!(requisition_items(&[]).unwrap_err().reason, "error.required");
    assert_eq!(
        requisition_items(&[("A".into(), 1), ("A".into(), 2)])
            .unwrap_err()
            .reason,
        "error.duplicate"
    );
    assert_eq!(
        requisition_items(&[("A".into(), 0)]).unwrap_err().field,
        "items.qty"
    );
    assert_eq!(
        requisition_value(&[(Some(3550), 3), (Some(1200), 1)]),
        Some(11850)
    );
    assert_eq!(
        requisition_value(&[(Some(3550), 3), (None, 1)]),
        None,
        "a part without a cost"
    );
    assert!(auto_approves(Some(9_999), Some(10_000)));
    assert!(!auto_approves(Some(10_000), Some(10_000)));
    assert!(!auto_approves(None, Some(10_000)), "unknown cost");
    assert!(!auto_approves(Some(1), None), "no limit set");
    assert!(parts_arrived(crate::Status::WaitingParts, 0));
    assert!(
        !parts_arrived(crate::Status::WaitingParts, 1),
        "another requisition is on its way"
    );
    assert!(!parts_arrived(crate::Status::InProgress, 0));
}

#[test]
fn a_requisition_takes_from_the_regional_pool_before_the_central_store() {
    let van = (31.23, 121.47);
    let near_central = Source {
        id: WarehouseId::new(),
        kind: WarehouseKind::Central,
        position: Some((31.24, 121.48)),
        available: 100,
    };
    let far_pool = Source {
        id: WarehouseId::new(),
        kind: WarehouseKind::Regional,
        position: Some((31.90, 121.90)),
        available: 3,
    };
    let near_pool = Source {
        id: WarehouseId::new(),
        kind: WarehouseKind::Regional,
        position: Some((31.30, 121.50)),
        available: 1,
    };
    let other_van = Source {
        id: WarehouseId::new(),
        kind: WarehouseKind::Van,
        position: Some(van),
        available: 50,
    };
    let all = [near_central, far_pool, near_pool, other_van];
    assert_eq!(choose_source(1, Some(van), &all), Some(near_pool.id));
    assert_eq!(choose_source(2, Some(van), &all), Some(far_pool.id));
    assert_eq!(choose_source(4, Some(van), &all), Some(near_central.id));
    assert_eq!(choose_source(101, Some(van), &all), None);
}

proptest! {
    /// Any sequence of movements, each applied only when `Level::apply` allows it, leaves
    /// every level equal to the sum of the ledger lines written, and never below zero.
    #[test]
    fn the_ledger_sums_to_the_levels(ops in proptest::collection::vec((0usize..7, 0usize..3, 0usize..3, 1i64..6, 0usize..2), 1..200)) {
        let ws = [WarehouseId::new(), WarehouseId::new(), WarehouseId::new()];
        let tickets = [TicketId::new(), TicketId::new()];
        let mut levels: HashMap<WarehouseId, Level> = HashMap::new();
        let mut held: HashMap<(WarehouseId, TicketId), i64> = HashMap::new();
        let mut ledger: Vec<Line> = Vec::new();
        for (k, a, b, q, t) in ops {
            let kind = MovementKind::ALL[k];
            let adjust_down = kind == MovementKind::Adjust && q % 2 == 0;
            let r = MovementRequest {
                kind: kind.as_str().into(),
                qty: if adjust_down { -q } else { q },
                from: Some(ws[a]),
                to: (kind == MovementKind::Transfer).then_some(ws[b]),
                ticket: Some(tickets[t]),
                reason: Some("count".into()),
            };
            let Ok(m) = movement(&r) else { continue };
            let ticket = tickets[t];
            let h = *held.get(&(m.warehouse, ticket)).unwrap_or(&0);
            let lines = m.lines(h);
            let mut next = Vec::new();
            let mut ok = true;
            for l in &lines {
                let before = *levels.get(&l.warehouse).unwrap_or(&Level::default());
                let h = *held.get(&(l.warehouse, ticket)).unwrap_or(&0);
                match before.apply(l, h) {
                    Ok(after) => next.push((l.warehouse, after)),
                    Err(_) => ok = false,
                }
            }
            if !ok { continue; }
            for (w, (level, h)) in next {
                prop_assert!(level.on_hand >= 0 && level.reserved >= 0 && level.available() >= 0);
                levels.insert(w, level);
                held.insert((w, ticket), h);
            }
            ledger.extend(lines);
        }
        for w in ws {
            let on_hand: i64 = ledger.iter().filter(|l| l.warehouse == w).map(|l| l.on_hand).sum();
            let reserved: i64 = ledger.iter().filter(|l| l.warehouse == w).map(|l| l.reserved).sum();
            let level = levels.get(&w).copied().unwrap_or_default();
            prop_assert_eq!((on_hand, reserved), (level.on_hand, level.reserved));
            let held_sum: i64 = tickets.iter().map(|t| held.get(&(w, *t)).copied().unwrap_or(0)).sum();
            prop_assert_eq!(held_sum, level.reserved);
        }
    }
}

#[test]
fn a_requisition_is_decided_once_and_received_only_once_approved() {
    use RequisitionMove::*;
    use RequisitionStatus::*;
    assert_eq!(move_requisition(Pending, Approve), Ok(Approved));
    assert_eq!(move_requisition(Pending, Reject), Ok(Rejected));
    assert_eq!(move_requisition(Approved, Receive), Ok(Received));
    for decided in [Approved, Rejected, Received] {
        assert_eq!(
            move_requisition(decided, Approve),
            Err("error.requisition_decided")
        );
        assert_eq!(
            move_requisition(decided, Reject),
            Err("error.requisition_decided")
        );
    }
    for not_yet in [Pending, Rejected, Received] {
        assert_eq!(
            move_requisition(not_yet, Receive),
            Err("error.requisition_not_approved")
        );
    }
    // What keeps a ticket waiting is what may still become received.
    assert!(RequisitionStatus::OPEN
        .iter()
        .all(|s| *s == Pending || move_requisition(*s, Receive).is_ok()));
}

#[test]
fn parts_and_opening_stock_read_from_a_sheet() {
    use super::sheet::{opening_columns, opening_row, part_columns, part_row};
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    let cols = part_columns(&s(&["物料编码", "名称", "单位", "售价", "适用型号"])).unwrap();
    let p = part_row(
        &cols,
        &s(&["CAP-35", "启动电容 35μF", "个", "45.5", "KFR-72LW、GEN2"]),
    )
    .unwrap();
    assert_eq!(
        (p.sku.as_str(), p.price, p.models.len()),
        ("CAP-35", Some(45.5), 2)
    );
    assert_eq!(
        part_row(&cols, &s(&["X", "x", "", "四十"]))
            .unwrap_err()
            .field,
        "price"
    );
    assert_eq!(
        part_columns(&s(&["name"])).unwrap_err().reason,
        "error.missing_column"
    );
    let cols = opening_columns(&s(&["仓库", "sku", "数量"])).unwrap();
    assert_eq!(
        opening_row(&cols, &s(&["中心仓", "CAP-35", "12"])).unwrap(),
        ("中心仓".to_owned(), "CAP-35".to_owned(), 12)
    );
    assert_eq!(
        opening_row(&cols, &s(&["中心仓", "CAP-35", "12.0"]))
            .unwrap()
            .2,
        12
    );
    for bad in ["0", "-3", "1.5", "很多"] {
        assert_eq!(
            opening_row(&cols, &s(&["中心仓", "CAP-35", bad]))
                .unwrap_err()
                .field,
            "qty",
            "{bad}"
        );
    }
    assert_eq!(
        opening_row(&cols, &s(&["", "CAP-35", "1"]))
            .unwrap_err()
            .field,
        "warehouse"
    );
}
