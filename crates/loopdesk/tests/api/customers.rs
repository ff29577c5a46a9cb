//! Customers as master data: the list paged by name with its search (name, contact, e-mail,
//! phone in any spelling) and filters (tier, region, tag), edits under optimistic locking,
//! and who may do what.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    the_customer_list_pages_by_name_and_finds_by_any_field,
    a_customer_is_edited_once_at_a_time_and_only_by_staff_who_may,
    a_duplicate_customer_is_merged_with_everything_it_had,
    contacts_and_sites_are_changed_and_removed_while_history_keeps_them,
);

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn the_customer_list_pages_by_name_and_finds_by_any_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let region = app
        .ok(
            &app.admin,
            "/api/v1/regions",
            json!({ "name": "浦东" }),
            201,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (name, tier, tags, phone, email) in [
        (
            "A 申江制冷",
            "vip",
            json!(["长期合作"]),
            "13800138001",
            "ops@shenjiang.example",
        ),
        (
            "B 静安物业",
            "standard",
            json!([]),
            "13800138002",
            "b@example.com",
        ),
        (
            "C 徐汇医院",
            "vip",
            json!(["医院", "长期合作"]),
            "13800138003",
            "c@example.com",
        ),
        (
            "D 浦东超市",
            "standard",
            json!(["长期合作"]),
            "13800138004",
            "d@example.com",
        ),
        (
            "E 闵行工厂",
            "standard",
            json!([]),
            "13800138005",
            "e@example.com",
        ),
    ] {
        let mut body = json!({ "name": name, "tier": tier, "tags": tags,
            "contacts": [{ "name": format!("{name}联系人"), "phone": phone, "email": email }] });
        if name.starts_with('D') {
            body["region_id"] = json!(region);
        }
        let c = app.ok(&agent, "/api/v1/customers", body, 201).await;
        assert_eq!(c["tags"], tags, "tags kept as given");
        assert_eq!(c["version"], 1);
    }
    // Pages of two, by name, each page after the last one's `next`; nothing lost or repeated.
    let mut seen = Vec::new();
    let mut path = "/api/v1/customers?limit=2".to_owned();
    loop {
        let page = app.read(&agent, &path).await;
        assert!(page["items"].as_array().unwrap().len() <= 2);
        seen.extend(names(&page));
        match page["next"].as_str() {
            Some(next) => path = format!("/api/v1/customers?limit=2&after={next}"),
            None => break,
        }
    }
    assert_eq!(
        seen,
        [
            "A 申江制冷",
            "B 静安物业",
            "C 徐汇医院",
            "D 浦东超市",
            "E 闵行工厂"
        ]
    );
    let first = app.read(&agent, "/api/v1/customers?limit=1").await;
    assert_eq!(first["items"][0]["contacts"][0]["phone"], "13800138001");
    assert_eq!(first["items"][0]["open_tickets"], 0);

    assert_eq!(
        found_as(&app, &agent, "tier=vip").await,
        ["A 申江制冷", "C 徐汇医院"]
    );
    assert_eq!(
        found_as(&app, &agent, "tag=%E9%95%BF%E6%9C%9F%E5%90%88%E4%BD%9C").await,
        ["A 申江制冷", "C 徐汇医院", "D 浦东超市"]
    );
    assert_eq!(
        found_as(&app, &agent, "tier=vip&tag=%E5%8C%BB%E9%99%A2").await,
        ["C 徐汇医院"]
    );
    assert_eq!(
        found_as(&app, &agent, &format!("region_id={region}")).await,
        ["D 浦东超市"]
    );
    // By part of the name, a contact's name, an e-mail, and a number however it is written.
    assert_eq!(
        found_as(&app, &agent, "q=%E9%9D%99%E5%AE%89").await,
        ["B 静安物业"]
    );
    assert_eq!(found_as(&app, &agent, "q=shenjiang").await, ["A 申江制冷"]);
    assert_eq!(
        found_as(&app, &agent, "q=%2B86%20138-0013-8003").await,
        ["C 徐汇医院"]
    );
    assert_eq!(
        found_as(&app, &agent, "phone=138%200013%208005").await,
        ["E 闵行工厂"]
    );
    // `%` and `_` are plain characters.
    assert!(found_as(&app, &agent, "q=%25").await.is_empty());
    // An open ticket counts on the row.
    let a = app.read(&agent, "/api/v1/customers?q=shenjiang").await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.ticket(&agent, &a, "冷库温度高").await;
    assert_eq!(
        app.read(&agent, "/api/v1/customers?q=shenjiang").await["items"][0]["open_tickets"],
        1
    );
    // Bad input names its field.
    for (q, field) in [
        ("limit=0", "limit"),
        ("limit=x", "limit"),
        ("after=x", "after"),
        ("region_id=1", "region_id"),
    ] {
        let bad = app
            .ok_get(&agent, &format!("/api/v1/customers?{q}"), 422)
            .await;
        assert_eq!(bad["field"], field, "{q}");
    }
    let bad = app.ok_get(&agent, "/api/v1/customers?phone=12", 422).await;
    assert_eq!(bad["field"], "phone");
    let bad = app
        .ok(
            &agent,
            "/api/v1/customers",
            json!({ "name": "x", "tags": ["a,b"] }),
            422,
        )
        .await;
    assert_eq!(bad["field"], "tags");

    // A customer's own sign-in lists themselves alone; an engineer lists nobody.
    let (_, own) = app
        .user("cust", &["customer"], json!({ "customer_id": a }))
        .await;
    assert_eq!(found_as(&app, &own, "").await, ["A 申江制冷"]);
    assert_eq!(
        found_as(&app, &own, "q=%E9%9D%99%E5%AE%89").await,
        Vec::<String>::new()
    );
    let (_, engineer) = app.user("eng", &["engineer"], json!({})).await;
    app.ok_get(&engineer, "/api/v1/customers", 403).await;
}

