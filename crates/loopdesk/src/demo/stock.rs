//! The demo's catalogue and stock: product models with their skill, warranty and checklist;
//! spare parts; a central warehouse, a pool in every district and a van for every engineer,
//! each stocked (received centrally, then moved out as a real organisation moves it) before
//! the first ticket, so the reports' parts come out of the vans.

use chrono::{DateTime, Utc};
use loopdesk_core::asset::NewModel;
use loopdesk_core::inventory::{MovementRequest, NewPart, NewWarehouse};
use loopdesk_core::ticket::Actor;
use loopdesk_core::{RegionId, UserId, WarehouseId};
use loopdesk_store::{StockMovementInput, TenantStore};

use super::{MODELS, REGIONS};

/// A spare part of the demo: its cost and price in yuan, and the model codes it fits.
pub(crate) struct DemoPart {
    sku: &'static str,
    name: &'static str,
    unit: &'static str,
    cost: f64,
    price: f64,
    models: &'static [&'static str],
}

/// The parts.
pub(crate) const PARTS: [DemoPart; 8] = [
    DemoPart {
        sku: "CAP-35UF",
        name: "压缩机启动电容 35μF",
        unit: "个",
        cost: 18.0,
        price: 60.0,
        models: &["KFR-72LW", "FXMQ-P", "SC-650"],
    },
    DemoPart {
        sku: "FLT-01",
        name: "空调过滤网",
        unit: "片",
        cost: 12.0,
        price: 45.0,
        models: &["KFR-72LW", "FXMQ-P"],
    },
    DemoPart {
        sku: "FAN-M20",
        name: "室外风机电机 20W",
        unit: "台",
        cost: 160.0,
        price: 420.0,
        models: &["KFR-72LW", "SC-650"],
    },
    DemoPart {
        sku: "THERM-NTC",
        name: "NTC 温度传感器",
        unit: "个",
        cost: 9.0,
        price: 38.0,
        models: &["SC-650", "KFR-72LW"],
    },
    DemoPart {
        sku: "DRAIN-PUMP",
        name: "排水泵",
        unit: "台",
        cost: 85.0,
        price: 260.0,
        models: &["WM14", "FXMQ-P"],
    },
    DemoPart {
        sku: "BELT-GEN2",
        name: "曳引带",
        unit: "条",
        cost: 1_200.0,
        price: 3_200.0,
        models: &["GEN2"],
    },
    DemoPart {
        sku: "DOOR-ROLLER",
        name: "门机滚轮",
        unit: "个",
        cost: 45.0,
        price: 150.0,
        models: &["GEN2"],
    },
    DemoPart {
        sku: "PAD-AED",
        name: "除颤电极片",
        unit: "副",
        cost: 120.0,
        price: 280.0,
        models: &["BENEHEART"],
    },
];

/// The parts a demo report uses (the common ones a van carries).
pub(crate) const VAN_PARTS: [&str; 4] = ["CAP-35UF", "FLT-01", "THERM-NTC", "DRAIN-PUMP"];

pub(super) async fn set_up(
    t: &TenantStore,
    regions: &[RegionId],
    engineers: &[(UserId, usize)],
    tickets: usize,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let system = Actor::System;
    for m in &MODELS {
        let model = NewModel {
            code: m.code.into(),
            name: m.name.into(),
            product_line: Some(m.line.into()),
            warranty_months: Some(m.warranty_months),
            skill: Some(m.skill.into()),
            skill_level: Some(2),
            checklist: m.checklist.iter().map(|c| (*c).to_owned()).collect(),
        };
        t.create_model(&system, model, at).await?;
    }
    for p in &PARTS {
        let part = NewPart {
            sku: p.sku.into(),
            name: p.name.into(),
            unit: Some(p.unit.into()),
            cost: Some(p.cost),
            price: Some(p.price),
            models: p.models.iter().map(|m| (*m).to_owned()).collect(),
        };
        t.create_part(&system, part, at).await?;
    }
    let warehouse = |name: String, kind: &str, region: Option<RegionId>, engineer| NewWarehouse {
        name,
        kind: kind.into(),
        engineer_id: engineer,
        region_id: region,
        lat: None,
        lon: None,
    };
    let central = t
        .create_warehouse(
            &system,
            warehouse("上海中心仓".into(), "central", None, None),
            at,
        )
        .await?
        .id;
    // A report takes one of the van's common parts: enough for the demo's tickets, with the
    // usual spread left over.
    let per_van = (tickets / engineers.len().max(1) / VAN_PARTS.len() * 2).max(12) as i64;
    let per_pool = per_van * 2;
    let mut pools = Vec::new();
    for (i, region) in regions.iter().enumerate() {
        let name = format!("{}备件库", REGIONS[i].0);
        let pool = t
            .create_warehouse(
                &system,
                warehouse(name, "regional", Some(*region), None),
                at,
            )
            .await?
            .id;
        pools.push(pool);
    }
    let receive = |sku: &str, qty: i64| StockMovementInput {
        sku: sku.into(),
        movement: MovementRequest {
            kind: "receive".into(),
            qty,
            from: None,
            to: Some(central),
            ticket: None,
            reason: Some("期初入库".into()),
        },
    };
    let transfer = |sku: &str, qty: i64, from: WarehouseId, to: WarehouseId| StockMovementInput {
        sku: sku.into(),
        movement: MovementRequest {
            kind: "transfer".into(),
            qty,
            from: Some(from),
            to: Some(to),
            ticket: None,
            reason: None,
        },
    };
    let vans_in = |r: usize| engineers.iter().filter(|(_, er)| *er == r).count() as i64;
    for DemoPart { sku, .. } in &PARTS {
        let sku = *sku;
        let common = VAN_PARTS.contains(&sku);
        let pool_qty = if common { per_pool } else { 6 };
        let van_qty = if common { per_van } else { 0 };
        let total: i64 = (0..pools.len())
            .map(|r| pool_qty + van_qty * vans_in(r))
            .sum::<i64>()
            + pool_qty * 3;
        t.record_movement(&system, receive(sku, total), None, at)
            .await?;
        for (r, pool) in pools.iter().enumerate() {
            let qty = pool_qty + van_qty * vans_in(r);
            t.record_movement(&system, transfer(sku, qty, central, *pool), None, at)
                .await?;
        }
    }
    for (i, (engineer, r)) in engineers.iter().enumerate() {
        let name = format!("工程车 沪A·{:05}", 31_000 + i * 137);
        let van = t
            .create_warehouse(
                &system,
                warehouse(name, "van", Some(regions[*r]), Some(*engineer)),
                at,
            )
            .await?
            .id;
        for sku in VAN_PARTS {
            t.record_movement(&system, transfer(sku, per_van, pools[*r], van), None, at)
                .await?;
        }
        for sku in VAN_PARTS {
            t.set_threshold(&system, van, sku, Some(3)).await?;
        }
    }
    for pool in &pools {
        for p in &PARTS {
            t.set_threshold(&system, *pool, p.sku, Some(4)).await?;
        }
    }
    Ok(())
}
