//! Writing search documents, in the transaction of the change they index: a write is
//! findable the moment it is acknowledged, on every instance, and a crash loses neither.

use std::collections::{BTreeMap, HashMap};

use loopdesk_core::search::{
    ArticleText, AssetText, CustomerText, Document, Kind, TicketText, Weighted,
};
use sqlx::{Any, AnyConnection, Transaction};

use crate::dialect::Backend;
use crate::sql::{Arg, Sql};
use crate::StoreError;

/// Documents written by one statement (SQLite binds 5 values a document).
const WRITE_CHUNK: usize = 500;

/// One document's words, ready to write.
pub(crate) struct DocWords {
    pub kind: Kind,
    pub ref_id: String,
    pub words: Weighted,
}

/// The moment a document's text was read, on the wall clock: index bookkeeping, not business
/// time (a test's clock may stand anywhere).
#[expect(
    clippy::disallowed_methods,
    reason = "orders index writes against a rebuild's reads; never a business time"
)]
pub(crate) fn stamp() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Inserts or replaces `docs` of `tenant`, read at `read_at` ([`stamp`]). A document written
/// since from a later reading is kept: a rebuild running beside live writes never puts back
/// an older text.
pub(crate) async fn write_docs(
    conn: &mut AnyConnection,
    tenant: &str,
    docs: &[DocWords],
    read_at: i64,
) -> Result<(), StoreError> {
    for chunk in docs.chunks(WRITE_CHUNK) {
        match Backend::of_connection(conn) {
            Backend::Sqlite => write_sqlite(conn, tenant, chunk, read_at).await?,
            Backend::Postgres => write_postgres(conn, tenant, chunk, read_at).await?,
        }
    }
    Ok(())
}

async fn write_sqlite(
    conn: &mut AnyConnection,
    tenant: &str,
    docs: &[DocWords],
    read_at: i64,
) -> Result<(), StoreError> {
    let text = |s: &str| Arg::Text(Some(s.to_owned()));
    let mut sql = Sql::new("INSERT INTO search_docs (tenant_id, kind, ref_id, updated_at) VALUES ");
    sql.rows(docs.iter().map(|d| {
        vec![
            text(tenant),
            text(d.kind.as_str()),
            text(&d.ref_id),
            Arg::Int(read_at),
        ]
    }));
    sql.push(
        " ON CONFLICT (tenant_id, kind, ref_id) DO UPDATE SET updated_at = excluded.updated_at \
         WHERE search_docs.updated_at <= excluded.updated_at RETURNING id, kind, ref_id",
    );
    let ids: Vec<(i64, String, String)> = sql
        .positional_on(conn)
        .query_as()
        .fetch_all(&mut *conn)
        .await?;
    let ids: HashMap<(String, String), i64> =
        ids.into_iter().map(|(id, k, r)| ((k, r), id)).collect();
    let mut fts =
        Sql::new("INSERT OR REPLACE INTO search_fts (rowid, title, body, internal) VALUES ");
    let mut rows = Vec::with_capacity(docs.len());
    for d in docs {
        // Not returned: a later reading is stored already.
        let Some(id) = ids.get(&(d.kind.as_str().to_owned(), d.ref_id.clone())) else {
            continue;
        };
        rows.push(vec![
            Arg::Int(*id),
            Arg::Text(Some(d.words.title.join(" "))),
            Arg::Text(Some(d.words.body.join(" "))),
            Arg::Text(Some(d.words.internal.join(" "))),
        ]);
    }
    if rows.is_empty() {
        return Ok(());
    }
    fts.rows(rows);
    fts.positional_on(conn).query().execute(&mut *conn).await?;
    Ok(())
}

async fn write_postgres(
    conn: &mut AnyConnection,
    tenant: &str,
    docs: &[DocWords],
    read_at: i64,
) -> Result<(), StoreError> {
    let mut sql =
        Sql::new("INSERT INTO search_docs (tenant_id, kind, ref_id, updated_at, words) VALUES ");
    for (i, d) in docs.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" });
        sql.text(tenant)
            .push(", ")
            .text(d.kind.as_str())
            .push(", ")
            .text(d.ref_id.clone())
            .push(", ")
            .int(read_at)
            .push(", CAST(")
            .text(tsvector(&d.words))
            .push(" AS tsvector))");
    }
    sql.push(
        " ON CONFLICT (tenant_id, kind, ref_id) DO UPDATE SET updated_at = excluded.updated_at, \
         words = excluded.words WHERE search_docs.updated_at <= excluded.updated_at \
         AND search_docs.words IS DISTINCT FROM excluded.words",
    );
    sql.query().execute(&mut *conn).await?;
    Ok(())
}

