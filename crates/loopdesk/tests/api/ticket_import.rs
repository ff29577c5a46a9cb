//! Tickets migrated from another system (issue 23): one JSON object per line, each ticket's
//! life rebuilt as an event log, counted in the KPIs like lived history; a bad line refuses
//! the whole file with every fault named; a line imported before is skipped.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use loopdesk_core::clock::Clock;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::imports::upload;
use crate::kpis::book_agrees_with_the_event_log;
use crate::on_both_backends;

on_both_backends!(
    tickets_from_another_system_live_again_and_count_like_lived_history,
    a_bad_line_refuses_the_whole_file_and_names_every_fault,
    thousands_of_lines_import_in_one_request_across_batches,
);

async fn import(app: &TestApp, token: &str, kind: &str, body: String) -> (u16, Value) {
    upload(
        app,
        token,
        "/api/v1/import/tickets",
        kind,
        body.into_bytes(),
    )
    .await
}

fn ndjson(lines: &[Value]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

async fn by_subject(app: &TestApp, subject: &str) -> Value {
    let list = app.read(&app.admin, "/api/v1/tickets?limit=100").await;
    let id = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["subject"] == subject)
        .unwrap_or_else(|| panic!("{subject} not listed"))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.read(&app.admin, &format!("/api/v1/tickets/{id}")).await
}

