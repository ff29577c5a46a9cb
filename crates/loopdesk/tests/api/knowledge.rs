//! The knowledge base (issue 23): written, reviewed and published; suggested at intake and to
//! customers only when public; drafted from a resolution; feedback, deflections and the
//! tickets resolved with an article counted.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, urlencode, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    an_article_is_written_reviewed_published_suggested_and_counted,
    the_search_box_finds_the_articles_each_reader_may_read,
    the_article_for_the_equipments_model_is_offered_first,
);

async fn an_article_is_written_reviewed_published_suggested_and_counted(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("kb-agent", &["agent"], json!({})).await;
    let (_, sup) = app.user("kb-sup", &["supervisor"], json!({})).await;
    let (_, boss) = app.user("kb-boss", &["manager"], json!({})).await;
    let (eng_id, _) = app.user("kb-eng", &["engineer"], json!({})).await;
    let (cust, site) = app.customer(&agent, "华东物业", "13800000055").await;
    let (_, customer) = app
        .user("kb-cust", &["customer"], json!({ "customer_id": cust }))
        .await;
    app.category("aircon", "空调").await;

    // An agent writes it: a draft nobody else is offered.
    let draft = app
        .ok(
            &agent,
            "/api/v1/articles",
            json!({ "title": "空调不制冷的排查", "category": "aircon",
                    "body": "## 现象\n\n空调开着但不制冷。\n\n## 处理方法\n\n清洗滤网，检查外机是否缺冷媒。" }),
            201,
        )
        .await;
    assert_eq!(draft["state"], "draft");
    assert_eq!(draft["visibility"], "internal");
    assert_eq!(draft["version"], 1);
    let id = draft["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/articles/{id}");
    assert_eq!(app.get(&customer, &path).await.status(), 404);
    let t = app
        .ok(
            &agent,
            "/api/v1/triage",
            json!({ "subject": "会议室空调不制冷" }),
            200,
        )
        .await;
    assert_eq!(t["articles"], json!([]), "a draft is not suggested: {t}");

    // Sent for review; only a reviewer publishes; a stale version is refused.
    let (s, review) = app
        .patch(&agent, &path, json!({ "version": 1, "state": "review" }))
        .await;
    assert_eq!(s, 200, "{review}");
    let (s, e) = app
        .patch(&agent, &path, json!({ "version": 2, "state": "published" }))
        .await;
    assert_eq!((s, e["field"].as_str()), (422, Some("state")), "{e}");
    let (s, _) = app
        .patch(&sup, &path, json!({ "version": 1, "state": "published" }))
        .await;
    assert_eq!(s, 409);
    let (s, published) = app
        .patch(&sup, &path, json!({ "version": 2, "state": "published" }))
        .await;
    assert_eq!(s, 200, "{published}");
    assert!(published["published_at"].is_string());
    // What readers see is changed by a reviewer only.
    let (s, e) = app
        .patch(&agent, &path, json!({ "version": 3, "body": "换一种说法" }))
        .await;
    assert_eq!((s, e["field"].as_str()), (422, Some("body")), "{e}");

    // Suggested at intake with its relevance; not to customers while internal.
    let t = app
        .ok(
            &agent,
            "/api/v1/triage",
            json!({ "subject": "会议室空调不制冷", "description": "开了一上午还很热" }),
            200,
        )
        .await;
    assert_eq!(t["articles"][0]["id"], id.as_str(), "{t}");
    assert!(t["articles"][0]["score"].as_f64().unwrap() > 0.15, "{t}");
    let portal = "/api/v1/articles/suggest?subject=%E7%A9%BA%E8%B0%83%E4%B8%8D%E5%88%B6%E5%86%B7";
    assert_eq!(app.read(&customer, portal).await, json!([]));
    assert_eq!(app.get(&customer, &path).await.status(), 404);
    let (s, public) = app
        .patch(
            &sup,
            &path,
            json!({ "version": 3, "visibility": "public", "title": "空调不制冷怎么办" }),
        )
        .await;
    assert_eq!(s, 200, "{public}");
    let offered = app.read(&customer, portal).await;
    assert_eq!(offered[0]["id"], id.as_str(), "{offered}");
    assert_eq!(offered[0]["title"], "空调不制冷怎么办");
    let listed = app.read(&customer, "/api/v1/articles").await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
    // Each text kept: the first and the renamed one.
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM article_versions WHERE article_id = '{id}'"
        ))
        .await,
        2
    );

    // The engineer sent to such a fault finds it on the job's page.
    let job = app
        .assigned_order(&agent, (&cust, &site), &eng_id, "机房空调不制冷")
        .await;
    let mut phone = crate::pages::Browser::signed_in(&app, "kb-eng").await;
    let (s, html, _) = phone
        .get(&app, &format!("/m/t/{}", job["id"].as_str().unwrap()))
        .await;
    assert_eq!(s, 200);
    assert!(
        html.contains("kb-suggestions") && html.contains("空调不制冷怎么办"),
        "{html}"
    );

    // The customer finds it helpful, then changes their mind; it solved their problem
    // before they filed anything.
    let fb = format!("{path}/feedback");
    let a = app
        .ok(&customer, &fb, json!({ "helpful": true }), 200)
        .await;
    assert_eq!(
        (a["helpful"].as_i64(), a["not_helpful"].as_i64()),
        (Some(1), Some(0))
    );
    let a = app
        .ok(&customer, &fb, json!({ "helpful": false }), 200)
        .await;
    assert_eq!(
        (a["helpful"].as_i64(), a["not_helpful"].as_i64()),
        (Some(0), Some(1))
    );
    let (s, _) = app
        .send(
            reqwest::Method::POST,
            &customer,
            &format!("{path}/deflection"),
            json!({}),
        )
        .await;
    assert_eq!(s, 204);

    // 存为知识: a fixed ticket becomes a draft with its fault and fix; it was fixed with the
    // article too.
    let ticket = app.ticket(&agent, &cust, "三楼空调不制冷").await;
    let tid = ticket["id"].as_str().unwrap().to_owned();
    let e = app
        .ok(
            &agent,
            &format!("/api/v1/tickets/{tid}/article-draft"),
            json!({}),
            422,
        )
        .await;
    assert_eq!(e["field"], "ticket_id", "no resolution yet: {e}");
    app.resolve_remotely(&agent, &ticket, "指导客户清洗滤网后恢复制冷")
        .await;
    let kept = app
        .ok(
            &agent,
            &format!("/api/v1/tickets/{tid}/article-draft"),
            json!({}),
            201,
        )
        .await;
    assert_eq!(kept["state"], "draft");
    assert_eq!(kept["title"], "三楼空调不制冷");
    assert_eq!(kept["source_ticket_id"], tid.as_str());
    assert!(
        kept["body"]
            .as_str()
            .unwrap()
            .contains("指导客户清洗滤网后恢复制冷"),
        "{kept}"
    );
    let (s, _) = app
        .send(
            reqwest::Method::POST,
            &agent,
            &format!("/api/v1/tickets/{tid}/articles"),
            json!({ "article_id": id }),
        )
        .await;
    assert_eq!(s, 204);
    let figures: Value = app.read(&boss, "/api/v1/knowledge/figures").await;
    assert_eq!(
        figures,
        json!({ "deflections": 1, "resolved_with_article": 1, "published": 1 })
    );

    // Bad input names the field; customers and managers write nothing.
    for (body, field) in [
        (json!({ "title": "", "body": "x" }), "title"),
        (json!({ "title": "x", "body": "x".repeat(50_001) }), "body"),
        (
            json!({ "title": "x", "body": "x", "visibility": "world" }),
            "visibility",
        ),
        (
            json!({ "title": "x", "body": "x", "category": "boiler" }),
            "category",
        ),
    ] {
        let e = app.ok(&agent, "/api/v1/articles", body, 422).await;
        assert_eq!(e["field"], field, "{e}");
    }
    for token in [&customer, &boss] {
        app.ok(
            token,
            "/api/v1/articles",
            json!({ "title": "x", "body": "y" }),
            403,
        )
        .await;
    }
    assert_eq!(
        app.get(&customer, "/api/v1/knowledge/figures")
            .await
            .status(),
        403
    );
}

