//! Carrying a tenant in: rows written in batches in one transaction, checked before commit.

use std::collections::BTreeMap;

use serde_json::Value;
use sqlx::{Any, Transaction};

use super::{ident, sums, Column, ColumnKind, SelfRef, TenantTable, BATCH_ROWS};
use crate::backup::TableSum;
use crate::StoreError;

/// A tenant being carried in, in one transaction: tables in the archive's order, each
/// announced with its columns, then its rows.
pub struct TenantImport {
    tx: Transaction<'static, Any>,
    tenant_id: String,
    tables: BTreeMap<String, TenantTable>,
    /// The table being written, with the archive's columns.
    current: Option<(TenantTable, Vec<Column>)>,
    pending: Vec<Vec<Value>>,
    /// Self references to set once the table is in: (table, column, target, row's target
    /// value, value).
    later: Vec<(String, SelfRef, Value, Value)>,
    rows: BTreeMap<String, u64>,
}

impl TenantImport {
    /// An import into `tx` of the tenant `tenant_id`, into these tables.
    pub(super) fn new(
        tx: Transaction<'static, Any>,
        tenant_id: String,
        tables: BTreeMap<String, TenantTable>,
    ) -> TenantImport {
        TenantImport {
            tx,
            tenant_id,
            tables,
            current: None,
            pending: Vec::new(),
            later: Vec::new(),
            rows: BTreeMap::new(),
        }
    }

    /// Announces the next table and the columns its rows come in. A table or column this
    /// install does not have (an archive of a newer Loopdesk) is refused.
    pub async fn table(&mut self, name: &str, columns: &[String]) -> Result<(), StoreError> {
        self.flush().await?;
        let table = self.tables.get(name).cloned().ok_or_else(|| {
            StoreError::Corrupt(format!("this install has no table {name} to import into"))
        })?;
        let mut cols = Vec::with_capacity(columns.len());
        for c in columns {
            let col = table.columns.iter().find(|k| &k.name == c).ok_or_else(|| {
                StoreError::Corrupt(format!("this install's {name} has no column {c}"))
            })?;
            cols.push(col.clone());
        }
        self.rows.insert(name.to_owned(), 0);
        self.current = Some((table, cols));
        Ok(())
    }

    /// One row of the announced table, its values in the announced columns' order.
    pub async fn row(&mut self, values: Vec<Value>) -> Result<(), StoreError> {
        let Some((table, cols)) = &self.current else {
            return Err(StoreError::Corrupt("a row before its table".into()));
        };
        if values.len() != cols.len() {
            return Err(StoreError::Corrupt(format!(
                "a row of {} has {} values for {} columns",
                table.name,
                values.len(),
                cols.len()
            )));
        }
        self.pending.push(values);
        if let Some(n) = self.rows.get_mut(&table.name) {
            *n += 1;
        }
        if self.pending.len() >= BATCH_ROWS {
            self.flush().await?;
        }
        Ok(())
    }

    /// Writes the rows held back.
    async fn flush(&mut self) -> Result<(), StoreError> {
        let Some((table, cols)) = &self.current else {
            return Ok(());
        };
        if self.pending.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.pending);
        // Self references are written NULL and set at the end.
        let held: Vec<Option<&SelfRef>> = cols
            .iter()
            .map(|c| table.self_refs.iter().find(|r| r.column == c.name))
            .collect();
        let mut sql = format!(
            "INSERT INTO {} ({}) VALUES ",
            ident(&table.name),
            cols.iter()
                .map(|c| ident(&c.name))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut n = 0;
        for (i, _) in rows.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for j in 0..cols.len() {
                if j > 0 {
                    sql.push_str(", ");
                }
                n += 1;
                sql.push_str(&format!("${n}"));
            }
            sql.push(')');
        }
        let mut query = sqlx::query(&sql);
        for row in &rows {
            for ((value, col), self_ref) in row.iter().zip(cols).zip(&held) {
                if let (Some(r), false) = (self_ref, value.is_null()) {
                    let key = cols
                        .iter()
                        .position(|c| c.name == r.target)
                        .and_then(|k| row.get(k))
                        .cloned()
                        .ok_or_else(|| {
                            StoreError::Corrupt(format!(
                                "{} names itself by {}, which the archive lacks",
                                table.name, r.target
                            ))
                        })?;
                    self.later
                        .push((table.name.clone(), (*r).clone(), key, value.clone()));
                    query = bind(query, col.kind, &Value::Null, &table.name)?;
                } else {
                    query = bind(query, col.kind, value, &table.name)?;
                }
            }
        }
        query.execute(&mut *self.tx).await?;
        Ok(())
    }

    /// Writes what is held back and sets the self references; the rows written, by table.
    /// Nothing is visible to others until [`TenantImport::commit`].
    pub async fn complete(&mut self) -> Result<BTreeMap<String, u64>, StoreError> {
        self.flush().await?;
        for (table, r, key, value) in std::mem::take(&mut self.later) {
            let kind = |name: &str| {
                self.tables
                    .get(&table)
                    .and_then(|t| t.columns.iter().find(|c| c.name == name))
                    .map_or(ColumnKind::Text, |c| c.kind)
            };
            let sql = format!(
                "UPDATE {} SET {} = $1 WHERE {} = $2",
                ident(&table),
                ident(&r.column),
                ident(&r.target)
            );
            let query = bind(sqlx::query(&sql), kind(&r.column), &value, &table)?;
            bind(query, kind(&r.target), &key, &table)?
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(self.rows.clone())
    }

    /// The fingerprints of the rows written, as the transaction sees them (to check against
    /// the archive's before committing).
    pub async fn sums(&mut self) -> Result<BTreeMap<String, TableSum>, StoreError> {
        let tables: Vec<TenantTable> = self.tables.values().cloned().collect();
        sums(&mut self.tx, &tables, &self.tenant_id).await
    }

    /// Makes the tenant visible.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }
}

type AnyQuery<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>;

/// Binds one archived value as a column of `kind`.
fn bind<'q>(
    query: AnyQuery<'q>,
    kind: ColumnKind,
    value: &Value,
    table: &str,
) -> Result<AnyQuery<'q>, StoreError> {
    let bad = || StoreError::Corrupt(format!("a value of {table} is not a {kind:?}: {value}"));
    Ok(match (kind, value) {
        (ColumnKind::Int, Value::Null) => query.bind(None::<i64>),
        (ColumnKind::Int, v) => query.bind(v.as_i64().ok_or_else(bad)?),
        (ColumnKind::Real, Value::Null) => query.bind(None::<f64>),
        (ColumnKind::Real, Value::String(v)) => query.bind(v.parse::<f64>().map_err(|_| bad())?),
        (ColumnKind::Text, Value::Null) => query.bind(None::<String>),
        (ColumnKind::Text, Value::String(s)) => query.bind(s.clone()),
        (ColumnKind::Bytes, Value::Null) => query.bind(None::<Vec<u8>>),
        (ColumnKind::Bytes, Value::String(s)) => query.bind(hex::decode(s).map_err(|_| bad())?),
        _ => return Err(bad()),
    })
}
