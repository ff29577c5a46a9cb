//! Bad input, optimistic locking, idempotency, concurrent numbering, comments, uploads, ops.

use serde_json::{json, Value};

use crate::helpers::{png, spawn_app, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    bad_input_gets_the_right_error_and_changes_nothing,
    checks_come_in_the_contract_order,
    a_stale_version_loses_and_the_winner_is_kept,
    an_idempotency_key_makes_a_retry_return_the_first_ticket,
    concurrent_creations_get_unique_consecutive_numbers,
    comments_do_not_move_the_ticket_and_internal_notes_stay_internal,
    uploads_are_sniffed_limited_and_served_only_to_those_who_see_the_ticket,
    the_event_log_refuses_updates_and_deletes,
    list_filters_and_cursor_pagination,
    every_sort_walks_every_ticket_once_in_its_order,
    a_duplicate_merges_into_the_open_ticket_with_its_files_and_both_numbers_find_it,
    an_offline_check_in_counts_from_when_it_happened_within_bounds,
);

/// Everything stored about a ticket, to compare before and after a refused request.
async fn snapshot(app: &TestApp, token: &str, id: &str) -> (Value, usize, i64) {
    let d = app.read(token, &format!("/api/v1/tickets/{id}")).await;
    let events = d["events"].as_array().unwrap().len();
    let tickets = app.count("SELECT COUNT(*) FROM tickets").await;
    (d, events, tickets)
}

