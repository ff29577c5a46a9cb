//! Spare parts and stock: the contract of parts, warehouses, movements and levels; stock that
//! never goes below zero under racing requests; transfers that neither make nor lose units;
//! requisitions from request to the van and on to the work report; low-stock alerts.

use loopdesk_jobs::{Runner, RunnerConfig};
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    parts_warehouses_movements_and_levels_follow_the_contract,
    fifty_racing_consumptions_of_twenty_units_accept_exactly_twenty,
    a_random_mix_of_movements_keeps_the_ledger_and_the_levels_equal,
    a_requisition_brings_parts_from_the_regional_pool_to_the_van_and_the_report_consumes_them,
    crossing_a_threshold_raises_one_low_stock_alert,
);

async fn setup(app: &TestApp) -> (Value, Value, Value) {
    let part = app
        .ok(
            &app.admin,
            "/api/v1/parts",
            json!({ "sku": "FLT-01", "name": "滤芯", "unit": "个", "cost": 35.5 }),
            201,
        )
        .await;
    let central = app
        .ok(
            &app.admin,
            "/api/v1/warehouses",
            json!({ "name": "总仓", "kind": "central", "lat": 31.30, "lon": 121.20 }),
            201,
        )
        .await;
    let pool = app
        .ok(
            &app.admin,
            "/api/v1/warehouses",
            json!({ "name": "浦东共享库", "kind": "regional", "lat": 31.22, "lon": 121.54 }),
            201,
        )
        .await;
    (part, central, pool)
}

