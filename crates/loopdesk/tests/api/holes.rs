//! The holes a security review found, each closed: what a role may read, search patterns,
//! webhook targets, `/metrics`, browser defences, cross-site writes, private files, whole
//! uploads, bounded lists, JSON errors from the framework, and the customer's view of the log.

use reqwest::header;
use serde_json::{json, Value};

use crate::helpers::{png, spawn_app, spawn_app_with, urlencode, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    a_customer_lists_only_their_own_maintenance_plans,
    the_asset_card_lists_only_tickets_the_reader_may_see,
    settings_are_read_only_by_the_roles_that_use_them,
    search_patterns_are_plain_characters,
    webhooks_may_not_target_this_machine_or_a_private_network,
    metrics_are_for_the_operator,
    pages_and_answers_carry_the_browser_defences,
    cookie_writes_from_another_site_are_refused_and_change_nothing,
    uploads_count_only_when_they_are_whole_files,
    lists_and_framework_refusals_answer_json_with_bounds,
    the_customer_reads_their_view_of_the_log,
    spraying_from_one_address_is_slowed_and_the_admins_hear_of_it,
    a_run_now_works_in_the_callers_tenant_only,
);

/// A customer with an asset at their site; answers (customer, asset).
async fn customer_with_asset(
    app: &TestApp,
    agent: &str,
    name: &str,
    phone: &str,
) -> (String, String) {
    let (customer, site) = app.customer(agent, name, phone).await;
    let asset = app
        .ok(
            agent,
            "/api/v1/assets",
            json!({ "customer_id": customer, "site_id": site, "model": "X1", "serial": format!("SN-{phone}") }),
            201,
        )
        .await;
    (customer, asset["id"].as_str().unwrap().to_owned())
}

async fn a_customer_lists_only_their_own_maintenance_plans(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (mine, my_asset) = customer_with_asset(&app, &agent, "甲公司", "13800000001").await;
    let (_, their_asset) = customer_with_asset(&app, &agent, "乙公司", "13800000002").await;
    for (name, asset) in [("甲保养", &my_asset), ("乙保养", &their_asset)] {
        app.ok(
            &agent,
            "/api/v1/maintenance/plans",
            json!({ "name": name, "asset_id": asset, "every_days": 30, "starts_on": "2026-12-01" }),
            201,
        )
        .await;
    }
    let (_, customer) = app
        .user("customer", &["customer"], json!({ "customer_id": mine }))
        .await;
    let names = |v: Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        names(app.read(&customer, "/api/v1/maintenance/plans").await),
        ["甲保养"]
    );
    assert_eq!(
        names(app.read(&agent, "/api/v1/maintenance/plans").await),
        ["甲保养", "乙保养"]
    );
    let (_, engineer) = app.user("eng", &["engineer"], json!({})).await;
    assert_eq!(
        app.get(&engineer, "/api/v1/maintenance/plans")
            .await
            .status(),
        403
    );
}

