//! The planner's statistics kept up with the tables (PostgreSQL).
//!
//! Every connection plans each statement once and keeps the plan (a generic plan: see
//! [`crate::Backend::session_settings`]) until a table it reads is analysed again. A plan
//! made while a table was empty — a fresh install's first requests — may walk the table by
//! whatever index came first (`tickets_asset` for a lookup by id, measured), and goes on
//! doing so as the table grows, until autovacuum analyses it: a minute later at best, never
//! where autovacuum is off. So Loopdesk analyses a table itself once it has changed by more
//! than a fifth since the last analysis (and by at least a thousand rows): a few dozen times
//! in the life of a table of a million rows, each a sample of 30,000 rows.

use std::future::Future;
use std::time::Duration;

use crate::{Backend, Store, StoreError};

/// How often the tables are looked at.
pub const STATISTICS_EVERY: Duration = Duration::from_secs(5);

impl Store {
    /// Analyses the tables that changed by more than a fifth (and 1,000 rows) since they were
    /// last analysed; answers their names. Nothing to do on SQLite, which plans each
    /// statement as it prepares it and keeps its own statistics with `PRAGMA optimize`.
    pub async fn refresh_statistics(&self) -> Result<Vec<String>, StoreError> {
        if self.backend != Backend::Postgres {
            return Ok(Vec::new());
        }
        let stale: Vec<String> = sqlx::query_scalar(
            "SELECT CAST(relname AS TEXT) FROM pg_stat_user_tables \
             WHERE schemaname = current_schema() AND n_mod_since_analyze > 1000 + n_live_tup / 5 \
             ORDER BY relname",
        )
        .fetch_all(&self.write)
        .await?;
        let mut analysed = Vec::with_capacity(stale.len());
        for table in stale {
            // Names come from the catalogue of Loopdesk's own schema; only plain ones are
            // written into the statement.
            if !table
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                continue;
            }
            // SKIP_LOCKED: another instance analysing the same table is enough — and says
            // nothing (the server's notice that it skipped is no news in a fleet).
            let mut tx = self.write.begin().await?;
            sqlx::query("SET LOCAL client_min_messages = warning")
                .execute(&mut *tx)
                .await?;
            sqlx::query(&format!("ANALYZE (SKIP_LOCKED) {table}"))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            analysed.push(table);
        }
        Ok(analysed)
    }

    /// Keeps the statistics fresh until `stop` completes: [`Store::refresh_statistics`] now
    /// and every [`STATISTICS_EVERY`]. A failure is logged and tried again next time.
    pub async fn keep_statistics(&self, stop: impl Future<Output = ()>) {
        if self.backend != Backend::Postgres {
            return;
        }
        tokio::pin!(stop);
        loop {
            match self.refresh_statistics().await {
                Ok(tables) if !tables.is_empty() => {
                    tracing::debug!(?tables, "planner statistics refreshed");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "could not refresh the planner's statistics"),
            }
            tokio::select! {
                () = &mut stop => return,
                () = tokio::time::sleep(STATISTICS_EVERY) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{create_database, drop_database, test_store};

    /// The plan of a lookup by id, made while `tickets` was empty, walks the table; once the
    /// table has grown and its statistics are refreshed, the same prepared statement on the
    /// same connection goes by key.
    #[tokio::test]
    async fn a_plan_made_on_an_empty_table_is_made_again_once_it_has_grown() {
        let Ok(server) = std::env::var("LOOPDESK_TEST_POSTGRES") else {
            return;
        };
        let name = format!("loopdesk_stats_{}", uuid::Uuid::new_v4().simple());
        let url = create_database(&server, &name).await.unwrap();
        let (store, tenant) = test_store(url).await;
        let mut conn = store.write.acquire().await.unwrap();
        // The premise made sure: the statistics say the table is empty (a table never
        // analysed is planned as ten pages, and then a lookup may go by key from the start, as
        // it once did in CI), and only this test's refresh analyses it again (a server
        // running autovacuum could do so between the insert and the first EXPLAIN).
        sqlx::query("ALTER TABLE tickets SET (autovacuum_enabled = false)")
            .execute(&mut *conn)
            .await
            .unwrap();
        let explain = format!("EXPLAIN EXECUTE by_id('{tenant}', 'k5')");
        // A kept plan is also made again whenever the server tells this session to drop every
        // cached plan (its queue of catalogue changes overflowed while other tests made and
        // dropped databases), and then the "empty table's" plan already knows the rows: the
        // premise is set up afresh until the kept plan is the empty table's one.
        let mut before = String::new();
        for _ in 0..5 {
            // Only this test's own statement is dropped: DEALLOCATE ALL would drop the
            // statements sqlx keeps on this connection too, and its next use of one fails.
            let kept: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM pg_prepared_statements WHERE name = 'by_id'",
            )
            .fetch_one(&mut *conn)
            .await
            .unwrap();
            if kept > 0 {
                sqlx::query("DEALLOCATE by_id")
                    .execute(&mut *conn)
                    .await
                    .unwrap();
            }
            for premise in [
                "TRUNCATE tickets CASCADE",
                "ANALYZE tickets",
                "PREPARE by_id(text, text) AS SELECT t.id FROM tickets t WHERE t.tenant_id = $1 AND t.id = $2",
            ] {
                sqlx::query(premise).execute(&mut *conn).await.unwrap();
            }
            // The session plans generically: this builds and keeps the plan of an empty table.
            sqlx::query(&format!("EXECUTE by_id('{tenant}', 'k5')"))
                .execute(&mut *conn)
                .await
                .unwrap();
            sqlx::query(&format!(
                "INSERT INTO tickets (id, tenant_id, number, channel, priority, subject, description, status, created_at, updated_at) \
                 SELECT 'k' || g, '{tenant}', 'n' || g, 'phone', 3, 's', 'd', 'new', g, g FROM generate_series(1, 5000) g"
            ))
            .execute(&mut *conn)
            .await
            .unwrap();
            let plan: Vec<String> = sqlx::query_scalar(&explain)
                .fetch_all(&mut *conn)
                .await
                .unwrap();
            before = plan.join("\n");
            if before.contains("Filter") {
                break;
            }
        }
        assert!(
            before.contains("Filter"),
            "the empty table's plan: {before}"
        );
        let mut analysed = Vec::new();
        for _ in 0..50 {
            // A statement ending on the inserting session lets it pass its counts on (at
            // most once a second; an idle session waits ten).
            sqlx::query("SELECT 1").execute(&mut *conn).await.unwrap();
            analysed = store.refresh_statistics().await.unwrap();
            if !analysed.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(analysed.contains(&"tickets".to_owned()), "{analysed:?}");
        let after: Vec<String> = sqlx::query_scalar(&explain)
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        let after = after.join("\n");
        assert!(
            !after.contains("Filter") && after.contains("(id = $2)"),
            "the grown table's plan: {after}"
        );
        // Nothing changed since: nothing to do.
        assert!(!store
            .refresh_statistics()
            .await
            .unwrap()
            .contains(&"tickets".to_owned()));
        drop(conn);
        store.close().await;
        drop_database(&server, &name).await.unwrap();
    }
}