async fn move_stock(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    let r = app.post_json(token, "/api/v1/stock/movements", &body).await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn level(app: &TestApp, warehouse: &Value, sku: &str) -> Option<Value> {
    let w = warehouse["id"].as_str().unwrap();
    let page = app
        .read(
            &app.admin,
            &format!("/api/v1/stock?warehouse_id={w}&sku={sku}"),
        )
        .await;
    page["items"].as_array().unwrap().first().cloned()
}

/// Pairs whose stored level is not the sum of their ledger lines, counted in raw SQL.
async fn disagreements(app: &TestApp) -> i64 {
    app.count(
        "SELECT COUNT(*) FROM stock_levels l WHERE l.on_hand <> (SELECT COALESCE(SUM(m.on_hand_delta), 0) \
         FROM stock_movements m WHERE m.warehouse_id = l.warehouse_id AND m.part_id = l.part_id) \
         OR l.reserved <> (SELECT COALESCE(SUM(m.reserved_delta), 0) FROM stock_movements m \
         WHERE m.warehouse_id = l.warehouse_id AND m.part_id = l.part_id)",
    )
    .await
}

/// A ticket for a new customer, assigned to `engineer_id`.
async fn assigned_ticket(app: &TestApp, agent: &str, engineer_id: &str, phone: &str) -> Value {
    let (customer, site) = app.customer(agent, "上海申江制冷", phone).await;
    let t = app
        .ok(
            agent,
            "/api/v1/tickets",
            json!({ "channel": "phone", "customer_id": customer, "site_id": site, "subject": "冷柜不制冷", "description": "两台都不制冷", "priority": 2 }),
            201,
        )
        .await;
    app.go(
        agent,
        &t,
        json!({ "to": "assigned", "assignee_id": engineer_id }),
        200,
    )
    .await
}

async fn parts_warehouses_movements_and_levels_follow_the_contract(backend: Backend) {
    let app = spawn_app(backend).await;
    let (part, central, pool) = setup(&app).await;
    assert_eq!(part["sku"], "FLT-01");
    assert_eq!(part["cost"], 35.5);
    assert!(central["id"].is_string());
    assert_eq!(central["kind"], "central");

    // Bad input names the field; the same SKU twice is a conflict.
    let dup = app
        .ok(
            &app.admin,
            "/api/v1/parts",
            json!({ "sku": "FLT-01", "name": "x" }),
            409,
        )
        .await;
    assert_eq!(dup["field"], "sku");
    let bad = app
        .ok(
            &app.admin,
            "/api/v1/warehouses",
            json!({ "name": "车", "kind": "van" }),
            422,
        )
        .await;
    assert_eq!(bad["field"], "engineer_id");
    let bad = app
        .ok(
            &app.admin,
            "/api/v1/warehouses",
            json!({ "name": "车", "kind": "boat" }),
            422,
        )
        .await;
    assert_eq!(bad["field"], "kind");
    let (eng_id, engineer) = app.user("eng", &["engineer"], json!({})).await;
    let van = app
        .ok(
            &app.admin,
            "/api/v1/warehouses",
            json!({ "name": "沪A·12345", "kind": "van", "engineer_id": eng_id }),
            201,
        )
        .await;
    assert_eq!(van["engineer_id"], eng_id.as_str());
    let twice = app
        .ok(
            &app.admin,
            "/api/v1/warehouses",
            json!({ "name": "沪A·99999", "kind": "van", "engineer_id": eng_id }),
            409,
        )
        .await;
    assert_eq!(twice["field"], "engineer_id");

    // Receive, then the level; a pair that never moved has no row.
    let (s, m) = move_stock(
        &app,
        &app.admin,
        json!({ "kind": "receive", "sku": "FLT-01", "qty": 20, "to_warehouse_id": central["id"] }),
    )
    .await;
    assert_eq!(s, 201, "{m}");
    assert_eq!(m["levels"][0]["on_hand"], 20);
    assert_eq!(
        level(&app, &central, "FLT-01").await,
        Some(
            json!({ "warehouse_id": central["id"], "sku": "FLT-01", "on_hand": 20, "reserved": 0, "available": 20 })
        )
    );
    assert_eq!(level(&app, &pool, "FLT-01").await, None);

    // A transfer moves units in one step; more than is there is refused, and nothing moves.
    let (s, m) = move_stock(
        &app,
        &app.admin,
        json!({ "kind": "transfer", "sku": "FLT-01", "qty": 8,
        "from_warehouse_id": central["id"], "to_warehouse_id": pool["id"] }),
    )
    .await;
    assert_eq!(s, 201, "{m}");
    let (s, refused) = move_stock(
        &app,
        &app.admin,
        json!({ "kind": "transfer", "sku": "FLT-01", "qty": 13,
        "from_warehouse_id": central["id"], "to_warehouse_id": pool["id"] }),
    )
    .await;
    assert_eq!(
        (s, refused["error"].as_str()),
        (409, Some("insufficient_stock")),
        "{refused}"
    );
    assert!(
        refused["message"].as_str().unwrap().contains("12"),
        "{refused}"
    );
    assert_eq!(
        level(&app, &central, "FLT-01").await.unwrap()["on_hand"],
        12
    );
    assert_eq!(level(&app, &pool, "FLT-01").await.unwrap()["on_hand"], 8);

    // Each kind names what it lacks.
    for (body, field) in [
        (
            json!({ "kind": "reserve", "sku": "FLT-01", "qty": 1, "from_warehouse_id": central["id"] }),
            "ticket_id",
        ),
        (
            json!({ "kind": "adjust", "sku": "FLT-01", "qty": -1, "to_warehouse_id": central["id"] }),
            "reason",
        ),
        (
            json!({ "kind": "receive", "sku": "FLT-01", "qty": 0, "to_warehouse_id": central["id"] }),
            "qty",
        ),
        (
            json!({ "kind": "receive", "sku": "NOPE", "qty": 1, "to_warehouse_id": central["id"] }),
            "sku",
        ),
        (
            json!({ "kind": "receive", "sku": "FLT-01", "qty": 1, "to_warehouse_id": uuid::Uuid::new_v4() }),
            "to_warehouse_id",
        ),
        (
            json!({ "kind": "transfer", "sku": "FLT-01", "qty": 1, "from_warehouse_id": central["id"], "to_warehouse_id": central["id"] }),
            "to_warehouse_id",
        ),
    ] {
        let (s, e) = move_stock(&app, &app.admin, body.clone()).await;
        assert_eq!((s, e["field"].as_str()), (422, Some(field)), "{body} → {e}");
    }

    // Reserve for a ticket, consume part of it, release the rest; an adjustment with a reason.
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let t = assigned_ticket(&app, &agent, &eng_id, "13800138000").await;
    let (s, m) = move_stock(
        &app,
        &app.admin,
        json!({ "kind": "reserve", "sku": "FLT-01", "qty": 3,
        "from_warehouse_id": central["id"], "ticket_id": t["id"] }),
    )
    .await;
    assert_eq!(s, 201, "{m}");
    assert_eq!(m["levels"][0]["available"], 9);
    let (s, _) = move_stock(
        &app,
        &app.admin,
        json!({ "kind": "consume", "sku": "FLT-01", "qty": 2,
        "from_warehouse_id": central["id"], "ticket_id": t["id"] }),
    )
    .await;
    assert_eq!(s, 201);
    let l = level(&app, &central, "FLT-01").await.unwrap();
    assert_eq!(
        (
            l["on_hand"].clone(),
            l["reserved"].clone(),
            l["available"].clone()
        ),
        (json!(10), json!(1), json!(9))
    );
    let (s, e) = move_stock(
        &app,
        &app.admin,
        json!({ "kind": "release", "sku": "FLT-01", "qty": 2,
        "from_warehouse_id": central["id"], "ticket_id": t["id"] }),
    )
    .await;
    assert_eq!(
        (s, e["error"].as_str()),
        (409, Some("insufficient_stock")),
        "holds only one: {e}"
    );
    let (s, _) = move_stock(
        &app,
        &app.admin,
        json!({ "kind": "release", "sku": "FLT-01", "qty": 1,
        "from_warehouse_id": central["id"], "ticket_id": t["id"] }),
    )
    .await;
    assert_eq!(s, 201);
    let (s, _) = move_stock(
        &app,
        &app.admin,
        json!({ "kind": "adjust", "sku": "FLT-01", "qty": -4,
        "to_warehouse_id": central["id"], "reason": "盘点：破损 4 个" }),
    )
    .await;
    assert_eq!(s, 201);
    assert_eq!(
        level(&app, &central, "FLT-01").await.unwrap()["available"],
        6
    );

    // An engineer moves stock on their own van for their ticket only, and never receives.
    let (s, _) = move_stock(
        &app,
        &engineer,
        json!({ "kind": "receive", "sku": "FLT-01", "qty": 1,
        "to_warehouse_id": van["id"] }),
    )
    .await;
    assert_eq!(s, 403);
    let (s, _) = move_stock(
        &app,
        &engineer,
        json!({ "kind": "consume", "sku": "FLT-01", "qty": 1,
        "from_warehouse_id": central["id"], "ticket_id": t["id"] }),
    )
    .await;
    assert_eq!(s, 403, "not their van");

    // A retry with the same key answers the first movement and moves nothing more.
    let body =
        json!({ "kind": "receive", "sku": "FLT-01", "qty": 5, "to_warehouse_id": pool["id"] });
    let send = || {
        app.client
            .post(app.url("/api/v1/stock/movements"))
            .bearer_auth(&app.admin)
            .header("Idempotency-Key", "recv-42")
            .json(&body)
            .send()
    };
    let first: Value = send().await.unwrap().json().await.unwrap();
    let again = send().await.unwrap();
    assert_eq!(again.status(), 201);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["qty"], 5);
    assert_eq!(level(&app, &pool, "FLT-01").await.unwrap()["on_hand"], 13);

    // The ledger: every line, newest first; it sums to every level.
    let ledger = app
        .read(
            &app.admin,
            &format!(
                "/api/v1/stock/movements?warehouse_id={}",
                central["id"].as_str().unwrap()
            ),
        )
        .await;
    let kinds: Vec<&str> = ledger["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["adjust", "release", "consume", "reserve", "transfer", "receive"]
    );
    assert_eq!(disagreements(&app).await, 0);
    // The ledger is append-only.
    assert!(app
        .raw_sql("UPDATE stock_movements SET on_hand_delta = 100")
        .await
        .is_err());
    assert!(app.raw_sql("DELETE FROM stock_movements").await.is_err());
    // A customer sees no stock.
    let (customer_id, _) = app.customer(&agent, "王女士", "13900139000").await;
    let (_, customer) = app
        .user("cust", &["customer"], json!({ "customer_id": customer_id }))
        .await;
    assert_eq!(app.get(&customer, "/api/v1/stock").await.status(), 403);
}

