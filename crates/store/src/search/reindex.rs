//! Building the search index anew from the tables: after an upgrade that adds it, or on
//! `loopdesk search reindex`. Runs beside live writes: each batch is read, cut on the
//! blocking threads (both cores), then written in a short transaction that keeps any
//! document a live write stored after the batch was read.

use loopdesk_core::search::{Document, Kind};

use super::index::{self, DocWords};
use crate::{Store, StoreError};

/// Objects read and cut at a time.
const BATCH: i64 = 1000;

/// What a rebuild did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reindexed {
    /// Documents written.
    pub documents: u64,
    /// Documents removed because their object is gone.
    pub removed: u64,
}

impl Store {
    /// How many documents a full rebuild writes (tickets, customers, assets and articles of
    /// every tenant).
    pub async fn search_sources(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM tickets) + (SELECT COUNT(*) FROM customers) \
             + (SELECT COUNT(*) FROM assets) + (SELECT COUNT(*) FROM articles)",
        )
        .fetch_one(&self.read)
        .await?;
        Ok(n.max(0) as u64)
    }

    /// True when the index holds nothing while there is something to index (a database
    /// from before search): [`Store::migrate`] then builds it.
    pub(crate) async fn search_index_missing(&self) -> Result<bool, StoreError> {
        let docs: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM (SELECT 1 FROM search_docs LIMIT 1) d")
                .fetch_one(&self.read)
                .await?;
        Ok(docs == 0 && self.search_sources().await? > 0)
    }

    /// Rebuilds every document of every tenant, calling `progress(done, total)` after each
    /// batch, then removes documents whose object is gone.
    pub async fn reindex_search(
        &self,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<Reindexed, StoreError> {
        let total = self.search_sources().await?;
        let tenants: Vec<String> = sqlx::query_scalar("SELECT id FROM tenants ORDER BY id")
            .fetch_all(&self.read)
            .await?;
        let mut done = Reindexed::default();
        progress(0, total);
        for tenant in &tenants {
            self.reindex_tenant(tenant, &mut done, &mut |n| progress(n, total))
                .await?;
        }
        for kind in Kind::ALL {
            done.removed += self.remove_orphans(kind, index::table_of(kind)).await?;
        }
        if let Some(optimize) = self.backend.search_optimize() {
            sqlx::query(optimize).execute(&self.write).await?;
        }
        Ok(done)
    }

    /// Builds every document of one tenant (after it is carried in from another install).
    pub async fn reindex_tenant_search(&self, tenant_id: &str) -> Result<u64, StoreError> {
        let mut done = Reindexed::default();
        self.reindex_tenant(tenant_id, &mut done, &mut |_| {})
            .await?;
        Ok(done.documents)
    }

    /// Writes every document of `tenant`, counting them in `done`.
    async fn reindex_tenant(
        &self,
        tenant: &str,
        done: &mut Reindexed,
        progress: &mut impl FnMut(u64),
    ) -> Result<(), StoreError> {
        for kind in Kind::ALL {
            let table = index::table_of(kind);
            let mut after = String::new();
            loop {
                let ids: Vec<String> = sqlx::query_scalar(&format!(
                    "SELECT id FROM {table} WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3"
                ))
                .bind(tenant)
                .bind(&after)
                .bind(BATCH)
                .fetch_all(&self.read)
                .await?;
                let Some(last) = ids.last() else { break };
                after.clone_from(last);
                let read_at = index::stamp();
                let docs = self.read_and_cut(tenant, kind, &ids).await?;
                let mut tx = self.write.begin().await?;
                index::write_docs(&mut tx, tenant, &docs, read_at).await?;
                tx.commit().await?;
                done.documents += docs.len() as u64;
                progress(done.documents);
            }
        }
        Ok(())
    }

    /// The documents of these objects, their text read on a reader and cut on two blocking
    /// threads.
    async fn read_and_cut(
        &self,
        tenant: &str,
        kind: Kind,
        ids: &[String],
    ) -> Result<Vec<DocWords>, StoreError> {
        let mut conn = self.read.acquire().await?;
        let texts: Vec<(String, Box<dyn Document + Send>)> = match kind {
            Kind::Ticket => boxed(
                index::ticket_texts(&mut conn, tenant, ids)
                    .await?
                    .into_iter()
                    .map(|(id, _, t)| (id, t)),
            ),
            Kind::Customer => boxed(index::customer_texts(&mut conn, tenant, ids).await?),
            Kind::Asset => boxed(index::asset_texts(&mut conn, tenant, ids).await?),
            Kind::Article => boxed(index::article_texts(&mut conn, tenant, ids).await?),
        };
        drop(conn);
        let mut halves = texts;
        let second = halves.split_off(halves.len() / 2);
        let cut = |part: Vec<(String, Box<dyn Document + Send>)>| {
            tokio::task::spawn_blocking(move || {
                part.into_iter()
                    .map(|(ref_id, doc)| DocWords {
                        kind,
                        ref_id,
                        words: doc.words(),
                    })
                    .collect::<Vec<_>>()
            })
        };
        let (a, b) = tokio::join!(cut(halves), cut(second));
        let join = |e: tokio::task::JoinError| StoreError::Corrupt(format!("cutting words: {e}"));
        let mut docs = a.map_err(join)?;
        docs.extend(b.map_err(join)?);
        Ok(docs)
    }

    /// Removes documents of `kind` whose object no longer exists.
    async fn remove_orphans(&self, kind: Kind, table: &str) -> Result<u64, StoreError> {
        let orphans: Vec<(String, String)> = sqlx::query_as(&format!(
            "SELECT d.tenant_id, d.ref_id FROM search_docs d WHERE d.kind = $1 AND NOT EXISTS \
             (SELECT 1 FROM {table} o WHERE o.tenant_id = d.tenant_id AND o.id = d.ref_id)"
        ))
        .bind(kind.as_str())
        .fetch_all(&self.read)
        .await?;
        let mut tx = self.write.begin().await?;
        for (tenant, id) in &orphans {
            index::delete_docs(&mut tx, tenant, kind, std::slice::from_ref(id)).await?;
        }
        tx.commit().await?;
        Ok(orphans.len() as u64)
    }
}

