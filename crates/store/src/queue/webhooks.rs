//! Webhook endpoints: registering one (admins), and what a delivery needs of them.

use chrono::{DateTime, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::net::IpRange;
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::{notify, validate, TenantId, WebhookId};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::{from_ms, ms, Store, StoreError, TenantStore};

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
    /// Sent to (a disabled endpoint gets nothing until enabled again).
    pub active: bool,
    /// Created at.
    pub created_at: DateTime<Utc>,
}

/// One delivery to a webhook endpoint, as the job queue holds it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct WebhookDelivery {
    /// The delivery's job.
    pub id: String,
    /// The event it carries.
    pub event: String,
    /// `pending`, `running`, `done`, `failed` (to be retried) or `dead`.
    pub status: String,
    /// Attempts so far.
    pub attempts: i64,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// Queued at.
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct WebhookRow {
    id: String,
    url: String,
    events: String,
    max_attempts: i64,
    active: i64,
    created_at: i64,
}

impl WebhookRow {
    fn model(self) -> Result<Webhook, StoreError> {
        Ok(Webhook {
            id: crate::rows::parse_id(&self.id, WebhookId::parse)?,
            url: self.url,
            events: serde_json::from_str(&self.events)
                .map_err(|_| StoreError::Corrupt("webhook events".into()))?,
            max_attempts: self.max_attempts,
            active: self.active != 0,
            created_at: from_ms(self.created_at),
        })
    }
}

#[derive(sqlx::FromRow)]
struct ActiveRow {
    id: String,
    events: String,
    max_attempts: i64,
}

impl Store {
    /// The active webhook endpoints of a tenant (read once per batch of jobs by the runner).
    pub async fn active_webhooks(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<ActiveWebhook>, StoreError> {
        let rows: Vec<ActiveRow> = sqlx::query_as(
            "SELECT id, events, max_attempts FROM webhooks WHERE tenant_id = $1 AND active = 1",
        )
        .bind(tenant.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(ActiveWebhook {
                    id: r.id,
                    events: serde_json::from_str(&r.events)
                        .map_err(|_| StoreError::Corrupt("webhook events".into()))?,
                    max_attempts: r.max_attempts,
                })
            })
            .collect()
    }

    /// A webhook endpoint's URL and secret, for a delivery (`None`: it was removed).
    pub async fn webhook_target(
        &self,
        tenant: TenantId,
        id: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT url, secret FROM webhooks WHERE tenant_id = $1 AND id = $2")
                .bind(tenant.to_string())
                .bind(id)
                .fetch_optional(&self.read)
                .await?,
        )
    }
}

