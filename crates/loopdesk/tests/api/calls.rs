//! Phone calls (issue 22): a PBX posts signed call events to a phone channel; each call is one
//! record whatever order its events come in; the caller's card pops on the agent's pages; a
//! missed call waits in the desk as a callback until someone calls back or records the request.

use std::time::Duration;

use loopdesk_core::signing::body_signature;
use reqwest::Response;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both_backends;
use crate::pages::Browser;

on_both_backends!(
    a_call_is_one_record_whatever_order_its_events_come_in_and_only_signed_events_count,
    a_missed_call_waits_as_a_callback_until_someone_calls_back_or_records_the_request,
    a_ringing_call_pops_the_callers_card_on_the_agents_pages,
);

async fn phone_channel(app: &TestApp) -> (String, String) {
    let c = app
        .ok(
            &app.admin,
            "/api/v1/channels",
            json!({ "kind": "phone", "name": "400 热线" }),
            201,
        )
        .await;
    (
        c["id"].as_str().unwrap().to_owned(),
        c["secret"].as_str().unwrap().to_owned(),
    )
}

async fn post_event(
    app: &TestApp,
    channel: &str,
    signature: Option<&str>,
    body: &[u8],
) -> Response {
    let mut req = app
        .client
        .post(app.url(&format!("/api/v1/channels/{channel}/events")))
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(s) = signature {
        req = req.header("x-loopdesk-signature", s);
    }
    req.send().await.unwrap()
}

