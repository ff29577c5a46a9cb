//! Authentication, the role matrix, and tenant isolation.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, PASSWORD};
use crate::on_both_backends;

on_both_backends!(
    every_role_meets_every_endpoint_family_as_the_matrix_says,
    another_tenant_is_invisible,
    logins_are_checked_limited_and_survive_a_restart,
    operations_endpoints_answer,
);

/// Who sees which tickets, and who may do what, for every role × endpoint family.
async fn every_role_meets_every_endpoint_family_as_the_matrix_says(backend: Backend) {
    let app = spawn_app(backend).await;
    let region = app
        .ok(
            &app.admin,
            "/api/v1/regions",
            json!({ "name": "浦东新区" }),
            201,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other_region = app
        .ok(
            &app.admin,
            "/api/v1/regions",
            json!({ "name": "徐汇区" }),
            201,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (_, dispatcher) = app.user("dispatcher", &["dispatcher"], json!({})).await;
    let (_, manager) = app.user("manager", &["manager"], json!({})).await;
    let (_, supervisor) = app
        .user(
            "supervisor",
            &["supervisor"],
            json!({ "region_id": region }),
        )
        .await;
    let (eng_id, engineer) = app.user("engineer", &["engineer"], json!({})).await;
    let (eng2_id, _) = app.user("engineer2", &["engineer"], json!({})).await;
    let c_in = app.ok(&agent, "/api/v1/customers", json!({ "name": "区内客户", "region_id": region, "contacts": [{ "name": "甲", "phone": "13800000011" }] }), 201).await;
    let c_out = app
        .ok(
            &agent,
            "/api/v1/customers",
            json!({ "name": "区外客户", "region_id": other_region }),
            201,
        )
        .await;
    let (cin, cout) = (c_in["id"].as_str().unwrap(), c_out["id"].as_str().unwrap());
    let (_, customer) = app
        .user("customer", &["customer"], json!({ "customer_id": cin }))
        .await;
    let admin = app.admin.clone();

    let mk = |token: String, customer: &str, subject: &str| {
        let body = json!({ "subject": subject, "priority": 2, "channel": "phone", "customer_id": customer });
        let app = &app;
        async move { app.ok(&token, "/api/v1/tickets", body, 201).await }
    };
    let t_in = mk(agent.clone(), cin, "区内").await;
    let t_out = mk(agent.clone(), cout, "区外").await;
    // The engineer was assigned t_out once and then replaced: still visible to them.
    let t = app
        .go(
            &dispatcher,
            &t_out,
            json!({ "to": "assigned", "assignee_id": eng_id }),
            200,
        )
        .await;
    app.go(
        &dispatcher,
        &t,
        json!({ "to": "assigned", "assignee_id": eng2_id }),
        200,
    )
    .await;

    let ids = |v: &Value| -> Vec<String> {
        let mut ids: Vec<String> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["subject"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    let both = vec!["区内".to_owned(), "区外".to_owned()];
    // (who, token, sees in the list, may create tickets, may list customers, may create customers, may create users)
    type Row<'a> = (&'a str, &'a String, Vec<String>, bool, bool, bool, bool);
    let matrix: Vec<Row<'_>> = vec![
        ("admin", &admin, both.clone(), true, true, true, true),
        ("manager", &manager, both.clone(), false, true, false, false),
        (
            "dispatcher",
            &dispatcher,
            both.clone(),
            true,
            true,
            true,
            false,
        ),
        ("agent", &agent, both.clone(), true, true, true, false),
        (
            "supervisor",
            &supervisor,
            vec!["区内".to_owned()],
            true,
            true,
            true,
            false,
        ),
        (
            "engineer",
            &engineer,
            vec!["区外".to_owned()],
            false,
            false,
            false,
            false,
        ),
        (
            "customer",
            &customer,
            vec!["区内".to_owned()],
            true,
            true,
            false,
            false,
        ),
    ];
    for (who, token, sees, ..) in &matrix {
        assert_eq!(
            &ids(&app.read(token, "/api/v1/tickets").await),
            sees,
            "{who} list"
        );
        for t in [&t_in, &t_out] {
            let visible = sees.contains(&t["subject"].as_str().unwrap().to_owned());
            let status = app
                .get(
                    token,
                    &format!("/api/v1/tickets/{}", t["id"].as_str().unwrap()),
                )
                .await
                .status()
                .as_u16();
            assert_eq!(
                status,
                if visible { 200 } else { 404 },
                "{who} get {}",
                t["subject"]
            );
            // The service report is scoped as the ticket is (neither has a report yet).
            let report = app
                .get(
                    token,
                    &format!(
                        "/api/v1/tickets/{}/service-report",
                        t["id"].as_str().unwrap()
                    ),
                )
                .await
                .status()
                .as_u16();
            assert_eq!(
                report,
                if visible { 409 } else { 404 },
                "{who} service report {}",
                t["subject"]
            );
            // The open tickets beside it are scoped as the ticket is.
            let related = app
                .get(
                    token,
                    &format!("/api/v1/tickets/{}/related", t["id"].as_str().unwrap()),
                )
                .await
                .status()
                .as_u16();
            assert_eq!(
                related,
                if visible { 200 } else { 404 },
                "{who} related {}",
                t["subject"]
            );
            // Search finds exactly what the list shows.
            let subject = t["subject"].as_str().unwrap();
            let q: String = subject.bytes().map(|b| format!("%{b:02X}")).collect();
            let found = app
                .read(token, &format!("/api/v1/search?q={q}&kind=ticket"))
                .await;
            let hits: Vec<&str> = found["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h["id"].as_str().unwrap())
                .collect();
            let expected: Vec<&str> = if visible {
                vec![t["id"].as_str().unwrap()]
            } else {
                Vec::new()
            };
            assert_eq!(hits, expected, "{who} search {subject}");
        }
    }
    for (who, token, _, create_ticket, list_customers, create_customer, create_user) in matrix {
        let body =
            json!({ "subject": "新工单", "priority": 3, "channel": "web", "customer_id": cin });
        let status = app
            .post_json(token, "/api/v1/tickets", &body)
            .await
            .status()
            .as_u16();
        assert_eq!(
            status,
            if create_ticket { 201 } else { 403 },
            "{who} create ticket"
        );
        let status = app.get(token, "/api/v1/customers").await.status().as_u16();
        assert_eq!(
            status,
            if list_customers { 200 } else { 403 },
            "{who} list customers"
        );
        let status = app
            .post_json(
                token,
                "/api/v1/customers",
                &json!({ "name": format!("{who} 新客户") }),
            )
            .await
            .status()
            .as_u16();
        assert_eq!(
            status,
            if create_customer { 201 } else { 403 },
            "{who} create customer"
        );
        // Those who create customers also merge them and change or remove their contacts and
        // sites (a merge into itself is refused only after the role is let in; the unknown
        // contact and site are 404s); nobody else gets that far.
        let card = format!("/api/v1/customers/{cin}");
        let none = uuid::Uuid::new_v4();
        for (method, path, body, allowed) in [
            (
                reqwest::Method::POST,
                format!("{card}/merge"),
                json!({ "version": 1, "duplicate_id": cin }),
                422,
            ),
            (
                reqwest::Method::PUT,
                format!("{card}/contacts/{none}"),
                json!({ "name": "乙" }),
                404,
            ),
            (
                reqwest::Method::DELETE,
                format!("{card}/contacts/{none}"),
                json!({}),
                404,
            ),
            (
                reqwest::Method::PUT,
                format!("{card}/sites/{none}"),
                json!({ "name": "乙", "address": "某路 1 号" }),
                404,
            ),
            (
                reqwest::Method::DELETE,
                format!("{card}/sites/{none}"),
                json!({}),
                404,
            ),
        ] {
            let (status, _) = app.send(method.clone(), token, &path, body).await;
            assert_eq!(
                status,
                if create_customer { allowed } else { 403 },
                "{who} {method} {path}"
            );
        }
        let body = json!({ "username": format!("made-by-{who}"), "password": PASSWORD, "roles": ["agent"] });
        let status = app
            .post_json(token, "/api/v1/users", &body)
            .await
            .status()
            .as_u16();
        assert_eq!(
            status,
            if create_user { 201 } else { 403 },
            "{who} create user"
        );
        // Channels are the admins' (as users are): everyone else is refused before anything
        // is looked up; an admin meets the unknown channel's 404.
        let none = format!("/api/v1/channels/{}", uuid::Uuid::new_v4());
        for (method, path, body, allowed) in [
            (
                reqwest::Method::GET,
                "/api/v1/channels".to_owned(),
                json!({}),
                200,
            ),
            (
                reqwest::Method::GET,
                "/api/v1/channels/health".to_owned(),
                json!({}),
                200,
            ),
            (
                reqwest::Method::POST,
                "/api/v1/channels".to_owned(),
                json!({ "kind": "phone", "name": format!("{who} 热线") }),
                201,
            ),
            (reqwest::Method::GET, none.clone(), json!({}), 404),
            (
                reqwest::Method::PATCH,
                none.clone(),
                json!({ "name": "x" }),
                404,
            ),
            (reqwest::Method::DELETE, none.clone(), json!({}), 404),
            (
                reqwest::Method::GET,
                format!("{none}/messages"),
                json!({}),
                404,
            ),
            // Training a model is an admin's (this tenant has too few tickets for one).
            (
                reqwest::Method::POST,
                "/api/v1/triage/train".to_owned(),
                json!({ "target": "category" }),
                422,
            ),
            // So is letting the category model set categories (0.3 is below an even chance).
            (
                reqwest::Method::PUT,
                "/api/v1/triage/settings".to_owned(),
                json!({ "auto_category_above": 0.3 }),
                422,
            ),
            // So is choosing which screening flags hold a report (no such flag here).
            (
                reqwest::Method::PUT,
                "/api/v1/screening/settings".to_owned(),
                json!({ "blocking": ["nonsense"] }),
                422,
            ),
            // So is migrating tickets from another system (JSON lines, not JSON).
            (
                reqwest::Method::POST,
                "/api/v1/import/tickets".to_owned(),
                json!({}),
                415,
            ),
        ] {
            let (status, _) = app.send(method.clone(), token, &path, body).await;
            assert_eq!(
                status,
                if create_user { allowed } else { 403 },
                "{who} {method} {path}"
            );
        }
        // Recurring problems are for those who run the service: supervisors (their region's),
        // managers and admins.
        let insights = matches!(who, "admin" | "manager" | "supervisor");
        for path in [
            "/api/v1/insights/problems",
            "/api/v1/problems",
            "/api/v1/insights/maintenance",
        ] {
            let status = app.get(token, path).await.status().as_u16();
            assert_eq!(status, if insights { 200 } else { 403 }, "{who} {path}");
        }
        // The audit trail is the admins'.
        let status = app.get(token, "/api/v1/audit").await.status().as_u16();
        assert_eq!(
            status,
            if who == "admin" { 200 } else { 403 },
            "{who} audit"
        );
        // Whether the model sets categories is for those who triage.
        let triage = matches!(who, "admin" | "agent" | "dispatcher" | "supervisor");
        let status = app
            .get(token, "/api/v1/triage/settings")
            .await
            .status()
            .as_u16();
        assert_eq!(
            status,
            if triage { 200 } else { 403 },
            "{who} triage settings"
        );
        // The SLA what-if is for those who set the promises (a period ending before it starts
        // is refused after the role is checked).
        let what_if = matches!(who, "admin" | "manager");
        let (status, _) = app
            .send(
                reqwest::Method::POST,
                token,
                "/api/v1/sla/what-if",
                json!({ "from": "2026-11-02T00:00:00Z", "to": "2026-11-01T00:00:00Z",
                        "policy": { "first_response_minutes": 60, "resolution_minutes": 480 } }),
            )
            .await;
        assert_eq!(status, if what_if { 422 } else { 403 }, "{who} what-if");
        // The knowledge base: everyone reads (customers the public articles), those who fix
        // things write (an empty title is refused after the role), KPI readers count.
        let status = app.get(token, "/api/v1/articles").await.status().as_u16();
        assert_eq!(status, 200, "{who} articles");
        let writes = matches!(
            who,
            "admin" | "agent" | "dispatcher" | "engineer" | "supervisor"
        );
        let (status, _) = app
            .send(
                reqwest::Method::POST,
                token,
                "/api/v1/articles",
                json!({ "title": "", "body": "x" }),
            )
            .await;
        assert_eq!(
            status,
            if writes { 422 } else { 403 },
            "{who} write article"
        );
        let counts = matches!(who, "admin" | "manager" | "supervisor" | "dispatcher");
        let status = app
            .get(token, "/api/v1/knowledge/figures")
            .await
            .status()
            .as_u16();
        assert_eq!(
            status,
            if counts { 200 } else { 403 },
            "{who} knowledge figures"
        );
        // Risk is the dispatcher's too (their board). A new tenant has no history to backtest:
        // 422, not a refusal, for those allowed.
        let risk = matches!(who, "admin" | "manager" | "supervisor" | "dispatcher");
        let status = app
            .get(token, "/api/v1/insights/risk")
            .await
            .status()
            .as_u16();
        assert_eq!(status, if risk { 200 } else { 403 }, "{who} risk");
        let status = app
            .get(token, "/api/v1/insights/risk/backtest")
            .await
            .status()
            .as_u16();
        assert_eq!(status, if risk { 422 } else { 403 }, "{who} backtest");
        // The call log and its callbacks are the desk's (those who record customers): the
        // rest are refused before anything is looked up.
        let none = format!("/api/v1/calls/{}", uuid::Uuid::new_v4());
        // Triage is theirs too.
        for (method, path, body, allowed) in [
            (
                reqwest::Method::GET,
                "/api/v1/calls".to_owned(),
                json!({}),
                200,
            ),
            (reqwest::Method::GET, none.clone(), json!({}), 404),
            (
                reqwest::Method::POST,
                format!("{none}/callback-done"),
                json!({}),
                404,
            ),
            (
                reqwest::Method::POST,
                "/api/v1/triage".to_owned(),
                json!({ "subject": "空调不制冷" }),
                200,
            ),
        ] {
            let (status, _) = app.send(method.clone(), token, &path, body).await;
            assert_eq!(
                status,
                if create_customer { allowed } else { 403 },
                "{who} {method} {path}"
            );
        }
    }
    // A customer sees only their own customer record.
    let listed = app.read(&customer, "/api/v1/customers").await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.get(&customer, &format!("/api/v1/customers/{cout}"))
            .await
            .status(),
        404
    );
    assert_eq!(
        app.get(&customer, &format!("/api/v1/customers/{cin}"))
            .await
            .status(),
        200
    );
    // Moves: only the assigned engineer works the order; a customer cannot assign.
    let fresh = app
        .read(
            &agent,
            &format!("/api/v1/tickets/{}", t_out["id"].as_str().unwrap()),
        )
        .await;
    let e = app
        .go(&engineer, &fresh, json!({ "to": "accepted" }), 403)
        .await;
    assert_eq!(
        e["error"], "forbidden",
        "replaced engineer may look but not act"
    );
    let fresh_in = app
        .read(
            &agent,
            &format!("/api/v1/tickets/{}", t_in["id"].as_str().unwrap()),
        )
        .await;
    app.go(
        &customer,
        &fresh_in,
        json!({ "to": "assigned", "assignee_id": eng_id }),
        403,
    )
    .await;
    app.go(
        &manager,
        &fresh_in,
        json!({ "to": "cancelled", "reason": "x" }),
        403,
    )
    .await;
    app.go(
        &supervisor,
        &fresh_in,
        json!({ "to": "cancelled", "reason": "重复报修" }),
        200,
    )
    .await;
    // Unauthenticated: 401 everywhere.
    for path in [
        "/api/v1/tickets",
        "/api/v1/customers",
        "/api/v1/users",
        "/api/v1/me",
    ] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 401, "{path}");
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "unauthorized");
    }
}