fn kinds(t: &Value) -> Vec<String> {
    t["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

async fn tickets_from_another_system_live_again_and_count_like_lived_history(backend: Backend) {
    let app = spawn_app(backend).await;
    let (eng, _) = app.user("old-eng", &["engineer"], json!({})).await;
    let (customer, _) = app.customer(&app.admin, "老客户", "13800000077").await;
    app.ok(
        &app.admin,
        "/api/v1/categories",
        json!({ "code": "repair", "name": "维修" }),
        201,
    )
    .await;
    let now = app.clock.now();
    let c = now - Duration::days(30);
    let h = |hours: i64| time(c + Duration::hours(hours));
    let lines = [
        json!({ "external_id": "OLD-1", "subject": "空调修了两次", "category": "repair",
            "customer_id": customer, "priority": 2, "channel": "email",
            "created_at": h(0), "status": "closed", "resolved_at": h(10), "closed_at": h(20),
            "assignee": "old-eng", "reopened": true, "csat": 2, "comment": "修了两次才好，太慢" }),
        json!({ "external_id": "OLD-2", "subject": "电话里教会了重启", "created_at": h(1),
            "status": "resolved", "resolved_at": h(3), "csat": 5 }),
        json!({ "external_id": "OLD-3", "subject": "刚报的故障", "created_at": h(2),
            "status": "new" }),
        json!({ "external_id": "OLD-4", "subject": "客户撤回", "created_at": h(2),
            "status": "cancelled", "closed_at": h(4) }),
        json!({ "external_id": "OLD-5", "subject": "还在修", "created_at": h(5),
            "status": "in_progress", "assignee": "old-eng" }),
    ];
    let (status, body) = import(&app, &app.admin, "application/x-ndjson", ndjson(&lines)).await;
    assert_eq!(
        (status, body.clone()),
        (200, json!({ "imported": 5, "skipped": 0 }))
    );

    let t = by_subject(&app, "空调修了两次").await;
    assert_eq!(t["status"], "closed");
    assert_eq!(t["assignee_id"], json!(eng));
    assert_eq!(t["customer_id"], json!(customer));
    assert_eq!(t["channel"], "email");
    assert_eq!(
        (t["reopen_count"].clone(), t["visit_count"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(
        kinds(&t),
        [
            "created",
            "assign",
            "accept",
            "check_in",
            "start",
            "resolve",
            "reopen",
            "resolve",
            "auto_close",
            "survey_sent",
            "survey_answered"
        ]
    );
    let local_day = c.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap());
    assert!(
        t["number"]
            .as_str()
            .unwrap()
            .starts_with(&format!("WO-{}-", local_day.format("%Y%m%d"))),
        "numbered on the day it was created: {}",
        t["number"]
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tickets WHERE resolution_due IS NOT NULL")
            .await,
        5,
        "the SLA policy in force gives each its resolution due time (the on-time rate's)"
    );
    assert_eq!(
        kinds(&by_subject(&app, "电话里教会了重启").await),
        [
            "created",
            "take_remote",
            "resolve",
            "survey_sent",
            "survey_answered"
        ]
    );
    assert_eq!(kinds(&by_subject(&app, "刚报的故障").await), ["created"]);
    assert_eq!(
        kinds(&by_subject(&app, "客户撤回").await),
        ["created", "cancel"]
    );
    let open = by_subject(&app, "还在修").await;
    assert_eq!(open["status"], "in_progress");
    assert_eq!(open["assignee_id"], json!(eng));

    // The KPIs read them as they read lived tickets; what the old system did not keep stays
    // unknown rather than zero.
    let (from, to) = (time(c - Duration::hours(1)), time(now));
    let k = app
        .read(
            &app.admin,
            &format!(
                "/api/v1/kpis?from={from}&to={to}&metrics=frt,oat,mttr,reopen_rate,csat,closure_rate"
            ),
        )
        .await;
    let v = &k["rows"][0]["values"];
    assert_eq!(v["mttr"]["mean"], (10.0 * 3600.0 + 2.0 * 3600.0) / 2.0);
    assert_eq!(v["reopen_rate"]["value"], 0.5, "one of the two resolved");
    assert_eq!(v["frt"]["n"], 0, "no person's first response is known");
    assert_eq!(v["oat"]["n"], 0, "no arrival time is known");
    book_agrees_with_the_event_log(&app, &app.admin, &from, &to).await;
    // The survey comments teach the sentiment model like lived ones.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM surveys WHERE csat IS NOT NULL AND comment IS NOT NULL")
            .await,
        1
    );

    // The same file again: nothing twice; with one line more, only that one.
    let mut more = lines.to_vec();
    more.push(json!({ "external_id": "OLD-6", "subject": "后补的一单",
        "created_at": h(6), "status": "new" }));
    let (status, body) = import(&app, &app.admin, "application/x-ndjson", ndjson(&more)).await;
    assert_eq!(
        (status, body),
        (200, json!({ "imported": 1, "skipped": 5 }))
    );
    // A line repeated in one file is one ticket.
    let twice = ndjson(&[
        json!({ "external_id": "OLD-7", "subject": "重复行", "created_at": h(7), "status": "new" }),
        json!({ "external_id": "OLD-7", "subject": "重复行", "created_at": h(7), "status": "new" }),
    ]);
    let (status, body) = import(&app, &app.admin, "application/x-ndjson", twice).await;
    assert_eq!(
        (status, body),
        (200, json!({ "imported": 1, "skipped": 1 }))
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 7);
}

async fn a_bad_line_refuses_the_whole_file_and_names_every_fault(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("an-agent", &["agent"], json!({})).await;
    let now = app.clock.now();
    let h = |hours: i64| time(now - Duration::days(3) + Duration::hours(hours));
    let good = json!({ "external_id": "G-1", "subject": "好的一行", "created_at": h(0),
        "status": "new" });
    let body = [
        good.to_string(),
        "{ not json".to_owned(),
        String::new(),
        json!({ "external_id": "B-3", "subject": "多了字段", "created_at": h(0),
            "status": "new", "colour": "red" })
        .to_string(),
        json!({ "external_id": "B-4", "subject": "状态不对", "created_at": h(0),
            "status": "shipped", "priority": 9 })
        .to_string(),
        json!({ "external_id": "B-5", "subject": "没有的分类和人", "created_at": h(0),
            "status": "in_progress", "category": "no-such", "assignee": "nobody" })
        .to_string(),
        json!({ "external_id": "B-6", "subject": "时间颠倒", "created_at": h(5),
            "status": "closed", "resolved_at": h(6), "closed_at": h(4),
            "customer_id": "01930000-0000-7000-8000-000000000000" })
        .to_string(),
        json!({ "external_id": "B-7", "subject": "时间格式", "created_at": "昨天",
            "status": "new" })
        .to_string(),
    ]
    .join("\n");
    let (status, e) = import(&app, &app.admin, "application/x-ndjson", body.clone()).await;
    assert_eq!(status, 422, "{e}");
    assert_eq!(e["error"], "import_failed");
    let faults: Vec<(i64, String)> = e["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert!(f["message"].as_str().is_some_and(|m| !m.is_empty()), "{f}");
            (
                f["line"].as_i64().unwrap(),
                f["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(i64, String)> = [
        (2, "json"),
        (4, "colour"),
        (5, "priority"),
        (5, "status"),
        (7, "closed_at"),
        (8, "created_at"),
    ]
    .into_iter()
    .map(|(l, f)| (l, f.to_owned()))
    .collect();
    assert_eq!(faults, expected, "every line's own faults first");
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 0);

    // With the lines right in themselves, what they name is checked against the tenant.
    let named = ndjson(&[
        good.clone(),
        json!({ "external_id": "B-5", "subject": "没有的分类和人", "created_at": h(0),
            "status": "in_progress", "category": "no-such", "assignee": "nobody" }),
        json!({ "external_id": "B-6", "subject": "没有的客户", "created_at": h(0),
            "status": "new", "customer_id": "01930000-0000-7000-8000-000000000000",
            "region_id": "01930000-0000-7000-8000-000000000001" }),
    ]);
    let (status, e) = import(&app, &app.admin, "application/x-ndjson", named).await;
    assert_eq!(status, 422, "{e}");
    let faults: Vec<(i64, &str)> = e["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["line"].as_i64().unwrap(), f["field"].as_str().unwrap()))
        .collect();
    assert_eq!(
        faults,
        [
            (2, "category"),
            (2, "assignee"),
            (3, "customer_id"),
            (3, "region_id")
        ]
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM ticket_imports").await, 0);

    // Only an admin imports; only lines of JSON; not nothing.
    let one = ndjson(&[good]);
    assert_eq!(
        import(&app, &agent, "application/x-ndjson", one.clone())
            .await
            .0,
        403
    );
    assert_eq!(
        import(&app, &app.admin, "text/csv", one.clone()).await.0,
        415
    );
    let (status, e) = import(&app, &app.admin, "application/x-ndjson", "\n\n".into()).await;
    assert_eq!((status, e["field"].as_str()), (422, Some("body")));
    let (status, _) = import(&app, &app.admin, "application/x-ndjson", one).await;
    assert_eq!(status, 200, "the good line alone imports");
}

async fn thousands_of_lines_import_in_one_request_across_batches(backend: Backend) {
    let app = spawn_app(backend).await;
    let now = app.clock.now();
    let n = 5_000;
    let lines: Vec<Value> = (0..n)
        .map(|i| {
            let created = now - Duration::minutes(10 * (n - i) as i64 + 120);
            let mut l = json!({ "external_id": format!("M-{i}"),
                "subject": format!("迁移工单 {i}"), "created_at": time(created),
                "status": "closed", "closed_at": time(created + Duration::minutes(90)) });
            if i % 4 == 0 {
                l["csat"] = json!(1 + (i % 5) as i64);
            }
            l
        })
        .collect();
    let (status, body) = import(&app, &app.admin, "application/x-ndjson", ndjson(&lines)).await;
    assert_eq!(
        (status, body),
        (200, json!({ "imported": n, "skipped": 0 }))
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, n as i64);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ticket_imports").await,
        n as i64
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ticket_events WHERE kind = 'auto_close'")
            .await,
        n as i64
    );
    assert_eq!(
        app.count("SELECT COUNT(DISTINCT number) FROM tickets")
            .await,
        n as i64,
        "every number once"
    );
    // Findable at once, like any ticket.
    let found = app
        .read(
            &app.admin,
            "/api/v1/search?q=%E8%BF%81%E7%A7%BB%E5%B7%A5%E5%8D%95&limit=5",
        )
        .await;
    assert_eq!(found["items"].as_array().map(Vec::len), Some(5));
}
