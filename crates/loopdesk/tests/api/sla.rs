//! SLA clocks, escalations, the job queue and webhooks, through the API and real runners.

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Duration, Utc};
use loopdesk_core::clock::Clock;
use loopdesk_core::job::JobKind;
use loopdesk_core::signing::verify_webhook_signature;
use loopdesk_jobs::{Runner, RunnerConfig};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    warning_breach_and_each_escalation_are_recorded_once_by_two_runners,
    waiting_for_the_customer_pauses_the_clock_and_moves_the_due_time,
    webhooks_are_signed_and_retried_with_the_same_delivery_id,
    bad_policies_and_webhooks_are_refused_with_the_field,
    a_dead_runners_job_is_taken_over_after_its_lease,
);

fn runner(app: &TestApp, name: &str) -> Runner {
    Runner::new(
        app.store.clone(),
        app.clock.clone(),
        name.to_owned(),
        RunnerConfig {
            // The test's webhook receivers listen on loopback.
            webhook_allow: app.config.webhook_allow.clone(),
            ..RunnerConfig::default()
        },
    )
    .unwrap()
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

fn kinds(detail: &Value, kind: &str) -> Vec<Value> {
    detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == kind)
        .map(|e| e["data"].clone())
        .collect()
}

async fn warning_breach_and_each_escalation_are_recorded_once_by_two_runners(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent1", &["agent"], json!({})).await;
    let (_, supervisor) = app.user("sup1", &["supervisor"], json!({})).await;
    let (_, manager) = app.user("mgr1", &["manager"], json!({})).await;
    let policy = app
        .ok(
            &app.admin,
            "/api/v1/sla-policies",
            json!({
                "name": "P1 加急", "priority": 1,
                "first_response_minutes": 60, "resolution_minutes": 240,
                "escalation": [
                    {"level": 1, "after_breach_minutes": 0, "notify_roles": ["supervisor"]},
                    {"level": 2, "after_breach_minutes": 30, "notify_roles": ["manager"]}
                ]
            }),
            201,
        )
        .await;
    assert_eq!(policy["warn_at"], 0.75);
    let t = app
        .ok(
            &agent,
            "/api/v1/tickets",
            json!({ "subject": "机房空调停机", "priority": 1, "channel": "phone" }),
            201,
        )
        .await;
    let created = time(&t["created_at"]);
    assert_eq!(t["sla"]["policy_id"], policy["id"]);
    assert_eq!(
        time(&t["sla"]["first_response_due"]),
        created + Duration::minutes(60)
    );
    assert_eq!(
        time(&t["sla"]["resolution_due"]),
        created + Duration::minutes(240)
    );
    assert!(t["sla"]["arrival_due"].is_null());
    assert_eq!(t["sla"]["state"], "ok");
    assert_eq!(t["sla"]["paused"], false);
    // A P3 ticket falls to the default policy: 60 / 240 / 1440 minutes.
    let other = app
        .ok(
            &agent,
            "/api/v1/tickets",
            json!({ "subject": "打印机卡纸", "priority": 3, "channel": "phone" }),
            201,
        )
        .await;
    assert_ne!(other["sla"]["policy_id"], policy["id"]);
    assert_eq!(
        time(&other["sla"]["resolution_due"]),
        created + Duration::minutes(1440)
    );
    // It is answered at once (taken into work), so it owes no first-response escalation.
    app.go(&agent, &other, json!({ "to": "in_progress" }), 200)
        .await;

    let id = t["id"].as_str().unwrap();
    let path = format!("/api/v1/tickets/{id}");
    let (a, b) = (runner(&app, "runner-a"), runner(&app, "runner-b"));
    a.drain().await.unwrap();
    assert_eq!(app.read(&agent, &path).await["sla"]["state"], "ok");

    app.clock.advance(Duration::minutes(46));
    let (ra, rb) = tokio::join!(a.drain(), b.drain());
    ra.unwrap();
    rb.unwrap();
    let d = app.read(&agent, &path).await;
    assert_eq!(d["sla"]["state"], "warning");
    assert_eq!(kinds(&d, "sla_warning").len(), 1);
    assert_eq!(kinds(&d, "sla_warning")[0]["target"], "first_response");

    app.clock.advance(Duration::minutes(15)); // 61 min: breached, level 1 at once
    let (ra, rb) = tokio::join!(a.drain(), b.drain());
    ra.unwrap();
    rb.unwrap();
    let d = app.read(&agent, &path).await;
    assert_eq!(d["sla"]["state"], "breached");
    assert_eq!(kinds(&d, "sla_breached").len(), 1);
    let esc = kinds(&d, "escalated");
    assert_eq!(esc.len(), 1, "{esc:?}");
    assert_eq!(esc[0]["level"], 1);
    assert_eq!(esc[0]["target"], "first_response");
    let bell = app.read(&supervisor, "/api/v1/notifications").await;
    assert_eq!(bell["unread"], 1, "{bell}");
    assert_eq!(bell["items"][0]["event"], "sla.escalated");
    assert_eq!(
        app.read(&manager, "/api/v1/notifications").await["unread"],
        0
    );

    app.clock.advance(Duration::minutes(30)); // level 2
    let (ra, rb) = tokio::join!(a.drain(), b.drain());
    ra.unwrap();
    rb.unwrap();
    app.clock.advance(Duration::minutes(1));
    a.drain().await.unwrap();
    b.drain().await.unwrap();
    let d = app.read(&agent, &path).await;
    let levels: Vec<i64> = kinds(&d, "escalated")
        .iter()
        .filter(|e| e["target"] == "first_response")
        .map(|e| e["level"].as_i64().unwrap())
        .collect();
    assert_eq!(levels, vec![1, 2]);
    assert_eq!(
        app.read(&manager, "/api/v1/notifications").await["unread"],
        1
    );
    assert_eq!(
        app.read(&supervisor, "/api/v1/notifications").await["unread"],
        1
    );
    // Exactly one mark per target and kind in the table that guarantees it.
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM sla_marks WHERE ticket_id = '{id}'"
        ))
        .await,
        4 // first response: warning, breached, level 1, level 2 (resolution warns at 180 min)
    );
    // The admin sees the queue's history; nothing is dead.
    let dead = app.read(&app.admin, "/api/v1/jobs?status=dead").await;
    assert_eq!(dead.as_array().unwrap().len(), 0);
    let done = app.read(&app.admin, "/api/v1/jobs?status=done").await;
    assert!(done
        .as_array()
        .unwrap()
        .iter()
        .any(|j| j["kind"] == "publish"));
}