async fn another_tenant_is_invisible(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (cid, _) = app.customer(&agent, "本租户客户", "13800000021").await;
    let t = app
        .ok(
            &agent,
            "/api/v1/tickets",
            json!({ "subject": "本租户", "priority": 2, "channel": "phone", "customer_id": cid }),
            201,
        )
        .await;
    let foreign = app
        .other_tenant_user("acme", "agent", loopdesk_core::Role::Agent)
        .await;
    // Same username in two tenants: the login must name the tenant.
    let r = app
        .post_json(
            "",
            "/api/v1/auth/login",
            &json!({ "username": "agent", "password": PASSWORD }),
        )
        .await;
    assert_eq!(r.status(), 401);
    assert_eq!(
        app.read(&foreign, "/api/v1/tickets").await["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        app.get(
            &foreign,
            &format!("/api/v1/tickets/{}", t["id"].as_str().unwrap())
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        app.get(&foreign, &format!("/api/v1/customers/{cid}"))
            .await
            .status(),
        404
    );
    assert_eq!(
        app.read(&foreign, "/api/v1/customers?phone=13800000021")
            .await["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    app.go(
        &foreign,
        &t,
        json!({ "to": "cancelled", "reason": "x" }),
        404,
    )
    .await;
    let e = app
        .ok(
            &foreign,
            "/api/v1/tickets",
            json!({ "subject": "x", "priority": 2, "channel": "phone", "customer_id": cid }),
            422,
        )
        .await;
    assert_eq!(
        e["field"], "customer_id",
        "another tenant's customer does not exist here"
    );
    // Another tenant's admin neither sees this tenant's mailbox nor reads its log.
    let channel = app
        .ok(
            &app.admin,
            "/api/v1/channels",
            json!({ "kind": "email", "name": "客服邮箱", "address": "s@here.cn" }),
            201,
        )
        .await;
    let other_admin = app
        .other_tenant_user("globex", "boss", loopdesk_core::Role::Admin)
        .await;
    let id = channel["id"].as_str().unwrap();
    assert_eq!(app.read(&other_admin, "/api/v1/channels").await, json!([]));
    for path in [
        format!("/api/v1/channels/{id}"),
        format!("/api/v1/channels/{id}/messages"),
    ] {
        assert_eq!(app.get(&other_admin, &path).await.status(), 404, "{path}");
    }
}

async fn logins_are_checked_limited_and_survive_a_restart(backend: Backend) {
    let mut app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let r = app
        .post_json(
            "",
            "/api/v1/auth/login",
            &json!({ "username": "agent", "password": "wrong-password" }),
        )
        .await;
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "bad_credentials");
    let r = app
        .post_json(
            "",
            "/api/v1/auth/login",
            &json!({ "username": "nobody", "password": "wrong-password" }),
        )
        .await;
    assert_eq!(r.status(), 401);
    // A name or tenant no account can have (a NUL; PostgreSQL text cannot hold one) is an
    // unknown name, not a server error (the API fuzzer found it).
    for body in [
        json!({ "username": "\u{4}z\u{0}x", "password": "whatever-pw" }),
        json!({ "username": "agent", "password": "whatever-pw", "tenant": "de\u{0}fault" }),
    ] {
        let r = app.post_json("", "/api/v1/auth/login", &body).await;
        assert_eq!(r.status(), 401, "{body}");
    }
    // The cookie works like the bearer token.
    let r = app
        .post_json(
            "",
            "/api/v1/auth/login",
            &json!({ "username": "agent", "password": PASSWORD }),
        )
        .await;
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap().to_owned();
    let me = app
        .client
        .get(app.url("/api/v1/me"))
        .header("cookie", pair)
        .send()
        .await
        .unwrap();
    assert_eq!(me.json::<Value>().await.unwrap()["username"], "agent");
    // Tokens are stored server-side: a restart keeps them.
    app.restart().await;
    assert_eq!(app.get(&agent, "/api/v1/me").await.status(), 200);
    // Logout revokes.
    assert_eq!(
        app.post_json(&agent, "/api/v1/auth/logout", &json!({}))
            .await
            .status(),
        204
    );
    assert_eq!(app.get(&agent, "/api/v1/me").await.status(), 401);
    app.user("guessed", &["agent"], json!({})).await;
    // Expired tokens stop working.
    let fresh = app.login("agent", PASSWORD).await;
    app.clock.advance(chrono::Duration::hours(25));
    assert_eq!(app.get(&fresh, "/api/v1/me").await.status(), 401);
    // Guessing one account: five failures are free, the sixth starts a wait that doubles with
    // each further failure; while it lasts, attempts are refused before the password is
    // checked — even the right one — and say how long to wait.
    let mut codes = Vec::new();
    for _ in 0..8 {
        codes.push(
            app.post_json(
                "",
                "/api/v1/auth/login",
                &json!({ "username": "guessed", "password": "guess-guess" }),
            )
            .await
            .status()
            .as_u16(),
        );
    }
    assert_eq!(&codes[..6], &[401; 6]);
    assert_eq!(&codes[6..], &[429, 429]);
    let r = app
        .post_json(
            "",
            "/api/v1/auth/login",
            &json!({ "username": "guessed", "password": PASSWORD }),
        )
        .await;
    assert_eq!(r.status(), 429);
    assert!(
        r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u32>()
            .unwrap()
            >= 1
    );
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "rate_limited");
}

