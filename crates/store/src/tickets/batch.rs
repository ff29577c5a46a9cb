//! Group commit for ticket creation.
//!
//! Each creation takes the per-tenant, per-day numbering counter and one fsync. One at a
//! time, creations queue on that row lock (PostgreSQL) or on the single writer (SQLite).
//! The batcher instead takes every creation that is waiting — it never waits for more, so an
//! idle system adds no latency — and writes them in one transaction: idempotency keys first,
//! then one counter update per tenant and day, then all tickets, their `created` events and
//! their outbox entries in three multi-row statements. Only when that first attempt fails is
//! the batch redone with each ticket in a savepoint of its own, so a failing row fails alone.
//! One commit answers them all.

use chrono::{DateTime, FixedOffset, Utc};
use loopdesk_core::event::By;
use loopdesk_core::ticket::Channel;
use loopdesk_core::{TicketId, UserId};
use sqlx::AnyPool;
use tokio::sync::{mpsc, oneshot};

use super::write::write_all;
use crate::idempotency::Idempotency;
use crate::StoreError;

/// Most creations written in one transaction.
pub(super) const MAX_BATCH: usize = 256;

/// A validated ticket, ready to be numbered and written.
#[derive(Clone)]
pub(crate) struct TicketInsert {
    pub tenant: String,
    pub offset: FixedOffset,
    pub id: TicketId,
    pub channel: Channel,
    pub customer_id: Option<String>,
    pub contact_id: Option<String>,
    pub contact_phone: Option<String>,
    pub site_id: Option<String>,
    pub asset_id: Option<String>,
    pub region_id: Option<String>,
    pub category: Option<String>,
    pub priority: i64,
    pub subject: String,
    pub description: String,
    pub fields: String,
    pub created_by: Option<UserId>,
    /// Whether the creator is the customer, staff or the system.
    pub by: By,
    pub now: DateTime<Utc>,
    pub idempotency: Option<Idempotency>,
    /// Publish `ticket.created` with it (a message with files publishes it itself, once the
    /// files are kept, so the acknowledgement can answer with them).
    pub publish: bool,
    /// The channel log line of the message the ticket is made from, written with it (so a
    /// message taken in costs one commit, shared with the batch).
    pub inbound: Option<InboundLine>,
    pub sla: crate::sla::SlaColumns,
    /// `in` or `out` of warranty, for a ticket on an asset with a warranty date.
    pub warranty: Option<&'static str>,
    /// The search document's words, but for the number (given in the transaction).
    pub search: loopdesk_core::search::Weighted,
    /// The request reads urgent: an `urgency_signalled` event follows `created`, and the
    /// supervisors are told (`ticket.urgent`).
    pub urgency: Option<loopdesk_core::event::payload::UrgencySignalled>,
}

/// A message's line in its channel's log (`inbound_messages`), outcome `created`.
#[derive(Clone, Debug)]
pub(crate) struct InboundLine {
    pub channel_id: String,
    pub message_id: String,
    pub sender: Option<String>,
    pub subject: Option<String>,
    pub files_skipped: Option<String>,
    pub size: i64,
}

/// What became of a creation.
pub(crate) enum Outcome {
    /// Written now, with this number.
    Created(String),
    /// An earlier request with the same idempotency key wrote this one.
    Replayed(TicketId),
}

type Job = (TicketInsert, oneshot::Sender<Result<Outcome, StoreError>>);

/// The handle that queues creations for the batch writer task.
#[derive(Clone, Debug)]
pub(crate) struct Batcher {
    jobs: mpsc::Sender<Job>,
}

impl Batcher {
    /// Starts the writer task on `pool`; it ends when every handle is dropped.
    pub(crate) fn spawn(pool: AnyPool) -> Batcher {
        let (jobs, mut rx) = mpsc::channel::<Job>(4096);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(job) => batch.push(job),
                        Err(_) => break,
                    }
                }
                write_batch(&pool, batch).await;
            }
        });
        Batcher { jobs }
    }

    /// Queues a creation and waits for its commit.
    pub(crate) async fn create(&self, insert: TicketInsert) -> Result<Outcome, StoreError> {
        let (reply, answer) = oneshot::channel();
        let closed = || StoreError::Database(sqlx::Error::PoolClosed);
        self.jobs
            .send((insert, reply))
            .await
            .map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }
}

pub(super) fn failed(e: &impl std::fmt::Display) -> StoreError {
    StoreError::Database(sqlx::Error::Protocol(format!("batch commit failed: {e}")))
}

async fn write_batch(pool: &AnyPool, batch: Vec<Job>) {
    let (inserts, replies): (Vec<TicketInsert>, Vec<_>) = batch.into_iter().unzip();
    // Fast path: the whole batch straight. Only if a statement fails (which aborts the
    // transaction on PostgreSQL) is it redone with a savepoint around each ticket.
    let mut results = attempt(pool, &inserts, false).await;
    if results.is_none() {
        results = attempt(pool, &inserts, true).await;
    }
    let results = results.unwrap_or_else(|| {
        inserts
            .iter()
            .map(|_| Err(failed(&"retry failed")))
            .collect()
    });
    for (reply, result) in replies.into_iter().zip(results) {
        let _ = reply.send(result);
    }
}

/// One transaction over the batch; `None` when the fast path hit a database error.
async fn attempt(
    pool: &AnyPool,
    inserts: &[TicketInsert],
    careful: bool,
) -> Option<Vec<Result<Outcome, StoreError>>> {
    let mut tx = match pool.begin().await {
        Ok(tx) => tx,
        Err(e) => return Some(inserts.iter().map(|_| Err(failed(&e))).collect()),
    };
    let results = write_all(&mut tx, inserts, careful).await;
    if !careful
        && results
            .iter()
            .any(|r| matches!(r, Err(StoreError::Database(_))))
    {
        let _ = tx.rollback().await;
        return None;
    }
    match tx.commit().await {
        Ok(()) => Some(results),
        Err(e) => Some(inserts.iter().map(|_| Err(failed(&e))).collect()),
    }
}

#[cfg(test)]
#[path = "batch_tests.rs"]
mod tests;
