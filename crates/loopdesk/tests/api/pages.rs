//! The pages over HTTP: signing in with a form, the customer portal (a request recorded once
//! however often the form is sent, errors by their field with what was typed kept), the
//! ticket's progress timeline, the customer confirming the fix, another customer's ticket a
//! 404 page, and the language switch. (The same in a real browser is the Chromium suite's.)

use base64::Engine as _;
use reqwest::header::{LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use reqwest::{Client, Response};
use serde_json::{json, Value};

use crate::helpers::{png, spawn_app, spawn_app_with, Backend, TestApp, PASSWORD};
use crate::on_both_backends;

on_both_backends!(
    a_customer_requests_follows_and_confirms_through_the_pages,
    parts_and_labels_through_the_pages,
    an_agent_takes_a_call_through_the_pages,
    a_supervisor_reviews_and_reassigns_through_the_pages,
    live_pages_hear_changes_and_let_the_server_stop,
    an_admin_sets_up_the_organisation_through_the_pages,
    a_form_sent_twice_from_the_phone_is_recorded_once,
    the_staff_ticket_page_says_who_and_what_the_ticket_is_about,
    the_engineers_order_says_who_where_and_how_to_get_there,
    staff_make_every_move_the_table_allows_from_the_ticket_page,
    the_report_form_offers_the_parts_in_the_van,
    the_queue_has_views_with_counts_filters_and_pages,
    the_queue_sorts_filters_acts_on_rows_saves_views_and_exports,
    a_duplicate_shows_at_intake_and_on_the_ticket_and_merges_from_the_page,
    a_new_caller_is_recorded_during_the_call_and_kept_on_the_customer_pages,
    an_admin_keeps_people_from_their_page,
    a_customer_replies_and_withdraws_a_request_nobody_was_sent_to,
    stock_is_set_up_and_moved_from_the_stock_page,
    an_address_nothing_answers_is_a_branded_page_or_the_apis_json,
    an_admin_sets_an_sla_policy_and_a_calendar_and_previews_the_due_times,
    the_sign_in_page_speaks_the_installations_language_not_the_browsers,
    an_admin_registers_tests_disables_and_deletes_a_webhook_from_its_page,
    equipment_is_edited_moved_catalogued_and_labelled_from_its_pages,
    a_duplicate_customer_is_found_and_merged_from_the_card,
    contacts_and_sites_are_edited_and_removed_from_the_card,
    customers_are_imported_from_a_sheet_on_the_import_page,
    an_admin_outlines_a_region_and_the_dashboard_and_board_draw_it,
    the_customer_card_shows_contracts_and_what_parts_cost_them,
    a_manager_subscribes_to_a_report_from_the_dashboard,
    an_admin_sets_dispatch_follow_up_stock_and_kpi_from_the_settings_page,
    the_parts_catalogue_is_searched_paged_edited_and_exported,
    the_customer_reads_which_engineer_comes_not_who_sent_them,
    the_customer_adds_photos_to_their_open_request,
    an_admin_sets_up_a_mailbox_and_works_its_log_from_the_channels_page,
);

/// A browser with no redirects followed and one cookie jar (by hand).
pub(crate) struct Browser {
    client: Client,
    cookies: Vec<String>,
}

impl Browser {
    fn new() -> Browser {
        Browser {
            client: Client::builder().redirect(Policy::none()).build().unwrap(),
            cookies: Vec::new(),
        }
    }

    /// The cookies kept so far, as a `Cookie` header.
    pub(crate) fn cookie_header(&self) -> String {
        self.cookies.join("; ")
    }

    fn keep(&mut self, r: &Response) {
        for c in r.headers().get_all(SET_COOKIE) {
            let pair = c.to_str().unwrap().split(';').next().unwrap().to_owned();
            let name = pair.split('=').next().unwrap().to_owned();
            self.cookies.retain(|k| !k.starts_with(&format!("{name}=")));
            self.cookies.push(pair);
        }
    }

    /// Sends a request with the cookies kept so far; keeps the ones it sets; answers the
    /// status, the body and where it redirects.
    pub(crate) async fn send(
        &mut self,
        req: reqwest::RequestBuilder,
    ) -> (u16, String, Option<String>) {
        let r = req
            .header("cookie", self.cookies.join("; "))
            .send()
            .await
            .unwrap();
        self.keep(&r);
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get(LOCATION)
            .map(|l| l.to_str().unwrap().to_owned());
        (status, r.text().await.unwrap(), location)
    }

    /// A browser signed in as `username`.
    pub(crate) async fn signed_in(app: &TestApp, username: &str) -> Browser {
        let mut b = Browser::new();
        let (s, _, _) = b
            .post(
                app,
                "/login",
                &[("username", username), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(s, 303, "{username} signs in");
        b
    }

    pub(crate) async fn get(&mut self, app: &TestApp, path: &str) -> (u16, String, Option<String>) {
        let req = self.client.get(app.url(path));
        self.send(req).await
    }

    pub(crate) async fn post(
        &mut self,
        app: &TestApp,
        path: &str,
        form: &[(&str, &str)],
    ) -> (u16, String, Option<String>) {
        let req = self.client.post(app.url(path)).form(form);
        self.send(req).await
    }

    /// Sends a form as `multipart/form-data`, with files as (field, file name, bytes).
    async fn post_multipart(
        &mut self,
        app: &TestApp,
        path: &str,
        fields: &[(&str, &str)],
        files: Vec<(&str, &str, Vec<u8>)>,
    ) -> (u16, String, Option<String>) {
        // As browsers do: field names in UTF-8 as they are, not percent-encoded.
        let mut form = reqwest::multipart::Form::new().percent_encode_noop();
        for (k, v) in fields {
            form = form.text((*k).to_owned(), (*v).to_owned());
        }
        for (k, name, bytes) in files {
            form = form.part(
                k.to_owned(),
                reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
            );
        }
        let req = self.client.post(app.url(path)).multipart(form);
        self.send(req).await
    }
}

/// The value of the hidden input `name` in a page.
fn hidden(html: &str, name: &str) -> String {
    let at = html.find(&format!("name=\"{name}\" value=\"")).unwrap();
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_owned()
}

async fn a_customer_requests_follows_and_confirms_through_the_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (customer, _) = app.customer(&agent, "上海申江制冷", "13800138000").await;
    app.user(
        "lilei",
        &["customer"],
        json!({ "customer_id": customer, "display_name": "李雷" }),
    )
    .await;
    let (other_customer, _) = app.customer(&agent, "别家", "13900139000").await;
    app.user(
        "wang",
        &["customer"],
        json!({ "customer_id": other_customer }),
    )
    .await;

    // Not signed in: to the sign-in page, and back after it.
    let mut b = Browser::new();
    let (s, _, to) = b.get(&app, "/portal").await;
    assert_eq!((s, to.as_deref()), (303, Some("/login?next=/portal")));
    let (s, html, _) = b.get(&app, "/login?next=/portal").await;
    assert_eq!(s, 200);
    assert!(
        html.contains("<html lang=\"zh-CN\"") && html.contains("登录"),
        "{html}"
    );
    assert!(html.contains("name=\"viewport\""));
    let (s, html, _) = b
        .post(
            &app,
            "/login",
            &[
                ("username", "lilei"),
                ("password", "wrong"),
                ("next", "/portal"),
            ],
        )
        .await;
    assert_eq!(s, 200);
    assert!(
        html.contains("用户名或密码错误") && html.contains("value=\"lilei\""),
        "{html}"
    );
    let (s, _, to) = b
        .post(
            &app,
            "/login",
            &[
                ("username", "lilei"),
                ("password", PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(
        (s, to.as_deref()),
        (303, Some("/")),
        "never to another site"
    );
    let (_, _, to) = b.get(&app, "/").await;
    assert_eq!(to.as_deref(), Some("/portal"));
    let (s, html, _) = b.get(&app, "/portal").await;
    assert_eq!(s, 200);
    assert!(html.contains("我的报修") && html.contains("李雷"));

    // A request: errors by their field, with what was typed; sent twice, recorded once; the
    // category's own fields are asked for, and a photo goes with it.
    app.ok(
        &app.admin,
        "/api/v1/categories",
        json!({ "code": "refrigeration", "name": "制冷设备",
        "required_fields": ["设备型号", "故障现象"] }),
        201,
    )
    .await;
    let (_, html, _) = b.get(&app, "/portal/new").await;
    assert!(
        html.contains("制冷设备") && html.contains("name=\"field.设备型号\""),
        "{html}"
    );
    let key = hidden(&html, "submission");
    let (s, html, _) = b
        .post_multipart(
            &app,
            "/portal/new",
            &[
                ("subject", "  "),
                ("description", "两台冷柜都不制冷"),
                ("priority", "2"),
                ("submission", &key),
            ],
            vec![],
        )
        .await;
    assert_eq!(s, 422);
    assert!(
        html.contains("field-error") && html.contains("两台冷柜都不制冷"),
        "{html}"
    );
    let base = [
        ("subject", "冷柜不制冷"),
        ("description", "两台冷柜都不制冷"),
        ("priority", "2"),
        ("submission", key.as_str()),
        ("category", "refrigeration"),
    ];
    let (s, html, _) = b.post_multipart(&app, "/portal/new", &base, vec![]).await;
    assert_eq!(s, 422, "the category's fields are required");
    assert!(html.contains("field-error"), "{html}");
    let (s, html, _) = b
        .post_multipart(
            &app,
            "/portal/new",
            &[
                base.as_slice(),
                &[("field.设备型号", "X1"), ("field.故障现象", "不制冷")],
            ]
            .concat(),
            vec![("photos", "fault.txt", b"not a picture".to_vec())],
        )
        .await;
    assert_eq!(s, 422, "only pictures");
    assert!(
        html.contains("value=\"X1\""),
        "what was typed is kept: {html}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 0);
    let form = [
        base.as_slice(),
        &[("field.设备型号", "X1"), ("field.故障现象", "不制冷")],
    ]
    .concat();
    let (s, _, first) = b
        .post_multipart(
            &app,
            "/portal/new",
            &form,
            vec![("photos", "fault.png", crate::helpers::png())],
        )
        .await;
    assert_eq!(s, 303);
    let (_, _, second) = b
        .post_multipart(
            &app,
            "/portal/new",
            &form,
            vec![("photos", "fault.png", crate::helpers::png())],
        )
        .await;
    assert_eq!(first, second, "a double submit answers the first request");
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM attachments").await,
        1,
        "the photo, once"
    );
    let page = first.unwrap();
    let (s, html, _) = b.get(&app, &page).await;
    assert_eq!(s, 200);
    assert!(html.contains("class=\"done now\">已受理"), "{html}");
    assert!(html.contains("冷柜不制冷"));

    // Another customer gets a 404 page for it.
    let mut other = Browser::new();
    other
        .post(
            &app,
            "/login",
            &[("username", "wang"), ("password", PASSWORD)],
        )
        .await;
    let (s, html, _) = other.get(&app, &page).await;
    assert_eq!(s, 404);
    assert!(html.contains("未找到"));

    // Fixed remotely; the customer confirms on the page and the ticket is closed.
    let id = page.trim_start_matches("/t/");
    let t = app.read(&agent, &format!("/api/v1/tickets/{id}")).await;
    app.resolve_remotely(&agent, &t, "远程指导重启").await;
    let (_, html, _) = b.get(&app, &page).await;
    assert!(html.contains("确认已修好"), "{html}");
    assert!(!html.contains("为本次服务评分"), "no survey yet");
    // An hour on the survey goes out; the customer can rate right from the page.
    app.clock.advance(chrono::Duration::minutes(61));
    loopdesk_jobs::Runner::new(
        app.store.clone(),
        app.clock.clone(),
        "r".into(),
        loopdesk_jobs::RunnerConfig::default(),
    )
    .unwrap()
    .drain()
    .await
    .unwrap();
    let (_, html, _) = b.get(&app, &page).await;
    let at = html.find("href=\"/survey/").expect("a link to rate");
    let link = &html[at + 6..];
    let link = link[..link.find('"').unwrap()].to_owned();
    let (s, survey, _) = b.get(&app, &link).await;
    assert_eq!(s, 200);
    assert!(survey.contains("冷柜不制冷"), "{survey}");
    let rated = [("csat", "5"), ("nps", "9"), ("comment", "师傅很专业")];
    let (s, _, _) = b.post(&app, &link, &rated).await;
    assert!(s < 400, "rated: {s}");
    // Staff read the answer on the ticket's page.
    let mut staff = Browser::signed_in(&app, "agent").await;
    let (_, theirs, _) = staff.get(&app, &page).await;
    assert!(
        theirs.contains("CSAT 5/5") && theirs.contains("NPS 9/10") && theirs.contains("师傅很专业"),
        "{theirs}"
    );
    let version = hidden(&html, "version");
    let (s, _, to) = b
        .post(&app, &format!("{page}/confirm"), &[("version", &version)])
        .await;
    assert_eq!((s, to.as_deref()), (303, Some(page.as_str())));
    assert_eq!(
        app.read(&agent, &format!("/api/v1/tickets/{id}")).await["status"],
        "closed"
    );
    // The same form again: the ticket moved on, said on the page.
    let (s, html, _) = b
        .post(&app, &format!("{page}/confirm"), &[("version", &version)])
        .await;
    assert_eq!(s, 409);
    assert!(html.contains("状态已变化"), "{html}");

    // English, remembered.
    let (_, html, _) = b.get(&app, "/portal?lang=en").await;
    assert!(
        html.contains("<html lang=\"en\"") && html.contains("My requests"),
        "{html}"
    );
    let (_, html, _) = b.get(&app, &page).await;
    assert!(
        html.contains("Closed") && html.contains("Confirmed and closed"),
        "{html}"
    );
    let (_, css, _) = b.get(&app, "/static/app.css").await;
    assert!(css.contains("ol.progress"));
    // Signing out ends the session.
    b.post(&app, "/logout", &[]).await;
    let (s, _, _) = b.get(&app, "/portal").await;
    assert_eq!(s, 303);
}

/// An engineer asks for parts from the van page; the supervisor approves on theirs (or
/// sees why not); a scanned label takes a customer to a request for that asset and an
/// engineer to its card.
async fn parts_and_labels_through_the_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (eng_id, _) = app
        .user(
            "zhanggong",
            &["engineer"],
            json!({ "display_name": "张工" }),
        )
        .await;
    app.user("boss", &["supervisor"], json!({})).await;
    let (customer, site) = app.customer(&agent, "上海申江制冷", "13800138000").await;
    app.user("lilei", &["customer"], json!({ "customer_id": customer }))
        .await;
    app.ok(
        &app.admin,
        "/api/v1/parts",
        json!({ "sku": "FLT-01", "name": "滤芯" }),
        201,
    )
    .await;
    let store = app
        .ok(
            &app.admin,
            "/api/v1/warehouses",
            json!({ "name": "总仓", "kind": "central" }),
            201,
        )
        .await;
    app.ok(
        &app.admin,
        "/api/v1/warehouses",
        json!({ "name": "沪A·12345", "kind": "van", "engineer_id": eng_id }),
        201,
    )
    .await;
    app.ok(
        &app.admin,
        "/api/v1/stock/movements",
        json!({ "kind": "receive", "sku": "FLT-01", "qty": 10, "to_warehouse_id": store["id"] }),
        201,
    )
    .await;
    let asset = app.asset(&agent, (&customer, &site), "X1", "SN-QR-1").await;
    let t = app.ok(&agent, "/api/v1/tickets", json!({ "channel": "phone", "asset_id": asset["id"], "subject": "冷柜不冷", "description": "", "priority": 2 }), 201).await;
    app.go(
        &agent,
        &t,
        json!({ "to": "assigned", "assignee_id": eng_id }),
        200,
    )
    .await;
    let ticket_id = t["id"].as_str().unwrap();

    let mut eng = Browser::signed_in(&app, "zhanggong").await;
    let (s, html, _) = eng.get(&app, "/m/van").await;
    assert_eq!(s, 200);
    assert!(
        html.contains("沪A·12345") && html.contains("冷柜不冷"),
        "{html}"
    );
    let (s, html, _) = eng
        .post(
            &app,
            "/m/requisitions",
            &[("ticket_id", ticket_id), ("sku", "FLT-01"), ("qty", "0")],
        )
        .await;
    assert_eq!(s, 422);
    assert!(
        html.contains("field-error") && html.contains("value=\"FLT-01\""),
        "{html}"
    );
    let (s, _, to) = eng
        .post(
            &app,
            "/m/requisitions",
            &[("ticket_id", ticket_id), ("sku", "FLT-01"), ("qty", "2")],
        )
        .await;
    assert_eq!((s, to.as_deref()), (303, Some("/m/van")));
    let (_, html, _) = eng.get(&app, "/m/van").await;
    assert!(html.contains("待审批"), "{html}");
    let (s, _, _) = eng.get(&app, "/requisitions").await;
    assert_eq!(s, 403, "engineers do not approve");

    let mut boss = Browser::signed_in(&app, "boss").await;
    let (s, html, _) = boss.get(&app, "/requisitions").await;
    assert_eq!(s, 200);
    assert!(html.contains("FLT-01 × 2 ← 总仓"), "{html}");
    let rid = app
        .read(&app.admin, "/api/v1/requisitions?status=pending")
        .await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, _, to) = boss
        .post(&app, &format!("/requisitions/{rid}/approve"), &[])
        .await;
    assert_eq!((s, to.as_deref()), (303, Some("/requisitions")));
    let (_, html, _) = eng.get(&app, "/m/van").await;
    assert!(html.contains("已批准"), "{html}");
    // More than any warehouse has: the supervisor is told why.
    eng.post(
        &app,
        "/m/requisitions",
        &[("ticket_id", ticket_id), ("sku", "FLT-01"), ("qty", "50")],
    )
    .await;
    let rid = app
        .read(&app.admin, "/api/v1/requisitions?status=pending")
        .await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, html, _) = boss
        .post(&app, &format!("/requisitions/{rid}/approve"), &[])
        .await;
    assert_eq!(s, 409);
    assert!(html.contains("库存不足"), "{html}");

    // Stock by warehouse, with its movements.
    let (s, html, _) = boss
        .get(
            &app,
            &format!("/stock?warehouse={}", store["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(s, 200);
    assert!(
        html.contains("FLT-01") && html.contains("入库") && html.contains("调拨"),
        "{html}"
    );
    assert_eq!(eng.get(&app, "/stock").await.0, 403);

    // The label: a customer reports on that asset, an engineer sees its card.
    let token = asset["qr_token"].as_str().unwrap();
    let mut cust = Browser::signed_in(&app, "lilei").await;
    let (s, _, to) = cust.get(&app, &format!("/a/{token}")).await;
    let aid = asset["id"].as_str().unwrap();
    assert_eq!(
        (s, to.clone()),
        (303, Some(format!("/portal/new?asset={aid}")))
    );
    let (_, html, _) = cust.get(&app, &to.unwrap()).await;
    assert!(
        html.contains(&format!("value=\"{aid}\" selected")),
        "{html}"
    );
    let (s, html, _) = eng.get(&app, &format!("/a/{token}")).await;
    assert_eq!(s, 200);
    assert!(
        html.contains("SN-QR-1") && html.contains("冷柜不冷"),
        "{html}"
    );
    let (s, _, _) = eng.get(&app, "/a/0123456789abcdef0123456789abcdef").await;
    assert_eq!(s, 404);
}

/// Phone intake: the caller's number, in any spelling, finds the customer with equipment and
/// warranty and recent tickets; the request is recorded from there, by phone, on that asset.
async fn an_agent_takes_a_call_through_the_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (customer, site) = app.customer(&agent, "上海申江制冷", "13800138000").await;
    let asset = app
        .ok(
            &agent,
            "/api/v1/assets",
            json!({ "customer_id": customer, "site_id": site, "model": "X1",
        "serial": "SN-OLD", "warranty_until": "2020-01-01" }),
            201,
        )
        .await;
    app.ok(
        &agent,
        "/api/v1/tickets",
        json!({ "channel": "phone", "customer_id": customer, "subject": "上次的异响",
        "description": "", "priority": 3 }),
        201,
    )
    .await;

    let mut b = Browser::signed_in(&app, "agent").await;
    let (_, _, to) = b.get(&app, "/").await;
    assert_eq!(to.as_deref(), Some("/desk"));
    let (s, html, _) = b.get(&app, "/desk").await;
    assert_eq!(s, 200);
    assert!(
        html.contains("上次的异响") && html.contains("badge ok"),
        "{html}"
    );
    let (s, html, _) = b
        .get(&app, "/desk/intake?phone=%2B86%20138-0013-8000")
        .await;
    assert_eq!(s, 200);
    assert!(
        html.contains("上海申江制冷") && html.contains("SN-OLD") && html.contains("已过保修期"),
        "{html}"
    );
    assert!(html.contains("上次的异响"), "the caller's tickets: {html}");
    let (s, html, _) = b.get(&app, "/desk/intake?phone=12").await;
    assert_eq!(s, 422);
    assert!(html.contains("field-error"));
    let (_, html, _) = b.get(&app, "/desk/intake?phone=13999999999").await;
    assert!(html.contains("未找到该号码的客户"));

    let key = uuid::Uuid::new_v4().to_string();
    let aid = asset["id"].as_str().unwrap();
    let (s, _, to) = b
        .post(
            &app,
            "/desk/intake",
            &[
                ("customer_id", customer.as_str()),
                ("phone", "+86 138-0013-8000"),
                ("site_id", site.as_str()),
                ("asset_id", aid),
                ("subject", "冷柜异响"),
                ("description", "压缩机声音大"),
                ("priority", "2"),
                ("submission", &key),
            ],
        )
        .await;
    assert_eq!(s, 303);
    let id = to.unwrap().trim_start_matches("/t/").to_owned();
    let t = app.read(&agent, &format!("/api/v1/tickets/{id}")).await;
    assert_eq!(
        (
            t["channel"].as_str(),
            t["asset_id"].as_str(),
            t["priority"].as_i64()
        ),
        (Some("phone"), Some(aid), Some(2))
    );
    assert_eq!(t["customer_id"], customer.as_str());
    assert_eq!(t["chargeable"], true, "out of warranty");
    // On the ticket: a public reply, an internal note, and a hand-over to another team.
    let team = app
        .ok(
            &app.admin,
            "/api/v1/teams",
            json!({ "name": "制冷组" }),
            201,
        )
        .await;
    let page = format!("/t/{id}");
    let (s, _, _) = b
        .post(
            &app,
            &format!("{page}/comment"),
            &[("body", "明天上午上门")],
        )
        .await;
    assert_eq!(s, 303);
    b.post(
        &app,
        &format!("{page}/comment"),
        &[("body", "客户脾气急，注意沟通"), ("internal", "1")],
    )
    .await;
    let (s, _, _) = b
        .post(
            &app,
            &format!("{page}/team"),
            &[
                ("team_id", team["id"].as_str().unwrap()),
                ("note", "制冷问题"),
            ],
        )
        .await;
    assert_eq!(s, 303);
    assert_eq!(
        app.read(&agent, &format!("/api/v1/tickets/{id}")).await["team_id"],
        team["id"]
    );
    let (_, html, _) = b.get(&app, &page).await;
    assert!(
        html.contains("客户脾气急") && html.contains("已转交其他团队"),
        "{html}"
    );
    // A customer has no console, and never sees an internal note.
    app.user("lilei", &["customer"], json!({ "customer_id": customer }))
        .await;
    let mut c = Browser::signed_in(&app, "lilei").await;
    assert_eq!(c.get(&app, "/desk").await.0, 403);
    assert_eq!(c.get(&app, "/desk/counts").await.0, 403);
    let (_, html, _) = c.get(&app, &page).await;
    assert!(
        html.contains("明天上午上门") && !html.contains("客户脾气急"),
        "{html}"
    );
    assert_eq!(
        c.post(
            &app,
            &format!("{page}/team"),
            &[("team_id", team["id"].as_str().unwrap())]
        )
        .await
        .0,
        403
    );
}

/// The supervisor's desk: a flagged report waits for review and is approved there; an order
/// past its promise shows at risk and is handed to another engineer.
async fn a_supervisor_reviews_and_reassigns_through_the_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (eng_id, engineer) = app
        .user(
            "zhanggong",
            &["engineer"],
            json!({ "display_name": "张工" }),
        )
        .await;
    let (other_id, _) = app
        .user("ligong", &["engineer"], json!({ "display_name": "李工" }))
        .await;
    app.user("boss", &["supervisor"], json!({})).await;
    let (customer, site) = app.customer(&agent, "上海东方酒店", "13700137000").await;
    let new = |subject: &str| json!({ "subject": subject, "description": "", "priority": 1, "channel": "phone", "customer_id": customer, "site_id": site });
    // Checked in 2 km away: the report goes to review.
    let t = app
        .ok(&agent, "/api/v1/tickets", new("电梯异响"), 201)
        .await;
    let t = app
        .go(
            &agent,
            &t,
            json!({ "to": "assigned", "assignee_id": eng_id }),
            200,
        )
        .await;
    let t = app.check_in_afar(&engineer, &t).await;
    let id = t["id"].as_str().unwrap().to_owned();
    let files = app.report_files(&engineer, &id).await;
    app.clock.advance(chrono::Duration::minutes(40));
    let report = json!({ "resolution": "更换导靴", "before_photo_ids": [files[0]], "after_photo_ids": [files[1]], "signature_id": files[2] });
    let t = app.send_report(&engineer, &t, report).await;
    assert_eq!(t["status"], "in_review");
    // Another order nobody accepted, two days on: past its promise.
    let late = app
        .ok(&agent, "/api/v1/tickets", new("空调漏水"), 201)
        .await;
    app.go(
        &agent,
        &late,
        json!({ "to": "assigned", "assignee_id": eng_id }),
        200,
    )
    .await;
    app.clock.advance(chrono::Duration::days(2));
    app.store
        .sla_scan(loopdesk_core::clock::Clock::now(app.clock.as_ref()), 100)
        .await
        .unwrap();
    let agent = app.login("agent", PASSWORD).await;

    let mut b = Browser::signed_in(&app, "boss").await;
    let (_, _, to) = b.get(&app, "/").await;
    assert_eq!(to.as_deref(), Some("/review"));
    let (s, html, _) = b.get(&app, "/review").await;
    assert_eq!(s, 200);
    assert!(
        html.contains("电梯异响") && html.contains("签到位置超出现场范围"),
        "{html}"
    );
    assert!(
        html.contains("空调漏水") && html.contains("已超时"),
        "{html}"
    );
    let version = |id: &str| {
        let app = &app;
        let agent = agent.clone();
        let id = id.to_owned();
        async move { app.read(&agent, &format!("/api/v1/tickets/{id}")).await["version"].to_string() }
    };
    let v = version(&id).await;
    let (s, _, to) = b
        .post(
            &app,
            &format!("/review/t/{id}"),
            &[("version", &v), ("to", "resolved")],
        )
        .await;
    assert_eq!((s, to.as_deref()), (303, Some("/review")));
    assert_eq!(
        app.read(&agent, &format!("/api/v1/tickets/{id}")).await["status"],
        "resolved"
    );
    // The late one is handed on from the hand-dispatch page the desk links to, and the
    // supervisor comes back to the desk. The desk lists no engineers itself.
    let late_id = late["id"].as_str().unwrap();
    let (_, html, _) = b.get(&app, "/review").await;
    let hand = format!("/dispatch/t/{late_id}?from=review");
    assert!(html.contains(&hand), "{html}");
    assert!(!html.contains("<select"), "no engineer list per card");
    let (s, html, _) = b.get(&app, &hand).await;
    assert_eq!(s, 200);
    assert!(html.contains(&other_id) && html.contains(r#"name="from" value="review""#));
    let (s, _, to) = b
        .post(
            &app,
            "/dispatch/assign",
            &[
                ("ticket_id", late_id),
                ("engineer_id", &other_id),
                ("note", "张工联系不上"),
                ("from", "review"),
            ],
        )
        .await;
    assert_eq!((s, to.as_deref()), (303, Some("/review")));
    assert_eq!(
        app.read(&agent, &format!("/api/v1/tickets/{late_id}"))
            .await["assignee_id"],
        other_id.as_str()
    );
    let mut e = Browser::signed_in(&app, "zhanggong").await;
    assert_eq!(e.get(&app, "/review").await.0, 403);
}

/// What a live stream sends up to its first `changed` event (within seconds).
async fn until_changed(stream: &mut Response) -> String {
    let mut seen = String::new();
    while !seen.contains("event: changed") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), stream.chunk())
            .await
            .expect("an event within seconds")
            .unwrap()
            .expect("the stream goes on");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    seen
}

/// Live pages: the stream says `changed` when someone else moves the ticket, and a server
/// shutting down ends it rather than waiting on it.
async fn live_pages_hear_changes_and_let_the_server_stop(backend: Backend) {
    let mut app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (customer, _) = app.customer(&agent, "上海申江制冷", "13800138000").await;
    app.user("lilei", &["customer"], json!({ "customer_id": customer }))
        .await;
    let t = app
        .ok(
            &agent,
            "/api/v1/tickets",
            json!({ "channel": "phone", "customer_id": customer,
        "subject": "冷柜不制冷", "description": "", "priority": 2 }),
            201,
        )
        .await;
    let mut b = Browser::signed_in(&app, "lilei").await;
    let id = t["id"].as_str().unwrap();
    // A queue page names the stamp of the queue it shows.
    let (_, portal, _) = b.get(&app, "/portal").await;
    assert!(portal.contains("data-live=\"/live/queue?v="), "{portal}");
    let open = |path: String| {
        let request = b.client.get(app.url(&path));
        request.header("cookie", b.cookies.join("; ")).send()
    };
    let mut stream = open(format!("/live/t/{id}")).await.unwrap();
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    app.go(&agent, &t, json!({ "to": "in_progress" }), 200)
        .await;
    let seen = until_changed(&mut stream).await;
    assert!(seen.contains("data: 2"), "the new version: {seen}");
    // A page rendered at version 1 whose stream starts only now, after the move, hears of it
    // at once.
    let mut late = open(format!("/live/t/{id}?v=1")).await.unwrap();
    let seen = until_changed(&mut late).await;
    assert!(seen.contains("data: 2"), "the version it missed: {seen}");
    // Likewise a queue page's stream, from the stamp the page was rendered with.
    let mut queue = open("/live/queue?v=0".to_owned()).await.unwrap();
    until_changed(&mut queue).await;
    // Another customer's ticket has no stream.
    let (other, _) = app.customer(&agent, "别家", "13900139000").await;
    app.user("wang", &["customer"], json!({ "customer_id": other }))
        .await;
    let mut w = Browser::signed_in(&app, "wang").await;
    assert_eq!(w.get(&app, &format!("/live/t/{id}")).await.0, 404);
    // The stream is still open; stopping the server does not wait on it.
    tokio::time::timeout(std::time::Duration::from_secs(20), app.restart())
        .await
        .expect("the server stops with a live page open");
    drop(stream);
}

/// Administration: people with their roles, regions, teams and request categories, added on
/// the page; a mistake is shown by its form; only admins get there.
async fn an_admin_sets_up_the_organisation_through_the_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut b = Browser::new();
    b.post(
        &app,
        "/login",
        &[
            ("username", "admin"),
            ("password", crate::helpers::ADMIN_PASSWORD),
        ],
    )
    .await;
    let (_, _, to) = b.get(&app, "/").await;
    assert_eq!(to.as_deref(), Some("/admin"));
    assert_eq!(
        b.post(&app, "/admin/regions", &[("name", "浦东新区")])
            .await
            .0,
        303
    );
    let (_, html, _) = b.get(&app, "/admin").await;
    let region = {
        let at = html.find("\">浦东新区</option>").unwrap();
        let start = html[..at].rfind("value=\"").unwrap() + 7;
        html[start..at].to_owned()
    };
    assert_eq!(
        b.post(
            &app,
            "/admin/teams",
            &[("name", "浦东服务队"), ("region_id", &region)]
        )
        .await
        .0,
        303
    );
    let (s, _, _) = b
        .post(
            &app,
            "/admin/categories",
            &[
                ("code", "refrigeration"),
                ("name", "制冷设备"),
                ("fields", "设备型号，故障现象"),
                ("requires_review", "1"),
            ],
        )
        .await;
    assert_eq!(s, 303);
    let cats = app.read(&app.admin, "/api/v1/categories").await;
    assert_eq!(
        cats["items"][0]["required_fields"],
        json!(["设备型号", "故障现象"])
    );
    assert_eq!(cats["items"][0]["requires_review"], true);
    let (s, _, _) = b
        .post(
            &app,
            "/admin/users",
            &[
                ("username", "wanggong"),
                ("display_name", "王工"),
                ("password", PASSWORD),
                ("role", "engineer"),
                ("role", "agent"),
                ("region_id", &region),
            ],
        )
        .await;
    assert_eq!(s, 303);
    let users = app.read(&app.admin, "/api/v1/users").await;
    let wang = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "wanggong")
        .unwrap()
        .clone();
    assert_eq!(wang["roles"], json!(["agent", "engineer"]));
    assert_eq!(wang["region_id"], region.as_str());
    let (s, html, _) = b
        .post(
            &app,
            "/admin/users",
            &[
                ("username", "wanggong"),
                ("password", PASSWORD),
                ("role", "agent"),
            ],
        )
        .await;
    assert_eq!(s, 422);
    assert!(html.contains("field-error"), "{html}");
    let (s, _, _) = b
        .post(
            &app,
            "/admin/categories",
            &[("code", "Bad Code"), ("name", "x")],
        )
        .await;
    assert_eq!(s, 422);
    let mut w = Browser::signed_in(&app, "wanggong").await;
    assert_eq!(w.get(&app, "/admin").await.0, 403);
    assert_eq!(
        w.post(&app, "/admin/regions", &[("name", "x")]).await.0,
        403
    );
}

/// A phone that sends a form again (its offline queue, or a lost answer) records it once: a
/// move is made once, and a report is stored once with its photos stored once.
async fn a_form_sent_twice_from_the_phone_is_recorded_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (eng_id, engineer) = app.user("ligong", &["engineer"], json!({})).await;
    let (customer, site) = app.customer(&agent, "上海申江制冷", "13800138000").await;
    let t = app
        .assigned_order(&agent, (&customer, &site), &eng_id, "冷柜不制冷")
        .await;
    let id = t["id"].as_str().unwrap().to_owned();
    let mut b = Browser::signed_in(&app, "ligong").await;
    let (_, html, _) = b.get(&app, &format!("/m/t/{id}")).await;
    assert!(
        html.contains("data-offline"),
        "the order's forms may wait offline"
    );
    let key = hidden(&html, "submission");
    let version = hidden(&html, "version");
    let accept = [
        ("submission", key.as_str()),
        ("version", version.as_str()),
        ("to", "accepted"),
    ];
    for _ in 0..2 {
        let (s, _, to) = b.post(&app, &format!("/m/t/{id}/move"), &accept).await;
        assert_eq!(
            (s, to),
            (303, Some(format!("/m/t/{id}"))),
            "the second answers as the first"
        );
    }
    let kinds = |t: &Value| -> usize {
        t["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "accept")
            .count()
    };
    let t = app.read(&agent, &format!("/api/v1/tickets/{id}")).await;
    assert_eq!((t["status"].as_str(), kinds(&t)), (Some("accepted"), 1));

    let t = app
        .go(&engineer, &t, json!({ "to": "en_route" }), 200)
        .await;
    let check_in = json!({ "to": "on_site", "check_in": { "lat": 31.2306, "lon": 121.4739 } });
    let t = app.go(&engineer, &t, check_in, 200).await;
    app.go(&engineer, &t, json!({ "to": "in_progress" }), 200)
        .await;
    let (_, html, _) = b.get(&app, &format!("/m/t/{id}/report")).await;
    let key = hidden(&html, "submission");
    let version = hidden(&html, "version");
    let signature = format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(crate::helpers::png())
    );
    for _ in 0..2 {
        let (s, _, to) = b
            .post_multipart(
                &app,
                &format!("/m/t/{id}/report"),
                &[
                    ("submission", key.as_str()),
                    ("version", version.as_str()),
                    ("resolution", "补充冷媒，试机正常"),
                    ("signature", signature.as_str()),
                ],
                vec![
                    ("before", "before.png", crate::helpers::png()),
                    ("after", "after.png", crate::helpers::png()),
                ],
            )
            .await;
        assert_eq!((s, to), (303, Some(format!("/m/t/{id}"))));
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM work_reports").await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM attachments WHERE kind = 'before'")
            .await,
        1,
        "the photos of the second send are not stored again"
    );
}