async fn fifty_racing_consumptions_of_twenty_units_accept_exactly_twenty(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, central, _) = setup(&app).await;
    let (eng_id, _) = app.user("eng", &["engineer"], json!({})).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let t = assigned_ticket(&app, &agent, &eng_id, "13800138001").await;
    let (s, _) = move_stock(
        &app,
        &app.admin,
        json!({ "kind": "receive", "sku": "FLT-01", "qty": 20, "to_warehouse_id": central["id"] }),
    )
    .await;
    assert_eq!(s, 201);
    let body = json!({ "kind": "consume", "sku": "FLT-01", "qty": 1, "from_warehouse_id": central["id"], "ticket_id": t["id"] });
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let client = app.client.clone();
            let url = app.url("/api/v1/stock/movements");
            let token = app.admin.clone();
            let body = body.clone();
            tokio::spawn(async move {
                let r = client
                    .post(url)
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let status = r.status().as_u16();
                let v: Value = r.json().await.unwrap();
                (status, v["error"].as_str().map(str::to_owned))
            })
        })
        .collect();
    let mut accepted = 0;
    let mut refused = 0;
    for t in tasks {
        match t.await.unwrap() {
            (201, None) => accepted += 1,
            (409, Some(e)) if e == "insufficient_stock" => refused += 1,
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert_eq!((accepted, refused), (20, 30));
    let l = level(&app, &central, "FLT-01").await.unwrap();
    assert_eq!(
        (l["on_hand"].clone(), l["available"].clone()),
        (json!(0), json!(0))
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM stock_movements WHERE kind = 'consume'")
            .await,
        20
    );
    assert_eq!(disagreements(&app).await, 0);
}

async fn a_random_mix_of_movements_keeps_the_ledger_and_the_levels_equal(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, central, pool) = setup(&app).await;
    let second = app
        .ok(
            &app.admin,
            "/api/v1/warehouses",
            json!({ "name": "闵行共享库", "kind": "regional" }),
            201,
        )
        .await;
    let warehouses = [
        central["id"].clone(),
        pool["id"].clone(),
        second["id"].clone(),
    ];
    for w in &warehouses {
        let (s, _) = move_stock(
            &app,
            &app.admin,
            json!({ "kind": "receive", "sku": "FLT-01", "qty": 30, "to_warehouse_id": w }),
        )
        .await;
        assert_eq!(s, 201);
    }
    // Racing transfers in every direction, 4 at a time: units are neither made nor lost.
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut bodies = Vec::new();
    for _ in 0..120 {
        let a = rng.gen_range(0..3);
        let b = (a + rng.gen_range(1..3)) % 3;
        bodies.push(
            json!({ "kind": "transfer", "sku": "FLT-01", "qty": rng.gen_range(1..9),
            "from_warehouse_id": warehouses[a], "to_warehouse_id": warehouses[b] }),
        );
    }
    let mut moved = 0;
    let mut short = 0;
    for chunk in bodies.chunks(4) {
        let answers = futures_util::future::join_all(
            chunk
                .iter()
                .map(|b| move_stock(&app, &app.admin, b.clone())),
        )
        .await;
        for (s, v) in answers {
            match s {
                201 => moved += 1,
                409 => {
                    assert_eq!(v["error"], "insufficient_stock");
                    short += 1;
                }
                other => panic!("{other}: {v}"),
            }
        }
    }
    assert!(
        moved > 60,
        "most transfers go through: {moved} moved, {short} short"
    );
    let mut total = 0;
    for w in &warehouses {
        let l = level(&app, &json!({ "id": w }), "FLT-01").await.unwrap();
        assert!(l["on_hand"].as_i64().unwrap() >= 0);
        total += l["on_hand"].as_i64().unwrap();
    }
    assert_eq!(total, 90);
    assert_eq!(disagreements(&app).await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM stock_movements WHERE kind = 'transfer'")
            .await,
        2 * moved
    );
}

