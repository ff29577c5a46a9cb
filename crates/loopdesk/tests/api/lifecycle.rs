//! The closed loop end to end, through the API.

use serde_json::{json, Value};

use crate::helpers::{png, spawn_app, Backend};
use crate::on_both_backends;

on_both_backends!(
    the_whole_on_site_loop_is_closed_by_the_customer,
    a_remote_fix_is_reopened_by_the_customer_and_only_within_the_window,
    a_flagged_check_in_sends_the_report_to_supervisor_review,
    one_picture_as_before_and_after_or_from_another_ticket_is_held_for_review,
    a_wrong_part_odd_labour_and_a_rushed_signature_are_found_and_the_tenant_chooses_what_holds,
);

fn statuses(detail: &Value) -> Vec<(String, String, String)> {
    detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| !e["to_status"].is_null())
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_owned(),
                e["from_status"].as_str().unwrap_or("").to_owned(),
                e["to_status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn the_whole_on_site_loop_is_closed_by_the_customer(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent1", &["agent"], json!({})).await;
    let (eng_id, engineer) = app.user("eng1", &["engineer"], json!({})).await;
    let (customer_id, _site) = app
        .customer(&agent, "上海和平餐饮有限公司", "138 0013 8000")
        .await;
    let (_, customer) = app
        .user(
            "cust1",
            &["customer"],
            json!({ "customer_id": customer_id }),
        )
        .await;

    // The customer writes in; whatever customer_id the body names, the ticket is theirs.
    let ticket = app
        .ok(&customer, "/api/v1/tickets", json!({ "subject": "空调不制冷", "description": "出风不冷", "priority": 2, "channel": "web", "customer_id": "01a20d2a-0000-7000-8000-000000000000" }), 201)
        .await;
    assert_eq!(ticket["status"], "new");
    assert_eq!(ticket["customer_id"], customer_id.as_str());
    assert!(
        ticket["number"]
            .as_str()
            .unwrap()
            .starts_with("WO-20261124-"),
        "{}",
        ticket["number"]
    );
    let id = ticket["id"].as_str().unwrap().to_owned();
    // The creation's answer is exactly what a read shows (less the events).
    let mut read = app.read(&customer, &format!("/api/v1/tickets/{id}")).await;
    read.as_object_mut().unwrap().remove("events");
    assert_eq!(read, ticket);
    let photo = app
        .upload(&customer, &id, "other", png(), "fault.png")
        .await;
    assert_eq!(photo.status(), 201);

    // The agent finds the caller by phone, in another spelling, and sees the ticket.
    let found = app
        .read(&agent, "/api/v1/customers?phone=%2B86%20138-0013-8000")
        .await;
    assert_eq!(found["items"][0]["id"], customer_id.as_str());
    let detail = app
        .read(&agent, &format!("/api/v1/customers/{customer_id}"))
        .await;
    assert_eq!(detail["recent_tickets"][0]["id"], id.as_str());

    let t = app
        .go(
            &agent,
            &ticket,
            json!({ "to": "assigned", "assignee_id": eng_id }),
            200,
        )
        .await;
    assert_eq!(t["assignee_id"], eng_id.as_str());
    let t = app
        .go(&engineer, &t, json!({ "to": "accepted" }), 200)
        .await;
    let t = app
        .go(&engineer, &t, json!({ "to": "en_route" }), 200)
        .await;
    let t = app.go(&engineer, &t, json!({ "to": "on_site", "check_in": { "lat": 31.2306, "lon": 121.4739, "accuracy_m": 12 } }), 200).await;
    assert_eq!(t["check_in"]["outside_geofence"], false);
    assert!(t["check_in"]["distance_m"].as_f64().unwrap() < 50.0);
    let t = app
        .go(&engineer, &t, json!({ "to": "in_progress" }), 200)
        .await;

    // An incomplete report is refused with everything that is missing.
    let refused = app
        .go(
            &engineer,
            &t,
            json!({ "to": "resolved", "report": { "resolution": "更换电容" } }),
            422,
        )
        .await;
    assert_eq!(refused["error"], "incomplete_report");
    assert_eq!(
        refused["missing"],
        json!([
            "report.before_photo_ids",
            "report.after_photo_ids",
            "report.signature_id"
        ])
    );

    let mut ids = Vec::new();
    for kind in ["before", "after", "signature"] {
        let r = app
            .upload(&engineer, &id, kind, png(), &format!("{kind}.png"))
            .await;
        assert_eq!(r.status(), 201);
        ids.push(
            r.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    app.clock.advance(chrono::Duration::minutes(40));
    let report = json!({ "resolution": "更换压缩机电容，试机正常", "before_photo_ids": [ids[0]], "after_photo_ids": [ids[1]],
        "signature_id": ids[2], "parts": [{ "sku": "CAP-35UF", "qty": 1 }], "labour_minutes": 35 });
    let t = app.send_report(&engineer, &t, report).await;
    assert_eq!(t["status"], "resolved");
    assert!(t["resolved_at"].is_string());

    let t = app
        .go(
            &customer,
            &t,
            json!({ "to": "closed", "confirmation": { "by": "customer" } }),
            200,
        )
        .await;
    assert_eq!(
        (t["status"].as_str(), t["confirmed_by"].as_str()),
        (Some("closed"), Some("customer"))
    );

    let full = app.read(&customer, &format!("/api/v1/tickets/{id}")).await;
    let moves = statuses(&full);
    let expected = [
        ("created", "", "new"),
        ("assign", "new", "assigned"),
        ("accept", "assigned", "accepted"),
        ("depart", "accepted", "en_route"),
        ("check_in", "en_route", "on_site"),
        ("start", "on_site", "in_progress"),
        ("resolve", "in_progress", "resolved"),
        ("confirm", "resolved", "closed"),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(k, f, t)| (k.to_string(), f.to_string(), t.to_string()))
        .collect();
    assert_eq!(moves, expected);
    assert_eq!(full["version"], 8, "one version per applied move");
    assert_eq!(full["visit_count"], 1);
    let kinds: Vec<&str> = full["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "attachment").count(), 4);
    // The engineer still sees the ticket after it is closed (assigned before).
    app.read(&engineer, &format!("/api/v1/tickets/{id}")).await;
}

/// The moves `GET /api/v1/tickets/{id}/moves` offers the reader: (kind, to, needs).
async fn moves(app: &crate::helpers::TestApp, token: &str, id: &str) -> Vec<[String; 3]> {
    let list = app
        .read(token, &format!("/api/v1/tickets/{id}/moves"))
        .await;
    list.as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let text = |k: &str| m[k].as_str().unwrap().to_owned();
            [text("kind"), text("to"), text("needs")]
        })
        .collect()
}