/// Staff see on the ticket page whom the ticket is for and what it is about — customer, the
/// contact with a `tel:` link, the site's address, the asset, the engineer, the due times; the
/// customer's own page shows none of it (it is theirs already, and the team is internal).
async fn the_staff_ticket_page_says_who_and_what_the_ticket_is_about(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (eng_id, _) = app
        .user("eng", &["engineer"], json!({ "display_name": "张工" }))
        .await;
    let (customer, site) = app.customer(&agent, "上海申江制冷", "13800138000").await;
    let asset = app
        .ok(
            &agent,
            "/api/v1/assets",
            json!({ "customer_id": customer, "site_id": site, "model": "X1", "serial": "SN-PAGE-1",
                    "warranty_until": "2027-06-30" }),
            201,
        )
        .await;
    let t = app
        .ok(&agent, "/api/v1/tickets",
            json!({ "channel": "phone", "customer_id": customer, "site_id": site, "asset_id": asset["id"],
                    "contact_phone": "13800138000", "subject": "冷柜不制冷", "priority": 2 }), 201)
        .await;
    app.go(
        &agent,
        &t,
        json!({ "to": "assigned", "assignee_id": eng_id }),
        200,
    )
    .await;
    let page = |token: String| {
        let app = &app;
        let path = format!("/t/{}", t["id"].as_str().unwrap());
        async move {
            app.client
                .get(app.url(&path))
                .header("cookie", format!("loopdesk_session={token}"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let html = page(agent.clone()).await;
    for shown in [
        "上海申江制冷",
        "href=\"tel:13800138000\"",
        "上海市黄浦区人民大道 1 号",
        "SN-PAGE-1",
        "2027-06-30",
        "张工",
        "P2",
    ] {
        assert!(html.contains(shown), "staff page lacks {shown}: {html}");
    }
    let (_, portal) = app
        .user(
            "customer",
            &["customer"],
            json!({ "customer_id": customer }),
        )
        .await;
    let html = page(portal).await;
    assert!(!html.contains("dl class=\"facts\""), "{html}");
}

/// The engineer's order page: the customer, the contact to call, the address with links that
/// open the phone's map, the agent's notes in the history; declining asks for a reason, and
/// the check-in form carries the site's position and geofence for the phone to compare.
async fn the_engineers_order_says_who_where_and_how_to_get_there(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (eng_id, engineer) = app.user("ligong", &["engineer"], json!({})).await;
    let (customer, site) = app.customer(&agent, "上海申江制冷", "13800138000").await;
    let t = app
        .ok(
            &agent,
            "/api/v1/tickets",
            json!({ "channel": "phone", "customer_id": customer, "site_id": site,
                    "contact_phone": "138 0013 8000", "subject": "冷柜不制冷", "priority": 2 }),
            201,
        )
        .await;
    let id = t["id"].as_str().unwrap().to_owned();
    app.ok(
        &agent,
        &format!("/api/v1/tickets/{id}/comments"),
        json!({ "body": "请带梯子，机组在二楼平台", "internal": true }),
        201,
    )
    .await;
    let t = app.read(&agent, &format!("/api/v1/tickets/{id}")).await;
    let t = app
        .go(
            &agent,
            &t,
            json!({ "to": "assigned", "assignee_id": eng_id }),
            200,
        )
        .await;
    let mut b = Browser::signed_in(&app, "ligong").await;
    let (s, html, _) = b.get(&app, &format!("/m/t/{id}")).await;
    assert_eq!(s, 200);
    for want in [
        "上海申江制冷",
        "李雷",
        r#"href="tel:13800138000""#,
        "总店 · 上海市黄浦区人民大道 1 号",
        r#"href="geo:31.2304,121.4737?q=31.2304,121.4737(%E6%80%BB%E5%BA%97)""#,
        r#"href="https://uri.amap.com/marker?position=121.4737,31.2304&amp;name=%E6%80%BB%E5%BA%97&amp;coordinate=wgs84&amp;callnative=1""#,
        "baidumap://map/marker?location=31.2304,121.4737&amp;title=%E6%80%BB%E5%BA%97",
        "处理记录",
        "请带梯子，机组在二楼平台",
    ] {
        assert!(html.contains(want), "{want} missing from the order page");
    }
    // Declining is a step aside: it opens to ask why.
    let decline = html.find("<details").expect("decline folds out");
    assert!(html[decline..].contains(r#"name="reason" required"#));
    // On the way, the check-in form knows where the site is and how far its geofence reaches.
    let t = app
        .go(&engineer, &t, json!({ "to": "accepted" }), 200)
        .await;
    app.go(&engineer, &t, json!({ "to": "en_route" }), 200)
        .await;
    let (_, html, _) = b.get(&app, &format!("/m/t/{id}")).await;
    for want in [
        r#"data-site-lat="31.2304""#,
        r#"data-site-lon="121.4737""#,
        r#"data-geofence="300""#,
        "超出签到范围",
    ] {
        assert!(html.contains(want), "{want} missing from the check-in form");
    }
}

/// The staff ticket page offers the moves the table allows this reader and makes them: an
/// agent takes a call-in remotely, resolves it with what was done, confirms for the customer
/// with how; changes a priority with why; records a chase; cancels another ticket with a
/// reason (without one: 422 and nothing changes). The customer's page has no staff actions.
async fn staff_make_every_move_the_table_allows_from_the_ticket_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (customer, site) = app.customer(&agent, "上海申江制冷", "13800138000").await;
    app.user("cust", &["customer"], json!({ "customer_id": customer }))
        .await;
    let new = |subject: &str| json!({ "channel": "phone", "customer_id": customer, "site_id": site, "subject": subject, "priority": 3 });
    let t = app
        .ok(&agent, "/api/v1/tickets", new("打印机卡纸"), 201)
        .await;
    let other = app
        .ok(&agent, "/api/v1/tickets", new("门禁失灵"), 201)
        .await;
    let (id, other_id) = (t["id"].as_str().unwrap(), other["id"].as_str().unwrap());
    let mut b = Browser::signed_in(&app, "agent").await;
    let version = |id: &str| {
        let (app, agent, id) = (&app, agent.clone(), id.to_owned());
        async move { app.read(&agent, &format!("/api/v1/tickets/{id}")).await["version"].to_string() }
    };

    // What the table offers an agent on a new ticket, and no more.
    let (_, html, _) = b.get(&app, &format!("/t/{id}")).await;
    for want in [
        format!(r#"href="/dispatch/t/{id}""#),
        "远程处理".to_owned(),
        "取消工单".to_owned(),
        "调整优先级".to_owned(),
        "催单".to_owned(),
    ] {
        assert!(html.contains(&want), "{want} missing");
    }
    for not in ["审核通过", "代客户确认已修复", "重新打开"] {
        assert!(!html.contains(not), "{not} is not a move of a new ticket");
    }

    // Remotely: take it, resolve it with what was done, confirm for the customer.
    let mv = |to: &'static str, field: &'static str, text: &'static str| (to, field, text);
    for (to, field, text) in [
        mv("in_progress", "", ""),
        mv("resolved", "resolution", "远程指导清理进纸辊"),
        mv("closed", "confirm_note", "电话回访，客户确认已恢复"),
    ] {
        let v = version(id).await;
        let mut form = vec![("version", v.as_str()), ("to", to)];
        if !field.is_empty() {
            form.push((field, text));
        }
        let (s, _, back) = b.post(&app, &format!("/t/{id}/move"), &form).await;
        assert_eq!((s, back), (303, Some(format!("/t/{id}"))), "{to}");
    }
    let done = app.read(&agent, &format!("/api/v1/tickets/{id}")).await;
    assert_eq!(
        (done["status"].as_str(), done["confirmed_by"].as_str()),
        (Some("closed"), Some("agent"))
    );

    // Priority with why; a chase; the due times and the log say so.
    let v = version(other_id).await;
    let (s, _, _) = b
        .post(
            &app,
            &format!("/t/{other_id}/priority"),
            &[
                ("version", &v),
                ("priority", "1"),
                ("reason", "客户生产线停工"),
            ],
        )
        .await;
    assert_eq!(s, 303);
    let (s, _, _) = b
        .post(
            &app,
            &format!("/t/{other_id}/chase"),
            &[("note", "客户第二次来电")],
        )
        .await;
    assert_eq!(s, 303);
    let o = app
        .read(&agent, &format!("/api/v1/tickets/{other_id}"))
        .await;
    assert_eq!(o["priority"], 1);
    let kinds: Vec<&str> = o["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"priority_changed") && kinds.contains(&"chased"),
        "{kinds:?}"
    );

    // Cancelling needs a reason: without one the page says so and nothing moves.
    let v = version(other_id).await;
    let (s, html, _) = b
        .post(
            &app,
            &format!("/t/{other_id}/move"),
            &[("version", &v), ("to", "cancelled")],
        )
        .await;
    assert_eq!(s, 422);
    assert!(html.contains("role=\"alert\""), "{html}");
    assert_eq!(
        app.read(&agent, &format!("/api/v1/tickets/{other_id}"))
            .await["status"],
        "new"
    );
    let (s, _, _) = b
        .post(
            &app,
            &format!("/t/{other_id}/move"),
            &[
                ("version", &v),
                ("to", "cancelled"),
                ("reason", "客户重复报修"),
            ],
        )
        .await;
    assert_eq!(s, 303);
    assert_eq!(
        app.read(&agent, &format!("/api/v1/tickets/{other_id}"))
            .await["status"],
        "cancelled"
    );

    // The customer sees no staff actions on their ticket.
    let mut c = Browser::signed_in(&app, "cust").await;
    let (_, html, _) = c.get(&app, &format!("/t/{id}")).await;
    assert!(!html.contains("card actions") && !html.contains("调整优先级"));
}

/// The work report's parts are chosen from what the engineer's van holds (a list to pick from
/// by SKU or name, with how many are free); an engineer without a van is told to ask for parts
/// first.
async fn the_report_form_offers_the_parts_in_the_van(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (eng_id, engineer) = app.user("eng", &["engineer"], json!({})).await;
    let (other_id, other) = app.user("eng2", &["engineer"], json!({})).await;
    app.ok(
        &app.admin,
        "/api/v1/parts",
        json!({ "sku": "CAP-35UF", "name": "电容 35μF", "cost": 12 }),
        201,
    )
    .await;
    let van = app
        .ok(
            &app.admin,
            "/api/v1/warehouses",
            json!({ "name": "沪A·12345", "kind": "van", "engineer_id": eng_id }),
            201,
        )
        .await;
    app.ok(
        &app.admin,
        "/api/v1/stock/movements",
        json!({ "kind": "receive", "sku": "CAP-35UF", "qty": 5, "to_warehouse_id": van["id"] }),
        201,
    )
    .await;
    let (customer, site) = app.customer(&agent, "上海申江制冷", "13800138000").await;
    let new = json!({ "channel": "phone", "customer_id": customer, "site_id": site, "subject": "压缩机不启动", "priority": 2 });
    let mut forms = Vec::new();
    for (id, token, name) in [(&eng_id, &engineer, "eng"), (&other_id, &other, "eng2")] {
        let t = app.ok(&agent, "/api/v1/tickets", new.clone(), 201).await;
        let t = app.work_on_site(&agent, &t, (id, token)).await;
        let mut b = Browser::new();
        let login = [("username", name), ("password", PASSWORD)];
        assert_eq!(b.post(&app, "/login", &login).await.0, 303);
        let path = format!("/m/t/{}/report", t["id"].as_str().unwrap());
        let (s, html, _) = b.get(&app, &path).await;
        assert_eq!(s, 200);
        forms.push(html);
    }
    let with_van = &forms[0];
    assert!(
        with_van.contains(r#"<datalist id="van-parts">"#),
        "{with_van}"
    );
    assert!(
        with_van.contains(r#"<option value="CAP-35UF">电容 35μF · 车上可用 5</option>"#),
        "{with_van}"
    );
    assert!(with_van.contains(r#"name="sku_0" list="van-parts""#));
    // A photo of the label fills the SKU in where the browser reads barcodes (app.js).
    assert!(with_van.contains(r#"data-scan="sku_0""#), "{with_van}");
    assert!(forms[1].contains("车载库中没有可用备件"), "{}", forms[1]);
}

/// The rows of the queue's table: each row's ticket number.
fn queue_rows(html: &str) -> Vec<String> {
    html.split("<tr data-ticket=")
        .skip(1)
        .filter_map(|row| {
            let at = row.find("\">WO-")? + 2;
            Some(row[at..].chars().take_while(|c| *c != '<').collect())
        })
        .collect()
}

/// The count a view's tab shows: the tab is on the page, its count comes from `/desk/counts`.
fn view_count(html: &str, counts: &Value, view: &str) -> i64 {
    assert!(
        html.contains(&format!("/desk?view={view}\"")),
        "no tab {view}"
    );
    assert!(
        html.contains(&format!("data-view=\"{view}\"")),
        "no count on {view}"
    );
    counts[view]
        .as_i64()
        .unwrap_or_else(|| panic!("no count of {view}: {counts}"))
}

/// The queue an agent works from: a tab per view with its count (all open, mine, unassigned,
/// at risk, breached, awaiting the customer, closed lately), the rows of the chosen view with
/// the customer, engineer and due time, filters by priority and words, and pages of a hundred
/// that follow one another without a gap or a repeat.
async fn the_queue_has_views_with_counts_filters_and_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (_, other_agent) = app.user("agent2", &["agent"], json!({})).await;
    let (eng_id, _) = app
        .user("eng", &["engineer"], json!({ "display_name": "张工" }))
        .await;
    let (customer, site) = app.customer(&agent, "上海申江制冷", "13800138000").await;
    let new = |subject: &str, priority: i64| json!({ "channel": "phone", "customer_id": customer, "site_id": site, "subject": subject, "priority": priority });
    // 104 of the other agent's, P3, unassigned.
    for i in 0..104 {
        app.ok(
            &other_agent,
            "/api/v1/tickets",
            new(&format!("批量报修 {i}"), 3),
            201,
        )
        .await;
    }
    // The agent's own: one assigned, one resolved and waiting for the customer, one closed.
    let mine = app
        .ok(&agent, "/api/v1/tickets", new("冷库停机", 1), 201)
        .await;
    app.go(
        &agent,
        &mine,
        json!({ "to": "assigned", "assignee_id": eng_id }),
        200,
    )
    .await;
    let waiting = app
        .ok(&agent, "/api/v1/tickets", new("打印机卡纸", 2), 201)
        .await;
    let w = app
        .go(&agent, &waiting, json!({ "to": "in_progress" }), 200)
        .await;
    app.go(
        &agent,
        &w,
        json!({ "to": "resolved", "report": { "resolution": "远程处理", "remote": true } }),
        200,
    )
    .await;
    let closed = app
        .ok(&agent, "/api/v1/tickets", new("门禁失灵", 4), 201)
        .await;
    let c = app
        .go(&agent, &closed, json!({ "to": "in_progress" }), 200)
        .await;
    let c = app
        .go(
            &agent,
            &c,
            json!({ "to": "resolved", "report": { "resolution": "重启", "remote": true } }),
            200,
        )
        .await;
    app.go(
        &agent,
        &c,
        json!({ "to": "closed", "confirmation": { "by": "agent", "note": "电话确认" } }),
        200,
    )
    .await;

    let mut b = Browser::signed_in(&app, "agent").await;
    let (s, html, _) = b.get(&app, "/desk").await;
    assert_eq!(s, 200);
    let (s, counts, _) = b.get(&app, "/desk/counts").await;
    assert_eq!(s, 200);
    let counts: Value = serde_json::from_str(&counts).unwrap();
    for (view, n) in [
        ("open", 106),
        ("mine", 2),
        ("unassigned", 105),
        ("waiting_parts", 0),
        ("at_risk", 0),
        ("breached", 0),
        ("awaiting_customer", 1),
        ("recently_closed", 1),
    ] {
        assert_eq!(view_count(&html, &counts, view), n, "{view}");
    }
    // All open: a hundred rows, the P1 first, with its customer and engineer; then the rest.
    let first = queue_rows(&html);
    assert_eq!(first.len(), 100);
    assert_eq!(first[0], mine["number"].as_str().unwrap());
    assert!(html.contains("上海申江制冷") && html.contains("张工"));
    let next = html
        .split("href=\"")
        .find_map(|h| {
            let link = h.split('"').next().unwrap();
            (link.starts_with("/desk?view=open&amp;") && link.contains("cursor="))
                .then(|| link.replace("&amp;", "&"))
        })
        .expect("a next page");
    let (_, html2, _) = b.get(&app, &next).await;
    let second = queue_rows(&html2);
    assert_eq!(second.len(), 6);
    let mut all: Vec<&String> = first.iter().chain(&second).collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 106, "no ticket twice, none left out");

    // Views and filters.
    let (_, html, _) = b.get(&app, "/desk?view=mine").await;
    let rows = queue_rows(&html);
    assert_eq!(rows.len(), 2);
    assert!(rows.contains(&waiting["number"].as_str().unwrap().to_owned()));
    let (_, html, _) = b.get(&app, "/desk?view=recently_closed").await;
    assert_eq!(queue_rows(&html), [closed["number"].as_str().unwrap()]);
    let (_, html, _) = b.get(&app, "/desk?view=open&priority=1").await;
    assert_eq!(queue_rows(&html), [mine["number"].as_str().unwrap()]);
    let (_, html, _) = b.get(&app, "/desk?view=open&q=%E5%86%B7%E5%BA%93").await;
    assert_eq!(
        queue_rows(&html),
        [mine["number"].as_str().unwrap()],
        "冷库"
    );
    // An unknown view is the open queue; a broken cursor starts over.
    assert_eq!(b.get(&app, "/desk?view=nope").await.0, 200);
    assert_eq!(
        b.get(&app, "/desk?cursor=garbage").await.2.as_deref(),
        Some("/desk")
    );
}

/// The `value` of every row's checkbox (`id.version`), in the order shown.
fn row_boxes(html: &str) -> Vec<String> {
    html.split("name=\"ids\" value=\"")
        .skip(1)
        .map(|r| r.split('"').next().unwrap().to_owned())
        .collect()
}

/// The queue beyond its views: a header click sorts (a second click turns round), filters by
/// engineer, customer and channel, a bulk action applies to the rows chosen and names those it
/// had to refuse and why, a saved view comes back for its owner and (shared) for their team,
/// and the view downloads as CSV and Excel with translated headers.
async fn the_queue_sorts_filters_acts_on_rows_saves_views_and_exports(backend: Backend) {
    let app = spawn_app(backend).await;
    let team = app
        .ok(
            &app.admin,
            "/api/v1/teams",
            json!({ "name": "制冷组" }),
            201,
        )
        .await;
    let team_id = team["id"].as_str().unwrap();
    let (_, agent) = app
        .user("agent", &["agent"], json!({ "team_id": team_id }))
        .await;
    let (_, _) = app
        .user("mate", &["agent"], json!({ "team_id": team_id }))
        .await;
    let (_, _) = app.user("loner", &["agent"], json!({})).await;
    let (eng_id, _) = app
        .user("eng", &["engineer"], json!({ "display_name": "张工" }))
        .await;
    let (jia, site) = app.customer(&agent, "甲制冷", "13800138000").await;
    let (yi, _) = app.customer(&agent, "乙物业", "13800138009").await;
    let mut made = Vec::new();
    for (i, (p, customer, channel)) in [
        (3, &jia, "phone"),
        (1, &yi, "email"),
        (2, &jia, "phone"),
        (4, &yi, "web"),
        (3, &jia, "email"),
    ]
    .into_iter()
    .enumerate()
    {
        app.clock.advance(chrono::Duration::minutes(5));
        let mut body = json!({ "channel": channel, "customer_id": customer,
            "subject": format!("冷柜报修 {i}"), "priority": p });
        if customer == &jia {
            body["site_id"] = json!(site);
        }
        made.push(app.ok(&agent, "/api/v1/tickets", body, 201).await);
    }
    let number = |i: usize| made[i]["number"].as_str().unwrap().to_owned();
    let mut b = Browser::signed_in(&app, "agent").await;

    // Urgency first (P1 on top); a click on 创建时间 gives newest first, a second oldest first.
    let (_, html, _) = b.get(&app, "/desk").await;
    assert_eq!(queue_rows(&html)[0], number(1));
    assert!(
        html.contains("href=\"/desk?view=open&amp;sort=-created\""),
        "a header link"
    );
    let (_, html, _) = b.get(&app, "/desk?view=open&sort=-created").await;
    assert_eq!(queue_rows(&html), [4, 3, 2, 1, 0].map(number));
    assert!(
        html.contains("sort=created\""),
        "the same header turns round"
    );
    let (_, html, _) = b.get(&app, "/desk?view=open&sort=created").await;
    assert_eq!(queue_rows(&html), [0, 1, 2, 3, 4].map(number));
    // Filters: a customer (from a row's link), a channel, a priority.
    let jia_link = format!("/desk?view=open&customer={jia}");
    let (_, html, _) = b.get(&app, &jia_link).await;
    let mut rows = queue_rows(&html);
    rows.sort();
    assert_eq!(rows, [0, 2, 4].map(number));
    assert!(html.contains("甲制冷") && html.contains("<details class=\"more\" open"));
    let (_, html, _) = b
        .get(&app, "/desk?view=open&channel=email&sort=created")
        .await;
    assert_eq!(queue_rows(&html), [1, 4].map(number));

    // Bulk: P2 for three rows, one of which changed since the page was drawn.
    let (_, html, _) = b.get(&app, "/desk?view=open&sort=created").await;
    let boxes = row_boxes(&html);
    assert_eq!(boxes.len(), 5);
    let moved = &made[2];
    app.ok(
        &agent,
        &format!("/api/v1/tickets/{}/priority", moved["id"].as_str().unwrap()),
        json!({ "version": moved["version"], "priority": 1, "reason": "客户来电催促" }),
        200,
    )
    .await;
    let back = "/desk?view=open&sort=created";
    let (s, _, to) = b
        .post(
            &app,
            "/desk/bulk",
            &[
                ("back", back),
                ("action", "priority"),
                ("priority", "2"),
                ("reason", "批量调整"),
                ("ids", &boxes[0]),
                ("ids", &boxes[2]),
                ("ids", &boxes[3]),
            ],
        )
        .await;
    assert_eq!(s, 303);
    let to = to.unwrap();
    assert!(
        to.starts_with("/desk?view=open&sort=created&done=2&refused="),
        "{to}"
    );
    let (_, html, _) = b.get(&app, &to).await;
    assert!(html.contains("已处理 2 张工单"), "{html}");
    assert!(html.contains(&format!("{}: 工单已被他人更改", number(2))));
    for (i, p) in [(0, 2), (2, 1), (3, 2)] {
        let t = app
            .read(
                &agent,
                &format!("/api/v1/tickets/{}", made[i]["id"].as_str().unwrap()),
            )
            .await;
        assert_eq!(t["priority"], p, "row {i}");
    }
    // Assign two rows to the engineer; cancel one with a reason; nothing chosen is refused.
    let (_, html, _) = b.get(&app, "/desk?view=open&sort=created").await;
    let boxes = row_boxes(&html);
    let (s, _, _) = b
        .post(
            &app,
            "/desk/bulk",
            &[
                ("back", back),
                ("action", "assign"),
                ("engineer_id", &eng_id),
                ("reason", "就近"),
                ("ids", &boxes[0]),
                ("ids", &boxes[1]),
            ],
        )
        .await;
    assert_eq!(s, 303);
    let (_, html, _) = b
        .get(&app, "/desk?view=open&assignee=none&sort=created")
        .await;
    assert_eq!(queue_rows(&html), [2, 3, 4].map(number));
    let (_, html, _) = b
        .get(
            &app,
            &format!("/desk?view=open&assignee={eng_id}&sort=created"),
        )
        .await;
    assert_eq!(queue_rows(&html), [0, 1].map(number));
    let (_, html, _) = b.get(&app, "/desk?view=open&sort=created").await;
    let boxes = row_boxes(&html);
    let (s, _, _) = b
        .post(
            &app,
            "/desk/bulk",
            &[
                ("back", back),
                ("action", "cancel"),
                ("reason", "客户重复报修"),
                ("ids", &boxes[4]),
            ],
        )
        .await;
    assert_eq!(s, 303);
    let t = app
        .read(
            &agent,
            &format!("/api/v1/tickets/{}", made[4]["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(t["status"], "cancelled");
    let (s, html, _) = b
        .post(
            &app,
            "/desk/bulk",
            &[("back", back), ("action", "priority"), ("priority", "2")],
        )
        .await;
    assert_eq!(s, 422);
    assert!(html.contains("未选择任何工单"));
    // `back` never leads off the queue.
    let (_, _, to) = b
        .post(
            &app,
            "/desk/bulk",
            &[
                ("back", "https://evil.example/"),
                ("action", "priority"),
                ("priority", "3"),
                ("ids", &boxes[3]),
            ],
        )
        .await;
    assert!(to.unwrap().starts_with("/desk?done="));

    // A saved view, shared with the team: the owner and a team mate see it; another agent not.
    let (s, _, to) = b
        .post(
            &app,
            "/desk/views",
            &[
                ("name", "甲制冷急单"),
                ("query", &format!("view=open&customer={jia}&sort=priority")),
                ("shared", "1"),
            ],
        )
        .await;
    assert_eq!(s, 303);
    let to = to.unwrap();
    assert!(
        to.contains(&format!("customer={jia}")) && to.contains("&saved="),
        "{to}"
    );
    let (_, html, _) = b.get(&app, &to).await;
    assert!(html.contains("甲制冷急单"));
    let mut rows = queue_rows(&html);
    rows.sort();
    assert_eq!(
        rows,
        [0, 2].map(number),
        "甲's open tickets (one cancelled)"
    );
    for (who, sees) in [("mate", true), ("loner", false)] {
        let mut other = Browser::signed_in(&app, who).await;
        let (_, html, _) = other.get(&app, "/desk").await;
        assert_eq!(html.contains("甲制冷急单"), sees, "{who}");
        if sees {
            // A mate may open it but not delete it.
            let id = to.split("saved=").nth(1).unwrap();
            let (s, _, _) = other
                .post(&app, &format!("/desk/views/{id}/delete"), &[])
                .await;
            assert_eq!(s, 403);
        }
    }
    let (s, html, _) = b
        .post(
            &app,
            "/desk/views",
            &[("name", " "), ("query", "view=open")],
        )
        .await;
    assert_eq!(s, 422, "{html}");
    // A query that could not be a link (a control character, a line break) is refused.
    for query in ["view=open\u{1}", "view=open\r\nX: y", "view=开放"] {
        let (s, _, _) = b
            .post(&app, "/desk/views", &[("name", "坏视图"), ("query", query)])
            .await;
        assert_eq!(s, 422, "{query:?}");
    }
    let nobody = "01a248a8-0000-7000-8000-000000000000.1";
    let odd = [
        ("back", "/desk?\u{1}"),
        ("action", "priority"),
        ("priority", "3"),
        ("ids", nobody),
    ];
    let (_, _, to_queue) = b.post(&app, "/desk/bulk", &odd).await;
    let to_queue = to_queue.unwrap();
    assert!(
        to_queue.starts_with("/desk?done=0&refused="),
        "an odd `back` is the queue: {to_queue}"
    );
    let id = to.split("saved=").nth(1).unwrap();
    let (s, _, _) = b.post(&app, &format!("/desk/views/{id}/delete"), &[]).await;
    assert_eq!(s, 303);
    let (_, html, _) = b.get(&app, "/desk").await;
    assert!(!html.contains("甲制冷急单"));

    // Downloads of the view as filtered and ordered.
    let r = b
        .client
        .get(app.url("/desk/export?view=open&sort=created&format=csv"))
        .header("cookie", b.cookies.join("; "))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("tickets-open-"));
    let csv = r.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("\u{feff}工单号,"), "{}", lines[0]);
    assert_eq!(lines.len(), 5, "header and the four open tickets: {csv}");
    assert!(
        lines[1].starts_with(&number(0))
            && lines[1].contains("甲制冷")
            && lines[1].contains("张工")
    );
    let r = b
        .client
        .get(app.url("/desk/export?view=open&format=xlsx"))
        .header("cookie", b.cookies.join("; "))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.bytes().await.unwrap().starts_with(b"PK"),
        "a workbook (zip)"
    );
}

/// The caller's open tickets show at intake (the equipment with its count); on a ticket the
/// other open tickets of its equipment are listed with the merge the rules allow; merging from
/// the page leads back to the ticket, and the duplicate's page says where it went.
async fn a_duplicate_shows_at_intake_and_on_the_ticket_and_merges_from_the_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (customer, site) = app.customer(&agent, "申江冷链", "13800138000").await;
    app.ok(
        &app.admin,
        "/api/v1/models",
        json!({ "code": "C1", "name": "冷柜 C1", "warranty_months": 24 }),
        201,
    )
    .await;
    let asset = app.asset(&agent, (&customer, &site), "C1", "SN-C1-9").await;
    let body = |subject: &str| {
        json!({ "subject": subject, "priority": 3, "channel": "phone",
                "customer_id": customer, "site_id": site, "asset_id": asset["id"] })
    };
    let first = app
        .ok(&agent, "/api/v1/tickets", body("冷柜不制冷"), 201)
        .await;
    let dup = app
        .ok(&agent, "/api/v1/tickets", body("冷柜温度高"), 201)
        .await;
    let mut b = Browser::signed_in(&app, "agent").await;

    let (_, html, _) = b.get(&app, "/desk/intake?phone=13800138000").await;
    assert!(html.contains("未结工单 2 张"), "{html}");
    assert!(html.contains("2 张未结"), "the equipment's count");

    let first_id = first["id"].as_str().unwrap();
    let dup_id = dup["id"].as_str().unwrap();
    let (_, html, _) = b.get(&app, &format!("/t/{first_id}")).await;
    assert!(html.contains("这台设备已有 1 张未结工单"), "{html}");
    assert!(
        html.contains(&format!("action=\"/t/{dup_id}/merge\"")),
        "merge it here"
    );
    assert!(
        html.contains(&format!("action=\"/t/{first_id}/merge\"")),
        "or this one there"
    );
    let version = dup["version"].to_string();
    let merge_path = format!("/t/{dup_id}/merge");
    let merge_form = [
        ("version", version.as_str()),
        ("into", first_id),
        ("back", first_id),
    ];
    let (s, _, to) = b.post(&app, &merge_path, &merge_form).await;
    assert_eq!(
        (s, to.as_deref()),
        (303, Some(format!("/t/{first_id}").as_str()))
    );
    let (_, html, _) = b.get(&app, &format!("/t/{first_id}")).await;
    assert!(!html.contains("这台设备已有"), "no open duplicate left");
    assert!(html.contains("并入重复报修") && html.contains(dup["number"].as_str().unwrap()));
    // The ticket that stays links the duplicate it took in.
    assert!(
        html.contains(&format!(
            "已合并的重复报修: <a href=\"/t/{dup_id}\">{}</a>",
            dup["number"].as_str().unwrap()
        )),
        "{html}"
    );
    let (_, html, _) = b.get(&app, &format!("/t/{dup_id}")).await;
    assert!(html.contains("本工单为重复报修，已合并到"), "{html}");
    // Again, from a stale page: refused with why, on the page it was asked from.
    let (s, html, _) = b.post(&app, &merge_path, &merge_form).await;
    assert_eq!(s, 422);
    assert!(html.contains("该工单的状态已变化"), "{html}");
}

async fn a_new_caller_is_recorded_during_the_call_and_kept_on_the_customer_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    app.user("eng", &["engineer"], json!({})).await;
    let mut b = Browser::signed_in(&app, "agent").await;
    let (s, html, _) = b.get(&app, "/desk/intake?phone=139-1234-5678").await;
    assert_eq!(s, 200);
    assert!(
        html.contains("未找到该号码的客户") && html.contains("action=\"/desk/intake/new\""),
        "an unknown number offers the new caller's form: {html}"
    );
    let key = hidden(&html, "submission");
    let mut form = vec![
        ("phone", "139-1234-5678"),
        ("name", "李女士"),
        ("kind", "person"),
        ("region_id", ""),
        ("contact_name", ""),
        ("address", "徐汇区漕溪北路 88 号 3 楼"),
        ("subject", ""),
        ("description", "空调外机滴水，楼下投诉"),
        ("priority", "2"),
        ("submission", key.as_str()),
    ];
    // No subject: nobody is created, and everything typed comes back.
    let (s, html, _) = b.post(&app, "/desk/intake/new", &form).await;
    assert_eq!(s, 422);
    assert!(
        html.contains("value=\"李女士\"")
            && html.contains("漕溪北路 88 号")
            && html.contains("空调外机滴水")
            && html.contains("<option value=\"2\" selected>"),
        "{html}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM customers").await, 0);
    form[6].1 = "空调漏水";
    let (s, _, to) = b.post(&app, "/desk/intake/new", &form).await;
    assert_eq!(s, 303);
    let ticket = to.unwrap().trim_start_matches("/t/").to_owned();
    // Pressed again (a double click, a retry): the same ticket, no second customer.
    let (s, _, again) = b.post(&app, "/desk/intake/new", &form).await;
    assert_eq!(
        (s, again.as_deref()),
        (303, Some(format!("/t/{ticket}").as_str()))
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM customers").await, 1);
    let t = app.read(&agent, &format!("/api/v1/tickets/{ticket}")).await;
    assert_eq!(
        (t["subject"].as_str(), t["priority"].as_i64()),
        (Some("空调漏水"), Some(2))
    );
    let customer = t["customer_id"].as_str().unwrap().to_owned();
    assert!(t["site_id"].is_string(), "the address became the site: {t}");
    let c = app
        .read(&agent, &format!("/api/v1/customers/{customer}"))
        .await;
    assert_eq!(
        (
            &c["name"],
            &c["kind"],
            &c["contacts"][0]["name"],
            &c["contacts"][0]["phone"]
        ),
        (
            &json!("李女士"),
            &json!("person"),
            &json!("李女士"),
            &json!("13912345678")
        )
    );
    // The number now finds her.
    let (_, html, _) = b.get(&app, "/desk/intake?phone=13912345678").await;
    assert!(
        html.contains("李女士") && html.contains("空调漏水"),
        "{html}"
    );

    // The list finds her by any spelling of the number, and her card holds the ticket.
    let (s, html, _) = b.get(&app, "/customers?q=%2B86%20139%201234%205678").await;
    assert_eq!(s, 200);
    assert!(
        html.contains(&format!("href=\"/customers/{customer}\"")),
        "{html}"
    );
    let card = format!("/customers/{customer}");
    let (s, html, _) = b.get(&app, &card).await;
    assert_eq!(s, 200);
    assert!(
        html.contains("空调漏水") && html.contains("漕溪北路"),
        "{html}"
    );
    // Edited from the card; a stale form is refused with the latest shown.
    let version = hidden(&html, "version");
    let edit = |name: &'static str, version: String| {
        vec![
            ("version", version),
            ("name", name.to_owned()),
            ("kind", "person".to_owned()),
            ("tier", "vip".to_owned()),
            ("region_id", String::new()),
            ("tags", "老客户，投诉敏感".to_owned()),
        ]
    };
    let sent = edit("李红女士", version.clone());
    let pairs: Vec<(&str, &str)> = sent.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (s, _, to) = b.post(&app, &card, &pairs).await;
    assert_eq!((s, to.as_deref()), (303, Some(card.as_str())));
    let sent = edit("旧的名字", version);
    let pairs: Vec<(&str, &str)> = sent.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (s, html, _) = b.post(&app, &card, &pairs).await;
    assert_eq!(s, 422);
    assert!(
        html.contains("已被他人修改") && html.contains("李红女士"),
        "{html}"
    );
    let c = app
        .read(&agent, &format!("/api/v1/customers/{customer}"))
        .await;
    assert_eq!(
        (&c["name"], &c["tier"], &c["tags"]),
        (
            &json!("李红女士"),
            &json!("vip"),
            &json!(["老客户", "投诉敏感"])
        )
    );
    // A contact and a site added from the card; a bad one names its field.
    let (s, _, _) = b
        .post(
            &app,
            &format!("{card}/contacts"),
            &[
                ("name", "王先生"),
                ("phone", "021-6400 1234"),
                ("notify_channel", "sms"),
                ("lang", "zh-CN"),
            ],
        )
        .await;
    assert_eq!(s, 303);
    let (s, html, _) = b
        .post(
            &app,
            &format!("{card}/contacts"),
            &[("name", "张三"), ("email", "not-mail")],
        )
        .await;
    assert_eq!(s, 422);
    assert!(html.contains("电子邮箱"), "{html}");
    let (s, _, _) = b
        .post(
            &app,
            &format!("{card}/sites"),
            &[
                ("site_name", "仓库"),
                ("address", "闵行区莘庄工业区"),
                ("lat", "31.11"),
                ("lon", "121.38"),
                ("geofence_m", "300"),
            ],
        )
        .await;
    assert_eq!(s, 303);
    let (s, html, _) = b
        .post(
            &app,
            &format!("{card}/sites"),
            &[("address", "某处"), ("lat", "北纬")],
        )
        .await;
    assert_eq!(s, 422);
    assert!(html.contains("纬度"), "{html}");
    let c = app
        .read(&agent, &format!("/api/v1/customers/{customer}"))
        .await;
    assert_eq!(c["contacts"].as_array().unwrap().len(), 2);
    // A contact's details changed from the card; a bad e-mail changes nothing.
    let wang = format!(
        "{card}/contacts/{}",
        c["contacts"][1]["id"].as_str().unwrap()
    );
    let details = |email: &'static str| {
        [
            ("name", "王先生"),
            ("phone", "139 0000 1111"),
            ("email", email),
            ("wechat_id", ""),
            ("notify_channel", "wechat"),
            ("lang", "zh-CN"),
        ]
    };
    assert_eq!(
        b.post(&app, &wang, &details("wang@example.com")).await.0,
        303
    );
    assert_eq!(b.post(&app, &wang, &details("not-mail")).await.0, 422);
    let k = &app
        .read(&agent, &format!("/api/v1/customers/{customer}"))
        .await["contacts"][1];
    assert_eq!(
        (&k["phone"], &k["email"], &k["notify_channel"]),
        (
            &json!("13900001111"),
            &json!("wang@example.com"),
            &json!("wechat")
        )
    );
    assert_eq!(
        b.post(
            &app,
            &format!("{card}/contacts/{}", uuid::Uuid::new_v4()),
            &details("a@b.cn")
        )
        .await
        .0,
        404
    );
    assert_eq!(c["sites"].as_array().unwrap().len(), 2);
    assert_eq!(c["sites"][1]["geofence_m"], 300.0);

    // The list downloads as filtered, headers in Chinese.
    app.customer(&agent, "静安物业", "13800138000").await;
    let r = b
        .client
        .get(app.url("/customers/export?format=csv&tag=%E6%8A%95%E8%AF%89%E6%95%8F%E6%84%9F"))
        .header("cookie", b.cookies.join("; "))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-disposition"],
        "attachment; filename=\"customers-20261124.csv\""
    );
    let csv = r.text().await.unwrap();
    assert!(csv.starts_with("\u{feff}名称,类型,客户等级"), "{csv}");
    assert!(
        csv.contains("李红女士") && !csv.contains("静安物业"),
        "only the one tagged: {csv}"
    );
    let r = b
        .client
        .get(app.url("/customers/export?format=xlsx"))
        .header("cookie", b.cookies.join("; "))
        .send()
        .await
        .unwrap();
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("spreadsheetml"));
    assert_eq!(b.get(&app, "/customers/export?format=pdf").await.0, 422);
    // Equipment registered at a site from the card; its serial once only.
    let site = c["sites"][0]["id"].as_str().unwrap().to_owned();
    let asset = [
        ("site_id", site.as_str()),
        ("model", "KFR-35"),
        ("serial", "SN-2026-001"),
        ("installed_on", "2026-03-01"),
        ("warranty_until", ""),
    ];
    let (s, _, to) = b.post(&app, &format!("{card}/assets"), &asset).await;
    assert_eq!(s, 303);
    assert!(to.unwrap().starts_with("/assets/"));
    let (s, html, _) = b.post(&app, &format!("{card}/assets"), &asset).await;
    assert_eq!(s, 422);
    assert!(html.contains("序列号"), "{html}");
    let mut bad = asset;
    bad[2].1 = "SN-2026-002";
    bad[3].1 = "2026-02-30";
    let (s, html, _) = b.post(&app, &format!("{card}/assets"), &bad).await;
    assert_eq!(s, 422);
    assert!(html.contains("安装日期"), "{html}");
    assert!(b.get(&app, &card).await.1.contains("KFR-35 · SN-2026-001"));
    // The equipment list finds it by serial, and its card retires it.
    let (s, html, _) = b.get(&app, "/assets?q=SN-2026").await;
    assert_eq!(s, 200);
    assert!(
        html.contains("SN-2026-001") && html.contains("李红女士"),
        "{html}"
    );
    let at = html.find("<td><a href=\"/assets/").unwrap() + 21;
    let asset_page = format!("/assets/{}", &html[at..at + 36]);
    let (s, _, to) = b
        .post(
            &app,
            &format!("{asset_page}/status"),
            &[("status", "decommissioned")],
        )
        .await;
    assert_eq!((s, to.as_deref()), (303, Some(asset_page.as_str())));
    assert_eq!(
        b.post(&app, &format!("{asset_page}/status"), &[("status", "lost")])
            .await
            .0,
        422
    );
    assert!(b
        .get(&app, "/assets?status=decommissioned")
        .await
        .1
        .contains("SN-2026-001"));
    assert!(!b
        .get(&app, "/assets?status=in_service")
        .await
        .1
        .contains("SN-2026-001"));
    // An engineer has no customer pages; a manager reads them but has no forms.
    let mut e = Browser::signed_in(&app, "eng").await;
    assert_eq!(e.get(&app, "/customers").await.0, 403);
    assert_eq!(e.get(&app, "/assets").await.0, 403);
    app.user("boss", &["manager"], json!({})).await;
    let mut m = Browser::signed_in(&app, "boss").await;
    let (s, html, _) = m.get(&app, &card).await;
    assert_eq!(s, 200);
    assert!(!html.contains("/contacts\""), "{html}");
    assert_eq!(
        m.post(&app, &format!("{card}/contacts"), &[("name", "x")])
            .await
            .0,
        403
    );
}

async fn an_admin_keeps_people_from_their_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (eng_id, _) = app.user("eng", &["engineer"], json!({})).await;
    let (customer, _) = app.customer(&agent, "申江制冷", "13800138000").await;
    let ticket = app.ticket(&agent, &customer, "冷库不制冷").await;
    app.go(
        &agent,
        &ticket,
        json!({ "to": "assigned", "assignee_id": eng_id }),
        200,
    )
    .await;
    let team = app
        .ok(
            &app.admin,
            "/api/v1/teams",
            json!({ "name": "制冷组" }),
            201,
        )
        .await;
    let (me, _) = app.user("boss", &["admin"], json!({})).await;
    let mut b = Browser::signed_in(&app, "boss").await;
    let (_, html, _) = b.get(&app, "/admin").await;
    let page = format!("/admin/users/{eng_id}");
    assert!(html.contains(&format!("href=\"{page}\"")), "{html}");
    let (s, html, _) = b.get(&app, &page).await;
    assert_eq!(s, 200);
    assert!(
        html.contains("冷库不制冷") && html.contains("/dispatch/t/"),
        "their open ticket: {html}"
    );
    // Roles and team from the form.
    let team_id = team["id"].as_str().unwrap();
    let (s, _, to) = b
        .post(
            &app,
            &page,
            &[
                ("display_name", "王工"),
                ("email", ""),
                ("role", "engineer"),
                ("role", "supervisor"),
                ("team_id", team_id),
                ("region_id", ""),
            ],
        )
        .await;
    assert_eq!((s, to.as_deref()), (303, Some(page.as_str())));
    let u = app.read(&app.admin, "/api/v1/users?role=supervisor").await;
    assert_eq!(
        (&u["items"][0]["display_name"], &u["items"][0]["team_id"]),
        (&json!("王工"), &team["id"])
    );
    // No role at all is refused, with the field named.
    let (s, html, _) = b.post(&app, &page, &[("display_name", "王工")]).await;
    assert_eq!(s, 422);
    assert!(html.contains("角色"), "{html}");
    // A one-time password, shown once and never cached.
    let req = b.client.post(app.url(&format!("{page}/password")));
    let r = req
        .header("cookie", b.cookies.join("; "))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let html = r.text().await.unwrap();
    let at = html.find("class=\"one-time\">").unwrap() + 17;
    let password = &html[at..at + 12];
    app.login("eng", password).await;
    let (_, again, _) = b.get(&app, &page).await;
    assert!(!again.contains(password));
    // Deactivated: marked, their ticket listed to hand on; and back.
    let (s, _, _) = b
        .post(&app, &format!("{page}/active"), &[("active", "0")])
        .await;
    assert_eq!(s, 303);
    let (_, html, _) = b.get(&app, &page).await;
    assert!(
        html.contains("已停用") && html.contains("请把以下工单改派"),
        "{html}"
    );
    let r = app
        .post_json(
            "",
            "/api/v1/auth/login",
            &json!({ "username": "eng", "password": password }),
        )
        .await;
    assert_eq!(r.status(), 401);
    b.post(&app, &format!("{page}/active"), &[("active", "1")])
        .await;
    app.login("eng", password).await;
    // The admin's own page refuses to deactivate them.
    let (s, html, _) = b
        .post(
            &app,
            &format!("/admin/users/{me}/active"),
            &[("active", "0")],
        )
        .await;
    assert_eq!(s, 422);
    assert!(
        html.contains("不能取消自己的管理员角色或停用自己的账号"),
        "{html}"
    );
    // Nobody else has these pages.
    let mut a = Browser::signed_in(&app, "agent").await;
    assert_eq!(a.get(&app, &page).await.0, 403);
    assert_eq!(a.post(&app, &format!("{page}/password"), &[]).await.0, 403);
}

async fn a_customer_replies_and_withdraws_a_request_nobody_was_sent_to(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (eng_id, _) = app.user("eng", &["engineer"], json!({})).await;
    let (customer, _) = app.customer(&agent, "申江制冷", "13800138000").await;
    app.user("lilei", &["customer"], json!({ "customer_id": customer }))
        .await;
    let first = app.ticket(&agent, &customer, "冷库不制冷").await;
    let second = app.ticket(&agent, &customer, "门禁失灵").await;
    app.go(
        &agent,
        &second,
        json!({ "to": "assigned", "assignee_id": eng_id }),
        200,
    )
    .await;
    let mut c = Browser::signed_in(&app, "lilei").await;
    let page = format!("/t/{}", first["id"].as_str().unwrap());
    let (s, html, _) = c.get(&app, &page).await;
    assert_eq!(s, 200);
    assert!(
        html.contains("补充说明或回复客服") && html.contains("撤销请求"),
        "{html}"
    );
    // The customer's pages install as the portal, apart from the engineer's app.
    assert!(
        html.contains("href=\"/portal/manifest.webmanifest\""),
        "{html}"
    );
    let m: Value = app
        .client
        .get(app.url("/portal/manifest.webmanifest"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&m["start_url"], &m["id"], &m["name"]),
        (
            &json!("/portal"),
            &json!("/portal"),
            &json!("Loopdesk 客户服务")
        )
    );
    let (_, staff, _) = Browser::signed_in(&app, "agent")
        .await
        .get(&app, &page)
        .await;
    assert!(staff.contains("href=\"/manifest.webmanifest\""), "{staff}");
    // A chase from the page counts on the customer's card.
    assert_eq!(c.post(&app, &format!("{page}/chase"), &[]).await.0, 303);
    let (_, card, _) = Browser::signed_in(&app, "agent")
        .await
        .get(&app, &format!("/customers/{customer}"))
        .await;
    assert!(card.contains("催单 1 次"), "{card}");
    // A reply: the agent sees it on the ticket.
    let (s, _, _) = c
        .post(
            &app,
            &format!("{page}/comment"),
            &[("body", "温度显示 12 度")],
        )
        .await;
    assert_eq!(s, 303);
    let mut a = Browser::signed_in(&app, "agent").await;
    assert!(a.get(&app, &page).await.1.contains("温度显示 12 度"));
    // Withdrawn with why; without, refused and nothing changes.
    let version = hidden(&c.get(&app, &page).await.1, "version");
    let (s, _, _) = c
        .post(
            &app,
            &format!("{page}/move"),
            &[("version", &version), ("to", "cancelled"), ("reason", "")],
        )
        .await;
    assert_eq!(s, 422);
    let (s, _, _) = c
        .post(
            &app,
            &format!("{page}/move"),
            &[
                ("version", &version),
                ("to", "cancelled"),
                ("reason", "已自行恢复"),
            ],
        )
        .await;
    assert_eq!(s, 303);
    let t = app
        .read(
            &agent,
            &format!("/api/v1/tickets/{}", first["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(t["status"], "cancelled");
    // Once an engineer is on it, the customer can no longer withdraw it.
    let other = format!("/t/{}", second["id"].as_str().unwrap());
    let (_, html, _) = c.get(&app, &other).await;
    assert!(!html.contains("撤销请求"), "{html}");
    let version = app
        .read(
            &agent,
            &format!("/api/v1/tickets/{}", second["id"].as_str().unwrap()),
        )
        .await["version"]
        .to_string();
    let (s, _, _) = c
        .post(
            &app,
            &format!("{other}/move"),
            &[
                ("version", &version),
                ("to", "cancelled"),
                ("reason", "不要了"),
            ],
        )
        .await;
    assert_eq!(s, 422);
    let t = app
        .read(
            &agent,
            &format!("/api/v1/tickets/{}", second["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(t["status"], "assigned");
}

async fn stock_is_set_up_and_moved_from_the_stock_page(backend: Backend) {
    let app = spawn_app(backend).await;
    app.user("keeper", &["dispatcher"], json!({})).await;
    app.user("eng", &["engineer"], json!({})).await;
    let region = app
        .ok(
            &app.admin,
            "/api/v1/regions",
            json!({ "name": "徐汇" }),
            201,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut b = Browser::signed_in(&app, "keeper").await;
    let (s, html, _) = b.get(&app, "/stock").await;
    assert_eq!(s, 200);
    assert!(html.contains("还没有仓库"), "{html}");
    // Warehouses: a van needs its engineer.
    let (s, html, _) = b
        .post(
            &app,
            "/stock/warehouses",
            &[
                ("name", "一号车"),
                ("kind", "van"),
                ("region_id", ""),
                ("engineer_id", ""),
            ],
        )
        .await;
    assert_eq!(s, 422);
    assert!(html.contains("field-error"), "{html}");
    let (s, _, to) = b
        .post(
            &app,
            "/stock/warehouses",
            &[
                ("name", "中心仓"),
                ("kind", "central"),
                ("region_id", ""),
                ("engineer_id", ""),
            ],
        )
        .await;
    assert_eq!(s, 303);
    let central = to
        .unwrap()
        .trim_start_matches("/stock?warehouse=")
        .to_owned();
    let (_, _, to) = b
        .post(
            &app,
            "/stock/warehouses",
            &[
                ("name", "徐汇库"),
                ("kind", "regional"),
                ("region_id", &region),
                ("engineer_id", ""),
            ],
        )
        .await;
    let pool = to
        .unwrap()
        .trim_start_matches("/stock?warehouse=")
        .to_owned();
    // A part, once: its SKU again is refused.
    let part = [
        ("sku", "CMP-1"),
        ("name", "压缩机"),
        ("unit", "台"),
        ("price", "1200"),
    ];
    assert_eq!(b.post(&app, "/stock/parts", &part).await.0, 303);
    let (s, html, _) = b.post(&app, "/stock/parts", &part).await;
    assert_eq!(s, 422);
    assert!(html.contains("备件编号"), "{html}");
    // Received, pressed twice with the same form: once.
    let (_, html, _) = b.get(&app, &format!("/stock?warehouse={central}")).await;
    let key = hidden(&html, "submission");
    let receive = [
        ("kind", "receive"),
        ("warehouse", central.as_str()),
        ("sku", "CMP-1"),
        ("qty", "5"),
        ("reason", "PO-778"),
        ("submission", key.as_str()),
    ];
    assert_eq!(b.post(&app, "/stock/movements", &receive).await.0, 303);
    assert_eq!(b.post(&app, "/stock/movements", &receive).await.0, 303);
    let level = |w: String| {
        let app = &app;
        async move {
            app.read(
                &app.admin,
                &format!("/api/v1/stock?warehouse_id={w}&sku=CMP-1"),
            )
            .await["items"][0]["on_hand"]
                .as_i64()
                .unwrap_or(0)
        }
    };
    assert_eq!(level(central.clone()).await, 5);
    // Transferred; more than there is is refused with what is there.
    let transfer = |qty: &'static str| {
        let key = uuid::Uuid::new_v4().to_string();
        vec![
            ("kind", "transfer".to_owned()),
            ("warehouse", central.clone()),
            ("sku", "CMP-1".to_owned()),
            ("qty", qty.to_owned()),
            ("to", pool.clone()),
            ("submission", key),
        ]
    };
    let form = transfer("3");
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(b.post(&app, "/stock/movements", &pairs).await.0, 303);
    let form = transfer("10");
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (s, html, _) = b.post(&app, "/stock/movements", &pairs).await;
    assert_eq!(s, 422);
    assert!(html.contains("CMP-1 库存不足：可用 2"), "{html}");
    assert_eq!(
        (level(central.clone()).await, level(pool.clone()).await),
        (2, 3)
    );
    let form = transfer("0");
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(b.post(&app, "/stock/movements", &pairs).await.0, 422);
    // A low-stock level for the pool: 3 on hand under 5 shows as low; cleared, it does not.
    let threshold = |min: &'static str| {
        [
            ("warehouse", pool.clone()),
            ("sku", "CMP-1".to_owned()),
            ("min_available", min.to_owned()),
        ]
    };
    let form = threshold("5");
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(b.post(&app, "/stock/thresholds", &pairs).await.0, 303);
    let low = app.read(&app.admin, "/api/v1/stock/low").await;
    assert_eq!(
        low.as_array()
            .map(Vec::len)
            .or(low["items"].as_array().map(Vec::len)),
        Some(1),
        "{low}"
    );
    let form = threshold("很多");
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(b.post(&app, "/stock/thresholds", &pairs).await.0, 422);
    let form = threshold("");
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(b.post(&app, "/stock/thresholds", &pairs).await.0, 303);
    let low = app.read(&app.admin, "/api/v1/stock/low").await;
    assert_eq!(
        low.as_array()
            .map(Vec::len)
            .or(low["items"].as_array().map(Vec::len)),
        Some(0),
        "{low}"
    );
    // The page shows the level and the movements.
    let (_, html, _) = b.get(&app, &format!("/stock?warehouse={pool}")).await;
    assert!(html.contains("压缩机") && html.contains("调拨"), "{html}");
    // An engineer moves nothing from here.
    let mut e = Browser::signed_in(&app, "eng").await;
    assert_eq!(e.post(&app, "/stock/movements", &receive).await.0, 403);
    assert_eq!(e.get(&app, "/stock").await.0, 403);
}

async fn an_address_nothing_answers_is_a_branded_page_or_the_apis_json(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut b = Browser::new();
    let (s, html, _) = b.get(&app, "/no/such/page").await;
    assert_eq!(s, 404);
    assert!(
        html.contains("<html lang=\"zh-CN\"")
            && html.contains("找不到这个页面")
            && html.contains("/static/app.css"),
        "{html}"
    );
    let (s, html, _) = b.get(&app, "/no/such/page?lang=en").await;
    assert_eq!(s, 404);
    assert!(
        html.contains("<html lang=\"en\"") && html.contains("Page not found"),
        "{html}"
    );
    let r = app
        .client
        .get(app.url("/api/v1/no-such-thing"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "not_found");
}

async fn an_admin_sets_an_sla_policy_and_a_calendar_and_previews_the_due_times(backend: Backend) {
    let app = spawn_app(backend).await;
    app.user("boss", &["admin"], json!({})).await;
    app.user("agent", &["agent"], json!({})).await;
    let mut b = Browser::signed_in(&app, "boss").await;
    let (s, html, _) = b.get(&app, "/admin/sla").await;
    assert_eq!(s, 200);
    assert!(
        html.contains("适用策略"),
        "the default policy applies: {html}"
    );
    // A calendar, then a VIP P2 policy on it: 30 minutes to respond, 4 working hours to fix.
    assert_eq!(
        b.post(&app, "/admin/sla/calendars", &[("name", "上海工作日")])
            .await
            .0,
        303
    );
    let calendars = app.read(&app.admin, "/api/v1/calendars").await;
    let calendar = calendars
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "上海工作日")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let policy = [
        ("name", "VIP 紧急"),
        ("priority", "2"),
        ("customer_tier", "vip"),
        ("category", ""),
        ("first_response_minutes", "30"),
        ("arrival_minutes", ""),
        ("resolution_minutes", "240"),
        ("warn_percent", "75"),
        ("calendar_id", calendar.as_str()),
    ];
    assert_eq!(b.post(&app, "/admin/sla/policies", &policy).await.0, 303);
    // Bad input names its field and adds nothing.
    let mut bad = policy;
    bad[6].1 = "四小时";
    let (s, html, _) = b.post(&app, "/admin/sla/policies", &bad).await;
    assert_eq!(s, 422);
    assert!(html.contains("解决时限（分钟）"), "{html}");
    bad[6].1 = "0";
    assert_eq!(b.post(&app, "/admin/sla/policies", &bad).await.0, 422);
    assert_eq!(
        app.read(&app.admin, "/api/v1/sla-policies")
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Monday 7 December 2026 made a holiday, pasted as people write it.
    let days = format!("/admin/sla/calendars/{calendar}");
    let (s, html, _) = b
        .post(
            &app,
            &days,
            &[("holidays", "2026年12月7日"), ("workdays", "")],
        )
        .await;
    assert_eq!(s, 303, "{html}");
    let (s, html, _) = b
        .post(&app, &days, &[("holidays", "12/7"), ("workdays", "")])
        .await;
    assert_eq!(s, 422);
    assert!(html.contains("日期无法识别"), "{html}");
    // A VIP P2 at 10:00 that Monday: the clock starts Tuesday 09:00.
    let (_, html, _) = b
        .get(
            &app,
            "/admin/sla?priority=2&tier=vip&category=&at=2026-12-07T10%3A00",
        )
        .await;
    assert!(
        html.contains("VIP 紧急")
            && html.contains("2026-12-08 09:30")
            && html.contains("2026-12-08 13:00"),
        "{html}"
    );
    // A P3 for the same customer falls under the default.
    let (_, html, _) = b
        .get(&app, "/admin/sla?priority=3&tier=vip&at=2026-12-07T10%3A00")
        .await;
    assert!(!html.contains("<strong>VIP 紧急</strong>"), "{html}");
    // Admins only.
    let mut a = Browser::signed_in(&app, "agent").await;
    assert_eq!(a.get(&app, "/admin/sla").await.0, 403);
    assert_eq!(a.post(&app, "/admin/sla/policies", &policy).await.0, 403);
}

async fn the_sign_in_page_speaks_the_installations_language_not_the_browsers(backend: Backend) {
    let login = |app: &TestApp, query: &str| {
        let url = app.url(&format!("/login{query}"));
        let client = app.client.clone();
        async move {
            let r = client
                .get(url)
                .header("accept-language", "en-US,en;q=0.9")
                .send()
                .await
                .unwrap();
            r.text().await.unwrap()
        }
    };
    // A Chinese team on English browsers reads Chinese; English when asked for.
    let app = spawn_app(backend).await;
    assert!(login(&app, "").await.contains("<html lang=\"zh-CN\""));
    assert!(login(&app, "?lang=en").await.contains("<html lang=\"en\""));
    // An installation set to English signs in in English.
    let english = spawn_app_with(backend, |c| c.default_lang = loopdesk_core::i18n::Lang::En).await;
    let html = login(&english, "").await;
    assert!(
        html.contains("<html lang=\"en\"") && html.contains("Sign in"),
        "{html}"
    );
}

async fn an_admin_registers_tests_disables_and_deletes_a_webhook_from_its_page(backend: Backend) {
    use std::sync::{Arc, Mutex};
    let app = spawn_app(backend).await;
    app.user("boss", &["admin"], json!({})).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (customer, _) = app.customer(&agent, "申江制冷", "13800138000").await;
    // A real receiver on loopback, keeping the events it got.
    let got: Arc<Mutex<Vec<String>>> = Arc::default();
    let kept = got.clone();
    let router = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: String| {
            let kept = kept.clone();
            async move {
                let v: Value = serde_json::from_str(&body).unwrap();
                kept.lock()
                    .unwrap()
                    .push(v["event"].as_str().unwrap().to_owned());
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let runner = loopdesk_jobs::Runner::new(
        app.store.clone(),
        app.clock.clone(),
        "r".into(),
        loopdesk_jobs::RunnerConfig {
            webhook_allow: app.config.webhook_allow.clone(),
            ..loopdesk_jobs::RunnerConfig::default()
        },
    )
    .unwrap();
    let events = || got.lock().unwrap().clone();

    let mut b = Browser::signed_in(&app, "boss").await;
    let (s, html, _) = b.get(&app, "/admin/webhooks").await;
    assert_eq!(s, 200);
    assert!(html.contains("还没有 Webhook"), "{html}");
    let (s, html, _) = b
        .post(
            &app,
            "/admin/webhooks",
            &[
                ("url", url.as_str()),
                ("secret", "short"),
                ("event", "ticket.created"),
            ],
        )
        .await;
    assert_eq!(s, 422);
    assert!(html.contains("签名密钥"), "{html}");
    let form = [
        ("url", url.as_str()),
        ("secret", "whsec-0123456789abcdef"),
        ("event", "ticket.created"),
    ];
    assert_eq!(b.post(&app, "/admin/webhooks", &form).await.0, 303);
    let hooks = app.read(&app.admin, "/api/v1/webhooks").await;
    assert_eq!(
        (hooks.as_array().unwrap().len(), &hooks[0]["active"]),
        (1, &json!(true))
    );
    assert!(
        hooks[0].get("secret").is_none(),
        "the secret is never shown again"
    );
    let page = format!("/admin/webhooks/{}", hooks[0]["id"].as_str().unwrap());
    // A test event reaches the receiver and shows as delivered.
    assert_eq!(b.post(&app, &format!("{page}/test"), &[]).await.0, 303);
    runner.drain().await.unwrap();
    assert_eq!(events(), ["webhook.test"]);
    let (_, html, _) = b.get(&app, "/admin/webhooks").await;
    assert!(
        html.contains("webhook.test") && html.contains("已送达"),
        "{html}"
    );
    // The effect: a new ticket is delivered; disabled, the next one is not.
    app.ticket(&agent, &customer, "冷库不制冷").await;
    runner.drain().await.unwrap();
    runner.drain().await.unwrap();
    assert_eq!(events(), ["webhook.test", "ticket.created"]);
    assert_eq!(
        b.post(&app, &format!("{page}/active"), &[("active", "0")])
            .await
            .0,
        303
    );
    app.ticket(&agent, &customer, "门禁失灵").await;
    runner.drain().await.unwrap();
    runner.drain().await.unwrap();
    assert_eq!(events().len(), 2, "nothing goes to a disabled endpoint");
    assert!(b.get(&app, "/admin/webhooks").await.1.contains("已停用"));
    // The same through the API: the deliveries with their outcome; enable again.
    let api = format!("/api/v1/webhooks/{}", hooks[0]["id"].as_str().unwrap());
    let d = app.read(&app.admin, &format!("{api}/deliveries")).await;
    let seen: Vec<(&str, &str)> = d
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["event"].as_str().unwrap(), x["status"].as_str().unwrap()))
        .collect();
    assert_eq!(seen, [("ticket.created", "done"), ("webhook.test", "done")]);
    let r = app
        .client
        .patch(app.url(&api))
        .bearer_auth(&app.admin)
        .json(&json!({ "active": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = app
        .client
        .patch(app.url(&api))
        .bearer_auth(&app.admin)
        .json(&json!({ "active": "yes" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(
        app.client
            .delete(app.url(&api))
            .bearer_auth(&agent)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    // Deleted: gone from the list.
    assert_eq!(b.post(&app, &format!("{page}/delete"), &[]).await.0, 303);
    assert!(app
        .read(&app.admin, "/api/v1/webhooks")
        .await
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(b.post(&app, &format!("{page}/test"), &[]).await.0, 404);
    // Admins only.
    let mut a = Browser::signed_in(&app, "agent").await;
    assert_eq!(a.get(&app, "/admin/webhooks").await.0, 403);
    assert_eq!(a.post(&app, "/admin/webhooks", &form).await.0, 403);
}

async fn equipment_is_edited_moved_catalogued_and_labelled_from_its_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    app.user("eng", &["engineer"], json!({})).await;
    let (customer, site) = app.customer(&agent, "上海申江制冷", "13800138000").await;
    app.ok(
        &agent,
        &format!("/api/v1/customers/{customer}/sites"),
        json!({ "name": "二号仓", "address": "上海市浦东新区张江路 100 号" }),
        201,
    )
    .await;
    let mut ids = Vec::new();
    for i in 0..30 {
        let a = app
            .asset(&agent, (&customer, &site), "X1", &format!("SN-L-{i:02}"))
            .await;
        ids.push(a["id"].as_str().unwrap().to_owned());
    }
    let card = format!("/assets/{}", ids[0]);

    let mut desk = Browser::signed_in(&app, "agent").await;
    let (s, html, _) = desk.get(&app, &card).await;
    assert_eq!(s, 200);
    assert!(
        html.contains("action=\"/assets/") && html.contains("二号仓"),
        "{html}"
    );
    let version = hidden(&html, "version");
    let second = html
        .split("<option value=\"")
        .skip(1)
        .find(|o| o.contains("二号仓"))
        .and_then(|o| o.split('"').next())
        .unwrap()
        .to_owned();
    // The move: back on the card, with the move in its history.
    let (s, _, to) = desk
        .post(
            &app,
            &format!("{card}/move"),
            &[
                ("version", &version),
                ("site_id", &second),
                ("note", "门店装修"),
            ],
        )
        .await;
    assert_eq!((s, to.as_deref()), (303, Some(card.as_str())));
    let (_, html, _) = desk.get(&app, &card).await;
    assert!(
        html.contains("总店 → 二号仓") && html.contains("门店装修"),
        "{html}"
    );
    // A form from before the move is stale: said so, nothing changed.
    let (s, html, _) = desk
        .post(
            &app,
            &format!("{card}/edit"),
            &[
                ("version", &version),
                ("model", "X1"),
                ("serial", "SN-CHANGED"),
            ],
        )
        .await;
    assert_eq!(s, 422);
    assert!(html.contains("field-error"), "{html}");
    assert_eq!(
        app.read(&agent, &format!("/api/v1/assets/{}", ids[0]))
            .await["serial"],
        "SN-L-00"
    );
    // A bad date names the field; a good edit lands and clears the warranty.
    let version = hidden(&html, "version");
    let (s, html, _) = desk
        .post(
            &app,
            &format!("{card}/edit"),
            &[
                ("version", &version),
                ("model", "X1"),
                ("serial", "SN-L-00"),
                ("installed_on", "2026-13-01"),
            ],
        )
        .await;
    assert_eq!(s, 422);
    assert!(html.contains("安装日期"), "{html}");
    let (s, _, _) = desk
        .post(
            &app,
            &format!("{card}/edit"),
            &[
                ("version", &version),
                ("model", "X2"),
                ("serial", "SN-L-00A"),
                ("installed_on", "2026-01-05"),
                ("warranty_until", ""),
            ],
        )
        .await;
    assert_eq!(s, 303);
    let a = app
        .read(&agent, &format!("/api/v1/assets/{}", ids[0]))
        .await;
    assert_eq!(
        (
            a["model"].as_str(),
            a["serial"].as_str(),
            a["installed_on"].as_str()
        ),
        (Some("X2"), Some("SN-L-00A"), Some("2026-01-05"))
    );
    assert!(a["warranty_until"].is_null());

    // The label sheet: 24 labels, each a QR code of the asset's link, then the next sheet.
    let (s, html, _) = desk
        .get(&app, &format!("/assets/labels?customer_id={customer}"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        html.matches("<figure class=\"label\"").count(),
        24,
        "{html}"
    );
    assert!(html.contains("SN-L-00A") && html.contains("/assets/labels?customer_id="));
    assert!(html.len() < 150_000, "sheet of {} bytes", html.len());
    let next = html
        .split("after=")
        .nth(1)
        .and_then(|n| n.split('"').next())
        .unwrap()
        .to_owned();
    let (_, html, _) = desk
        .get(
            &app,
            &format!("/assets/labels?customer_id={customer}&after={next}"),
        )
        .await;
    assert_eq!(html.matches("<figure class=\"label\"").count(), 6);

    // The catalogue: staff read it, the agent may not add; an admin adds and changes a model.
    let (s, _, _) = desk
        .post(&app, "/assets/models", &[("code", "X9"), ("name", "x")])
        .await;
    assert_eq!(s, 403);
    app.user("chief", &["admin"], json!({})).await;
    let mut admin = Browser::signed_in(&app, "chief").await;
    let (s, html, _) = admin
        .post(
            &app,
            "/assets/models",
            &[
                ("code", "X1"),
                ("name", "冷柜 X1"),
                ("warranty_months", "abc"),
            ],
        )
        .await;
    assert_eq!(s, 422);
    assert!(html.contains("保修期（月）"), "{html}");
    let (s, _, to) = admin
        .post(
            &app,
            "/assets/models",
            &[
                ("code", "X1"),
                ("name", "冷柜 X1"),
                ("warranty_months", "24"),
                ("skill", "refrigeration"),
                ("skill_level", "2"),
                ("checklist", "检查压缩机\r\n\r\n清洁冷凝器\r\n"),
            ],
        )
        .await;
    assert_eq!((s, to.as_deref()), (303, Some("/assets/models")));
    let (s, html, _) = admin.get(&app, "/assets/models").await;
    assert_eq!(s, 200);
    // 29 assets still name X1 (one became X2).
    assert!(
        html.contains(">29</a>") && html.contains("refrigeration ≥ 2"),
        "{html}"
    );
    let models = app.read(&agent, "/api/v1/models").await;
    assert_eq!(
        models["items"][0]["checklist"],
        json!(["检查压缩机", "清洁冷凝器"])
    );
    let id = models["items"][0]["id"].as_str().unwrap().to_owned();
    let (s, _, _) = admin
        .post(
            &app,
            &format!("/assets/models/{id}"),
            &[("name", "商用冷柜 X1"), ("warranty_months", "36")],
        )
        .await;
    assert_eq!(s, 303);
    let models = app.read(&agent, "/api/v1/models").await;
    assert_eq!(
        (
            models["items"][0]["name"].as_str(),
            models["items"][0]["warranty_months"].as_i64()
        ),
        (Some("商用冷柜 X1"), Some(36))
    );
    let (s, _, _) = desk.get(&app, "/assets/models").await;
    assert_eq!(s, 200);
    // An engineer has no equipment list and no sheets.
    let mut eng = Browser::signed_in(&app, "eng").await;
    let (s, _, _) = eng.get(&app, "/assets/labels").await;
    assert_eq!(s, 403);
}

async fn a_duplicate_customer_is_found_and_merged_from_the_card(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    app.user("boss", &["manager"], json!({})).await;
    let (kept, _) = app.customer(&agent, "申江制冷", "13800138000").await;
    let (dup, _) = app
        .customer(&agent, "申江制冷（重复）", "13900139000")
        .await;
    app.customer(&agent, "浦江电梯", "13700137000").await;
    let ticket = app.ticket(&agent, &dup, "冷柜报警").await;
    let mut b = Browser::signed_in(&app, "agent").await;
    let card = format!("/customers/{kept}");
    let (_, html, _) = b.get(&app, &card).await;
    assert!(html.contains(&format!("href=\"{card}/merge\"")), "{html}");
    // The page opens on the customer's own name: the duplicate is there, the card itself and
    // the unrelated customer are not.
    let (s, html, _) = b.get(&app, &format!("{card}/merge")).await;
    assert_eq!(s, 200);
    assert!(
        html.contains("申江制冷（重复）") && html.contains("13900139000"),
        "{html}"
    );
    assert!(!html.contains("浦江电梯"), "{html}");
    assert!(
        !html.contains(&format!("name=\"duplicate_id\" value=\"{kept}\"")),
        "the card is not offered as its own duplicate"
    );
    assert!(html.contains("data-confirm="), "a merge asks first: {html}");
    // A search by phone finds the other one.
    let (_, html, _) = b.get(&app, &format!("{card}/merge?q=137-0013-7000")).await;
    assert!(html.contains("浦江电梯"), "{html}");
    // A stale card is refused and nothing moves.
    let form = [("version", "0"), ("duplicate_id", dup.as_str())];
    let (s, html, _) = b.post(&app, &format!("{card}/merge"), &form).await;
    assert_eq!(s, 422);
    assert!(html.contains("role=\"alert\""), "{html}");
    assert_eq!(app.count("SELECT COUNT(*) FROM customers").await, 3);
    let (s, html, _) = b
        .post(
            &app,
            &format!("{card}/merge"),
            &[("version", "1"), ("duplicate_id", "x")],
        )
        .await;
    assert_eq!((s, html.contains("重复客户")), (422, true));
    // Merged: back on the card, which now holds the duplicate's contact and ticket.
    let form = [("version", "1"), ("duplicate_id", dup.as_str())];
    let (s, _, to) = b.post(&app, &format!("{card}/merge"), &form).await;
    assert_eq!((s, to.as_deref()), (303, Some(card.as_str())));
    let (_, html, _) = b.get(&app, &card).await;
    assert!(
        html.contains("13900139000")
            && html.contains("冷柜报警")
            && html.contains("已合并的重复客户"),
        "{html}"
    );
    // The duplicate's old link leads to the card; the ticket's customer is the survivor.
    let (s, _, to) = b.get(&app, &format!("/customers/{dup}")).await;
    assert_eq!((s, to.as_deref()), (303, Some(card.as_str())));
    let t = app
        .read(
            &agent,
            &format!("/api/v1/tickets/{}", ticket["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(t["customer_id"], json!(kept));
    // A manager reads customers but merges none.
    let mut boss = Browser::signed_in(&app, "boss").await;
    let (s, _, _) = boss.get(&app, &format!("{card}/merge")).await;
    assert_eq!(s, 403);
}

async fn contacts_and_sites_are_edited_and_removed_from_the_card(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (customer, site) = app.customer(&agent, "申江制冷", "13800138000").await;
    let card = format!("/customers/{customer}");
    let c = app.read(&agent, &format!("/api/v1/{}", &card[1..])).await;
    let contact = c["contacts"][0]["id"].as_str().unwrap().to_owned();
    let mut b = Browser::signed_in(&app, "agent").await;
    let (_, html, _) = b.get(&app, &card).await;
    for action in [
        format!("{card}/contacts/{contact}/remove"),
        format!("{card}/sites/{site}"),
        format!("{card}/sites/{site}/remove"),
    ] {
        assert!(
            html.contains(&format!("action=\"{action}\"")),
            "{action}: {html}"
        );
    }
    // The site: a bad latitude is refused by name, a good edit saved.
    let edit = format!("{card}/sites/{site}");
    let bad = [
        ("site_name", "总店"),
        ("address", "人民大道 1 号"),
        ("lat", "北纬"),
        ("lon", "121.47"),
        ("geofence_m", "300"),
    ];
    let (s, html, _) = b.post(&app, &edit, &bad).await;
    assert_eq!(s, 422);
    assert!(
        html.contains("role=\"alert\"") && html.contains("纬度"),
        "{html}"
    );
    let good = [
        ("site_name", "总店"),
        ("address", "人民大道 200 号"),
        ("lat", "31.2304"),
        ("lon", "121.4737"),
        ("geofence_m", "300"),
    ];
    let (s, _, to) = b.post(&app, &edit, &good).await;
    assert_eq!((s, to.as_deref()), (303, Some(card.as_str())));
    let (_, html, _) = b.get(&app, &card).await;
    assert!(html.contains("人民大道 200 号"), "{html}");
    // A site with an open ticket stays, and says why.
    app.ok(
        &agent,
        "/api/v1/tickets",
        json!({ "subject": "冷库报警", "priority": 3, "channel": "phone", "customer_id": customer,
                "site_id": site }),
        201,
    )
    .await;
    let (s, html, _) = b.post(&app, &format!("{edit}/remove"), &[]).await;
    assert_eq!(s, 422);
    assert!(html.contains("未关闭的工单"), "{html}");
    // The contact goes; the card no longer lists their phone.
    let (s, _, to) = b
        .post(&app, &format!("{card}/contacts/{contact}/remove"), &[])
        .await;
    assert_eq!((s, to.as_deref()), (303, Some(card.as_str())));
    let (_, html, _) = b.get(&app, &card).await;
    assert!(!html.contains("tel:13800138000"), "{html}");
}

async fn customers_are_imported_from_a_sheet_on_the_import_page(backend: Backend) {
    let app = spawn_app(backend).await;
    app.user("agent", &["agent"], json!({})).await;
    app.user("boss", &["manager"], json!({})).await;
    let mut b = Browser::signed_in(&app, "agent").await;
    let (_, html, _) = b.get(&app, "/customers").await;
    assert!(html.contains("href=\"/customers/import\""), "{html}");
    let (s, html, _) = b.get(&app, "/customers/import").await;
    assert_eq!(s, 200);
    assert_eq!(
        html.matches("enctype=\"multipart/form-data\"").count(),
        4,
        "{html}"
    );
    // Row 3 has no name: the table names it, and nothing is stored.
    let bad = "客户名称,电话\r\n申江制冷,13800138000\r\n,13900139000\r\n"
        .as_bytes()
        .to_vec();
    let (s, html, _) = b
        .post_multipart(
            &app,
            "/customers/import",
            &[("what", "customers")],
            vec![("file", "客户.csv", bad)],
        )
        .await;
    assert_eq!(s, 422);
    assert!(
        html.contains("role=\"alert\"")
            && html.contains("<td>3</td>")
            && html.contains("未导入任何数据"),
        "{html}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM customers").await, 0);
    // A heading nobody knows is named as the file's fault.
    let (s, html, _) = b
        .post_multipart(
            &app,
            "/customers/import",
            &[("what", "customers")],
            vec![("file", "x.csv", b"name,colour\r\nx,red\r\n".to_vec())],
        )
        .await;
    assert_eq!(s, 422);
    assert!(html.contains("无法识别的列"), "{html}");
    let good = "客户名称,电话\r\n申江制冷,13800138000\r\n浦江电梯,13900139000\r\n"
        .as_bytes()
        .to_vec();
    let (s, html, _) = b
        .post_multipart(
            &app,
            "/customers/import",
            &[("what", "customers")],
            vec![("file", "客户.csv", good)],
        )
        .await;
    assert_eq!(s, 200);
    assert!(html.contains("已导入 2 行"), "{html}");
    let (_, html, _) = b.get(&app, "/customers?q=13900139000").await;
    assert!(html.contains("浦江电梯"), "{html}");
    // The template has the Chinese headings, and a filled-in copy imports.
    let (s, template, _) = b.get(&app, "/customers/import/template?what=sites").await;
    assert_eq!(s, 200);
    let heading = template
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .unwrap()
        .to_owned();
    assert!(heading.starts_with("客户编号,地址名称,地址"), "{heading}");
    let (s, _, _) = b
        .get(&app, "/customers/import/template?what=customers")
        .await;
    assert_eq!(s, 200);
    let c = app
        .read(&app.admin, "/api/v1/customers?q=13900139000")
        .await;
    let id = c["items"][0]["id"].as_str().unwrap().to_owned();
    let filled = format!("{heading}\r\n{id},二号仓,张江路 9 号,,,\r\n");
    let (s, html, _) = b
        .post_multipart(
            &app,
            "/customers/import",
            &[("what", "sites")],
            vec![("file", "地址.csv", filled.into_bytes())],
        )
        .await;
    assert_eq!((s, html.contains("已导入 1 行")), (200, true), "{html}");
    // Equipment at the new site, in the equipment export's columns.
    app.ok(
        &app.admin,
        "/api/v1/models",
        json!({ "code": "X1", "name": "冷柜" }),
        201,
    )
    .await;
    let card = app
        .read(&app.admin, &format!("/api/v1/customers/{id}"))
        .await;
    let site = card["sites"][0]["id"].as_str().unwrap().to_owned();
    let sheet = format!("customer_id,site_id,model,serial\r\n{id},{site},X1,SN-IMP-1\r\n");
    let (s, html, _) = b
        .post_multipart(
            &app,
            "/customers/import",
            &[("what", "assets")],
            vec![("file", "设备.csv", sheet.into_bytes())],
        )
        .await;
    assert_eq!((s, html.contains("已导入 1 行")), (200, true), "{html}");
    assert_eq!(app.count("SELECT COUNT(*) FROM assets").await, 1);
    let mut boss = Browser::signed_in(&app, "boss").await;
    let (s, _, _) = boss.get(&app, "/customers/import").await;
    assert_eq!(s, 403);
    // The stock keeper imports the parts catalogue from the stock page's import page.
    app.user("keeper", &["dispatcher"], json!({})).await;
    let mut keeper = Browser::signed_in(&app, "keeper").await;
    let (_, html, _) = keeper.get(&app, "/stock").await;
    assert!(html.contains("href=\"/stock/import\""), "{html}");
    let (s, html, _) = keeper.get(&app, "/stock/import").await;
    assert_eq!((s, html.matches("enctype=").count()), (200, 2), "{html}");
    let parts = "物料编码,名称,售价\r\nCAP-35,启动电容,45\r\n"
        .as_bytes()
        .to_vec();
    let (s, html, _) = keeper
        .post_multipart(
            &app,
            "/stock/import",
            &[("what", "parts")],
            vec![("file", "备件.csv", parts)],
        )
        .await;
    assert_eq!((s, html.contains("已导入 1 行")), (200, true), "{html}");
    let (s, _, _) = b.get(&app, "/stock/import").await;
    assert_eq!(s, 403, "an agent keeps no stock");
}

async fn an_admin_outlines_a_region_and_the_dashboard_and_board_draw_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    app.user("boss", &["manager"], json!({})).await;
    app.user("disp", &["dispatcher"], json!({})).await;
    let xuhui = app
        .ok(
            &app.admin,
            "/api/v1/regions",
            json!({ "name": "徐汇" }),
            201,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let square = json!({ "type": "Polygon", "coordinates": [[[121.40, 31.13], [121.475, 31.13],
        [121.475, 31.22], [121.40, 31.22], [121.40, 31.13]]] });
    // The API: bad outlines are named, a good one is served back as a MultiPolygon.
    let shape = format!("/api/v1/regions/{xuhui}/shape");
    for (body, field) in [
        (
            json!({ "type": "Point", "coordinates": [121.4, 31.1] }),
            "shape",
        ),
        (
            json!({ "type": "Polygon", "coordinates": [[[121.4, 31.1], [121.5, 31.1], [121.5, 31.2]]] }),
            "shape",
        ),
    ] {
        let (s, e) = app
            .send(reqwest::Method::PUT, &app.admin, &shape, body)
            .await;
        assert_eq!((s, e["field"].as_str()), (422, Some(field)), "{e}");
    }
    let (s, _) = app
        .send(reqwest::Method::PUT, &agent, &shape, square.clone())
        .await;
    assert_eq!(s, 403);
    let (s, _) = app
        .send(reqwest::Method::PUT, &app.admin, &shape, square.clone())
        .await;
    assert_eq!(s, 204);
    let regions = app.read(&agent, "/api/v1/regions").await;
    assert_eq!(
        regions["items"][0]["shape"]["type"], "MultiPolygon",
        "{regions}"
    );

    // The page: a pasted outline with a hole in its syntax is refused and kept on the page.
    app.user("chief", &["admin"], json!({})).await;
    let mut admin = Browser::signed_in(&app, "chief").await;
    let (s, html, _) = admin.get(&app, "/admin/regions").await;
    assert_eq!(s, 200);
    assert!(
        html.contains("<svg class=\"map\""),
        "the outline drawn: {html}"
    );
    let (s, html, _) = admin
        .post_multipart(
            &app,
            &format!("/admin/regions/{xuhui}/shape"),
            &[("geojson", "{\"type\":\"Polygon\"")],
            vec![],
        )
        .await;
    assert_eq!(s, 422);
    assert!(
        html.contains("不是有效的 GeoJSON")
            && html.contains("{&quot;type&quot;:&quot;Polygon&quot;"),
        "{html}"
    );
    let (s, _, to) = admin
        .post_multipart(
            &app,
            &format!("/admin/regions/{xuhui}/shape"),
            &[("geojson", "")],
            vec![("file", "xuhui.geojson", square.to_string().into_bytes())],
        )
        .await;
    assert_eq!((s, to.as_deref()), (303, Some("/admin/regions")));

    // A ticket there, for the map's figure and the board's waiting orders.
    let c = app
        .ok(
            &agent,
            "/api/v1/customers",
            json!({ "name": "申江制冷", "region_id": xuhui,
                    "sites": [{ "name": "总店", "address": "漕溪北路 88 号", "lat": 31.19, "lon": 121.44 }] }),
            201,
        )
        .await;
    let customer = c["id"].as_str().unwrap().to_owned();
    app.ticket(&agent, &customer, "冷库报警").await;
    let mut boss = Browser::signed_in(&app, "boss").await;
    let (s, html, _) = boss.get(&app, "/dashboard?map=closure_rate").await;
    assert_eq!(s, 200);
    assert!(
        html.contains("<svg class=\"map\"") && html.contains("<title>徐汇: "),
        "the dashboard's map: {html}"
    );
    let mut disp = Browser::signed_in(&app, "disp").await;
    let (s, html, _) = disp.get(&app, "/dispatch").await;
    assert_eq!(s, 200);
    assert!(
        html.contains("<title>徐汇：1 单待派</title>"),
        "the board's map: {html}"
    );
    // Removed again: the dashboard says how to draw one.
    let (s, _, _) = admin
        .post(&app, &format!("/admin/regions/{xuhui}/shape/clear"), &[])
        .await;
    assert_eq!(s, 303);
    let (_, html, _) = boss.get(&app, "/dashboard").await;
    assert!(html.contains("还没有绘制区域轮廓"), "{html}");
}

async fn the_customer_card_shows_contracts_and_what_parts_cost_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (customer, site) = app.customer(&agent, "申江制冷", "13800138000").await;
    app.ok(
        &app.admin,
        "/api/v1/models",
        json!({ "code": "X1", "name": "冷柜" }),
        201,
    )
    .await;
    let asset = app.asset(&agent, (&customer, &site), "X1", "SN-C-1").await;
    for (name, from, to) in [
        ("HT-2026", "2026-01-01", "2027-06-30"),
        ("HT-2024", "2024-01-01", "2024-12-31"),
    ] {
        app.ok(
            &agent,
            "/api/v1/contracts",
            json!({ "customer_id": customer, "name": name, "starts_on": from, "ends_on": to,
                    "asset_ids": [asset["id"]] }),
            201,
        )
        .await;
    }
    let part = json!({ "sku": "CAP-35", "name": "启动电容", "price": 45.5 });
    app.ok(&app.admin, "/api/v1/parts", part, 201).await;
    let w = app
        .ok(
            &app.admin,
            "/api/v1/warehouses",
            json!({ "name": "中心仓", "kind": "central" }),
            201,
        )
        .await;
    let t = app.ticket(&agent, &customer, "冷柜不制冷").await;
    for body in [
        json!({ "kind": "receive", "sku": "CAP-35", "qty": 5, "to_warehouse_id": w["id"] }),
        json!({ "kind": "consume", "sku": "CAP-35", "qty": 3, "from_warehouse_id": w["id"], "ticket_id": t["id"] }),
        json!({ "kind": "return", "sku": "CAP-35", "qty": 1, "to_warehouse_id": w["id"], "ticket_id": t["id"] }),
    ] {
        app.ok(&app.admin, "/api/v1/stock/movements", body, 201)
            .await;
    }
    let mut b = Browser::signed_in(&app, "agent").await;
    let (s, html, _) = b.get(&app, &format!("/customers/{customer}")).await;
    assert_eq!(s, 200);
    assert!(
        html.contains("HT-2026") && html.contains("生效中"),
        "{html}"
    );
    assert!(
        html.contains("HT-2024") && html.contains("已到期"),
        "{html}"
    );
    // Three used, one taken back: two at 45.50.
    assert!(html.contains("备件消费：共 ¥91.00（1 张工单）"), "{html}");
}

async fn a_manager_subscribes_to_a_report_from_the_dashboard(backend: Backend) {
    let app = spawn_app(backend).await;
    app.user("boss", &["manager"], json!({ "email": "boss@x.test" }))
        .await;
    let mut b = Browser::signed_in(&app, "boss").await;
    let (_, html, _) = b.get(&app, "/dashboard").await;
    assert!(html.contains("action=\"/dashboard/schedules\""), "{html}");
    // The period the figures cover, and the one they are compared with, in local time.
    assert!(
        html.contains("本期 2026-10-25 10:00 至 2026-11-24 10:00（当地时间），与上期 2026-09-25 至 2026-10-25 比较"),
        "{html}"
    );
    let form = [("group_by", "engineer"), ("frequency", "weekly")];
    let (s, _, to) = b.post(&app, "/dashboard/schedules", &form).await;
    assert_eq!((s, to.as_deref()), (303, Some("/dashboard#schedules")));
    let (_, html, _) = b.get(&app, "/dashboard").await;
    assert!(html.contains("周报 · 按工程师"), "{html}");
    // The same one again is refused with a reason; a made-up grouping too.
    let (_, _, to) = b.post(&app, "/dashboard/schedules", &form).await;
    let (_, html, _) = b.get(&app, to.as_deref().unwrap()).await;
    assert!(html.contains("您已订阅了这份报表"), "{html}");
    let (_, _, to) = b
        .post(
            &app,
            "/dashboard/schedules",
            &[("group_by", "<x>"), ("frequency", "weekly")],
        )
        .await;
    let (_, html, _) = b.get(&app, to.as_deref().unwrap()).await;
    assert!(
        html.contains("role=\"alert\"") && !html.contains("<x>"),
        "{html}"
    );
    // Unsubscribed from the list.
    let at = html.find("/dashboard/schedules/").unwrap();
    let action = html[at..].split('"').next().unwrap().to_owned();
    let (s, _, _) = b.post(&app, &action, &[]).await;
    assert_eq!(s, 303);
    let (_, html, _) = b.get(&app, "/dashboard").await;
    assert!(!html.contains("周报 · 按工程师"), "{html}");
}

async fn an_admin_sets_dispatch_follow_up_stock_and_kpi_from_the_settings_page(backend: Backend) {
    let app = spawn_app(backend).await;
    app.user("chief", &["admin"], json!({})).await;
    app.user("boss", &["manager"], json!({})).await;
    app.user("agent", &["agent"], json!({})).await;
    let mut admin = Browser::signed_in(&app, "chief").await;
    let (s, html, _) = admin.get(&app, "/admin/settings").await;
    assert_eq!(s, 200);
    for action in ["dispatch", "followup", "stock", "kpi"] {
        assert!(
            html.contains(&format!("action=\"/admin/settings/{action}\"")),
            "{action}"
        );
    }
    // Each form saves on its own and says so beside itself.
    for (form, fields) in [
        ("dispatch", vec![("mode", "auto"), ("accept_minutes", "30")]),
        (
            "followup",
            vec![
                ("survey_delay_minutes", "120"),
                ("survey_valid_days", "10"),
                ("auto_close_days", "5"),
            ],
        ),
        ("stock", vec![("auto_approve_below", "200")]),
        ("kpi", vec![("closure_target", "92.5")]),
    ] {
        let (s, _, to) = admin
            .post(&app, &format!("/admin/settings/{form}"), &fields)
            .await;
        assert_eq!(
            (s, to),
            (303, Some(format!("/admin/settings?saved={form}#{form}")))
        );
    }
    let (_, html, _) = admin.get(&app, "/admin/settings?saved=kpi").await;
    assert!(
        html.contains("<option value=\"auto\" selected>") && html.contains("value=\"30\""),
        "{html}"
    );
    assert!(
        html.contains("value=\"200.00\"") && html.contains("value=\"92.5\""),
        "{html}"
    );
    assert!(html.contains("已保存"), "{html}");
    let d = app.read(&app.admin, "/api/v1/settings/dispatch").await;
    assert_eq!(
        (&d["mode"], &d["accept_minutes"]),
        (&json!("auto"), &json!(30))
    );
    // Out of range: the field named beside its form, nothing changed.
    let (_, _, to) = admin
        .post(
            &app,
            "/admin/settings/dispatch",
            &[("mode", "auto"), ("accept_minutes", "0")],
        )
        .await;
    let (_, html, _) = admin.get(&app, to.as_deref().unwrap()).await;
    assert!(
        html.contains("role=\"alert\"") && html.contains("工程师接单时限"),
        "{html}"
    );
    let (_, _, to) = admin
        .post(
            &app,
            "/admin/settings/followup",
            &[
                ("survey_delay_minutes", "2000"),
                ("survey_valid_days", "10"),
                ("auto_close_days", "5"),
            ],
        )
        .await;
    assert!(to.unwrap().contains("field=survey_delay_minutes"));
    let d = app.read(&app.admin, "/api/v1/settings/dispatch").await;
    assert_eq!(d["accept_minutes"], 30);
    // Cleared: every requisition needs a supervisor again.
    let (s, _, _) = admin
        .post(&app, "/admin/settings/stock", &[("auto_approve_below", "")])
        .await;
    assert_eq!(s, 303);
    let (_, html, _) = admin.get(&app, "/admin/settings").await;
    assert!(
        html.contains(
            "id=\"auto_approve\" name=\"auto_approve_below\" inputmode=\"decimal\" value=\"\""
        ),
        "{html}"
    );
    // A manager sets the KPI target only; an agent nothing.
    let mut boss = Browser::signed_in(&app, "boss").await;
    let (s, html, _) = boss.get(&app, "/admin/settings").await;
    assert_eq!(s, 200);
    assert!(
        html.contains("/admin/settings/kpi") && !html.contains("/admin/settings/dispatch"),
        "{html}"
    );
    let (s, _, _) = boss
        .post(
            &app,
            "/admin/settings/dispatch",
            &[("mode", "off"), ("accept_minutes", "15")],
        )
        .await;
    assert_eq!(s, 403);
    let mut agent = Browser::signed_in(&app, "agent").await;
    let (s, _, _) = agent.get(&app, "/admin/settings").await;
    assert_eq!(s, 403);
}

async fn the_parts_catalogue_is_searched_paged_edited_and_exported(backend: Backend) {
    let app = spawn_app(backend).await;
    app.user("keeper", &["dispatcher"], json!({})).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    // 60 parts: more than a page of 50.
    let mut sheet = String::from("物料编码,名称,售价\r\n");
    for i in 0..60 {
        sheet.push_str(&format!("P-{i:03},零件 {i},{}.5\r\n", i + 1));
    }
    let r = app
        .client
        .post(app.url("/api/v1/parts/import"))
        .bearer_auth(&app.admin)
        .header("content-type", "text/csv")
        .body(sheet)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let w = app
        .ok(
            &app.admin,
            "/api/v1/warehouses",
            json!({ "name": "中心仓", "kind": "central" }),
            201,
        )
        .await;
    app.ok(
        &app.admin,
        "/api/v1/stock/movements",
        json!({ "kind": "receive", "sku": "P-007", "qty": 12, "to_warehouse_id": w["id"] }),
        201,
    )
    .await;
    let mut b = Browser::signed_in(&app, "keeper").await;
    let (s, html, _) = b.get(&app, "/stock/parts").await;
    assert_eq!(s, 200);
    assert_eq!(html.matches("<tr><td><code>").count(), 50, "a page of 50");
    assert!(html.contains("after=P-049"), "{html}");
    let (_, html, _) = b.get(&app, "/stock/parts?after=P-049").await;
    assert_eq!(html.matches("<tr><td><code>").count(), 10);
    let (_, html, _) = b.get(&app, "/stock/parts?q=P-007").await;
    assert!(
        html.contains("零件 7") && html.contains("<td>12</td>"),
        "on hand shown: {html}"
    );
    // Edited in place; a price in words is refused and named.
    let (s, _, to) = b
        .post(
            &app,
            "/stock/parts/P-007",
            &[
                ("name", "启动电容 35μF"),
                ("unit", "个"),
                ("cost", "20"),
                ("price", "四十"),
                ("models", ""),
            ],
        )
        .await;
    assert_eq!(s, 303);
    let (_, html, _) = b.get(&app, to.as_deref().unwrap()).await;
    assert!(
        html.contains("role=\"alert\"") && html.contains("售价"),
        "{html}"
    );
    let (s, _, _) = b
        .post(
            &app,
            "/stock/parts/P-007",
            &[
                ("name", "启动电容 35μF"),
                ("unit", "个"),
                ("cost", "20"),
                ("price", "45.5"),
                ("models", "KFR-72LW、GEN2"),
            ],
        )
        .await;
    assert_eq!(s, 303);
    let p = app.read(&app.admin, "/api/v1/parts?q=P-007").await;
    assert_eq!(
        (
            &p["items"][0]["name"],
            &p["items"][0]["price"],
            &p["items"][0]["models"],
            &p["items"][0]["on_hand"]
        ),
        (
            &json!("启动电容 35μF"),
            &json!(45.5),
            &json!(["KFR-72LW", "GEN2"]),
            &json!(12)
        )
    );
    // The API: an unknown SKU is a 404, those who keep no stock may not.
    let (s, _) = app
        .send(
            reqwest::Method::PUT,
            &app.admin,
            "/api/v1/parts/NOPE",
            json!({ "sku": "x", "name": "x" }),
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = app
        .send(
            reqwest::Method::PUT,
            &agent,
            "/api/v1/parts/P-001",
            json!({ "sku": "x", "name": "x" }),
        )
        .await;
    assert_eq!(s, 403);
    // The export: every part, the import's headings.
    let (s, csv, _) = b.get(&app, "/stock/parts/export").await;
    assert_eq!(s, 200);
    let csv = csv.trim_start_matches('\u{feff}');
    assert!(
        csv.starts_with("物料编码,名称,单位,成本,售价,适用型号,现有库存"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 61);
}

async fn the_customer_reads_which_engineer_comes_not_who_sent_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app
        .user("xiaoli", &["agent"], json!({ "display_name": "客服小李" }))
        .await;
    let (eng_id, _) = app
        .user("zhang", &["engineer"], json!({ "display_name": "张工" }))
        .await;
    let (customer, _) = app.customer(&agent, "申江制冷", "13800138000").await;
    app.user("cust", &["customer"], json!({ "customer_id": customer }))
        .await;
    let t = app.ticket(&agent, &customer, "冷柜不冷").await;
    app.go(
        &agent,
        &t,
        json!({ "to": "assigned", "assignee_id": eng_id }),
        200,
    )
    .await;
    let id = t["id"].as_str().unwrap();
    let mut c = Browser::signed_in(&app, "cust").await;
    let (s, html, _) = c.get(&app, &format!("/t/{id}")).await;
    assert_eq!(s, 200);
    assert!(
        html.contains("已派工：工程师 <strong>张工</strong></li>"),
        "whom, and not who sent them: {html}"
    );
    // Staff read both: whom, and who sent them.
    let mut a = Browser::signed_in(&app, "xiaoli").await;
    let (_, html, _) = a.get(&app, &format!("/t/{id}")).await;
    assert!(
        html.contains(
            "已派工：工程师 <strong>张工</strong><span class=\"muted\"> · 客服小李</span>"
        ),
        "{html}"
    );
}

async fn the_customer_adds_photos_to_their_open_request(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (customer, _) = app.customer(&agent, "申江制冷", "13800138000").await;
    let (other, _) = app.customer(&agent, "浦江电梯", "13900139000").await;
    app.user("cust", &["customer"], json!({ "customer_id": customer }))
        .await;
    let mine = app.ticket(&agent, &customer, "冷柜不冷").await;
    let theirs = app.ticket(&agent, &other, "电梯异响").await;
    let (mine, theirs) = (mine["id"].as_str().unwrap(), theirs["id"].as_str().unwrap());
    let mut c = Browser::signed_in(&app, "cust").await;
    let (_, html, _) = c.get(&app, &format!("/t/{mine}")).await;
    assert!(
        html.contains(&format!("action=\"/t/{mine}/photos\"")),
        "{html}"
    );
    // Not a picture: refused with why, nothing kept.
    let (s, html, _) = c
        .post_multipart(
            &app,
            &format!("/t/{mine}/photos"),
            &[],
            vec![("photos", "note.txt", b"hello".to_vec())],
        )
        .await;
    assert_eq!(s, 422);
    assert!(html.contains("role=\"alert\""), "{html}");
    assert_eq!(app.count("SELECT COUNT(*) FROM attachments").await, 0);
    let (s, _, to) = c
        .post_multipart(
            &app,
            &format!("/t/{mine}/photos"),
            &[],
            vec![
                ("photos", "fault.png", png()),
                ("photos", "plate.png", png()),
            ],
        )
        .await;
    assert_eq!((s, to), (303, Some(format!("/t/{mine}"))));
    let (_, html, _) = c.get(&app, &format!("/t/{mine}")).await;
    assert_eq!(html.matches("/thumbnail\"").count(), 2, "{html}");
    // Someone else's request: not found, nothing kept.
    let (s, _, _) = c
        .post_multipart(
            &app,
            &format!("/t/{theirs}/photos"),
            &[],
            vec![("photos", "x.png", png())],
        )
        .await;
    assert_eq!(s, 404);
    assert_eq!(app.count("SELECT COUNT(*) FROM attachments").await, 2);
}

async fn an_admin_sets_up_a_mailbox_and_works_its_log_from_the_channels_page(backend: Backend) {
    let app = spawn_app(backend).await;
    app.user("boss", &["admin"], json!({})).await;
    app.user("agent", &["agent"], json!({})).await;
    let mut agent = Browser::signed_in(&app, "agent").await;
    assert_eq!(agent.get(&app, "/admin/channels").await.0, 403);
    let mut b = Browser::signed_in(&app, "boss").await;
    let (s, html, _) = b.get(&app, "/admin").await;
    assert_eq!(s, 200);
    assert!(html.contains("href=\"/admin/channels\""));
    let (s, html, _) = b.get(&app, "/admin/channels").await;
    assert_eq!(s, 200);
    assert!(html.contains("还没有接入渠道"), "{html}");

    // A bad interval is refused by its label, nothing made; a good mailbox shows its secret
    // once, with the address to pipe mail to.
    let form = |poll: &'static str| {
        vec![
            ("kind", "email"),
            ("name", "客服邮箱"),
            ("address", "service@loopdesk.test"),
            ("imap_url", ""),
            ("imap_password", ""),
            ("poll_seconds", poll),
        ]
    };
    let (s, html, _) = b.post(&app, "/admin/channels", &form("5")).await;
    assert_eq!(s, 422);
    assert!(html.contains("收信间隔（秒）"), "{html}");
    assert_eq!(app.count("SELECT COUNT(*) FROM channels").await, 0);
    let (s, html, _) = b.post(&app, "/admin/channels", &form("")).await;
    assert_eq!(s, 200, "{html}");
    let secret = html
        .split("id=\"channel-secret\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_owned();
    assert_eq!(secret.len(), 64);
    let channels = app.read(&app.admin, "/api/v1/channels").await;
    let id = channels[0]["id"].as_str().unwrap().to_owned();
    assert!(html.contains(&format!("/api/v1/channels/{id}/messages")));
    let (_, again, _) = b.get(&app, &format!("/admin/channels/{id}")).await;
    assert!(!again.contains(&secret), "the secret is shown once");

    // Mail in: a request and an unreadable message; both show in the log.
    let pipe = |raw: &'static [u8]| {
        app.client
            .post(app.url(&format!("/api/v1/channels/{id}/messages")))
            .bearer_auth(&secret)
            .header("content-type", "message/rfc822")
            .body(raw)
            .send()
    };
    let ok = pipe(b"From: =?UTF-8?B?5byg5LiJ?= <zhang@home.cn>\r\nSubject: =?UTF-8?B?54Ot5rC05Zmo5LiN5Ye654Ot5rC0?=\r\nMessage-ID: <p1@home.cn>\r\n\r\nhello\r\n").await.unwrap();
    assert_eq!(ok.status(), 200);
    let ticket = ok.json::<Value>().await.unwrap()["ticket_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(pipe(b"\x00\x01 garbage").await.unwrap().status(), 200);
    let (_, list, _) = b.get(&app, "/admin/channels").await;
    assert!(
        list.contains("新建工单 1") && list.contains("已隔离 1"),
        "{list}"
    );
    let (_, log, _) = b.get(&app, &format!("/admin/channels/{id}")).await;
    assert!(
        log.contains("zhang@home.cn") && log.contains("热水器不出热水"),
        "{log}"
    );
    assert!(
        log.contains("无法解析") || log.contains("没有发件人"),
        "{log}"
    );
    let (_, held, _) = b
        .get(&app, &format!("/admin/channels/{id}?outcome=quarantined"))
        .await;
    assert!(!held.contains("zhang@home.cn"));
    let action = held
        .split("action=\"")
        .map(|a| a.split('"').next().unwrap_or_default())
        .find(|a| a.ends_with("/discard"))
        .unwrap()
        .to_owned();
    assert_eq!(b.post(&app, &action, &[]).await.0, 303);
    let (_, held, _) = b
        .get(&app, &format!("/admin/channels/{id}?outcome=quarantined"))
        .await;
    assert!(
        held.contains("已由管理员丢弃") && !held.contains("/discard\""),
        "{held}"
    );

    // The ticket page says the request came by mail, from whom.
    let agent_page = agent.get(&app, &format!("/t/{ticket}")).await.1;
    assert!(agent_page.contains("热水器不出热水"));
    // Pause: the pipe is refused until resumed; settings keep the password unseen.
    assert_eq!(
        b.post(&app, &format!("/admin/channels/{id}"), &[("active", "0")])
            .await
            .0,
        303
    );
    assert_eq!(pipe(b"From: a@b.cn\r\n\r\nx").await.unwrap().status(), 403);
    let settings = [
        ("name", "客服邮箱"),
        ("address", "service@loopdesk.test"),
        (
            "imap_url",
            "imaps://service%40loopdesk.test@127.0.0.1:993/INBOX",
        ),
        ("imap_password", "Pa55-word"),
        ("poll_seconds", "30"),
        ("create_customers", "1"),
    ];
    assert_eq!(
        b.post(&app, &format!("/admin/channels/{id}"), &settings)
            .await
            .0,
        303
    );
    let (_, page, _) = b.get(&app, &format!("/admin/channels/{id}")).await;
    assert!(
        !page.contains("Pa55-word") && page.contains("已保存，留空则不变"),
        "{page}"
    );
    let c = app
        .read(&app.admin, &format!("/api/v1/channels/{id}"))
        .await;
    assert_eq!(c["settings"]["poll_seconds"], 30);
    assert_eq!(c["settings"]["create_customers"], true);
    assert_eq!(c["active"], false, "saving settings does not resume");
    // Saved again as shown (no password typed): the password stays.
    let shown = [
        ("name", "客服邮箱"),
        ("address", "service@loopdesk.test"),
        (
            "imap_url",
            "imaps://service%40loopdesk.test@127.0.0.1:993/INBOX",
        ),
        ("imap_password", ""),
        ("poll_seconds", "30"),
    ];
    assert_eq!(
        b.post(&app, &format!("/admin/channels/{id}"), &shown)
            .await
            .0,
        303
    );
    let c = app
        .read(&app.admin, &format!("/api/v1/channels/{id}"))
        .await;
    assert!(
        c["secrets_set"]
            .as_array()
            .unwrap()
            .contains(&json!("imap_password")),
        "{c}"
    );
    assert_eq!(c["settings"]["create_customers"], false);
    assert_eq!(
        b.post(&app, &format!("/admin/channels/{id}/delete"), &[])
            .await
            .0,
        303
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM channels").await, 0);
}
