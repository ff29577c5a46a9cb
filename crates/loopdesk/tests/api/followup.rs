//! What happens around and after the work: customers told of each milestone on their own
//! channel (a real SMTP server, a real webhook receiver), staff mail, the survey behind its
//! signed link and the triage of its answer, auto-close, priority changes and re-applied
//! SLA policies.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use loopdesk_jobs::{Mailer, Runner, RunnerConfig};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp, PASSWORD};
use crate::mail::SmtpSink;
use crate::on_both_backends;

on_both_backends!(
    customers_hear_each_milestone_on_their_channel_and_staff_by_mail,
    the_survey_goes_out_once_and_its_answer_is_triaged,
    unconfirmed_fixes_close_by_themselves_and_not_fixed_opens_remediation,
    a_priority_change_moves_the_due_times_and_policies_can_be_reapplied,
    a_fix_older_than_the_survey_window_gets_no_survey,
);

pub(crate) fn runner(app: &TestApp, sink: &SmtpSink) -> Runner {
    let config = RunnerConfig {
        public_url: "http://survey.test/".into(),
        // The test's webhook receiver listens on loopback.
        webhook_allow: app.config.webhook_allow.clone(),
        ..RunnerConfig::default()
    };
    Runner::new(app.store.clone(), app.clock.clone(), "r".into(), config)
        .unwrap()
        .with_mailer(Mailer::new(&sink.url, "Loopdesk <service@loopdesk.test>").unwrap())
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

fn events<'a>(detail: &'a Value, kind: &str) -> Vec<&'a Value> {
    detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == kind)
        .collect()
}

