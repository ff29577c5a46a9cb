//! Tenants as the platform operator runs them (issue 24): a suspended tenant's people cannot
//! sign in and their sessions end, the other tenants go on, and resuming lets them back in.

use chrono::Duration;
use serde_json::json;

use crate::helpers::{spawn_app, Backend, PASSWORD};
use crate::on_both_backends;

on_both_backends!(
    a_sign_in_names_its_tenant_by_the_address_or_the_form,
    a_platform_operator_runs_the_tenants_over_the_api,
    a_suspended_tenant_signs_nobody_in_and_its_sessions_end,
    a_tenant_moves_to_another_install_whole_and_is_then_erased_from_the_first
);

async fn a_suspended_tenant_signs_nobody_in_and_its_sessions_end(backend: Backend) {
    let app = spawn_app(backend).await;
    let east = app
        .other_tenant_user("east", "east-agent", loopdesk_core::Role::Agent)
        .await;
    let (_, ours) = app.user("home-agent", &["agent"], json!({})).await;
    let login = |username: &str, tenant: &str| {
        let body = json!({ "username": username, "password": PASSWORD, "tenant": tenant });
        let app = &app;
        async move {
            app.post_json("", "/api/v1/auth/login", &body)
                .await
                .status()
                .as_u16()
        }
    };
    assert_eq!(app.get(&east, "/api/v1/tickets").await.status(), 200);

    let now = {
        use loopdesk_core::clock::Clock;
        app.clock.now()
    };
    app.store
        .set_tenant_suspended("east", true, now)
        .await
        .unwrap();
    // Past the instance's short memory of sessions.
    app.clock.advance(Duration::seconds(30));
    assert_eq!(app.get(&east, "/api/v1/tickets").await.status(), 401);
    assert_eq!(login("east-agent", "east").await, 401);
    // The other tenant goes on.
    assert_eq!(app.get(&ours, "/api/v1/tickets").await.status(), 200);
    let listed = app.store.tenant_summaries().await.unwrap();
    let e = listed.iter().find(|t| t.slug == "east").unwrap();
    assert_eq!((e.users, e.suspended_at.is_some()), (1, true));
    assert!(listed
        .iter()
        .any(|t| t.slug == "default" && t.suspended_at.is_none()));

    app.store
        .set_tenant_suspended("east", false, now)
        .await
        .unwrap();
    assert_eq!(login("east-agent", "east").await, 200);
    assert!(matches!(
        app.store.set_tenant_suspended("west", true, now).await,
        Err(loopdesk_store::StoreError::NotFound)
    ));
    assert!(matches!(
        app.store.create_tenant("East", "x", now).await,
        Err(loopdesk_store::StoreError::Invalid(e)) if e.field == "slug"
    ));
    assert!(matches!(
        app.store.create_tenant("east", "x", now).await,
        Err(loopdesk_store::StoreError::Conflict { field: "slug" })
    ));
}

/// A tiny PNG (real image bytes, so the upload's sniffing takes it).
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x60, 0x60, 0x60, 0xF8,
    0x0F, 0x00, 0x01, 0x04, 0x01, 0x00, 0x5F, 0xE5, 0xC3, 0x4B, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

/// The archive at `from` again at `to`, with `find` replaced by `put` in its rows once.
fn tampered(from: &std::path::Path, to: &std::path::Path, find: &str, put: &str) {
    use std::io::{Read, Write};
    let mut zip = zip::ZipArchive::new(std::fs::File::open(from).unwrap()).unwrap();
    let mut out = zip::ZipWriter::new(std::fs::File::create(to).unwrap());
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        if entry.name() == "tenant.jsonl" {
            let text = String::from_utf8(bytes).unwrap();
            assert!(text.contains(find));
            bytes = text.replacen(find, put, 1).into_bytes();
        }
        out.start_file(entry.name(), zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&bytes).unwrap();
    }
    out.finish().unwrap();
}