async fn a_requisition_brings_parts_from_the_regional_pool_to_the_van_and_the_report_consumes_them(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let (_, central, pool) = setup(&app).await;
    let (eng_id, engineer) = app.user("eng", &["engineer"], json!({})).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (_, supervisor) = app.user("sup", &["supervisor"], json!({})).await;
    let van = app
        .ok(
            &app.admin,
            "/api/v1/warehouses",
            json!({ "name": "沪A·12345", "kind": "van", "engineer_id": eng_id }),
            201,
        )
        .await;
    for (w, qty) in [(&central, 50), (&pool, 4)] {
        let (s, _) = move_stock(
            &app,
            &app.admin,
            json!({ "kind": "receive", "sku": "FLT-01", "qty": qty, "to_warehouse_id": w["id"] }),
        )
        .await;
        assert_eq!(s, 201);
    }
    app.ok(
        &app.admin,
        "/api/v1/parts",
        json!({ "sku": "CAP-35UF", "name": "电容 35μF", "cost": 12 }),
        201,
    )
    .await;

    // On site, the engineer finds a part missing and asks for it: the ticket waits for parts.
    let t = assigned_ticket(&app, &agent, &eng_id, "13800138002").await;
    let t = app.walk_on_site(&engineer, &t).await;
    let id = t["id"].as_str().unwrap().to_owned();
    let bad = app
        .ok(
            &engineer,
            "/api/v1/requisitions",
            json!({ "ticket_id": id, "items": [] }),
            422,
        )
        .await;
    assert_eq!(bad["field"], "items");
    let bad = app
        .ok(
            &engineer,
            "/api/v1/requisitions",
            json!({ "ticket_id": id, "items": [{ "sku": "NOPE", "qty": 1 }] }),
            422,
        )
        .await;
    assert_eq!(bad["field"], "items.sku");
    let r = app
        .ok(&engineer, "/api/v1/requisitions", json!({ "ticket_id": id, "items": [{ "sku": "FLT-01", "qty": 3 }], "note": "滤芯堵塞" }), 201)
        .await;
    assert_eq!(r["status"], "pending");
    assert_eq!(r["value"], 106.5);
    let detail = app.read(&engineer, &format!("/api/v1/tickets/{id}")).await;
    assert_eq!(detail["status"], "waiting_parts");

    // The supervisor sees it and approves: the regional pool (4 free) gives before the central store.
    let pending = app
        .read(&supervisor, "/api/v1/requisitions?status=pending")
        .await;
    assert_eq!(pending["items"][0]["id"], r["id"]);
    assert_eq!(
        pending["items"][0]["items"][0]["proposed_warehouse_id"], pool["id"],
        "the supervisor sees where the parts would come from"
    );
    let rid = r["id"].as_str().unwrap();
    assert_eq!(
        app.post_json(
            &engineer,
            &format!("/api/v1/requisitions/{rid}/approve"),
            &json!({})
        )
        .await
        .status(),
        403
    );
    let ok = app
        .ok(
            &supervisor,
            &format!("/api/v1/requisitions/{rid}/approve"),
            json!({}),
            200,
        )
        .await;
    assert_eq!(ok["status"], "approved");
    assert_eq!(ok["items"][0]["source_warehouse_id"], pool["id"]);
    let again = app
        .ok(
            &supervisor,
            &format!("/api/v1/requisitions/{rid}/approve"),
            json!({}),
            409,
        )
        .await;
    assert_eq!(again["error"], "conflict");
    let v = level(&app, &van, "FLT-01").await.unwrap();
    assert_eq!(
        (v["on_hand"].clone(), v["reserved"].clone()),
        (json!(3), json!(3))
    );
    assert_eq!(level(&app, &pool, "FLT-01").await.unwrap()["on_hand"], 1);

    // The engineer has the parts: the ticket goes back to work.
    let got = app
        .ok(
            &engineer,
            &format!("/api/v1/requisitions/{rid}/receive"),
            json!({}),
            200,
        )
        .await;
    assert_eq!(got["status"], "received");
    let detail = app.read(&engineer, &format!("/api/v1/tickets/{id}")).await;
    assert_eq!(detail["status"], "in_progress");
    let kinds: Vec<&str> = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for k in [
        "parts_requested",
        "wait_parts",
        "parts_approved",
        "parts_received",
        "resume",
    ] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }

    // The report's parts come out of the van, the reservation first.
    let ids = app.report_files(&engineer, &id).await;
    app.clock.advance(chrono::Duration::minutes(40));
    let report = |qty: i64| {
        json!({ "resolution": "更换滤芯", "before_photo_ids": [ids[0]], "after_photo_ids": [ids[1]],
        "signature_id": ids[2], "parts": [{ "sku": "FLT-01", "qty": qty }] })
    };
    // Four is more than the van has: refused, and nothing is lost.
    let refused = app
        .go(
            &engineer,
            &detail,
            json!({ "to": "resolved", "report": report(4) }),
            409,
        )
        .await;
    assert_eq!(refused["error"], "insufficient_stock");
    let after = app.read(&engineer, &format!("/api/v1/tickets/{id}")).await;
    assert_eq!(after["status"], "in_progress");
    app.go(
        &engineer,
        &after,
        json!({ "to": "resolved", "report": report(2) }),
        200,
    )
    .await;
    let v = level(&app, &van, "FLT-01").await.unwrap();
    assert_eq!(
        (v["on_hand"].clone(), v["reserved"].clone()),
        (json!(1), json!(1))
    );
    let ledger = app
        .read(
            &engineer,
            &format!("/api/v1/stock/movements?ticket_id={id}"),
        )
        .await;
    assert_eq!(ledger["items"][0]["kind"], "consume");
    assert_eq!(ledger["items"][0]["on_hand_delta"], -2);

    // Rejection needs a reason; under the tenant's limit approval is automatic.
    let t2 = assigned_ticket(&app, &agent, &eng_id, "13800138003").await;
    let r2 = app
        .ok(
            &engineer,
            "/api/v1/requisitions",
            json!({ "ticket_id": t2["id"], "items": [{ "sku": "CAP-35UF", "qty": 1 }] }),
            201,
        )
        .await;
    let rid2 = r2["id"].as_str().unwrap();
    let e = app
        .ok(
            &supervisor,
            &format!("/api/v1/requisitions/{rid2}/reject"),
            json!({}),
            422,
        )
        .await;
    assert_eq!(e["field"], "reason");
    let no = app
        .ok(
            &supervisor,
            &format!("/api/v1/requisitions/{rid2}/reject"),
            json!({ "reason": "先用旧件" }),
            200,
        )
        .await;
    assert_eq!(
        (no["status"].as_str(), no["decision_note"].as_str()),
        (Some("rejected"), Some("先用旧件"))
    );
    let put = app
        .client
        .put(app.url("/api/v1/settings/stock"))
        .bearer_auth(&app.admin)
        .json(&json!({ "requisition_auto_approve_below": 100 }))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let auto = app
        .ok(
            &engineer,
            "/api/v1/requisitions",
            json!({ "ticket_id": t2["id"], "items": [{ "sku": "FLT-01", "qty": 2 }] }),
            201,
        )
        .await;
    assert_eq!(
        auto["status"], "approved",
        "71 yuan is under the limit: {auto}"
    );
    assert!(auto["decided_by"].is_null());
    assert_eq!(
        auto["items"][0]["source_warehouse_id"], central["id"],
        "the pool has one left"
    );
    let over = app
        .ok(
            &engineer,
            "/api/v1/requisitions",
            json!({ "ticket_id": t2["id"], "items": [{ "sku": "FLT-01", "qty": 3 }] }),
            201,
        )
        .await;
    assert_eq!(over["status"], "pending", "106.5 yuan is not");
    // An engineer without a van has nowhere for parts to go.
    let (other_id, other) = app.user("eng2", &["engineer"], json!({})).await;
    let t3 = assigned_ticket(&app, &agent, &other_id, "13800138004").await;
    let e = app
        .ok(
            &other,
            "/api/v1/requisitions",
            json!({ "ticket_id": t3["id"], "items": [{ "sku": "FLT-01", "qty": 1 }] }),
            409,
        )
        .await;
    assert!(e["message"].as_str().unwrap().contains("车载库"), "{e}");
    // Another engineer's ticket is not found.
    let e = app
        .post_json(
            &other,
            "/api/v1/requisitions",
            &json!({ "ticket_id": id, "items": [{ "sku": "FLT-01", "qty": 1 }] }),
        )
        .await;
    assert_eq!(e.status(), 404);
    assert_eq!(disagreements(&app).await, 0);
}

