//! Group commit for ticket creation.
//!
//! Each creation takes the per-tenant, per-day numbering counter and one fsync. One at a
//! time, creations queue on that row lock (PostgreSQL) or on the single writer (SQLite).
//! The batcher instead takes every creation that is waiting — it never waits for more, so an
//! idle system adds no latency — and writes them in one transaction: idempotency keys first,
//! then one counter update per tenant and day, then each ticket and its `created` event in a
//! savepoint of its own, so a failing row fails alone. One commit answers them all.

use chrono::{DateTime, FixedOffset, Utc};
use loopdesk_core::ticket::number::{format_number, numbering_day};
use loopdesk_core::{Status, TicketId, UserId};
use serde_json::json;
use sqlx::{Any, AnyPool, Transaction};
use tokio::sync::{mpsc, oneshot};

use crate::tickets::{claim_key, insert_event, Idempotency};
use crate::{ms, StoreError};

/// Most creations written in one transaction.
const MAX_BATCH: usize = 256;

/// A validated ticket, ready to be numbered and written.
pub(crate) struct TicketInsert {
    pub tenant: String,
    pub offset: FixedOffset,
    pub id: TicketId,
    pub channel: &'static str,
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
    pub now: DateTime<Utc>,
    pub idempotency: Option<Idempotency>,
}

/// What became of a creation.
pub(crate) enum Outcome {
    /// Written now.
    Created(TicketId),
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

fn failed(e: &impl std::fmt::Display) -> StoreError {
    StoreError::Database(sqlx::Error::Protocol(format!("batch commit failed: {e}")))
}

async fn write_batch(pool: &AnyPool, batch: Vec<Job>) {
    let (inserts, replies): (Vec<TicketInsert>, Vec<_>) = batch.into_iter().unzip();
    let results = match pool.begin().await {
        Ok(mut tx) => {
            let results = write_all(&mut tx, &inserts).await;
            match tx.commit().await {
                Ok(()) => results,
                Err(e) => inserts.iter().map(|_| Err(failed(&e))).collect(),
            }
        }
        Err(e) => inserts.iter().map(|_| Err(failed(&e))).collect(),
    };
    for (reply, result) in replies.into_iter().zip(results) {
        let _ = reply.send(result);
    }
}

async fn savepoint(tx: &mut Transaction<'_, Any>, sql: &str) -> Result<(), StoreError> {
    sqlx::query(sql).execute(&mut **tx).await?;
    Ok(())
}

async fn write_all(
    tx: &mut Transaction<'_, Any>,
    inserts: &[TicketInsert],
) -> Vec<Result<Outcome, StoreError>> {
    let mut results: Vec<Option<Result<Outcome, StoreError>>> =
        inserts.iter().map(|_| None).collect();
    // 1. Idempotency keys: a key seen before answers its first ticket.
    for (i, t) in inserts.iter().enumerate() {
        let (Some(idem), Some(user)) = (&t.idempotency, t.created_by) else {
            continue;
        };
        let claimed = async {
            savepoint(tx, "SAVEPOINT claim").await?;
            let r = claim_key(tx, &t.tenant, user, idem, &t.id.to_string(), t.now).await;
            savepoint(
                tx,
                if r.is_ok() {
                    "RELEASE SAVEPOINT claim"
                } else {
                    "ROLLBACK TO SAVEPOINT claim"
                },
            )
            .await?;
            r
        }
        .await;
        match claimed {
            Ok(None) => {}
            Ok(Some(existing)) => {
                results[i] = Some(
                    TicketId::parse(&existing)
                        .map(Outcome::Replayed)
                        .ok_or_else(|| StoreError::Corrupt(existing)),
                );
            }
            Err(e) => results[i] = Some(Err(e)),
        }
    }
    // 2. Numbers: one counter update per tenant and local day.
    let mut numbers: Vec<Option<String>> = inserts.iter().map(|_| None).collect();
    let mut groups: Vec<((String, chrono::NaiveDate), Vec<usize>)> = Vec::new();
    for (i, t) in inserts
        .iter()
        .enumerate()
        .filter(|(i, _)| results[*i].is_none())
    {
        let key = (t.tenant.clone(), numbering_day(t.now, t.offset));
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, members)) => members.push(i),
            None => groups.push((key, vec![i])),
        }
    }
    for ((tenant, day), members) in &groups {
        let n = members.len() as i64;
        let last: Result<i64, sqlx::Error> = sqlx::query_scalar(
            "INSERT INTO ticket_counters (tenant_id, day, last) VALUES ($1, $2, $3) \
             ON CONFLICT (tenant_id, day) DO UPDATE SET last = ticket_counters.last + $3 RETURNING last",
        )
        .bind(tenant)
        .bind(day.to_string())
        .bind(n)
        .fetch_one(&mut **tx)
        .await;
        match last {
            Ok(last) => {
                for (k, i) in members.iter().enumerate() {
                    numbers[*i] =
                        Some(format_number(*day, (last - n + 1 + k as i64).max(0) as u64));
                }
            }
            Err(e) => {
                let msg = e.to_string();
                for i in members {
                    results[*i] = Some(Err(StoreError::Database(sqlx::Error::Protocol(
                        msg.clone(),
                    ))));
                }
            }
        }
    }
    // 3. Tickets and their events, each in a savepoint of its own.
    for (i, t) in inserts.iter().enumerate() {
        if results[i].is_some() {
            continue;
        }
        let Some(number) = numbers[i].take() else {
            continue;
        };
        let written = async {
            savepoint(tx, "SAVEPOINT ticket").await?;
            let r = insert_ticket(tx, t, &number).await;
            savepoint(
                tx,
                if r.is_ok() {
                    "RELEASE SAVEPOINT ticket"
                } else {
                    "ROLLBACK TO SAVEPOINT ticket"
                },
            )
            .await?;
            r
        }
        .await;
        results[i] = Some(written.map(|()| Outcome::Created(t.id)));
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(StoreError::Corrupt("unanswered".into()))))
        .collect()
}

async fn insert_ticket(
    tx: &mut Transaction<'_, Any>,
    t: &TicketInsert,
    number: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO tickets (id, tenant_id, number, channel, customer_id, contact_id, contact_phone, site_id, \
         asset_id, region_id, category, priority, subject, description, fields, status, created_by, created_at, \
         updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'new', \
         $16, $17, $17, 1)",
    )
    .bind(t.id.to_string())
    .bind(&t.tenant)
    .bind(number)
    .bind(t.channel)
    .bind(&t.customer_id)
    .bind(&t.contact_id)
    .bind(&t.contact_phone)
    .bind(&t.site_id)
    .bind(&t.asset_id)
    .bind(&t.region_id)
    .bind(&t.category)
    .bind(t.priority)
    .bind(&t.subject)
    .bind(&t.description)
    .bind(&t.fields)
    .bind(t.created_by.map(|u| u.to_string()))
    .bind(ms(t.now))
    .execute(&mut **tx)
    .await?;
    let data = json!({ "number": number, "channel": t.channel, "priority": t.priority });
    let actor = t.created_by.map(|u| u.to_string());
    insert_event(
        tx,
        &t.tenant,
        t.id,
        "created",
        actor,
        t.now,
        None,
        Some(Status::New),
        false,
        &data,
    )
    .await
}