async fn bad_input_gets_the_right_error_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent1", &["agent"], json!({})).await;
    let (eng, _) = app.user("eng1", &["engineer"], json!({})).await;
    let t = app
        .ok(
            &agent,
            "/api/v1/tickets",
            json!({ "subject": "打印机卡纸", "priority": 4, "channel": "phone" }),
            201,
        )
        .await;
    let id = t["id"].as_str().unwrap().to_owned();
    let before = snapshot(&app, &agent, &id).await;

    let raw = |body: &'static str| {
        let (app, agent) = (&app, agent.clone());
        async move {
            let r = app
                .client
                .post(app.url("/api/v1/tickets"))
                .bearer_auth(agent)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (s, e) = raw("{\"subject\": \"x\",").await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_json")));
    let (s, e) =
        raw("{\"subject\":\"x\",\"priority\":1,\"channel\":\"phone\",\"colour\":\"red\"}").await;
    assert_eq!(
        (s, e["error"].as_str(), e["field"].as_str()),
        (422, Some("invalid_body"), Some("colour"))
    );
    let (s, e) = raw("{\"subject\":\"x\",\"priority\":\"high\",\"channel\":\"phone\"}").await;
    assert_eq!((s, e["field"].as_str()), (422, Some("priority")));
    let (s, e) = raw("{\"priority\":1,\"channel\":\"phone\"}").await;
    assert_eq!((s, e["field"].as_str()), (422, Some("subject")));
    let r = app
        .client
        .post(app.url("/api/v1/tickets"))
        .bearer_auth(&agent)
        .body("subject=x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);

    let cases = [
        (
            json!({ "subject": "长".repeat(201), "priority": 1, "channel": "phone" }),
            "subject",
        ),
        (
            json!({ "subject": "  ", "priority": 1, "channel": "phone" }),
            "subject",
        ),
        (
            json!({ "subject": "x", "priority": 5, "channel": "phone" }),
            "priority",
        ),
        (
            json!({ "subject": "x", "priority": 1, "channel": "phone", "contact_phone": "555-abc" }),
            "contact_phone",
        ),
        (
            json!({ "subject": "x", "priority": 1, "channel": "phone", "customer_id": "01a20d2a-0000-7000-8000-000000000000" }),
            "customer_id",
        ),
        (
            json!({ "subject": "x", "priority": 1, "channel": "phone", "fields": [1, 2] }),
            "fields",
        ),
    ];
    for (body, field) in cases {
        let e = app.ok(&agent, "/api/v1/tickets", body, 422).await;
        assert_eq!(
            (e["error"].as_str(), e["field"].as_str()),
            (Some("validation_failed"), Some(field)),
            "{e}"
        );
        assert!(!e["message"].as_str().unwrap().is_empty());
    }
    let e = app.ok(&agent, "/api/v1/customers", json!({ "name": "X", "sites": [{ "name": "s", "address": "a", "lat": 95.0, "lon": 121.0 }] }), 422).await;
    assert_eq!(e["field"], "sites.lat");

    // Moves: unknown assignee, illegal move, missing data, wrong data, bad coordinates.
    let e = app
        .go(
            &agent,
            &t,
            json!({ "to": "assigned", "assignee_id": "01a20d2a-0000-7000-8000-000000000000" }),
            422,
        )
        .await;
    assert_eq!(e["field"], "assignee_id");
    let e = app.go(&agent, &t, json!({ "to": "assigned" }), 422).await;
    assert_eq!(
        (e["error"].as_str(), e["field"].as_str()),
        (Some("missing_data"), Some("assignee_id"))
    );
    let e = app
        .go(
            &agent,
            &t,
            json!({ "to": "resolved", "report": { "resolution": "x", "remote": true } }),
            422,
        )
        .await;
    assert_eq!(e["error"], "transition_not_allowed");
    let e = app.go(&agent, &t, json!({ "to": "teleported" }), 422).await;
    assert_eq!(
        (e["error"].as_str(), e["field"].as_str()),
        (Some("invalid_body"), Some("to"))
    );
    let e = app
        .go(
            &agent,
            &t,
            json!({ "to": "assigned", "assignee_id": eng, "reason": "x" }),
            422,
        )
        .await;
    assert_eq!(e["field"], "reason");
    let e = app
        .go(
            &agent,
            &t,
            json!({ "to": "assigned", "assignee_id": eng, "version": 99 }),
            409,
        )
        .await;
    assert_eq!(e["error"], "stale_version");
    let r = app.get(&agent, "/api/v1/tickets/not-a-uuid").await;
    assert_eq!(r.status(), 404);
    let r = app.get(&agent, "/api/v1/tickets?priority=7").await;
    assert_eq!(r.status(), 422);
    let r = app.get(&agent, "/api/v1/tickets?status=done").await;
    assert_eq!(r.status(), 422);
    let r = app.get(&agent, "/api/v1/tickets?cursor=garbage").await;
    assert_eq!(r.status(), 422);

    assert_eq!(
        snapshot(&app, &agent, &id).await,
        before,
        "refused requests change nothing"
    );
}

async fn checks_come_in_the_contract_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent1", &["agent"], json!({})).await;
    let (customer_id, _) = app.customer(&agent, "甲公司", "13800000001").await;
    let (other_id, _) = app.customer(&agent, "乙公司", "13800000002").await;
    let (_, customer) = app
        .user(
            "cust1",
            &["customer"],
            json!({ "customer_id": customer_id }),
        )
        .await;
    let (_, stranger) = app
        .user("cust2", &["customer"], json!({ "customer_id": other_id }))
        .await;
    let t = app
        .ok(
            &customer,
            "/api/v1/tickets",
            json!({ "subject": "x", "priority": 2, "channel": "app" }),
            201,
        )
        .await;
    // Not visible → 404, even with a stale version and a move it could never make.
    let e = app
        .go(
            &stranger,
            &t,
            json!({ "to": "assigned", "version": 42 }),
            404,
        )
        .await;
    assert_eq!(e["error"], "not_found");
    // Visible but stale → 409 before the role check.
    app.go(
        &customer,
        &t,
        json!({ "to": "assigned", "version": 42 }),
        409,
    )
    .await;
    // Current version, a move the role may not make → 403.
    let e = app
        .go(&customer, &t, json!({ "to": "assigned" }), 403)
        .await;
    assert_eq!(e["error"], "forbidden");
    // A move the table does not allow from here → 422.
    let e = app
        .go(
            &agent,
            &t,
            json!({ "to": "closed", "confirmation": { "by": "agent", "note": "x" } }),
            422,
        )
        .await;
    assert_eq!(e["error"], "transition_not_allowed");
}