async fn the_asset_card_lists_only_tickets_the_reader_may_see(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (eng_id, engineer) = app.user("eng", &["engineer"], json!({})).await;
    let (customer, site) = app.customer(&agent, "丙公司", "13800000003").await;
    let asset = app
        .ok(
            &agent,
            "/api/v1/assets",
            json!({ "customer_id": customer, "site_id": site, "model": "X1", "serial": "SN-CARD" }),
            201,
        )
        .await;
    let aid = asset["id"].as_str().unwrap();
    let mut tickets = Vec::new();
    for subject in ["他人的维修", "我的维修"] {
        let t = app
            .ok(
                &agent,
                "/api/v1/tickets",
                json!({ "subject": subject, "priority": 3, "channel": "phone", "customer_id": customer,
                        "site_id": site, "asset_id": aid }),
                201,
            )
            .await;
        tickets.push(t);
    }
    app.go(
        &agent,
        &tickets[1],
        json!({ "to": "assigned", "assignee_id": eng_id }),
        200,
    )
    .await;
    let subjects = |card: &Value| -> Vec<String> {
        card["history"]["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["subject"].as_str().unwrap().to_owned())
            .collect()
    };
    let path = format!("/api/v1/assets/{aid}");
    assert_eq!(subjects(&app.read(&engineer, &path).await), ["我的维修"]);
    assert_eq!(subjects(&app.read(&agent, &path).await).len(), 2);
}

async fn settings_are_read_only_by_the_roles_that_use_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (customer_id, _) = app.customer(&agent, "丁公司", "13800000004").await;
    let (_, customer) = app
        .user(
            "customer",
            &["customer"],
            json!({ "customer_id": customer_id }),
        )
        .await;
    let (_, engineer) = app.user("eng", &["engineer"], json!({})).await;
    let (_, manager) = app.user("manager", &["manager"], json!({})).await;
    // (setting, agent, manager)
    let table = [
        ("dispatch", 200, 403),
        ("stock", 403, 200),
        ("kpi", 403, 200),
        ("follow-up", 200, 200),
    ];
    for (setting, by_agent, by_manager) in table {
        let path = format!("/api/v1/settings/{setting}");
        assert_eq!(
            app.get(&customer, &path).await.status(),
            403,
            "customer {setting}"
        );
        assert_eq!(
            app.get(&engineer, &path).await.status(),
            403,
            "engineer {setting}"
        );
        assert_eq!(
            app.get(&agent, &path).await.status(),
            by_agent,
            "agent {setting}"
        );
        assert_eq!(
            app.get(&manager, &path).await.status(),
            by_manager,
            "manager {setting}"
        );
        assert_eq!(
            app.get(&app.admin, &path).await.status(),
            200,
            "admin {setting}"
        );
    }
}

async fn search_patterns_are_plain_characters(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (customer, _) = app.customer(&agent, "戊公司", "13800000005").await;
    for subject in ["湿度 100% 报警", "打印机卡纸", "型号 A_B 异响"] {
        app.ticket(&agent, &customer, subject).await;
    }
    let found = |q: &str| {
        let app = &app;
        let agent = agent.clone();
        let q = q.to_owned();
        async move {
            let v = app
                .read(&agent, &format!("/api/v1/tickets?q={}", urlencode(&q)))
                .await;
            let mut s: Vec<String> = v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["subject"].as_str().unwrap().to_owned())
                .collect();
            s.sort();
            s
        }
    };
    assert_eq!(found("%").await, ["湿度 100% 报警"]);
    assert_eq!(found("_").await, ["型号 A_B 异响"]);
    assert_eq!(found("\\").await, Vec::<String>::new());
    assert_eq!(found("打印").await, ["打印机卡纸"]);
    let customers = app
        .read(&agent, &format!("/api/v1/customers?q={}", urlencode("%")))
        .await;
    assert_eq!(customers["items"].as_array().unwrap().len(), 0);
}

async fn webhooks_may_not_target_this_machine_or_a_private_network(backend: Backend) {
    // The operator allowed no internal range.
    let app = spawn_app_with(backend, |c| c.webhook_allow.clear()).await;
    let hook = |url: &str| json!({ "url": url, "secret": "0123456789abcdef", "events": ["ticket.created"] });
    for url in [
        "http://127.0.0.1:9000/h",
        "http://localhost:9000/h",
        "http://2130706433/h",
        "http://[::1]/h",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/h",
        "http://192.168.0.10/h",
    ] {
        let e = app.ok(&app.admin, "/api/v1/webhooks", hook(url), 422).await;
        assert_eq!(e["field"], "url", "{url}");
    }
    app.ok(
        &app.admin,
        "/api/v1/webhooks",
        hook("https://hooks.example.com/loopdesk"),
        201,
    )
    .await;
    assert_eq!(app.count("SELECT COUNT(*) FROM webhooks").await, 1);
    // An allowed range admits exactly itself.
    let app = spawn_app(backend).await;
    app.ok(
        &app.admin,
        "/api/v1/webhooks",
        hook("http://127.0.0.1:9000/h"),
        201,
    )
    .await;
    app.ok(
        &app.admin,
        "/api/v1/webhooks",
        hook("http://10.1.2.3/h"),
        422,
    )
    .await;
}