/// The ids of the articles `who` finds for `q` in the search box.
async fn articles_found(app: &TestApp, who: &str, q: &str) -> Vec<String> {
    let page = app
        .read(
            who,
            &format!("/api/v1/search?kind=article&q={}", urlencode(q)),
        )
        .await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            assert_eq!(h["kind"], "article", "{h}");
            h["id"].as_str().unwrap().to_owned()
        })
        .collect()
}

async fn the_search_box_finds_the_articles_each_reader_may_read(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("ks-agent", &["agent"], json!({})).await;
    let (_, sup) = app.user("ks-sup", &["supervisor"], json!({})).await;
    let (_, boss) = app.user("ks-boss", &["manager"], json!({})).await;
    let (cust, _) = app.customer(&agent, "静安物业", "13800000056").await;
    let (_, customer) = app
        .user("ks-cust", &["customer"], json!({ "customer_id": cust }))
        .await;
    let draft = app
        .ok(
            &agent,
            "/api/v1/articles",
            json!({ "title": "变频器报警E5的处理", "model": "VF-300",
                    "body": "## 现象\n\n面板显示 **E5**，风机不转。\n\n## 处理\n\n- 更换启动电容" }),
            201,
        )
        .await;
    let id = draft["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/articles/{id}");

    // A draft: found by those who write articles, by its title, body and model.
    assert_eq!(articles_found(&app, &agent, "电容").await, vec![id.clone()]);
    assert_eq!(
        articles_found(&app, &agent, "vf 300").await,
        vec![id.clone()]
    );
    let hit = app
        .read(
            &agent,
            &format!("/api/v1/search?q={}", urlencode("变频器 电容")),
        )
        .await;
    assert_eq!(hit["items"][0]["id"], id.as_str(), "every kind: {hit}");
    assert!(
        hit["items"][0]["title"]
            .as_str()
            .unwrap()
            .contains("<mark>变频器</mark>"),
        "{hit}"
    );
    let snippet = hit["items"][0]["snippet"].as_str().unwrap();
    assert!(
        snippet.contains("<mark>电容</mark>") && !snippet.contains("**"),
        "{snippet}"
    );
    assert!(
        articles_found(&app, &boss, "电容").await.is_empty(),
        "a draft"
    );
    assert!(articles_found(&app, &customer, "电容").await.is_empty());

    // Published, internal: staff find it, customers do not; a new title is found at once.
    let (s, _) = app
        .patch(
            &sup,
            &path,
            json!({ "version": 1, "state": "published", "title": "变频器E5故障：更换电容" }),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(articles_found(&app, &boss, "故障").await, vec![id.clone()]);
    assert!(
        articles_found(&app, &boss, "报警").await.is_empty(),
        "the old title"
    );
    assert!(articles_found(&app, &customer, "电容").await.is_empty());

    // Public: the customer finds it too; archived, nobody but writers.
    let (s, _) = app
        .patch(&sup, &path, json!({ "version": 2, "visibility": "public" }))
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        articles_found(&app, &customer, "电容").await,
        vec![id.clone()]
    );
    let (s, _) = app
        .patch(&sup, &path, json!({ "version": 3, "state": "archived" }))
        .await;
    assert_eq!(s, 200);
    assert!(articles_found(&app, &customer, "电容").await.is_empty());
    assert!(articles_found(&app, &boss, "电容").await.is_empty());
    assert_eq!(articles_found(&app, &agent, "电容").await, vec![id]);
}

