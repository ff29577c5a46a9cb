//! A bulk import into an empty database: the history tables' secondary indexes (and on
//! PostgreSQL their foreign keys) are dropped before and built once, sorted, after.

use crate::{StoreError, TenantStore};
use std::sync::atomic::Ordering;

impl TenantStore {
    /// Starts a bulk import of many batches: on SQLite the writer keeps the import's page
    /// cache until [`TenantStore::end_import`] (shrinking a cache drops its pages, so one
    /// per batch made every batch start cold).
    ///
    /// Into an empty database, the import also defers the history tables' secondary indexes
    /// (and on PostgreSQL their foreign keys): they are dropped here and built, each in one
    /// sorted pass, by `end_import`. History arrives in no order, so each batch's inserts
    /// landed on pages all over those indexes, and every commit wrote those pages again (on
    /// SQLite, 78 GB of writes for a million tickets). Unique indexes stay, so a duplicate is
    /// still refused at once, and every batch checks the customers, regions, teams and users
    /// it names. If the process stops before `end_import`, the next start builds what is left
    /// ([`Store::migrate`]).
    pub async fn begin_import(&self) -> Result<(), StoreError> {
        if self.store.importing.fetch_add(1, Ordering::SeqCst) > 0 {
            return Ok(());
        }
        let begun = match self.import_cache(true).await {
            Ok(()) => self.store.defer_schema().await,
            Err(e) => Err(e),
        };
        if begun.is_err() {
            // Not begun, so there is nothing for an `end_import` to end; the error that
            // stopped it is the one to report, not a failure to shrink the cache after it.
            self.store.importing.fetch_sub(1, Ordering::SeqCst);
            let _ = self.import_cache(false).await;
        }
        begun
    }

    /// Ends a bulk import: the deferred indexes and keys built, and the writer's usual cache
    /// again. An end without a begin (after a restart, say) ends nothing.
    pub async fn end_import(&self) -> Result<(), StoreError> {
        let ended = self
            .store
            .importing
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if ended == Ok(1) {
            self.store.build_deferred_schema().await?;
            self.import_cache(false).await?;
            // The planner's statistics of the tables just filled.
            sqlx::query("ANALYZE").execute(&self.store.write).await?;
        }
        Ok(())
    }
}

impl crate::Store {
    /// When no ticket is stored yet: drops what [`crate::Backend::deferrable_schema`] names and
    /// keeps how to build it again in `deferred_schema`, in one transaction.
    pub(crate) async fn defer_schema(&self) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        let (tickets,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM (SELECT 1 FROM tickets LIMIT 1) t")
                .fetch_one(&mut *tx)
                .await?;
        if tickets > 0 {
            return Ok(());
        }
        let deferrable: Vec<(String, String, String, Option<String>)> =
            sqlx::query_as(self.backend.deferrable_schema())
                .fetch_all(&mut *tx)
                .await?;
        for (name, drop, build, then) in deferrable {
            sqlx::query(
                "INSERT INTO deferred_schema (name, sql, then_sql, checks) VALUES ($1, $2, $3, 0)",
            )
            .bind(name)
            .bind(build)
            .bind(then)
            .execute(&mut *tx)
            .await?;
            sqlx::query(&drop).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Builds what [`Store::defer_schema`] dropped: each step in its own transaction with the
    /// record of it, so a build cut short resumes where it stopped. A foreign key whose
    /// validation fails stays `NOT VALID` (still checked for every new row) and is logged:
    /// only rows changed outside the import can break it, since the import checks every
    /// reference it writes.
    pub(crate) async fn build_deferred_schema(&self) -> Result<(), StoreError> {
        let (known,): (i64,) = sqlx::query_as(self.backend.table_count())
            .bind("deferred_schema")
            .fetch_one(&self.write)
            .await?;
        if known == 0 {
            return Ok(());
        }
        let built = self.build_deferred_steps().await;
        if let Some(reset) = self.backend.schema_build_reset() {
            sqlx::query(&reset).execute(&self.write).await?;
        }
        built
    }

    pub(crate) async fn build_deferred_steps(&self) -> Result<(), StoreError> {
        loop {
            let next: Option<DeferredStep> = sqlx::query_as(
                "SELECT name, sql, then_sql, checks FROM deferred_schema ORDER BY name LIMIT 1",
            )
            .fetch_optional(&self.write)
            .await?;
            let Some(DeferredStep {
                name,
                sql,
                then_sql: then,
                checks,
            }) = next
            else {
                return Ok(());
            };
            let mut tx = self.write.begin().await?;
            sqlx::query(&self.backend.schema_build_settings())
                .execute(&mut *tx)
                .await?;
            let built = sqlx::query(&sql).execute(&mut *tx).await;
            match (built, then) {
                (Ok(_), Some(then)) => {
                    // The step after a build is its check (a foreign key's validation).
                    sqlx::query(
                        "UPDATE deferred_schema SET sql = $1, then_sql = NULL, checks = 1 \
                         WHERE name = $2",
                    )
                    .bind(then)
                    .bind(&name)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    continue;
                }
                (Ok(_), None) => tx.commit().await?,
                (Err(e), _) if checks == 1 => {
                    tx.rollback().await?;
                    tracing::error!(constraint = %name, error = %e,
                        "rows stored during a bulk import break a foreign key; it stays NOT VALID");
                }
                (Err(e), _) => return Err(e.into()),
            }
            sqlx::query("DELETE FROM deferred_schema WHERE name = $1")
                .bind(&name)
                .execute(&self.write)
                .await?;
        }
    }
}

/// A step of the schema a bulk import deferred: an index or key to build, then its check.
#[derive(sqlx::FromRow)]
struct DeferredStep {
    name: String,
    sql: String,
    then_sql: Option<String>,
    checks: i64,
}
