//! The outbox: a change the outside world should hear of writes a job in its own
//! transaction (DESIGN §4), so nothing is lost and nothing is sent for a change that rolled
//! back. Jobs are typed ([`Job`], in core); the job runner fans `publish` jobs out and runs
//! the rest.

use chrono::{DateTime, Utc};
use loopdesk_core::job::{self, Job, JobKind};
use loopdesk_core::{notify, JobId, TenantId, TicketId};
use serde_json::Value;
use sqlx::{Any, Transaction};

use crate::sql::{Arg, Sql};
use crate::{ms, StoreError};

/// A job to queue.
#[derive(Clone, Debug)]
pub struct NewJob {
    /// The tenant whose job it is (none: a recurring job, for every tenant).
    tenant: Option<String>,
    job: Job,
    run_at: DateTime<Utc>,
    max_attempts: i64,
    dedupe_key: Option<String>,
}

impl NewJob {
    /// `job` of `tenant`, due at once, with the default attempts.
    pub fn new(tenant: TenantId, job: Job, now: DateTime<Utc>) -> NewJob {
        NewJob::of(&tenant.to_string(), job, now)
    }

    pub(crate) fn of(tenant: &str, job: Job, now: DateTime<Utc>) -> NewJob {
        NewJob {
            tenant: Some(tenant.to_owned()),
            job,
            run_at: now,
            max_attempts: notify::DEFAULT_MAX_ATTEMPTS,
            dedupe_key: None,
        }
    }

    /// The row of a recurring kind, for every tenant.
    pub(crate) fn recurring(kind: JobKind, now: DateTime<Utc>) -> NewJob {
        NewJob {
            tenant: None,
            job: Job::Recurring(kind),
            run_at: now,
            max_attempts: i64::MAX,
            dedupe_key: Some(format!("recurring:{kind}")),
        }
    }

    /// The same job, added once whatever the retries: a job with the same key is not added
    /// again.
    pub fn keyed(self, key: String) -> NewJob {
        NewJob {
            dedupe_key: Some(key),
            ..self
        }
    }

    /// The same job, due at `at`.
    pub fn due(self, at: DateTime<Utc>) -> NewJob {
        NewJob { run_at: at, ..self }
    }

    /// The same job, tried at most `n` times.
    pub fn attempts(self, n: i64) -> NewJob {
        NewJob {
            max_attempts: n,
            ..self
        }
    }

    /// Its values, in [`JOB_INSERT`]'s order.
    fn row(&self, now: DateTime<Utc>) -> Vec<Arg> {
        vec![
            Arg::Text(Some(JobId::new().to_string())),
            Arg::Text(self.tenant.clone()),
            Arg::Text(Some(self.job.kind().as_str().to_owned())),
            Arg::Text(Some(self.job.payload().to_string())),
            Arg::Text(Some("pending".into())),
            Arg::Int(0),
            Arg::Int(self.max_attempts),
            Arg::Int(ms(self.run_at)),
            Arg::Text(self.dedupe_key.clone()),
            Arg::Int(ms(now)),
            Arg::Int(ms(now)),
        ]
    }
}

/// The outbox entry for `event` on `ticket`.
pub(crate) fn publish(
    tenant: &str,
    ticket: TicketId,
    event: &str,
    data: Value,
    now: DateTime<Utc>,
) -> NewJob {
    let publish = job::Publish {
        event: event.to_owned(),
        ticket_id: ticket,
        data,
        at: ms(now),
    };
    NewJob::of(tenant, Job::Publish(publish), now)
}

/// Writes the outbox entry for `event` on `ticket` inside the change's transaction.
pub(crate) async fn enqueue_publish(
    tx: &mut Transaction<'_, Any>,
    tenant: &str,
    ticket: TicketId,
    event: &str,
    data: &Value,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let entry = publish(tenant, ticket, event, data.clone(), now);
    insert_jobs(tx, [entry], now).await
}

/// `INSERT` of jobs; rows from [`NewJob::row`] follow, then [`JOB_INSERT_END`].
const JOB_INSERT: &str =
    "INSERT INTO jobs (id, tenant_id, kind, payload, status, attempts, max_attempts, \
    run_at, dedupe_key, created_at, updated_at) VALUES ";

/// A job whose dedupe key exists already is not added again.
const JOB_INSERT_END: &str = " ON CONFLICT (dedupe_key) DO NOTHING";

/// Adds jobs (one statement for all of them).
pub(crate) async fn insert_jobs(
    tx: &mut Transaction<'_, Any>,
    jobs: impl IntoIterator<Item = NewJob>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let rows: Vec<Vec<Arg>> = jobs.into_iter().map(|j| j.row(now)).collect();
    if rows.is_empty() {
        return Ok(());
    }
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
    let due = job::SurveyDue {
        ticket_id: ticket,
        round,
    };
    let survey = NewJob::of(tenant, Job::Survey(due), now)
        .due(at)
        .keyed(format!("survey:{ticket}:{round}"));
    insert_jobs(tx, [survey], now).await
}