async fn found_as(app: &TestApp, token: &str, q: &str) -> Vec<String> {
    names(&app.read(token, &format!("/api/v1/customers?{q}")).await)
}

async fn a_customer_is_edited_once_at_a_time_and_only_by_staff_who_may(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (_, manager) = app.user("manager", &["manager"], json!({})).await;
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
    let (customer, _) = app.customer(&agent, "申江制冷", "13800138000").await;
    let path = format!("/api/v1/customers/{customer}");

    let (s, c) = app
        .patch(
            &agent,
            &path,
            json!({ "version": 1, "name": "申江制冷（总部）", "tier": "vip", "region_id": region,
                "tags": ["长期合作", " 长期合作 "] }),
        )
        .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(
        (
            &c["name"],
            &c["tier"],
            &c["region_id"],
            &c["tags"],
            &c["version"]
        ),
        (
            &json!("申江制冷（总部）"),
            &json!("vip"),
            &json!(region),
            &json!(["长期合作"]),
            &json!(2)
        )
    );
    // The contacts and sites are untouched.
    assert_eq!(c["contacts"][0]["phone"], "13800138000");
    assert_eq!(c["sites"].as_array().unwrap().len(), 1);
    // Someone who saw version 1 is told, and nothing of theirs is written.
    let (s, stale) = app
        .patch(&agent, &path, json!({ "version": 1, "name": "旧名" }))
        .await;
    assert_eq!((s, &stale["field"]), (409, &json!("version")));
    assert_eq!(app.read(&agent, &path).await["name"], "申江制冷（总部）");
    // `null` clears the region; leaving it out keeps it.
    let (s, c) = app
        .patch(&agent, &path, json!({ "version": 2, "tier": "standard" }))
        .await;
    assert_eq!((s, &c["region_id"]), (200, &json!(region)));
    let (s, c) = app
        .patch(&agent, &path, json!({ "version": 3, "region_id": null }))
        .await;
    assert_eq!((s, &c["region_id"]), (200, &Value::Null));
    // Bad input: the field and nothing changed.
    for (body, field) in [
        (json!({ "version": 4, "name": "  " }), "name"),
        (json!({ "version": 4, "kind": "robot" }), "kind"),
        (
            json!({ "version": 4, "region_id": uuid::Uuid::new_v4() }),
            "region_id",
        ),
        (json!({ "version": 4, "tags": ["x".repeat(40)] }), "tags"),
    ] {
        let (s, e) = app.patch(&agent, &path, body).await;
        assert_eq!((s, e["field"].as_str()), (422, Some(field)), "{e}");
    }
    let (s, _) = app
        .patch(&agent, &path, json!({ "version": 4, "colour": "red" }))
        .await;
    assert_eq!(s, 422);
    assert_eq!(app.read(&agent, &path).await["version"], 4);
    // A manager reads customers but does not edit them; an unknown id is a 404.
    let (s, _) = app
        .patch(&manager, &path, json!({ "version": 4, "name": "x" }))
        .await;
    assert_eq!(s, 403);
    let other = format!("/api/v1/customers/{}", uuid::Uuid::new_v4());
    let (s, _) = app
        .patch(&agent, &other, json!({ "version": 1, "name": "x" }))
        .await;
    assert_eq!(s, 404);
}