async fn operations_endpoints_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    app.ok(
        &agent,
        "/api/v1/tickets",
        json!({ "subject": "x", "priority": 2, "channel": "phone" }),
        201,
    )
    .await;
    assert_eq!(
        app.client
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "ok"
    );
    assert_eq!(
        app.client
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("loopdesk_tickets_created_total 1"),
        "{metrics}"
    );
    assert!(metrics.contains("loopdesk_http_requests_total{method=\"POST\",route=\"/api/v1/tickets\",status=\"201\"} 1"), "{metrics}");
    assert!(metrics.contains("loopdesk_http_request_duration_seconds_bucket{method=\"POST\",route=\"/api/v1/tickets\",le=\"+Inf\"} 1"));
    let doc: Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["paths"]["/api/v1/tickets/{id}/transitions"]["post"].is_object());
    let statuses = &doc["components"]["schemas"]["Status"]["enum"];
    assert_eq!(statuses.as_array().unwrap().len(), 12, "{statuses}");
    // English on request, Chinese by default.
    let r = app
        .client
        .get(app.url("/api/v1/tickets"))
        .header("accept-language", "en-GB,en;q=0.9")
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["message"], "sign in first");
    let r = app
        .client
        .get(app.url("/api/v1/tickets"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["message"], "请先登录");
}
