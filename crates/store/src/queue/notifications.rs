//! In-app notifications (the bell): who on the staff hears of what, writing them, and each
//! user's list.

use chrono::{DateTime, Utc};
use loopdesk_core::followup::StaffChannel;
use loopdesk_core::i18n::Lang;
use loopdesk_core::notify::{self, Audience, Staff};
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::{validate, Role, Roles, TenantId, TicketId, UserId, WarehouseId};
use serde::Serialize;
use serde_json::Value;
use sqlx::{Any, Transaction};
use utoipa::ToSchema;

use crate::rows::parse_id;
use crate::sql::Sql;
use crate::{from_ms, ms, Store, StoreError, TenantStore, Ticket};

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

#[derive(sqlx::FromRow)]
struct NotificationRow {
    id: String,
    event: String,
    ticket_id: Option<String>,
    data: String,
    created_at: i64,
    read_at: Option<i64>,
}

/// A notification to write.
#[derive(Clone, Debug)]
pub struct NewNotification {
    /// The tenant.
    pub tenant: TenantId,
    /// Whose bell.
    pub user: UserId,
    /// The ticket, if it is about one.
    pub ticket: Option<TicketId>,
    /// The event.
    pub event: String,
    /// Its details.
    pub data: Value,
    /// Written once whatever the retries.
    pub dedupe_key: String,
}

/// A member of staff to notify, with how they like to hear of it.
#[derive(Clone, Debug)]
pub struct StaffRecipient {
    /// The user.
    pub id: UserId,
    /// Their address.
    pub email: Option<String>,
    /// Wants e-mail besides the bell.
    pub mail: bool,
    /// Their language.
    pub lang: Lang,
}

#[derive(sqlx::FromRow)]
struct StaffRow {
    id: String,
    roles: String,
    region_id: Option<String>,
    email: Option<String>,
    notify_channel: String,
    lang: String,
}

impl StaffRow {
    fn recipient(&self) -> Result<StaffRecipient, StoreError> {
        Ok(StaffRecipient {
            id: parse_id(&self.id, UserId::parse)?,
            email: self.email.clone(),
            mail: StaffChannel::parse(&self.notify_channel) == Some(StaffChannel::Email),
            lang: Lang::from_tag(&self.lang).unwrap_or_default(),
        })
    }
}