async fn a_remote_fix_is_reopened_by_the_customer_and_only_within_the_window(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent1", &["agent"], json!({})).await;
    let (customer_id, _) = app
        .customer(&agent, "上海浦江物业管理有限公司", "13900139000")
        .await;
    let (_, customer) = app
        .user(
            "cust1",
            &["customer"],
            json!({ "customer_id": customer_id }),
        )
        .await;
    // Phone intake: the caller's number finds the customer and the contact.
    let t = app.ok(&agent, "/api/v1/tickets", json!({ "subject": "门禁卡无法读取", "priority": 3, "channel": "phone", "contact_phone": "139-0013-9000" }), 201).await;
    assert_eq!(t["customer_id"], customer_id.as_str());
    assert!(t["contact_id"].is_string());
    let t = app
        .go(&agent, &t, json!({ "to": "in_progress" }), 200)
        .await;
    let t = app.go(&agent, &t, json!({ "to": "resolved", "report": { "resolution": "远程重置门禁权限", "remote": true } }), 200).await;
    let id = t["id"].as_str().unwrap().to_owned();
    // What the customer's phone offers is what the table lets them do: confirm or say not fixed.
    assert_eq!(
        moves(&app, &customer, &id).await,
        [
            ["confirm", "closed", "confirmation"],
            ["reopen", "in_progress", "reason"]
        ]
    );
    let t = app
        .go(&customer, &t, json!({ "to": "in_progress" }), 422)
        .await;
    assert_eq!(
        (t["error"].as_str(), t["field"].as_str()),
        (Some("missing_data"), Some("reason"))
    );
    let list = app.read(&customer, "/api/v1/tickets").await;
    let t = list["items"][0].clone();
    let t = app
        .go(
            &customer,
            &t,
            json!({ "to": "in_progress", "reason": "还是刷不开" }),
            200,
        )
        .await;
    assert_eq!(t["reopen_count"], 1);
    let t = app
        .go(
            &agent,
            &t,
            json!({ "to": "resolved", "report": { "resolution": "重新写卡", "remote": true } }),
            200,
        )
        .await;
    let t = app
        .go(
            &agent,
            &t,
            json!({ "to": "closed", "confirmation": { "by": "agent" } }),
            422,
        )
        .await;
    assert_eq!(t["field"], "confirmation.note");
    let t = app.read(&agent, "/api/v1/tickets").await["items"][0].clone();
    let t = app
        .go(
            &agent,
            &t,
            json!({ "to": "closed", "confirmation": { "by": "agent", "note": "客户来电确认" } }),
            200,
        )
        .await;
    assert_eq!(t["confirmed_by"], "agent");
    // Closed, inside the reopen window: the customer may still say it is not fixed.
    assert_eq!(
        moves(&app, &customer, &id).await,
        [["reopen", "in_progress", "reason"]]
    );
    app.clock.advance(chrono::Duration::days(31));
    let customer = app.login("cust1", crate::helpers::PASSWORD).await;
    assert!(moves(&app, &customer, &id).await.is_empty());
    let e = app
        .go(
            &customer,
            &t,
            json!({ "to": "in_progress", "reason": "又坏了" }),
            422,
        )
        .await;
    assert_eq!(e["error"], "validation_failed");
    assert!(e["message"].as_str().unwrap().contains("重开"), "{e}");
}

