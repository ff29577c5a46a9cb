//! The job runner: claims due jobs from the database with a lease and runs them — the
//! recurring ones (SLA scan, auto-close, clean-up, maintenance work orders, automatic
//! dispatch, the weekly KPI report), the outbox fan-out (`publish`, `stock_alert`), webhook
//! deliveries, e-mails and surveys — retrying failures with exponential backoff until a
//! job's attempts run out (then it is `dead`, visible to admins). Several runners, in one
//! process or in several instances on one PostgreSQL, share the queue without doing a job
//! twice; a runner that dies mid-job leaves it to be claimed again when its lease expires.
//! Every effect is idempotent.
//!
//! Jobs are typed ([`loopdesk_core::job::Job`]): one `match` names what each kind does. The
//! workflows live in this crate's modules and call intent-named store functions; the rules
//! they follow are in core.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use loopdesk_core::clock::Clock;
use loopdesk_core::job::{Delivery, Job, JobKind, Mail};
use loopdesk_core::net::IpRange;
use loopdesk_core::signing;
use loopdesk_core::{JobId, TenantId};
use loopdesk_store::blobs::Blobs;
use loopdesk_store::{ActiveWebhook, ClaimedJob, Store, StoreError};

mod chat;
pub mod dispatch;
mod fanout;
mod followup;
mod guard;
mod mail;
pub mod maintenance;
mod paper;
mod report;
pub mod triage;

pub use dispatch::AutoDispatch;
pub use fanout::Outbound;
pub use mail::{MailError, MailFile, Mailer};

/// How the runner paces itself.
#[derive(Clone, Debug)]
pub struct RunnerConfig {
    /// Pause between polls when the queue is empty.
    pub poll: Duration,
    /// How long a claimed job is ours before another runner may take it over.
    pub lease: chrono::Duration,
    /// Jobs claimed at once.
    pub batch: i64,
    /// How often the SLA scan runs.
    pub sla_every: chrono::Duration,
    /// Tickets one scan looks at, at most.
    pub sla_batch: i64,
    /// Timeout of one webhook delivery.
    pub http_timeout: Duration,
    /// How often resolved tickets are checked for auto-close.
    pub auto_close_every: chrono::Duration,
    /// How often finished jobs are cleaned up.
    pub cleanup_every: chrono::Duration,
    /// How long finished jobs are kept (dead ones stay until an admin looks).
    pub keep_done: chrono::Duration,
    /// How often the runner looks whether a weekly KPI report is due.
    pub report_every: chrono::Duration,
    /// How often maintenance plans are looked at for work orders to make.
    pub maintenance_every: chrono::Duration,
    /// How often automatic dispatch runs (tenants in `auto` mode), after the model has set
    /// the categories of new tickets (tenants that let it).
    pub dispatch_every: chrono::Duration,
    /// How often the runner looks whether a tenant's triage models are due to be trained.
    pub triage_every: chrono::Duration,
    /// Loopdesk's public base URL, for links in messages (`http://127.0.0.1:8080`).
    pub public_url: String,
    /// Internal address ranges webhooks may still reach (none by default: a delivery to
    /// loopback, a private network or link-local fails, however its host name resolves).
    pub webhook_allow: Vec<IpRange>,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        RunnerConfig {
            poll: Duration::from_millis(250),
            lease: chrono::Duration::seconds(60),
            batch: 128,
            sla_every: chrono::Duration::seconds(1),
            sla_batch: 2000,
            http_timeout: Duration::from_secs(10),
            auto_close_every: chrono::Duration::seconds(60),
            cleanup_every: chrono::Duration::hours(1),
            keep_done: chrono::Duration::days(7),
            report_every: chrono::Duration::minutes(15),
            maintenance_every: chrono::Duration::minutes(30),
            dispatch_every: chrono::Duration::minutes(1),
            triage_every: chrono::Duration::minutes(30),
            public_url: "http://127.0.0.1:8080".into(),
            webhook_allow: Vec::new(),
        }
    }
}

