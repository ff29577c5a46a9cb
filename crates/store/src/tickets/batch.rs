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
use loopdesk_core::event::{payload, By, Payload};
use loopdesk_core::ticket::number::{format_number, numbering_day};
use loopdesk_core::ticket::Channel;
use loopdesk_core::{Status, TicketId, UserId};
use sqlx::{Any, AnyPool, Transaction};
use tokio::sync::{mpsc, oneshot};

use crate::events::{self, NewEvent};
use crate::idempotency::{claim_key, Idempotency};
use crate::outbox::{insert_jobs, publish};
use crate::sql::{Arg, Sql};
use crate::{ms, StoreError};

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
    pub sla: crate::sla::SlaColumns,
    /// `in` or `out` of warranty, for a ticket on an asset with a warranty date.
    pub warranty: Option<&'static str>,
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

async fn savepoint(tx: &mut Transaction<'_, Any>, sql: &str) -> Result<(), StoreError> {
    sqlx::query(sql).execute(&mut **tx).await?;
    Ok(())
}

/// Opens a savepoint for one item, in careful mode.
async fn begin_item(tx: &mut Transaction<'_, Any>, careful: bool) -> Result<(), StoreError> {
    if careful {
        savepoint(tx, "SAVEPOINT item").await?;
    }
    Ok(())
}

/// Closes the item's savepoint, undoing the item if it failed.
async fn end_item(
    tx: &mut Transaction<'_, Any>,
    careful: bool,
    ok: bool,
) -> Result<(), StoreError> {
    match (careful, ok) {
        (false, _) => Ok(()),
        (true, true) => savepoint(tx, "RELEASE SAVEPOINT item").await,
        (true, false) => savepoint(tx, "ROLLBACK TO SAVEPOINT item").await,
    }
}