async fn a_flagged_check_in_sends_the_report_to_supervisor_review(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, dispatcher) = app.user("disp", &["dispatcher"], json!({})).await;
    let (eng_id, engineer) = app.user("eng1", &["engineer"], json!({})).await;
    let (_, supervisor) = app.user("sup", &["supervisor"], json!({})).await;
    let (customer_id, site) = app
        .customer(&app.admin, "上海东方酒店", "13700137000")
        .await;
    let t = app.ok(&dispatcher, "/api/v1/tickets", json!({ "subject": "电梯异响", "priority": 1, "channel": "phone", "customer_id": customer_id, "site_id": site }), 201).await;
    let t = app
        .go(
            &dispatcher,
            &t,
            json!({ "to": "assigned", "assignee_id": eng_id }),
            200,
        )
        .await;
    // 2 km north of the site: outside its 300 m geofence.
    let t = app.check_in_afar(&engineer, &t).await;
    assert_eq!(t["check_in"]["outside_geofence"], true);
    assert_eq!(t["flags"], json!(["check_in_outside_geofence"]));
    let id = t["id"].as_str().unwrap();
    let mut ids = Vec::new();
    for kind in ["before", "after", "signature"] {
        ids.push(
            app.upload(&engineer, id, kind, png(), "p.png")
                .await
                .json::<Value>()
                .await
                .unwrap()["id"]
                .clone(),
        );
    }
    let report = json!({ "resolution": "调整导轨", "before_photo_ids": [ids[0]], "after_photo_ids": [ids[1]], "signature_id": ids[2] });
    let t = app.send_report(&engineer, &t, report).await;
    assert_eq!(t["status"], "in_review", "screened out of resolved");
    assert!(t["flags"]
        .as_array()
        .unwrap()
        .contains(&json!("short_visit")));
    let e = app
        .go(&engineer, &t, json!({ "to": "resolved" }), 403)
        .await;
    assert_eq!(
        e["error"], "forbidden",
        "approving is the supervisor's move"
    );
    let back = app
        .go(&supervisor, &t, json!({ "to": "in_progress" }), 422)
        .await;
    assert_eq!(back["field"], "note");
    let t = app
        .go(
            &supervisor,
            &t,
            json!({ "to": "in_progress", "note": "照片不清楚，请补拍" }),
            200,
        )
        .await;
    assert_eq!(t["status"], "in_progress");
}

