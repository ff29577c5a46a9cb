//! A whole tenant carried out of an install (export), into another (import), or erased.
//! Which tables hold a tenant's rows is read from the database's own catalogue — every table
//! with a `tenant_id`, and a table without one that hangs on such a table by a foreign key —
//! so a table added by a later migration is carried without a change here. Tables are read
//! and written in the order their foreign keys need; columns the database numbers itself
//! (an identity, SQLite's `INTEGER PRIMARY KEY`) are left out and numbered anew by the
//! target, in the source's order. The search index is not carried (it is rebuilt from the
//! rows), nor are files (the caller carries them through [`crate::blobs::Blobs`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::backup::TableSum;
mod catalogue;
mod import;

pub use import::TenantImport;

use crate::{ms, Backend, Store, StoreError};

/// Tables never carried though they name a tenant: the search index (rebuilt from the rows)
/// and the files' parts (carried as files).
const NOT_CARRIED: &[&str] = &["search_docs", "blob_parts"];

/// Columns never carried: what the install grants, not the tenant (a platform operator of one
/// install is nobody special in another).
const INSTALL_COLUMNS: &[(&str, &str)] = &[("users", "platform_operator")];

/// Rows written in one statement on import.
const BATCH_ROWS: usize = 200;

/// How a column's values are read and bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnKind {
    /// A 64-bit integer.
    Int,
    /// A double (as text in an archive: Rust writes the shortest digits that read back as the
    /// same double, and reads them back exactly, which a JSON number does not promise).
    Real,
    /// Text.
    Text,
    /// Bytes (hex in an archive).
    Bytes,
}

/// One carried column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: ColumnKind,
}

/// How a table's rows belong to a tenant.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Owner {
    /// The `tenants` table: the row whose `id` is the tenant's.
    Itself,
    /// A `tenant_id` column.
    TenantId,
    /// A foreign key `column` to `parent`'s `target`, `parent` having a `tenant_id`.
    Via {
        column: String,
        parent: String,
        target: String,
    },
}

/// A foreign key of a table to itself: written NULL first, set once every row is in.
#[derive(Clone, Debug, PartialEq, Eq)]
struct SelfRef {
    column: String,
    target: String,
}

/// A table that holds a tenant's rows, with its carried columns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantTable {
    /// Name.
    pub name: String,
    /// Carried columns (every column but those the database numbers).
    pub columns: Vec<Column>,
    /// The column the database numbers, if any: rows are read in its order.
    numbered: Option<String>,
    owner: Owner,
    self_refs: Vec<SelfRef>,
}

impl TenantTable {
    /// `SELECT <columns> FROM <table> WHERE <the tenant's rows>`, the tenant id as `$1`.
    fn select(&self) -> String {
        let columns = self
            .columns
            .iter()
            .map(|c| ident(&c.name))
            .collect::<Vec<_>>()
            .join(", ");
        let order = self
            .numbered
            .as_deref()
            .map(|c| format!(" ORDER BY {}", ident(c)))
            .unwrap_or_default();
        format!(
            "SELECT {columns} FROM {} WHERE {}{order}",
            ident(&self.name),
            self.owned()
        )
    }

    /// The condition that picks the tenant's rows, the tenant id as `$1`.
    fn owned(&self) -> String {
        match &self.owner {
            Owner::Itself => "id = $1".into(),
            Owner::TenantId => "tenant_id = $1".into(),
            Owner::Via {
                column,
                parent,
                target,
            } => format!(
                "{} IN (SELECT {} FROM {} WHERE tenant_id = $1)",
                ident(column),
                ident(target),
                ident(parent)
            ),
        }
    }
}

/// A name from the catalogue, quoted as an identifier.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// What an erase removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Erased {
    /// Rows removed, by table.
    pub rows: BTreeMap<String, u64>,
}

/// The tenant an archive holds: its id and slug.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarriedTenant {
    /// Id.
    pub id: String,
    /// Slug.
    pub slug: String,
}

