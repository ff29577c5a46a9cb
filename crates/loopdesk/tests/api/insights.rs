//! Recurring problems (issue 23): a word or a category far above the same weekdays of the four
//! weeks before is reported with what its tickets concentrate on; a steady history reports
//! nothing; a supervisor sees their region's.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use loopdesk_core::clock::Clock;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::imports::upload;
use crate::mail::SmtpSink;
use crate::on_both_backends;
use loopdesk_jobs::{Mailer, Runner, RunnerConfig};

on_both_backends!(
    a_new_fault_on_one_model_is_the_first_problem_and_names_the_model,
    the_morning_alert_tells_the_manager_and_the_regions_supervisor_once,
    a_problem_record_links_its_tickets_and_is_resolved_with_its_cause,
);

pub(crate) fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Moves `lines` in as another system's tickets (JSON lines), as an admin.
pub(crate) async fn import(app: &TestApp, lines: &[Value]) {
    let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let kind = "application/x-ndjson";
    let (status, answer) =
        upload(app, &app.admin, "/api/v1/import/tickets", kind, body.into()).await;
    assert_eq!(status, 200, "{answer}");
}

async fn a_new_fault_on_one_model_is_the_first_problem_and_names_the_model(backend: Backend) {
    let app = spawn_app(backend).await;
    let (customer, site) = app.customer(&app.admin, "连锁超市", "13800000088").await;
    for (code, name) in [
        ("FZ-9", "冷柜 FZ-9"),
        ("FZ-2", "冷柜 FZ-2"),
        ("FZ-5", "冷柜 FZ-5"),
    ] {
        app.ok(
            &app.admin,
            "/api/v1/models",
            json!({ "code": code, "name": name }),
            201,
        )
        .await;
    }
    let x9 = app
        .asset(&app.admin, (&customer, &site), "FZ-9", "SN-9")
        .await;
    let x2 = app
        .asset(&app.admin, (&customer, &site), "FZ-2", "SN-2")
        .await;
    let x5 = app
        .asset(&app.admin, (&customer, &site), "FZ-5", "SN-5")
        .await;
    let (x9, x2, x5) = (
        x9["id"].as_str().unwrap(),
        x2["id"].as_str().unwrap(),
        x5["id"].as_str().unwrap(),
    );
    for (code, name) in [("printer", "打印机"), ("aircon", "空调")] {
        app.ok(
            &app.admin,
            "/api/v1/categories",
            json!({ "code": code, "name": name }),
            201,
        )
        .await;
    }
    // Five steady weeks: paper jams and leaking air conditioners every day, on every model.
    let now = app.clock.now();
    let to = now - Duration::hours(1);
    let from = to - Duration::days(7);
    let mut lines = Vec::new();
    let mut n = 0;
    let mut line = |at: DateTime<Utc>, subject: &str, category: &str, asset: &str| {
        n += 1;
        json!({ "external_id": format!("H-{n}"), "subject": subject, "category": category,
            "customer_id": customer, "asset_id": asset, "created_at": time(at),
            "status": "closed", "closed_at": time(at + Duration::minutes(30)) })
    };
    for day in 0..35 {
        let at = from - Duration::days(28) + Duration::days(day) + Duration::hours(2);
        for (k, asset) in [x9, x2, x5].into_iter().enumerate() {
            let at = at + Duration::minutes(k as i64);
            lines.push(line(at, "打印机卡纸", "printer", asset));
        }
        let asset = if day % 2 == 0 { x5 } else { x2 };
        lines.push(line(at + Duration::minutes(9), "空调漏水", "aircon", asset));
    }
    import(&app, &lines).await;
    let admin = app.admin.clone();
    let window = format!(
        "/api/v1/insights/problems?from={}&to={}",
        time(from),
        time(to)
    );
    let steady = app.read(&admin, &window).await;
    assert_eq!(
        steady["items"],
        json!([]),
        "a steady history has no problems"
    );

    // This week the freezers start shutting down by themselves, nine of ten on FZ-9.
    let mut spike = Vec::new();
    for k in 0..10 {
        let at = from + Duration::hours(5 + 12 * k);
        let asset = if k < 9 { x9 } else { x2 };
        spike.push(
            json!({ "external_id": format!("S-{k}"), "subject": "冷柜自动停机",
            "description": "冷柜运行一段时间后自动停机，重启后又停", "category": "aircon",
            "customer_id": customer, "asset_id": asset, "created_at": time(at),
            "status": "new" }),
        );
    }
    import(&app, &spike).await;
    let found = app.read(&admin, &window).await;
    let items = found["items"].as_array().unwrap();
    assert!(!items.is_empty(), "{found}");
    let first = &items[0];
    assert_eq!(first["signal"], "term");
    assert!(first["label"].as_str().unwrap().contains("停机"), "{first}");
    assert_eq!(first["count"], 10);
    assert_eq!(first["expected"], 0.0);
    assert_eq!(first["ticket_ids"].as_array().map(Vec::len), Some(10));
    let model = first["concentration"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["attribute"] == "asset_model")
        .unwrap_or_else(|| panic!("{first}"));
    assert_eq!(model["value"], "FZ-9");
    assert_eq!(model["label"], "冷柜 FZ-9");
    assert_eq!(model["share"], 0.9);
    // The words of one problem are one item.
    let about_it = items
        .iter()
        .filter(|i| i["ticket_ids"] == first["ticket_ids"])
        .count();
    assert_eq!(about_it, 1, "{found}");

    // Bad windows are named.
    let (status, e) = app
        .send(
            reqwest::Method::GET,
            &admin,
            &format!(
                "/api/v1/insights/problems?from={}&to={}",
                time(to),
                time(from)
            ),
            json!({}),
        )
        .await;
    assert_eq!((status, e["field"].as_str()), (422, Some("to")));
    let (status, e) = app
        .send(
            reqwest::Method::GET,
            &admin,
            &format!(
                "/api/v1/insights/problems?from={}&to={}",
                time(to - Duration::days(200)),
                time(to)
            ),
            json!({}),
        )
        .await;
    assert_eq!((status, e["field"].as_str()), (422, Some("from")));
}