/// A 64 × 48 photo of stripes and a spot: `scene` picks the picture, `shade` re-exposes it
/// slightly (the same scene taken again or re-encoded).
fn photo(scene: u32, shade: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| {
        let v = match scene {
            0 => ((x / 8 + y / 6) % 2) as u8 * 180 + 30,
            1 => ((x * 3 + y * 5) % 64) as u8 * 3 + 20,
            _ => (((x as i32 - 40).pow(2) + (y as i32 - 10).pow(2)) % 97) as u8 * 2,
        };
        image::Rgb([v.saturating_add(shade), v, v / 2])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn one_picture_as_before_and_after_or_from_another_ticket_is_held_for_review(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (eng_id, engineer) = app.user("eng1", &["engineer"], json!({})).await;
    let (customer_id, site) = app.customer(&agent, "上海东方酒店", "13700137001").await;
    let job = |subject: &'static str| {
        let app = &app;
        let agent = agent.clone();
        let engineer = engineer.clone();
        let eng_id = eng_id.clone();
        let (customer_id, site) = (customer_id.clone(), site.clone());
        async move {
            let t = app
                .ok(
                    &agent,
                    "/api/v1/tickets",
                    json!({ "subject": subject, "priority": 2,
                    "channel": "phone", "customer_id": customer_id, "site_id": site }),
                    201,
                )
                .await;
            app.work_on_site(&agent, &t, (&eng_id, &engineer)).await
        }
    };
    let upload = |ticket: String, kind: &'static str, bytes: Vec<u8>| {
        let app = &app;
        let engineer = engineer.clone();
        async move {
            let r = app.upload(&engineer, &ticket, kind, bytes, "p.png").await;
            assert_eq!(r.status(), 201);
            r.json::<Value>().await.unwrap()["id"].clone()
        }
    };
    // An honest report: two different pictures.
    let t = job("空调漏水").await;
    let id = t["id"].as_str().unwrap().to_owned();
    let before = upload(id.clone(), "before", photo(0, 0)).await;
    let after = upload(id.clone(), "after", photo(1, 0)).await;
    let sign = upload(id.clone(), "signature", png()).await;
    let report = json!({ "resolution": "更换排水管", "before_photo_ids": [before],
        "after_photo_ids": [after], "signature_id": sign });
    // (Half an hour on site: not a short visit.)
    app.clock.advance(chrono::Duration::minutes(30));
    let done = app.send_report(&engineer, &t, report).await;
    assert_eq!(done["status"], "resolved", "{done}");
    assert_eq!(done["flags"], json!([]));

    // The same scene, re-exposed, as before and after: held, with why.
    let t = job("电梯异响").await;
    let id = t["id"].as_str().unwrap().to_owned();
    let before = upload(id.clone(), "before", photo(2, 0)).await;
    let after = upload(id.clone(), "after", photo(2, 3)).await;
    let sign = upload(id.clone(), "signature", png()).await;
    let report = json!({ "resolution": "调整导轨", "before_photo_ids": [before],
        "after_photo_ids": [after], "signature_id": sign });
    app.clock.advance(chrono::Duration::minutes(30));
    let held = app.send_report(&engineer, &t, report).await;
    assert_eq!(held["status"], "in_review", "{held}");
    assert_eq!(held["flags"], json!(["same_photo_before_after"]));

    // The first job's after photo sent again for a third job: taken from another ticket.
    let t = job("冷柜不制冷").await;
    let id = t["id"].as_str().unwrap().to_owned();
    let before = upload(id.clone(), "before", photo(0, 9)).await;
    let after = upload(id.clone(), "after", photo(1, 0)).await;
    let sign = upload(id.clone(), "signature", png()).await;
    let report = json!({ "resolution": "补充冷媒", "before_photo_ids": [before],
        "after_photo_ids": [after], "signature_id": sign });
    app.clock.advance(chrono::Duration::minutes(30));
    let held = app.send_report(&engineer, &t, report).await;
    assert_eq!(held["status"], "in_review", "{held}");
    assert_eq!(held["flags"], json!(["photo_reused"]));
}