impl Store {
    /// A read of the whole install at one moment (a repeatable-read transaction), for an
    /// export that is consistent while the tenant works on.
    pub async fn tenant_snapshot(&self) -> Result<TenantSnapshot, StoreError> {
        let mut tx = self.read.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        Ok(TenantSnapshot {
            tables: self.tenant_tables().await?,
            tx,
        })
    }

    /// The fingerprints of a tenant's rows, by table (see [`TenantSnapshot::sums`]).
    pub async fn tenant_sums(
        &self,
        tenant_id: &str,
    ) -> Result<BTreeMap<String, TableSum>, StoreError> {
        self.tenant_snapshot().await?.sums(tenant_id).await
    }

    /// True when this install has a tenant of that id or slug.
    pub async fn tenant_taken(&self, tenant: &CarriedTenant) -> Result<bool, StoreError> {
        let taken: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM tenants WHERE id = $1 OR slug = $2")
                .bind(&tenant.id)
                .bind(&tenant.slug)
                .fetch_one(&self.read)
                .await?;
        Ok(taken > 0)
    }

    /// Starts carrying a tenant in: refused with `Conflict{tenant}` when this install already
    /// has a tenant of that id or slug. Nothing is visible until [`TenantImport::finish`].
    pub async fn begin_tenant_import(
        &self,
        tenant: &CarriedTenant,
    ) -> Result<TenantImport, StoreError> {
        if self.tenant_taken(tenant).await? {
            return Err(StoreError::Conflict { field: "tenant" });
        }
        let tables = self
            .tenant_tables()
            .await?
            .into_iter()
            .map(|t| (t.name.clone(), t))
            .collect();
        let mut tx = self.write.begin().await?;
        if self.backend == Backend::Sqlite {
            // Rows of one table may name each other in any order; checked at commit.
            sqlx::query("PRAGMA defer_foreign_keys = ON")
                .execute(&mut *tx)
                .await?;
        }
        Ok(TenantImport::new(tx, tenant.id.clone(), tables))
    }