/// From 08:00 each morning the problems of the seven days before go by mail to the managers
/// (the whole tenant) and to each supervisor (their region's), once; a region without
/// problems hears nothing, nor does the desk.
async fn the_morning_alert_tells_the_manager_and_the_regions_supervisor_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let sink = SmtpSink::start().await;
    let runner = Runner::new(
        app.store.clone(),
        app.clock.clone(),
        "r".into(),
        RunnerConfig::default(),
    )
    .unwrap()
    .with_mailer(Mailer::new(&sink.url, "Loopdesk <service@loopdesk.test>").unwrap());
    let mut regions = Vec::new();
    for name in ["闵行", "徐汇"] {
        let r = app
            .ok(&app.admin, "/api/v1/regions", json!({ "name": name }), 201)
            .await;
        regions.push(r["id"].as_str().unwrap().to_owned());
    }
    app.user("boss", &["manager"], json!({ "email": "boss@alert.test" }))
        .await;
    app.user(
        "sup-mh",
        &["supervisor"],
        json!({ "email": "mh@alert.test", "region_id": regions[0], "lang": "en" }),
    )
    .await;
    app.user(
        "sup-xh",
        &["supervisor"],
        json!({ "email": "xh@alert.test", "region_id": regions[1] }),
    )
    .await;
    app.user("desk", &["agent"], json!({ "email": "desk@alert.test" }))
        .await;
    // The alert is due from 08:00 Beijing time; its week ends then.
    let beijing = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let local = app.clock.now().with_timezone(&beijing);
    if local.time() < chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap() {
        app.clock.advance(Duration::hours(10));
    }
    let now = app.clock.now();
    let morning = now
        .with_timezone(&beijing)
        .date_naive()
        .and_hms_opt(8, 0, 0)
        .unwrap()
        .and_local_timezone(beijing)
        .unwrap()
        .with_timezone(&Utc);
    // Steady paper jams in both regions for five weeks; this week ten freezer stops in 闵行.
    let mut lines = Vec::new();
    for day in 0..35 {
        for (k, region) in regions.iter().enumerate() {
            let at = morning - Duration::days(day + 1) + Duration::minutes(k as i64);
            lines.push(
                json!({ "external_id": format!("P-{day}-{k}"), "subject": "打印机卡纸",
                "region_id": region, "created_at": time(at), "status": "closed",
                "closed_at": time(at + Duration::minutes(40)) }),
            );
        }
    }
    for k in 0..10 {
        let at = morning - Duration::hours(3 + 14 * k);
        lines.push(
            json!({ "external_id": format!("S-{k}"), "subject": "冷柜自动停机",
            "region_id": regions[0], "created_at": time(at), "status": "new" }),
        );
    }
    import(&app, &lines).await;

    runner.drain().await.unwrap();
    // (A Monday morning also brings the manager the weekly KPI report.)
    let alerts = |to: &str| -> Vec<_> {
        sink.to(to)
            .into_iter()
            .filter(|m| m.subject.starts_with("重复问题提醒") || m.subject.starts_with("Recurring"))
            .collect()
    };
    let boss = alerts("boss@alert.test");
    assert_eq!(boss.len(), 1, "{boss:?}");
    let day = morning.with_timezone(&beijing).date_naive().to_string();
    assert_eq!(boss[0].subject, format!("重复问题提醒 {day}：1 项"));
    assert!(boss[0].body.contains("停机: 10 单"), "{}", boss[0].body);
    assert!(boss[0].body.contains("/insights"), "{}", boss[0].body);
    let mh = sink.to("mh@alert.test");
    assert_eq!(mh.len(), 1, "the region's supervisor, in English");
    assert!(
        mh[0].subject.starts_with("Recurring problems"),
        "{}",
        mh[0].subject
    );
    assert!(mh[0].body.contains("停机: 10 tickets"), "{}", mh[0].body);
    assert!(sink.to("xh@alert.test").is_empty(), "nothing rose in 徐汇");
    assert!(sink.to("desk@alert.test").is_empty(), "not the desk's");
    // The runner looks again the same day: nothing more.
    app.clock.advance(Duration::hours(3));
    runner.drain().await.unwrap();
    assert_eq!(alerts("boss@alert.test").len(), 1);
}

