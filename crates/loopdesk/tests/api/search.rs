//! Search (`GET /api/v1/search`, and `q` on the ticket list): Chinese words, numbers and
//! phones in any spelling, marks in escaped text, the list's visibility, and every match
//! reachable page by page.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    finds_tickets_customers_and_assets_by_words_numbers_and_phones,
    finds_what_the_ticket_list_shows_and_no_more,
    every_match_is_reachable_page_by_page,
    the_ticket_list_filters_by_the_same_words,
    bad_searches_are_refused_by_name,
);

fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn search(app: &TestApp, token: &str, query: &str) -> Value {
    app.read(token, &format!("/api/v1/search?q={}", enc(query)))
        .await
}

/// The ids of the items found, best first.
fn ids(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn phone_ticket(app: &TestApp, agent: &str, phone: &str, subject: &str, text: &str) -> Value {
    app.ok(
        agent,
        "/api/v1/tickets",
        json!({ "subject": subject, "description": text, "priority": 3, "channel": "phone",
                "contact_phone": phone }),
        201,
    )
    .await
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

async fn finds_tickets_customers_and_assets_by_words_numbers_and_phones(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (runhe, site) = app.customer(&agent, "华润置地", "138-0013-8000").await;
    app.customer(&agent, "绿地集团", "13900139000").await;
    let cold = phone_ticket(
        &app,
        &agent,
        "13800138000",
        "三楼空调开机后制冷效果差",
        "吹出来是热风",
    )
    .await;
    let printer = phone_ticket(&app, &agent, "13900139000", "打印机卡纸", "前台打印机").await;
    let lift = phone_ticket(&app, &agent, "13800138000", "电梯 <b>紧急</b> 异响", "").await;

    // Chinese is cut into words: the particle 不 is not asked for, the words need not touch.
    let v = search(&app, &agent, "空调不制冷").await;
    assert_eq!(ids(&v), [id(&cold)], "{v}");
    let hit = &v["items"][0];
    assert_eq!(hit["kind"], "ticket");
    assert_eq!(hit["number"], cold["number"]);
    assert_eq!(hit["status"], "new");
    assert!(hit["score"].as_f64().unwrap() > 0.0, "{hit}");
    assert_eq!(
        hit["title"],
        "三楼<mark>空调</mark>开机后<mark>制冷</mark>效果差"
    );
    assert!(v["next_cursor"].is_null());

    // By number, as typed or lower-cased.
    let number = cold["number"].as_str().unwrap();
    assert_eq!(ids(&search(&app, &agent, number).await), [id(&cold)]);
    assert_eq!(
        ids(&search(&app, &agent, &number.to_lowercase()).await),
        [id(&cold)]
    );

    // The caller's phone in any spelling finds their tickets and their customer.
    for spelling in ["138-0013-8000", "+86 138 0013 8000", "13800138000"] {
        let path = format!("/api/v1/search?q={}&kind=ticket", enc(spelling));
        let mut found = ids(&app.read(&agent, &path).await);
        found.sort();
        let mut want = vec![id(&cold), id(&lift)];
        want.sort();
        assert_eq!(found, want, "{spelling}");
        let path = format!("/api/v1/search?q={}&kind=customer", enc(spelling));
        let v = app.read(&agent, &path).await;
        assert_eq!(ids(&v), [runhe.as_str()], "{spelling}: {v}");
        assert_eq!(v["items"][0]["title"], "华润置地");
        assert!(
            v["items"][0]["snippet"]
                .as_str()
                .unwrap()
                .contains("<mark>13800138000</mark>"),
            "{v}"
        );
    }
    // A customer by name; kinds may repeat and combine.
    let v = app
        .read(
            &agent,
            &format!("/api/v1/search?q={}&kind=customer&kind=asset", enc("绿地")),
        )
        .await;
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    assert_eq!(v["items"][0]["kind"], "customer");

    // Markup typed by a user is text; only the marks are markup.
    let v = search(&app, &agent, "紧急").await;
    assert_eq!(ids(&v), [id(&lift)]);
    assert_eq!(
        v["items"][0]["title"],
        "电梯 &lt;b&gt;<mark>紧急</mark>&lt;/b&gt; 异响"
    );

    // Replies and the work report's resolution are searchable once written.
    let pid = id(&printer);
    app.ok(
        &agent,
        &format!("/api/v1/tickets/{pid}/comments"),
        json!({ "body": "已寄出定影组件", "internal": false }),
        201,
    )
    .await;
    let v = search(&app, &agent, "定影组件").await;
    assert_eq!(ids(&v), [pid.as_str()]);
    assert_eq!(v["items"][0]["snippet"], "已寄出<mark>定影组件</mark>");
    let t = app
        .go(&agent, &printer, json!({ "to": "in_progress" }), 200)
        .await;
    app.go(&agent, &t, json!({ "to": "resolved", "report": { "resolution": "更换搓纸轮，打印正常", "remote": true } }), 200).await;
    let v = search(&app, &agent, "搓纸轮").await;
    assert_eq!(ids(&v), [pid.as_str()]);
    assert_eq!(v["items"][0]["status"], "resolved");

    // Equipment by serial, model and site.
    let asset = app
        .ok(&agent, "/api/v1/assets", json!({ "customer_id": runhe, "site_id": site, "model": "Carrier 30XA", "serial": "CX9-77A1" }), 201)
        .await;
    for q in ["cx9-77a1", "CX9-77A1", "carrier", "人民大道"] {
        let v = app
            .read(&agent, &format!("/api/v1/search?q={}&kind=asset", enc(q)))
            .await;
        assert_eq!(ids(&v), [id(&asset)], "{q}: {v}");
    }

    // Wildcards and quotes are characters, not patterns: nothing holds them as words.
    for q in ["%", "_", "\\", "\"", "'", "空调%"] {
        let v = search(&app, &agent, q).await;
        let n = v["items"].as_array().unwrap().len();
        assert!(n <= 1, "{q}: {v}");
        if q == "空调%" {
            assert_eq!(ids(&v), [id(&cold)]);
        } else {
            assert_eq!(n, 0, "{q}: {v}");
        }
    }
}

async fn finds_what_the_ticket_list_shows_and_no_more(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (mine, _) = app.customer(&agent, "甲公司", "13800000001").await;
    let (theirs, _) = app.customer(&agent, "乙公司", "13800000002").await;
    let my_ticket = app.ticket(&agent, &mine, "冷库温度报警").await;
    let their_ticket = app.ticket(&agent, &theirs, "冷库压缩机跳闸").await;
    let my_id = id(&my_ticket);
    app.ok(
        &agent,
        &format!("/api/v1/tickets/{my_id}/comments"),
        json!({ "body": "客户欠款较多", "internal": true }),
        201,
    )
    .await;

    // The customer finds their own ticket only, never by an internal note, and no customers.
    let (_, customer) = app
        .user("cust", &["customer"], json!({ "customer_id": mine }))
        .await;
    assert_eq!(
        ids(&search(&app, &customer, "冷库").await),
        [my_id.as_str()]
    );
    assert!(ids(&search(&app, &customer, "欠款").await).is_empty());
    assert!(ids(&search(&app, &customer, "乙公司").await).is_empty());
    // Staff find the note.
    assert_eq!(ids(&search(&app, &agent, "欠款").await), [my_id.as_str()]);

    // An engineer finds the tickets assigned to them, now or before.
    let (eng_id, engineer) = app.user("eng", &["engineer"], json!({})).await;
    let (other_id, _) = app.user("eng2", &["engineer"], json!({})).await;
    assert!(ids(&search(&app, &engineer, "冷库").await).is_empty());
    let t = app
        .go(
            &agent,
            &my_ticket,
            json!({ "to": "assigned", "assignee_id": eng_id }),
            200,
        )
        .await;
    assert_eq!(
        ids(&search(&app, &engineer, "冷库").await),
        [my_id.as_str()]
    );
    app.go(
        &agent,
        &t,
        json!({ "to": "assigned", "assignee_id": other_id, "note": "改派" }),
        200,
    )
    .await;
    assert_eq!(
        ids(&search(&app, &engineer, "冷库").await),
        [my_id.as_str()]
    );
    assert!(ids(&search(&app, &engineer, "跳闸").await).is_empty());
    // The engineer may not read the customer list.
    let v = app
        .read(
            &engineer,
            &format!("/api/v1/search?q={}&kind=customer", enc("甲公司")),
        )
        .await;
    assert!(ids(&v).is_empty());

    // Another tenant finds nothing of this one.
    let stranger = app
        .other_tenant_user("other", "otheragent", loopdesk_core::Role::Agent)
        .await;
    assert!(ids(&search(&app, &stranger, "冷库").await).is_empty());
    assert_eq!(
        ids(&search(&app, &agent, "跳闸").await),
        [id(&their_ticket)]
    );
}

async fn every_match_is_reachable_page_by_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (c, _) = app.customer(&agent, "丙公司", "13800000003").await;
    let mut want = Vec::new();
    for i in 0..23 {
        // Some tickets say it in the subject, the others only in the description: a title
        // word weighs more than a body word, so the five lead.
        let (subject, description) = if i % 5 == 0 {
            (format!("冷柜漏水 {i}"), "现场检查".to_owned())
        } else {
            (format!("{i} 号机报修"), format!("门店的冷柜 {i} 号"))
        };
        let t = app
            .ok(
                &agent,
                "/api/v1/tickets",
                json!({ "subject": subject, "description": description, "priority": 3,
                        "channel": "phone", "customer_id": c }),
                201,
            )
            .await;
        want.push(id(&t));
        app.ticket(&agent, &c, &format!("空调 {i}")).await;
    }
    let mut seen = Vec::new();
    let mut path = format!("/api/v1/search?q={}&limit=7", enc("冷柜"));
    let mut first = None;
    loop {
        let v = app.read(&agent, &path).await;
        first.get_or_insert_with(|| v.clone());
        seen.extend(ids(&v));
        match v["next_cursor"].as_str() {
            Some(cur) => path = format!("/api/v1/search?q={}&limit=7&cursor={cur}", enc("冷柜")),
            None => break,
        }
    }
    assert_eq!(seen.len(), 23, "each match once");
    seen.sort();
    want.sort();
    assert_eq!(seen, want);
    // Best first: the five that say it in the subject lead.
    let first = first.unwrap();
    let scores: Vec<f64> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    for item in first["items"].as_array().unwrap().iter().take(5) {
        assert!(item["title"].as_str().unwrap().contains("漏水"), "{first}");
    }
}

async fn the_ticket_list_filters_by_the_same_words(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (c, _) = app.customer(&agent, "丁公司", "13800000004").await;
    let cold = app.ticket(&agent, &c, "空调开机后制冷效果差").await;
    app.ticket(&agent, &c, "空调漏水").await;
    let v = app
        .read(&agent, &format!("/api/v1/tickets?q={}", enc("空调不制冷")))
        .await;
    let found: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(found, [cold["id"].as_str().unwrap()]);
    // With the other filters: closed tickets are found when asked for.
    let v = app
        .read(
            &agent,
            &format!("/api/v1/tickets?q={}&status=closed", enc("空调")),
        )
        .await;
    assert!(v["items"].as_array().unwrap().is_empty());
}

async fn bad_searches_are_refused_by_name(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let long = "空".repeat(201);
    for (path, field) in [
        ("/api/v1/search".to_owned(), "q"),
        ("/api/v1/search?q=".to_owned(), "q"),
        ("/api/v1/search?q=%20%20".to_owned(), "q"),
        (format!("/api/v1/search?q={}", enc(&long)), "q"),
        ("/api/v1/search?q=a&limit=0".to_owned(), "limit"),
        ("/api/v1/search?q=a&limit=101".to_owned(), "limit"),
        ("/api/v1/search?q=a&limit=ten".to_owned(), "limit"),
        ("/api/v1/search?q=a&kind=tickets".to_owned(), "kind"),
        ("/api/v1/search?q=a&cursor=zz".to_owned(), "cursor"),
    ] {
        let v = app.ok_get(&agent, &path, 422).await;
        assert_eq!(v["field"], field, "{path}: {v}");
    }
    let r = app.get("", "/api/v1/search?q=a").await;
    assert_eq!(r.status(), 401);
}
