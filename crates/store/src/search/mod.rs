//! Search over tickets, customers, assets and knowledge articles: the databases' own full-text indexes over
//! words Loopdesk cut (core::search), so SQLite (FTS5) and PostgreSQL (tsvector, GIN) find
//! the same documents and rank them by the same rule (core's `relevance`).
//!
//! Ranking reads the newest [`WINDOW`] matching documents the caller may see and orders them
//! by relevance; past them, results go on newest first. Ranking every match of a word that
//! half the tickets hold would read half the index on every keystroke; this way the cost of
//! a query is bounded whatever it asks, every match is still reachable by paging, and the
//! recent tickets a desk works on come first among equals.

pub(crate) mod index;
pub(crate) mod reindex;

use std::collections::HashMap;

use loopdesk_core::search::{self, Document, Kind, SearchScope};
use loopdesk_core::ticket::Actor;
use loopdesk_core::validate::FieldError;
use loopdesk_core::Status;
use serde::Serialize;
use utoipa::ToSchema;

use crate::dialect::Backend;
use crate::scope::push_scope;
use crate::sql::Sql;
use crate::{StoreError, TenantStore};

/// Matches ranked by relevance before the rest follow newest first.
pub const WINDOW: i64 = 200;

/// One document found.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SearchHit {
    /// `ticket`, `customer`, `asset` or `article`.
    pub kind: String,
    /// The found object's id.
    pub id: String,
    /// Its title: HTML-escaped text in which only `<mark>` and `</mark>` are markup.
    pub title: String,
    /// A line around the first match, escaped and marked the same way.
    pub snippet: String,
    /// Relevance (higher is better; comparable within one answer only).
    pub score: f64,
    /// A ticket's number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// A ticket's status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
}

/// A page of results, best first.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct SearchPage {
    /// Results.
    pub items: Vec<SearchHit>,
    /// Pass as `cursor` for the next page; null on the last one.
    pub next_cursor: Option<String>,
}

/// Where a page starts: inside the ranked window, or past it (documents older than an id).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cursor {
    Ranked(usize),
    Older(i64),
}

fn parse_cursor(c: &str) -> Result<Cursor, StoreError> {
    let bad = || {
        StoreError::Invalid(FieldError {
            field: "cursor",
            reason: "error.invalid_value",
        })
    };
    let (tag, n) = c.split_at_checked(1).ok_or_else(bad)?;
    match tag {
        "r" => n.parse().map(Cursor::Ranked).map_err(|_| bad()),
        "o" => n.parse().map(Cursor::Older).map_err(|_| bad()),
        _ => Err(bad()),
    }
}

/// The words as an FTS5 query: all of them, in the title and body only unless `internal`.
/// A word holds letters and digits only, so quoting it is enough.
fn fts_query(words: &[String], internal: bool) -> String {
    let all = words
        .iter()
        .map(|w| format!("\"{w}\""))
        .collect::<Vec<_>>()
        .join(" AND ");
    if internal {
        all
    } else {
        format!("{{title body}} : ({all})")
    }
}

/// The words as a `tsquery` value: all of them, at weights A and B only unless `internal`.
fn ts_query(words: &[String], internal: bool) -> String {
    let weights = if internal { "" } else { ":AB" };
    words
        .iter()
        .map(|w| format!("'{w}'{weights}"))
        .collect::<Vec<_>>()
        .join(" & ")
}

/// Appends `AND t.id IN (<tickets holding every word>)` to a query over tickets aliased `t`:
/// the ticket list's text filter, the same words and index as [`TenantStore::search`].
pub(crate) fn push_ticket_match(
    sql: &mut Sql,
    backend: Backend,
    tenant: &str,
    words: &[String],
    internal: bool,
) {
    match backend {
        Backend::Sqlite => {
            sql.push(
                " AND t.id IN (SELECT d.ref_id FROM search_fts JOIN search_docs d \
                 ON d.id = search_fts.rowid WHERE search_fts MATCH ",
            )
            .text(fts_query(words, internal));
        }
        Backend::Postgres => {
            sql.push(" AND t.id IN (SELECT d.ref_id FROM search_docs d WHERE d.words @@ CAST(")
                .text(ts_query(words, internal))
                .push(" AS tsquery)");
        }
    }
    sql.push(" AND d.tenant_id = ")
        .text(tenant)
        .push(" AND d.kind = ")
        .text(Kind::Ticket.as_str())
        .push(")");
}

/// A matching document before it is read.
struct Candidate {
    id: i64,
    kind: String,
    ref_id: String,
    score: f64,
}