async fn write_all(
    tx: &mut Transaction<'_, Any>,
    inserts: &[TicketInsert],
    careful: bool,
) -> Vec<Result<Outcome, StoreError>> {
    let mut results: Vec<Option<Result<Outcome, StoreError>>> =
        inserts.iter().map(|_| None).collect();
    // 1. Idempotency keys: a key seen before answers its first ticket.
    for (i, t) in inserts.iter().enumerate() {
        let Some(idem) = &t.idempotency else {
            continue;
        };
        let user = crate::idempotency::key_owner(t.created_by);
        let claimed = async {
            begin_item(tx, careful).await?;
            let r = claim_key(tx, &t.tenant, user, idem, &t.id.to_string(), t.now).await;
            end_item(tx, careful, r.is_ok()).await?;
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
    // 3. Tickets, their `created` events and outbox entries: on the fast path three
    //    statements for the whole batch; on the careful path each ticket in a savepoint.
    let ready: Vec<(usize, String)> = (0..inserts.len())
        .filter(|i| results[*i].is_none())
        .filter_map(|i| numbers[i].take().map(|n| (i, n)))
        .collect();
    if careful {
        for (i, number) in ready {
            let written = async {
                begin_item(tx, careful).await?;
                let r = insert_tickets(tx, &[(&inserts[i], number.as_str())]).await;
                end_item(tx, careful, r.is_ok()).await?;
                r
            }
            .await;
            results[i] = Some(written.map(|()| Outcome::Created(number)));
        }
    } else {
        let rows: Vec<(&TicketInsert, &str)> = ready
            .iter()
            .map(|(i, n)| (&inserts[*i], n.as_str()))
            .collect();
        let written = insert_tickets(tx, &rows).await;
        for (i, number) in ready {
            results[i] = Some(match &written {
                Ok(()) => Ok(Outcome::Created(number)),
                Err(e) => Err(failed(e)),
            });
        }
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(StoreError::Corrupt("unanswered".into()))))
        .collect()
}

/// Writes tickets with their `created` events and outbox entries: three statements,
/// however many tickets.
async fn insert_tickets(
    tx: &mut Transaction<'_, Any>,
    items: &[(&TicketInsert, &str)],
) -> Result<(), StoreError> {
    if items.is_empty() {
        return Ok(());
    }
    let mut tickets = Sql::new(
        "INSERT INTO tickets (id, tenant_id, number, channel, customer_id, contact_id, contact_phone, site_id, \
         asset_id, region_id, category, priority, subject, description, fields, status, created_by, created_at, \
         updated_at, version, sla_policy_id, sla, sla_state, sla_next_at, resolution_due, warranty) VALUES ",
    );
    tickets.rows(items.iter().map(|(t, number)| ticket_row(t, number)));
    tickets.positional_on(tx).query().execute(&mut **tx).await?;
    let created: Vec<NewEvent> = items
        .iter()
        .map(|(t, number)| {
            let payload = Payload::Created(payload::Created {
                number: (*number).to_owned(),
                channel: t.channel,
                priority: t.priority,
            });
            NewEvent {
                actor: t.created_by,
                by: t.by,
                ..NewEvent::system(t.id, payload, t.now)
            }
            .moving_to(Status::New)
        })
        .collect();
    let outbox = items
        .iter()
        .zip(&created)
        .map(|((t, _), e)| publish(&t.tenant, t.id, "ticket.created", e.payload.data(), t.now));
    insert_jobs(tx, outbox, items[0].0.now).await?;
    // Almost always one tenant; the batch groups them anyway.
    let mut start = 0;
    while start < items.len() {
        let tenant = &items[start].0.tenant;
        let end = start
            + items[start..]
                .iter()
                .take_while(|(t, _)| t.tenant == *tenant)
                .count();
        events::append(tx, tenant, &created[start..end]).await?;
        start = end;
    }
    Ok(())
}

/// One new ticket's values, in the column order of [`insert_tickets`].
pub(super) fn ticket_row(t: &TicketInsert, number: &str) -> Vec<Arg> {
    let text = |s: &str| Arg::Text(Some(s.to_owned()));
    vec![
        Arg::Text(Some(t.id.to_string())),
        text(&t.tenant),
        text(number),
        text(t.channel.as_str()),
        Arg::Text(t.customer_id.clone()),
        Arg::Text(t.contact_id.clone()),
        Arg::Text(t.contact_phone.clone()),
        Arg::Text(t.site_id.clone()),
        Arg::Text(t.asset_id.clone()),
        Arg::Text(t.region_id.clone()),
        Arg::Text(t.category.clone()),
        Arg::Int(t.priority),
        text(&t.subject),
        text(&t.description),
        text(&t.fields),
        text(Status::New.as_str()),
        Arg::Text(t.created_by.map(|u| u.to_string())),
        Arg::Int(ms(t.now)),
        Arg::Int(ms(t.now)),
        Arg::Int(1),
        Arg::Text(t.sla.policy_id.clone()),
        Arg::Text(t.sla.sla.clone()),
        text(t.sla.state),
        Arg::OptInt(t.sla.next_at),
        Arg::OptInt(t.sla.resolution_due),
        Arg::Text(t.warranty.map(str::to_owned)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn insert(tenant: &str, customer: Option<String>) -> TicketInsert {
        TicketInsert {
            tenant: tenant.to_owned(),
            offset: FixedOffset::east_opt(8 * 3600).unwrap(),
            id: TicketId::new(),
            channel: Channel::Phone,
            customer_id: customer,
            contact_id: None,
            contact_phone: None,
            site_id: None,
            asset_id: None,
            region_id: None,
            category: None,
            priority: 3,
            subject: "x".into(),
            description: String::new(),
            fields: "{}".into(),
            created_by: None,
            by: By::System,
            now: Utc.with_ymd_and_hms(2026, 11, 24, 2, 0, 0).unwrap(),
            idempotency: None,
            sla: crate::sla::SlaColumns {
                state: "ok",
                ..Default::default()
            },
            warranty: None,
        }
    }

    #[tokio::test]
    pub(super) async fn a_row_that_fails_in_the_database_fails_alone_and_the_rest_of_its_batch_commits(
    ) {
        let dir = tempfile::tempdir().unwrap();
        one_bad_row_among_good_ones(format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("t.db").display()
        ))
        .await;
        // PostgreSQL aborts a transaction at its first failed statement: the case that needs
        // the savepoint path. Runs when LOOPDESK_TEST_POSTGRES names a server.
        if let Ok(admin) = std::env::var("LOOPDESK_TEST_POSTGRES") {
            use sqlx::Connection;
            let name = format!("loopdesk_batch_{}", uuid::Uuid::new_v4().simple());
            let mut c = sqlx::PgConnection::connect(&admin).await.unwrap();
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut c)
                .await
                .unwrap();
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
            one_bad_row_among_good_ones(format!("{base}/{name}")).await;
            sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
                .execute(&mut c)
                .await
                .unwrap();
        }
    }

    pub(super) async fn one_bad_row_among_good_ones(url: String) {
        let (store, tenant) = crate::test_store(url).await;
        let tenant = tenant.to_string();
        // A customer that does not exist breaks the foreign key of exactly one row.
        let mut jobs = Vec::new();
        for i in 0..6 {
            let customer = (i == 2).then(|| uuid::Uuid::now_v7().to_string());
            let batcher = store.batcher.clone();
            let item = insert(&tenant, customer);
            jobs.push(tokio::spawn(async move { batcher.create(item).await }));
        }
        let mut created = 0;
        for (i, job) in jobs.into_iter().enumerate() {
            match job.await.unwrap() {
                Ok(Outcome::Created(_)) => created += 1,
                Ok(Outcome::Replayed(_)) => panic!("no idempotency key was given"),
                Err(StoreError::Database(_)) => assert_eq!(i, 2, "only the bad row fails"),
                Err(e) => panic!("unexpected {e}"),
            }
        }
        assert_eq!(created, 5);
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tickets")
            .fetch_one(&store.read)
            .await
            .unwrap();
        let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ticket_events")
            .fetch_one(&store.read)
            .await
            .unwrap();
        assert_eq!(
            (n, events),
            (5, 5),
            "each ticket with its created event, nothing of the bad one"
        );
    }
}
