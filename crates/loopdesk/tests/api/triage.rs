//! Triage (issue 23): models trained on the tenant's own tickets suggest category, priority
//! and team with the words behind them; urgency and sentiment from the shipped lexicon;
//! duplicates among the same customer's recent tickets.

use loopdesk_core::clock::Clock;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both_backends;
use crate::pages::Browser;

on_both_backends!(
    a_model_trained_on_the_tenants_tickets_suggests_and_explains,
    triage_refuses_bad_input_and_the_wrong_roles,
    urgent_words_are_recorded_and_tell_the_supervisors,
    the_model_sets_categories_above_the_tenants_threshold_and_people_correct_them,
);

const FAULTS: [(&str, &[&str], &[&str], i64); 3] = [
    (
        "aircon",
        &["空调", "中央空调", "空调外机"],
        &["不制冷", "漏水", "噪音很大", "显示E4"],
        3,
    ),
    (
        "elevator",
        &["电梯", "货梯", "2号梯"],
        &["困人", "异响", "门关不上", "停在三楼不动"],
        1,
    ),
    (
        "printer",
        &["打印机", "复印机", "一体机"],
        &["卡纸", "打印有黑线", "连不上网络", "缺墨"],
        4,
    ),
];
const PLACES: [&str; 5] = ["三楼会议室", "财务室", "一楼大厅", "仓库", "食堂"];

/// Files `n` tickets for `customer` as agents would: category, priority and team set by hand.
async fn history(app: &TestApp, customer: &str, teams: &[String], n: usize) {
    for i in 0..n {
        let (code, things, faults, priority) = FAULTS[i % 3];
        let thing = things[(i / 3) % things.len()];
        let fault = faults[(i / 7) % faults.len()];
        let place = PLACES[(i / 2) % PLACES.len()];
        let t = app
            .ok(
                &app.admin,
                "/api/v1/tickets",
                json!({
                    "subject": format!("{thing}{fault}"),
                    "description": format!("{place}的{thing}{fault}，请派人来看看"),
                    "priority": priority, "channel": "phone", "customer_id": customer,
                    "category": code,
                }),
                201,
            )
            .await;
        let (status, _) = app
            .send(
                reqwest::Method::POST,
                &app.admin,
                &format!("/api/v1/tickets/{}/team", t["id"].as_str().unwrap()),
                json!({ "team_id": teams[i % 3] }),
            )
            .await;
        assert_eq!(status, 204);
    }
}

/// The three categories and teams, and 60 tickets filed by hand ([`history`]); answers the
/// teams' ids.
async fn filed_history(app: &TestApp, customer: &str) -> Vec<String> {
    for (code, name) in [
        ("aircon", "空调"),
        ("elevator", "电梯"),
        ("printer", "打印机"),
    ] {
        app.ok(
            &app.admin,
            "/api/v1/categories",
            json!({ "code": code, "name": name }),
            201,
        )
        .await;
    }
    let mut teams = Vec::new();
    for name in ["暖通组", "电梯组", "IT组"] {
        let t = app
            .ok(&app.admin, "/api/v1/teams", json!({ "name": name }), 201)
            .await;
        teams.push(t["id"].as_str().unwrap().to_owned());
    }
    history(app, customer, &teams, 60).await;
    teams
}

async fn triage(app: &TestApp, token: &str, body: Value) -> Value {
    app.ok(token, "/api/v1/triage", body, 200).await
}

