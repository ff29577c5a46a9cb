//! The job queue, which is also the outbox: a change that the outside world should hear of
//! writes a `publish` job in its own transaction; running that job fans it out into one
//! delivery job per webhook endpoint and into in-app notifications, each under a dedupe key,
//! so a retried fan-out never delivers twice. Jobs are claimed with a lease (on PostgreSQL
//! with `FOR UPDATE SKIP LOCKED`, so several instances share the queue); a job whose runner
//! died is claimed again once its lease has expired.

use chrono::{DateTime, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::followup::{self, About, Channel, Message, Notice, StaffChannel};
use loopdesk_core::i18n::Lang;
use loopdesk_core::notify::{self, Audience, Staff};
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::validate;
use loopdesk_core::{JobId, Roles, TenantId, TicketId, WebhookId};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use crate::outbox::{insert_jobs, job_row};
use crate::rows::parse_id;
use crate::sql::{Arg, Sql};
use crate::{from_ms, ms, Store, StoreError, TenantStore, Ticket};

/// An active webhook endpoint: where a tenant's events may go.
#[derive(Clone, Debug)]
pub struct ActiveWebhook {
    /// Id.
    pub id: String,
    /// Events it is subscribed to.
    pub events: Vec<String>,
    /// Attempts before a delivery is dead.
    pub max_attempts: i64,
}

/// A claimed job.
#[derive(Clone, Debug)]
pub struct ClaimedJob {
    /// Id.
    pub id: JobId,
    /// Tenant, for tenant jobs.
    pub tenant_id: Option<String>,
    /// What to do.
    pub kind: String,
    /// With what.
    pub payload: Value,
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
    pub kind: String,
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

/// A new webhook endpoint.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// Where to POST.
    pub url: String,
    /// The HMAC key.
    pub secret: String,
    /// Events to send.
    pub events: Vec<String>,
    /// Attempts before a delivery goes to the dead letters (default 8).
    pub max_attempts: Option<i64>,
}

/// A webhook endpoint (its secret is never shown again).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Webhook {
    /// Id.
    pub id: WebhookId,
    /// Where to POST.
    pub url: String,
    /// Events sent.
    pub events: Vec<String>,
    /// Attempts before a delivery is dead.
    pub max_attempts: i64,
    /// Created at.
    pub created_at: DateTime<Utc>,
}

/// An in-app notification.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Notification {
    /// Id.
    pub id: String,
    /// The event (`sla.escalated`, `ticket.assigned` …).
    pub event: String,
    /// The ticket, if any.
    pub ticket_id: Option<TicketId>,
    /// Details (ticket number, level, target …).
    #[schema(value_type = Object)]
    pub data: Value,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it was read.
    pub read_at: Option<DateTime<Utc>>,
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

/// A member of staff to notify.
struct StaffRecipient {
    id: String,
    email: Option<String>,
    /// Wants e-mail besides the bell.
    mail: bool,
    lang: Lang,
}

/// What the runner can send besides webhooks and in-app notifications.
#[derive(Clone, Debug, Default)]
pub struct Outbound {
    /// E-mail is configured (an SMTP server to send through).
    pub mail: bool,
    /// Loopdesk's public base URL, for links in messages (the survey).
    pub public_url: String,
}

/// One `webhook` delivery job of `event` to `hook`, keyed by `delivery`.
#[expect(clippy::too_many_arguments, reason = "one delivery's parts")]
fn delivery_row(
    tenant: &str,
    hook: &ActiveWebhook,
    event: &str,
    delivery: &str,
    at: Option<DateTime<Utc>>,
    ticket: &Ticket,
    data: &Value,
    now: i64,
) -> Vec<Arg> {
    let body = json!({
        "id": delivery,
        "event": event,
        "at": at,
        "tenant": tenant,
        "ticket": ticket,
        "data": data,
    });
    let payload = json!({ "webhook_id": hook.id, "delivery": delivery, "event": event, "body": body.to_string() });
    job_row(
        Some(tenant),
        "webhook",
        &payload,
        now,
        hook.max_attempts,
        Some(&format!("wh:{delivery}")),
        now,
    )
}

/// One `mail` job: `msg` to `to`, once per publish job and address.
fn mail_row(tenant: &str, publish: &JobId, to: &str, msg: &Message, now: i64) -> Vec<Arg> {
    let payload = json!({ "to": to, "subject": msg.subject, "body": msg.body });
    job_row(
        Some(tenant),
        "mail",
        &payload,
        now,
        notify::DEFAULT_MAX_ATTEMPTS,
        Some(&format!("mail:{publish}:{to}")),
        now,
    )
}