    /// Erases a suspended tenant: every row of it in every table (the append-only ledgers
    /// included: the tenant is marked as being erased in the same transaction) and its search
    /// documents. Its files are the caller's to delete (their keys start with its id).
    /// `NotFound` for an unknown slug; refused while the tenant is not suspended.
    pub async fn erase_tenant(&self, slug: &str, now: DateTime<Utc>) -> Result<Erased, StoreError> {
        let tenant = self
            .tenant_by_slug(slug)
            .await?
            .ok_or(StoreError::NotFound)?;
        let id = tenant.id.to_string();
        let tables = self.tenant_tables().await?;
        let mut tx = self.write.begin().await?;
        let marked = sqlx::query(
            "UPDATE tenants SET erasing_at = $1 WHERE id = $2 AND suspended_at IS NOT NULL",
        )
        .bind(ms(now))
        .bind(&id)
        .execute(&mut *tx)
        .await?;
        if marked.rows_affected() == 0 {
            return Err(StoreError::Refused {
                reason: "tenant.erase_needs_suspension",
                gone: false,
            });
        }
        if self.backend == Backend::Sqlite {
            sqlx::query(
                "DELETE FROM search_fts WHERE rowid IN (SELECT id FROM search_docs WHERE tenant_id = $1)",
            )
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("DELETE FROM search_docs WHERE tenant_id = $1")
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        let mut erased = Erased::default();
        for table in &tables {
            for r in &table.self_refs {
                sqlx::query(&format!(
                    "UPDATE {} SET {} = NULL WHERE {}",
                    ident(&table.name),
                    ident(&r.column),
                    table.owned()
                ))
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            }
        }
        for table in tables.iter().rev() {
            let done = sqlx::query(&format!(
                "DELETE FROM {} WHERE {}",
                ident(&table.name),
                table.owned()
            ))
            .bind(&id)
            .execute(&mut *tx)
            .await?;
            erased.rows.insert(table.name.clone(), done.rows_affected());
        }
        tx.commit().await?;
        self.settings.forget(tenant.id);
        Ok(erased)
    }
}

/// The install as it was at one moment.
pub struct TenantSnapshot {
    tx: Transaction<'static, Any>,
    /// Every table that holds a tenant's rows, parents first.
    pub tables: Vec<TenantTable>,
}

impl TenantSnapshot {
    /// Calls `each` with every row of `table` that belongs to the tenant, values in the
    /// order of [`TenantTable::columns`], streamed (never the whole table in memory).
    pub async fn each_row(
        &mut self,
        table: &TenantTable,
        tenant_id: &str,
        each: impl FnMut(Vec<Value>) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError> {
        each_row(&mut self.tx, table, tenant_id, each).await
    }

    /// Every carried table's fingerprint of the tenant's rows: SHA-256 over the sorted
    /// hashes of the rows (each its values as JSON), so two installs holding the same
    /// tenant give the same sums whatever order they keep rows in.
    pub async fn sums(
        &mut self,
        tenant_id: &str,
    ) -> Result<BTreeMap<String, TableSum>, StoreError> {
        sums(&mut self.tx, &self.tables, tenant_id).await
    }
}

/// Calls `each` with every row of `table` that belongs to the tenant.
async fn each_row(
    conn: &mut sqlx::AnyConnection,
    table: &TenantTable,
    tenant_id: &str,
    mut each: impl FnMut(Vec<Value>) -> Result<(), StoreError>,
) -> Result<u64, StoreError> {
    let sql = table.select();
    let mut rows = sqlx::query(&sql).bind(tenant_id).fetch(conn);
    let mut n = 0;
    while let Some(row) = rows.try_next().await? {
        each(values_of(&row, &table.columns)?)?;
        n += 1;
    }
    Ok(n)
}

/// The fingerprints of a tenant's rows in `tables`.
async fn sums(
    conn: &mut sqlx::AnyConnection,
    tables: &[TenantTable],
    tenant_id: &str,
) -> Result<BTreeMap<String, TableSum>, StoreError> {
    let mut out = BTreeMap::new();
    for table in tables {
        let mut sum = RowSums::default();
        each_row(&mut *conn, table, tenant_id, |row| {
            sum.add(&row);
            Ok(())
        })
        .await?;
        out.insert(table.name.clone(), sum.finish());
    }
    Ok(out)
}

/// A row's values as JSON (bytes as hex).
fn values_of(row: &AnyRow, columns: &[Column]) -> Result<Vec<Value>, StoreError> {
    columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            Ok(match c.kind {
                ColumnKind::Int => row
                    .try_get::<Option<i64>, _>(i)?
                    .map_or(Value::Null, Value::from),
                ColumnKind::Real => row
                    .try_get::<Option<f64>, _>(i)?
                    .map_or(Value::Null, |v| Value::String(v.to_string())),
                ColumnKind::Text => row
                    .try_get::<Option<String>, _>(i)?
                    .map_or(Value::Null, Value::String),
                ColumnKind::Bytes => row
                    .try_get::<Option<Vec<u8>>, _>(i)?
                    .map_or(Value::Null, |b| Value::String(hex::encode(b))),
            })
        })
        .collect()
}

/// Builds a table's fingerprint row by row.
#[derive(Default)]
pub struct RowSums {
    hashes: Vec<[u8; 32]>,
}

impl RowSums {
    /// Counts one row.
    pub fn add(&mut self, row: &[Value]) {
        let text = serde_json::to_string(row).unwrap_or_default();
        self.hashes.push(Sha256::digest(text.as_bytes()).into());
    }

    /// The fingerprint of the rows counted.
    pub fn finish(mut self) -> TableSum {
        self.hashes.sort_unstable();
        let mut hash = Sha256::new();
        for h in &self.hashes {
            hash.update(h);
        }
        TableSum {
            rows: self.hashes.len() as u64,
            sha256: hex::encode(hash.finalize()),
        }
    }
}