async fn a_model_trained_on_the_tenants_tickets_suggests_and_explains(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("triage-agent", &["agent"], json!({})).await;
    let (cust, _) = app.customer(&app.admin, "甲公司", "13800000001").await;

    // Before any model: no suggestions, no model, but urgency and sentiment already read.
    let before = triage(
        &app,
        &agent,
        json!({ "subject": "空调不制冷，非常着急，再不来就打12315投诉" }),
    )
    .await;
    assert_eq!(before["category"]["suggestions"], json!([]));
    assert_eq!(before["category"]["model"], Value::Null);
    assert_eq!(before["priority"], Value::Null);
    assert_eq!(before["team"], Value::Null);
    assert_eq!(before["urgency"]["level"], "critical", "{before}");
    let signals = before["urgency"]["signals"].to_string();
    assert!(
        signals.contains("着急") && signals.contains("投诉"),
        "{signals}"
    );
    assert!(
        before["sentiment"]["negative"].as_f64().unwrap() > 0.5,
        "{before}"
    );
    assert_eq!(before["articles"], json!([]));

    // Too few examples: the answer says how many there are and how many are needed.
    let e = app
        .ok(
            &app.admin,
            "/api/v1/triage/train",
            json!({ "target": "category" }),
            422,
        )
        .await;
    assert_eq!(e["field"], "target");
    assert!(e["message"].as_str().unwrap().contains("30"), "{e}");

    let teams = filed_history(&app, &cust).await;
    // Requests the system recorded with defaults (mail, chat, maintenance plans) teach nothing.
    let tenant = app.store.tenant_by_slug("default").await.unwrap().unwrap();
    for i in 0..10 {
        let new = loopdesk_store::NewTicket {
            subject: format!("系统自动生成 {i}"),
            description: String::new(),
            priority: 3,
            channel: loopdesk_core::ticket::Channel::Email,
            customer_id: None,
            contact_phone: None,
            site_id: None,
            asset_id: None,
            category: Some("aircon".into()),
            fields: None,
        };
        app.store
            .tenant(tenant.id)
            .create_ticket(
                &loopdesk_core::ticket::Actor::System,
                new,
                None,
                app.clock.now(),
            )
            .await
            .unwrap();
    }

    // The nightly job: nothing at 10:00 on the tenant's clock; at 03:00 every target with
    // enough examples is trained (sentiment has no survey comments yet), and only once.
    use loopdesk_jobs::triage::nightly;
    assert_eq!(nightly(&app.store, app.clock.now()).await.unwrap(), 0);
    app.clock.advance(chrono::Duration::hours(17));
    assert_eq!(nightly(&app.store, app.clock.now()).await.unwrap(), 3);
    assert_eq!(nightly(&app.store, app.clock.now()).await.unwrap(), 0);
    let t = triage(&app, &agent, json!({ "subject": "电梯困人" })).await;
    assert_eq!(
        t["category"]["model"]["trained_at"], "2026-11-24T19:00:00Z",
        "{t}"
    );

    let trained = app
        .ok(
            &app.admin,
            "/api/v1/triage/train",
            json!({ "target": "category" }),
            200,
        )
        .await;
    assert_eq!(trained["target"], "category");
    assert_eq!(trained["trained_on"], 60);
    assert_eq!(trained["classes"], 3);
    assert_eq!(trained["holdout"]["n"], 12);
    assert!(
        trained["holdout"]["accuracy"].as_f64().unwrap() >= 0.9,
        "{trained}"
    );
    assert!(
        trained["holdout"]["macro_f1"].as_f64().unwrap() >= 0.9,
        "{trained}"
    );
    for target in ["priority", "team"] {
        let t = app
            .ok(
                &app.admin,
                "/api/v1/triage/train",
                json!({ "target": target }),
                200,
            )
            .await;
        assert_eq!(t["trained_on"], 60, "{t}");
    }

    // Words it has seen, in a new phrasing: the right category first, with its words; the
    // priority and team of such tickets.
    let t = triage(
        &app,
        &agent,
        json!({ "subject": "办公室空调不制冷", "description": "开了一上午还是很热", "channel": "phone" }),
    )
    .await;
    let s = t["category"]["suggestions"].as_array().unwrap();
    assert!(!s.is_empty() && s.len() <= 3, "{t}");
    assert_eq!(s[0]["code"], "aircon", "{t}");
    assert!(s[0]["confidence"].as_f64().unwrap() > 0.5, "{t}");
    assert!(s[0]["words"].to_string().contains("空调"), "{t}");
    assert_eq!(t["category"]["model"]["trained_on"], 60);
    assert_eq!(t["priority"]["suggested"], 3, "{t}");
    assert_eq!(t["team"]["suggested"], teams[0].as_str(), "{t}");
    let lift = triage(&app, &agent, json!({ "subject": "货梯困人了" })).await;
    assert_eq!(
        lift["category"]["suggestions"][0]["code"], "elevator",
        "{lift}"
    );
    assert_eq!(lift["priority"]["suggested"], 1, "{lift}");
    assert_eq!(lift["team"]["suggested"], teams[1].as_str(), "{lift}");

    // At phone intake the panel is drawn while the agent types: the suggested kind and
    // urgency as buttons that fill the form, the words behind them; the kind chosen is kept.
    let mut b = Browser::signed_in(&app, "triage-agent").await;
    let (s, html, _) = b.get(&app, "/desk/intake?phone=13800000001").await;
    assert_eq!(s, 200);
    assert!(
        html.contains("data-triage=\"/desk/intake/triage\"") && html.contains("name=\"category\""),
        "{html}"
    );
    let (s, panel, _) = b
        .post(
            &app,
            "/desk/intake/triage",
            &[
                ("subject", "货梯困人了"),
                ("description", "非常着急，马上来"),
                ("customer_id", &cust),
            ],
        )
        .await;
    assert_eq!(s, 200);
    assert!(
        panel.contains("data-apply=\"category\" data-value=\"elevator\"")
            && panel.contains("电梯")
            && panel.contains("data-apply=\"priority\" data-value=\"1\"")
            && panel.contains("非常着急"),
        "{panel}"
    );
    let (_, empty, _) = b
        .post(&app, "/desk/intake/triage", &[("subject", " ")])
        .await;
    assert!(empty.is_empty());
    let (s, _, at) = b
        .post(
            &app,
            "/desk/intake",
            &[
                ("customer_id", &cust),
                ("phone", "13800000001"),
                ("subject", "货梯困人了"),
                ("description", ""),
                ("priority", "1"),
                ("category", "elevator"),
                ("submission", "triage-intake-1"),
            ],
        )
        .await;
    assert_eq!(s, 303);
    let id = at.unwrap().trim_start_matches("/t/").to_owned();
    let filed = app.read(&agent, &format!("/api/v1/tickets/{id}")).await;
    assert_eq!(filed["category"], "elevator");
    assert_eq!(filed["priority"], 1);

    // A category removed since training is not suggested.
    app.raw_sql("DELETE FROM categories WHERE code = 'aircon'")
        .await
        .unwrap();
    let t = triage(&app, &agent, json!({ "subject": "办公室空调不制冷" })).await;
    assert!(
        !t["category"]["suggestions"].to_string().contains("aircon"),
        "{t}"
    );

    // Duplicates: the same customer's recent ticket that reads alike, not another's.
    let (other, _) = app.customer(&app.admin, "乙公司", "13800000002").await;
    let mine = app
        .ticket(&agent, &cust, "食堂冷柜不制冷，温度降不下来")
        .await;
    app.ticket(&agent, &other, "食堂冷柜不制冷，温度降不下来")
        .await;
    let d = triage(
        &app,
        &agent,
        json!({ "subject": "冷柜还是不制冷", "description": "食堂冷柜温度降不下来", "customer_id": cust }),
    )
    .await;
    let dups = d["duplicates"].as_array().unwrap();
    assert_eq!(dups.len(), 1, "{d}");
    assert_eq!(dups[0]["ticket_id"], mine["id"]);
    assert_eq!(dups[0]["number"], mine["number"]);
    assert!(dups[0]["similarity"].as_f64().unwrap() >= 0.45, "{d}");
    // Filed anyway, the ticket page marks the look-alike open ticket as a possible duplicate,
    // first among the customer's open tickets, with the merge offered.
    let again = app
        .ticket(&agent, &cust, "冷柜还是不制冷，食堂冷柜温度降不下来")
        .await;
    let (_, page, _) = b
        .get(&app, &format!("/t/{}", again["id"].as_str().unwrap()))
        .await;
    let related = &page[page.find("class=\"card related\"").expect("related card")..];
    let first = related.find("/t/").unwrap();
    assert!(
        related[first..].starts_with(&format!("/t/{}", mine["id"].as_str().unwrap())),
        "{related}"
    );
    assert!(related.contains("可能重复 · 相似"), "{related}");
    // Without a customer or asset nothing is compared; another customer's tickets never show.
    let none = triage(&app, &agent, json!({ "subject": "冷柜还是不制冷" })).await;
    assert_eq!(none["duplicates"], json!([]));

    // Models are the tenant's own: another tenant has none.
    let outsider = app
        .other_tenant_user("other-triage", "o-agent", loopdesk_core::Role::Agent)
        .await;
    let theirs = triage(&app, &outsider, json!({ "subject": "办公室空调不制冷" })).await;
    assert_eq!(theirs["category"]["model"], Value::Null);
    assert_eq!(theirs["category"]["suggestions"], json!([]));
}