async fn the_article_for_the_equipments_model_is_offered_first(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("km-agent", &["agent"], json!({})).await;
    let (_, sup) = app.user("km-sup", &["supervisor"], json!({})).await;
    let (cust, site) = app.customer(&agent, "冷链物流", "13800000057").await;
    let x9 = app.asset(&agent, (&cust, &site), "X9", "SN-X9-1").await;
    let mut ids = Vec::new();
    for model in ["K3", "X9"] {
        let a = app
            .ok(
                &agent,
                "/api/v1/articles",
                json!({ "title": "冷库压缩机不启动", "model": model,
                        "body": "检查启动电容、过载保护器和供电电压。" }),
                201,
            )
            .await;
        let path = format!("/api/v1/articles/{}", a["id"].as_str().unwrap());
        let (s, _) = app
            .patch(&sup, &path, json!({ "version": 1, "state": "published" }))
            .await;
        assert_eq!(s, 200);
        ids.push(a["id"].clone());
    }
    let ask = |asset: Value| json!({ "subject": "冷库压缩机不启动", "asset_id": asset });
    let t = app
        .ok(&agent, "/api/v1/triage", ask(x9["id"].clone()), 200)
        .await;
    assert_eq!(t["articles"][0]["id"], ids[1], "the X9 one first: {t}");
    let (own, other) = (&t["articles"][0]["score"], &t["articles"][1]["score"]);
    assert!(
        other.is_null() || other.as_f64().unwrap() < own.as_f64().unwrap() * 0.6,
        "{t}"
    );
    // Equipment not known: the two alike.
    let t = app
        .ok(&agent, "/api/v1/triage", ask(Value::Null), 200)
        .await;
    assert_eq!(t["articles"][0]["score"], t["articles"][1]["score"], "{t}");
}
