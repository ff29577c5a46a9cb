//! Service contracts and preventive maintenance: a contract makes its assets' repairs free;
//! plans make work orders ahead of their due dates (by the calendar or the meter) exactly
//! once, with two generators racing and after a restart; PM compliance counts the visits
//! done by their due date.

use chrono::Duration;
use loopdesk_core::clock::Clock;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp, ADMIN_PASSWORD, PASSWORD};
use crate::on_both_backends;

on_both_backends!(plans_make_each_maintenance_order_once_and_compliance_counts_them);

async fn maintenance_tickets(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM tickets WHERE category = 'maintenance'")
        .await
}

async fn plans_make_each_maintenance_order_once_and_compliance_counts_them(backend: Backend) {
    let mut app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (eng_id, engineer) = app.user("eng", &["engineer"], json!({})).await;
    app.user("boss", &["manager"], json!({})).await;
    app.ok(
        &app.admin,
        "/api/v1/models",
        json!({ "code": "X1", "name": "冷柜 X1", "checklist": ["检查压缩机", "清洁冷凝器"] }),
        201,
    )
    .await;
    let (customer, site) = app.customer(&agent, "上海申江制冷", "13800138000").await;
    let asset = |serial: &str, model: &str| {
        json!({ "customer_id": customer, "site_id": site, "model": model, "serial": serial,
                "installed_on": "2018-01-01", "warranty_until": "2020-01-01" })
    };
    let a1 = app
        .ok(&agent, "/api/v1/assets", asset("SN-1", "X1"), 201)
        .await;
    let a2 = app
        .ok(&agent, "/api/v1/assets", asset("SN-2", "X1"), 201)
        .await;
    let press = app
        .ok(&agent, "/api/v1/assets", asset("SN-3", "P9"), 201)
        .await;
    let outside = app
        .ok(&agent, "/api/v1/assets", asset("SN-4", "X1"), 201)
        .await;

    let bad = app
        .ok(
            &agent,
            "/api/v1/contracts",
            json!({ "customer_id": customer, "name": "HT-1",
            "starts_on": "2026-12-31", "ends_on": "2026-01-01" }),
            422,
        )
        .await;
    assert_eq!(bad["field"], "ends_on");
    let contract = app
        .ok(
            &agent,
            "/api/v1/contracts",
            json!({ "customer_id": customer, "name": "HT-2026-001",
            "starts_on": "2026-01-01", "ends_on": "2027-06-30", "sla_tier": "vip",
            "asset_ids": [a1["id"], a2["id"], press["id"]] }),
            201,
        )
        .await;
    assert_eq!(contract["asset_ids"].as_array().unwrap().len(), 3);

    // Out of its own warranty but under contract: not chargeable. Outside it: chargeable.
    let ticket = |a: &Value| json!({ "channel": "phone", "asset_id": a["id"], "subject": "异响", "description": "", "priority": 3 });
    let covered = app.ok(&agent, "/api/v1/tickets", ticket(&a1), 201).await;
    assert_eq!(
        (
            covered["warranty"].as_str(),
            covered["chargeable"].as_bool()
        ),
        (Some("in"), Some(false))
    );
    let charged = app
        .ok(&agent, "/api/v1/tickets", ticket(&outside), 201)
        .await;
    assert_eq!(charged["chargeable"], true);

    // Every 30 days from 20 Nov for the contract's X1s, made 30 days ahead: today is 24 Nov,
    // so the first is 20 Dec (20 Nov was before the plan). Every 500 units for the press.
    let plan = app
        .ok(
            &agent,
            "/api/v1/maintenance/plans",
            json!({ "name": "月度保养", "contract_id": contract["id"],
            "model": "X1", "every_days": 30, "starts_on": "2026-11-20", "lead_days": 30 }),
            201,
        )
        .await;
    assert_eq!(plan["lead_days"], 30);
    let bad = app
        .ok(&agent, "/api/v1/maintenance/plans", json!({ "name": "x", "contract_id": contract["id"], "every_days": 30, "starts_on": "2026-11-20" }), 422)
        .await;
    assert_eq!(bad["field"], "model");
    let pid = press["id"].as_str().unwrap();
    app.ok(
        &agent,
        &format!("/api/v1/assets/{pid}/readings"),
        json!({ "value": 1000 }),
        201,
    )
    .await;
    app.ok(
        &agent,
        "/api/v1/maintenance/plans",
        json!({ "name": "按印量保养", "asset_id": press["id"], "every_meter": 500 }),
        201,
    )
    .await;

    // Two generators at once (two instances on one database): each order made once.
    let other = loopdesk::app::open_store(&app.config).await.unwrap();
    let now = app.clock.now();
    let (r1, r2) = tokio::join!(
        loopdesk_jobs::maintenance::generate(&app.store, now),
        loopdesk_jobs::maintenance::generate(&other, now)
    );
    r1.unwrap();
    r2.unwrap();
    assert_eq!(
        maintenance_tickets(&app).await,
        2,
        "one per X1 under contract, none for the press yet"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM maintenance_visits").await,
        2
    );
    let card = app
        .read(
            &agent,
            &format!("/api/v1/assets/{}", a1["id"].as_str().unwrap()),
        )
        .await;
    let pm = card["history"]["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["category"] == "maintenance")
        .unwrap();
    let first = &app
        .read(
            &agent,
            &format!("/api/v1/tickets/{}", pm["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(first["fields"]["due_on"], "2026-12-20");
    assert_eq!(
        first["fields"]["checklist"],
        json!(["检查压缩机", "清洁冷凝器"])
    );
    assert_eq!(first["priority"], 3);
    assert!(first["subject"].as_str().unwrap().starts_with("月度保养"));

    // The meter passes 1500: one order for the press. A restart changes nothing.
    app.ok(
        &agent,
        &format!("/api/v1/assets/{pid}/readings"),
        json!({ "value": 1620 }),
        201,
    )
    .await;
    let run = app
        .ok(&app.admin, "/api/v1/maintenance/run", json!({}), 200)
        .await;
    assert_eq!(run["made"], 1);
    app.restart().await;
    let run = app
        .ok(&app.admin, "/api/v1/maintenance/run", json!({}), 200)
        .await;
    assert_eq!(run["made"], 0);
    assert_eq!(maintenance_tickets(&app).await, 3);
    assert_eq!(
        app.post_json(&agent, "/api/v1/maintenance/run", &json!({}))
            .await
            .status(),
        403
    );

    // One of December's visits is done early (on 24 Nov), the other not at all: 50 %.
    let id = first["id"].as_str().unwrap();
    let t = app.read(&agent, &format!("/api/v1/tickets/{id}")).await;
    let t = app.work_on_site(&agent, &t, (&eng_id, &engineer)).await;
    let files = app.report_files(&engineer, id).await;
    app.clock.advance(Duration::minutes(45));
    let report = json!({ "resolution": "保养完成", "before_photo_ids": [files[0]], "after_photo_ids": [files[1]], "signature_id": files[2] });
    app.send_report(&engineer, &t, report).await;

    // A month on, the next due date (19 Jan) comes within the lead.
    app.clock.advance(Duration::days(30));
    // Sessions last a day: everyone signs in again.
    app.admin = app.login("admin", ADMIN_PASSWORD).await;
    let engineer = app.login("eng", PASSWORD).await;
    let manager = app.login("boss", PASSWORD).await;
    app.ok(&app.admin, "/api/v1/maintenance/run", json!({}), 200)
        .await;
    assert_eq!(maintenance_tickets(&app).await, 5);

    let c = app
        .read(
            &manager,
            "/api/v1/maintenance/compliance?from=2026-12-01&to=2026-12-31",
        )
        .await;
    assert_eq!(
        (c["due"].as_i64(), c["on_time"].as_i64(), c["rate"].as_f64()),
        (Some(2), Some(1), Some(0.5))
    );
    // The same figure is a KPI beside the others (December in Beijing time), from the KPI
    // book and from the event log alike.
    for source in ["book", "events"] {
        let k = app
            .read(
                &manager,
                &format!(
                    "/api/v1/kpis?metrics=pm_compliance&from=2026-11-30T16:00:00Z\
                     &to=2026-12-31T16:00:00Z&source={source}"
                ),
            )
            .await;
        assert_eq!(
            k["rows"][0]["values"]["pm_compliance"],
            json!({ "value": 0.5, "n": 2 }),
            "{source}: {k}"
        );
    }
    let r = app
        .get(&manager, "/api/v1/maintenance/compliance?from=soon")
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        app.get(
            &engineer,
            "/api/v1/maintenance/compliance?from=2026-12-01&to=2026-12-31"
        )
        .await
        .status(),
        403
    );
}
