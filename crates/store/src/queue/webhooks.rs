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
    /// Created at.
    pub created_at: DateTime<Utc>,
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
            created_at: from_ms(ms(now)),
        })
    }
}