/// Most positions kept of one word (PostgreSQL keeps 256; a few say enough for the rank).
const MAX_POSITIONS: usize = 16;
/// PostgreSQL's highest position.
const MAX_POSITION: usize = 16_383;

/// The words as a `tsvector` value: each word with its positions, weight A for the title, B
/// for the body, D for internal notes.
pub(crate) fn tsvector(words: &Weighted) -> String {
    let mut lexemes: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let parts = [
        (&words.title, 'A'),
        (&words.body, 'B'),
        (&words.internal, 'D'),
    ];
    let mut position = 0;
    for (list, weight) in parts {
        for w in list.iter() {
            position = (position + 1).min(MAX_POSITION);
            let at = lexemes.entry(w.as_str()).or_default();
            if at.len() < MAX_POSITIONS {
                at.push(format!("{position}{weight}"));
            }
        }
    }
    let mut out = String::new();
    for (word, positions) in lexemes {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push('\'');
        for c in word.chars() {
            if matches!(c, '\'' | '\\') {
                out.push(c);
            }
            out.push(c);
        }
        out.push_str("':");
        out.push_str(&positions.join(","));
    }
    out
}

/// The table holding the objects of `kind`.
pub(crate) fn table_of(kind: Kind) -> &'static str {
    match kind {
        Kind::Ticket => "tickets",
        Kind::Customer => "customers",
        Kind::Asset => "assets",
        Kind::Article => "articles",
    }
}

/// Removes the documents of `kind` with these ids (a merged-away customer, say).
pub(crate) async fn delete_docs(
    tx: &mut Transaction<'_, Any>,
    tenant: &str,
    kind: Kind,
    ids: &[String],
) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    let backend = Backend::of_connection(tx);
    let mut keys = Sql::new("SELECT id FROM search_docs WHERE tenant_id = ");
    keys.text(tenant).push(" AND kind = ").text(kind.as_str());
    keys.id_list(" AND ref_id", ids);
    let doc_ids: Vec<i64> = keys
        .query_as::<(i64,)>()
        .fetch_all(&mut **tx)
        .await?
        .into_iter()
        .map(|r| r.0)
        .collect();
    if doc_ids.is_empty() {
        return Ok(());
    }
    let as_text: Vec<String> = doc_ids.iter().map(i64::to_string).collect();
    if backend == Backend::Sqlite {
        let mut fts = Sql::new("DELETE FROM search_fts WHERE rowid IN (");
        fts.push(&as_text.join(", ")).push(")");
        fts.query().execute(&mut **tx).await?;
    }
    let mut docs = Sql::new("DELETE FROM search_docs WHERE id IN (");
    docs.push(&as_text.join(", ")).push(")");
    docs.query().execute(&mut **tx).await?;
    Ok(())
}

/// The text of these tickets, with their statuses, read as the index and a result list
/// need it: three statements however many tickets.
/// The reads of [`ticket_texts`]: the tickets with customer and contact, their comments,
/// their reports, the numbers merged into them. Each runs for every ticket written, so each
/// must read by key (a test checks their plans on SQLite).
pub(crate) fn ticket_reads(tenant: &str, ids: &[String]) -> [Sql; 4] {
    let mut tickets = Sql::new(
        "SELECT t.id, t.status, t.number, t.subject, t.description, t.contact_phone, c.name, ct.name \
         FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id \
         LEFT JOIN contacts ct ON ct.id = t.contact_id WHERE t.tenant_id = ",
    );
    tickets.text(tenant);
    tickets.id_list(" AND t.id", ids);
    let mut comments =
        Sql::new("SELECT ticket_id, body, internal FROM comments WHERE tenant_id = ");
    comments.text(tenant);
    comments.id_list(" AND ticket_id", ids);
    comments.push(" ORDER BY created_at, id");
    let mut reports = Sql::new("SELECT ticket_id, resolution FROM work_reports WHERE tenant_id = ");
    reports.text(tenant);
    reports.id_list(" AND ticket_id", ids);
    reports.push(" ORDER BY submitted_at, id");
    // No ORDER BY: SQLite would read the tenant's tickets in creation order (its index) to
    // spare a sort of a handful of rows, a scan on every ticket written. Numbers sort as
    // they were given.
    let mut merged = Sql::new("SELECT merged_into, number FROM tickets WHERE tenant_id = ");
    merged.text(tenant);
    merged.push(" AND merged_into IS NOT NULL");
    merged.id_list(" AND merged_into", ids);
    [tickets, comments, reports, merged]
}