async fn triage_refuses_bad_input_and_the_wrong_roles(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("t-agent", &["agent"], json!({})).await;
    let (_, engineer) = app.user("t-eng", &["engineer"], json!({})).await;
    let (_, manager) = app.user("t-mgr", &["manager"], json!({})).await;
    for (body, field) in [
        (json!({ "subject": "   " }), "subject"),
        (json!({ "subject": "x", "colour": "red" }), "colour"),
        (
            json!({ "subject": "x", "customer_id": "not-an-id" }),
            "customer_id",
        ),
    ] {
        let e = app.ok(&agent, "/api/v1/triage", body.clone(), 422).await;
        assert_eq!(e["field"], field, "{body} → {e}");
    }
    for token in [&engineer, &manager] {
        app.ok(token, "/api/v1/triage", json!({ "subject": "x" }), 403)
            .await;
    }
    let e = app
        .ok(
            &app.admin,
            "/api/v1/triage/train",
            json!({ "target": "colour" }),
            422,
        )
        .await;
    assert_eq!(e["field"], "target");
    app.ok(
        &agent,
        "/api/v1/triage/train",
        json!({ "target": "category" }),
        403,
    )
    .await;
    // Sentiment learns from survey comments: there are none yet.
    let e = app
        .ok(
            &app.admin,
            "/api/v1/triage/train",
            json!({ "target": "sentiment" }),
            422,
        )
        .await;
    assert!(e["message"].as_str().unwrap().contains('0'), "{e}");
}

