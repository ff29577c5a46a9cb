//! The index as the store keeps it, on both backends: rebuilt from the tables it finds what
//! the live writes made findable; a rebuild never puts back an older text; past the ranked
//! window every match still comes, newest first, each once.

use chrono::{TimeZone, Utc};
use loopdesk_core::search::Kind;
use loopdesk_core::ticket::{Actor, Channel};

use super::index::{self, DocWords};
use crate::{NewTicket, TenantStore};

async fn on_both(
    test: impl Fn(String) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>,
) {
    let dir = tempfile::tempdir().unwrap();
    test(format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("s.db").display()
    ))
    .await;
    if let Ok(server) = std::env::var("LOOPDESK_TEST_POSTGRES") {
        let name = format!("loopdesk_search_{}", uuid::Uuid::new_v4().simple());
        let url = crate::create_database(&server, &name).await.unwrap();
        test(url).await;
        crate::drop_database(&server, &name).await.unwrap();
    }
}

fn new(subject: &str) -> NewTicket {
    NewTicket {
        subject: subject.into(),
        description: String::new(),
        priority: 3,
        channel: Channel::Phone,
        customer_id: None,
        contact_phone: None,
        site_id: None,
        asset_id: None,
        category: None,
        fields: None,
    }
}

async fn found(t: &TenantStore, q: &str, window: i64, limit: i64) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = t
            .search_ranking(&Actor::System, (q, &[]), limit, cursor.as_deref(), window)
            .await
            .unwrap();
        out.extend(page.items.into_iter().map(|h| h.id));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

async fn tickets(t: &TenantStore, n: usize) -> Vec<String> {
    let at = Utc.with_ymd_and_hms(2026, 12, 5, 1, 0, 0).unwrap();
    let mut ids = Vec::new();
    for i in 0..n {
        // Every third says 冷柜 in its subject, the others in their description only.
        let ticket = if i % 3 == 0 {
            new(&format!("冷柜 报警 {i}"))
        } else {
            NewTicket {
                description: "冷柜".into(),
                ..new(&format!("报修 {i}"))
            }
        };
        let (tk, _) = t
            .create_ticket(&Actor::System, ticket, None, at)
            .await
            .unwrap();
        ids.push(tk.id.to_string());
    }
    ids
}

#[tokio::test]
async fn a_rebuilt_index_finds_what_the_live_one_did() {
    on_both(|url| {
        Box::pin(async move {
            let (store, tenant) = crate::test_store(url).await;
            let t = store.tenant(tenant);
            let mut ids = tickets(&t, 7).await;
            let article = crate::NewArticle {
                title: "冷柜不制冷的排查".into(),
                body: "检查冷凝器".into(),
                ..crate::NewArticle::default()
            };
            let at = Utc.with_ymd_and_hms(2026, 12, 5, 2, 0, 0).unwrap();
            let article = t.create_article(&Actor::System, article, at).await.unwrap();
            ids.push(article.id.to_string());
            ids.sort();
            let mut live = found(&t, "冷柜", 1000, 3).await;
            live.sort();
            assert_eq!(live, ids);
            sqlx::query("DELETE FROM search_docs")
                .execute(&store.write)
                .await
                .unwrap();
            if store.backend == crate::Backend::Sqlite {
                sqlx::query("INSERT INTO search_fts (search_fts) VALUES ('delete-all')")
                    .execute(&store.write)
                    .await
                    .unwrap();
            }
            assert!(found(&t, "冷柜", 1000, 3).await.is_empty());
            assert!(store.search_index_missing().await.unwrap());
            let mut seen = Vec::new();
            let done = store
                .reindex_search(|d, total| seen.push((d, total)))
                .await
                .unwrap();
            assert_eq!(done.documents, 8);
            assert_eq!(seen.first(), Some(&(0, 8)));
            assert_eq!(seen.last(), Some(&(8, 8)));
            let mut rebuilt = found(&t, "冷柜", 1000, 3).await;
            rebuilt.sort();
            assert_eq!(rebuilt, ids);
            assert_eq!(found(&t, "冷柜 报警", 1000, 10).await.len(), 3);
            store.close().await;
        })
    })
    .await;
}

