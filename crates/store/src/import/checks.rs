//! What an import batch names must exist: its customers, regions, teams and users, checked
//! at once, each missing one reported with its row and field.

use crate::sql::Sql;
use crate::{RowError, StoreError};
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// A customer, region, team or user a batch names: its table, the field that names it, its
/// id and the batch row (from 1).
pub(crate) struct Reference {
    pub(crate) table: &'static str,
    pub(crate) field: &'static str,
    pub(crate) id: String,
    pub(crate) row: usize,
}

/// The ids a batch names, each once, by table: gathered before the batch's transaction, so
/// that inside it only the lookups run.
pub(crate) type Named<'a> = BTreeMap<&'static str, BTreeSet<&'a str>>;

pub(crate) fn named(refs: &[Reference]) -> Named<'_> {
    let mut tables = Named::new();
    for r in refs {
        tables.entry(r.table).or_default().insert(r.id.as_str());
    }
    tables
}

/// Refuses a batch naming a customer, region, team or user the tenant does not have, with
/// every row and field at fault, and a batch for a tenant that does not exist. The foreign
/// keys would refuse most of these too, but not another tenant's; and a bulk import defers
/// them on PostgreSQL, and on SQLite this check stands in for them.
pub(crate) async fn check_references(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: crate::Backend,
    tenant: &str,
    named: &Named<'_>,
    refs: &[Reference],
) -> Result<(), StoreError> {
    let tenants: Vec<(String,)> = Sql::new("SELECT id FROM tenants WHERE id = ")
        .text(tenant)
        .positional_for(backend)
        .query_as()
        .fetch_all(&mut **tx)
        .await?;
    if tenants.is_empty() {
        return Err(StoreError::NotFound);
    }
    let mut missing = false;
    let mut known: BTreeMap<&str, HashSet<String>> = BTreeMap::new();
    for (&table, ids) in named {
        let ids: Vec<&str> = ids.iter().copied().collect();
        let found = known.entry(table).or_default();
        for chunk in ids.chunks(1_000) {
            let mut sql = Sql::new(&format!("SELECT id FROM {table} WHERE tenant_id = "));
            sql.text(tenant).push(" AND id IN (");
            for (i, id) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.text(*id);
            }
            sql.push(")");
            let rows: Vec<(String,)> = sql
                .positional_for(backend)
                .query_as()
                .fetch_all(&mut **tx)
                .await?;
            found.extend(rows.into_iter().map(|(id,)| id));
        }
        missing |= found.len() < ids.len();
    }
    if !missing {
        return Ok(());
    }
    let mut errors: Vec<RowError> = refs
        .iter()
        .filter(|r| known.get(r.table).is_none_or(|ids| !ids.contains(&r.id)))
        .map(|r| RowError {
            row: r.row,
            field: r.field,
            reason: "error.unknown_id",
        })
        .collect();
    let mut seen = HashSet::new();
    errors.retain(|e| seen.insert((e.row, e.field)));
    Err(StoreError::Rows(errors))
}