async fn waiting_for_the_customer_pauses_the_clock_and_moves_the_due_time(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent1", &["agent"], json!({})).await;
    let t = app
        .ok(
            &agent,
            "/api/v1/tickets",
            json!({ "subject": "发票抬头错误", "priority": 3, "channel": "phone" }),
            201,
        )
        .await;
    let due = time(&t["sla"]["resolution_due"]);
    app.clock.advance(Duration::minutes(10));
    let t = app
        .go(&agent, &t, json!({ "to": "in_progress" }), 200)
        .await;
    assert!(t["sla"]["first_response_due"].is_string());
    app.clock.advance(Duration::minutes(5));
    let t = app
        .go(
            &agent,
            &t,
            json!({ "to": "waiting_customer", "reason": "等客户提供发票抬头" }),
            200,
        )
        .await;
    assert_eq!(t["sla"]["paused"], true);
    // Two hours waiting: long enough to have breached first response, were it running.
    app.clock.advance(Duration::minutes(120));
    let r = runner(&app, "r");
    r.drain().await.unwrap();
    let id = t["id"].as_str().unwrap();
    let d = app.read(&agent, &format!("/api/v1/tickets/{id}")).await;
    assert_eq!(d["sla"]["state"], "ok");
    assert!(kinds(&d, "sla_breached").is_empty());
    let t = app
        .go(&agent, &d, json!({ "to": "in_progress" }), 200)
        .await;
    assert_eq!(t["sla"]["paused"], false);
    assert_eq!(
        time(&t["sla"]["resolution_due"]),
        due + Duration::minutes(120)
    );
}