impl TenantStore {
    /// Documents holding every word of `q` that `actor` may see, of the `kinds` asked for
    /// (every kind when empty), best first.
    pub async fn search(
        &self,
        actor: &Actor,
        q: &str,
        kinds: &[Kind],
        limit: i64,
        cursor: Option<&str>,
    ) -> Result<SearchPage, StoreError> {
        self.search_ranking(actor, (q, kinds), limit, cursor, WINDOW)
            .await
    }

    /// [`TenantStore::search`] ranking the newest `window` matches.
    pub(crate) async fn search_ranking(
        &self,
        actor: &Actor,
        (q, kinds): (&str, &[Kind]),
        limit: i64,
        cursor: Option<&str>,
        window: i64,
    ) -> Result<SearchPage, StoreError> {
        let field = |field, reason| StoreError::Invalid(FieldError { field, reason });
        if q.trim().is_empty() {
            return Err(field("q", "error.required"));
        }
        if q.chars().count() > search::MAX_QUERY {
            return Err(field("q", "error.too_long"));
        }
        if !(1..=100).contains(&limit) {
            return Err(field("limit", "error.limit_range"));
        }
        let cursor = cursor.map(parse_cursor).transpose()?;
        let words = search::query_words(q);
        let scope = SearchScope::of(actor);
        let kinds = scope.kinds(kinds);
        if words.is_empty() || kinds.is_empty() {
            return Ok(SearchPage::default());
        }
        let limit = limit as usize;
        let (page, next_cursor) = match cursor.unwrap_or(Cursor::Ranked(0)) {
            Cursor::Ranked(offset) => {
                let ranked = self
                    .candidates(&words, &scope, &kinds, None, window)
                    .await?;
                let full = ranked.len() as i64 == window;
                let mut window = ranked;
                let oldest = window.iter().map(|c| c.id).min();
                window.sort_by(|a, b| b.score.total_cmp(&a.score).then(b.id.cmp(&a.id)));
                let end = (offset + limit).min(window.len());
                let next = if end < window.len() {
                    Some(format!("r{end}"))
                } else if full {
                    oldest.map(|id| format!("o{id}"))
                } else {
                    None
                };
                let page: Vec<Candidate> = window.into_iter().skip(offset).take(limit).collect();
                (page, next)
            }
            Cursor::Older(before) => {
                let mut rows = self
                    .candidates(&words, &scope, &kinds, Some(before), limit as i64 + 1)
                    .await?;
                let more = rows.len() > limit;
                rows.truncate(limit);
                let next = more
                    .then(|| rows.last().map(|c| format!("o{}", c.id)))
                    .flatten();
                (rows, next)
            }
        };
        let items = self.hits(page, &words, &scope).await?;
        Ok(SearchPage { items, next_cursor })
    }