/// The tenant's active staff who hold one of `roles`, by region as
/// [`notify::escalation_recipients`] chooses them.
fn chosen(
    rows: &[StaffRow],
    roles: &[Role],
    region: Option<&str>,
) -> Result<Vec<StaffRecipient>, StoreError> {
    let staff = rows
        .iter()
        .map(|r| {
            Ok(Staff {
                id: &r.id,
                roles: Roles::from_csv(&r.roles).map_err(StoreError::Corrupt)?,
                region: r.region_id.as_deref(),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let picked = notify::escalation_recipients(roles, region, &staff);
    rows.iter()
        .filter(|r| picked.contains(&r.id.as_str()))
        .map(StaffRow::recipient)
        .collect()
}

const STAFF: &str = "SELECT id, roles, region_id, email, notify_channel, lang FROM users \
                     WHERE tenant_id = $1 AND active = 1";

/// Writes notifications inside `tx`; one already written under its key is not written again.
pub(crate) async fn insert(
    tx: &mut Transaction<'_, Any>,
    notifications: &[NewNotification],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for n in notifications {
        sqlx::query(
            "INSERT INTO notifications (id, tenant_id, user_id, ticket_id, event, data, dedupe_key, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(n.tenant.to_string())
        .bind(n.user.to_string())
        .bind(n.ticket.map(|t| t.to_string()))
        .bind(&n.event)
        .bind(n.data.to_string())
        .bind(&n.dedupe_key)
        .bind(ms(now))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

impl Store {
    /// The staff who get an in-app notification of an event on `ticket` (see
    /// [`notify::in_app_audience`]), with how they like to hear of it.
    pub async fn staff_to_notify(
        &self,
        tenant: TenantId,
        audience: &Audience,
        ticket: &Ticket,
    ) -> Result<Vec<StaffRecipient>, StoreError> {
        match audience {
            Audience::Nobody => Ok(Vec::new()),
            Audience::Assignee => {
                let Some(a) = ticket.assignee_id else {
                    return Ok(Vec::new());
                };
                let rows: Vec<StaffRow> = sqlx::query_as(&format!("{STAFF} AND id = $2"))
                    .bind(tenant.to_string())
                    .bind(a.to_string())
                    .fetch_all(&self.read)
                    .await?;
                rows.iter().map(StaffRow::recipient).collect()
            }
            Audience::Roles(roles) => {
                let rows: Vec<StaffRow> = sqlx::query_as(STAFF)
                    .bind(tenant.to_string())
                    .fetch_all(&self.read)
                    .await?;
                let region = ticket.region_id.map(|r| r.to_string());
                chosen(&rows, roles, region.as_deref())
            }
        }
    }

    /// Who hears of low stock in a warehouse: the supervisors of its region (every supervisor
    /// when it has none) and the admins.
    pub async fn stock_alert_staff(
        &self,
        tenant: TenantId,
        warehouse: WarehouseId,
    ) -> Result<Vec<StaffRecipient>, StoreError> {
        let region: Option<Option<String>> =
            sqlx::query_scalar("SELECT region_id FROM warehouses WHERE tenant_id = $1 AND id = $2")
                .bind(tenant.to_string())
                .bind(warehouse.to_string())
                .fetch_optional(&self.read)
                .await?;
        let rows: Vec<StaffRow> = sqlx::query_as(STAFF)
            .bind(tenant.to_string())
            .fetch_all(&self.read)
            .await?;
        chosen(
            &rows,
            &[Role::Supervisor, Role::Admin],
            region.flatten().as_deref(),
        )
    }
}

impl Store {
    /// Tells the admins of every tenant with an account called `username` (in any case) that
    /// sign-ins are failing in a burst: `failures` from `address`. Answers how many were told;
    /// told once per burst (the key), however many instances notice it.
    pub async fn alert_login_burst(
        &self,
        username: &str,
        address: &str,
        failures: u32,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let admins: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT a.tenant_id, a.id, a.roles FROM users a WHERE a.active = 1 AND a.tenant_id IN \
             (SELECT u.tenant_id FROM users u WHERE u.username = $1)",
        )
        .bind(username.trim().to_lowercase())
        .fetch_all(&self.read)
        .await?;
        let mut notes = Vec::new();
        for (tenant, user, roles) in admins {
            let roles = Roles::from_csv(&roles).map_err(StoreError::Corrupt)?;
            if !roles.has(Role::Admin) {
                continue;
            }
            notes.push(NewNotification {
                tenant: parse_id(&tenant, TenantId::parse)?,
                user: parse_id(&user, UserId::parse)?,
                ticket: None,
                event: "security.login_burst".into(),
                data: serde_json::json!({
                    "username": username.trim(),
                    "address": address,
                    "failures": failures,
                }),
                dedupe_key: format!("login_burst:{user}:{key}"),
            });
        }
        let mut tx = self.write.begin().await?;
        insert(&mut tx, &notes, now).await?;
        tx.commit().await?;
        Ok(notes.len())
    }
}

impl TenantStore {
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
        let unread: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM notifications WHERE tenant_id = $1 AND user_id = $2 AND read_at IS NULL",
        )
        .bind(self.tid())
        .bind(user.to_string())
        .fetch_one(&self.store.read)
        .await?;
        let list = rows
            .into_iter()
            .map(|r| Notification {
                id: r.id,
                event: r.event,
                ticket_id: r.ticket_id.as_deref().and_then(TicketId::parse),
                data: serde_json::from_str(&r.data).unwrap_or(Value::Null),
                created_at: from_ms(r.created_at),
                read_at: r.read_at.map(from_ms),
            })
            .collect();
        Ok((list, unread))
    }
}
