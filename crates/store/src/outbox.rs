//! The outbox: a change the outside world should hear of writes a job in its own
//! transaction (DESIGN §4), so nothing is lost and nothing is sent for a change that rolled
//! back. The job runner fans `publish` jobs out and runs the rest.

use chrono::{DateTime, Utc};
use loopdesk_core::notify;
use loopdesk_core::{JobId, TicketId};
use serde_json::{json, Value};
use sqlx::{Any, Transaction};

use crate::sql::{Arg, Sql};
use crate::{ms, StoreError};

/// Writes the outbox entry for `event` on `ticket` inside the change's transaction.
pub(crate) async fn enqueue_publish(
    tx: &mut Transaction<'_, Any>,
    tenant: &str,
    ticket: TicketId,
    event: &str,
    data: &Value,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    insert_jobs(tx, [publish_row(tenant, ticket, event, data, now)]).await
}

/// The outbox entry for `event` on `ticket`, as a [`JOB_INSERT`] row.
pub(crate) fn publish_row(
    tenant: &str,
    ticket: TicketId,
    event: &str,
    data: &Value,
    now: DateTime<Utc>,
) -> Vec<Arg> {
    let payload = json!({ "event": event, "ticket_id": ticket, "data": data, "at": ms(now) });
    job_row(
        Some(tenant),
        "publish",
        &payload,
        ms(now),
        notify::DEFAULT_MAX_ATTEMPTS,
        None,
        ms(now),
    )
}

/// `INSERT` of jobs; rows from [`job_row`] follow, then [`JOB_INSERT_END`].
const JOB_INSERT: &str =
    "INSERT INTO jobs (id, tenant_id, kind, payload, status, attempts, max_attempts, \
    run_at, dedupe_key, created_at, updated_at) VALUES ";

/// A job whose dedupe key exists already is not added again.
const JOB_INSERT_END: &str = " ON CONFLICT (dedupe_key) DO NOTHING";

/// One pending job's values, in [`JOB_INSERT`]'s order.
pub(crate) fn job_row(
    tenant: Option<&str>,
    kind: &str,
    payload: &Value,
    run_at: i64,
    max_attempts: i64,
    dedupe: Option<&str>,
    now: i64,
) -> Vec<Arg> {
    vec![
        Arg::Text(Some(JobId::new().to_string())),
        Arg::Text(tenant.map(str::to_owned)),
        Arg::Text(Some(kind.to_owned())),
        Arg::Text(Some(payload.to_string())),
        Arg::Text(Some("pending".into())),
        Arg::Int(0),
        Arg::Int(max_attempts),
        Arg::Int(run_at),
        Arg::Text(dedupe.map(str::to_owned)),
        Arg::Int(now),
        Arg::Int(now),
    ]
}

/// Adds jobs (one statement for all of them).
pub(crate) async fn insert_jobs(
    tx: &mut Transaction<'_, Any>,
    rows: impl IntoIterator<Item = Vec<Arg>>,
) -> Result<(), StoreError> {
    let mut sql = Sql::new(JOB_INSERT);
    sql.rows(rows).push(JOB_INSERT_END).positional_on(tx);
    sql.query().execute(&mut **tx).await?;
    Ok(())
}

/// Queues the survey of a ticket just resolved, for `at`: one per resolution (`round` is
/// the reopen count), however often the move is retried.
pub(crate) async fn schedule_survey(
    tx: &mut Transaction<'_, Any>,
    tenant: &str,
    ticket: TicketId,
    round: i64,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let payload = json!({ "ticket_id": ticket, "round": round });
    insert_jobs(
        tx,
        [job_row(
            Some(tenant),
            "survey",
            &payload,
            ms(at),
            loopdesk_core::notify::DEFAULT_MAX_ATTEMPTS,
            Some(&format!("survey:{ticket}:{round}")),
            ms(now),
        )],
    )
    .await
}
