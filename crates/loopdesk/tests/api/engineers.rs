//! Engineer profiles for dispatch: set by admins and checked, switched on and off duty and
//! located by the engineer's own phone, listed for dispatchers with their load.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(engineers_have_profiles_duty_positions_and_load);

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
