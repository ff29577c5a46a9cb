//! The KPI book: each tenant's tickets' facts held in memory (core's [`Book`]) and brought up
//! to date before each answer by reading only the facts rows changed since it last looked
//! (their `mark`), so every answer sees every committed event without re-reading the rest.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::TryStreamExt;
use loopdesk_core::kpi::{Book, Facts};
use loopdesk_core::TenantId;
use tokio::sync::OwnedMutexGuard;

use super::{Grouping, GROUP_COLUMNS};
use crate::facts::PM_DUE;
use crate::{StoreError, TenantStore};

/// One tenant's book and how far it has read.
#[derive(Debug, Default)]
pub(crate) struct Shelf {
    /// The tickets.
    pub book: Book,
    /// SQLite: the highest mark read. PostgreSQL: every transaction below it had finished
    /// when the book last read, so rows from there on are read again.
    mark: i64,
}

/// The books of the tenants this server has answered KPIs for.
#[derive(Clone, Debug, Default)]
pub(crate) struct Books(Arc<Mutex<HashMap<TenantId, Arc<tokio::sync::Mutex<Shelf>>>>>);

/// A changed facts row with what the KPIs group its ticket by.
#[derive(sqlx::FromRow)]
struct FactsRow {
    ticket_id: String,
    mark: i64,
    facts: String,
    #[sqlx(flatten)]
    grouping: Grouping,
}

impl TenantStore {
    /// The tenant's KPI book, brought up to date with every committed change.
    pub(crate) async fn kpi_book(&self) -> Result<OwnedMutexGuard<Shelf>, StoreError> {
        let shelf = {
            let mut books = self.store.books.0.lock().unwrap_or_else(|e| e.into_inner());
            books.entry(self.tenant_id).or_default().clone()
        };
        let mut shelf = shelf.lock_owned().await;
        let backend = self.store.backend;
        let mut tx = self.store.replica.begin().await?;
        let reading = backend.mark_reading();
        if let Some(prepare) = reading.prepare {
            sqlx::query(prepare).execute(&mut *tx).await?;
        }
        let horizon: Option<i64> = match reading.horizon {
            Some(sql) => Some(sqlx::query_scalar(sql).fetch_one(&mut *tx).await?),
            None => None,
        };
        let since = if reading.inclusive {
            "f.mark >= $2"
        } else {
            "f.mark > $2"
        };
        let sql = format!(
            "SELECT f.ticket_id, f.mark, f.facts, {GROUP_COLUMNS}, {PM_DUE} AS pm_due \
             FROM ticket_facts f JOIN tickets t ON t.tenant_id = f.tenant_id AND t.id = f.ticket_id \
             LEFT JOIN customers c ON c.id = t.customer_id \
             WHERE f.tenant_id = $1 AND {since}"
        );
        // Nothing changed since the last look (the usual case): no need to ask the planner
        // for the join below, which it may cost as a scan of every ticket when a bulk load
        // has left the table without statistics (measured: seconds at a million).
        let newest: Option<i64> =
            sqlx::query_scalar("SELECT MAX(mark) FROM ticket_facts WHERE tenant_id = $1")
                .bind(self.tid())
                .fetch_one(&mut *tx)
                .await?;
        let changed =
            newest.is_some_and(|m| m > shelf.mark || (reading.inclusive && m == shelf.mark));
        let offset = self.settings().await?.offset;
        let mut highest = shelf.mark;
        if changed {
            let mut rows = sqlx::query_as::<_, FactsRow>(&sql)
                .bind(self.tid())
                .bind(shelf.mark)
                .fetch(&mut *tx);
            while let Some(row) = rows.try_next().await? {
                let FactsRow {
                    ticket_id: id,
                    mark,
                    facts,
                    grouping,
                } = row;
                let key = uuid::Uuid::parse_str(&id)
                    .map_err(|_| StoreError::Corrupt(format!("ticket id {id}")))?
                    .as_u128();
                let mut facts: Facts = serde_json::from_str(&facts)
                    .map_err(|_| StoreError::Corrupt(format!("facts of {id}")))?;
                facts.created_at = grouping.created_at;
                let ticket = grouping.ticket(String::new(), facts, offset);
                shelf.book.put(key, &ticket);
                highest = highest.max(mark);
            }
        }
        tx.commit().await?;
        shelf.mark = horizon.unwrap_or(highest);
        Ok(shelf)
    }
}