fn kinds(detail: &Value) -> Vec<String> {
    detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

async fn urgent_words_are_recorded_and_tell_the_supervisors(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("u-agent", &["agent"], json!({})).await;
    let (_, supervisor) = app.user("u-sup", &["supervisor"], json!({})).await;
    let (cust, _) = app.customer(&app.admin, "丙公司", "13800000003").await;
    let (_, customer) = app
        .user("u-cust", &["customer"], json!({ "customer_id": cust }))
        .await;
    let runner = loopdesk_jobs::Runner::new(
        app.store.clone(),
        app.clock.clone(),
        "u".into(),
        loopdesk_jobs::RunnerConfig::default(),
    )
    .unwrap();

    // A calm request records nothing more than its creation.
    let calm = app.ticket(&agent, &cust, "打印机卡纸，下午有人在").await;
    let path = |t: &Value| format!("/api/v1/tickets/{}", t["id"].as_str().unwrap());
    assert!(!kinds(&app.read(&agent, &path(&calm)).await).contains(&"urgency_signalled".to_owned()));

    // One that threatens to escalate: the event with its words, for staff only, and the
    // supervisor's bell.
    let hot = app
        .ticket(&agent, &cust, "冷库坏了三天没人管，再不来修我就打12315投诉")
        .await;
    let detail = app.read(&agent, &path(&hot)).await;
    let event = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "urgency_signalled")
        .cloned()
        .unwrap_or_else(|| panic!("{detail}"));
    assert_eq!(event["data"]["level"], "critical");
    assert_eq!(event["data"]["source"], "request");
    let words = event["data"]["signals"].to_string();
    assert!(
        words.contains("12315") && words.contains("没人管"),
        "{words}"
    );
    let seen = app.read(&customer, &path(&hot)).await;
    assert!(
        !kinds(&seen).contains(&"urgency_signalled".to_owned()),
        "{seen}"
    );
    runner.drain().await.unwrap();
    let bell = app.read(&supervisor, "/api/v1/notifications").await;
    let urgent: Vec<&Value> = bell["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["event"] == "ticket.urgent")
        .collect();
    assert_eq!(urgent.len(), 1, "{bell}");
    assert_eq!(urgent[0]["ticket_id"], hot["id"]);
    let none = app.read(&agent, "/api/v1/notifications").await;
    assert!(!none.to_string().contains("ticket.urgent"), "{none}");

    // The customer's own reply in a hurry counts too; an agent's note quoting them does not.
    let comments = format!("{}/comments", path(&calm));
    app.ok(
        &agent,
        &comments,
        json!({ "body": "客户说非常着急，请尽快，马上要用" }),
        201,
    )
    .await;
    assert!(!kinds(&app.read(&agent, &path(&calm)).await).contains(&"urgency_signalled".to_owned()));
    app.ok(
        &customer,
        &comments,
        json!({ "body": "非常着急，请尽快，马上要用" }),
        201,
    )
    .await;
    let detail = app.read(&agent, &path(&calm)).await;
    let signalled: Vec<&Value> = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "urgency_signalled")
        .collect();
    assert_eq!(signalled.len(), 1, "{detail}");
    assert_eq!(signalled[0]["data"]["level"], "high");
    assert_eq!(signalled[0]["data"]["source"], "comment");
    // The ticket page shows it to staff with its words.
    let mut b = Browser::signed_in(&app, "u-agent").await;
    let (_, page, _) = b
        .get(&app, &format!("/t/{}", calm["id"].as_str().unwrap()))
        .await;
    assert!(
        page.contains("客户话语显示紧急") && page.contains("非常着急"),
        "{page}"
    );
}