impl Store {
    /// Makes sure a recurring job (`sla_scan`, `auto_close` …) exists: one row per kind,
    /// whoever starts first creates it.
    pub async fn ensure_recurring(&self, kind: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        insert_jobs(
            &mut tx,
            [job_row(
                None,
                kind,
                &json!({}),
                ms(now),
                i64::MAX,
                Some(&format!("recurring:{kind}")),
                ms(now),
            )],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Claims up to `limit` jobs that are due, or whose runner's lease has expired, for
    /// `lease_ms`. Two runners never hold the same job at once.
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
        rows.into_iter()
            .map(|r| {
                Ok(ClaimedJob {
                    id: parse_id(&r.id, JobId::parse)?,
                    tenant_id: r.tenant_id,
                    kind: r.kind,
                    payload: serde_json::from_str(&r.payload)
                        .map_err(|_| StoreError::Corrupt("job payload".into()))?,
                    attempts: r.attempts,
                    max_attempts: r.max_attempts,
                })
            })
            .collect()
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
            if i > 0 {
                sql.push(", ");
            }
            sql.text(id.to_string());
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

    /// The active webhook endpoints of a tenant (read once per batch of jobs by the runner).
    pub async fn active_webhooks(&self, tenant: &str) -> Result<Vec<ActiveWebhook>, StoreError> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT id, events, max_attempts FROM webhooks WHERE tenant_id = $1 AND active = 1",
        )
        .bind(tenant)
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(|(id, events, max_attempts)| {
                Ok(ActiveWebhook {
                    id,
                    events: serde_json::from_str(&events)
                        .map_err(|_| StoreError::Corrupt("webhook events".into()))?,
                    max_attempts,
                })
            })
            .collect()
    }