/// A job runner.
#[derive(Clone)]
pub struct Runner {
    store: Store,
    clock: Arc<dyn Clock>,
    name: String,
    http: reqwest::Client,
    config: RunnerConfig,
    /// Where e-mail goes out, if it is configured.
    mailer: Option<Mailer>,
    /// What the fan-out may send besides webhooks.
    outbound: Outbound,
    /// Set once this runner has made sure the recurring jobs exist (a write; not per poll).
    recurring_ensured: Arc<AtomicBool>,
    /// What service reports are made from, if this runner attaches them.
    reports: Option<Arc<paper::Reports>>,
}

/// Why a job failed (retried unless its attempts are used up).
#[derive(Debug)]
struct JobFailure(String);

impl From<StoreError> for JobFailure {
    fn from(e: StoreError) -> Self {
        JobFailure(e.to_string())
    }
}

/// Each tenant's active webhooks, read once per batch of jobs.
type Webhooks = HashMap<TenantId, Vec<ActiveWebhook>>;

/// What became of one job.
enum Done {
    Finished,
    Again(DateTime<Utc>),
}

impl Runner {
    /// A runner called `name` (unique per process: it marks the jobs it holds). Fails only
    /// when the HTTP client cannot be set up.
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        name: String,
        config: RunnerConfig,
    ) -> Result<Runner, reqwest::Error> {
        let http = guard::webhook_client(config.http_timeout, config.webhook_allow.clone())?;
        let outbound = Outbound {
            mail: false,
            public_url: config.public_url.clone(),
            reports: false,
        };
        Ok(Runner {
            store,
            clock,
            name,
            http,
            config,
            mailer: None,
            outbound,
            recurring_ensured: Arc::new(AtomicBool::new(false)),
            reports: None,
        })
    }

    /// Attaches the service report (PDF) to the customer's closing mail, made from the
    /// uploaded files in `blobs` and set in `font` (`path` or `path#face`; none: the system's
    /// CJK font).
    pub fn with_service_reports(mut self, blobs: Arc<dyn Blobs>, font: Option<String>) -> Runner {
        self.reports = Some(Arc::new(paper::Reports {
            blobs,
            fonts: Arc::new(loopdesk_pdf::Fonts::new(font)),
        }));
        self.outbound.reports = true;
        self
    }

    /// Sends e-mail through `mailer` (customers' milestones and surveys, staff who asked for
    /// mail); without one, nothing is mailed and the other channels still work.
    pub fn with_mailer(mut self, mailer: Mailer) -> Runner {
        self.mailer = Some(mailer);
        self.outbound.mail = true;
        self
    }

    /// Claims one batch of due jobs and runs them; answers how many ran.
    pub async fn run_once(&self) -> Result<usize, StoreError> {
        let now = self.clock.now();
        if !self.recurring_ensured.load(Ordering::Relaxed) {
            self.store.ensure_recurring(now).await?;
            self.recurring_ensured.store(true, Ordering::Relaxed);
        }
        let jobs = self
            .store
            .claim_jobs(
                &self.name,
                now,
                self.config.lease.num_milliseconds(),
                self.config.batch,
            )
            .await?;
        let n = jobs.len();
        // Finished jobs are marked done together: one commit per batch, not per job. A crash
        // before that mark re-runs them after the lease, which their effects allow.
        let mut finished = Vec::with_capacity(n);
        let mut hooks = Webhooks::default();
        for job in jobs {
            if let Some(id) = self.run_job(job, &mut hooks).await? {
                finished.push(id);
            }
        }
        self.store
            .finish_jobs(&finished, &self.name, self.clock.now())
            .await?;
        Ok(n)
    }

    /// Runs jobs until the queue holds nothing due (for tests and `loopdesk jobs --once`);
    /// answers how many ran. Recurring jobs due again at once are not run twice per call.
    pub async fn drain(&self) -> Result<usize, StoreError> {
        let mut total = 0;
        for _ in 0..100 {
            let n = self.run_once().await?;
            total += n;
            if n == 0 {
                break;
            }
        }
        Ok(total)
    }

    /// Runs one job; answers its id when it finished (to be marked done with its batch).
    async fn run_job(
        &self,
        job: ClaimedJob,
        hooks: &mut Webhooks,
    ) -> Result<Option<JobId>, StoreError> {
        let now = self.clock.now();
        let kind = job.job.kind();
        let outcome = match (&job.job, job.tenant_id) {
            (Job::Recurring(kind), _) => self.recurring(*kind, now).await,
            (Job::Publish(p), Some(tenant)) => {
                let hooks = self.hooks_of(hooks, tenant).await?;
                fanout::publish(&self.store, job.id, tenant, p, hooks, &self.outbound, now)
                    .await
                    .map(|()| Done::Finished)
                    .map_err(JobFailure::from)
            }
            (Job::StockAlert(alert), Some(tenant)) => {
                let hooks = self.hooks_of(hooks, tenant).await?;
                fanout::stock_alert(&self.store, job.id, tenant, alert, hooks, now)
                    .await
                    .map(|()| Done::Finished)
                    .map_err(JobFailure::from)
            }
            (Job::Webhook(d), Some(tenant)) => self.deliver(tenant, d, now).await,
            (Job::Mail(m), tenant) => self.mail(tenant, m, now).await,
            (Job::Chat(c), Some(tenant)) => self.chat(tenant, c, now).await,
            (Job::Survey(due), Some(tenant)) => {
                followup::send_survey(&self.store, tenant, due, now)
                    .await
                    .map(|()| Done::Finished)
                    .map_err(JobFailure::from)
            }
            (_, None) => Err(JobFailure(format!("a {kind} job without a tenant"))),
        };
        match outcome {
            Ok(Done::Finished) => Ok(Some(job.id)),
            Ok(Done::Again(at)) => self
                .store
                .reschedule_job(job.id, &self.name, at, self.clock.now())
                .await
                .map(|()| None),
            Err(JobFailure(e)) => {
                let delay = if kind.is_recurring() {
                    5 // recurring: never back off for long
                } else {
                    signing::retry_delay_secs(job.attempts)
                };
                let retry = (job.attempts < job.max_attempts)
                    .then(|| now + chrono::Duration::seconds(delay));
                tracing::warn!(job = %job.id, kind = %kind, attempts = job.attempts, error = %e, dead = retry.is_none(), "job failed");
                self.store
                    .fail_job(job.id, &self.name, &e, retry, self.clock.now())
                    .await
                    .map(|()| None)
            }
        }
    }

    /// Runs a recurring job; it is due again after its interval.
    async fn recurring(&self, kind: JobKind, now: DateTime<Utc>) -> Result<Done, JobFailure> {
        let every = match kind {
            JobKind::SlaScan => {
                self.sla_scan(now).await?;
                self.config.sla_every
            }
            JobKind::AutoClose => {
                // A full batch means more may be due: go on, a bounded number of times.
                for _ in 0..20 {
                    if followup::auto_close(&self.store, now, 500).await?.0 < 500 {
                        break;
                    }
                }
                self.config.auto_close_every
            }
            JobKind::JobsCleanup => {
                let before = now - self.config.keep_done;
                let gone = self.store.delete_done_jobs(before).await?;
                if gone > 0 {
                    tracing::info!(jobs = gone, "deleted finished jobs");
                }
                self.config.cleanup_every
            }
            JobKind::KpiReport => {
                if self.mailer.is_some() {
                    let queued = report::weekly(&self.store, now).await?;
                    if queued > 0 {
                        tracing::info!(mails = queued, "weekly KPI reports queued");
                    }
                    let queued = report::scheduled(&self.store, now).await?;
                    if queued > 0 {
                        tracing::info!(mails = queued, "scheduled KPI reports queued");
                    }
                    let queued =
                        report::problems(&self.store, now, &self.config.public_url).await?;
                    if queued > 0 {
                        tracing::info!(mails = queued, "recurring problems alerts queued");
                    }
                }
                self.config.report_every
            }
            JobKind::Maintenance => {
                let made = maintenance::generate(&self.store, now).await?;
                if made > 0 {
                    tracing::info!(work_orders = made, "maintenance work orders made");
                }
                self.config.maintenance_every
            }
            JobKind::Dispatch => {
                let guessed = triage::guess(&self.store, now).await?;
                if guessed > 0 {
                    tracing::info!(tickets = guessed, "categories set by the model");
                }
                let done = dispatch::run(&self.store, now).await?;
                if done.assigned + done.passed_on > 0 {
                    tracing::info!(
                        assigned = done.assigned,
                        passed_on = done.passed_on,
                        "automatic dispatch"
                    );
                }
                self.config.dispatch_every
            }
            JobKind::TriageTrain => {
                triage::nightly(&self.store, now).await?;
                self.config.triage_every
            }
            other => return Err(JobFailure(format!("{other} is not a recurring job"))),
        };
        Ok(Done::Again(now + every))
    }

    /// The active webhooks of a tenant, read once per batch.
    async fn hooks_of<'a>(
        &self,
        hooks: &'a mut Webhooks,
        tenant: TenantId,
    ) -> Result<&'a [ActiveWebhook], StoreError> {
        Ok(match hooks.entry(tenant) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => {
                let found = self.store.active_webhooks(tenant).await?;
                e.insert(found)
            }
        })
    }

    async fn sla_scan(&self, now: DateTime<Utc>) -> Result<(), JobFailure> {
        // A full batch means more may be due: go on, a bounded number of times per run.
        for _ in 0..50 {
            let r = self.store.sla_scan(now, self.config.sla_batch).await?;
            if r.tickets < usize::try_from(self.config.sla_batch).unwrap_or(usize::MAX) {
                break;
            }
        }
        Ok(())
    }

    async fn mail(
        &self,
        tenant: Option<TenantId>,
        m: &Mail,
        now: DateTime<Utc>,
    ) -> Result<Done, JobFailure> {
        let Some(mailer) = &self.mailer else {
            // Queued by an instance with mail configured; this one cannot send it.
            return Err(JobFailure(
                "no SMTP server is configured on this runner".into(),
            ));
        };
        let file = match (&m.service_report, &self.reports, tenant) {
            (Some(want), Some(reports), Some(tenant)) => reports
                .make(&self.store, tenant, want, &self.config.public_url, now)
                .await
                .map_err(|e| JobFailure(format!("service report: {e}")))?,
            _ => None,
        };
        let file = file
            .map(|(name, bytes)| MailFile {
                name,
                content_type: "application/pdf",
                bytes,
            })
            .or_else(|| {
                // A table: UTF-8 with a byte-order mark, so Excel reads the Chinese in it.
                m.csv.as_ref().map(|(name, text)| MailFile {
                    name: name.clone(),
                    content_type: "text/csv; charset=utf-8",
                    bytes: [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
                })
            });
        mailer
            .send_with(&m.to, &m.subject, &m.body, file, m.thread.as_ref())
            .await
            .map_err(|e| JobFailure(e.to_string()))?;
        Ok(Done::Finished)
    }

    async fn deliver(
        &self,
        tenant: TenantId,
        d: &Delivery,
        now: DateTime<Utc>,
    ) -> Result<Done, JobFailure> {
        let Some((url, secret)) = self.store.webhook_target(tenant, &d.webhook_id).await? else {
            return Ok(Done::Finished); // the endpoint was removed
        };
        // Checked on every delivery: the allowed ranges may have changed since it was made.
        let target = reqwest::Url::parse(&url).map_err(|e| JobFailure(format!("{url}: {e}")))?;
        if !loopdesk_core::notify::webhook_host_allowed(&target, &self.config.webhook_allow) {
            return Err(JobFailure(format!(
                "POST {url}: refused, the address is internal"
            )));
        }
        let ts = now.timestamp();
        let answer = self
            .http
            .post(&url)
            .header("content-type", "application/json")
            .header("x-loopdesk-event", &d.event)
            .header("x-loopdesk-delivery", &d.delivery)
            .header("x-loopdesk-timestamp", ts.to_string())
            .header(
                "x-loopdesk-signature",
                signing::webhook_signature(&secret, ts, &d.body),
            )
            .body(d.body.clone())
            .send()
            .await
            .map_err(|e| JobFailure(format!("POST {url}: {e}")))?;
        if answer.status().is_success() {
            Ok(Done::Finished)
        } else {
            Err(JobFailure(format!(
                "POST {url}: HTTP {}",
                answer.status().as_u16()
            )))
        }
    }

    /// Runs until `shutdown` resolves, polling when idle.
    pub async fn run_until(self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            let ran = match self.run_once().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::error!(error = %e, "job runner could not reach the queue");
                    0
                }
            };
            if ran > 0 {
                continue;
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(self.config.poll) => {}
            }
        }
    }
}