/// A webhook receiver keeping the bodies it got.
pub(crate) async fn receiver(app: &TestApp, events: &[&str]) -> Arc<Mutex<Vec<Value>>> {
    let got = Arc::new(Mutex::new(Vec::new()));
    let kept = got.clone();
    let router = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: String| {
            let kept = kept.clone();
            async move {
                kept.lock()
                    .unwrap()
                    .push(serde_json::from_str::<Value>(&body).unwrap());
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    app.ok(
        &app.admin,
        "/api/v1/webhooks",
        json!({ "url": url, "secret": "whsec-0123456789abcdef", "events": events }),
        201,
    )
    .await;
    got
}

/// A customer with one contact as given; answers the customer id.
pub(crate) async fn customer(app: &TestApp, token: &str, name: &str, contact: Value) -> String {
    let c = app
        .ok(
            token,
            "/api/v1/customers",
            json!({ "name": name, "tier": "vip", "contacts": [contact] }),
            201,
        )
        .await;
    c["id"].as_str().unwrap().to_owned()
}

/// A ticket resolved remotely by the agent; answers the resolved ticket.
pub(crate) async fn resolved(app: &TestApp, agent: &str, customer: &str, subject: &str) -> Value {
    let t = app
        .ok(
            agent,
            "/api/v1/tickets",
            json!({ "subject": subject, "priority": 3, "channel": "phone", "customer_id": customer }),
            201,
        )
        .await;
    app.resolve_remotely(agent, &t, "远程指导重启后恢复").await
}

async fn customers_hear_each_milestone_on_their_channel_and_staff_by_mail(backend: Backend) {
    let app = spawn_app(backend).await;
    let sink = SmtpSink::start().await;
    let r = runner(&app, &sink);
    let (_, agent) = app.user("agent1", &["agent"], json!({})).await;
    let (engineer_id, engineer) = app
        .user(
            "eng1",
            &["engineer"],
            json!({ "email": "eng1@loopdesk.test", "notify_channel": "email" }),
        )
        .await;
    // Someone who only wants the bell gets no mail.
    app.user(
        "eng2",
        &["engineer"],
        json!({ "email": "eng2@loopdesk.test" }),
    )
    .await;
    let notices = receiver(&app, &["customer.notice"]).await;
    let by_mail = customer(
        &app,
        &agent,
        "Acme Ltd",
        json!({ "name": "Li Lei", "email": "li@acme.test", "lang": "en" }),
    )
    .await;
    let by_sms = customer(
        &app,
        &agent,
        "上海某餐厅",
        json!({ "name": "韩梅梅", "phone": "13800138000", "email": "han@canting.test", "notify_channel": "sms" }),
    )
    .await;

    let t = app
        .ok(
            &agent,
            "/api/v1/tickets",
            json!({ "subject": "Air conditioner down", "priority": 2, "channel": "phone", "customer_id": by_mail }),
            201,
        )
        .await;
    let number = t["number"].as_str().unwrap().to_owned();
    r.drain().await.unwrap();
    let mails = sink.to("li@acme.test");
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(
        mails[0].subject,
        format!("[{number}] We have your request: Air conditioner down")
    );
    assert!(mails[0].body.contains(&number), "{}", mails[0].body);

    let t = app
        .go(
            &agent,
            &t,
            json!({ "to": "assigned", "assignee_id": engineer_id }),
            200,
        )
        .await;
    r.drain().await.unwrap();
    let mails = sink.to("li@acme.test");
    assert_eq!(mails.len(), 2);
    assert!(
        mails[1].subject.contains("An engineer is assigned"),
        "{:?}",
        mails[1]
    );
    // The engineer asked for mail: one, in Chinese, with the number in the subject.
    let theirs = sink.to("eng1@loopdesk.test");
    assert_eq!(theirs.len(), 1, "{theirs:?}");
    assert_eq!(
        theirs[0].subject,
        format!("[{number}] 新工单派给您：Air conditioner down")
    );
    assert!(sink.to("eng2@loopdesk.test").is_empty());

    // Accepting is not news to the customer; setting off is.
    let t = app
        .go(&engineer, &t, json!({ "to": "accepted" }), 200)
        .await;
    r.drain().await.unwrap();
    assert_eq!(sink.to("li@acme.test").len(), 2);
    app.go(&engineer, &t, json!({ "to": "en_route" }), 200)
        .await;
    r.drain().await.unwrap();
    let mails = sink.to("li@acme.test");
    assert_eq!(mails.len(), 3);
    assert!(mails[2].subject.contains("on the way"), "{:?}", mails[2]);

    // An SMS customer gets no mail; the gateway gets the text, the number and the address.
    let s = app
        .ok(
            &agent,
            "/api/v1/tickets",
            json!({ "subject": "冰柜不制冷", "priority": 2, "channel": "phone", "customer_id": by_sms }),
            201,
        )
        .await;
    r.drain().await.unwrap();
    assert!(sink.to("han@canting.test").is_empty());
    let got = notices.lock().unwrap().clone();
    let sms: Vec<&Value> = got
        .iter()
        .filter(|n| n["ticket"]["id"] == s["id"])
        .collect();
    assert_eq!(sms.len(), 1, "{got:?}");
    assert_eq!(sms[0]["event"], "customer.notice");
    assert_eq!(sms[0]["data"]["channel"], "sms");
    assert_eq!(sms[0]["data"]["to"], "13800138000");
    assert_eq!(sms[0]["data"]["notice"], "accepted");
    assert_eq!(sms[0]["data"]["lang"], "zh-CN");
    assert!(sms[0]["data"]["text"]
        .as_str()
        .unwrap()
        .contains(s["number"].as_str().unwrap()));
    // The e-mail customer's milestones went to the gateway too (it decides what to send).
    assert_eq!(
        got.iter().filter(|n| n["ticket"]["id"] == t["id"]).count(),
        3
    );

    // Running again sends nothing twice.
    let before = sink.mails.lock().unwrap().len();
    r.drain().await.unwrap();
    assert_eq!(sink.mails.lock().unwrap().len(), before);
    assert_eq!(notices.lock().unwrap().len(), got.len());

    // A bad channel or language is refused with the field.
    let bad = app
        .ok(
            &agent,
            "/api/v1/customers",
            json!({ "name": "X", "contacts": [{ "name": "Y", "notify_channel": "fax" }] }),
            422,
        )
        .await;
    assert_eq!(bad["field"], "contacts.notify_channel");
    let bad = app
        .ok(
            &app.admin,
            "/api/v1/users",
            json!({ "username": "user9", "password": "user-password-1", "roles": ["agent"], "notify_channel": "pigeon" }),
            422,
        )
        .await;
    assert_eq!(bad["field"], "notify_channel");
}

/// Answers a survey through its link (no sign-in); asserts the status.
async fn answer(app: &TestApp, token: &str, body: Value, status: u16) -> Value {
    app.ok("", &format!("/api/v1/surveys/{token}"), body, status)
        .await
}

/// The token in a survey mail's link.
fn token_in(body: &str) -> String {
    let start = body.find("http://survey.test/survey/").expect("link") + 26;
    body[start..].split_whitespace().next().unwrap().to_owned()
}

async fn the_survey_goes_out_once_and_its_answer_is_triaged(backend: Backend) {
    let app = spawn_app(backend).await;
    let sink = SmtpSink::start().await;
    let r = runner(&app, &sink);
    let (_, agent) = app.user("agent1", &["agent"], json!({})).await;
    let (_, supervisor) = app.user("sup1", &["supervisor"], json!({})).await;
    let unhappy = customer(
        &app,
        &agent,
        "不满意公司",
        json!({ "name": "王五", "email": "wang@a.test" }),
    )
    .await;
    let t = resolved(&app, &agent, &unhappy, "门禁失灵").await;
    let id = t["id"].as_str().unwrap();
    r.drain().await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM surveys").await, 0);

    // An hour after resolution (the default delay) the survey goes out, once.
    app.clock.advance(Duration::minutes(61));
    r.drain().await.unwrap();
    r.drain().await.unwrap();
    let mails: Vec<_> = sink
        .to("wang@a.test")
        .into_iter()
        .filter(|m| m.subject.contains("请为本次服务评分"))
        .collect();
    assert_eq!(mails.len(), 1, "{:?}", sink.to("wang@a.test"));
    assert!(mails[0]
        .subject
        .starts_with(&format!("[{}]", t["number"].as_str().unwrap())));
    let token = token_in(&mails[0].body);
    // Admins watching the queue see the mail, but not the customer's credential in it.
    let jobs = app
        .read(&app.admin, "/api/v1/jobs?limit=500")
        .await
        .to_string();
    assert!(jobs.contains("/survey/…"), "{jobs}");
    assert!(!jobs.contains(&token), "{jobs}");

    // The link needs no sign-in; a tampered one is unknown.
    let view = app
        .client
        .get(app.url(&format!("/api/v1/surveys/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(view.status(), 200);
    let view: Value = view.json().await.unwrap();
    assert_eq!(view["number"], t["number"]);
    assert!(view["answered_at"].is_null());
    let mut forged = token.clone();
    let last = if forged.ends_with('0') { '1' } else { '0' };
    forged.pop();
    forged.push(last);
    let r404 = app
        .client
        .get(app.url(&format!("/api/v1/surveys/{forged}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r404.status(), 404);
    let page = app
        .client
        .get(app.url(&format!("/survey/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("服务评价") && html.contains("name=\"csat\""),
        "{html}"
    );
    let english = app
        .client
        .get(app.url(&format!("/survey/{token}?lang=en")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(english.contains("Rate our service"), "{english}");

    let bad = answer(&app, &token, json!({ "csat": 9, "nps": 5 }), 422).await;
    assert_eq!(bad["field"], "csat");
    answer(
        &app,
        &token,
        json!({ "csat": 2, "nps": 5, "comment": "师傅迟到了两小时" }),
        200,
    )
    .await;
    let again = answer(&app, &token, json!({ "csat": 5, "nps": 10 }), 409).await;
    assert_eq!(again["error"], "conflict");
    let form = app
        .client
        .post(app.url(&format!("/survey/{token}")))
        .form(&[("csat", "5"), ("nps", "10")])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 409);

    // A low score puts the ticket into the supervisors' remediation queue.
    let d = app.read(&agent, &format!("/api/v1/tickets/{id}")).await;
    assert_eq!(d["remediation"], "open");
    assert_eq!(events(&d, "survey_sent").len(), 1);
    let answered = events(&d, "survey_answered");
    assert_eq!(answered.len(), 1);
    assert_eq!(answered[0]["data"]["csat"], 2);
    // The customer's card carries the rating and what they wrote.
    let card = app.get(&agent, &format!("/customers/{unhappy}")).await;
    let html = card.text().await.unwrap();
    assert!(
        html.contains("CSAT 2/5") && html.contains("NPS 5") && html.contains("师傅迟到了两小时"),
        "{html}"
    );
    let opened = events(&d, "remediation_opened");
    assert_eq!(opened.len(), 1);
    assert_eq!(
        opened[0]["data"]["reasons"],
        json!(["low_csat", "detractor"])
    );
    let queue = app
        .read(&supervisor, "/api/v1/tickets?remediation=open")
        .await;
    let ids: Vec<&Value> = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["id"])
        .collect();
    assert_eq!(ids, vec![&t["id"]]);
    r.drain().await.unwrap();
    let bell = app.read(&supervisor, "/api/v1/notifications").await;
    assert!(
        bell["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["event"] == "ticket.remediation" && n["ticket_id"] == t["id"]),
        "{bell}"
    );
    // The bell counts unread notices; reading one, then all, brings it down to zero. Someone
    // else's ids change nothing.
    let unread = bell["unread"].as_i64().unwrap();
    assert!(unread >= 1, "{bell}");
    let first = bell["items"][0]["id"].clone();
    let read = "/api/v1/notifications/read";
    let marked = app.ok(&agent, read, json!({ "ids": [first] }), 200).await;
    assert_eq!(marked["marked"], 0);
    let marked = app
        .ok(&supervisor, read, json!({ "ids": [first] }), 200)
        .await;
    assert_eq!(marked["marked"], 1);
    let bell = app.read(&supervisor, "/api/v1/notifications").await;
    assert_eq!(bell["unread"], unread - 1);
    assert!(bell["items"][0]["read_at"].is_string());
    app.ok(&supervisor, read, json!({}), 200).await;
    assert_eq!(
        app.read(&supervisor, "/api/v1/notifications").await["unread"],
        0
    );
    // The agent may not close it; a supervisor does, with a note, once.
    let path = format!("/api/v1/tickets/{id}/remediation");
    app.ok(&agent, &path, json!({ "note": "已致电道歉" }), 403)
        .await;
    let done = app
        .ok(
            &supervisor,
            &path,
            json!({ "note": "已致电道歉并赠送一次保养" }),
            200,
        )
        .await;
    assert_eq!(done["remediation"], "done");
    let twice = app
        .ok(&supervisor, &path, json!({ "note": "再来一次" }), 422)
        .await;
    assert_eq!(twice["field"], "remediation");

    // Top scores tag the customer for the loyalty programme, and open nothing.
    let happy = customer(
        &app,
        &agent,
        "满意公司",
        json!({ "name": "赵六", "email": "zhao@b.test" }),
    )
    .await;
    let h = resolved(&app, &agent, &happy, "空调异响").await;
    app.clock.advance(Duration::minutes(61));
    r.drain().await.unwrap();
    let mail = sink
        .to("zhao@b.test")
        .into_iter()
        .find(|m| m.body.contains("/survey/"))
        .unwrap();
    answer(
        &app,
        &token_in(&mail.body),
        json!({ "csat": 5, "nps": 10 }),
        200,
    )
    .await;
    let c = app
        .read(&agent, &format!("/api/v1/customers/{happy}"))
        .await;
    assert_eq!(c["tags"], json!(["loyalty"]), "{c}");
    let hd = app
        .read(
            &agent,
            &format!("/api/v1/tickets/{}", h["id"].as_str().unwrap()),
        )
        .await;
    assert!(hd["remediation"].is_null());

    // A survey left too long expires.
    let late = customer(
        &app,
        &agent,
        "迟到公司",
        json!({ "name": "钱七", "email": "qian@c.test" }),
    )
    .await;
    resolved(&app, &agent, &late, "水泵漏水").await;
    app.clock.advance(Duration::minutes(61));
    r.drain().await.unwrap();
    let mail = sink
        .to("qian@c.test")
        .into_iter()
        .find(|m| m.body.contains("/survey/"))
        .unwrap();
    let token = token_in(&mail.body);
    app.clock.advance(Duration::days(15));
    let gone = answer(&app, &token, json!({ "csat": 4, "nps": 8 }), 410).await;
    assert_eq!(gone["error"], "gone");
    let page = app
        .client
        .get(app.url(&format!("/survey/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 410);
}

async fn unconfirmed_fixes_close_by_themselves_and_not_fixed_opens_remediation(backend: Backend) {
    let app = spawn_app(backend).await;
    let sink = SmtpSink::start().await;
    let r = runner(&app, &sink);
    let (_, agent) = app.user("agent1", &["agent"], json!({})).await;
    let put = |token: &str, body: Value| {
        app.client
            .put(app.url("/api/v1/settings/follow-up"))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let bad = put(
        &app.admin,
        json!({ "auto_close_days": 0, "survey_delay_minutes": 0, "survey_valid_days": 14 }),
    )
    .await
    .unwrap();
    assert_eq!(bad.status(), 422);
    assert_eq!(
        bad.json::<Value>().await.unwrap()["field"],
        "auto_close_days"
    );
    let denied = put(
        &agent,
        json!({ "auto_close_days": 3, "survey_delay_minutes": 0, "survey_valid_days": 14 }),
    )
    .await
    .unwrap();
    assert_eq!(denied.status(), 403);
    let ok = put(
        &app.admin,
        json!({ "auto_close_days": 3, "survey_delay_minutes": 0, "survey_valid_days": 14 }),
    )
    .await
    .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(
        app.read(&agent, "/api/v1/settings/follow-up").await["auto_close_days"],
        3
    );

    let cid = customer(
        &app,
        &agent,
        "沉默公司",
        json!({ "name": "孙八", "phone": "13900139000" }),
    )
    .await;
    let (_, customer_user) = app
        .user("cust1", &["customer"], json!({ "customer_id": cid }))
        .await;
    let quiet = resolved(&app, &agent, &cid, "网络中断").await;
    let unhappy = resolved(&app, &agent, &cid, "打印机卡纸").await;
    // The customer says the second one is not fixed: back to work, and into remediation.
    let reopened = app
        .go(
            &customer_user,
            &unhappy,
            json!({ "to": "in_progress", "reason": "还是卡纸" }),
            200,
        )
        .await;
    assert_eq!(reopened["remediation"], "open");
    // Remediation is the organisation's own work: recorded for staff, not in the customer's log.
    assert!(events(&reopened, "remediation_opened").is_empty());
    let as_staff = app
        .read(
            &agent,
            &format!("/api/v1/tickets/{}", unhappy["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(
        events(&as_staff, "remediation_opened")[0]["data"]["reasons"],
        json!(["not_fixed"])
    );

    let path = format!("/api/v1/tickets/{}", quiet["id"].as_str().unwrap());
    app.clock.advance(Duration::days(3) - Duration::minutes(1));
    r.drain().await.unwrap();
    // Test logins last a day.
    let agent = app.login("agent1", PASSWORD).await;
    assert_eq!(app.read(&agent, &path).await["status"], "resolved");
    app.clock.advance(Duration::minutes(2));
    r.drain().await.unwrap();
    r.drain().await.unwrap();
    let d = app.read(&agent, &path).await;
    assert_eq!(d["status"], "closed");
    assert_eq!(d["confirmed_by"], "auto");
    let closes = events(&d, "auto_close");
    assert_eq!(closes.len(), 1);
    assert!(closes[0]["actor"].is_null());
    assert_eq!(closes[0]["to_status"], "closed");
    // The reopened one is still being worked on.
    let u = app
        .read(
            &agent,
            &format!("/api/v1/tickets/{}", unhappy["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(u["status"], "in_progress");
}

async fn a_priority_change_moves_the_due_times_and_policies_can_be_reapplied(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent1", &["agent"], json!({})).await;
    let p1 = app
        .ok(
            &app.admin,
            "/api/v1/sla-policies",
            json!({ "name": "P1", "priority": 1, "first_response_minutes": 30, "resolution_minutes": 120,
                    "escalation": [{"level": 1, "after_breach_minutes": 0, "notify_roles": ["supervisor"]}] }),
            201,
        )
        .await;
    let cid = customer(
        &app,
        &agent,
        "优先公司",
        json!({ "name": "周九", "phone": "13700137000" }),
    )
    .await;
    let (_, customer_user) = app
        .user("cust1", &["customer"], json!({ "customer_id": cid }))
        .await;
    let t = app
        .ok(
            &agent,
            "/api/v1/tickets",
            json!({ "subject": "服务器宕机", "priority": 3, "channel": "phone", "customer_id": cid }),
            201,
        )
        .await;
    let created = time(&t["created_at"]);
    assert_ne!(t["sla"]["policy_id"], p1["id"]);
    let id = t["id"].as_str().unwrap();
    let path = format!("/api/v1/tickets/{id}/priority");
    let v = t["version"].as_i64().unwrap();
    app.ok(
        &customer_user,
        &path,
        json!({ "version": v, "priority": 1 }),
        403,
    )
    .await;
    app.ok(
        &agent,
        &path,
        json!({ "version": v + 5, "priority": 1 }),
        409,
    )
    .await;
    let bad = app
        .ok(&agent, &path, json!({ "version": v, "priority": 7 }), 422)
        .await;
    assert_eq!(bad["field"], "priority");
    app.ok(
        &agent,
        "/api/v1/tickets/00000000-0000-0000-0000-000000000000/priority",
        json!({ "version": 1, "priority": 1 }),
        404,
    )
    .await;

    app.clock.advance(Duration::minutes(10));
    let up = app
        .ok(
            &agent,
            &path,
            json!({ "version": v, "priority": 1, "reason": "客户生产停摆" }),
            200,
        )
        .await;
    assert_eq!(up["priority"], 1);
    assert_eq!(up["version"], v + 1);
    assert_eq!(up["sla"]["policy_id"], p1["id"]);
    // Due times come from the new targets on the ticket's own clock (started at creation).
    assert_eq!(
        time(&up["sla"]["resolution_due"]),
        created + Duration::minutes(120)
    );
    assert_eq!(
        time(&up["sla"]["first_response_due"]),
        created + Duration::minutes(30)
    );
    let changed = events(&up, "priority_changed");
    assert_eq!(changed.len(), 1);
    assert_eq!(
        changed[0]["data"],
        json!({ "from": 3, "to": 1, "reason": "客户生产停摆" })
    );
    let same = app
        .ok(
            &agent,
            &path,
            json!({ "version": v + 1, "priority": 1 }),
            200,
        )
        .await;
    assert_eq!(same["version"], v + 1);

    // A new policy reaches the open tickets it fits only when re-applied.
    let other = app
        .ok(
            &agent,
            "/api/v1/tickets",
            json!({ "subject": "显示器闪烁", "priority": 3, "channel": "phone", "customer_id": cid }),
            201,
        )
        .await;
    let vip = app
        .ok(
            &app.admin,
            "/api/v1/sla-policies",
            json!({ "name": "VIP P3", "priority": 3, "customer_tier": "vip", "first_response_minutes": 20,
                    "resolution_minutes": 600, "escalation": [] }),
            201,
        )
        .await;
    let opath = format!("/api/v1/tickets/{}", other["id"].as_str().unwrap());
    assert_ne!(
        app.read(&agent, &opath).await["sla"]["policy_id"],
        vip["id"]
    );
    let apply = format!("/api/v1/sla-policies/{}/apply", vip["id"].as_str().unwrap());
    app.ok(&agent, &apply, json!({}), 403).await;
    app.ok(
        &app.admin,
        "/api/v1/sla-policies/00000000-0000-0000-0000-000000000000/apply",
        json!({}),
        404,
    )
    .await;
    let applied = app.ok(&app.admin, &apply, json!({}), 200).await;
    assert_eq!(
        applied["tickets"], 1,
        "only the open P3 ticket of a VIP fits"
    );
    let o = app.read(&agent, &opath).await;
    assert_eq!(o["sla"]["policy_id"], vip["id"]);
    assert_eq!(
        time(&o["sla"]["resolution_due"]),
        time(&other["created_at"]) + Duration::minutes(600)
    );
    // The P1 ticket keeps its policy.
    assert_eq!(
        app.read(&agent, &format!("/api/v1/tickets/{id}")).await["sla"]["policy_id"],
        p1["id"]
    );

    // Calendars can be listed and edited.
    let cal = app
        .ok(
            &app.admin,
            "/api/v1/calendars",
            json!({ "name": "工作日" }),
            201,
        )
        .await;
    let list = app.read(&app.admin, "/api/v1/calendars").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let put = |path: String, body: Value| {
        app.client
            .put(app.url(&path))
            .bearer_auth(&app.admin)
            .json(&body)
            .send()
    };
    let renamed = put(
        format!("/api/v1/calendars/{}", cal["id"].as_str().unwrap()),
        json!({ "name": "工作日（2027）" }),
    )
    .await
    .unwrap();
    assert_eq!(renamed.status(), 200);
    assert_eq!(
        app.read(&app.admin, "/api/v1/calendars").await[0]["name"],
        "工作日（2027）"
    );
    let missing = put(
        "/api/v1/calendars/00000000-0000-0000-0000-000000000000".into(),
        json!({ "name": "x" }),
    )
    .await
    .unwrap();
    assert_eq!(missing.status(), 404);
    let blank = put(
        format!("/api/v1/calendars/{}", cal["id"].as_str().unwrap()),
        json!({ "name": " " }),
    )
    .await
    .unwrap();
    assert_eq!(blank.status(), 422);
}

async fn a_fix_older_than_the_survey_window_gets_no_survey(backend: Backend) {
    let app = spawn_app(backend).await;
    let sink = SmtpSink::start().await;
    let r = runner(&app, &sink);
    let (_, agent) = app.user("agent1", &["agent"], json!({})).await;
    let c = customer(
        &app,
        &agent,
        "老客户",
        json!({ "name": "赵六", "email": "zhao@a.test" }),
    )
    .await;
    let t = resolved(&app, &agent, &c, "打印机卡纸").await;
    // The jobs stood still for 80 days (a stopped runner, a restored backup): the survey of
    // that fix no longer goes out, though the ticket still closes by itself.
    app.clock.advance(Duration::days(80));
    r.drain().await.unwrap();
    r.drain().await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM surveys").await, 0);
    let agent = app.login("agent1", PASSWORD).await;
    assert!(sink
        .to("zhao@a.test")
        .iter()
        .all(|m| !m.subject.contains("请为本次服务评分")));
    let closed = app
        .read(
            &agent,
            &format!("/api/v1/tickets/{}", t["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(closed["status"], "closed");
    // A fix of today still gets its survey.
    let fresh = resolved(&app, &agent, &c, "复印机缺粉").await;
    app.clock.advance(Duration::minutes(61));
    r.drain().await.unwrap();
    r.drain().await.unwrap();
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM surveys WHERE ticket_id = '{}'",
            fresh["id"].as_str().unwrap()
        ))
        .await,
        1
    );
}