async fn a_tenant_moves_to_another_install_whole_and_is_then_erased_from_the_first(
    backend: Backend,
) {
    use loopdesk_web::tenant_archive;
    let src = spawn_app(backend).await;
    let now = {
        use loopdesk_core::clock::Clock;
        src.clock.now()
    };
    // The other tenant, with the demo's whole history (tickets in every state, visits with
    // photos, stock, surveys, calls, triage models), then a merge and an upload of our own.
    let east_id = src
        .store
        .create_tenant("east", "华东", now)
        .await
        .unwrap()
        .id;
    let src_files = loopdesk::app::blobs(&src.config, &src.store);
    loopdesk::demo::load_if_empty(
        &src.store,
        east_id,
        src_files.as_ref(),
        40,
        now,
        loopdesk_core::i18n::Lang::ZhCn,
    )
    .await
    .unwrap()
    .expect("the demo loads");
    let new = loopdesk_store::NewUser {
        username: "east-agent".into(),
        password: PASSWORD.into(),
        roles: [loopdesk_core::Role::Agent].into_iter().collect(),
        ..loopdesk_store::NewUser::default()
    };
    src.store
        .tenant(east_id)
        .create_user(new, now)
        .await
        .unwrap();
    let east = async |app: &crate::helpers::TestApp| {
        let body = json!({ "username": "east-agent", "password": PASSWORD, "tenant": "east" });
        let r = app.post_json("", "/api/v1/auth/login", &body).await;
        assert_eq!(r.status(), 200);
        r.json::<serde_json::Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let agent = east(&src).await;
    let (customer, _) = src.customer(&agent, "东方明珠饭店", "13800138000").await;
    let first = src.ticket(&agent, &customer, "冷库温度降不下来").await;
    let twice = src
        .ticket(&agent, &customer, "冷库温度降不下来（重复）")
        .await;
    let first_id = first["id"].as_str().unwrap().to_owned();
    let twice_id = twice["id"].as_str().unwrap().to_owned();
    src.ok(
        &agent,
        &format!("/api/v1/tickets/{twice_id}/merge"),
        json!({ "version": twice["version"], "into": first_id }),
        200,
    )
    .await;
    let up = src
        .upload(&agent, &first_id, "other", PNG.to_vec(), "现场.png")
        .await;
    assert_eq!(up.status(), 201);
    let file_id = up.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Our own tenant's data, which nothing here may touch.
    let (ours, _) = src.customer(&src.admin, "本部客户", "13900139000").await;
    src.ticket(&src.admin, &ours, "本部的工单").await;
    let ours_before = src
        .store
        .tenant_sums(&src.default_tenant_id().await)
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("east.zip");
    // An operator of this install is nobody special in another.
    src.store
        .set_platform_operator("east", "east-agent", true)
        .await
        .unwrap();
    let sums = tenant_archive::export(&src.store, src_files.as_ref(), "east", &archive, now)
        .await
        .unwrap();
    assert!(
        sums.tables["tickets"].rows >= 42,
        "{:?}",
        sums.tables["tickets"]
    );
    for table in [
        "tenants",
        "users",
        "ticket_events",
        "stock_movements",
        "attachments",
        "surveys",
        "calls",
    ] {
        assert!(sums.tables[table].rows > 0, "{table} is carried");
    }
    assert_eq!(sums.tables["tenants"].rows, 1);
    // Every photo of the demo and our upload (with its thumbnail).
    assert!(sums.files.len() > 3, "{} files", sums.files.len());
    assert!(sums
        .files
        .keys()
        .all(|k| k.starts_with(&format!("{east_id}/"))));
    assert!(
        tenant_archive::export(&src.store, src_files.as_ref(), "east", &archive, now)
            .await
            .is_err(),
        "an archive is never overwritten"
    );

    // Another install: a changed row is refused and leaves nothing behind.
    let dst = spawn_app(backend).await;
    let dst_files = loopdesk::app::blobs(&dst.config, &dst.store);
    let bad = dir.path().join("bad.zip");
    tampered(
        &archive,
        &bad,
        "冷库温度降不下来（重复）",
        "冷库温度降不下来（改过）",
    );
    let refused = tenant_archive::import(&dst.store, dst_files.as_ref(), &bad)
        .await
        .unwrap_err();
    assert!(format!("{refused:#}").contains("tickets"), "{refused:#}");
    assert!(dst.store.tenant_by_slug("east").await.unwrap().is_none());
    assert!(dst_files
        .keys(&east_id.to_string())
        .await
        .unwrap()
        .is_empty());

    // The archive itself goes in whole: every table and file the same, people sign in with
    // their passwords, the merge and the file are there, search finds it.
    let done = tenant_archive::import(&dst.store, dst_files.as_ref(), &archive)
        .await
        .unwrap();
    assert_eq!(done.tenant.slug, "east");
    assert!(done.documents > 40, "{} search documents", done.documents);
    assert_eq!(
        dst.store.tenant_sums(&east_id.to_string()).await.unwrap(),
        src.store.tenant_sums(&east_id.to_string()).await.unwrap()
    );
    let moved = east(&dst).await;
    assert_eq!(
        dst.get(&moved, "/api/v1/platform/tenants").await.status(),
        403,
        "the archive carries no operator"
    );
    let merged = dst
        .read(&moved, &format!("/api/v1/tickets/{twice_id}"))
        .await;
    assert_eq!(merged["merged_into"], first_id.as_str());
    let file = dst
        .get(&moved, &format!("/api/v1/attachments/{file_id}"))
        .await;
    assert_eq!(file.status(), 200);
    assert_eq!(file.bytes().await.unwrap().as_ref(), PNG);
    let found = dst.read(&moved, "/api/v1/search?q=东方明珠饭店").await;
    assert!(
        found["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == customer.as_str()),
        "{found}"
    );
    // Numbers go on from where the tenant left them.
    let next = dst.ticket(&moved, &customer, "搬家后的第一张工单").await;
    assert_ne!(next["number"], first["number"]);
    let again = tenant_archive::import(&dst.store, dst_files.as_ref(), &archive)
        .await
        .unwrap_err();
    assert!(format!("{again}").contains("already"), "{again}");

    // Erased from the first install: refused while it is in use, then gone entirely; our
    // own tenant is untouched.
    let in_use = tenant_archive::erase(&src.store, src_files.as_ref(), "east", now)
        .await
        .unwrap_err();
    assert!(matches!(
        in_use.downcast_ref::<loopdesk_store::StoreError>(),
        Some(loopdesk_store::StoreError::Refused { .. })
    ));
    src.store
        .set_tenant_suspended("east", true, now)
        .await
        .unwrap();
    let (erased, files) = tenant_archive::erase(&src.store, src_files.as_ref(), "east", now)
        .await
        .unwrap();
    assert_eq!(files, sums.files.len());
    assert_eq!(erased.rows["tickets"], sums.tables["tickets"].rows);
    assert!(src.store.tenant_by_slug("east").await.unwrap().is_none());
    let left = src.store.tenant_sums(&east_id.to_string()).await.unwrap();
    assert!(left.values().all(|t| t.rows == 0), "{left:?}");
    assert!(src_files
        .keys(&east_id.to_string())
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        src.store
            .tenant_sums(&src.default_tenant_id().await)
            .await
            .unwrap(),
        ours_before
    );
    assert_eq!(src.get(&src.admin, "/api/v1/tickets").await.status(), 200);
}

async fn a_platform_operator_runs_the_tenants_over_the_api(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, ops) = app.user("ops", &["agent"], json!({})).await;
    let tenants = "/api/v1/platform/tenants";
    // Nobody is an operator by default, not even the admin.
    for token in [&app.admin, &ops] {
        assert_eq!(app.get(token, tenants).await.status(), 403);
    }
    app.store
        .set_platform_operator("default", "ops", true)
        .await
        .unwrap();
    let listed = app.read(&ops, tenants).await;
    assert_eq!(listed[0]["slug"], "default");

    // A tenant with its first admin; a weak password refuses both (no tenant without admin).
    let mut body = json!({ "slug": "east", "name": "华东", "admin_username": "east-admin",
        "admin_password": "12345678" });
    let e = app.ok(&ops, tenants, body.clone(), 422).await;
    assert_eq!(e["field"], "password", "{e}");
    assert_eq!(app.read(&ops, tenants).await.as_array().unwrap().len(), 1);
    body["admin_password"] = json!(PASSWORD);
    let made = app.ok(&ops, tenants, body.clone(), 201).await;
    assert_eq!(
        (made["slug"].as_str(), made["users"].as_i64()),
        (Some("east"), Some(1))
    );
    app.ok(&ops, tenants, body, 409).await;
    let login = json!({ "username": "east-admin", "password": PASSWORD, "tenant": "east" });
    let signed = app.post_json("", "/api/v1/auth/login", &login).await;
    assert_eq!(signed.status(), 200);

    // Suspended: nobody of it signs in; an operator's own tenant is not theirs to stop.
    let e = app
        .ok(&ops, &format!("{tenants}/default/suspend"), json!({}), 409)
        .await;
    assert_eq!(e["error"], "own_tenant");
    let stopped = app
        .ok(&ops, &format!("{tenants}/east/suspend"), json!({}), 200)
        .await;
    assert!(stopped["suspended_at"].is_string(), "{stopped}");
    assert_eq!(
        app.post_json("", "/api/v1/auth/login", &login)
            .await
            .status(),
        401
    );
    app.ok(&ops, &format!("{tenants}/west/resume"), json!({}), 404)
        .await;

    // Its archive, streamed: the rows and the sums to check an import by.
    let r = app.get(&ops, &format!("{tenants}/east/export")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/zip");
    let bytes = r.bytes().await.unwrap().to_vec();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let sums: serde_json::Value = {
        use std::io::Read;
        let mut text = String::new();
        zip.by_name("sums.json")
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        serde_json::from_str(&text).unwrap()
    };
    assert_eq!(sums["sums"]["tables"]["users"]["rows"], 1);
    assert!(zip.by_name("tenant.jsonl").is_ok());

    // Erased only with the slug repeated, never the operator's own.
    let (status, e) = app
        .send(
            reqwest::Method::DELETE,
            &ops,
            &format!("{tenants}/east"),
            json!(null),
        )
        .await;
    assert_eq!((status, e["field"].as_str()), (422, Some("confirm")));
    let (status, _) = app
        .send(
            reqwest::Method::DELETE,
            &ops,
            &format!("{tenants}/default?confirm=default"),
            json!(null),
        )
        .await;
    assert_eq!(status, 409);
    let (status, gone) = app
        .send(
            reqwest::Method::DELETE,
            &ops,
            &format!("{tenants}/east?confirm=east"),
            json!(null),
        )
        .await;
    assert_eq!(status, 200, "{gone}");
    assert!(gone["rows"].as_u64().unwrap() > 2, "{gone}");
    let left = app.read(&ops, tenants).await;
    assert_eq!(left.as_array().unwrap().len(), 1, "{left}");

    // Kept in the operator's tenant's audit trail; and the role can be taken away.
    let trail = app.read(&app.admin, "/api/v1/audit?action=tenants").await;
    let paths: Vec<&str> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["path"].as_str())
        .collect();
    assert!(
        paths.contains(&"/api/v1/platform/tenants/east"),
        "{paths:?}"
    );
    assert!(
        paths.contains(&"/api/v1/platform/tenants/east/suspend"),
        "{paths:?}"
    );
    app.store
        .set_platform_operator("default", "ops", false)
        .await
        .unwrap();
    assert_eq!(app.get(&ops, tenants).await.status(), 403);
}

async fn a_sign_in_names_its_tenant_by_the_address_or_the_form(backend: Backend) {
    let app = spawn_app(backend).await;
    // The same name in two tenants: the name alone signs in nobody.
    app.user("wang.fang", &["agent"], json!({})).await;
    app.other_tenant_user("east", "wang.fang", loopdesk_core::Role::Agent)
        .await;
    let login = json!({ "username": "wang.fang", "password": PASSWORD });
    let api = |host: &'static str| {
        let app = &app;
        let login = &login;
        async move {
            let r = app
                .client
                .post(app.url("/api/v1/auth/login"))
                .header(reqwest::header::HOST, host)
                .json(login)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (
                status,
                r.json::<serde_json::Value>().await.unwrap_or_default(),
            )
        }
    };
    assert_eq!(api("127.0.0.1").await.0, 401);
    assert_eq!(api("desk.example.com").await.0, 401, "desk is no tenant");
    let (status, body) = api("east.desk.example.com:8443").await;
    assert_eq!(status, 200, "{body}");
    let east = app.store.tenant_by_slug("east").await.unwrap().unwrap();
    assert_eq!(body["user"]["tenant_id"], east.id.to_string());
    let (status, body) = api("default.desk.example.com").await;
    assert_eq!(status, 200);
    assert_ne!(body["user"]["tenant_id"], east.id.to_string());

    // The page: /login?tenant=east says where, and the form carries it.
    let page = app
        .client
        .get(app.url("/login?tenant=east"))
        .send()
        .await
        .unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"name="tenant" value="east""#), "{html}");
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = [
        ("username", "wang.fang"),
        ("password", PASSWORD),
        ("tenant", "east"),
        ("next", "/desk"),
    ];
    let r = no_redirect
        .post(app.url("/login"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(r.headers().get("set-cookie").is_some());
    let r = no_redirect
        .post(app.url("/login"))
        .form(&form[..2])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "without the tenant the form comes back");
}