#[derive(Default)]
struct Received {
    calls: Vec<(HeaderMap, String)>,
}

async fn webhooks_are_signed_and_retried_with_the_same_delivery_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent1", &["agent"], json!({})).await;
    // A real HTTP receiver: the first call fails with 500, later ones succeed.
    let received = Arc::new(Mutex::new(Received::default()));
    let r2 = received.clone();
    let receiver = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let r = r2.clone();
            async move {
                let mut r = r.lock().unwrap();
                r.calls.push((headers, body));
                if r.calls.len() == 1 {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::NO_CONTENT
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, receiver).await });
    let secret = "whsec-0123456789abcdef";
    app.ok(
        &app.admin,
        "/api/v1/webhooks",
        json!({ "url": url, "secret": secret, "events": ["ticket.created"] }),
        201,
    )
    .await;
    let t = app
        .ok(
            &agent,
            "/api/v1/tickets",
            json!({ "subject": "电梯异响", "priority": 2, "channel": "phone" }),
            201,
        )
        .await;
    let r = runner(&app, "r");
    r.drain().await.unwrap();
    assert_eq!(received.lock().unwrap().calls.len(), 1);
    let failed = app.read(&app.admin, "/api/v1/jobs?status=failed").await;
    assert_eq!(failed.as_array().unwrap().len(), 1, "{failed}");
    assert!(failed[0]["last_error"].as_str().unwrap().contains("500"));
    // Not before the backoff has passed…
    app.clock.advance(Duration::seconds(5));
    r.drain().await.unwrap();
    assert_eq!(received.lock().unwrap().calls.len(), 1);
    // …then once more, and that one is accepted.
    app.clock.advance(Duration::seconds(6));
    r.drain().await.unwrap();
    app.clock.advance(Duration::seconds(60));
    r.drain().await.unwrap();
    let calls = std::mem::take(&mut received.lock().unwrap().calls);
    assert_eq!(calls.len(), 2);
    let header = |h: &HeaderMap, k: &str| h.get(k).unwrap().to_str().unwrap().to_owned();
    assert_eq!(
        header(&calls[0].0, "x-loopdesk-delivery"),
        header(&calls[1].0, "x-loopdesk-delivery")
    );
    for (h, body) in &calls {
        assert_eq!(header(h, "x-loopdesk-event"), "ticket.created");
        let ts: i64 = header(h, "x-loopdesk-timestamp").parse().unwrap();
        assert!(verify_webhook_signature(
            secret,
            ts,
            body,
            &header(h, "x-loopdesk-signature")
        ));
        assert!(!verify_webhook_signature(
            "wrong-secret-0000",
            ts,
            body,
            &header(h, "x-loopdesk-signature")
        ));
        let v: Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["event"], "ticket.created");
        assert_eq!(v["id"], header(h, "x-loopdesk-delivery").as_str());
        assert_eq!(v["ticket"]["number"], t["number"]);
        assert!(v["tenant"].is_string() && v["at"].is_string() && v["data"].is_object());
    }
    // The second attempt is stamped later than the first.
    let ts = |i: usize| {
        header(&calls[i].0, "x-loopdesk-timestamp")
            .parse::<i64>()
            .unwrap()
    };
    assert!(ts(1) > ts(0));
    assert_eq!(
        app.read(&app.admin, "/api/v1/jobs?status=failed")
            .await
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

async fn bad_policies_and_webhooks_are_refused_with_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent1", &["agent"], json!({})).await;
    let before = app.read(&app.admin, "/api/v1/sla-policies").await;
    assert_eq!(before.as_array().unwrap().len(), 1, "the default policy");
    for (body, field) in [
        (
            json!({ "name": "x", "first_response_minutes": 0, "resolution_minutes": 60 }),
            "first_response_minutes",
        ),
        (
            json!({ "name": "x", "first_response_minutes": 10, "resolution_minutes": 60, "warn_at": 1.5 }),
            "warn_at",
        ),
        (
            json!({ "name": "x", "first_response_minutes": 10, "resolution_minutes": 60, "priority": 7 }),
            "priority",
        ),
        (
            json!({ "name": "x", "first_response_minutes": 10, "resolution_minutes": 60, "escalation": [{"level": 2}, {"level": 1}] }),
            "escalation",
        ),
        (
            json!({ "name": "x", "first_response_minutes": 10, "resolution_minutes": 60, "calendar_id": "0191d3c0-0000-7000-8000-000000000000" }),
            "calendar_id",
        ),
    ] {
        let e = app.ok(&app.admin, "/api/v1/sla-policies", body, 422).await;
        assert_eq!(e["field"], field, "{e}");
    }
    let e = app
        .ok(&app.admin, "/api/v1/sla-policies", json!({ "name": "x", "first_response_minutes": 10, "resolution_minutes": 60, "colour": "red" }), 422)
        .await;
    assert_eq!(e["field"], "colour", "{e}");
    app.ok(
        &agent,
        "/api/v1/sla-policies",
        json!({ "name": "x", "first_response_minutes": 10, "resolution_minutes": 60 }),
        403,
    )
    .await;
    let e = app
        .ok(&app.admin, "/api/v1/calendars", json!({ "name": "坏日历", "spec": { "hours": [{ "weekday": 1, "from": "18:00", "to": "09:00" }] } }), 422)
        .await;
    assert_eq!(e["field"], "spec");
    let cal = app
        .ok(
            &app.admin,
            "/api/v1/calendars",
            json!({ "name": "中国工作日" }),
            201,
        )
        .await;
    assert!(cal["spec"]["holidays"].as_array().unwrap().len() > 50);
    app.ok(&app.admin, "/api/v1/sla-policies", json!({ "name": "工作时间", "calendar_id": cal["id"], "first_response_minutes": 30, "resolution_minutes": 480 }), 201)
        .await;
    for (body, field) in [
        (
            json!({ "url": "ftp://x", "secret": "0123456789abcdef", "events": ["ticket.created"] }),
            "url",
        ),
        (
            json!({ "url": "http://x", "secret": "short", "events": ["ticket.created"] }),
            "secret",
        ),
        (
            json!({ "url": "http://x", "secret": "0123456789abcdef", "events": ["ticket.exploded"] }),
            "events",
        ),
    ] {
        let e = app.ok(&app.admin, "/api/v1/webhooks", body, 422).await;
        assert_eq!(e["field"], field, "{e}");
    }
    // Nothing refused was stored.
    assert_eq!(
        app.read(&app.admin, "/api/v1/sla-policies")
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM webhooks").await, 0);
}

async fn a_dead_runners_job_is_taken_over_after_its_lease(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent1", &["agent"], json!({})).await;
    app.ok(
        &agent,
        "/api/v1/tickets",
        json!({ "subject": "水泵漏水", "priority": 2, "channel": "phone" }),
        201,
    )
    .await;
    // Runner "crashed" claims everything due and dies before finishing any of it.
    let now = app.clock.now();
    let held = app
        .store
        .claim_jobs("crashed", now, 60_000, 100)
        .await
        .unwrap();
    assert!(
        held.iter().any(|j| j.job.kind() == JobKind::Publish),
        "{held:?}"
    );
    // While its lease runs, nobody else may take those jobs.
    let other = app
        .store
        .claim_jobs("alive", now, 60_000, 100)
        .await
        .unwrap();
    assert!(other.iter().all(|j| held.iter().all(|h| h.id != j.id)));
    app.clock.advance(Duration::seconds(61));
    let taken = app
        .store
        .claim_jobs("alive", app.clock.now(), 60_000, 100)
        .await
        .unwrap();
    for h in &held {
        let t = taken.iter().find(|j| j.id == h.id).expect("taken over");
        assert_eq!(t.attempts, h.attempts + 1);
    }
    // The late runner's "done" no longer counts: the job is the new holder's.
    for h in &held {
        app.store
            .finish_job(h.id, "crashed", app.clock.now())
            .await
            .unwrap();
    }
    assert_eq!(
        app.read(&app.admin, "/api/v1/jobs?status=running")
            .await
            .as_array()
            .unwrap()
            .len(),
        taken.len()
    );
}