#[tokio::test]
async fn a_rebuild_never_puts_back_an_older_text() {
    on_both(|url| {
        Box::pin(async move {
            let (store, tenant) = crate::test_store(url).await;
            let t = store.tenant(tenant);
            let ids = tickets(&t, 1).await;
            let tid = tenant.to_string();
            let doc = |word: &str| DocWords {
                kind: Kind::Ticket,
                ref_id: ids[0].clone(),
                words: loopdesk_core::search::document_words(&[word], &[], &[]),
            };
            let mut conn = store.write.acquire().await.unwrap();
            let now = index::stamp();
            index::write_docs(&mut conn, &tid, &[doc("新词")], now + 60_000)
                .await
                .unwrap();
            // A rebuild that read the ticket before that write comes later: it is ignored.
            index::write_docs(&mut conn, &tid, &[doc("旧词")], now)
                .await
                .unwrap();
            drop(conn);
            assert_eq!(found(&t, "新词", 1000, 10).await, ids);
            assert!(found(&t, "旧词", 1000, 10).await.is_empty());
            store.close().await;
        })
    })
    .await;
}

#[tokio::test]
async fn past_the_ranked_window_every_match_comes_newest_first() {
    on_both(|url| {
        Box::pin(async move {
            let (store, tenant) = crate::test_store(url).await;
            let t = store.tenant(tenant);
            let ids = tickets(&t, 11).await;
            // Rank the newest 4; then 3 a page, newest first.
            let seen = found(&t, "冷柜", 4, 3).await;
            assert_eq!(seen.len(), 11, "{seen:?}");
            let mut unique = seen.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), 11);
            // The window is the newest four (ids 7..=10), ranked: 9 says it in its subject.
            assert_eq!(seen[0], ids[9]);
            let mut window: Vec<String> = seen[..4].to_vec();
            window.sort();
            let mut newest: Vec<String> = ids[7..].to_vec();
            newest.sort();
            assert_eq!(window, newest);
            // Then the rest, newest first.
            let rest: Vec<String> = ids[..7].iter().rev().cloned().collect();
            assert_eq!(seen[4..], rest[..]);
            store.close().await;
        })
    })
    .await;
}

#[tokio::test]
async fn words_in_the_subject_rank_first_and_equals_come_newest_first() {
    on_both(|url| {
        Box::pin(async move {
            let (store, tenant) = crate::test_store(url).await;
            let t = store.tenant(tenant);
            let at = Utc.with_ymd_and_hms(2026, 12, 5, 1, 0, 0).unwrap();
            let mut ids = Vec::new();
            for (subject, description) in [
                ("压缩机 故障", ""),
                ("压缩机", "运行时 故障"),
                ("上门 维修", "压缩机 故障"),
                ("上门 检修", "压缩机 故障"),
            ] {
                let ticket = NewTicket {
                    description: description.into(),
                    ..new(subject)
                };
                let (tk, _) = t
                    .create_ticket(&Actor::System, ticket, None, at)
                    .await
                    .unwrap();
                ids.push(tk.id.to_string());
            }
            let page = t
                .search(&Actor::System, "压缩机故障", &[], 10, None)
                .await
                .unwrap();
            let order: Vec<&str> = page.items.iter().map(|h| h.id.as_str()).collect();
            assert_eq!(order, [&ids[0], &ids[1], &ids[3], &ids[2]]);
            let scores: Vec<f64> = page.items.iter().map(|h| h.score).collect();
            let relevance = loopdesk_core::search::relevance;
            assert_eq!(
                scores,
                [
                    relevance(2, 2),
                    relevance(2, 1),
                    relevance(2, 0),
                    relevance(2, 0)
                ]
            );
            store.close().await;
        })
    })
    .await;
}

/// The reads that run for every ticket written go by key: no full scan, no walk of a tenant's
/// rows by `tenant_id` alone (SQLite once chose to walk every ticket in creation order to
/// spare sorting a handful of rows: a scan per ticket written, unseen until 50,000 tickets).
#[tokio::test]
async fn the_reads_behind_every_ticket_written_go_by_key() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("s.db").display());
    let (store, tenant) = crate::test_store(url).await;
    let t = store.tenant(tenant);
    let ids = tickets(&t, 3).await;
    for some in [&ids[..1], &ids[..]] {
        for read in index::ticket_reads(&tenant.to_string(), some) {
            let plan: Vec<(i64, i64, i64, String)> = read
                .explained()
                .query_as()
                .fetch_all(&store.read)
                .await
                .unwrap();
            for (_, _, _, step) in &plan {
                assert!(
                    !step.starts_with("SCAN") && !step.ends_with("(tenant_id=?)"),
                    "{step}\n  in {}",
                    read.text
                );
            }
        }
    }
    store.close().await;
}