async fn metrics_are_for_the_operator(backend: Backend) {
    let app = spawn_app(backend).await;
    let get = |extra: Option<(&'static str, &'static str)>| {
        let mut req = app.client.get(app.url("/metrics"));
        if let Some((k, v)) = extra {
            req = req.header(k, v);
        }
        async move { req.send().await.unwrap().status().as_u16() }
    };
    // No token configured: this machine's own callers only, never through a proxy.
    assert_eq!(get(None).await, 200);
    assert_eq!(get(Some(("x-forwarded-for", "203.0.113.9"))).await, 401);
    let app = spawn_app_with(backend, |c| c.metrics_token = Some("scrape-token-1".into())).await;
    let status = |token: Option<&str>| {
        let mut req = app.client.get(app.url("/metrics"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        async move { req.send().await.unwrap() }
    };
    let denied = status(None).await;
    assert_eq!(denied.status(), 401);
    assert_eq!(
        denied.json::<Value>().await.unwrap()["error"],
        "unauthorized"
    );
    assert_eq!(status(Some("wrong")).await.status(), 401);
    let ok = status(Some("scrape-token-1")).await;
    assert_eq!(ok.status(), 200);
    assert!(ok.text().await.unwrap().contains("loopdesk_"));
}

async fn pages_and_answers_carry_the_browser_defences(backend: Backend) {
    let app = spawn_app(backend).await;
    // Pages, the survey link's among them (a customer opens it without signing in).
    for path in ["/login", "/survey/no-such-link"] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        let h = r.headers();
        let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}"
        );
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY", "{path}");
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        assert_eq!(h[header::REFERRER_POLICY], "same-origin", "{path}");
    }
    // What is not a page loads nothing from elsewhere and cannot be framed either.
    for path in ["/api/v1/me", "/healthz", "/static/app.js"] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        let h = r.headers();
        assert_eq!(
            h[header::CONTENT_SECURITY_POLICY],
            "default-src 'self'; frame-ancestors 'none'",
            "{path}"
        );
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
    }
    // The sign-in page holds no inline script or style the policy would block.
    let html = app
        .client
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !html.contains("<script>") && !html.contains("style="),
        "{html}"
    );
}

async fn cookie_writes_from_another_site_are_refused_and_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (customer, _) = app.customer(&agent, "己公司", "13800000006").await;
    let cookie = format!("loopdesk_session={agent}");
    let body =
        json!({ "subject": "伪造", "priority": 3, "channel": "web", "customer_id": customer });
    let post = |origin: Option<&str>| {
        let mut req = app
            .client
            .post(app.url("/api/v1/tickets"))
            .header(header::COOKIE, &cookie)
            .json(&body);
        if let Some(o) = origin {
            req = req.header(header::ORIGIN, o);
        }
        async move { req.send().await.unwrap() }
    };
    let refused = post(Some("https://evil.example")).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(
        refused.json::<Value>().await.unwrap()["error"],
        "cross_site_request"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 0);
    // A multipart form from another site, to the customer portal's page.
    let (_, portal) = app
        .user(
            "customer",
            &["customer"],
            json!({ "customer_id": customer }),
        )
        .await;
    let form = reqwest::multipart::Form::new()
        .text("subject", "伪造的报修")
        .text("priority", "3");
    let r = app
        .client
        .post(app.url("/portal/new"))
        .header(header::COOKIE, format!("loopdesk_session={portal}"))
        .header(header::ORIGIN, "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 0);
    // From Loopdesk's own page, or from a program with its token, the write goes through.
    let own = app.base.clone();
    assert_eq!(post(Some(&own)).await.status(), 201);
    let r = app
        .client
        .post(app.url("/api/v1/tickets"))
        .bearer_auth(&agent)
        .header(header::ORIGIN, "https://integration.example")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
}