fn boxed<T: Document + Send + 'static>(
    texts: impl IntoIterator<Item = (String, T)>,
) -> Vec<(String, Box<dyn Document + Send>)> {
    texts
        .into_iter()
        .map(|(id, t)| (id, Box::new(t) as Box<dyn Document + Send>))
        .collect()
}

/// How big the index is beside the text it covers, in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IndexSize {
    /// The index: `search_docs` with its indexes, and the words (FTS5's tables on SQLite,
    /// the `tsvector` column and its GIN index on PostgreSQL).
    pub index: u64,
    /// Of which the document map (`search_docs` and its key): what each document is.
    pub map: u64,
    /// The text indexed: tickets' numbers, subjects, descriptions, comments and resolutions.
    pub text: u64,
}

impl Store {
    /// Brings the planner's statistics up to date (after a bulk load: PostgreSQL plans a
    /// search by how common its words are, which it knows once the table is analysed).
    pub async fn analyze(&self) -> Result<(), StoreError> {
        sqlx::query("ANALYZE").execute(&self.write).await?;
        Ok(())
    }

    /// The index's size on disk and the size of the ticket text it covers (for benchmarks
    /// and operators).
    pub async fn search_index_size(&self) -> Result<IndexSize, StoreError> {
        let (index, map, bytes) = match self.backend {
            crate::Backend::Sqlite => (
                "SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name LIKE 'search\\_%' ESCAPE '\\'",
                "SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name IN ('search_docs', 'search_docs_ref')",
                "length(CAST({} AS BLOB))",
            ),
            crate::Backend::Postgres => (
                "SELECT CAST(pg_total_relation_size('search_docs') AS BIGINT)",
                "SELECT CAST(pg_relation_size('search_docs_ref') + pg_relation_size('search_docs_pkey') AS BIGINT)",
                "octet_length({})",
            ),
        };
        let index: i64 = sqlx::query_scalar(index).fetch_one(&self.read).await?;
        let map: i64 = sqlx::query_scalar(map).fetch_one(&self.read).await?;
        let b = |col: &str| bytes.replace("{}", col);
        let text: i64 = sqlx::query_scalar(&format!(
            "SELECT (SELECT COALESCE(SUM({} + {} + {}), 0) FROM tickets) \
             + (SELECT COALESCE(SUM({}), 0) FROM comments) \
             + (SELECT COALESCE(SUM({}), 0) FROM work_reports)",
            b("number"),
            b("subject"),
            b("description"),
            b("body"),
            b("resolution"),
        ))
        .fetch_one(&self.read)
        .await?;
        Ok(IndexSize {
            index: index.max(0) as u64,
            map: map.max(0) as u64,
            text: text.max(0) as u64,
        })
    }
}
