//! The job queue. Jobs are written by the outbox ([`crate::outbox`]) and by the runner's own
//! fan-out ([`Store::enqueue`]), claimed with a lease (on PostgreSQL with
//! `FOR UPDATE SKIP LOCKED`, so several instances share the queue), and finished, retried or
//! declared dead by the runner. A job whose runner died is claimed again once its lease has
//! expired; every job with effects carries a dedupe key, so doing it twice adds nothing.

use chrono::{DateTime, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::job::{Job, JobKind};
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::{validate, JobId, TenantId, TicketId};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::outbox::{insert_jobs, NewJob};
use crate::rows::{corrupt, parse_id, parse_opt_id};
use crate::sql::Sql;
use crate::{from_ms, ms, Store, StoreError, TenantStore};

mod notifications;
mod webhooks;

pub(crate) use notifications::insert as insert_notifications;
pub use notifications::{NewNotification, Notification, StaffRecipient};
pub use webhooks::{ActiveWebhook, NewWebhook, Webhook, WebhookDelivery};

/// A claimed job.
#[derive(Clone, Debug)]
pub struct ClaimedJob {
    /// Id.
    pub id: JobId,
    /// Tenant, for tenant jobs.
    pub tenant_id: Option<TenantId>,
    /// What to do, with what.
    pub job: Job,
    /// Attempts so far, this one included.
    pub attempts: i64,
    /// Attempts allowed.
    pub max_attempts: i64,
}

#[derive(sqlx::FromRow)]
struct ClaimRow {
    id: String,
    tenant_id: Option<String>,
    kind: String,
    payload: String,
    attempts: i64,
    max_attempts: i64,
}

/// A job as admins see it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct JobView {
    /// Id.
    pub id: JobId,
    /// Kind (`publish`, `webhook`, `sla_scan` …).
    pub kind: JobKind,
    /// `pending`, `running`, `done`, `failed` (will be retried) or `dead`.
    pub status: String,
    /// Attempts so far.
    pub attempts: i64,
    /// Attempts allowed.
    pub max_attempts: i64,
    /// Next run.
    pub run_at: DateTime<Utc>,
    /// The last failure.
    pub last_error: Option<String>,
    /// What it carries.
    #[schema(value_type = Object)]
    pub payload: Value,
    /// Created at.
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct JobRow {
    id: String,
    kind: String,
    status: String,
    attempts: i64,
    max_attempts: i64,
    run_at: i64,
    last_error: Option<String>,
    payload: String,
    created_at: i64,
}

impl Store {
    /// Makes sure the recurring jobs exist: one row per kind, whoever starts first creates it.
    pub async fn ensure_recurring(&self, now: DateTime<Utc>) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        let rows = JobKind::RECURRING.map(|kind| NewJob::recurring(kind, now));
        insert_jobs(&mut tx, rows, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Claims up to `limit` jobs that are due, or whose runner's lease has expired, for
    /// `lease_ms`. Two runners never hold the same job at once. A job whose payload does not
    /// read as its kind's is declared dead at once, with why, and not handed out.
    pub async fn claim_jobs(
        &self,
        runner: &str,
        now: DateTime<Utc>,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<ClaimedJob>, StoreError> {
        let t = ms(now);
        let rows: Vec<ClaimRow> = sqlx::query_as(&format!(
            "UPDATE jobs SET status = 'running', lease_until = $1, locked_by = $2, attempts = attempts + 1, \
             updated_at = $3 WHERE id IN (SELECT id FROM jobs WHERE (status IN ('pending', 'failed') AND run_at <= $3) \
             OR (status = 'running' AND lease_until < $3) ORDER BY run_at LIMIT $4{}) \
             RETURNING id, tenant_id, kind, payload, attempts, max_attempts",
            self.backend.skip_locked()
        ))
        .bind(t + lease_ms)
        .bind(runner)
        .bind(t)
        .bind(limit)
        .fetch_all(&self.write)
        .await?;
        let mut claimed = Vec::with_capacity(rows.len());
        for r in rows {
            let id = parse_id(&r.id, JobId::parse)?;
            let job = JobKind::parse(&r.kind)
                .ok_or_else(|| format!("no job kind `{}`", r.kind))
                .and_then(|kind| {
                    let payload: Value = serde_json::from_str(&r.payload)
                        .map_err(|e| format!("the payload is not JSON: {e}"))?;
                    Job::parse(kind, &payload).map_err(|e| e.to_string())
                });
            match job {
                Ok(job) => claimed.push(ClaimedJob {
                    id,
                    tenant_id: parse_opt_id(r.tenant_id, TenantId::parse)?,
                    job,
                    attempts: r.attempts,
                    max_attempts: r.max_attempts,
                }),
                Err(why) => self.fail_job(id, runner, &why, None, now).await?,
            }
        }
        Ok(claimed)
    }

    /// Marks a job done (only if `runner` still holds it).
    pub async fn finish_job(
        &self,
        id: JobId,
        runner: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.finish_jobs(&[id], runner, now).await
    }

    /// Marks jobs done in one statement (only those `runner` still holds): a batch of
    /// finished jobs costs one commit, not one each.
    pub async fn finish_jobs(
        &self,
        ids: &[JobId],
        runner: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut sql = Sql::new(
            "UPDATE jobs SET status = 'done', lease_until = NULL, last_error = NULL, updated_at = ",
        );
        sql.int(ms(now)).push(" WHERE locked_by = ").text(runner);
        sql.push(" AND status = 'running' AND id IN (");
        for (i, id) in ids.iter().enumerate() {
            sql.push(if i == 0 { "" } else { ", " })
                .text(id.to_string());
        }
        sql.push(")");
        sql.query().execute(&self.write).await?;
        Ok(())
    }

    /// Puts a recurring job back in the queue for `next`.
    pub async fn reschedule_job(
        &self,
        id: JobId,
        runner: &str,
        next: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE jobs SET status = 'pending', lease_until = NULL, attempts = 0, run_at = $1, updated_at = $2 \
             WHERE id = $3 AND locked_by = $4 AND status = 'running'",
        )
        .bind(ms(next))
        .bind(ms(now))
        .bind(id.to_string())
        .bind(runner)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Records a failure: retried at `retry_at`, or dead when `retry_at` is `None`.
    pub async fn fail_job(
        &self,
        id: JobId,
        runner: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let error: String = error.chars().take(1000).collect();
        sqlx::query(
            "UPDATE jobs SET status = $1, lease_until = NULL, last_error = $2, run_at = $3, updated_at = $4 \
             WHERE id = $5 AND locked_by = $6 AND status = 'running'",
        )
        .bind(if retry_at.is_some() { "failed" } else { "dead" })
        .bind(error)
        .bind(ms(retry_at.unwrap_or(now)))
        .bind(ms(now))
        .bind(id.to_string())
        .bind(runner)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Deletes finished jobs older than `before` (the `jobs_cleanup` job); dead ones stay
    /// for admins to look at. Answers how many went.
    pub async fn delete_done_jobs(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(
            sqlx::query("DELETE FROM jobs WHERE status = 'done' AND updated_at < $1")
                .bind(ms(before))
                .execute(&self.write)
                .await?
                .rows_affected(),
        )
    }

    /// Writes what a job's run gives rise to — further jobs (deliveries, mails) and in-app
    /// notifications — in one transaction. Each carries a dedupe key made from the job that
    /// gave rise to it, so a run repeated after a crash adds nothing.
    pub async fn enqueue(
        &self,
        jobs: Vec<NewJob>,
        notifications: Vec<NewNotification>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if jobs.is_empty() && notifications.is_empty() {
            return Ok(());
        }
        let mut tx = self.write.begin().await?;
        insert_jobs(&mut tx, jobs, now).await?;
        notifications::insert(&mut tx, &notifications, now).await?;
        tx.commit().await?;
        Ok(())
    }
}

impl TenantStore {
    /// The tenant's jobs, newest first, optionally of one status (admin).
    pub async fn jobs(
        &self,
        actor: &Actor,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<JobView>, StoreError> {
        if !access::allowed(actor, Permission::ManageAutomation) {
            return Err(StoreError::Forbidden);
        }
        let limit = validate::limit(limit, 500)?;
        if status.is_some_and(|s| !loopdesk_core::job::JOB_STATUSES.contains(&s)) {
            return Err(StoreError::Invalid(validate::FieldError {
                field: "status",
                reason: "error.invalid_value",
            }));
        }
        let rows: Vec<JobRow> = sqlx::query_as(
            "SELECT id, kind, status, attempts, max_attempts, run_at, last_error, payload, created_at FROM jobs \
             WHERE tenant_id = $1 AND ($2 = '' OR status = $2) ORDER BY created_at DESC, id DESC LIMIT $3",
        )
        .bind(self.tid())
        .bind(status.unwrap_or(""))
        .bind(limit)
        .fetch_all(&self.store.read)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(JobView {
                    id: parse_id(&r.id, JobId::parse)?,
                    kind: JobKind::parse(&r.kind).ok_or_else(|| corrupt("job kind"))?,
                    status: r.status,
                    attempts: r.attempts,
                    max_attempts: r.max_attempts,
                    run_at: from_ms(r.run_at),
                    last_error: r.last_error,
                    // Survey links and binding codes are the customer's credentials:
                    // admins see them cut.
                    payload: serde_json::from_str(&without_survey_tokens(&r.payload))
                        .map(without_codes)
                        .unwrap_or(Value::Null),
                    created_at: from_ms(r.created_at),
                })
            })
            .collect()
    }

    /// A ticket as the outside world hears of it (for the fan-out: no access check, no
    /// events); `None` when it is gone.
    pub async fn ticket_to_publish(
        &self,
        id: TicketId,
    ) -> Result<Option<crate::Ticket>, StoreError> {
        match self.ticket_without_events(id).await {
            Ok(t) => Ok(Some(t)),
            Err(StoreError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A webhook delivery of a binding code's SMS (`customer.notice`, notice
/// `verification_code`) without its text.
fn without_codes(mut payload: Value) -> Value {
    let Some(body) = payload.get("body").and_then(Value::as_str) else {
        return payload;
    };
    if !body.contains("\"verification_code\"") {
        return payload;
    }
    let cut = match serde_json::from_str::<Value>(body) {
        Ok(mut b) => {
            if let Some(text) = b.pointer_mut("/data/text") {
                *text = Value::String("…".into());
            }
            b.to_string()
        }
        Err(_) => "…".to_owned(),
    };
    payload["body"] = Value::String(cut);
    payload
}

/// `text` with the token of every survey link (`…/survey/<token>`) replaced by `…`.
fn without_survey_tokens(text: &str) -> String {
    const MARK: &str = "/survey/";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(MARK) {
        out.push_str(&rest[..at + MARK.len()]);
        rest = &rest[at + MARK.len()..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.'))
            .unwrap_or(rest.len());
        if end > 0 {
            out.push('…');
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests;