/// A picture of coarse random blocks, one of its own for each seed (unlike every other).
fn speckled(seed: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(12_345);
    let blocks: Vec<u8> = (0..64)
        .map(|_| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (state >> 16) as u8
        })
        .collect();
    let img = image::RgbImage::from_fn(64, 64, |x, y| {
        let v = blocks[(y / 8 * 8 + x / 8) as usize];
        image::Rgb([v, v, v])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn a_wrong_part_odd_labour_and_a_rushed_signature_are_found_and_the_tenant_chooses_what_holds(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (eng_id, engineer) = app.user("eng1", &["engineer"], json!({})).await;
    app.user("sup", &["supervisor"], json!({})).await;
    let (customer, site) = app.customer(&agent, "上海东方酒店", "13700137001").await;
    app.category("aircon", "空调").await;
    for (sku, models) in [("CAP-35UF", json!(["X1"])), ("FAN-K3", json!(["K3"]))] {
        let part = json!({ "sku": sku, "name": sku, "models": models });
        app.ok(&app.admin, "/api/v1/parts", part, 201).await;
    }
    let asset = app
        .ok(
            &agent,
            "/api/v1/assets",
            json!({ "customer_id": customer, "site_id": site, "model": "x1", "serial": "SN-1" }),
            201,
        )
        .await;
    // The category's usual labour: 24 remote fixes of 40 to 63 minutes.
    for i in 0..24 {
        let t = app
            .ok(
                &agent,
                "/api/v1/tickets",
                json!({ "subject": format!("空调报修 {i}"), "priority": 3, "channel": "phone",
                        "category": "aircon" }),
                201,
            )
            .await;
        let report = json!({ "resolution": "电话指导", "remote": true, "labour_minutes": 40 + i });
        let t = app
            .go(&agent, &t, json!({ "to": "in_progress" }), 200)
            .await;
        let done = app
            .go(
                &agent,
                &t,
                json!({ "to": "resolved", "report": report }),
                200,
            )
            .await;
        assert_eq!(done["status"], "resolved");
    }
    let job = |subject: &'static str, seed: u32| {
        let app = &app;
        let (agent, engineer, eng_id) = (agent.clone(), engineer.clone(), eng_id.clone());
        let (customer, site, asset) = (customer.clone(), site.clone(), asset["id"].clone());
        async move {
            let t = app
                .ok(
                    &agent,
                    "/api/v1/tickets",
                    json!({ "subject": subject, "priority": 2, "channel": "phone", "category": "aircon",
                            "customer_id": customer, "site_id": site, "asset_id": asset }),
                    201,
                )
                .await;
            let t = app.work_on_site(&agent, &t, (&eng_id, &engineer)).await;
            let id = t["id"].as_str().unwrap().to_owned();
            let mut files = Vec::new();
            for (kind, scene) in [("before", seed * 2), ("after", seed * 2 + 1)] {
                let r = app
                    .upload(&engineer, &id, kind, speckled(scene), "p.png")
                    .await;
                files.push(r.json::<Value>().await.unwrap()["id"].clone());
            }
            app.clock.advance(chrono::Duration::minutes(30));
            (t, files)
        }
    };
    let signed = |ticket: String, drawn_ms: &'static str| {
        let app = &app;
        let engineer = engineer.clone();
        async move {
            let form = reqwest::multipart::Form::new()
                .text("kind", "signature")
                .text("drawn_ms", drawn_ms)
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(png()).file_name("s.png"),
                );
            let r = app
                .client
                .post(app.url(&format!("/api/v1/tickets/{ticket}/attachments")))
                .bearer_auth(&engineer)
                .multipart(form)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap())
        }
    };

    // A fitting part, usual labour, a signature of two seconds: resolved, nothing found.
    let (t, files) = job("空调不制冷", 1).await;
    let id = t["id"].as_str().unwrap().to_owned();
    let (s, sign) = signed(id.clone(), "2000").await;
    assert_eq!(s, 201, "{sign}");
    let report_of = |sign: &Value, files: &[Value], sku: &str, minutes: i64| {
        json!({ "resolution": "更换电容", "before_photo_ids": [files[0]], "after_photo_ids": [files[1]],
                "signature_id": sign["id"], "parts": [{ "sku": sku, "qty": 1 }], "labour_minutes": minutes })
    };
    let done = app
        .send_report(&engineer, &t, report_of(&sign, &files, "CAP-35UF", 55))
        .await;
    assert_eq!(
        (done["status"].as_str(), &done["flags"]),
        (Some("resolved"), &json!([])),
        "{done}"
    );

    // A fan for another model, a working day for an hour's job, a signature of 0.2 s: held
    // (the part), each finding with its reason.
    let (t, files) = job("空调异响", 2).await;
    let id = t["id"].as_str().unwrap().to_owned();
    let (s, e) = signed(id.clone(), "soon").await;
    assert_eq!((s, e["field"].as_str()), (422, Some("drawn_ms")), "{e}");
    let (_, sign) = signed(id.clone(), "200").await;
    let held = app
        .send_report(&engineer, &t, report_of(&sign, &files, "FAN-K3", 480))
        .await;
    assert_eq!(held["status"], "in_review", "{held}");
    assert_eq!(
        held["flags"],
        json!(["part_not_for_model", "labour_off_norm", "signature_rushed"])
    );
    let mut desk = crate::pages::Browser::signed_in(&app, "sup").await;
    let (s, html, _) = desk.get(&app, "/review").await;
    assert_eq!(s, 200);
    for reason in [
        "配件 FAN-K3 不适用于设备型号 x1",
        "工时 480 分钟，该类别通常",
        "客户签名仅用时 200 毫秒",
    ] {
        assert!(html.contains(reason), "{reason} on the review desk");
    }

    // The tenant holds nothing back but a short visit: the same report resolves, its
    // findings still on it; a short visit is held.
    let put = |token: String, body: Value| {
        let app = &app;
        async move {
            let path = "/api/v1/screening/settings";
            app.send(reqwest::Method::PUT, &token, path, body).await
        }
    };
    let (s, e) = put(agent.clone(), json!({ "blocking": [] })).await;
    assert_eq!(s, 403, "{e}");
    let (s, e) = put(app.admin.clone(), json!({ "blocking": ["nonsense"] })).await;
    assert_eq!((s, e["field"].as_str()), (422, Some("blocking")), "{e}");
    let (s, chosen) = put(app.admin.clone(), json!({ "blocking": ["short_visit"] })).await;
    assert_eq!(s, 200, "{chosen}");
    assert_eq!(chosen["blocking"], json!(["short_visit"]));
    assert_eq!(
        app.read(&agent, "/api/v1/screening/settings").await["blocking"],
        json!(["short_visit"])
    );
    let (t, files) = job("空调漏水", 3).await;
    let id = t["id"].as_str().unwrap().to_owned();
    let (_, sign) = signed(id, "200").await;
    let done = app
        .send_report(&engineer, &t, report_of(&sign, &files, "FAN-K3", 480))
        .await;
    assert_eq!(done["status"], "resolved", "{done}");
    assert_eq!(done["flags"].as_array().unwrap().len(), 3, "{done}");
    // Reported three minutes after the check-in: now held.
    let t = app
        .ok(
            &agent,
            "/api/v1/tickets",
            json!({ "subject": "空调滴水", "priority": 2, "channel": "phone",
                    "customer_id": customer, "site_id": site }),
            201,
        )
        .await;
    let t = app.work_on_site(&agent, &t, (&eng_id, &engineer)).await;
    let id = t["id"].as_str().unwrap();
    let files = app.report_files(&engineer, id).await;
    app.clock.advance(chrono::Duration::minutes(3));
    let quick = json!({ "resolution": "紧固接头", "before_photo_ids": [files[0]],
        "after_photo_ids": [files[1]], "signature_id": files[2] });
    let held = app.send_report(&engineer, &t, quick).await;
    assert_eq!(
        (held["status"].as_str(), &held["flags"]),
        (Some("in_review"), &json!(["short_visit"])),
        "{held}"
    );
}
