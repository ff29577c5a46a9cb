//! `loopdesk backup` and `restore` (issue 24): an archive made while the server takes new
//! tickets restores into an empty install with every table and file the same, checked by
//! the manifest; a damaged archive or a non-empty target is refused and leaves nothing. On
//! PostgreSQL the README's `pg_dump` round trip keeps every table, files included.

use std::io::{Read, Write};

use loopdesk::config::Config;
use loopdesk_core::clock::Clock;
use serde_json::json;

use crate::helpers::{png, spawn_app, Backend};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_archive_made_while_serving_restores_every_table_and_file() {
    let app = spawn_app(Backend::Sqlite).await;
    let (_, agent) = app.user("bk-agent", &["agent"], json!({})).await;
    let (customer, _) = app.customer(&agent, "备份测试客户", "13800000058").await;
    let mut files = Vec::new();
    for i in 0..3 {
        let t = app
            .ticket(&agent, &customer, &format!("空调报修 {i}"))
            .await;
        let id = t["id"].as_str().unwrap().to_owned();
        let r = app.upload(&agent, &id, "other", png(), "p.png").await;
        assert_eq!(r.status(), 201);
        files.push(r.json::<serde_json::Value>().await.unwrap()["id"].clone());
    }
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("loopdesk-backup.zip");

    // Tickets keep coming while the archive is made.
    let writer = {
        let (client, url, token) = (
            app.client.clone(),
            app.url("/api/v1/tickets"),
            agent.clone(),
        );
        let customer = customer.clone();
        tokio::spawn(async move {
            for i in 0..20 {
                let body = json!({ "subject": format!("备份期间 {i}"), "priority": 3,
                    "channel": "phone", "customer_id": customer });
                let r = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 201);
            }
        })
    };
    let made = loopdesk::backup::backup(&app.config, &archive, app.clock.now())
        .await
        .unwrap();
    writer.await.unwrap();
    let tickets = made.tables["tickets"].rows;
    assert!((3..=23).contains(&tickets), "{tickets}");
    assert_eq!(
        made.files.len(),
        6,
        "three files and their thumbnails: {:?}",
        made.files
    );
    assert!(made.tables.contains_key("ticket_events") && made.tables.contains_key("search_docs"));

    // Into an empty install: the same tables and files, checked.
    let target = tempfile::tempdir().unwrap();
    let cfg = Config {
        data_dir: target.path().to_path_buf(),
        database_url: loopdesk::config::sqlite_url(target.path()).into(),
        ..app.config.clone()
    };
    let restored = loopdesk::backup::restore(&cfg, &archive).await.unwrap();
    assert_eq!(restored, made);
    let db = target.path().join("loopdesk.db");
    assert_eq!(
        loopdesk_store::backup::table_sums(&db).await.unwrap(),
        made.tables
    );
    for (name, sum) in &made.files {
        let bytes = std::fs::read(target.path().join("attachments").join(name)).unwrap();
        assert_eq!(bytes.len() as u64, sum.bytes, "{name}");
    }
    // The restored install serves: its tickets and files are there.
    let store = loopdesk::app::open_store(&cfg).await.unwrap();
    let t = store.tenant_by_slug("default").await.unwrap().unwrap();
    let all = loopdesk_store::TicketFilter {
        limit: Some(100),
        ..Default::default()
    };
    let listed = store
        .tenant(t.id)
        .tickets_for(&loopdesk_core::ticket::Actor::System, &all)
        .await
        .unwrap();
    assert_eq!(listed.items.len() as u64, tickets);
    store.close().await;

    // A second restore into it is refused: it is not empty.
    let again = loopdesk::backup::restore(&cfg, &archive).await.unwrap_err();
    assert!(again.to_string().contains("empty install"), "{again}");

    // A damaged file in the archive is found, and nothing is left behind.
    let damaged = dir.path().join("damaged.zip");
    {
        let mut from = zip::ZipArchive::new(std::fs::File::open(&archive).unwrap()).unwrap();
        let mut to = zip::ZipWriter::new(std::fs::File::create(&damaged).unwrap());
        for i in 0..from.len() {
            let mut entry = from.by_index(i).unwrap();
            let name = entry.name().to_owned();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            if name.starts_with("attachments/") && !name.ends_with(".thumb.jpg") {
                bytes[10] ^= 0xFF;
            }
            to.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            to.write_all(&bytes).unwrap();
        }
        to.finish().unwrap();
    }
    let empty = tempfile::tempdir().unwrap();
    let cfg = Config {
        data_dir: empty.path().to_path_buf(),
        database_url: loopdesk::config::sqlite_url(empty.path()).into(),
        ..app.config.clone()
    };
    let e = loopdesk::backup::restore(&cfg, &damaged).await.unwrap_err();
    assert!(
        e.to_string().contains("not the file that was backed up"),
        "{e}"
    );
    assert!(!empty.path().join("loopdesk.db").exists());
    assert!(!empty.path().join("attachments").exists());
    assert!(!empty.path().join("attachments.restoring").exists());
}

/// Every table of a PostgreSQL database as one digest per table (rows sorted by their text).
async fn digests(url: &str) -> std::collections::BTreeMap<String, (i64, String)> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .unwrap();
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut out = std::collections::BTreeMap::new();
    for (table,) in tables {
        let (rows, digest): (i64, Option<String>) = sqlx::query_as(&format!(
            "SELECT COUNT(*), md5(string_agg(t::text, '|' ORDER BY t::text)) FROM \"{table}\" t"
        ))
        .fetch_one(&pool)
        .await
        .unwrap();
        out.insert(table, (rows, digest.unwrap_or_default()));
    }
    pool.close().await;
    out
}

/// On PostgreSQL the README's backup is `pg_dump` (files included: they are kept in the
/// database): dumped while the server runs and restored into a new database, every table is
/// the same, row for row, the uploaded file's parts among them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(loopdesk_pg),
    ignore = "skipped: set LOOPDESK_TEST_POSTGRES=postgres://… to run on PostgreSQL"
)]
async fn a_pg_dump_restores_every_table_and_file_on_postgresql() {
    let app = spawn_app(Backend::Postgres).await;
    let (_, agent) = app.user("pg-bk-agent", &["agent"], json!({})).await;
    let (customer, _) = app.customer(&agent, "备份客户", "13800000059").await;
    let t = app.ticket(&agent, &customer, "冷库门封条老化").await;
    let id = t["id"].as_str().unwrap().to_owned();
    let r = app.upload(&agent, &id, "other", png(), "p.png").await;
    assert_eq!(r.status(), 201);
    let url = app.config.database_url.expose().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("loopdesk.dump");
    let out = std::process::Command::new("pg_dump")
        .args(["-Fc", "-d", &url, "-f"])
        .arg(&dump)
        .output()
        .expect("pg_dump");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let server = std::env::var("LOOPDESK_TEST_POSTGRES").unwrap();
    let name = format!("loopdesk_restored_{}", std::process::id());
    let restored = loopdesk_store::create_database(&server, &name)
        .await
        .unwrap();
    let out = std::process::Command::new("pg_restore")
        .args(["--no-owner", "-d", &restored])
        .arg(&dump)
        .output()
        .expect("pg_restore");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (before, after) = (digests(&url).await, digests(&restored).await);
    assert!(before["blob_parts"].0 >= 1, "the file is in the database");
    assert!(before["tickets"].0 >= 1 && before["audit_log"].0 >= 1);
    assert_eq!(before, after);
    loopdesk_store::drop_database(&server, &name).await.unwrap();
}