async fn crossing_a_threshold_raises_one_low_stock_alert(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, central, _) = setup(&app).await;
    let (_, supervisor) = app.user("sup", &["supervisor"], json!({})).await;
    let (s, _) = move_stock(
        &app,
        &app.admin,
        json!({ "kind": "receive", "sku": "FLT-01", "qty": 10, "to_warehouse_id": central["id"] }),
    )
    .await;
    assert_eq!(s, 201);
    let put = app
        .client
        .put(app.url("/api/v1/stock/thresholds"))
        .bearer_auth(&app.admin)
        .json(&json!({ "warehouse_id": central["id"], "sku": "FLT-01", "min_available": 5 }))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 204);
    assert_eq!(
        app.read(&supervisor, "/api/v1/stock/low").await["items"],
        json!([])
    );
    let adjust = |qty: i64| json!({ "kind": "adjust", "sku": "FLT-01", "qty": qty, "to_warehouse_id": central["id"], "reason": "盘点" });
    for qty in [-5, -2, -1] {
        let (s, _) = move_stock(&app, &app.admin, adjust(qty)).await;
        assert_eq!(s, 201);
    }
    // 10 → 5 → 3 → 2: one crossing (5 is not below 5, 3 is), so one alert.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM jobs WHERE kind = 'stock_alert'")
            .await,
        1
    );
    let low = app.read(&supervisor, "/api/v1/stock/low").await;
    assert_eq!(low["items"][0]["available"], 2);
    assert_eq!(low["items"][0]["min_available"], 5);
    let runner = Runner::new(
        app.store.clone(),
        app.clock.clone(),
        "r".into(),
        RunnerConfig::default(),
    )
    .unwrap();
    runner.drain().await.unwrap();
    let bell = app.read(&supervisor, "/api/v1/notifications").await;
    let items = bell["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{bell}");
    assert_eq!(items[0]["event"], "stock.low");
    // Back above and down again: a second crossing, a second alert.
    move_stock(
        &app,
        &app.admin,
        json!({ "kind": "receive", "sku": "FLT-01", "qty": 10, "to_warehouse_id": central["id"] }),
    )
    .await;
    move_stock(&app, &app.admin, adjust(-9)).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM jobs WHERE kind = 'stock_alert'")
            .await,
        2
    );
}
