//! Tenants are walled off on every endpoint (issue 24). Tenant A holds the demo's whole
//! history; tenant B's admin then calls every operation of the OpenAPI document, each path's
//! ids filled with A's ids of the kind the path names, with every method the document lists:
//! none may succeed, and A's rows must be exactly what they were. Every list B's admin can
//! read is searched for any of A's ids: none may appear.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend};
use crate::on_both_backends;

on_both_backends!(no_endpoint_lets_one_tenant_see_or_touch_anothers_rows);

/// A's ids by table (the `id` column of every table that has one).
async fn ids_by_table(
    store: &loopdesk_store::Store,
    tenant: &str,
) -> BTreeMap<String, Vec<String>> {
    let mut snapshot = store.tenant_snapshot().await.unwrap();
    let tables = snapshot.tables.clone();
    let mut out = BTreeMap::new();
    for table in &tables {
        let Some(at) = table.columns.iter().position(|c| c.name == "id") else {
            continue;
        };
        let mut ids = Vec::new();
        snapshot
            .each_row(table, tenant, |row| {
                if let Some(Value::String(id)) = row.get(at) {
                    ids.push(id.clone());
                }
                Ok(())
            })
            .await
            .unwrap();
        out.insert(table.name.clone(), ids);
    }
    out
}

/// The table a path's parameter names, by the segment before it (`/tickets/{id}`).
fn table_of(segment: &str) -> String {
    match segment {
        "problems" => "problem_records".into(),
        "models" => "product_models".into(),
        "sla-policies" => "sla_policies".into(),
        "views" => "saved_views".into(),
        "schedules" | "report-schedules" => "report_schedules".into(),
        "inbound" | "quarantine" | "messages" => "inbound_messages".into(),
        s => s.replace('-', "_"),
    }
}

async fn no_endpoint_lets_one_tenant_see_or_touch_anothers_rows(backend: Backend) {
    let app = spawn_app(backend).await;
    let now = {
        use loopdesk_core::clock::Clock;
        app.clock.now()
    };
    let a = app.default_tenant_id().await;
    let a_id = loopdesk_core::TenantId::parse(&a).unwrap();
    let files = loopdesk::app::blobs(&app.config, &app.store);
    loopdesk::demo::load_if_empty(
        &app.store,
        a_id,
        files.as_ref(),
        30,
        now,
        loopdesk_core::i18n::Lang::ZhCn,
    )
    .await
    .unwrap()
    .expect("the demo loads into A");
    let b = app
        .other_tenant_user("east", "east-admin", loopdesk_core::Role::Admin)
        .await;
    let ids = ids_by_table(&app.store, &a).await;
    let all: BTreeSet<&String> = ids.values().flatten().collect();
    assert!(all.len() > 500, "{} ids of A", all.len());
    let before = app.store.tenant_sums(&a).await.unwrap();

    let doc = app.read(&b, "/api/openapi.json").await;
    let paths = doc["paths"].as_object().unwrap();
    // Every list B's admin may read holds nothing of A (read first: B's own audit trail
    // keeps the paths B is about to type).
    let mut read = 0;
    for (template, operations) in paths {
        if template.contains('{') || operations.get("get").is_none() {
            continue;
        }
        let r = app.get(&b, template).await;
        if !r.status().is_success() {
            continue;
        }
        read += 1;
        let text = r.text().await.unwrap();
        if let Some(id) = all.iter().find(|id| text.contains(id.as_str())) {
            panic!("{template} shows B an id of A: {id}");
        }
        assert!(!text.contains(&a), "{template} names A's tenant");
    }
    assert!(read > 25, "{read} lists read");
    let mut tried = 0;
    let mut wrong = Vec::new();
    for (template, operations) in paths {
        for method in operations.as_object().unwrap().keys() {
            let segments: Vec<&str> = template.split('/').collect();
            let mut path = String::new();
            let mut filled = true;
            for (i, seg) in segments.iter().enumerate() {
                if i > 0 {
                    path.push('/');
                }
                if seg.starts_with('{') {
                    let before = segments.get(i.wrapping_sub(1)).copied().unwrap_or("");
                    // A's row of that kind, else any of A's (a ticket): never B's.
                    let pool = ids
                        .get(&table_of(before))
                        .filter(|p| !p.is_empty())
                        .or_else(|| ids.get("tickets"))
                        .filter(|p| !p.is_empty());
                    match pool {
                        Some(p) => path.push_str(&p[0]),
                        None => filled = false,
                    }
                } else {
                    path.push_str(seg);
                }
            }
            if !filled || !template.contains('{') {
                continue;
            }
            let verb = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let body = if verb == reqwest::Method::GET {
                Value::Null
            } else {
                json!({})
            };
            let (status, answer) = app.send(verb, &b, &path, body).await;
            tried += 1;
            if (200..300).contains(&status) {
                wrong.push(format!("{method} {path} → {status} {answer}"));
            }
        }
    }
    assert!(tried >= 80, "{tried} operations with ids tried");
    assert!(
        wrong.is_empty(),
        "B reached A's rows:\n{}",
        wrong.join("\n")
    );
    assert_eq!(
        app.store.tenant_sums(&a).await.unwrap(),
        before,
        "B's calls changed A's rows"
    );
}