async fn a_duplicate_customer_is_merged_with_everything_it_had(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (_, manager) = app.user("manager", &["manager"], json!({})).await;
    let (kept, _) = app.customer(&agent, "申江制冷", "13800138000").await;
    let (dup, dup_site) = app
        .customer(&agent, "申江制冷有限公司", "13900139000")
        .await;
    for (id, version, tags) in [
        (&kept, 1, json!(["VIP"])),
        (&dup, 1, json!(["vip", "连锁"])),
    ] {
        let path = format!("/api/v1/customers/{id}");
        let (s, _) = app
            .patch(&agent, &path, json!({ "version": version, "tags": tags }))
            .await;
        assert_eq!(s, 200);
    }
    app.ok(
        &app.admin,
        "/api/v1/models",
        json!({ "code": "X1", "name": "商用冷柜 X1" }),
        201,
    )
    .await;
    let asset = app.asset(&agent, (&dup, &dup_site), "X1", "SN-DUP-1").await;
    let ticket = app.ticket(&agent, &dup, "冷柜不制冷").await;
    let (_, portal) = app
        .user("dupuser", &["customer"], json!({ "customer_id": dup }))
        .await;
    let merge = format!("/api/v1/customers/{kept}/merge");

    // Who may not, what is wrong, and a stale card: nothing moves.
    let (s, _) = app
        .send(
            reqwest::Method::POST,
            &manager,
            &merge,
            json!({ "version": 2, "duplicate_id": dup }),
        )
        .await;
    assert_eq!(s, 403);
    for (body, status, field) in [
        (
            json!({ "version": 2, "duplicate_id": kept }),
            422,
            "duplicate_id",
        ),
        (
            json!({ "version": 2, "duplicate_id": uuid::Uuid::new_v4() }),
            422,
            "duplicate_id",
        ),
        (
            json!({ "version": 2, "duplicate_id": "nope" }),
            422,
            "duplicate_id",
        ),
        (json!({ "version": 1, "duplicate_id": dup }), 409, "version"),
    ] {
        let (s, e) = app
            .send(reqwest::Method::POST, &agent, &merge, body.clone())
            .await;
        assert_eq!(
            (s, e["field"].as_str()),
            (status, Some(field)),
            "{body} → {e}"
        );
    }
    let (s, _) = app
        .send(
            reqwest::Method::POST,
            &agent,
            &format!("/api/v1/customers/{}/merge", uuid::Uuid::new_v4()),
            json!({ "version": 1, "duplicate_id": dup }),
        )
        .await;
    assert_eq!(s, 404);
    assert_eq!(
        app.read(&agent, &format!("/api/v1/customers/{dup}")).await["name"],
        "申江制冷有限公司"
    );

    let (s, c) = app
        .send(
            reqwest::Method::POST,
            &agent,
            &merge,
            json!({ "version": 2, "duplicate_id": dup }),
        )
        .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(
        (&c["version"], &c["tags"]),
        (&json!(3), &json!(["VIP", "连锁"]))
    );
    let phones: Vec<&str> = c["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["phone"].as_str().unwrap())
        .collect();
    assert_eq!(phones, ["13800138000", "13900139000"]);
    assert_eq!(c["sites"].as_array().unwrap().len(), 2);
    assert_eq!(c["assets"][0]["id"], asset["id"]);
    assert_eq!(c["open_tickets"][0]["id"], ticket["id"]);
    assert_eq!(c["merged_from"][0]["merged_id"], json!(dup));
    assert_eq!(c["merged_from"][0]["merged_name"], "申江制冷有限公司");
    // The duplicate is gone; its caller, ticket and portal account now belong to the survivor.
    app.ok_get(&agent, &format!("/api/v1/customers/{dup}"), 404)
        .await;
    let t = app
        .read(
            &agent,
            &format!("/api/v1/tickets/{}", ticket["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(t["customer_id"], json!(kept));
    let found = app.read(&agent, "/api/v1/customers?q=139-0013-9000").await;
    assert_eq!(found["items"][0]["id"], json!(kept), "{found}");
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    let mine = app.read(&portal, "/api/v1/tickets").await;
    assert_eq!(mine["items"][0]["id"], ticket["id"]);
    let hits = app
        .read(&agent, "/api/v1/search?q=13900139000&kind=customer")
        .await;
    let hit_ids: Vec<&Value> = hits["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| &h["id"])
        .collect();
    assert_eq!(
        hit_ids,
        [&json!(kept)],
        "the duplicate's document is gone: {hits}"
    );
    // Merging it again finds nothing to merge.
    let (s, e) = app
        .send(
            reqwest::Method::POST,
            &agent,
            &merge,
            json!({ "version": 3, "duplicate_id": dup }),
        )
        .await;
    assert_eq!((s, e["field"].as_str()), (422, Some("duplicate_id")));
}

async fn contacts_and_sites_are_changed_and_removed_while_history_keeps_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (_, manager) = app.user("manager", &["manager"], json!({})).await;
    let (customer, first_site) = app.customer(&agent, "申江制冷", "13800138000").await;
    let path = format!("/api/v1/customers/{customer}");
    let added = app
        .ok(
            &agent,
            &format!("{path}/contacts"),
            json!({ "name": "韩梅梅", "phone": "13900139000" }),
            201,
        )
        .await;
    let second = added["id"].as_str().unwrap().to_owned();
    let site = app
        .ok(
            &agent,
            &format!("{path}/sites"),
            json!({ "name": "二号仓", "address": "浦东新区张江路 9 号" }),
            201,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let first = app.read(&agent, &path).await["contacts"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // A ticket raised by the first contact, at the first site.
    let old = app
        .ok(
            &agent,
            "/api/v1/tickets",
            json!({ "subject": "冷库温度高", "priority": 3, "channel": "phone",
                    "contact_phone": "13800138000", "site_id": first_site }),
            201,
        )
        .await;
    assert_eq!(old["contact_id"], json!(first));

    // A contact's details are replaced, checked as a new contact is.
    let contact = format!("{path}/contacts/{second}");
    let (s, c) = app
        .send(
            reqwest::Method::PUT,
            &agent,
            &contact,
            json!({ "name": "韩梅梅", "phone": "139-0013-9000", "email": "han@example.com" }),
        )
        .await;
    assert_eq!(
        (s, &c["contacts"][1]["email"]),
        (200, &json!("han@example.com")),
        "{c}"
    );
    let (s, e) = app
        .send(
            reqwest::Method::PUT,
            &agent,
            &contact,
            json!({ "name": "韩梅梅", "email": "no-at" }),
        )
        .await;
    assert_eq!(
        (s, e["field"].as_str()),
        (422, Some("contacts.email")),
        "{e}"
    );

    // The first contact leaves: off the card, no longer finding the customer by phone, and a
    // new call from that number is an unknown caller; the old ticket still names them.
    let (s, _) = app
        .send(
            reqwest::Method::DELETE,
            &agent,
            &format!("{path}/contacts/{first}"),
            json!({}),
        )
        .await;
    assert_eq!(s, 204);
    let c = app.read(&agent, &path).await;
    assert_eq!(c["contacts"].as_array().unwrap().len(), 1);
    assert_eq!(c["contacts"][0]["id"], json!(second));
    let found = app.read(&agent, "/api/v1/customers?q=13800138000").await;
    assert_eq!(found["items"], json!([]), "{found}");
    let again = app
        .ok(
            &agent,
            "/api/v1/tickets",
            json!({ "subject": "又坏了", "priority": 3, "channel": "phone",
                    "contact_phone": "13800138000" }),
            201,
        )
        .await;
    assert_eq!(again["customer_id"], Value::Null, "{again}");
    let kept = app
        .read(
            &agent,
            &format!("/api/v1/tickets/{}", old["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(kept["contact_id"], json!(first));
    let (s, _) = app
        .send(
            reqwest::Method::DELETE,
            &agent,
            &format!("{path}/contacts/{first}"),
            json!({}),
        )
        .await;
    assert_eq!(s, 404, "removed once");

    // A site is edited, checked as a new one is.
    let site_path = format!("{path}/sites/{site}");
    let (s, c) = app
        .send(
            reqwest::Method::PUT,
            &agent,
            &site_path,
            json!({ "name": "二号仓库", "address": "浦东新区张江路 99 号", "lat": 31.2, "lon": 121.6,
                    "geofence_m": 200 }),
        )
        .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(
        (&c["sites"][1]["address"], &c["sites"][1]["geofence_m"]),
        (&json!("浦东新区张江路 99 号"), &json!(200.0))
    );
    for (body, field) in [
        (
            json!({ "name": "x", "address": "y", "lat": 95.0, "lon": 121.0 }),
            "sites.lat",
        ),
        (json!({ "name": "x", "address": " " }), "sites.address"),
        (
            json!({ "name": "x", "address": "y", "geofence_m": 1 }),
            "sites.geofence_m",
        ),
    ] {
        let (s, e) = app
            .send(reqwest::Method::PUT, &agent, &site_path, body)
            .await;
        assert_eq!((s, e["field"].as_str()), (422, Some(field)), "{e}");
    }

    // A site with equipment, or with an open ticket, stays; an empty one goes.
    app.ok(
        &app.admin,
        "/api/v1/models",
        json!({ "code": "X1", "name": "商用冷柜 X1" }),
        201,
    )
    .await;
    app.asset(&agent, (&customer, &site), "X1", "SN-S-1").await;
    let (s, e) = app
        .send(reqwest::Method::DELETE, &agent, &site_path, json!({}))
        .await;
    assert_eq!((s, e["field"].as_str()), (422, Some("site_id")), "{e}");
    assert!(e["message"].as_str().unwrap().contains("设备"), "{e}");
    let first_path = format!("{path}/sites/{first_site}");
    let (s, e) = app
        .send(reqwest::Method::DELETE, &agent, &first_path, json!({}))
        .await;
    assert_eq!((s, e["field"].as_str()), (422, Some("site_id")), "{e}");
    assert!(e["message"].as_str().unwrap().contains("未关闭"), "{e}");
    app.go(
        &agent,
        &old,
        json!({ "to": "cancelled", "reason": "重复" }),
        200,
    )
    .await;
    let (s, _) = app
        .send(reqwest::Method::DELETE, &manager, &first_path, json!({}))
        .await;
    assert_eq!(s, 403, "a manager reads customers but changes none");
    let (s, _) = app
        .send(reqwest::Method::DELETE, &agent, &first_path, json!({}))
        .await;
    assert_eq!(s, 204);
    let c = app.read(&agent, &path).await;
    assert_eq!(c["sites"].as_array().unwrap().len(), 1);
    // No new ticket or equipment goes to a removed site; the old ticket keeps it.
    let (s, e) = app
        .send(
            reqwest::Method::POST,
            &agent,
            "/api/v1/assets",
            json!({ "customer_id": customer, "site_id": first_site, "model": "X1", "serial": "SN-S-2" }),
        )
        .await;
    assert_eq!((s, e["field"].as_str()), (422, Some("site_id")), "{e}");
    let kept = app
        .read(
            &agent,
            &format!("/api/v1/tickets/{}", old["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(kept["site_id"], json!(first_site));
}
