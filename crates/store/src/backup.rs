//! Backups of an SQLite install: a consistent copy of the database taken while it serves
//! (`VACUUM INTO` reads it in one transaction; writers go on), and a fingerprint of every
//! table — its rows and a SHA-256 of their contents — to check a restored copy by.
//! A PostgreSQL database is backed up with `pg_dump`, which does the same job better.

use std::collections::BTreeMap;
use std::path::Path;

use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Connection};

use crate::{Backend, Store, StoreError};

/// One table's fingerprint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSum {
    /// Rows.
    pub rows: u64,
    /// SHA-256 (hex) of the rows, each written as its columns quoted by SQLite, in sorted order.
    pub sha256: String,
}

/// One file's size and SHA-256 (hex).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileSum {
    /// Bytes.
    pub bytes: u64,
    /// SHA-256, hex.
    pub sha256: String,
}

impl Store {
    /// Writes a consistent copy of the database to `path`, which must not exist (SQLite only:
    /// on PostgreSQL, `pg_dump`).
    pub async fn copy_database_to(&self, path: &Path) -> Result<(), StoreError> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Corrupt(
                "a PostgreSQL database is backed up with pg_dump".into(),
            ));
        }
        let target = path
            .to_str()
            .ok_or_else(|| StoreError::Corrupt("the backup path is not UTF-8".into()))?;
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(&self.read)
            .await?;
        Ok(())
    }
}

/// The fingerprint of every table of the SQLite database at `path`, by name.
pub async fn table_sums(path: &Path) -> Result<BTreeMap<String, TableSum>, StoreError> {
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}?mode=ro", path.display());
    let mut conn = AnyConnection::connect(&url).await?;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
         AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name",
    )
    .fetch_all(&mut conn)
    .await?;
    let mut out = BTreeMap::new();
    for table in tables {
        // Names from the database's own catalogue, quoted as identifiers.
        let ident = |name: &str| format!("\"{}\"", name.replace('"', "\"\""));
        let columns: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT name FROM pragma_table_info('{}')",
            table.replace('\'', "''")
        ))
        .fetch_all(&mut conn)
        .await?;
        if columns.is_empty() {
            continue;
        }
        let row = columns
            .iter()
            .map(|c| format!("quote({})", ident(c)))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let sql = format!("SELECT {row} AS r FROM {} ORDER BY r", ident(&table));
        let mut hash = Sha256::new();
        let mut rows = 0u64;
        let mut stream = sqlx::query_scalar::<_, String>(&sql).fetch(&mut conn);
        while let Some(r) = stream.try_next().await? {
            hash.update(r.as_bytes());
            hash.update(b"\n");
            rows += 1;
        }
        drop(stream);
        out.insert(
            table,
            TableSum {
                rows,
                sha256: hex::encode(hash.finalize()),
            },
        );
    }
    conn.close().await?;
    Ok(out)
}
