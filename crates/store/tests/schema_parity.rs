//! The two migration sets describe one schema: both are migrated and their catalogues read
//! back, and every table, column (type modulo dialect, nullability, default), primary key,
//! index (columns, uniqueness, partial or not) and foreign key must agree. A column, index or
//! key that one set gains and the other lacks fails this test with the difference named.

#![expect(
    clippy::unwrap_used,
    reason = "a failed step should stop the test loudly"
)]

use std::collections::BTreeSet;

use loopdesk_store::{Store, StoreOptions};
use sqlx::{Connection, Row};

/// One fact of a schema, comparable across dialects.
type Facts = BTreeSet<String>;

/// The type family of a declared column type.
fn family(declared: &str) -> &'static str {
    let t = declared.to_ascii_lowercase();
    if t.contains("int") {
        "integer"
    } else if t.contains("char") || t.contains("text") || t.contains("clob") {
        "text"
    } else if t.contains("real")
        || t.contains("double")
        || t.contains("float")
        || t.contains("numeric")
    {
        "float"
    } else if t.contains("bool") {
        "boolean"
    } else if t.contains("blob") || t.contains("bytea") {
        "bytes"
    } else {
        "other"
    }
}

/// A default as written, without the dialect's casts and quoting of numbers.
fn default_of(d: Option<String>) -> String {
    let Some(d) = d else {
        return "none".into();
    };
    let mut d = d.trim().to_owned();
    while let Some(cast) = d.rfind("::") {
        d.truncate(cast);
    }
    let d = d.trim_matches(|c| c == '(' || c == ')').trim().to_owned();
    d.trim_matches('\'').to_owned()
}

async fn sqlite_facts(url: &str) -> Facts {
    let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name NOT LIKE '\\_sqlx%' ESCAPE '\\' ORDER BY name",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    let mut facts = Facts::new();
    for t in &tables {
        facts.insert(format!("table {t}"));
        let cols = sqlx::query(&format!("PRAGMA table_info(\"{t}\")"))
            .fetch_all(&mut c)
            .await
            .unwrap();
        let mut pk: Vec<(i64, String)> = Vec::new();
        for col in cols {
            let name: String = col.get("name");
            let declared: String = col.get("type");
            let notnull: i64 = col.get("notnull");
            let dflt: Option<String> = col.get("dflt_value");
            let pk_pos: i64 = col.get("pk");
            if pk_pos > 0 {
                pk.push((pk_pos, name.clone()));
            }
            // SQLite lets a primary-key column be NULL unless it says NOT NULL; PostgreSQL
            // never does: a key column counts as NOT NULL on both.
            let notnull = notnull != 0 || pk_pos > 0;
            facts.insert(format!(
                "column {t}.{name} {} {} default {}",
                family(&declared),
                if notnull { "not null" } else { "null" },
                default_of(dflt)
            ));
        }
        pk.sort();
        let pk: Vec<String> = pk.into_iter().map(|(_, n)| n).collect();
        if !pk.is_empty() {
            facts.insert(format!("primary key {t} ({})", pk.join(", ")));
        }
        let indexes = sqlx::query(&format!("PRAGMA index_list(\"{t}\")"))
            .fetch_all(&mut c)
            .await
            .unwrap();
        for ix in indexes {
            let name: String = ix.get("name");
            let unique: i64 = ix.get("unique");
            let origin: String = ix.get("origin");
            let partial: i64 = ix.get("partial");
            if origin == "pk" {
                continue;
            }
            let cols: Vec<String> = sqlx::query(&format!("PRAGMA index_info(\"{name}\")"))
                .fetch_all(&mut c)
                .await
                .unwrap()
                .into_iter()
                .map(|r| {
                    r.get::<Option<String>, _>("name")
                        .unwrap_or_else(|| "(expr)".into())
                })
                .collect();
            facts.insert(index_fact(
                t,
                &name,
                origin == "c",
                unique != 0,
                partial != 0,
                &cols,
            ));
        }
        let fks = sqlx::query(&format!("PRAGMA foreign_key_list(\"{t}\")"))
            .fetch_all(&mut c)
            .await
            .unwrap();
        for fk in fks {
            let from: String = fk.get("from");
            let table: String = fk.get("table");
            let to: Option<String> = fk.get("to");
            facts.insert(format!(
                "foreign key {t}.{from} -> {table}.{}",
                to.unwrap_or_else(|| "id".into())
            ));
        }
    }
    facts
}

/// An index: named when created on its own (a `CREATE INDEX`), by its columns when it backs
/// a `UNIQUE` constraint (each dialect names those its own way).
fn index_fact(
    table: &str,
    name: &str,
    named: bool,
    unique: bool,
    partial: bool,
    cols: &[String],
) -> String {
    let kind = if unique { "unique index" } else { "index" };
    let partial = if partial { " where …" } else { "" };
    if named {
        format!("{kind} {name} on {table} ({}){partial}", cols.join(", "))
    } else {
        format!(
            "{kind} (constraint) on {table} ({}){partial}",
            cols.join(", ")
        )
    }
}

