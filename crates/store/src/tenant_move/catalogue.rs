//! Which tables hold a tenant's rows, read from the database's own catalogue, in the order
//! their foreign keys need.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{Column, ColumnKind, Owner, SelfRef, TenantTable, INSTALL_COLUMNS, NOT_CARRIED};
use crate::{Backend, Store, StoreError};

/// One column as the catalogue describes it.
struct CatalogueColumn {
    name: String,
    kind: Option<ColumnKind>,
    numbered: bool,
}

/// One single-column foreign key: `table.column` → `parent.target`.
struct ForeignKey {
    table: String,
    column: String,
    parent: String,
    target: String,
}

impl Store {
    /// Every table that holds a tenant's rows, parents before children.
    pub async fn tenant_tables(&self) -> Result<Vec<TenantTable>, StoreError> {
        let names: Vec<String> = match self.backend {
            Backend::Sqlite => sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND sql NOT LIKE 'CREATE VIRTUAL%' \
                 ORDER BY name",
            ),
            Backend::Postgres => sqlx::query_scalar(
                "SELECT CAST(table_name AS TEXT) FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
            ),
        }
        .fetch_all(&self.read)
        .await?;
        let keys = self.foreign_keys().await?;
        let mut columns = BTreeMap::new();
        for name in &names {
            columns.insert(name.clone(), self.catalogue_columns(name).await?);
        }
        let has_tenant = |t: &str| {
            columns
                .get(t)
                .is_some_and(|cs: &Vec<CatalogueColumn>| cs.iter().any(|c| c.name == "tenant_id"))
        };
        let mut tables = BTreeMap::new();
        for (name, cols) in &columns {
            if NOT_CARRIED.contains(&name.as_str()) {
                continue;
            }
            let owner = if name == "tenants" {
                Owner::Itself
            } else if has_tenant(name) {
                Owner::TenantId
            } else if let Some(k) = keys
                .iter()
                .find(|k| &k.table == name && k.parent != *name && has_tenant(&k.parent))
            {
                Owner::Via {
                    column: k.column.clone(),
                    parent: k.parent.clone(),
                    target: k.target.clone(),
                }
            } else {
                continue;
            };
            let mut carried = Vec::new();
            let mut numbered = None;
            for c in cols {
                if INSTALL_COLUMNS.contains(&(name.as_str(), c.name.as_str())) {
                    continue;
                }
                match (c.numbered, c.kind) {
                    (true, _) => numbered = Some(c.name.clone()),
                    (false, Some(kind)) => carried.push(Column {
                        name: c.name.clone(),
                        kind,
                    }),
                    (false, None) => {}
                }
            }
            let self_refs = keys
                .iter()
                .filter(|k| &k.table == name && &k.parent == name)
                .map(|k| SelfRef {
                    column: k.column.clone(),
                    target: k.target.clone(),
                })
                .collect();
            tables.insert(
                name.clone(),
                TenantTable {
                    name: name.clone(),
                    columns: carried,
                    numbered,
                    owner,
                    self_refs,
                },
            );
        }
        // Parents first: a depth-first walk over the foreign keys between carried tables.
        let mut parents: HashMap<&str, BTreeSet<&str>> = HashMap::new();
        for k in &keys {
            if k.table != k.parent
                && tables.contains_key(&k.table)
                && tables.contains_key(&k.parent)
            {
                parents.entry(&k.table).or_default().insert(&k.parent);
            }
        }
        let mut order: Vec<String> = Vec::with_capacity(tables.len());
        let mut placed = BTreeSet::new();
        fn place<'a>(
            t: &'a str,
            parents: &HashMap<&'a str, BTreeSet<&'a str>>,
            placed: &mut BTreeSet<&'a str>,
            walking: &mut Vec<&'a str>,
            order: &mut Vec<String>,
        ) -> Result<(), StoreError> {
            if placed.contains(t) {
                return Ok(());
            }
            if walking.contains(&t) {
                return Err(StoreError::Corrupt(format!(
                    "the foreign keys between {} make a circle",
                    walking.join(", ")
                )));
            }
            walking.push(t);
            for p in parents.get(t).into_iter().flatten() {
                place(p, parents, placed, walking, order)?;
            }
            walking.pop();
            placed.insert(t);
            order.push(t.to_owned());
            Ok(())
        }
        for name in tables.keys() {
            place(name, &parents, &mut placed, &mut Vec::new(), &mut order)?;
        }
        Ok(order
            .into_iter()
            .filter_map(|n| tables.remove(&n))
            .collect())
    }

    /// A table's columns, in order, with how each is carried.
    async fn catalogue_columns(&self, table: &str) -> Result<Vec<CatalogueColumn>, StoreError> {
        Ok(match self.backend {
            Backend::Sqlite => {
                let rows: Vec<(String, String, i64)> =
                    sqlx::query_as("SELECT name, type, pk FROM pragma_table_info($1) ORDER BY cid")
                        .bind(table)
                        .fetch_all(&self.read)
                        .await?;
                let keys = rows.iter().filter(|r| r.2 > 0).count();
                rows.into_iter()
                    .map(|(name, ty, pk)| {
                        let ty = ty.to_ascii_uppercase();
                        CatalogueColumn {
                            numbered: pk > 0 && keys == 1 && ty == "INTEGER",
                            kind: Some(sqlite_kind(&ty)),
                            name,
                        }
                    })
                    .collect()
            }
            Backend::Postgres => {
                let rows: Vec<(String, String, String)> = sqlx::query_as(
                    "SELECT CAST(column_name AS TEXT), CAST(data_type AS TEXT), \
                     CAST(COALESCE(identity_generation, '') AS TEXT) \
                     FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name = $1 \
                     ORDER BY ordinal_position",
                )
                .bind(table)
                .fetch_all(&self.read)
                .await?;
                rows.into_iter()
                    .map(|(name, ty, identity)| CatalogueColumn {
                        numbered: !identity.is_empty(),
                        kind: postgres_kind(&ty),
                        name,
                    })
                    .collect()
            }
        })
    }

    /// Every single-column foreign key of the schema.
    async fn foreign_keys(&self) -> Result<Vec<ForeignKey>, StoreError> {
        let rows: Vec<(String, String, String, String)> = match self.backend {
            Backend::Sqlite => sqlx::query_as(
                "SELECT m.name, f.\"from\", f.\"table\", COALESCE(f.\"to\", 'id') \
                 FROM sqlite_master m, pragma_foreign_key_list(m.name) f \
                 WHERE m.type = 'table' AND f.seq = 0",
            ),
            Backend::Postgres => sqlx::query_as(
                "SELECT CAST(cl.relname AS TEXT), CAST(a.attname AS TEXT), \
                 CAST(pc.relname AS TEXT), CAST(pa.attname AS TEXT) \
                 FROM pg_constraint c \
                 JOIN pg_class cl ON cl.oid = c.conrelid \
                 JOIN pg_class pc ON pc.oid = c.confrelid \
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] \
                 JOIN pg_attribute pa ON pa.attrelid = c.confrelid AND pa.attnum = c.confkey[1] \
                 WHERE c.contype = 'f' AND cl.relnamespace = CAST(current_schema() AS regnamespace)",
            ),
        }
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(table, column, parent, target)| ForeignKey {
                table,
                column,
                parent,
                target,
            })
            .collect())
    }
}

/// How SQLite's declared type is read (its type affinity rules).
fn sqlite_kind(ty: &str) -> ColumnKind {
    if ty.contains("INT") {
        ColumnKind::Int
    } else if ty.contains("CHAR") || ty.contains("CLOB") || ty.contains("TEXT") {
        ColumnKind::Text
    } else if ty.contains("BLOB") || ty.is_empty() {
        ColumnKind::Bytes
    } else if ty.contains("REAL") || ty.contains("FLOA") || ty.contains("DOUB") {
        ColumnKind::Real
    } else {
        ColumnKind::Int
    }
}

/// How a PostgreSQL type is read; `None` for a column that is not carried (a `tsvector`,
/// which is derived).
fn postgres_kind(ty: &str) -> Option<ColumnKind> {
    match ty {
        "bigint" | "integer" | "smallint" => Some(ColumnKind::Int),
        "double precision" | "real" => Some(ColumnKind::Real),
        "bytea" => Some(ColumnKind::Bytes),
        "tsvector" => None,
        _ => Some(ColumnKind::Text),
    }
}