/// Files a request as the mail or chat intake does: by the system, without a category.
async fn arrived(app: &TestApp, subject: &str) -> String {
    let tenant = app.store.tenant_by_slug("default").await.unwrap().unwrap();
    let new = loopdesk_store::NewTicket {
        subject: subject.to_owned(),
        description: String::new(),
        priority: 3,
        channel: loopdesk_core::ticket::Channel::Email,
        customer_id: None,
        contact_phone: None,
        site_id: None,
        asset_id: None,
        category: None,
        fields: None,
    };
    let t = app
        .store
        .tenant(tenant.id)
        .create_ticket(
            &loopdesk_core::ticket::Actor::System,
            new,
            None,
            app.clock.now(),
        )
        .await
        .unwrap();
    t.0.id.to_string()
}

async fn the_model_sets_categories_above_the_tenants_threshold_and_people_correct_them(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let (cust, _) = app.customer(&app.admin, "华东物业", "13800000001").await;
    let (_, agent) = app.user("cat-agent", &["agent"], json!({})).await;
    let (_, engineer) = app.user("cat-eng", &["engineer"], json!({})).await;
    filed_history(&app, &cust).await;
    let train = || async {
        app.ok(
            &app.admin,
            "/api/v1/triage/train",
            json!({ "target": "category" }),
            200,
        )
        .await["trained_on"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(train().await, 60);
    // An elevator's SLA is its own: the category brings it.
    let lift_policy = app
        .ok(
            &app.admin,
            "/api/v1/sla-policies",
            json!({ "name": "电梯", "category": "elevator", "first_response_minutes": 15,
                    "resolution_minutes": 120, "escalation": [] }),
            201,
        )
        .await["id"]
        .clone();

    // Off by default: the model only suggests.
    let settings = app.read(&agent, "/api/v1/triage/settings").await;
    assert_eq!(settings, json!({ "auto_category_above": null }));
    let quiet = arrived(&app, "货梯困人了").await;
    let now = app.clock.now();
    assert_eq!(
        loopdesk_jobs::triage::guess(&app.store, now).await.unwrap(),
        0
    );
    let t = app.read(&agent, &format!("/api/v1/tickets/{quiet}")).await;
    assert_eq!(t["category"], Value::Null);

    // An admin lets it set categories from 0.6; below an even chance is refused.
    for bad in [json!(0.3), json!(1.5)] {
        let (status, e) = app
            .send(
                reqwest::Method::PUT,
                &app.admin,
                "/api/v1/triage/settings",
                json!({ "auto_category_above": bad }),
            )
            .await;
        assert_eq!(status, 422);
        assert_eq!(e["field"], "auto_category_above", "{e}");
    }
    let (status, _) = app
        .send(
            reqwest::Method::PUT,
            &agent,
            "/api/v1/triage/settings",
            json!({ "auto_category_above": 0.6 }),
        )
        .await;
    assert_eq!(status, 403);
    let (status, set) = app
        .send(
            reqwest::Method::PUT,
            &app.admin,
            "/api/v1/triage/settings",
            json!({ "auto_category_above": 0.6 }),
        )
        .await;
    assert_eq!(status, 200, "{set}");
    assert_eq!(set["auto_category_above"], 0.6);

    // New mail: a stuck lift reads clearly, a greeting does not. Each is looked at once (the
    // one left alone before, too: it is still new).
    let lift = arrived(&app, "电梯困人，门关不上").await;
    let vague = arrived(&app, "你好").await;
    assert_eq!(
        loopdesk_jobs::triage::guess(&app.store, now).await.unwrap(),
        2
    );
    assert_eq!(
        loopdesk_jobs::triage::guess(&app.store, now).await.unwrap(),
        0
    );
    let t = app.read(&agent, &format!("/api/v1/tickets/{lift}")).await;
    assert_eq!(t["category"], "elevator", "{t}");
    assert_eq!(t["category_guessed"], true);
    assert_eq!(
        t["sla"]["policy_id"], lift_policy,
        "the category's SLA applies"
    );
    let guess = t["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "category_changed")
        .expect("the guess is recorded")
        .clone();
    assert_eq!(guess["actor"], Value::Null, "{guess}");
    assert!(
        guess["data"]["confidence"].as_f64().unwrap() >= 0.6,
        "{guess}"
    );
    let v = app.read(&agent, &format!("/api/v1/tickets/{vague}")).await;
    assert_eq!(v["category"], Value::Null, "{v}");
    let q = app.read(&agent, &format!("/api/v1/tickets/{quiet}")).await;
    assert_eq!(q["category"], "elevator", "{q}");

    // A guess teaches nothing until a person confirms or corrects it.
    assert_eq!(train().await, 60);
    let path = format!("/api/v1/tickets/{lift}/category");
    let version = t["version"].as_i64().unwrap();
    for (token, body, status, field) in [
        (
            &agent,
            json!({ "version": version, "category": "boiler" }),
            422,
            Some("category"),
        ),
        (
            &agent,
            json!({ "version": version - 1, "category": "elevator" }),
            409,
            None,
        ),
        // Not theirs: an engineer does not even see it.
        (
            &engineer,
            json!({ "version": version, "category": "elevator" }),
            404,
            None,
        ),
    ] {
        let (s, e) = app.send(reqwest::Method::POST, token, &path, body).await;
        assert_eq!(s, status, "{e}");
        if let Some(f) = field {
            assert_eq!(e["field"], f, "{e}");
        }
    }
    let (s, confirmed) = app
        .send(
            reqwest::Method::POST,
            &agent,
            &path,
            json!({ "version": version, "category": "elevator" }),
        )
        .await;
    assert_eq!(s, 200, "{confirmed}");
    assert_eq!(confirmed["category_guessed"], false);
    // The other guess was wrong: it is a printer that jams ("困" read as a lift).
    let q_version = q["version"].as_i64().unwrap();
    let (s, corrected) = app
        .send(
            reqwest::Method::POST,
            &agent,
            &format!("/api/v1/tickets/{quiet}/category"),
            json!({ "version": q_version, "category": "printer", "reason": "客户说是打印机" }),
        )
        .await;
    assert_eq!(s, 200, "{corrected}");
    assert_eq!(corrected["category"], "printer");
    assert_eq!(corrected["category_guessed"], false);
    assert_ne!(corrected["sla"]["policy_id"], lift_policy);
    let last = corrected["events"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["kind"], "category_changed");
    assert_eq!(last["data"]["from"], "elevator");
    assert_eq!(last["data"]["reason"], "客户说是打印机");
    assert!(last["actor"].is_string(), "{last}");
    // Both now teach.
    assert_eq!(train().await, 62);
}