async fn postgres_facts(url: &str) -> Facts {
    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
    let mut facts = Facts::new();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() \
         AND table_type = 'BASE TABLE' AND table_name NOT LIKE '\\_sqlx%' ORDER BY 1",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    for t in &tables {
        facts.insert(format!("table {t}"));
    }
    let cols = sqlx::query(
        "SELECT table_name::text AS t, column_name::text AS name, data_type::text AS ty, \
         is_nullable::text AS nullable, column_default::text AS dflt, is_identity::text AS ident \
         FROM information_schema.columns WHERE table_schema = current_schema() \
         AND table_name NOT LIKE '\\_sqlx%'",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    for col in cols {
        let t: String = col.get("t");
        let name: String = col.get("name");
        let ty: String = col.get("ty");
        let nullable: String = col.get("nullable");
        let dflt: Option<String> = col.get("dflt");
        facts.insert(format!(
            "column {t}.{name} {} {} default {}",
            family(&ty),
            if nullable == "YES" {
                "null"
            } else {
                "not null"
            },
            default_of(dflt)
        ));
    }
    let pks = sqlx::query(
        "SELECT c.conrelid::regclass::text AS t, \
         string_agg(a.attname::text, ', ' ORDER BY k.n) AS cols \
         FROM pg_constraint c CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, n) \
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum \
         WHERE c.contype = 'p' AND c.connamespace = current_schema()::regnamespace \
         GROUP BY c.conrelid, c.conname",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    for pk in pks {
        let t: String = pk.get("t");
        if t.starts_with("_sqlx") {
            continue;
        }
        let cols: String = pk.get("cols");
        facts.insert(format!("primary key {t} ({cols})"));
    }
    let indexes = sqlx::query(
        "SELECT t.relname::text AS t, i.relname::text AS name, ix.indisunique AS uniq, \
         ix.indpred IS NOT NULL AS partial, \
         EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid) AS constraint_backed, \
         ix.indisprimary AS primary_key, \
         (SELECT string_agg(COALESCE(a.attname::text, '(expr)'), ', ' ORDER BY k.n) \
          FROM unnest(ix.indkey) WITH ORDINALITY AS k(attnum, n) \
          LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum AND k.attnum > 0) AS cols \
         FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid \
         WHERE t.relnamespace = current_schema()::regnamespace AND t.relname NOT LIKE '\\_sqlx%'",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    for ix in indexes {
        if ix.get::<bool, _>("primary_key") {
            continue;
        }
        let t: String = ix.get("t");
        let name: String = ix.get("name");
        let cols: String = ix.get("cols");
        let cols: Vec<String> = cols.split(", ").map(str::to_owned).collect();
        facts.insert(index_fact(
            &t,
            &name,
            !ix.get::<bool, _>("constraint_backed"),
            ix.get("uniq"),
            ix.get("partial"),
            &cols,
        ));
    }
    let fks = sqlx::query(
        "SELECT c.conrelid::regclass::text AS t, a.attname::text AS col, \
         c.confrelid::regclass::text AS ref_t, r.attname::text AS ref_col \
         FROM pg_constraint c \
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] \
         JOIN pg_attribute r ON r.attrelid = c.confrelid AND r.attnum = c.confkey[1] \
         WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    for fk in fks {
        let t: String = fk.get("t");
        let col: String = fk.get("col");
        let ref_t: String = fk.get("ref_t");
        let ref_col: String = fk.get("ref_col");
        facts.insert(format!("foreign key {t}.{col} -> {ref_t}.{ref_col}"));
    }
    facts
}

/// Where each backend keeps the words of the search index, which differs by design: an FTS5
/// table (and its shadow tables) on SQLite, a `tsvector` column with a GIN index on
/// PostgreSQL. `search_docs` itself must agree like any table.
fn holds_search_words(fact: &str) -> bool {
    let sqlite_fts = fact.starts_with("table search_fts")
        || fact.contains(" search_fts")
        || fact.contains(" on search_fts");
    let pg_words = fact.starts_with("column search_docs.words ")
        || fact.starts_with("index search_docs_words ");
    sqlite_fts || pg_words
}

fn listed(facts: &[&String]) -> String {
    if facts.is_empty() {
        return "(nothing)".into();
    }
    facts
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join("\n    ")
}

#[tokio::test]
#[cfg_attr(
    not(loopdesk_pg),
    ignore = "skipped: set LOOPDESK_TEST_POSTGRES=postgres://… to compare with PostgreSQL"
)]
async fn both_migration_sets_describe_the_same_schema() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}?mode=rwc", dir.path().join("s.db").display());
    let server = std::env::var("LOOPDESK_TEST_POSTGRES").expect("LOOPDESK_TEST_POSTGRES");
    let name = format!("loopdesk_schema_{}", uuid::Uuid::new_v4().simple());
    let postgres = loopdesk_store::create_database(&server, &name)
        .await
        .unwrap();
    for url in [&sqlite, &postgres] {
        let store = Store::connect(&StoreOptions {
            url: url.clone(),
            max_connections: 2,
            ..StoreOptions::default()
        })
        .await
        .unwrap();
        store.migrate().await.unwrap();
        store.close().await;
    }
    let mut lite = sqlite_facts(&sqlite).await;
    let mut pg = postgres_facts(&postgres).await;
    lite.retain(|f| !holds_search_words(f));
    pg.retain(|f| !holds_search_words(f));
    loopdesk_store::drop_database(&server, &name).await.unwrap();
    eprintln!(
        "schema facts: SQLite {}, PostgreSQL {}",
        lite.len(),
        pg.len()
    );
    for kind in [
        "table ",
        "column ",
        "primary key ",
        "index ",
        "unique index ",
        "foreign key ",
    ] {
        let n = |f: &Facts| f.iter().filter(|s| s.starts_with(kind)).count();
        eprintln!("  {kind}: {} / {}", n(&lite), n(&pg));
    }
    assert!(
        lite.len() > 100,
        "the SQLite schema was read: {} facts",
        lite.len()
    );
    assert!(
        pg.len() > 100,
        "the PostgreSQL schema was read: {} facts",
        pg.len()
    );
    let only_sqlite: Vec<&String> = lite.difference(&pg).collect();
    let only_postgres: Vec<&String> = pg.difference(&lite).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "the migration sets disagree\n  only in SQLite:\n    {}\n  only in PostgreSQL:\n    {}",
        listed(&only_sqlite),
        listed(&only_postgres),
    );
}
