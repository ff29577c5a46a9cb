//! The audit trail: entries written once (the database refuses to change them), read and
//! exported by a tenant's admins, removed only past the tenant's retention.

use chrono::{DateTime, Duration, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::audit;
use loopdesk_core::ticket::Actor;
use loopdesk_core::validate::FieldError;
use loopdesk_core::{TenantId, UserId};
use serde::Serialize;
use utoipa::ToSchema;

use crate::sql::Sql;
use crate::{from_ms, ms, Store, StoreError, TenantStore};

/// An action to record: the entry, and the tenant it happened in (none: not known, such as
/// a sign-in naming nobody).
#[derive(Clone, Debug)]
pub struct NewAudit {
    /// The tenant.
    pub tenant_id: Option<TenantId>,
    /// The entry.
    pub entry: AuditEntry,
}

/// An entry as read.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct AuditEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    #[schema(value_type = Option<String>)]
    pub actor_id: Option<UserId>,
    /// Their login name (or the one a failed sign-in gave).
    pub actor_name: String,
    /// From where.
    pub address: String,
    /// `sign_in`, `sign_in_failed`, `sign_out`, `users`, `sla`, `webhooks`, `channels`,
    /// `settings`, `organisation`, `training`, `report_schedules`, `import`, `export`.
    pub action: String,
    /// Method.
    pub method: String,
    /// Path.
    pub path: String,
    /// The answer's status.
    pub status: u16,
    /// The request as kept (secrets replaced by `***`); null for a request without a body.
    #[schema(value_type = Option<Object>)]
    pub detail: serde_json::Value,
    /// What the thing changed was just before (its read, secrets masked), when it can be read.
    #[schema(value_type = Option<Object>)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<serde_json::Value>,
}

/// Which entries to read.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// From (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// To (exclusive).
    pub to: Option<DateTime<Utc>>,
    /// One action.
    pub action: Option<String>,
    /// Whose (login name).
    pub actor: Option<String>,
    /// At most this many (1–5000; default 200), newest first.
    pub limit: Option<i64>,
}

impl Store {
    /// Writes one entry.
    pub async fn record_audit(&self, new: NewAudit) -> Result<(), StoreError> {
        let e = &new.entry;
        sqlx::query(
            "INSERT INTO audit_log (id, tenant_id, at, actor_id, actor_name, address, action, method, \
             path, status, detail, before_state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(new.tenant_id.map(|t| t.to_string()))
        .bind(ms(e.at))
        .bind(e.actor_id.map(|u| u.to_string()))
        .bind(&e.actor_name)
        .bind(&e.address)
        .bind(&e.action)
        .bind(&e.method)
        .bind(&e.path)
        .bind(i64::from(e.status))
        .bind(e.detail.to_string())
        .bind(e.before.as_ref().map(serde_json::Value::to_string))
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// The tenant a sign-in names: by its slug, or the one tenant with that login name.
    pub async fn sign_in_tenant(
        &self,
        slug: Option<&str>,
        username: &str,
    ) -> Result<Option<TenantId>, StoreError> {
        let ids: Vec<String> = match slug.filter(|s| !s.is_empty()) {
            Some(s) => {
                sqlx::query_scalar("SELECT id FROM tenants WHERE slug = $1")
                    .bind(s)
                    .fetch_all(&self.read)
                    .await?
            }
            None => {
                sqlx::query_scalar("SELECT tenant_id FROM users WHERE username = $1 LIMIT 2")
                    .bind(username.trim().to_lowercase())
                    .fetch_all(&self.read)
                    .await?
            }
        };
        Ok(match ids.as_slice() {
            [one] => TenantId::parse(one),
            _ => None,
        })
    }

    /// Removes the entries past each tenant's retention; answers how many.
    pub async fn prune_audit(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let tenants: Vec<(String, Option<i64>)> =
            sqlx::query_as("SELECT id, audit_retention_days FROM tenants")
                .fetch_all(&self.read)
                .await?;
        let mut removed = 0;
        for (tenant, days) in tenants {
            let before = now - Duration::days(audit::retention_days(days));
            removed += sqlx::query("DELETE FROM audit_log WHERE tenant_id = $1 AND at < $2")
                .bind(&tenant)
                .bind(ms(before))
                .execute(&self.write)
                .await?
                .rows_affected();
        }
        Ok(removed)
    }
}

impl TenantStore {
    /// The tenant's audit entries, newest first (admins).
    pub async fn audit(
        &self,
        actor: &Actor,
        f: &AuditFilter,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        if !access::allowed(actor, Permission::ReadAudit) {
            return Err(StoreError::Forbidden);
        }
        let limit = f.limit.unwrap_or(200);
        if !(1..=5000).contains(&limit) {
            return Err(FieldError {
                field: "limit",
                reason: "error.limit_range",
            }
            .into());
        }
        let mut sql = Sql::new(
            "SELECT at, actor_id, actor_name, address, action, method, path, status, detail, \
             before_state FROM audit_log WHERE tenant_id = ",
        );
        sql.text(self.tid());
        if let Some(from) = f.from {
            sql.push(" AND at >= ").int(ms(from));
        }
        if let Some(to) = f.to {
            sql.push(" AND at < ").int(ms(to));
        }
        if let Some(a) = f.action.as_deref().filter(|a| !a.is_empty()) {
            sql.push(" AND action = ").text(a.to_owned());
        }
        if let Some(who) = f.actor.as_deref().filter(|a| !a.is_empty()) {
            sql.push(" AND actor_name = ")
                .text(who.trim().to_lowercase());
        }
        sql.push(" ORDER BY at DESC, id DESC LIMIT ").int(limit);
        type Row = (
            i64,
            Option<String>,
            String,
            String,
            String,
            String,
            String,
            i64,
            String,
            Option<String>,
        );
        let rows: Vec<Row> = sql.query_as().fetch_all(&self.store.read).await?;
        rows.into_iter()
            .map(
                |(
                    at,
                    actor_id,
                    actor_name,
                    address,
                    action,
                    method,
                    path,
                    status,
                    detail,
                    before,
                )| {
                    Ok(AuditEntry {
                        at: from_ms(at),
                        actor_id: actor_id.as_deref().and_then(UserId::parse),
                        actor_name,
                        address,
                        action,
                        method,
                        path,
                        status: u16::try_from(status).unwrap_or(0),
                        detail: serde_json::from_str(&detail)
                            .map_err(|_| crate::rows::corrupt("detail"))?,
                        before: before
                            .map(|b| serde_json::from_str(&b))
                            .transpose()
                            .map_err(|_| crate::rows::corrupt("before"))?,
                    })
                },
            )
            .collect()
    }

    /// Sets how many days entries are kept (admins; 30–3650).
    pub async fn set_audit_retention(&self, actor: &Actor, days: i64) -> Result<i64, StoreError> {
        if !access::allowed(actor, Permission::ManageAutomation) {
            return Err(StoreError::Forbidden);
        }
        if !(audit::MIN_RETENTION_DAYS..=3650).contains(&days) {
            return Err(FieldError {
                field: "days",
                reason: "error.invalid_number",
            }
            .into());
        }
        sqlx::query("UPDATE tenants SET audit_retention_days = $1 WHERE id = $2")
            .bind(days)
            .bind(self.tid())
            .execute(&self.store.write)
            .await?;
        Ok(days)
    }
}