pub(crate) async fn ticket_texts(
    conn: &mut AnyConnection,
    tenant: &str,
    ids: &[String],
) -> Result<Vec<(String, String, TicketText)>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    type Row = (
        String,
        String,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let [sql, comments, reports, merged] = ticket_reads(tenant, ids);
    let rows: Vec<Row> = sql.query_as().fetch_all(&mut *conn).await?;
    let mut texts: Vec<(String, String, TicketText)> = rows
        .into_iter()
        .map(
            |(id, status, number, subject, description, phone, customer, contact)| {
                let text = TicketText {
                    number,
                    subject,
                    description,
                    customer,
                    contact,
                    phone,
                    ..TicketText::default()
                };
                (id, status, text)
            },
        )
        .collect();
    let at: HashMap<String, usize> = texts
        .iter()
        .enumerate()
        .map(|(i, (id, _, _))| (id.clone(), i))
        .collect();
    let rows: Vec<(String, String, i64)> = comments.query_as().fetch_all(&mut *conn).await?;
    for (ticket, body, internal) in rows {
        if let Some(i) = at.get(&ticket) {
            let text = &mut texts[*i].2;
            if internal != 0 {
                text.notes.push(body);
            } else {
                text.replies.push(body);
            }
        }
    }
    let rows: Vec<(String, String)> = reports.query_as().fetch_all(&mut *conn).await?;
    for (ticket, resolution) in rows {
        if let Some(i) = at.get(&ticket) {
            texts[*i].2.resolutions.push(resolution);
        }
    }
    let rows: Vec<(String, String)> = merged.query_as().fetch_all(&mut *conn).await?;
    for (ticket, number) in rows {
        if let Some(i) = at.get(&ticket) {
            texts[*i].2.merged.push(number);
        }
    }
    for (_, _, text) in &mut texts {
        text.merged.sort();
    }
    Ok(texts)
}

/// The titles of these objects of `kind`, as their documents' titles are made of: a
/// ticket's number and subject, a customer's name, an asset's model and serial.
pub(crate) async fn titles(
    conn: &mut AnyConnection,
    tenant: &str,
    kind: Kind,
    ids: &[String],
) -> Result<Vec<(String, Vec<String>)>, StoreError> {
    let (columns, table) = match kind {
        Kind::Ticket => ("id, number, subject", "tickets"),
        Kind::Customer => ("id, name, ''", "customers"),
        Kind::Asset => ("id, model, serial", "assets"),
        Kind::Article => ("id, title, ''", "articles"),
    };
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(&format!("SELECT {columns} FROM {table} WHERE tenant_id = "));
    sql.text(tenant);
    sql.id_list(" AND id", ids);
    let rows: Vec<(String, String, String)> = sql.query_as().fetch_all(&mut *conn).await?;
    Ok(rows
        .into_iter()
        .map(|(id, a, b)| (id, vec![a, b]))
        .collect())
}

/// The text of these customers: name, contacts and sites.
pub(crate) async fn customer_texts(
    conn: &mut AnyConnection,
    tenant: &str,
    ids: &[String],
) -> Result<Vec<(String, CustomerText)>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new("SELECT id, name FROM customers WHERE tenant_id = ");
    sql.text(tenant);
    sql.id_list(" AND id", ids);
    let rows: Vec<(String, String)> = sql.query_as().fetch_all(&mut *conn).await?;
    let mut texts: Vec<(String, CustomerText)> = rows
        .into_iter()
        .map(|(id, name)| {
            let text = CustomerText {
                name,
                ..CustomerText::default()
            };
            (id, text)
        })
        .collect();
    let at: HashMap<String, usize> = texts
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (id.clone(), i))
        .collect();
    let mut contacts = Sql::new(
        "SELECT customer_id, name, phone, email, wechat_id FROM contacts WHERE tenant_id = ",
    );
    contacts.text(tenant);
    contacts.id_list(" AND customer_id", ids);
    contacts.push(" AND removed_at IS NULL ORDER BY created_at, id");
    type Contact = (
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Contact> = contacts.query_as().fetch_all(&mut *conn).await?;
    for (customer, name, phone, email, wechat) in rows {
        if let Some(i) = at.get(&customer) {
            let parts: Vec<String> = [Some(name), phone, email, wechat]
                .into_iter()
                .flatten()
                .collect();
            texts[*i].1.contacts.push(parts.join(" "));
        }
    }
    let mut sites = Sql::new("SELECT customer_id, name, address FROM sites WHERE tenant_id = ");
    sites.text(tenant);
    sites.id_list(" AND customer_id", ids);
    sites.push(" AND removed_at IS NULL ORDER BY created_at, id");
    let rows: Vec<(String, String, String)> = sites.query_as().fetch_all(&mut *conn).await?;
    for (customer, name, address) in rows {
        if let Some(i) = at.get(&customer) {
            texts[*i].1.sites.push(format!("{name} {address}"));
        }
    }
    Ok(texts)
}

