//! Risk (issue 23): open tickets riskiest first with their reasons, from a model trained on the
//! tenant's own history (the share of the SLA window gone while there is too little of it); the
//! backtest of a past period; a supervisor sees their region's tickets only.

use chrono::{DateTime, Duration, Utc};
use loopdesk_core::clock::Clock;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend};
use crate::insights::{import, time};
use crate::on_both_backends;

on_both_backends!(
    the_riskiest_open_tickets_come_first_with_their_reasons_and_the_backtest_judges_the_model
);

fn numbers(list: &Value) -> Vec<&str> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|i| i["number"].as_str().expect("number"))
        .collect()
}

async fn the_riskiest_open_tickets_come_first_with_their_reasons_and_the_backtest_judges_the_model(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let now = app.clock.now();
    // The tenant's default policy gives a P3 request 24 hours to be resolved.
    for (code, name) in [("compressor", "压缩机"), ("printer", "打印机")] {
        app.ok(
            &app.admin,
            "/api/v1/categories",
            json!({ "code": code, "name": name }),
            201,
        )
        .await;
    }
    let mut regions = Vec::new();
    for name in ["东区", "西区"] {
        let r = app
            .ok(&app.admin, "/api/v1/regions", json!({ "name": name }), 201)
            .await;
        regions.push(r["id"].as_str().unwrap().to_owned());
    }
    app.user("eng1", &["engineer"], json!({})).await;
    let (_, dispatcher) = app.user("disp", &["dispatcher"], json!({})).await;
    let (_, west) = app
        .user("sup", &["supervisor"], json!({ "region_id": regions[1] }))
        .await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (_, engineer) = app.user("eng2", &["engineer"], json!({})).await;

    // Open now: one past its due time, a compressor and a printer an hour old.
    let open = |id: &str, category: &str, region: &str, hours: i64| {
        let mut line = json!({ "external_id": id, "subject": format!("{category} 故障"),
                "category": category, "region_id": region,
                "created_at": time(now - Duration::hours(hours)), "status": "new" });
        if hours < 24 {
            line["status"] = json!("in_progress");
            line["assignee"] = json!("eng1");
        }
        line
    };
    import(
        &app,
        &[
            open("late", "printer", &regions[0], 30),
            open("comp", "compressor", &regions[0], 1),
            open("prn", "printer", &regions[1], 1),
        ],
    )
    .await;
    let first = app.read(&dispatcher, "/api/v1/insights/risk").await;
    let list = first.as_array().expect("a bare list");
    assert_eq!(list.len(), 3, "{first}");
    // Too little history for a model: the share of the SLA window gone.
    assert_eq!(list[0]["breach_probability"], json!(1.0), "{first}");
    assert_eq!(list[0]["reasons"], json!(["已超过解决时限"]), "{first}");
    assert!(
        (list[1]["breach_probability"].as_f64().unwrap() - 1.0 / 24.0).abs() < 0.01,
        "{first}"
    );
    assert!(
        list[1]["reasons"][0].as_str().unwrap().contains("小时"),
        "{first}"
    );

    // Two months of history: compressors always ran late (parts, long repairs), printers never.
    let mut lines = Vec::new();
    for k in 0..60 {
        let at = now - Duration::days(60) + Duration::hours(20 * k);
        for (category, hours) in [("compressor", 30 + k % 18), ("printer", 2 + k % 20)] {
            lines.push(json!({ "external_id": format!("{category}-{k}"),
                "subject": format!("{category} 维修"), "category": category,
                "region_id": regions[(k % 2) as usize], "created_at": time(at),
                "status": "closed", "assignee": "eng1",
                "resolved_at": time(at + Duration::hours(hours)),
                "closed_at": time(at + Duration::hours(hours + 1)) }));
        }
    }
    import(&app, &lines).await;
    let ranked = app.read(&dispatcher, "/api/v1/insights/risk").await;
    assert_eq!(numbers(&ranked).len(), 3, "{ranked}");
    let by_subject = |v: &Value, i: usize| v[i]["breach_probability"].as_f64().unwrap();
    assert_eq!(by_subject(&ranked, 0), 1.0, "{ranked}");
    let (comp, prn) = (by_subject(&ranked, 1), by_subject(&ranked, 2));
    assert!(comp > 0.5 && prn < 0.5 && comp > prn, "{ranked}");
    let reasons = ranked[1]["reasons"].to_string();
    assert!(
        reasons.contains("压缩机"),
        "the category is named: {reasons}"
    );
    for item in ranked.as_array().unwrap() {
        let reopen = item["reopen_probability"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&reopen), "{item}");
    }
    // In English on asking.
    let english = app
        .client
        .get(app.url("/api/v1/insights/risk"))
        .bearer_auth(&dispatcher)
        .header("accept-language", "en")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(
        english[0]["reasons"],
        json!(["Already past its resolution due time"])
    );

    // The west's supervisor sees the west's ticket only.
    let theirs = app.read(&west, "/api/v1/insights/risk").await;
    assert_eq!(theirs.as_array().unwrap().len(), 1, "{theirs}");
    assert_eq!(theirs[0]["number"], ranked[2]["number"]);
    for token in [&agent, &engineer] {
        let r = app.get(token, "/api/v1/insights/risk").await;
        assert_eq!(r.status(), 403);
    }

    // The backtest of the last three weeks, trained on the weeks before.
    let path = |from: DateTime<Utc>, to: DateTime<Utc>| {
        format!(
            "/api/v1/insights/risk/backtest?from={}&to={}",
            time(from),
            time(to)
        )
    };
    let b = app
        .read(
            &dispatcher,
            &path(now - Duration::days(21), now - Duration::days(2)),
        )
        .await;
    assert!(b["tickets"].as_u64().unwrap() >= 20, "{b}");
    assert!(
        b["n"].as_u64().unwrap() >= b["tickets"].as_u64().unwrap(),
        "{b}"
    );
    assert!(
        b["auc"].as_f64().unwrap() > 0.95,
        "the category tells them apart: {b}"
    );
    assert!(b["brier"].as_f64().unwrap() < 0.1, "{b}");
    let bins = b["calibration"].as_array().unwrap();
    let total: u64 = bins.iter().map(|x| x["n"].as_u64().unwrap()).sum();
    assert_eq!(total, b["n"].as_u64().unwrap(), "{b}");

    // Nothing known before `from`: how many tickets there are and how many are needed.
    let early = now - Duration::days(70);
    let r = app
        .get(&dispatcher, &path(early, early + Duration::days(7)))
        .await;
    assert_eq!(r.status(), 422);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["field"], "from", "{e}");
    assert_eq!(e["error"], "too_few_examples", "{e}");
    for (from, to, field) in [
        (now - Duration::days(3), now - Duration::days(5), "to"),
        (now - Duration::days(3), now + Duration::days(1), "to"),
        (now - Duration::days(400), now - Duration::days(1), "from"),
    ] {
        let r = app.get(&dispatcher, &path(from, to)).await;
        assert_eq!(r.status(), 422, "{from} {to}");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["field"], field, "{e}");
    }
    let r = app
        .get(
            &engineer,
            &path(now - Duration::days(21), now - Duration::days(2)),
        )
        .await;
    assert_eq!(r.status(), 403);

    // The nightly job retrains it at 03:00 on the tenant's clock (the first training, on
    // demand, was this morning) and keeps each day's backtest AUC.
    use loopdesk_jobs::triage::nightly;
    app.clock.advance(Duration::hours(41));
    // (The imported tickets' categories train the category model too.)
    assert_eq!(nightly(&app.store, app.clock.now()).await.unwrap(), 2);
    assert_eq!(nightly(&app.store, app.clock.now()).await.unwrap(), 0);
    let tenant = app.store.tenant(app.store.tenant_ids().await.unwrap()[0]);
    let model = tenant.risk_model().await.unwrap().expect("trained");
    assert_eq!(model.trained_at, app.clock.now());
    let kept = tenant.risk_backtests().await.unwrap();
    // One a day: the first training's and tonight's.
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert!(kept[0].0 < kept[1].0, "{kept:?}");
    assert!(kept.iter().all(|k| k.1 > 0 && k.2 > 0.9), "{kept:?}");
}
