//! SLA what-if (issue 23): a past period's tickets replayed under a candidate policy keep
//! their own life; only the promises change, and the tickets that flip are named.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use loopdesk_core::clock::Clock;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, PASSWORD};
use crate::on_both_backends;

on_both_backends!(a_tighter_or_looser_policy_replayed_on_last_weeks_tickets_names_the_flips);

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

async fn a_tighter_or_looser_policy_replayed_on_last_weeks_tickets_names_the_flips(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("wi-agent", &["agent"], json!({})).await;
    app.user("wi-boss", &["manager"], json!({})).await;
    let (customer, _) = app.customer(&agent, "华东物业", "13800000077").await;
    let policies = app.read(&app.admin, "/api/v1/sla-policies").await;
    let default = policies[0]["id"].as_str().unwrap().to_owned();
    let t0 = app.clock.now();
    // Three P3 requests (the default policy: resolved within 24 hours). A is fixed after 10
    // hours, B after 30, C is still open.
    let a = app.ticket(&agent, &customer, "A 打印机卡纸").await;
    let b = app.ticket(&agent, &customer, "B 空调不制冷").await;
    let c = app.ticket(&agent, &customer, "C 门禁失灵").await;
    // (Sessions end after hours of quiet: each step signs in again.)
    app.clock.advance(Duration::hours(10));
    let agent = app.login("wi-agent", PASSWORD).await;
    app.resolve_remotely(&agent, &a, "清理卡纸").await;
    app.clock.advance(Duration::hours(20));
    let agent = app.login("wi-agent", PASSWORD).await;
    app.resolve_remotely(&agent, &b, "补充冷媒").await;
    app.clock.advance(Duration::hours(1));
    let agent = app.login("wi-agent", PASSWORD).await;
    let manager = app.login("wi-boss", PASSWORD).await;

    let period = (t0 - Duration::hours(1), t0 + Duration::hours(1));
    let ask =
        |policy: Value| json!({ "from": time(period.0), "to": time(period.1), "policy": policy });
    let number = |t: &Value| t["number"].as_str().unwrap().to_owned();

    // Eight hours instead of 24: A would have been late too.
    let tight = app
        .ok(
            &manager,
            "/api/v1/sla/what-if",
            ask(json!({ "replaces": default, "first_response_minutes": 60,
                        "resolution_minutes": 480 })),
            200,
        )
        .await;
    assert_eq!(tight["total"]["tickets"], 3, "{tight}");
    assert_eq!(
        tight["total"]["resolution"],
        json!({ "now": 2, "candidate": 3 }),
        "{tight}"
    );
    assert_eq!(tight["flips_total"], 1);
    assert_eq!(tight["flips"][0]["number"], number(&a));
    assert_eq!(tight["flips"][0]["target"], "resolution");
    assert_eq!(tight["flips"][0]["now"], "on_time");
    assert_eq!(tight["flips"][0]["candidate"], "late");
    assert_eq!(tight["groups"][0]["priority"], 3);
    assert_eq!(tight["groups"][0]["resolution"]["candidate"], 3);

    // Two days: B would have been in time, and C is not late yet.
    let loose = app
        .ok(
            &manager,
            "/api/v1/sla/what-if",
            ask(json!({ "replaces": default, "first_response_minutes": 60,
                        "resolution_minutes": 2880 })),
            200,
        )
        .await;
    assert_eq!(
        loose["total"]["resolution"],
        json!({ "now": 2, "candidate": 0 }),
        "{loose}"
    );
    let mut flipped: Vec<String> = loose["flips"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["number"].as_str().unwrap().to_owned())
        .collect();
    flipped.sort();
    let mut expected = vec![number(&b), number(&c)];
    expected.sort();
    assert_eq!(flipped, expected, "{loose}");

    // A policy for elevators only governs none of them: nothing changes.
    let beside = app
        .ok(
            &manager,
            "/api/v1/sla/what-if",
            ask(
                json!({ "category": "elevator", "first_response_minutes": 15,
                        "resolution_minutes": 60 }),
            ),
            200,
        )
        .await;
    assert_eq!(beside["flips_total"], 0, "{beside}");
    assert_eq!(
        beside["total"]["resolution"],
        json!({ "now": 2, "candidate": 2 })
    );

    // Bad input names the field; the desk may not ask.
    let now = app.clock.now();
    let good = json!({ "first_response_minutes": 60, "resolution_minutes": 480 });
    for (body, field) in [
        (
            json!({ "from": time(now), "to": time(now - Duration::hours(1)), "policy": good }),
            "to",
        ),
        (
            json!({ "from": time(now - Duration::days(400)), "to": time(now), "policy": good }),
            "from",
        ),
        (
            json!({ "from": "yesterday", "to": time(now), "policy": good }),
            "from",
        ),
        (
            ask(json!({ "first_response_minutes": 0, "resolution_minutes": 480 })),
            "first_response_minutes",
        ),
        (
            ask(
                json!({ "replaces": uuid::Uuid::new_v4(), "first_response_minutes": 60,
                     "resolution_minutes": 480 }),
            ),
            "replaces",
        ),
    ] {
        let e = app.ok(&manager, "/api/v1/sla/what-if", body, 422).await;
        assert_eq!(e["field"], field, "{e}");
    }
    let e = app.ok(&agent, "/api/v1/sla/what-if", ask(good), 403).await;
    assert_eq!(e["error"], "forbidden", "{e}");
}