async fn uploads_count_only_when_they_are_whole_files(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (customer, _) = app.customer(&agent, "庚公司", "13800000007").await;
    let t = app.ticket(&agent, &customer, "照片").await;
    let id = t["id"].as_str().unwrap();
    let mut disguised = png()[..8].to_vec();
    disguised.extend_from_slice(b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>");
    let mut cut = png();
    cut.truncate(cut.len() - 20);
    for (bytes, why) in [(disguised, "PNG magic, then SVG"), (cut, "a PNG cut short")] {
        let form = reqwest::multipart::Form::new().text("kind", "before").part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name("photo.png"),
        );
        let r = app
            .client
            .post(app.url(&format!("/api/v1/tickets/{id}/attachments")))
            .bearer_auth(&agent)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{why}");
        assert_eq!(r.json::<Value>().await.unwrap()["field"], "file", "{why}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM attachments").await, 0);
    let ok = app.upload(&agent, id, "before", png(), "photo.png").await;
    assert_eq!(ok.status(), 201);
    // The stored file, the database and the data directory are this user's alone.
    #[cfg(unix)]
    if backend == Backend::Sqlite {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let dir = &app.config.data_dir;
        assert_eq!(mode(dir), 0o700);
        assert_eq!(mode(&dir.join("loopdesk.db")), 0o600);
        assert_eq!(mode(&dir.join("loopdesk.db-wal")), 0o600);
        let tenant_dir = std::fs::read_dir(dir.join("attachments"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        assert_eq!(mode(&tenant_dir), 0o700);
        for file in std::fs::read_dir(&tenant_dir).unwrap() {
            assert_eq!(mode(&file.unwrap().path()), 0o600);
        }
    }
}

async fn lists_and_framework_refusals_answer_json_with_bounds(backend: Backend) {
    let app = spawn_app(backend).await;
    for (query, field) in [
        ("limit=-1", "limit"),
        ("limit=0", "limit"),
        ("limit=99999999", "limit"),
        ("status=exploded", "status"),
    ] {
        let e = app
            .ok_get(&app.admin, &format!("/api/v1/jobs?{query}"), 422)
            .await;
        assert_eq!(e["field"], field, "{query}");
    }
    app.ok_get(&app.admin, "/api/v1/jobs?limit=5&status=dead", 200)
        .await;
    // The framework's own refusals: a query that does not parse, a form that is not one.
    let r = app.get(&app.admin, "/api/v1/jobs?limit=abc").await;
    assert_eq!(r.status(), 400);
    assert!(r.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "bad_request");
    let r = app
        .client
        .post(app.url("/api/v1/tickets/00000000-0000-0000-0000-000000000000/attachments"))
        .bearer_auth(&app.admin)
        .header(header::CONTENT_TYPE, "multipart/form-data")
        .body("--x\r\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "bad_request");
    let r = app.get(&app.admin, "/api/v1/no-such-thing").await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "not_found");
}

async fn the_customer_reads_their_view_of_the_log(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (_, dispatcher) = app.user("dispatcher", &["dispatcher"], json!({})).await;
    let (eng_id, engineer) = app.user("eng", &["engineer"], json!({})).await;
    let (eng2_id, _) = app.user("eng2", &["engineer"], json!({})).await;
    let (customer, site) = app.customer(&agent, "辛公司", "13800000008").await;
    let (_, portal) = app
        .user(
            "customer",
            &["customer"],
            json!({ "customer_id": customer }),
        )
        .await;
    let t = app
        .assigned_order(&agent, (&customer, &site), &eng2_id, "冷柜不制冷")
        .await;
    // Reassigned with an internal reason, a note only staff see, a priority change, then the
    // visit with its check-in position.
    let t = app
        .go(
            &dispatcher,
            &t,
            json!({ "to": "assigned", "assignee_id": eng_id, "note": "原工程师请假，内部调整" }),
            200,
        )
        .await;
    let id = t["id"].as_str().unwrap();
    app.ok(
        &agent,
        &format!("/api/v1/tickets/{id}/comments"),
        json!({ "body": "客户脾气急，内部备注", "internal": true }),
        201,
    )
    .await;
    app.ok(
        &agent,
        &format!("/api/v1/tickets/{id}/comments"),
        json!({ "body": "工程师今天下午到", "internal": false }),
        201,
    )
    .await;
    let t = app.read(&agent, &format!("/api/v1/tickets/{id}")).await;
    app.walk_on_site(&engineer, &t).await;
    let staff = app.read(&agent, &format!("/api/v1/tickets/{id}")).await;
    let mine = app.read(&portal, &format!("/api/v1/tickets/{id}")).await;
    let kinds = |v: &Value| -> Vec<String> {
        v["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(kinds(&staff).contains(&"reassign".to_owned()));
    assert!(
        staff["events"].to_string().contains("内部调整"),
        "staff read the note"
    );
    let text = mine["events"].to_string();
    for secret in [
        "内部调整",
        "内部备注",
        "31.2306",
        "121.4739",
        "proposed_engineer_id",
    ] {
        assert!(
            !text.contains(secret),
            "the customer reads {secret}: {text}"
        );
    }
    for kind in kinds(&mine) {
        let k = loopdesk_core::event::EventKind::parse(&kind).unwrap();
        assert_eq!(
            k.audience(),
            loopdesk_core::event::Audience::Everyone,
            "the customer reads a {kind} event"
        );
    }
    assert!(text.contains("工程师今天下午到"));
    assert!(
        kinds(&mine).contains(&"check_in".to_owned()),
        "that the engineer arrived is theirs"
    );
    assert!(
        staff["events"].to_string().contains("31.2306"),
        "staff still see where"
    );
}

async fn spraying_from_one_address_is_slowed_and_the_admins_hear_of_it(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        c.login_attempts_per_minute = 1000;
    })
    .await;
    let attempt = |from: &'static str, username: String| {
        let req = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", format!("{from}, 127.0.0.1"))
            .json(&json!({ "username": username, "password": "Spring2026!" }));
        async move { req.send().await.unwrap().status().as_u16() }
    };
    // One wrong password each for many accounts: twenty failures are free from one address,
    // then it waits, whichever account it tries next.
    let mut codes = Vec::new();
    for i in 0..22 {
        codes.push(attempt("198.51.100.7", format!("user{i}")).await);
    }
    assert_eq!(&codes[..21], &[401; 21]);
    assert_eq!(codes[21], 429);
    // Another client behind the same proxy is not held up.
    assert_eq!(attempt("198.51.100.8", "user0".into()).await, 401);
    // Hammering on while refused is a burst: the admins hear of it once.
    for _ in 0..12 {
        assert_eq!(attempt("198.51.100.7", "admin".into()).await, 429);
    }
    let bell = app.read(&app.admin, "/api/v1/notifications").await;
    let bursts: Vec<&Value> = bell["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["event"] == "security.login_burst")
        .collect();
    assert_eq!(bursts.len(), 1, "{bell}");
    assert_eq!(bursts[0]["data"]["address"], "198.51.100.7");

    // Without a trusted proxy the header is the client's own word and changes nothing.
    let app = spawn_app_with(backend, |c| c.login_attempts_per_minute = 1000).await;
    let mut codes = Vec::new();
    for i in 0..22 {
        let r = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", format!("203.0.113.{i}"))
            .json(&json!({ "username": format!("user{i}"), "password": "Spring2026!" }))
            .send()
            .await
            .unwrap();
        codes.push(r.status().as_u16());
    }
    assert_eq!(codes[21], 429, "{codes:?}");
}

async fn a_run_now_works_in_the_callers_tenant_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = app
        .other_tenant_user("acme", "acme-admin", loopdesk_core::Role::Admin)
        .await;
    // The other tenant has a maintenance visit due.
    let (_, asset) = customer_with_asset(&app, &acme, "Acme 客户", "13800000010").await;
    app.ok(
        &acme,
        "/api/v1/maintenance/plans",
        json!({ "name": "Acme 保养", "asset_id": asset, "every_days": 30, "starts_on": "2026-11-30", "lead_days": 30 }),
        201,
    )
    .await;
    let tickets = || app.count("SELECT COUNT(*) FROM tickets");
    // This tenant's admin runs maintenance and dispatch now: nothing of the other tenant's.
    let run = app
        .ok(&app.admin, "/api/v1/maintenance/run", json!({}), 200)
        .await;
    assert_eq!(run["made"], 0);
    assert_eq!(tickets().await, 0);
    let run = app
        .ok(&app.admin, "/api/v1/dispatch/run", json!({}), 200)
        .await;
    assert_eq!(
        (run["assigned"].as_i64(), run["passed_on"].as_i64()),
        (Some(0), Some(0))
    );
    // Its own admin does make its order.
    let run = app
        .ok(&acme, "/api/v1/maintenance/run", json!({}), 200)
        .await;
    assert_eq!(run["made"], 1);
    assert_eq!(tickets().await, 1);
}
