//! Assets: the catalogue's default warranty, warranty at intake (out of warranty is
//! chargeable), the asset card with its whole history, meter readings, the QR label and
//! who may see an asset.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    the_asset_card_holds_the_whole_history_and_the_warranty_decides_the_charge,
    assets_import_all_or_nothing_and_export_as_they_import,
    an_asset_is_edited_and_moved_with_its_history_kept,
);

async fn the_asset_card_holds_the_whole_history_and_the_warranty_decides_the_charge(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (eng_id, engineer) = app.user("eng", &["engineer"], json!({})).await;
    let model = app
        .ok(
            &app.admin,
            "/api/v1/models",
            json!({ "code": "X1", "name": "商用冷柜 X1", "product_line": "冷柜", "warranty_months": 24,
                    "skill": "refrigeration", "skill_level": 2, "checklist": ["检查压缩机", "清洁冷凝器"] }),
            201,
        )
        .await;
    assert_eq!(model["checklist"][1], "清洁冷凝器");
    let bad = app
        .ok(
            &app.admin,
            "/api/v1/models",
            json!({ "code": "X2", "name": "x", "warranty_months": 999 }),
            422,
        )
        .await;
    assert_eq!(bad["field"], "warranty_months");
    assert_eq!(
        app.post_json(
            &agent,
            "/api/v1/models",
            &json!({ "code": "X3", "name": "x" })
        )
        .await
        .status(),
        403
    );

    let (customer, site) = app.customer(&agent, "上海申江制冷", "13800138000").await;
    // No warranty date given: the model's 24 months from installation.
    let fresh = app
        .ok(
            &agent,
            "/api/v1/assets",
            json!({ "customer_id": customer, "site_id": site, "model": "X1", "serial": "SN-NEW-1",
                    "installed_on": "2025-06-30", "fields": { "楼层": "B1", "容积L": 800 } }),
            201,
        )
        .await;
    assert_eq!(fresh["warranty_until"], "2027-06-30");
    assert_eq!(fresh["status"], "in_service");
    assert_eq!(fresh["fields"]["楼层"], "B1");
    assert_eq!(fresh["qr_token"].as_str().unwrap().len(), 32);
    let old = app
        .ok(
            &agent,
            "/api/v1/assets",
            json!({ "customer_id": customer, "site_id": site, "model": "X1", "serial": "SN-OLD-1",
                    "installed_on": "2019-03-01", "warranty_until": "2021-03-01" }),
            201,
        )
        .await;
    let bad = app
        .ok(
            &agent,
            "/api/v1/assets",
            json!({ "customer_id": customer, "site_id": site, "model": "X1",
            "serial": "SN-X", "fields": { "a": [1] } }),
            422,
        )
        .await;
    assert_eq!(bad["field"], "fields");

    // Warranty at intake: in for the new one, out (chargeable) for the old one.
    let ticket = |asset: &Value| json!({ "channel": "phone", "asset_id": asset["id"], "subject": "不制冷", "description": "温度降不下来", "priority": 2 });
    let t_new = app.ok(&agent, "/api/v1/tickets", ticket(&fresh), 201).await;
    assert_eq!(
        (t_new["warranty"].as_str(), t_new["chargeable"].as_bool()),
        (Some("in"), Some(false))
    );
    let t_old = app.ok(&agent, "/api/v1/tickets", ticket(&old), 201).await;
    assert_eq!(
        (t_old["warranty"].as_str(), t_old["chargeable"].as_bool()),
        (Some("out"), Some(true))
    );
    let read = app
        .read(
            &agent,
            &format!("/api/v1/tickets/{}", t_old["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(read["chargeable"], true, "kept on the ticket");

    // The engineer visits, a part is consumed on the ticket, the meter is read.
    let t = app
        .go(
            &agent,
            &t_old,
            json!({ "to": "assigned", "assignee_id": eng_id }),
            200,
        )
        .await;
    app.walk_on_site(&engineer, &t).await;
    app.ok(
        &app.admin,
        "/api/v1/parts",
        json!({ "sku": "CAP-35UF", "name": "电容 35μF" }),
        201,
    )
    .await;
    let store = app
        .ok(
            &app.admin,
            "/api/v1/warehouses",
            json!({ "name": "总仓", "kind": "central" }),
            201,
        )
        .await;
    for body in [
        json!({ "kind": "receive", "sku": "CAP-35UF", "qty": 5, "to_warehouse_id": store["id"] }),
        json!({ "kind": "consume", "sku": "CAP-35UF", "qty": 2, "from_warehouse_id": store["id"], "ticket_id": t_old["id"] }),
    ] {
        app.ok(&app.admin, "/api/v1/stock/movements", body, 201)
            .await;
    }
    let aid = old["id"].as_str().unwrap();
    let r = app
        .ok(
            &engineer,
            &format!("/api/v1/assets/{aid}/readings"),
            json!({ "value": 1200, "ticket_id": t_old["id"] }),
            201,
        )
        .await;
    assert_eq!(r["meter"], 1200);
    let back = app
        .ok(
            &engineer,
            &format!("/api/v1/assets/{aid}/readings"),
            json!({ "value": 1100 }),
            422,
        )
        .await;
    assert_eq!(back["field"], "value");

    let card = app.read(&engineer, &format!("/api/v1/assets/{aid}")).await;
    assert_eq!(card["id"], aid);
    assert_eq!(card["warranty"], "out");
    assert_eq!(card["product"]["skill"], "refrigeration");
    let h = &card["history"];
    assert_eq!(h["tickets"].as_array().unwrap().len(), 1);
    assert_eq!(h["tickets"][0]["number"], t_old["number"]);
    assert_eq!(h["visits"].as_array().unwrap().len(), 1);
    assert_eq!(h["visits"][0]["engineer_id"], eng_id.as_str());
    assert_eq!(
        h["parts"],
        json!([{ "ticket_id": t_old["id"], "sku": "CAP-35UF", "name": "电容 35μF", "qty": 2, "at": h["parts"][0]["at"] }])
    );
    assert_eq!(h["readings"][0]["value"], 1200);
    let fresh_card = app
        .read(
            &agent,
            &format!("/api/v1/assets/{}", fresh["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(fresh_card["warranty"], "in");
    assert_eq!(fresh_card["history"]["tickets"][0]["id"], t_new["id"]);

    // The QR token opens the same card; a token that is not one is not found.
    let token = old["qr_token"].as_str().unwrap();
    let by_token = app
        .read(&engineer, &format!("/api/v1/assets/by-token/{token}"))
        .await;
    assert_eq!(by_token["id"], aid);
    assert_eq!(
        app.get(&engineer, "/api/v1/assets/by-token/0000")
            .await
            .status(),
        404
    );
    let label = app
        .get(&agent, &format!("/api/v1/assets/{aid}/label.svg"))
        .await;
    assert_eq!(label.status(), 200);
    assert_eq!(label.headers()["content-type"], "image/svg+xml");
    let svg = label.text().await.unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("SN-OLD-1"), "{svg}");

    // Status; a customer sees their own assets only.
    let s = app
        .client
        .put(app.url(&format!("/api/v1/assets/{aid}/status")))
        .bearer_auth(&agent)
        .json(&json!({ "status": "decommissioned" }))
        .send()
        .await
        .unwrap();
    assert_eq!(s.status(), 200);
    assert_eq!(s.json::<Value>().await.unwrap()["status"], "decommissioned");
    let (_, own) = app
        .user("own", &["customer"], json!({ "customer_id": customer }))
        .await;
    assert_eq!(
        app.get(&own, &format!("/api/v1/assets/{aid}"))
            .await
            .status(),
        200
    );
    let (other_customer, _) = app.customer(&agent, "别家", "13900139000").await;
    let (_, other) = app
        .user(
            "other",
            &["customer"],
            json!({ "customer_id": other_customer }),
        )
        .await;
    assert_eq!(
        app.get(&other, &format!("/api/v1/assets/{aid}"))
            .await
            .status(),
        404
    );
    assert_eq!(
        app.get(&other, &format!("/api/v1/assets/by-token/{token}"))
            .await
            .status(),
        404
    );
}

async fn post_table(app: &TestApp, token: &str, kind: &str, body: Vec<u8>) -> (u16, Value) {
    let r = app
        .client
        .post(app.url("/api/v1/assets/import"))
        .bearer_auth(token)
        .header("content-type", kind)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn assets_import_all_or_nothing_and_export_as_they_import(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (customer, site) = app.customer(&agent, "上海申江制冷", "13800138000").await;
    let line = |serial: &str, installed: &str| {
        format!("{customer},{site},X1,{serial},{installed},,\"B1, 东侧\"\r\n")
    };
    let header = "customer_id,site_id,model,serial,installed_on,status,位置\r\n";
    // Row 3 has an impossible date, row 4 repeats row 2's serial: nothing is imported.
    let bad = format!(
        "\u{feff}{header}{}{}{}",
        line("SN-1", "2025-01-01"),
        line("SN-2", "2025-02-30"),
        line("SN-1", "")
    );
    let (s, e) = post_table(&app, &agent, "text/csv", bad.into_bytes()).await;
    assert_eq!(
        (s, e["error"].as_str()),
        (422, Some("import_failed")),
        "{e}"
    );
    let rows: Vec<(i64, &str)> = e["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["row"].as_i64().unwrap(), r["field"].as_str().unwrap()))
        .collect();
    assert_eq!(rows, [(3, "installed_on"), (4, "serial")]);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM assets").await,
        0,
        "nothing half-imported"
    );

    let good = format!(
        "{header}{}{}\r\n{}",
        line("SN-1", "2025-01-01"),
        line("SN-2", "2025-02-28"),
        line("SN-3", "")
    );
    let (s, ok) = post_table(&app, &agent, "text/csv", good.into_bytes()).await;
    assert_eq!((s, ok["imported"].as_i64()), (201, Some(3)), "{ok}");

    // The export has the import's columns and the free field; as Excel it imports again
    // (refused here only because the serial numbers are taken now).
    let csv = app.get(&agent, "/api/v1/assets/export").await;
    assert_eq!(csv.status(), 200);
    let text = csv.text().await.unwrap();
    assert!(text.starts_with("\u{feff}customer_id,site_id,model,serial,installed_on,warranty_until,status,meter,位置\r\n"), "{text}");
    assert!(text.contains("SN-2") && text.contains("\"B1, 东侧\""));
    let xlsx = app.get(&agent, "/api/v1/assets/export?format=xlsx").await;
    assert_eq!(
        xlsx.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let book = xlsx.bytes().await.unwrap().to_vec();
    let (s, e) = post_table(
        &app,
        &agent,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        book,
    )
    .await;
    assert_eq!(s, 422, "{e}");
    let rows = e["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r["field"] == "serial"), "{e}");
    assert_eq!(app.count("SELECT COUNT(*) FROM assets").await, 3);
    let (s, _) = post_table(&app, &agent, "text/csv", b"not,a\nvalid\"table".to_vec()).await;
    assert_eq!(s, 422);
    assert_eq!(
        app.get(&agent, "/api/v1/assets/export?format=pdf")
            .await
            .status(),
        422
    );
}

async fn an_asset_is_edited_and_moved_with_its_history_kept(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (_, engineer) = app.user("eng", &["engineer"], json!({})).await;
    let (customer, site) = app.customer(&agent, "上海申江制冷", "13800138000").await;
    let second = app
        .ok(
            &agent,
            &format!("/api/v1/customers/{customer}/sites"),
            json!({ "name": "二号仓", "address": "上海市浦东新区张江路 100 号" }),
            201,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (other, other_site) = app.customer(&agent, "东方超市", "13900139000").await;
    let a = app.asset(&agent, (&customer, &site), "X1", "SN-M-1").await;
    app.asset(&agent, (&customer, &site), "X1", "SN-M-2").await;
    let path = format!("/api/v1/assets/{}", a["id"].as_str().unwrap());
    assert_eq!(a["version"], 1);

    // A move to the customer's other site, with why: kept on the card.
    let (s, moved) = app
        .patch(
            &agent,
            &path,
            json!({ "version": 1, "site_id": second, "note": "门店装修，暂存二号仓" }),
        )
        .await;
    assert_eq!(s, 200, "{moved}");
    assert_eq!(
        (moved["site_id"].as_str(), moved["version"].as_i64()),
        (Some(second.as_str()), Some(2))
    );
    assert_eq!(
        moved["serial"], "SN-M-1",
        "what the change did not name stays"
    );
    let card = app.read(&agent, &path).await;
    let moves = card["history"]["moves"].as_array().unwrap();
    assert_eq!(moves.len(), 1);
    assert_eq!(moves[0]["from_site"], "总店");
    assert_eq!(moves[0]["to_site"], "二号仓");
    assert_eq!(moves[0]["note"], "门店装修，暂存二号仓");
    assert!(moves[0]["from_customer"].is_null());

    // The version last seen is stale now: 409, nothing changed.
    let (s, stale) = app
        .patch(&agent, &path, json!({ "version": 1, "serial": "SN-LOST" }))
        .await;
    assert_eq!(
        (s, stale["field"].as_str()),
        (409, Some("version")),
        "{stale}"
    );
    // Another customer's site is not this customer's: refused naming the site.
    let (s, e) = app
        .patch(
            &agent,
            &path,
            json!({ "version": 2, "site_id": other_site }),
        )
        .await;
    assert_eq!((s, e["field"].as_str()), (422, Some("site_id")), "{e}");
    // A new owner must come with a site of theirs.
    let (s, e) = app
        .patch(&agent, &path, json!({ "version": 2, "customer_id": other }))
        .await;
    assert_eq!((s, e["field"].as_str()), (422, Some("site_id")), "{e}");
    // A serial another asset has: 409 naming the serial.
    let (s, e) = app
        .patch(&agent, &path, json!({ "version": 2, "serial": "SN-M-2" }))
        .await;
    assert_eq!((s, e["field"].as_str()), (409, Some("serial")), "{e}");
    for (body, field) in [
        (
            json!({ "version": 2, "installed_on": "2026-02-30" }),
            "installed_on",
        ),
        (json!({ "version": 2, "model": "  " }), "model"),
        (
            json!({ "version": 2, "note": "长".repeat(501), "site_id": site }),
            "note",
        ),
    ] {
        let (s, e) = app.patch(&agent, &path, body.clone()).await;
        assert_eq!((s, e["field"].as_str()), (422, Some(field)), "{body} → {e}");
    }
    let card = app.read(&agent, &path).await;
    assert_eq!(
        (card["version"].as_i64(), card["serial"].as_str()),
        (Some(2), Some("SN-M-1"))
    );

    // Sold to another customer: owner and site change together, the move says from whom.
    let (s, sold) = app
        .patch(
            &agent,
            &path,
            json!({ "version": 2, "customer_id": other, "site_id": other_site, "installed_on": "2025-01-02",
                    "warranty_until": null }),
        )
        .await;
    assert_eq!(s, 200, "{sold}");
    assert_eq!(sold["customer_id"].as_str(), Some(other.as_str()));
    assert_eq!(sold["installed_on"], "2025-01-02");
    let card = app.read(&agent, &path).await;
    assert_eq!(card["history"]["moves"][0]["from_customer"], "上海申江制冷");
    assert_eq!(card["history"]["moves"].as_array().unwrap().len(), 2);

    // Who may: an engineer may not change equipment; an unknown asset is 404.
    let (s, _) = app
        .patch(&engineer, &path, json!({ "version": 3, "serial": "SN-E" }))
        .await;
    assert_eq!(s, 403);
    let (s, _) = app
        .patch(
            &agent,
            "/api/v1/assets/00000000-0000-7000-8000-000000000000",
            json!({ "version": 1 }),
        )
        .await;
    assert_eq!(s, 404);

    // The list, a page at a time, one customer's or all.
    let page = app.read(&agent, "/api/v1/assets?limit=1").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let next = page["next"].as_str().unwrap().to_owned();
    let rest = app
        .read(&agent, &format!("/api/v1/assets?limit=1&after={next}"))
        .await;
    assert_eq!(rest["items"][0]["serial"], "SN-M-2");
    let theirs = app
        .read(&agent, &format!("/api/v1/assets?customer_id={other}"))
        .await;
    assert_eq!(theirs["items"].as_array().unwrap().len(), 1);
    assert_eq!(theirs["items"][0]["customer_name"], "东方超市");
    for q in ["status=broken", "limit=0", "customer_id=nope"] {
        let r = app.get(&agent, &format!("/api/v1/assets?{q}")).await;
        assert_eq!(r.status(), 422, "{q}");
    }
    assert_eq!(app.get(&engineer, "/api/v1/assets").await.status(), 403);

    // A model changes everything but its code (admins only).
    let model = app
        .ok(
            &app.admin,
            "/api/v1/models",
            json!({ "code": "X1", "name": "冷柜 X1" }),
            201,
        )
        .await;
    let mpath = format!("/api/v1/models/{}", model["id"].as_str().unwrap());
    let change = json!({ "name": "商用冷柜 X1", "warranty_months": 36, "skill": "refrigeration",
                         "checklist": ["检查压缩机"] });
    let (s, m) = app
        .send(reqwest::Method::PUT, &app.admin, &mpath, change.clone())
        .await;
    assert_eq!(s, 200, "{m}");
    assert_eq!(
        (m["code"].as_str(), m["warranty_months"].as_i64()),
        (Some("X1"), Some(36))
    );
    assert_eq!(m["skill_level"], 1);
    let (s, _) = app.send(reqwest::Method::PUT, &agent, &mpath, change).await;
    assert_eq!(s, 403);
    let (s, e) = app
        .send(
            reqwest::Method::PUT,
            &app.admin,
            &mpath,
            json!({ "name": "x", "skill_level": 9, "skill": "a" }),
        )
        .await;
    assert_eq!((s, e["field"].as_str()), (422, Some("skill_level")));
    let models = app.read(&agent, "/api/v1/models").await;
    assert_eq!(models["items"][0]["name"], "商用冷柜 X1");
}