/// Posts one event signed with the channel's secret; answers the status and the body.
async fn event(app: &TestApp, channel: &str, secret: &str, e: Value) -> (u16, Value) {
    let raw = serde_json::to_vec(&e).unwrap();
    let r = post_event(app, channel, Some(&body_signature(secret, &raw)), &raw).await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn ev(call: &str, kind: &str, from: &str, to: &str, at: &str) -> Value {
    json!({ "call_id": call, "event": kind, "from": from, "to": to, "at": at })
}

async fn a_call_is_one_record_whatever_order_its_events_come_in_and_only_signed_events_count(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let (channel, secret) = phone_channel(&app).await;
    let (customer, _) = app.customer(&app.admin, "申江制冷", "13800138000").await;
    let (_, agent) = app.user("agent7", &["agent"], json!({})).await;
    let calls = || app.count("SELECT COUNT(*) FROM calls");

    // Unsigned, wrongly signed, signed with another key, or for no channel: 401, nothing kept.
    let ring = serde_json::to_vec(&ev(
        "c-1",
        "ringing",
        "138-0013-8000",
        "400-800-1234",
        "2026-12-07T10:00:00+08:00",
    ))
    .unwrap();
    for sig in [
        None,
        Some("sha256=00"),
        Some(body_signature("not-the-secret", &ring).as_str()),
    ] {
        let r = post_event(&app, &channel, sig, &ring).await;
        assert_eq!(r.status(), 401, "{sig:?}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "unauthorized", "{body}");
    }
    let r = post_event(
        &app,
        "no-such-channel",
        Some(&body_signature(&secret, &ring)),
        &ring,
    )
    .await;
    assert_eq!(r.status(), 401);
    assert_eq!(calls().await, 0);

    // The end first, then the ring, then the answer twice: one call, as it happened.
    let mut end = ev(
        "c-1",
        "ended",
        "138-0013-8000",
        "400-800-1234",
        "2026-12-07T10:05:00+08:00",
    );
    end["recording_url"] = json!("https://pbx.example.cn/rec/c-1.mp3");
    end["transcript"] = json!("冷柜不制冷了，麻烦派人来看看");
    let mut answered = ev(
        "c-1",
        "answered",
        "13800138000",
        "4008001234",
        "2026-12-07T10:01:00+08:00",
    );
    answered["agent"] = json!("agent7");
    let mut ringing = ev(
        "c-1",
        "ringing",
        "13800138000",
        "4008001234",
        "2026-12-07T10:00:00+08:00",
    );
    ringing["agent"] = json!("agent7");
    for e in [end, ringing, answered.clone(), answered] {
        let (s, body) = event(&app, &channel, &secret, e).await;
        assert_eq!(s, 200, "{body}");
        assert_eq!(body, json!({ "call_id": "c-1", "customer_id": customer }));
    }
    assert_eq!(calls().await, 1);
    let log = app
        .read(&agent, &format!("/api/v1/calls?customer_id={customer}"))
        .await;
    let items = log["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{log}");
    let c = &items[0];
    assert_eq!(
        (
            c["direction"].as_str(),
            c["state"].as_str(),
            c["talk_seconds"].as_i64(),
            c["agent"].as_str()
        ),
        (Some("inbound"), Some("ended"), Some(240), Some("agent7"))
    );
    assert_eq!(c["customer_phone"], "13800138000");
    assert_eq!(c["customer_name"], "申江制冷");
    assert_eq!(c["recording_url"], "https://pbx.example.cn/rec/c-1.mp3");
    assert_eq!(c["transcript"], "冷柜不制冷了，麻烦派人来看看");
    assert_eq!(
        c["callback"],
        Value::Null,
        "an answered call needs no callback"
    );
    assert_eq!(c["began_at"], "2026-12-07T02:00:00Z");
    let one = app
        .read(
            &agent,
            &format!("/api/v1/calls/{}", c["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(one["call_id"], "c-1");
    // The line's health counts its day's calls by how they went.
    let health = app.read(&app.admin, "/api/v1/channels/health").await;
    let line = health
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["channel_id"] == channel.as_str())
        .unwrap();
    assert_eq!(line["calls_last_day"], json!({ "ended": 1 }), "{health}");
    assert_eq!(line["daily"][13]["received"], 1, "{health}");
    assert!(line["last_call_at"].is_string());

    // Bad fields are named; nothing is kept of them.
    for (e, field) in [
        (
            ev(
                "c-2",
                "hangup",
                "13800138000",
                "4008001234",
                "2026-12-07T10:00:00Z",
            ),
            "event",
        ),
        (
            ev("c-2", "ringing", "13800138000", "4008001234", "yesterday"),
            "at",
        ),
        (
            ev(
                "c-2",
                "ringing",
                "call me",
                "4008001234",
                "2026-12-07T10:00:00Z",
            ),
            "from",
        ),
        (
            ev(
                "",
                "ringing",
                "13800138000",
                "4008001234",
                "2026-12-07T10:00:00Z",
            ),
            "call_id",
        ),
    ] {
        let (s, body) = event(&app, &channel, &secret, e).await;
        assert_eq!((s, body["field"].as_str()), (422, Some(field)), "{body}");
    }
    let (s, body) = event(&app, &channel, &secret, json!({ "call_id": "c-2" })).await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(calls().await, 1);

    // A mail channel's secret does not sign call events; a paused line takes none.
    let mail = app
        .ok(
            &app.admin,
            "/api/v1/channels",
            json!({ "kind": "email", "name": "邮箱", "address": "s@loopdesk.test" }),
            201,
        )
        .await;
    let (s, body) = event(
        &app,
        mail["id"].as_str().unwrap(),
        mail["secret"].as_str().unwrap(),
        ev(
            "c-3",
            "ringing",
            "13800138000",
            "4008001234",
            "2026-12-07T10:00:00Z",
        ),
    )
    .await;
    assert_eq!(
        (s, body["field"].as_str()),
        (422, Some("channel")),
        "{body}"
    );
    let (s, _) = app
        .patch(
            &app.admin,
            &format!("/api/v1/channels/{channel}"),
            json!({ "active": false }),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = event(
        &app,
        &channel,
        &secret,
        ev(
            "c-3",
            "ringing",
            "13800138000",
            "4008001234",
            "2026-12-07T10:00:00Z",
        ),
    )
    .await;
    assert_eq!(s, 403);
    assert_eq!(calls().await, 1);

    // The call log is the desk's: not an engineer's, not a customer's, not another tenant's.
    let (_, engineer) = app.user("eng7", &["engineer"], json!({})).await;
    let (_, manager) = app.user("mgr7", &["manager"], json!({})).await;
    for who in [&engineer, &manager] {
        let r = app.get(who, "/api/v1/calls").await;
        assert_eq!(r.status(), 403);
    }
    let other = app
        .other_tenant_user("other", "agent9", loopdesk_core::Role::Agent)
        .await;
    let theirs = app.read(&other, "/api/v1/calls").await;
    assert_eq!(theirs["items"], json!([]));
    let r = app
        .get(
            &other,
            &format!("/api/v1/calls/{}", c["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(r.status(), 404);
    let r = app.get(&agent, "/api/v1/calls?callback=maybe").await;
    assert_eq!(r.status(), 422);
}

async fn a_missed_call_waits_as_a_callback_until_someone_calls_back_or_records_the_request(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let (channel, secret) = phone_channel(&app).await;
    let (customer, site) = app.customer(&app.admin, "申江制冷", "13800138000").await;
    let (_, agent) = app.user("agent7", &["agent"], json!({})).await;
    let open = |token: String| {
        let app = &app;
        async move {
            app.read(&token, "/api/v1/calls?callback=open").await["items"]
                .as_array()
                .unwrap()
                .len()
        }
    };

    // The customer rings and nobody picks up; so does a stranger (who hangs up: an end with
    // no answer is missed too).
    for (call, from, last) in [
        ("m-1", "13800138000", "missed"),
        ("m-2", "13912345678", "ended"),
    ] {
        let (s, _) = event(
            &app,
            &channel,
            &secret,
            ev(
                call,
                "ringing",
                from,
                "4008001234",
                "2026-12-07T09:00:00+08:00",
            ),
        )
        .await;
        assert_eq!(s, 200);
        let (s, body) = event(
            &app,
            &channel,
            &secret,
            ev(call, last, from, "4008001234", "2026-12-07T09:00:30+08:00"),
        )
        .await;
        assert_eq!(s, 200);
        assert_eq!(
            body["customer_id"],
            if from == "13800138000" {
                json!(customer)
            } else {
                Value::Null
            }
        );
    }
    assert_eq!(open(agent.clone()).await, 2);
    // The desk shows them waiting.
    let mut b = Browser::signed_in(&app, "agent7").await;
    let (s, html, _) = b.get(&app, "/desk").await;
    assert_eq!(s, 200);
    assert!(html.contains("href=\"/desk/calls\""), "{html}");
    let (s, html, _) = b.get(&app, "/desk/calls").await;
    assert_eq!(s, 200);
    assert!(
        html.contains("13912345678") && html.contains("申江制冷") && html.contains("待回电"),
        "{html}"
    );

    // A third call is missed, then the PBX reports late that it was answered: no callback.
    for e in [
        ev(
            "m-3",
            "missed",
            "13800138000",
            "4008001234",
            "2026-12-07T09:10:30+08:00",
        ),
        ev(
            "m-3",
            "answered",
            "13800138000",
            "4008001234",
            "2026-12-07T09:10:10+08:00",
        ),
    ] {
        let (s, _) = event(&app, &channel, &secret, e).await;
        assert_eq!(s, 200);
    }
    assert_eq!(open(agent.clone()).await, 2);

    // The agent calls the customer back (out, answered): the customer's callback is done.
    for kind in ["ringing", "answered", "ended"] {
        let (s, body) = event(
            &app,
            &channel,
            &secret,
            ev(
                "o-1",
                kind,
                "4008001234",
                "13800138000",
                "2026-12-07T09:20:00+08:00",
            ),
        )
        .await;
        assert_eq!((s, &body["customer_id"]), (200, &json!(customer)), "{body}");
    }
    let all = app.read(&agent, "/api/v1/calls").await;
    let out = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["call_id"] == "o-1")
        .unwrap()
        .clone();
    assert_eq!(
        (out["direction"].as_str(), out["callback"].as_str()),
        (Some("outbound"), None)
    );
    let waiting = app.read(&agent, "/api/v1/calls?callback=open").await;
    let waiting = waiting["items"].as_array().unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0]["call_id"], "m-2");
    let stranger = waiting[0]["id"].as_str().unwrap().to_owned();

    // The stranger's request is recorded from the call: a new customer on the number, the
    // ticket, the call on the ticket, the callback done.
    let (s, html, _) = b
        .get(
            &app,
            &format!("/desk/intake?phone=13912345678&call={stranger}"),
        )
        .await;
    assert_eq!(s, 200);
    assert!(
        html.contains(&format!("name=\"call\" value=\"{stranger}\"")),
        "{html}"
    );
    let key = uuid::Uuid::new_v4().to_string();
    let (s, _, to) = b
        .post(
            &app,
            "/desk/intake/new",
            &[
                ("phone", "13912345678"),
                ("name", "徐汇小超市"),
                ("kind", "company"),
                ("subject", "冰柜报警"),
                ("description", "回电时客户说冰柜一直报警"),
                ("priority", "2"),
                ("submission", &key),
                ("call", &stranger),
            ],
        )
        .await;
    assert_eq!(s, 303);
    let ticket = to.unwrap().trim_start_matches("/t/").to_owned();
    let call = app.read(&agent, &format!("/api/v1/calls/{stranger}")).await;
    assert_eq!(call["ticket_id"], ticket.as_str());
    assert_eq!(call["callback"], "done");
    assert!(call["customer_id"].is_string(), "the new customer: {call}");
    let on_ticket = app
        .read(&agent, &format!("/api/v1/calls?ticket_id={ticket}"))
        .await;
    assert_eq!(on_ticket["items"].as_array().unwrap().len(), 1);
    let (_, html, _) = b.get(&app, &format!("/t/{ticket}")).await;
    assert!(
        html.contains("table class=\"calls\""),
        "the call shows on the ticket: {html}"
    );
    assert_eq!(open(agent.clone()).await, 0);

    // Marked by hand: done, and done again is still done; a call with no callback says so.
    let (s, _) = event(
        &app,
        &channel,
        &secret,
        ev(
            "m-4",
            "missed",
            "13800138000",
            "4008001234",
            "2026-12-07T11:00:00+08:00",
        ),
    )
    .await;
    assert_eq!(s, 200);
    let m4 = app.read(&agent, "/api/v1/calls?callback=open").await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..2 {
        let done = app
            .ok(
                &agent,
                &format!("/api/v1/calls/{m4}/callback-done"),
                json!({}),
                200,
            )
            .await;
        assert_eq!(done["callback"], "done");
    }
    let o1 = out["id"].as_str().unwrap();
    let r = app
        .post_json(
            &agent,
            &format!("/api/v1/calls/{o1}/callback-done"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 422);
    // The customer's page lists their calls.
    let (_, html, _) = b.get(&app, &format!("/customers/{customer}")).await;
    assert!(
        html.contains("table class=\"calls\"") && html.contains("呼出"),
        "{html}"
    );
    let _ = site;
}

async fn a_ringing_call_pops_the_callers_card_on_the_agents_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let (channel, secret) = phone_channel(&app).await;
    app.customer(&app.admin, "申江制冷", "13800138000").await;
    app.user("agent7", &["agent"], json!({})).await;
    let b = Browser::signed_in(&app, "agent7").await;
    // Every page of someone who takes calls listens for them.
    let mut b2 = Browser::signed_in(&app, "agent7").await;
    let (_, html, _) = b2.get(&app, "/customers").await;
    assert!(
        html.contains("data-calls=\"/live/calls\"") && html.contains("id=\"call-pop\""),
        "{html}"
    );

    let mut stream = app
        .client
        .get(app.url("/live/calls"))
        .header("cookie", b.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let mut ring = ev(
        "p-1",
        "ringing",
        "13800138000",
        "4008001234",
        "2026-12-07T10:00:00+08:00",
    );
    ring["agent"] = json!("agent7");
    let (s, _) = event(&app, &channel, &secret, ring).await;
    assert_eq!(s, 200);
    let mut seen = String::new();
    let told = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(chunk) = stream.chunk().await.unwrap() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("event: call") {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(told, Ok(true), "the stream said: {seen}");
    let id = seen
        .lines()
        .skip_while(|l| !l.starts_with("event: call"))
        .find_map(|l| l.strip_prefix("data: "))
        .unwrap()
        .trim()
        .to_owned();
    // The card: who calls, their equipment and tickets, one click to record the request.
    let (s, card, _) = b2.get(&app, &format!("/desk/calls/{id}/card")).await;
    assert_eq!(s, 200);
    assert!(
        card.contains("申江制冷")
            && card.contains(&format!("/desk/intake?phone=13800138000&amp;call={id}")),
        "{card}"
    );
    assert!(card.contains("来电"), "{card}");
    // Answered, then over: the stream tells each (the page draws the card again), and the
    // card says where the call stands.
    for (n, (state, at, word)) in [
        ("answered", "2026-12-07T10:00:20+08:00", "通话中"),
        ("ended", "2026-12-07T10:03:00+08:00", "通话结束"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut e = ev("p-1", state, "13800138000", "4008001234", at);
        e["agent"] = json!("agent7");
        assert_eq!(event(&app, &channel, &secret, e).await.0, 200);
        let want = n + 2;
        let told = tokio::time::timeout(Duration::from_secs(10), async {
            while seen.matches("event: call").count() < want {
                match stream.chunk().await.unwrap() {
                    Some(chunk) => seen.push_str(&String::from_utf8_lossy(&chunk)),
                    None => return false,
                }
            }
            true
        })
        .await;
        assert_eq!(told, Ok(true), "the stream said: {seen}");
        let (_, card, _) = b2.get(&app, &format!("/desk/calls/{id}/card")).await;
        assert!(card.contains(word), "{state}: {card}");
    }
    // Someone who does not take calls has nothing to listen to, and no card to read.
    app.user("eng7", &["engineer"], json!({})).await;
    let mut e = Browser::signed_in(&app, "eng7").await;
    let (s, _, _) = e.get(&app, "/live/calls").await;
    assert_eq!(s, 204);
    let (s, _, _) = e.get(&app, &format!("/desk/calls/{id}/card")).await;
    assert_eq!(s, 403);
}