/// A supervisor opens a problem record over their region's tickets; it is resolved only with
/// its root cause, changes are checked against the version read, and each reader sees the
/// linked tickets they may see.
async fn a_problem_record_links_its_tickets_and_is_resolved_with_its_cause(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut regions = Vec::new();
    for name in ["闵行", "徐汇"] {
        let r = app
            .ok(&app.admin, "/api/v1/regions", json!({ "name": name }), 201)
            .await;
        regions.push(r["id"].as_str().unwrap().to_owned());
    }
    let (_, sup) = app
        .user("sup", &["supervisor"], json!({ "region_id": regions[0] }))
        .await;
    let (_, boss) = app.user("boss", &["manager"], json!({})).await;
    let (_, agent) = app.user("desk", &["agent"], json!({})).await;
    let mut customers = Vec::new();
    for (name, region) in [("闵行门店", &regions[0]), ("徐汇门店", &regions[1])] {
        let c = app
            .ok(
                &agent,
                "/api/v1/customers",
                json!({ "name": name, "region_id": region }),
                201,
            )
            .await;
        customers.push(c["id"].as_str().unwrap().to_owned());
    }
    let mut ids = Vec::new();
    for (customer, subject) in [
        (&customers[0], "冷柜自动停机"),
        (&customers[0], "冷柜又停机了"),
        (&customers[1], "冷柜停机"),
    ] {
        let t = app.ticket(&agent, customer, subject).await;
        ids.push(t["id"].as_str().unwrap().to_owned());
    }
    let (t1, t2, far) = (&ids[0], &ids[1], &ids[2]);

    // Only tickets the opener may see; only those who read insights.
    let (status, e) = app
        .send(
            reqwest::Method::POST,
            &sup,
            "/api/v1/problems",
            json!({ "title": "FZ-9 冷柜停机", "ticket_ids": [t1, far] }),
        )
        .await;
    assert_eq!((status, e["field"].as_str()), (422, Some("ticket_ids")));
    let (status, _) = app
        .send(
            reqwest::Method::POST,
            &agent,
            "/api/v1/problems",
            json!({ "title": "x", "ticket_ids": [t1] }),
        )
        .await;
    assert_eq!(status, 403);
    let r = app
        .ok(
            &sup,
            "/api/v1/problems",
            json!({ "title": "FZ-9 冷柜停机", "key": "term:停机", "ticket_ids": [t1, t2, t1] }),
            201,
        )
        .await;
    assert_eq!(
        (r["status"].as_str(), r["version"].as_i64()),
        (Some("open"), Some(1))
    );
    assert_eq!(r["ticket_count"], 2);
    assert_eq!(r["tickets"].as_array().map(Vec::len), Some(2));
    let path = format!("/api/v1/problems/{}", r["id"].as_str().unwrap());

    // Resolved only with the cause written down; a stale version is refused.
    let (status, e) = app
        .patch(&sup, &path, json!({ "version": 1, "status": "resolved" }))
        .await;
    assert_eq!((status, e["field"].as_str()), (422, Some("root_cause")));
    let done = app
        .patch(
            &sup,
            &path,
            json!({ "version": 1, "status": "resolved",
                "root_cause": "FZ-9 启动继电器批次缺陷，已批量更换" }),
        )
        .await;
    assert_eq!(done.0, 200, "{}", done.1);
    assert_eq!(done.1["version"], 2);
    assert!(done.1["resolved_at"].is_string());
    let (status, e) = app
        .patch(&sup, &path, json!({ "version": 1, "title": "别的" }))
        .await;
    assert_eq!((status, e["error"].as_str()), (409, Some("stale_version")));

    // The manager adds the other region's ticket; the supervisor still sees only theirs.
    let more = app
        .patch(
            &boss,
            &path,
            json!({ "version": 2, "add_ticket_ids": [far] }),
        )
        .await;
    assert_eq!((more.0, more.1["ticket_count"].as_i64()), (200, Some(3)));
    let seen = app.read(&sup, &path).await;
    assert_eq!(seen["ticket_count"], 3);
    assert_eq!(seen["tickets"].as_array().map(Vec::len), Some(2));
    let listed = app.read(&boss, "/api/v1/problems?status=resolved").await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
    let (status, e) = app
        .send(
            reqwest::Method::GET,
            &boss,
            "/api/v1/problems?status=done",
            json!({}),
        )
        .await;
    assert_eq!((status, e["field"].as_str()), (422, Some("status")));
    assert_eq!(app.get(&agent, &path).await.status(), 403);
    let none = format!("/api/v1/problems/{}", uuid::Uuid::now_v7());
    assert_eq!(app.get(&boss, &none).await.status(), 404);
    // The page shows it, with its cause.
    let page = app
        .client
        .get(app.url(&format!("/problems/{}", r["id"].as_str().unwrap())))
        .bearer_auth(&boss)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("FZ-9 启动继电器批次缺陷") && page.contains("冷柜又停机了"),
        "{page}"
    );
    // The ticket's page leads to its record, for those who work records.
    let ticket_page = |token: String| {
        let url = app.url(&format!("/t/{t2}"));
        let client = app.client.clone();
        async move {
            let r = client.get(url).bearer_auth(token).send().await.unwrap();
            r.text().await.unwrap()
        }
    };
    let seen = ticket_page(sup.clone()).await;
    assert!(
        seen.contains(&format!("/problems/{}", r["id"].as_str().unwrap())),
        "{seen}"
    );
    assert!(!ticket_page(agent.clone()).await.contains("/problems/"));
}