impl TenantStore {
    /// Registers a webhook endpoint (admin); an internal target only in a range of `allowed`.
    pub async fn create_webhook(
        &self,
        actor: &Actor,
        new: NewWebhook,
        allowed: &[IpRange],
        now: DateTime<Utc>,
    ) -> Result<Webhook, StoreError> {
        if !access::allowed(actor, Permission::ManageAutomation) {
            return Err(StoreError::Forbidden);
        }
        let url = validate::required_text("url", &new.url, 2000)?;
        let max_attempts =
            notify::check_webhook(&url, &new.secret, &new.events, new.max_attempts, allowed)?;
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
            active: true,
            created_at: from_ms(ms(now)),
        })
    }

    fn require_admin(actor: &Actor) -> Result<(), StoreError> {
        if access::allowed(actor, Permission::ManageAutomation) {
            Ok(())
        } else {
            Err(StoreError::Forbidden)
        }
    }

    /// The tenant's webhook endpoints, oldest first (admin).
    pub async fn webhooks(&self, actor: &Actor) -> Result<Vec<Webhook>, StoreError> {
        Self::require_admin(actor)?;
        let rows: Vec<WebhookRow> = sqlx::query_as(
            "SELECT id, url, events, max_attempts, active, created_at FROM webhooks \
             WHERE tenant_id = $1 ORDER BY created_at, id",
        )
        .bind(self.tid())
        .fetch_all(&self.store.read)
        .await?;
        rows.into_iter().map(WebhookRow::model).collect()
    }

    /// One endpoint (admin).
    pub async fn webhook(&self, actor: &Actor, id: WebhookId) -> Result<Webhook, StoreError> {
        Self::require_admin(actor)?;
        let row: Option<WebhookRow> = sqlx::query_as(
            "SELECT id, url, events, max_attempts, active, created_at FROM webhooks \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(self.tid())
        .bind(id.to_string())
        .fetch_optional(&self.store.read)
        .await?;
        row.ok_or(StoreError::NotFound)?.model()
    }

    /// Enables or disables an endpoint (admin): a disabled one is sent nothing new.
    pub async fn set_webhook_active(
        &self,
        actor: &Actor,
        id: WebhookId,
        active: bool,
    ) -> Result<Webhook, StoreError> {
        Self::require_admin(actor)?;
        let changed =
            sqlx::query("UPDATE webhooks SET active = $1 WHERE tenant_id = $2 AND id = $3")
                .bind(i64::from(active))
                .bind(self.tid())
                .bind(id.to_string())
                .execute(&self.store.write)
                .await?
                .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        self.webhook(actor, id).await
    }

    /// Removes an endpoint (admin); deliveries still queued for it are dropped when their
    /// turn comes.
    pub async fn delete_webhook(&self, actor: &Actor, id: WebhookId) -> Result<(), StoreError> {
        Self::require_admin(actor)?;
        let gone = sqlx::query("DELETE FROM webhooks WHERE tenant_id = $1 AND id = $2")
            .bind(self.tid())
            .bind(id.to_string())
            .execute(&self.store.write)
            .await?
            .rows_affected();
        if gone == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// The latest deliveries to an endpoint, newest first (admin).
    pub async fn webhook_deliveries(
        &self,
        actor: &Actor,
        id: WebhookId,
        limit: i64,
    ) -> Result<Vec<WebhookDelivery>, StoreError> {
        self.webhook(actor, id).await?;
        let limit = validate::limit(limit, 200)?;
        let pattern = crate::dialect::contains_pattern(&format!("\"webhook_id\":\"{id}\""));
        #[derive(sqlx::FromRow)]
        struct Row {
            id: String,
            status: String,
            attempts: i64,
            last_error: Option<String>,
            payload: String,
            created_at: i64,
        }
        let sql = format!(
            "SELECT id, status, attempts, last_error, payload, created_at FROM jobs \
             WHERE tenant_id = $1 AND kind = 'webhook' AND payload LIKE $2{} \
             ORDER BY created_at DESC, id DESC LIMIT $3",
            crate::dialect::LIKE_ESCAPE
        );
        let rows: Vec<Row> = sqlx::query_as(&sql)
            .bind(self.tid())
            .bind(pattern)
            .bind(limit)
            .fetch_all(&self.store.read)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let event = serde_json::from_str::<serde_json::Value>(&r.payload)
                    .ok()
                    .and_then(|p| p["event"].as_str().map(str::to_owned))
                    .unwrap_or_default();
                WebhookDelivery {
                    id: r.id,
                    event,
                    status: r.status,
                    attempts: r.attempts,
                    last_error: r.last_error,
                    created_at: from_ms(r.created_at),
                }
            })
            .collect())
    }

    /// Queues a `webhook.test` delivery to an endpoint, signed as every other (admin), even
    /// while it is disabled: to check a receiver before turning it on.
    pub async fn test_webhook(
        &self,
        actor: &Actor,
        id: WebhookId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let hook = self.webhook(actor, id).await?;
        let delivery = uuid::Uuid::now_v7().to_string();
        // The shape of every delivery, without a ticket.
        let body = json!({
            "id": delivery,
            "event": notify::TEST_EVENT,
            "at": now.to_rfc3339(),
            "tenant": self.tid(),
            "ticket": null,
            "data": { "test": true },
        });
        let job = loopdesk_core::job::Job::Webhook(loopdesk_core::job::Delivery {
            webhook_id: id.to_string(),
            delivery,
            event: notify::TEST_EVENT.to_owned(),
            body: body.to_string(),
        });
        let mut tx = self.store.write.begin().await?;
        crate::outbox::insert_jobs(
            &mut tx,
            [crate::outbox::NewJob::of(&self.tid(), job, now).attempts(hook.max_attempts)],
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