async fn a_stale_version_loses_and_the_winner_is_kept(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent1", &["agent"], json!({})).await;
    let (e1, _) = app.user("eng1", &["engineer"], json!({})).await;
    let (e2, _) = app.user("eng2", &["engineer"], json!({})).await;
    let t = app
        .ok(
            &agent,
            "/api/v1/tickets",
            json!({ "subject": "x", "priority": 2, "channel": "phone" }),
            201,
        )
        .await;
    let path = format!("/api/v1/tickets/{}/transitions", t["id"].as_str().unwrap());
    let (first, second) = (
        json!({ "to": "assigned", "assignee_id": e1, "version": 1 }),
        json!({ "to": "assigned", "assignee_id": e2, "version": 1 }),
    );
    let (a, b) = tokio::join!(
        app.post_json(&agent, &path, &first),
        app.post_json(&agent, &path, &second)
    );
    let mut codes = [a.status().as_u16(), b.status().as_u16()];
    codes.sort();
    assert_eq!(codes, [200, 409]);
    let d = app
        .read(
            &agent,
            &format!("/api/v1/tickets/{}", t["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(d["version"], 2);
    let assigns = d["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "assign")
        .count();
    assert_eq!(assigns, 1);
}

async fn an_idempotency_key_makes_a_retry_return_the_first_ticket(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent1", &["agent"], json!({})).await;
    let body = json!({ "subject": "重复提交", "priority": 3, "channel": "app" });
    let post = |key: &'static str, body: Value| {
        let (app, agent) = (&app, agent.clone());
        async move {
            let r = app
                .client
                .post(app.url("/api/v1/tickets"))
                .bearer_auth(agent)
                .header("Idempotency-Key", key)
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    // Ten concurrent retries of one request: one ticket.
    let results =
        futures_util::future::join_all((0..10).map(|_| post("key-1", body.clone()))).await;
    let ids: std::collections::BTreeSet<String> = results
        .iter()
        .map(|(s, v)| {
            assert_eq!(*s, 201, "{v}");
            v["id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 1);
    let (s, e) = post(
        "key-1",
        json!({ "subject": "另一个", "priority": 3, "channel": "app" }),
    )
    .await;
    assert_eq!(
        (s, e["error"].as_str()),
        (422, Some("idempotency_mismatch"))
    );
    let (s, second) = post("key-2", body).await;
    assert_eq!(s, 201);
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 2);

    // A move retried after a lost answer (the engineer app's offline queue) applies once.
    let first = &results[0].1;
    let cancel = json!({ "to": "cancelled", "reason": "客户撤单", "version": 1 });
    let send = |ticket: &Value, key: &'static str| {
        let (app, agent, body) = (&app, agent.clone(), cancel.clone());
        let path = format!(
            "/api/v1/tickets/{}/transitions",
            ticket["id"].as_str().unwrap()
        );
        async move {
            let r = app
                .client
                .post(app.url(&path))
                .bearer_auth(agent)
                .header("Idempotency-Key", key)
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (s1, a) = send(first, "move-1").await;
    let (s2, b) = send(first, "move-1").await;
    assert_eq!((s1, s2), (200, 200), "{a} {b}");
    assert_eq!(
        (a["version"].as_i64(), b["version"].as_i64()),
        (Some(2), Some(2))
    );
    let cancels = b["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "cancel")
        .count();
    assert_eq!(cancels, 1);
    // The same key on another ticket is a different request, not a replay.
    let (s3, e) = send(&second, "move-1").await;
    assert_eq!(
        (s3, e["error"].as_str()),
        (422, Some("idempotency_mismatch"))
    );
}

async fn concurrent_creations_get_unique_consecutive_numbers(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent1", &["agent"], json!({})).await;
    let results = futures_util::future::join_all((0..40).map(|i| {
        let (app, agent) = (&app, agent.clone());
        async move {
            app.ok(
                &agent,
                "/api/v1/tickets",
                json!({ "subject": format!("并发 {i}"), "priority": 3, "channel": "api" }),
                201,
            )
            .await
        }
    }))
    .await;
    let mut numbers: Vec<String> = results
        .iter()
        .map(|t| t["number"].as_str().unwrap().to_owned())
        .collect();
    numbers.sort();
    let expected: Vec<String> = (1..=40).map(|n| format!("WO-20261124-{n:05}")).collect();
    assert_eq!(numbers, expected);
}

async fn comments_do_not_move_the_ticket_and_internal_notes_stay_internal(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent1", &["agent"], json!({})).await;
    let (customer_id, _) = app.customer(&agent, "丙公司", "13800000003").await;
    let (_, customer) = app
        .user(
            "cust1",
            &["customer"],
            json!({ "customer_id": customer_id }),
        )
        .await;
    let t = app
        .ok(
            &customer,
            "/api/v1/tickets",
            json!({ "subject": "x", "priority": 2, "channel": "app" }),
            201,
        )
        .await;
    let id = t["id"].as_str().unwrap();
    let path = format!("/api/v1/tickets/{id}/comments");
    app.ok(&agent, &path, json!({ "body": "您好，已安排工程师" }), 201)
        .await;
    app.ok(
        &agent,
        &path,
        json!({ "body": "客户脾气急，优先处理", "internal": true }),
        201,
    )
    .await;
    let e = app
        .ok(
            &customer,
            &path,
            json!({ "body": "偷看", "internal": true }),
            403,
        )
        .await;
    assert_eq!(e["error"], "forbidden");
    app.ok(&customer, &path, json!({ "body": "谢谢" }), 201)
        .await;
    let e = app.ok(&customer, &path, json!({ "body": "" }), 422).await;
    assert_eq!(e["field"], "body");
    let mine = app.read(&customer, &format!("/api/v1/tickets/{id}")).await;
    let staff = app.read(&agent, &format!("/api/v1/tickets/{id}")).await;
    assert_eq!(mine["version"], 1, "a comment is not a move");
    let comments = |d: &Value| {
        d["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "comment")
            .count()
    };
    assert_eq!((comments(&mine), comments(&staff)), (2, 3));
    assert!(!mine.to_string().contains("脾气急"));
}

async fn uploads_are_sniffed_limited_and_served_only_to_those_who_see_the_ticket(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent1", &["agent"], json!({})).await;
    let (a, _) = app.customer(&agent, "丁公司", "13800000004").await;
    let (b, _) = app.customer(&agent, "戊公司", "13800000005").await;
    let (_, ca) = app
        .user("cust_a", &["customer"], json!({ "customer_id": a }))
        .await;
    let (_, cb) = app
        .user("cust_b", &["customer"], json!({ "customer_id": b }))
        .await;
    let t = app
        .ok(
            &ca,
            "/api/v1/tickets",
            json!({ "subject": "x", "priority": 2, "channel": "app" }),
            201,
        )
        .await;
    let id = t["id"].as_str().unwrap();
    let r = app
        .upload(
            &ca,
            id,
            "before",
            b"#!/bin/sh\necho pwned\n".to_vec(),
            "photo.jpg",
        )
        .await;
    assert_eq!(r.status(), 415, "a script named .jpg is not a photo");
    let r = app
        .upload(&ca, id, "before", vec![0xFF; 300 * 1024], "big.jpg")
        .await;
    assert_eq!(r.status(), 413);
    let r = app.upload(&ca, id, "selfie", png(), "p.png").await;
    assert_eq!(r.status(), 422);
    let r = app.upload(&cb, id, "before", png(), "p.png").await;
    assert_eq!(
        r.status(),
        404,
        "another customer's ticket does not exist for them"
    );
    let r = app.upload(&ca, id, "before", png(), "p.png").await;
    assert_eq!(r.status(), 201);
    let att: Value = r.json().await.unwrap();
    assert_eq!(att["content_type"], "image/png");
    let path = format!("/api/v1/attachments/{}", att["id"].as_str().unwrap());
    let r = app.get(&ca, &path).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().to_vec(), png());
    assert_eq!(app.get(&cb, &path).await.status(), 404);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM attachments").await,
        1,
        "refused uploads leave no row"
    );
    // A photo has a thumbnail (a JPEG, made once and kept), for the same people only; a
    // document has none.
    let thumb = format!("{path}/thumbnail");
    for _ in 0..2 {
        let r = app.get(&ca, &thumb).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "image/jpeg");
        assert!(r.bytes().await.unwrap().starts_with(b"\xFF\xD8\xFF"));
    }
    assert_eq!(app.get(&cb, &thumb).await.status(), 404);
    let r = app
        .upload(
            &ca,
            id,
            "other",
            b"%PDF-1.4\n%%EOF\n".to_vec(),
            "manual.pdf",
        )
        .await;
    assert_eq!(r.status(), 201);
    let pdf: Value = r.json().await.unwrap();
    let pdf_thumb = format!(
        "/api/v1/attachments/{}/thumbnail",
        pdf["id"].as_str().unwrap()
    );
    assert_eq!(app.get(&ca, &pdf_thumb).await.status(), 404);
    // The ticket's page shows the photo by its thumbnail.
    let page = app
        .get(&ca, &format!("/t/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("src=\"{thumb}\"")), "{page}");
}

async fn the_event_log_refuses_updates_and_deletes(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent1", &["agent"], json!({})).await;
    app.ok(
        &agent,
        "/api/v1/tickets",
        json!({ "subject": "x", "priority": 2, "channel": "phone" }),
        201,
    )
    .await;
    assert!(app
        .raw_sql("UPDATE ticket_events SET kind = 'forged'")
        .await
        .is_err());
    assert!(app.raw_sql("DELETE FROM ticket_events").await.is_err());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ticket_events WHERE kind = 'created'")
            .await,
        1
    );
}

async fn list_filters_and_cursor_pagination(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent1", &["agent"], json!({})).await;
    for i in 0..7 {
        app.clock.advance(chrono::Duration::minutes(1));
        let p = if i % 2 == 0 { 1 } else { 3 };
        app.ok(
            &agent,
            "/api/v1/tickets",
            json!({ "subject": format!("冷柜故障 {i}"), "priority": p, "channel": "phone" }),
            201,
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/tickets?limit=3".to_owned();
    loop {
        let page = app.read(&agent, &path).await;
        for t in page["items"].as_array().unwrap() {
            seen.push(t["subject"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/tickets?limit=3&cursor={c}"),
            None => break,
        }
    }
    let expected: Vec<String> = (0..7).rev().map(|i| format!("冷柜故障 {i}")).collect();
    assert_eq!(seen, expected, "newest first, each once");
    let p1 = app.read(&agent, "/api/v1/tickets?priority=1").await;
    assert_eq!(p1["items"].as_array().unwrap().len(), 4);
    let q = app
        .read(&agent, "/api/v1/tickets?q=%E6%95%85%E9%9A%9C%205")
        .await;
    assert_eq!(q["items"].as_array().unwrap().len(), 1);
    let by_status = app.read(&agent, "/api/v1/tickets?status=new,closed").await;
    assert_eq!(by_status["items"].as_array().unwrap().len(), 7);
    let since = app
        .read(&agent, "/api/v1/tickets?created_from=2026-11-24T02:04:00Z")
        .await;
    assert_eq!(since["items"].as_array().unwrap().len(), 4);
}

/// The ids of every page of `path` (a query without `cursor`), two at a time.
async fn walk(app: &TestApp, token: &str, path: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut next = format!("{path}&limit=2");
    loop {
        let page = app.read(token, &next).await;
        for t in page["items"].as_array().unwrap() {
            ids.push(t["id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => next = format!("{path}&limit=2&cursor={c}"),
            None => return ids,
        }
    }
}

async fn every_sort_walks_every_ticket_once_in_its_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent1", &["agent"], json!({})).await;
    let (zhang, _) = app
        .user("eng1", &["engineer"], json!({ "display_name": "张工" }))
        .await;
    let (wang, _) = app
        .user("eng2", &["engineer"], json!({ "display_name": "王工" }))
        .await;
    // P1 due in 4 h, P2 in 8 h (the others by the tenant's default).
    for (p, minutes) in [(1, 240), (2, 480)] {
        let body = json!({ "name": format!("P{p}"), "priority": p,
            "first_response_minutes": 30, "resolution_minutes": minutes });
        app.ok(&app.admin, "/api/v1/sla-policies", body, 201).await;
    }
    let (jia, _) = app.customer(&app.admin, "甲公司", "13800138001").await;
    let (yi, _) = app.customer(&app.admin, "乙公司", "13800138002").await;
    let mut by_id = std::collections::HashMap::new();
    let plan = [
        (2, &jia, "phone", Some(&zhang)),
        (1, &yi, "email", None),
        (3, &jia, "phone", Some(&wang)),
        (2, &yi, "web", None),
        (4, &jia, "email", Some(&zhang)),
        (1, &jia, "phone", None),
        (3, &yi, "phone", None),
        (2, &jia, "email", Some(&wang)),
    ];
    for (i, (p, customer, channel, engineer)) in plan.iter().enumerate() {
        app.clock.advance(chrono::Duration::minutes(7));
        let body = json!({ "subject": format!("空调故障 {i}"), "priority": p,
            "channel": channel, "customer_id": customer });
        let mut t = app.ok(&agent, "/api/v1/tickets", body, 201).await;
        if let Some(e) = engineer {
            t = app
                .go(
                    &agent,
                    &t,
                    json!({ "to": "assigned", "assignee_id": e }),
                    200,
                )
                .await;
        }
        by_id.insert(t["id"].as_str().unwrap().to_owned(), t);
    }
    // One changed late: updated order differs from created order.
    let first = by_id
        .values()
        .find(|t| t["subject"] == "空调故障 0")
        .unwrap()
        .clone();
    app.clock.advance(chrono::Duration::minutes(3));
    let moved = app
        .ok(
            &agent,
            &format!("/api/v1/tickets/{}/priority", first["id"].as_str().unwrap()),
            json!({ "version": first["version"], "priority": 3, "reason": "客户说不急" }),
            200,
        )
        .await;
    by_id.insert(moved["id"].as_str().unwrap().to_owned(), moved);

    let name = |t: &Value| match t["customer_id"].as_str() {
        Some(c) if c == jia => "甲公司",
        Some(c) if c == yi => "乙公司",
        _ => "",
    };
    let engineer = |t: &Value| match t["assignee_id"].as_str() {
        Some(e) if e == zhang => "张工",
        Some(e) if e == wang => "王工",
        _ => "",
    };
    let ms = |v: &Value| {
        v.as_str().map(|s| {
            chrono::DateTime::parse_from_rfc3339(s)
                .unwrap()
                .timestamp_millis()
        })
    };
    for sort in [
        "urgency",
        "-urgency",
        "number",
        "-number",
        "priority",
        "-priority",
        "status",
        "-status",
        "customer",
        "-customer",
        "assignee",
        "-assignee",
        "due",
        "-due",
        "created",
        "-created",
        "updated",
        "-updated",
    ] {
        let path = format!("/api/v1/tickets?sort={sort}");
        let ids = walk(&app, &agent, &path).await;
        let whole: Vec<String> = app.read(&agent, &format!("{path}&limit=200")).await["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids, whole, "{sort}: pages of two are the whole list");
        assert_eq!(ids.len(), plan.len(), "{sort}");
        let rows: Vec<&Value> = ids.iter().map(|id| &by_id[id]).collect();
        let descending = sort.starts_with('-');
        // Each adjacent pair is in order by the column (ties may fall either way).
        for w in rows.windows(2) {
            let (a, b) = if descending {
                (w[1], w[0])
            } else {
                (w[0], w[1])
            };
            let ok = match sort.trim_start_matches('-') {
                "urgency" => {
                    let key = |t: &Value| {
                        let due = ms(&t["sla"]["resolution_due"]);
                        (
                            t["priority"].as_i64(),
                            due.is_none(),
                            due,
                            ms(&t["created_at"]),
                        )
                    };
                    key(a) <= key(b)
                }
                "number" => a["number"].as_str() <= b["number"].as_str(),
                "priority" => a["priority"].as_i64() <= b["priority"].as_i64(),
                "status" => {
                    let rank = |t: &Value| t["status"] != "new";
                    rank(a) <= rank(b)
                }
                "customer" => name(a) <= name(b),
                "assignee" => engineer(a) <= engineer(b),
                "due" => {
                    let (da, db) = (
                        ms(&a["sla"]["resolution_due"]),
                        ms(&b["sla"]["resolution_due"]),
                    );
                    // None last both ways round.
                    match (da, db) {
                        (Some(x), Some(y)) => x <= y,
                        (None, Some(_)) => descending,
                        (Some(_), None) => !descending,
                        (None, None) => true,
                    }
                }
                "created" => ms(&a["created_at"]) <= ms(&b["created_at"]),
                "updated" => ms(&a["updated_at"]) <= ms(&b["updated_at"]),
                other => panic!("{other}"),
            };
            assert!(ok, "{sort}: {} before {}", w[0]["subject"], w[1]["subject"]);
        }
        if sort == "-updated" {
            assert_eq!(rows[0]["subject"], "空调故障 0", "the one changed last");
        }
        if sort == "urgency" {
            assert_eq!(rows[0]["priority"], 1);
            assert_eq!(rows.last().unwrap()["priority"], 4);
        }
    }
    let count = |v: Value| v["items"].as_array().unwrap().len();
    assert_eq!(
        count(app.read(&agent, "/api/v1/tickets?channel=email").await),
        3
    );
    assert_eq!(
        count(app.read(&agent, "/api/v1/tickets?unassigned=true").await),
        4
    );
    let jia_open = format!("/api/v1/tickets?customer_id={jia}&unassigned=true");
    assert_eq!(count(app.read(&agent, &jia_open).await), 1);
    // Due before the first P2's promise: the two P1s (4 h), not the P2s (8 h).
    let p2_due = by_id
        .values()
        .filter(|t| t["priority"] == 2)
        .filter_map(|t| t["sla"]["resolution_due"].as_str())
        .min()
        .unwrap()
        .to_owned();
    let before = format!("/api/v1/tickets?due_to={}", p2_due.replace('+', "%2B"));
    let due_soon = app.read(&agent, &before).await;
    let p1s: Vec<&Value> = due_soon["items"].as_array().unwrap().iter().collect();
    assert!(p1s.iter().all(|t| t["priority"] == 1), "{p1s:?}");
    assert_eq!(p1s.len(), 2);
    let e = app.ok_get(&agent, "/api/v1/tickets?sort=colour", 422).await;
    assert_eq!(e["field"], "sort");
    let e = app.ok_get(&agent, "/api/v1/tickets?channel=fax", 422).await;
    assert_eq!(e["field"], "channel");
    // A cursor of one order is refused by another, not misread.
    let page = app.read(&agent, "/api/v1/tickets?sort=due&limit=2").await;
    let c = page["next_cursor"].as_str().unwrap();
    let e = app
        .ok_get(
            &agent,
            &format!("/api/v1/tickets?sort=customer&cursor={c}"),
            422,
        )
        .await;
    assert_eq!(e["field"], "cursor");
}

/// A caller reports the same fault twice: the second ticket shows beside the first as an open
/// ticket of the same equipment, and merges into it — cancelled, pointing at it, its files
/// moved, both logs recording the merge (the customer sees it too), either number finding the
/// ticket that stays. What may not merge says why and changes nothing.
async fn a_duplicate_merges_into_the_open_ticket_with_its_files_and_both_numbers_find_it(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent1", &["agent"], json!({})).await;
    let (eng_id, engineer) = app.user("eng1", &["engineer"], json!({})).await;
    let (customer, site) = app.customer(&app.admin, "申江冷链", "13800138000").await;
    let (other, _) = app.customer(&app.admin, "别家公司", "13900139000").await;
    app.ok(
        &app.admin,
        "/api/v1/models",
        json!({ "code": "C1", "name": "冷柜 C1", "warranty_months": 24 }),
        201,
    )
    .await;
    let asset = app.asset(&agent, (&customer, &site), "C1", "SN-C1-9").await;
    let new = |subject: &str, customer: &str, on_asset: bool| {
        let mut body = json!({ "subject": subject, "priority": 3, "channel": "phone",
                               "customer_id": customer });
        if on_asset {
            body["asset_id"] = asset["id"].clone();
        }
        body
    };
    let first = app
        .ok(
            &agent,
            "/api/v1/tickets",
            new("冷柜不制冷", &customer, true),
            201,
        )
        .await;
    app.clock.advance(chrono::Duration::minutes(20));
    let dup = app
        .ok(
            &agent,
            "/api/v1/tickets",
            new("冷柜温度高", &customer, true),
            201,
        )
        .await;
    let same_customer = app
        .ok(
            &agent,
            "/api/v1/tickets",
            new("门禁坏了", &customer, false),
            201,
        )
        .await;
    let elsewhere = app
        .ok(
            &agent,
            "/api/v1/tickets",
            new("冷柜不制冷", &other, false),
            201,
        )
        .await;
    let id = |t: &Value| t["id"].as_str().unwrap().to_owned();
    let photo = app
        .upload(&agent, &id(&dup), "other", png(), "现场.png")
        .await;
    assert_eq!(photo.status(), 201);
    let photo: Value = photo.json().await.unwrap();

    // Beside the first: the duplicate (same equipment) first, then the customer's other one.
    let related = app
        .read(&agent, &format!("/api/v1/tickets/{}/related", id(&first)))
        .await;
    let shown: Vec<(String, bool)> = related
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_owned(),
                r["same_asset"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(shown, [(id(&dup), true), (id(&same_customer), false)]);

    // Refused, each with why, and nothing changes.
    let merge = |t: &Value, version: &Value, into: &Value| {
        (
            format!("/api/v1/tickets/{}/merge", id(t)),
            json!({ "version": version, "into": into["id"] }),
        )
    };
    // Refusals name `into` and say why in the reader's language.
    let why = |e: Value| {
        assert_eq!(e["field"], "into", "{e}");
        e["message"].as_str().unwrap().to_owned()
    };
    let (path, body) = merge(&dup, &dup["version"], &dup);
    assert!(why(app.ok(&agent, &path, body, 422).await).contains("不能合并到工单自身"));
    let (path, body) = merge(&dup, &dup["version"], &elsewhere);
    assert!(why(app.ok(&agent, &path, body, 422).await).contains("不同客户的工单不能合并"));
    let (path, body) = merge(&dup, &json!(99), &first);
    app.ok(&agent, &path, body, 409).await;
    let (path, body) = merge(&dup, &dup["version"], &first);
    let refused = app
        .post_json(&engineer, &path, &body)
        .await
        .status()
        .as_u16();
    assert!(
        matches!(refused, 403 | 404),
        "an engineer may not cancel: {refused}"
    );
    let worked = app
        .work_on_site(&agent, &same_customer, (&eng_id, &engineer))
        .await;
    let (path, body) = merge(&worked, &worked["version"], &first);
    assert!(why(app.ok(&agent, &path, body, 422).await).contains("已上门或已处理"));
    let still = app
        .read(&agent, &format!("/api/v1/tickets/{}", id(&dup)))
        .await;
    assert_eq!(
        (still["status"].as_str(), &still["merged_into"]),
        (Some("new"), &Value::Null)
    );

    // The merge.
    let (path, body) = merge(&dup, &dup["version"], &first);
    let kept = app.ok(&agent, &path, body, 200).await;
    assert_eq!(kept["id"], first["id"]);
    let came = kept["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "merged_in")
        .unwrap();
    assert_eq!(came["data"]["number"], dup["number"]);
    let gone = app
        .read(&agent, &format!("/api/v1/tickets/{}", id(&dup)))
        .await;
    assert_eq!(gone["status"], "cancelled");
    assert_eq!(gone["merged_into"], first["id"]);
    let kinds: Vec<&str> = gone["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.ends_with(&["cancel", "merged"]), "{kinds:?}");
    // Its photo now belongs to the ticket that stays (and is still served).
    let files = app
        .count(&format!(
            "SELECT COUNT(*) FROM attachments WHERE ticket_id = '{}' AND id = '{}'",
            id(&first),
            photo["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(files, 1);
    let r = app
        .get(
            &agent,
            &format!("/api/v1/attachments/{}", photo["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(r.status(), 200);
    // Either number finds the ticket that stays.
    for number in [
        dup["number"].as_str().unwrap(),
        first["number"].as_str().unwrap(),
    ] {
        let found = app
            .read(&agent, &format!("/api/v1/search?q={number}&kind=ticket"))
            .await;
        let ids: Vec<&str> = found["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap())
            .collect();
        assert!(
            ids.contains(&first["id"].as_str().unwrap()),
            "{number}: {ids:?}"
        );
    }
    // No second time: the duplicate is cancelled.
    let (path, body) = merge(&gone, &gone["version"], &first);
    assert!(why(app.ok(&agent, &path, body, 422).await).contains("已结束的工单不能合并"));
    // The customer reads the merge on their ticket.
    let (_, contact) = app
        .user("lilei", &["customer"], json!({ "customer_id": customer }))
        .await;
    let theirs = app
        .read(&contact, &format!("/api/v1/tickets/{}", id(&first)))
        .await;
    let seen = theirs["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "merged_in")
        .unwrap();
    assert_eq!(seen["data"]["number"], dup["number"]);
}

/// A check-in kept on a phone without network and sent two hours later counts from when it was
/// made (the arrival, the check-in time); a phone clock far ahead, or a move kept more than a
/// day, is refused on `client_at` and changes nothing; a time before the log's last entry is
/// taken as that entry's.
async fn an_offline_check_in_counts_from_when_it_happened_within_bounds(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent1", &["agent"], json!({})).await;
    let (eng_id, engineer) = app.user("eng1", &["engineer"], json!({})).await;
    let (customer, site) = app.customer(&app.admin, "申江冷链", "13800138000").await;
    let t = app
        .assigned_order(&agent, (&customer, &site), &eng_id, "冷库报警")
        .await;
    let t = app
        .go(&engineer, &t, json!({ "to": "accepted" }), 200)
        .await;
    let t = app
        .go(&engineer, &t, json!({ "to": "en_route" }), 200)
        .await;
    let set_off = chrono::DateTime::parse_from_rfc3339(t["updated_at"].as_str().unwrap()).unwrap();
    // Two and a half hours without network, then the queue sends the check-in made after one.
    app.clock.advance(chrono::Duration::minutes(150));
    let now = set_off + chrono::Duration::minutes(150);
    let at = |d: chrono::Duration| (now + d).to_rfc3339();
    let check_in = |client_at: String| json!({ "to": "on_site", "check_in": { "lat": 31.2306, "lon": 121.4739 }, "client_at": client_at });
    for (when, reason) in [
        (at(chrono::Duration::minutes(10)), "error.client_at_future"),
        (at(-chrono::Duration::hours(25)), "error.client_at_too_old"),
    ] {
        let e = app.go(&engineer, &t, check_in(when), 422).await;
        assert_eq!(e["field"], "client_at", "{reason}: {e}");
    }
    let unchanged = app
        .read(
            &agent,
            &format!("/api/v1/tickets/{}", t["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(unchanged["status"], "en_route");
    let made = at(-chrono::Duration::minutes(90));
    let on_site = app.go(&engineer, &t, check_in(made.clone()), 200).await;
    let arrived = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    assert_eq!(arrived(&on_site["check_in"]["at"]), arrived(&json!(made)));
    let ev = on_site["events"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|e| e["kind"] == "check_in")
        .unwrap();
    assert_eq!(arrived(&ev["at"]), arrived(&json!(made)), "the event too");
    // Before the last entry of the log (the check-in): taken as that entry's time.
    let started = app
        .go(
            &engineer,
            &on_site,
            json!({ "to": "in_progress", "client_at": at(-chrono::Duration::hours(2)) }),
            200,
        )
        .await;
    let ev = started["events"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|e| e["kind"] == "start")
        .unwrap();
    assert_eq!(arrived(&ev["at"]), arrived(&json!(made)));
}