    /// Fans a `publish` job out: one `webhook` delivery per endpoint of `hooks` (the tenant's,
    /// from [`Store::active_webhooks`]) subscribed to its event; the customer's notice of a
    /// milestone on their preferred channel (an e-mail, or a `customer.notice` delivery for an
    /// SMS gateway or chat bot); the in-app notifications, and e-mail to staff who asked for it.
    /// Everything is keyed by the publish job's id, so running it twice (after a crash) adds
    /// nothing; an event nobody listens to writes nothing.
    pub async fn fan_out(
        &self,
        job: &ClaimedJob,
        hooks: &[ActiveWebhook],
        outbound: &Outbound,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let corrupt = || StoreError::Corrupt(format!("publish job {}", job.id));
        let tenant = job.tenant_id.clone().ok_or_else(corrupt)?;
        let tenant_id = TenantId::parse(&tenant).ok_or_else(corrupt)?;
        let ticket_id = job.payload["ticket_id"]
            .as_str()
            .and_then(TicketId::parse)
            .ok_or_else(corrupt)?;
        let event = job.payload["event"]
            .as_str()
            .ok_or_else(corrupt)?
            .to_owned();
        let data = &job.payload["data"];
        let at = job.payload["at"].as_i64().map(from_ms);
        let subscribed: Vec<&ActiveWebhook> = hooks
            .iter()
            .filter(|h| notify::subscribed(&h.events, &event))
            .collect();
        let notice = Notice::of_event(&event, data);
        let notice_hooks: Vec<&ActiveWebhook> = match notice {
            Some(_) => hooks
                .iter()
                .filter(|h| notify::subscribed(&h.events, "customer.notice"))
                .collect(),
            None => Vec::new(),
        };
        let tell_customer = notice.is_some() && (outbound.mail || !notice_hooks.is_empty());
        let audience = notify::in_app_audience(&event, data);
        if subscribed.is_empty() && audience == Audience::Nobody && !tell_customer {
            return Ok(());
        }
        let ticket = match self
            .tenant(tenant_id)
            .ticket_without_events(ticket_id)
            .await
        {
            Ok(t) => t,
            Err(StoreError::NotFound) => return Ok(()),
            Err(e) => return Err(e),
        };
        let about = About {
            number: &ticket.number,
            subject: &ticket.subject,
            link: None,
        };
        let t = ms(now);
        let mut rows = Vec::new();
        for hook in subscribed {
            rows.push(delivery_row(
                &tenant,
                hook,
                &event,
                &format!("{}-{}", job.id, hook.id),
                at,
                &ticket,
                data,
                t,
            ));
        }
        let customer = match (notice, tell_customer) {
            (Some(notice), true) => self
                .ticket_recipient(
                    &tenant,
                    ticket.contact_id.map(|c| c.to_string()),
                    ticket.customer_id.map(|c| c.to_string()),
                )
                .await?
                .map(|r| (notice, r)),
            _ => None,
        };
        if let Some((notice, r)) = customer {
            let link = match (notice, data["survey_id"].as_str()) {
                (Notice::Survey, Some(survey)) => Some(format!(
                    "{}/survey/{}",
                    outbound.public_url.trim_end_matches('/'),
                    self.survey_token(&tenant, survey).await?
                )),
                _ => None,
            };
            if let Some(to) = r.address() {
                let msg = followup::customer_message(
                    r.lang,
                    notice,
                    About {
                        link: link.as_deref(),
                        ..about
                    },
                );
                if r.channel == Channel::Email && outbound.mail {
                    rows.push(mail_row(&tenant, &job.id, to, &msg, t));
                }
                let notice_data = json!({
                    "notice": notice.as_str(),
                    "channel": r.channel.as_str(),
                    "to": to,
                    "lang": r.lang.tag(),
                    "subject": msg.subject,
                    "text": msg.body,
                    "link": link,
                });
                for hook in notice_hooks {
                    rows.push(delivery_row(
                        &tenant,
                        hook,
                        "customer.notice",
                        &format!("{}-{}-notice", job.id, hook.id),
                        at,
                        &ticket,
                        &notice_data,
                        t,
                    ));
                }
            }
        }
        let staff = self.recipients(&tenant, audience, &ticket).await?;
        for person in staff.iter().filter(|p| p.mail && outbound.mail) {
            let (Some(to), Some(msg)) = (
                person.email.as_deref(),
                followup::staff_message(person.lang, &event, data, about),
            ) else {
                continue;
            };
            rows.push(mail_row(&tenant, &job.id, to, &msg, t));
        }
        let mut tx = self.write.begin().await?;
        if !rows.is_empty() {
            insert_jobs(&mut tx, rows).await?;
        }
        for person in &staff {
            sqlx::query(
                "INSERT INTO notifications (id, tenant_id, user_id, ticket_id, event, data, dedupe_key, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (dedupe_key) DO NOTHING",
            )
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(&tenant)
            .bind(&person.id)
            .bind(ticket_id.to_string())
            .bind(&event)
            .bind(json!({ "number": ticket.number, "data": data }).to_string())
            .bind(format!("{}:{}", job.id, person.id))
            .bind(t)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Delivers a low-stock alert (a `stock_alert` job): to every webhook subscribed to
    /// `stock.low`, and to the bell of the supervisors of the warehouse's region (every
    /// supervisor when it has none) and the admins. Keyed by the job, so a rerun adds nothing.
    pub async fn fan_out_stock_alert(
        &self,
        job: &ClaimedJob,
        hooks: &[ActiveWebhook],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let corrupt = || StoreError::Corrupt(format!("stock_alert job {}", job.id));
        let tenant = job.tenant_id.clone().ok_or_else(corrupt)?;
        let data = &job.payload;
        let warehouse = data["warehouse_id"].as_str().ok_or_else(corrupt)?;
        let region: Option<Option<String>> =
            sqlx::query_scalar("SELECT region_id FROM warehouses WHERE tenant_id = $1 AND id = $2")
                .bind(&tenant)
                .bind(warehouse)
                .fetch_optional(&self.read)
                .await?;
        let t = ms(now);
        let mut rows = Vec::new();
        for hook in hooks
            .iter()
            .filter(|h| notify::subscribed(&h.events, "stock.low"))
        {
            let delivery = format!("{}-{}", job.id, hook.id);
            let body = json!({
                "id": delivery,
                "event": "stock.low",
                "at": data["at"].as_i64().map(from_ms),
                "tenant": tenant,
                "data": data,
            });
            let payload = json!({ "webhook_id": hook.id, "delivery": delivery, "event": "stock.low", "body": body.to_string() });
            rows.push(job_row(
                Some(&tenant),
                "webhook",
                &payload,
                t,
                hook.max_attempts,
                Some(&format!("wh:{delivery}")),
                t,
            ));
        }
        let users: Vec<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT id, roles, region_id FROM users WHERE tenant_id = $1 AND active = 1",
        )
        .bind(&tenant)
        .fetch_all(&self.read)
        .await?;
        let staff = users
            .iter()
            .map(|(id, roles, region)| {
                Ok(Staff {
                    id,
                    roles: Roles::from_csv(roles).map_err(StoreError::Corrupt)?,
                    region: region.as_deref(),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let region = region.flatten();
        let chosen = notify::escalation_recipients(
            &[loopdesk_core::Role::Supervisor, loopdesk_core::Role::Admin],
            region.as_deref(),
            &staff,
        );
        let mut tx = self.write.begin().await?;
        if !rows.is_empty() {
            insert_jobs(&mut tx, rows).await?;
        }
        for person in chosen {
            sqlx::query(
                "INSERT INTO notifications (id, tenant_id, user_id, ticket_id, event, data, dedupe_key, created_at) \
                 VALUES ($1, $2, $3, NULL, 'stock.low', $4, $5, $6) ON CONFLICT (dedupe_key) DO NOTHING",
            )
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(&tenant)
            .bind(person)
            .bind(json!({ "data": data }).to_string())
            .bind(format!("{}:{person}", job.id))
            .bind(t)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The staff who get an in-app notification of an event on `ticket` (see
    /// [`notify::in_app_audience`]), with how they like to hear of it.
    async fn recipients(
        &self,
        tenant: &str,
        audience: Audience,
        ticket: &Ticket,
    ) -> Result<Vec<StaffRecipient>, StoreError> {
        type Row = (
            String,
            String,
            Option<String>,
            Option<String>,
            String,
            String,
        );
        let select = "SELECT id, roles, region_id, email, notify_channel, lang FROM users \
                      WHERE tenant_id = $1 AND active = 1";
        let rows: Vec<Row> = match audience {
            Audience::Nobody => return Ok(Vec::new()),
            Audience::Assignee => {
                let Some(a) = ticket.assignee_id else {
                    return Ok(Vec::new());
                };
                sqlx::query_as(&format!("{select} AND id = $2"))
                    .bind(tenant)
                    .bind(a.to_string())
                    .fetch_all(&self.read)
                    .await?
            }
            Audience::Roles(ref roles) => {
                let users: Vec<Row> = sqlx::query_as(select)
                    .bind(tenant)
                    .fetch_all(&self.read)
                    .await?;
                let staff = users
                    .iter()
                    .map(|(id, roles, region, ..)| {
                        Ok(Staff {
                            id,
                            roles: Roles::from_csv(roles).map_err(StoreError::Corrupt)?,
                            region: region.as_deref(),
                        })
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                let region = ticket.region_id.map(|r| r.to_string());
                let chosen = notify::escalation_recipients(roles, region.as_deref(), &staff);
                users
                    .iter()
                    .filter(|u| chosen.contains(&u.0.as_str()))
                    .cloned()
                    .collect()
            }
        };
        Ok(rows
            .into_iter()
            .map(|(id, _, _, email, channel, lang)| StaffRecipient {
                id,
                email,
                mail: StaffChannel::parse(&channel) == Some(StaffChannel::Email),
                lang: Lang::from_tag(&lang).unwrap_or_default(),
            })
            .collect())
    }

    /// A webhook endpoint's URL and secret, for a delivery.
    pub async fn webhook_target(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT url, secret FROM webhooks WHERE tenant_id = $1 AND id = $2")
                .bind(tenant)
                .bind(id)
                .fetch_optional(&self.read)
                .await?,
        )
    }
}

/// id, event, ticket id, data, created at, read at.
type NotificationRow = (String, String, Option<String>, String, i64, Option<i64>);

impl TenantStore {
    /// Registers a webhook endpoint (admin).
    pub async fn create_webhook(
        &self,
        actor: &Actor,
        new: NewWebhook,
        now: DateTime<Utc>,
    ) -> Result<Webhook, StoreError> {
        if !access::allowed(actor, Permission::ManageAutomation) {
            return Err(StoreError::Forbidden);
        }
        let url = validate::required_text("url", &new.url, 2000)?;
        let max_attempts = notify::check_webhook(&url, &new.secret, &new.events, new.max_attempts)?;
        let id = WebhookId::new();
        sqlx::query(
            "INSERT INTO webhooks (id, tenant_id, url, secret, events, max_attempts, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.to_string())
        .bind(self.tid())
        .bind(&url)
        .bind(&new.secret)
        .bind(json!(new.events).to_string())
        .bind(max_attempts)
        .bind(ms(now))
        .execute(&self.store.write)
        .await?;
        Ok(Webhook {
            id,
            url,
            events: new.events,
            max_attempts,
            created_at: from_ms(ms(now)),
        })
    }

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
        let rows: Vec<JobRow> = sqlx::query_as(
            "SELECT id, kind, status, attempts, max_attempts, run_at, last_error, payload, created_at FROM jobs \
             WHERE tenant_id = $1 AND ($2 = '' OR status = $2) ORDER BY created_at DESC, id DESC LIMIT $3",
        )
        .bind(self.tid())
        .bind(status.unwrap_or(""))
        .bind(limit.clamp(1, 500))
        .fetch_all(&self.store.read)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(JobView {
                    id: parse_id(&r.id, JobId::parse)?,
                    kind: r.kind,
                    status: r.status,
                    attempts: r.attempts,
                    max_attempts: r.max_attempts,
                    run_at: from_ms(r.run_at),
                    last_error: r.last_error,
                    // Survey links are the customer's credential: admins see them cut.
                    payload: serde_json::from_str(&without_survey_tokens(&r.payload))
                        .unwrap_or(Value::Null),
                    created_at: from_ms(r.created_at),
                })
            })
            .collect()
    }

    /// Marks the signed-in user's notifications read: those named, or all. Answers how many
    /// changed; ids that are not theirs change nothing.
    pub async fn mark_notifications_read(
        &self,
        actor: &Actor,
        ids: Option<&[String]>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let Some(user) = actor.user_id() else {
            return Ok(0);
        };
        let mut sql = Sql::new("UPDATE notifications SET read_at = ");
        sql.int(ms(now))
            .push(" WHERE tenant_id = ")
            .text(self.tid());
        sql.push(" AND user_id = ")
            .text(user.to_string())
            .push(" AND read_at IS NULL");
        if let Some(ids) = ids {
            if ids.is_empty() {
                return Ok(0);
            }
            if ids.len() > 500 {
                return Err(validate::FieldError {
                    field: "ids",
                    reason: "error.too_many",
                }
                .into());
            }
            sql.push(" AND id IN (");
            for (i, id) in ids.iter().enumerate() {
                sql.push(if i == 0 { "" } else { ", " }).text(id.clone());
            }
            sql.push(")");
        }
        Ok(sql
            .query()
            .execute(&self.store.write)
            .await?
            .rows_affected())
    }

    /// The signed-in user's notifications, newest first, and how many are unread.
    pub async fn notifications(
        &self,
        actor: &Actor,
        limit: i64,
    ) -> Result<(Vec<Notification>, i64), StoreError> {
        let Some(user) = actor.user_id() else {
            return Ok((Vec::new(), 0));
        };
        let rows: Vec<NotificationRow> = sqlx::query_as(
            "SELECT id, event, ticket_id, data, created_at, read_at FROM notifications \
             WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3",
        )
        .bind(self.tid())
        .bind(user.to_string())
        .bind(limit.clamp(1, 200))
        .fetch_all(&self.store.read)
        .await?;
        let (unread,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM notifications WHERE tenant_id = $1 AND user_id = $2 AND read_at IS NULL",
        )
        .bind(self.tid())
        .bind(user.to_string())
        .fetch_one(&self.store.read)
        .await?;
        let list = rows
            .into_iter()
            .map(
                |(id, event, ticket, data, at, read): NotificationRow| Notification {
                    id,
                    event,
                    ticket_id: ticket.as_deref().and_then(TicketId::parse),
                    data: serde_json::from_str(&data).unwrap_or(Value::Null),
                    created_at: from_ms(at),
                    read_at: read.map(from_ms),
                },
            )
            .collect();
        Ok((list, unread))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn survey_tokens_are_cut_from_what_admins_see() {
        let body = r#"{"body":"请评分：\nhttp://x.test/survey/0190ab-cd.9f3e2a\n谢谢","link":"http://x.test/survey/01-2.ab"}"#;
        let cut = super::without_survey_tokens(body);
        assert_eq!(
            cut,
            r#"{"body":"请评分：\nhttp://x.test/survey/…\n谢谢","link":"http://x.test/survey/…"}"#
        );
        assert_eq!(super::without_survey_tokens("no links"), "no links");
    }
}
