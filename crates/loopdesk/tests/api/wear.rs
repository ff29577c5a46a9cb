//! Maintenance suggestions (issue 23): faults of a model that come back at a regular age are
//! proposed as a preventive plan, with why; faults that strike at random are not; the page
//! makes the proposal a plan over a contract in one press.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend};
use crate::insights::{import, time};
use crate::on_both_backends;

on_both_backends!(faults_that_come_back_at_a_regular_age_are_proposed_as_a_plan);

async fn faults_that_come_back_at_a_regular_age_are_proposed_as_a_plan(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, sup) = app.user("wear-sup", &["supervisor"], json!({})).await;
    let (_, eng) = app.user("wear-eng", &["engineer"], json!({})).await;
    let (customer, site) = app.customer(&app.admin, "连锁超市", "13800000077").await;
    for (code, name) in [("compressor", "压缩机"), ("fan", "风机")] {
        app.category(code, name).await;
    }
    let installed = NaiveDate::from_ymd_opt(2022, 1, 3).unwrap();
    let start = Utc.with_ymd_and_hms(2022, 1, 3, 2, 0, 0).unwrap();
    let mut lines = Vec::new();
    let mut units = Vec::new();
    // Eight X9 freezers whose compressors fail about every 300 days (± a few weeks), and
    // whose fans fail now and then at any age.
    let wobble = [-21, 5, 17, -9, 0, 12, -3, 26, -14, 8, -25, 19];
    let random = [40, 410, 95, 270, 15, 480, 150, 520, 33, 200, 300, 66];
    for u in 0..8usize {
        let body = json!({ "customer_id": customer, "site_id": site, "model": "X9",
            "serial": format!("X9-{u}"), "installed_on": installed.to_string() });
        let unit = app.ok(&app.admin, "/api/v1/assets", body, 201).await;
        let unit = unit["id"].as_str().unwrap().to_owned();
        let (mut compressor, mut fan) = (0i64, 0i64);
        for k in 0..3 {
            compressor += 300 + wobble[(u * 3 + k) % wobble.len()];
            fan += random[(u * 5 + k * 7) % random.len()];
            for (category, day) in [("compressor", compressor), ("fan", fan)] {
                let at = start + Duration::days(day);
                lines.push(json!({ "external_id": format!("W-{u}-{k}-{category}"),
                    "subject": format!("{category} 故障"), "category": category,
                    "customer_id": customer, "asset_id": unit, "created_at": time(at),
                    "status": "closed", "closed_at": time(at + Duration::hours(3)) }));
            }
        }
        units.push(unit);
    }
    import(&app, &lines).await;

    let found = app.read(&sup, "/api/v1/insights/maintenance").await;
    let items = found["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "the fans fail at random: {found}");
    let item = &items[0];
    assert_eq!(
        (item["model"].as_str(), item["category"].as_str()),
        (Some("X9"), Some("compressor"))
    );
    assert_eq!(
        (item["units"].as_u64(), item["days"]["n"].as_u64()),
        (Some(8), Some(24))
    );
    let every = item["every_days"].as_i64().unwrap();
    assert!((240..=300).contains(&every) && every % 30 == 0, "{item}");
    let reason = item["reason"].as_str().unwrap();
    assert!(
        reason.contains("压缩机") && reason.contains(&format!("每 {every} 天")),
        "{reason}"
    );
    assert_eq!(
        app.read(&sup, "/api/v1/insights/maintenance?model=K3")
            .await["items"],
        json!([])
    );
    assert_eq!(
        app.get(&eng, "/api/v1/insights/maintenance").await.status(),
        403
    );

    // The page proposes it; a contract over the freezers makes it a plan in one press.
    let contract = app
        .ok(
            &app.admin,
            "/api/v1/contracts",
            json!({ "customer_id": customer, "name": "HT-X9", "starts_on": "2026-01-01",
                    "ends_on": "2027-12-31", "asset_ids": units }),
            201,
        )
        .await;
    let mut desk = crate::pages::Browser::signed_in(&app, "wear-sup").await;
    let (s, html, _) = desk.get(&app, "/insights/maintenance").await;
    assert_eq!(s, 200);
    assert!(html.contains(reason) && html.contains("HT-X9"), "{html}");
    let every_text = every.to_string();
    let form = [
        ("model", "X9"),
        ("name", "预防保养 · 压缩机"),
        ("every_days", every_text.as_str()),
        ("contract_id", contract["id"].as_str().unwrap()),
    ];
    let (s, _, location) = desk.post(&app, "/insights/maintenance", &form).await;
    assert_eq!(
        (s, location.as_deref()),
        (303, Some("/insights/maintenance?made=1"))
    );
    let plans: Value = app.read(&app.admin, "/api/v1/maintenance/plans").await;
    let plan = &plans["items"][0];
    assert_eq!(
        (plan["model"].as_str(), plan["every_days"].as_i64()),
        (Some("X9"), Some(every))
    );
    assert_eq!(plan["contract_id"], contract["id"]);
}