/// The text of these assets: model, serial, site and owner.
pub(crate) async fn asset_texts(
    conn: &mut AnyConnection,
    tenant: &str,
    ids: &[String],
) -> Result<Vec<(String, AssetText)>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(
        "SELECT a.id, a.model, a.serial, s.name, s.address, c.name FROM assets a \
         LEFT JOIN sites s ON s.id = a.site_id LEFT JOIN customers c ON c.id = a.customer_id \
         WHERE a.tenant_id = ",
    );
    sql.text(tenant);
    sql.id_list(" AND a.id", ids);
    type Row = (
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> = sql.query_as().fetch_all(&mut *conn).await?;
    Ok(rows
        .into_iter()
        .map(|(id, model, serial, site, address, customer)| {
            let site = [site, address]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            let text = AssetText {
                model,
                serial,
                site,
                customer: customer.unwrap_or_default(),
            };
            (id, text)
        })
        .collect())
}

/// The text of these knowledge articles: title, body, and the category and model they are
/// about.
pub(crate) async fn article_texts(
    conn: &mut AnyConnection,
    tenant: &str,
    ids: &[String],
) -> Result<Vec<(String, ArticleText)>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql =
        Sql::new("SELECT id, title, body, category, model FROM articles WHERE tenant_id = ");
    sql.text(tenant);
    sql.id_list(" AND id", ids);
    type Row = (String, String, String, Option<String>, Option<String>);
    let rows: Vec<Row> = sql.query_as().fetch_all(&mut *conn).await?;
    Ok(rows
        .into_iter()
        .map(|(id, title, body, category, model)| {
            let about = [category, model].into_iter().flatten().collect();
            (id, ArticleText { title, body, about })
        })
        .collect())
}

/// Reads the documents of `kind` with these ids afresh and writes them: after a reply, a
/// report, a new contact. On PostgreSQL the indexed row is locked first, so two changes to
/// one document at once write it one after the other, the second with both.
pub(crate) async fn refresh(
    tx: &mut Transaction<'_, Any>,
    tenant: &str,
    kind: Kind,
    ids: &[String],
) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    let backend = Backend::of_connection(tx);
    let table = table_of(kind);
    if backend == Backend::Postgres {
        let mut lock = Sql::new(&format!("SELECT id FROM {table} WHERE tenant_id = "));
        lock.text(tenant);
        lock.id_list(" AND id", ids);
        lock.push(" ORDER BY id").push(backend.for_update());
        lock.query().execute(&mut **tx).await?;
    }
    let read_at = stamp();
    let docs = documents(tx, tenant, kind, ids).await?;
    write_docs(tx, tenant, &docs, read_at).await
}

/// The documents of `kind` with these ids, read and cut.
pub(crate) async fn documents(
    conn: &mut AnyConnection,
    tenant: &str,
    kind: Kind,
    ids: &[String],
) -> Result<Vec<DocWords>, StoreError> {
    let doc = |ref_id: String, words: Weighted| DocWords {
        kind,
        ref_id,
        words,
    };
    Ok(match kind {
        Kind::Ticket => ticket_texts(conn, tenant, ids)
            .await?
            .into_iter()
            .map(|(id, _, t)| doc(id, t.words()))
            .collect(),
        Kind::Customer => customer_texts(conn, tenant, ids)
            .await?
            .into_iter()
            .map(|(id, t)| doc(id, t.words()))
            .collect(),
        Kind::Asset => asset_texts(conn, tenant, ids)
            .await?
            .into_iter()
            .map(|(id, t)| doc(id, t.words()))
            .collect(),
        Kind::Article => article_texts(conn, tenant, ids)
            .await?
            .into_iter()
            .map(|(id, t)| doc(id, t.words()))
            .collect(),
    })
}