    /// The newest `limit` documents (older than `before`) holding every word, that the
    /// scope may see, with their relevance (core's [`search::relevance`]: how many of the
    /// words each holds in its title, read from those documents' titles alone).
    async fn candidates(
        &self,
        words: &[String],
        scope: &SearchScope,
        kinds: &[Kind],
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Candidate>, StoreError> {
        let backend = self.store.backend;
        let mut sql = match backend {
            Backend::Sqlite => {
                let mut sql = Sql::new(
                    "SELECT d.id, d.kind, d.ref_id \
                     FROM search_fts JOIN search_docs d ON d.id = search_fts.rowid \
                     WHERE search_fts MATCH ",
                );
                sql.text(fts_query(words, scope.internal));
                if let Some(b) = before {
                    sql.push(" AND search_fts.rowid < ").int(b);
                }
                sql
            }
            Backend::Postgres => {
                let mut sql = Sql::new(
                    "SELECT d.id, d.kind, d.ref_id FROM search_docs d WHERE d.words @@ CAST(",
                );
                sql.text(ts_query(words, scope.internal))
                    .push(" AS tsquery)");
                if let Some(b) = before {
                    sql.push(" AND d.id < ").int(b);
                }
                sql
            }
        };
        sql.push(" AND d.tenant_id = ").text(self.tid());
        sql.push(" AND (");
        for (i, kind) in kinds.iter().enumerate() {
            if i > 0 {
                sql.push(" OR ");
            }
            self.push_kind(&mut sql, *kind, scope);
        }
        sql.push(")");
        let order = match backend {
            Backend::Sqlite => " ORDER BY search_fts.rowid DESC LIMIT ",
            Backend::Postgres => " ORDER BY d.id DESC LIMIT ",
        };
        sql.push(order).int(limit);
        let mut tx = self.store.read.begin().await?;
        if backend == Backend::Postgres {
            // Planned for the words at hand: a rare word is a few index entries, a common
            // one is cheaper read newest first until the window is full.
            sqlx::query("SET LOCAL plan_cache_mode = force_custom_plan")
                .execute(&mut *tx)
                .await?;
        }
        let rows: Vec<(i64, String, String)> = sql.query_as().fetch_all(&mut *tx).await?;
        tx.commit().await?;
        // The titles of these documents alone: a bounded read (a key lookup each), where
        // asking the index where each word stands would walk whole posting lists.
        let ids_of = |kind: Kind| -> Vec<String> {
            rows.iter()
                .filter(|r| r.1 == kind.as_str())
                .map(|r| r.2.clone())
                .collect()
        };
        let mut conn = self.store.read.acquire().await?;
        let tid = self.tid();
        let mut titles: HashMap<(String, String), Vec<String>> = HashMap::new();
        for kind in Kind::ALL {
            for (id, title) in index::titles(&mut conn, &tid, kind, &ids_of(kind)).await? {
                titles.insert((kind.as_str().to_owned(), id), title);
            }
        }
        Ok(rows
            .into_iter()
            .map(|(id, kind, ref_id)| {
                let held = titles.get(&(kind.clone(), ref_id.clone())).map_or(0, |t| {
                    let parts: Vec<&str> = t.iter().map(String::as_str).collect();
                    search::in_title(&parts, words)
                });
                Candidate {
                    score: search::relevance(words.len(), held),
                    id,
                    kind,
                    ref_id,
                }
            })
            .collect())
    }

    /// The condition for documents of `kind` that the scope may see (documents aliased `d`).
    fn push_kind(&self, sql: &mut Sql, kind: Kind, scope: &SearchScope) {
        sql.push("(d.kind = ").text(kind.as_str());
        match kind {
            Kind::Ticket if !scope.tickets.all => {
                sql.push(
                    " AND EXISTS (SELECT 1 FROM tickets t WHERE t.tenant_id = d.tenant_id \
                     AND t.id = d.ref_id",
                );
                push_scope(sql, &scope.tickets);
                sql.push(")");
            }
            Kind::Asset => {
                if let Some(Some(owner)) = scope.assets {
                    sql.push(
                        " AND EXISTS (SELECT 1 FROM assets a WHERE a.tenant_id = d.tenant_id \
                         AND a.id = d.ref_id AND a.customer_id = ",
                    )
                    .text(owner.to_string())
                    .push(")");
                }
            }
            Kind::Article => {
                let readable = crate::scope::readable_sql(scope.articles);
                if !readable.is_empty() {
                    sql.push(
                        " AND EXISTS (SELECT 1 FROM articles a WHERE a.tenant_id = d.tenant_id \
                         AND a.id = d.ref_id",
                    )
                    .push(readable)
                    .push(")");
                }
            }
            _ => {}
        }
        sql.push(")");
    }

    /// The page's documents read and shown: title and snippet marked, tickets with number
    /// and status.
    async fn hits(
        &self,
        page: Vec<Candidate>,
        words: &[String],
        scope: &SearchScope,
    ) -> Result<Vec<SearchHit>, StoreError> {
        let ids_of = |kind: Kind| -> Vec<String> {
            page.iter()
                .filter(|c| c.kind == kind.as_str())
                .map(|c| c.ref_id.clone())
                .collect()
        };
        let tid = self.tid();
        let mut conn = self.store.read.acquire().await?;
        let mut shown: HashMap<(String, String), SearchHit> = HashMap::new();
        let mut put = |kind: Kind, id: String, doc: &dyn Document, number, status| {
            let hit = SearchHit {
                kind: kind.as_str().to_owned(),
                id: id.clone(),
                title: doc.title_html(words),
                snippet: doc.snippet_html(words, scope.internal),
                score: 0.0,
                number,
                status,
            };
            shown.insert((kind.as_str().to_owned(), id), hit);
        };
        for (id, status, text) in
            index::ticket_texts(&mut conn, &tid, &ids_of(Kind::Ticket)).await?
        {
            let number = Some(text.number.clone());
            put(Kind::Ticket, id, &text, number, Status::parse(&status));
        }
        for (id, text) in index::customer_texts(&mut conn, &tid, &ids_of(Kind::Customer)).await? {
            put(Kind::Customer, id, &text, None, None);
        }
        for (id, text) in index::asset_texts(&mut conn, &tid, &ids_of(Kind::Asset)).await? {
            put(Kind::Asset, id, &text, None, None);
        }
        for (id, text) in index::article_texts(&mut conn, &tid, &ids_of(Kind::Article)).await? {
            put(Kind::Article, id, &text, None, None);
        }
        // A document whose object went since the index answered is left out.
        Ok(page
            .into_iter()
            .filter_map(|c| {
                let mut hit = shown.remove(&(c.kind, c.ref_id))?;
                hit.score = c.score;
                Some(hit)
            })
            .collect())
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
