//! Engineer profiles for dispatch: set by admins and checked, switched on and off duty and
//! located by the engineer's own phone, listed for dispatchers with their load.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    engineers_have_profiles_duty_positions_and_load,
    proposals_serve_the_urgent_first_and_explain_themselves,
    automatic_dispatch_assigns_passes_on_and_records_overrides,
    a_dispatcher_assigns_by_hand_an_order_nobody_can_take,
);

async fn put(app: &TestApp, token: &str, path: &str, body: Value) -> reqwest::Response {
    app.client
        .put(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn engineers_have_profiles_duty_positions_and_load(backend: Backend) {
    let app = spawn_app(backend).await;
    let region = app
        .ok(
            &app.admin,
            "/api/v1/regions",
            json!({ "name": "浦东新区" }),
            201,
        )
        .await["id"]
        .clone();
    let (eng_id, eng) = app
        .user(
            "eng",
            &["engineer"],
            json!({ "display_name": "张工", "region_id": region }),
        )
        .await;
    let (eng2_id, eng2) = app.user("eng2", &["engineer"], json!({})).await;
    let (agent_id, agent) = app.user("agent", &["agent"], json!({})).await;
    let (_, dispatcher) = app.user("dispatcher", &["dispatcher"], json!({})).await;

    let list = app.read(&dispatcher, "/api/v1/engineers").await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "engineers only: {list}");
    let zhang = items.iter().find(|e| e["id"] == eng_id.as_str()).unwrap();
    assert_eq!(
        (
            zhang["capacity"].clone(),
            zhang["on_duty"].clone(),
            zhang["load"].clone()
        ),
        (json!(5), json!(false), json!(0))
    );
    assert!(zhang["position"].is_null());

    let path = format!("/api/v1/engineers/{eng_id}/profile");
    let profile = json!({
        "skills": [{ "name": "HVAC", "level": 3 }, { "name": "elevator", "level": 1 }],
        "regions": [region], "home": { "lat": 31.22, "lon": 121.54 }, "capacity": 4,
        // The test clock is Tuesday 10:00 in Beijing.
        "shift": [{ "weekday": 2, "from": "09:00", "to": "18:00" }]
    });
    let set = put(&app, &app.admin, &path, profile.clone()).await;
    assert_eq!(set.status(), 200);
    let set: Value = set.json().await.unwrap();
    assert_eq!(
        set["skills"],
        json!([{ "name": "hvac", "level": 3 }, { "name": "elevator", "level": 1 }])
    );
    assert_eq!(
        (set["capacity"].clone(), set["in_shift"].clone()),
        (json!(4), json!(true))
    );
    assert_eq!(set["home"], json!({ "lat": 31.22, "lon": 121.54 }));

    // Bad profiles name the field and change nothing.
    let mut bad = Vec::new();
    for (change, field) in [
        (
            json!({ "skills": [{ "name": "hvac", "level": 0 }] }),
            "skills",
        ),
        (json!({ "capacity": 99 }), "capacity"),
        (json!({ "home": { "lat": 91.0, "lon": 0.0 } }), "home"),
        (
            json!({ "shift": [{ "weekday": 8, "from": "09:00", "to": "18:00" }] }),
            "shift",
        ),
        (
            json!({ "regions": ["0190f0c2-0000-7000-8000-000000000000"] }),
            "regions",
        ),
    ] {
        let mut body = profile.clone();
        body.as_object_mut()
            .unwrap()
            .extend(change.as_object().unwrap().clone());
        let r = put(&app, &app.admin, &path, body).await;
        assert_eq!(r.status(), 422);
        bad.push((r.json::<Value>().await.unwrap()["field"].clone(), field));
    }
    for (got, want) in bad {
        assert_eq!(got, want);
    }
    assert_eq!(
        put(&app, &agent, &path, profile.clone()).await.status(),
        403
    );
    let not_engineer = put(
        &app,
        &app.admin,
        &format!("/api/v1/engineers/{agent_id}/profile"),
        profile.clone(),
    )
    .await;
    assert_eq!(not_engineer.status(), 422);
    let unknown = put(
        &app,
        &app.admin,
        "/api/v1/engineers/0190f0c2-0000-7000-8000-000000000000/profile",
        profile.clone(),
    )
    .await;
    assert_eq!(unknown.status(), 404);
    let kept = app
        .read(&dispatcher, &format!("/api/v1/engineers/{eng_id}"))
        .await;
    assert_eq!(kept["capacity"], 4);

    // The engineer's own switch and pings.
    let on = app
        .ok(&eng, "/api/v1/me/duty", json!({ "on_duty": true }), 200)
        .await;
    assert_eq!(on["on_duty"], true);
    assert_eq!(on["capacity"], 4, "the profile stays");
    let here = app
        .ok(
            &eng,
            "/api/v1/me/position",
            json!({ "lat": 31.2304, "lon": 121.4737, "accuracy_m": 8 }),
            200,
        )
        .await;
    assert_eq!(here["position"]["lat"], 31.2304);
    let far = app
        .ok(
            &eng,
            "/api/v1/me/position",
            json!({ "lat": 100.0, "lon": 121.0 }),
            422,
        )
        .await;
    assert_eq!(far["field"], "lat");
    app.ok(
        &dispatcher,
        "/api/v1/me/duty",
        json!({ "on_duty": true }),
        403,
    )
    .await;
    // Engineers see themselves, not each other.
    assert_eq!(
        app.read(&eng2, &format!("/api/v1/engineers/{eng2_id}"))
            .await["on_duty"],
        false
    );
    assert_eq!(
        app.get(&eng2, &format!("/api/v1/engineers/{eng_id}"))
            .await
            .status(),
        404
    );

    // Load: the open orders assigned now.
    let t = app.ok(&agent, "/api/v1/tickets", json!({ "subject": "空调不制冷", "description": "外机不转", "priority": 2, "channel": "phone" }), 201).await;
    app.go(
        &agent,
        &t,
        json!({ "to": "assigned", "assignee_id": eng_id }),
        200,
    )
    .await;
    let zhang = app
        .read(&dispatcher, &format!("/api/v1/engineers/{eng_id}"))
        .await;
    assert_eq!(zhang["load"], 1);
    assert_eq!(zhang["position"]["lon"], 121.4737);
    // A check-in on site is the latest position too.
    let t = app
        .read(
            &eng,
            &format!("/api/v1/tickets/{}", t["id"].as_str().unwrap()),
        )
        .await;
    let t = app.go(&eng, &t, json!({ "to": "accepted" }), 200).await;
    app.go(
        &eng,
        &t,
        json!({ "to": "on_site", "check_in": { "lat": 31.25, "lon": 121.5 } }),
        200,
    )
    .await;
    let zhang = app
        .read(&dispatcher, &format!("/api/v1/engineers/{eng_id}"))
        .await;
    assert_eq!(zhang["position"]["lat"], 31.25);
}

/// Two orders at People's Square, one urgent; the one engineer of the region near it can take
/// one more order, another is off duty, a third works in the next region. The urgent order
/// gets the nearby engineer and the other waits — unless the dispatcher lets engineers cross
/// regions. Each proposal names its candidates and who is out and why.
async fn proposals_serve_the_urgent_first_and_explain_themselves(backend: Backend) {
    let app = spawn_app(backend).await;
    let region = app
        .ok(
            &app.admin,
            "/api/v1/regions",
            json!({ "name": "黄浦区" }),
            201,
        )
        .await["id"]
        .clone();
    let next = app
        .ok(
            &app.admin,
            "/api/v1/regions",
            json!({ "name": "静安区" }),
            201,
        )
        .await["id"]
        .clone();
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let mut engineers = Vec::new();
    // Near (1 km), off duty, and about 8 km away in the next region.
    for (name, lat, capacity, on, home) in [
        ("near", 31.2394, 1, true, &region),
        ("resting", 31.2305, 5, false, &region),
        ("next", 31.3020, 5, true, &next),
    ] {
        let (id, token) = app
            .user(
                name,
                &["engineer"],
                json!({ "display_name": name, "region_id": home }),
            )
            .await;
        let path = format!("/api/v1/engineers/{id}/profile");
        let r = put(&app, &app.admin, &path, json!({ "capacity": capacity })).await;
        assert_eq!(r.status(), 200);
        app.ok(&token, "/api/v1/me/duty", json!({ "on_duty": on }), 200)
            .await;
        app.ok(
            &token,
            "/api/v1/me/position",
            json!({ "lat": lat, "lon": 121.4737 }),
            200,
        )
        .await;
        engineers.push(id);
    }
    let c = app.ok(&agent, "/api/v1/customers", json!({ "name": "人民广场店", "region_id": region,
        "sites": [{ "name": "总店", "address": "人民大道 1 号", "lat": 31.2304, "lon": 121.4737 }] }), 201).await;
    let order = |subject: &str, priority: i64, site: bool| {
        // Without a site (and without a customer, whose only site it would get) an order
        // has no position.
        let mut body = json!({ "subject": subject, "description": "故障", "priority": priority, "channel": "phone" });
        if site {
            body["customer_id"] = c["id"].clone();
            body["site_id"] = c["sites"][0]["id"].clone();
        }
        let (app, agent) = (&app, agent.clone());
        async move { app.ok(&agent, "/api/v1/tickets", body, 201).await }
    };
    let routine = order("例行检查", 4, true).await;
    let urgent = order("冷库停机", 1, true).await;
    let nowhere = order("地址不详", 2, false).await;

    let page = app.read(&agent, "/api/v1/dispatch/proposals").await;
    let items = page["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 3);
    let of = |t: &Value| {
        items
            .iter()
            .find(|p| p["ticket_id"] == t["id"])
            .unwrap()
            .clone()
    };
    assert_eq!(items[0]["ticket_id"], urgent["id"], "most urgent first");
    assert_eq!(
        of(&urgent)["engineer"]["id"],
        engineers[0].as_str(),
        "the urgent order gets the one free engineer"
    );
    assert!(of(&routine)["engineer"].is_null());
    assert_eq!(of(&routine)["unassigned"]["reason"], "capacity_taken");
    let names: Vec<_> = of(&routine)["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["display_name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["near"]);
    assert_eq!(
        of(&routine)["excluded"],
        json!({ "off_duty": 1, "other_region": 1 })
    );
    assert_eq!(of(&nowhere)["unassigned"]["reason"], "no_position");

    // Across regions the routine order goes to the engineer next door.
    let page = app
        .read(&agent, "/api/v1/dispatch/proposals?cross_region=true")
        .await;
    let routine_now = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["ticket_id"] == routine["id"])
        .unwrap()
        .clone();
    assert_eq!(routine_now["engineer"]["id"], engineers[2].as_str());
    let km = routine_now["engineer"]["km"].as_f64().unwrap();
    assert!((7.5..8.5).contains(&km), "{km}");

    // Accepting a proposal is the move to `assigned`; the order leaves the proposals.
    app.go(
        &agent,
        &urgent,
        json!({ "to": "assigned", "assignee_id": engineers[0] }),
        200,
    )
    .await;
    let page = app.read(&agent, "/api/v1/dispatch/proposals").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let (_, customer) = app
        .user("cust", &["customer"], json!({ "customer_id": c["id"] }))
        .await;
    assert_eq!(
        app.get(&customer, "/api/v1/dispatch/proposals")
            .await
            .status(),
        403
    );
}

async fn events_of(app: &TestApp, token: &str, ticket: &Value) -> Vec<Value> {
    let id = ticket["id"].as_str().unwrap();
    app.read(token, &format!("/api/v1/tickets/{id}")).await["events"]
        .as_array()
        .unwrap()
        .clone()
}

/// Automatic dispatch: a new order goes to its proposal; when the engineer does not accept
/// in time it passes to the next candidate, never back to one who had it; a person choosing
/// someone else than the proposal is recorded with the reason; an asset's model decides the
/// skill an order needs.
async fn automatic_dispatch_assigns_passes_on_and_records_overrides(backend: Backend) {
    let mut app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (_, dispatcher) = app.user("dispatcher", &["dispatcher"], json!({})).await;
    let mut ids = Vec::new();
    // Near the People's Square site (1 km), farther (5 km), and far (12 km) but the only
    // refrigeration expert.
    for (name, lat, skills) in [
        ("near", 31.2394, json!([])),
        ("mid", 31.2754, json!([])),
        (
            "expert",
            31.3384,
            json!([{ "name": "refrigeration", "level": 4 }]),
        ),
    ] {
        let (id, token) = app
            .user(name, &["engineer"], json!({ "display_name": name }))
            .await;
        let profile = json!({ "capacity": 5, "skills": skills });
        app.ready_engineer((&id, &token), profile, (lat, 121.4737))
            .await;
        ids.push((id, token));
    }
    let settings = put(
        &app,
        &app.admin,
        "/api/v1/settings/dispatch",
        json!({ "mode": "auto", "accept_minutes": 10 }),
    )
    .await;
    assert_eq!(settings.status(), 200);
    let bad = put(
        &app,
        &app.admin,
        "/api/v1/settings/dispatch",
        json!({ "mode": "auto", "accept_minutes": 0 }),
    )
    .await;
    assert_eq!(bad.status(), 422);
    assert_eq!(
        put(
            &app,
            &dispatcher,
            "/api/v1/settings/dispatch",
            json!({ "mode": "off", "accept_minutes": 10 })
        )
        .await
        .status(),
        403
    );

    let (customer, site) = app.customer(&agent, "上海申江制冷", "13800138000").await;
    let t = app
        .ok(
            &agent,
            "/api/v1/tickets",
            json!({ "channel": "phone", "customer_id": customer, "site_id": site,
        "subject": "空调不制冷", "description": "", "priority": 2 }),
            201,
        )
        .await;
    let run = app
        .ok(&app.admin, "/api/v1/dispatch/run", json!({}), 200)
        .await;
    assert_eq!(
        (run["assigned"].as_i64(), run["passed_on"].as_i64()),
        (Some(1), Some(0))
    );
    let read = app
        .read(
            &agent,
            &format!("/api/v1/tickets/{}", t["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(read["assignee_id"], ids[0].0.as_str(), "the nearest");
    let assign = events_of(&app, &agent, &t)
        .await
        .into_iter()
        .find(|e| e["kind"] == "assign")
        .unwrap();
    assert!(assign["actor_id"].is_null(), "by the system: {assign}");

    // Ten minutes without accepting: the next candidate; then nobody new is left but the expert.
    app.clock.advance(chrono::Duration::minutes(9));
    let run = app
        .ok(&app.admin, "/api/v1/dispatch/run", json!({}), 200)
        .await;
    assert_eq!(run["passed_on"], 0, "not yet");
    app.clock.advance(chrono::Duration::minutes(1));
    let run = app
        .ok(&app.admin, "/api/v1/dispatch/run", json!({}), 200)
        .await;
    assert_eq!(run["passed_on"], 1);
    let read = app
        .read(
            &agent,
            &format!("/api/v1/tickets/{}", t["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(read["assignee_id"], ids[1].0.as_str());
    let kinds: Vec<String> = events_of(&app, &agent, &t)
        .await
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        kinds.ends_with(&["accept_timeout".to_owned(), "reassign".to_owned()]),
        "{kinds:?}"
    );
    // The second declines: back to new, and the run gives it to the one who has not had it.
    let mid = &ids[1].1;
    app.go(mid, &read, json!({ "to": "new", "reason": "车坏了" }), 200)
        .await;
    app.ok(&app.admin, "/api/v1/dispatch/run", json!({}), 200)
        .await;
    let read = app
        .read(
            &agent,
            &format!("/api/v1/tickets/{}", t["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(read["assignee_id"], ids[2].0.as_str());
    app.clock.advance(chrono::Duration::minutes(10));
    app.admin = app.login("admin", crate::helpers::ADMIN_PASSWORD).await;
    let run = app
        .ok(&app.admin, "/api/v1/dispatch/run", json!({}), 200)
        .await;
    assert_eq!(run["passed_on"], 0, "everyone has had it: it stays");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM ticket_assignments WHERE ticket_id = '{}'",
            t["id"].as_str().unwrap()
        ))
        .await,
        3,
        "each attempt counts for the transfer rate"
    );

    // Proposals only: a dispatcher choosing someone else is recorded with the reason.
    put(
        &app,
        &app.admin,
        "/api/v1/settings/dispatch",
        json!({ "mode": "propose", "accept_minutes": 10 }),
    )
    .await;
    let agent = app.login("agent", crate::helpers::PASSWORD).await;
    let dispatcher = app.login("dispatcher", crate::helpers::PASSWORD).await;
    let t2 = app
        .ok(
            &agent,
            "/api/v1/tickets",
            json!({ "channel": "phone", "customer_id": customer, "site_id": site,
        "subject": "门灯不亮", "description": "", "priority": 3 }),
            201,
        )
        .await;
    assert_eq!(
        app.ok(&app.admin, "/api/v1/dispatch/run", json!({}), 200)
            .await["assigned"],
        0,
        "not in propose mode"
    );
    app.go(
        &dispatcher,
        &t2,
        json!({ "to": "assigned", "assignee_id": ids[1].0, "note": "客户指定" }),
        200,
    )
    .await;
    let over = events_of(&app, &agent, &t2)
        .await
        .into_iter()
        .find(|e| e["kind"] == "dispatch_override")
        .unwrap();
    assert_eq!(over["data"]["proposed_engineer_id"], ids[0].0.as_str());
    assert_eq!(over["data"]["reason"], "客户指定");

    // An order on an asset whose model needs refrigeration at level 3 can only go to the expert.
    app.ok(
        &app.admin,
        "/api/v1/models",
        json!({ "code": "X1", "name": "冷柜 X1", "skill": "refrigeration", "skill_level": 3 }),
        201,
    )
    .await;
    let asset = app.asset(&agent, (&customer, &site), "X1", "SN-1").await;
    app.ok(&agent, "/api/v1/tickets", json!({ "channel": "phone", "asset_id": asset["id"], "subject": "冷柜不冷", "description": "", "priority": 2 }), 201).await;
    let proposals = app.read(&dispatcher, "/api/v1/dispatch/proposals").await;
    let fridge = proposals["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["subject"] == "冷柜不冷")
        .unwrap();
    assert_eq!(fridge["engineer"]["id"], ids[2].0.as_str(), "{fridge}");
    assert_eq!(fridge["excluded"]["no_skill"], 2);
}

/// An order only an off-duty expert could take: the engine proposes nobody, the hand-dispatch
/// list shows every engineer with why they are out; once the expert is on duty they are the
/// proposal; a dispatcher assigns by hand from the page, with a note.
async fn a_dispatcher_assigns_by_hand_an_order_nobody_can_take(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (_, dispatcher) = app.user("dispatcher", &["dispatcher"], json!({})).await;
    let (near_id, near) = app
        .user("near", &["engineer"], json!({ "display_name": "近处的" }))
        .await;
    app.ready_engineer(
        (&near_id, &near),
        json!({ "capacity": 3 }),
        (31.2394, 121.4737),
    )
    .await;
    let (expert_id, expert) = app
        .user(
            "expert",
            &["engineer"],
            json!({ "display_name": "制冷专家" }),
        )
        .await;
    let r = put(
        &app,
        &app.admin,
        &format!("/api/v1/engineers/{expert_id}/profile"),
        json!({ "capacity": 3, "skills": [{ "name": "refrigeration", "level": 4 }] }),
    )
    .await;
    assert_eq!(r.status(), 200);
    app.ok(
        &app.admin,
        "/api/v1/models",
        json!({ "code": "CF-9", "name": "冷柜 CF-9", "skill": "refrigeration", "skill_level": 2 }),
        201,
    )
    .await;
    let (customer, site) = app.customer(&agent, "上海申江制冷", "13800138000").await;
    let asset = app
        .ok(&agent, "/api/v1/assets",
            json!({ "customer_id": customer, "site_id": site, "model": "CF-9", "serial": "CF9-001" }), 201)
        .await;
    let t = app
        .ok(&agent, "/api/v1/tickets",
            json!({ "channel": "phone", "customer_id": customer, "site_id": site, "asset_id": asset["id"],
                    "subject": "冷柜不制冷", "priority": 1 }), 201)
        .await;
    let path = format!("/api/v1/tickets/{}/candidates", t["id"].as_str().unwrap());
    let why = |v: &Value, id: &str| -> Value {
        v["engineers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == id)
            .unwrap()["excluded"]
            .clone()
    };
    let hand = app.read(&dispatcher, &path).await;
    assert_eq!(hand["proposed"], Value::Null);
    assert_eq!(why(&hand, &near_id), "no_skill");
    assert_eq!(why(&hand, &expert_id), "off_duty");
    assert_eq!(hand["engineers"].as_array().unwrap().len(), 2);
    // By hand, on the page: someone without the skill never; someone off duty only with why.
    let cookie = format!("loopdesk_session={dispatcher}");
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let hand_assign = |engineer: &str, note: &str| {
        let req = no_redirect
            .post(app.url("/dispatch/assign"))
            .header("cookie", &cookie)
            .form(&[
                ("ticket_id", t["id"].as_str().unwrap()),
                ("engineer_id", engineer),
                ("note", note),
                ("from", "hand"),
            ]);
        async move {
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            let location = r
                .headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_owned());
            (status, location, r.text().await.unwrap())
        }
    };
    let (status, _, page) = hand_assign(&near_id, "他也能修").await;
    assert_eq!(status, 422);
    assert!(page.contains("不具备此单所需技能"), "{page}");
    let (status, _, page) = hand_assign(&expert_id, " ").await;
    assert_eq!(status, 422);
    assert!(page.contains("请写明原因"), "{page}");
    assert_eq!(
        app.read(
            &dispatcher,
            &format!("/api/v1/tickets/{}", t["id"].as_str().unwrap())
        )
        .await["status"],
        "new",
        "nothing half-done"
    );
    // The expert comes on duty near the site: eligible, first, and the engine's choice.
    app.ok(&expert, "/api/v1/me/duty", json!({ "on_duty": true }), 200)
        .await;
    app.ok(
        &expert,
        "/api/v1/me/position",
        json!({ "lat": 31.30, "lon": 121.47 }),
        200,
    )
    .await;
    let hand = app.read(&dispatcher, &path).await;
    assert_eq!(hand["proposed"], expert_id.as_str());
    assert_eq!(hand["engineers"][0]["id"], expert_id.as_str());
    assert_eq!(hand["engineers"][0]["excluded"], Value::Null);
    assert!(hand["engineers"][0]["road_km"].as_f64().unwrap() > 5.0);
    assert_eq!(why(&hand, &near_id), "no_skill");
    // Not for engineers or customers; not for a ticket that does not exist.
    assert_eq!(app.get(&near, &path).await.status(), 403);
    assert_eq!(
        app.get(
            &dispatcher,
            "/api/v1/tickets/00000000-0000-7000-8000-000000000000/candidates"
        )
        .await
        .status(),
        404
    );
    // The page lists everyone with why; the assignment goes through with a note.
    let page = app
        .client
        .get(app.url(&format!("/dispatch/t/{}", t["id"].as_str().unwrap())))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("缺少所需技能") && page.contains("制冷专家"),
        "{page}"
    );
    let (status, to, _) = hand_assign(&expert_id, "电话确认专家可去").await;
    assert_eq!(status, 303);
    assert!(to.unwrap().contains(t["number"].as_str().unwrap()));
    let after = app
        .read(
            &dispatcher,
            &format!("/api/v1/tickets/{}", t["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(after["status"], "assigned");
    assert_eq!(after["assignee_id"], expert_id.as_str());
    assert!(after["events"].to_string().contains("电话确认专家可去"));
}
