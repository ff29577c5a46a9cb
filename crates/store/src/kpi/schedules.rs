//! Scheduled reports: who receives which report how often, and the one write that marks a
//! period sent and queues its mail.

use chrono::{DateTime, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::i18n::Lang;
use loopdesk_core::kpi::schedule::{self, Frequency};
use loopdesk_core::ticket::Actor;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::outbox::{insert_jobs, NewJob};
use crate::{ms, StoreError, TenantStore};

/// A report someone receives by mail.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ReportSchedule {
    /// Id.
    pub id: String,
    /// `all`, `region`, `team`, `engineer` or `category`.
    pub group_by: String,
    /// `daily`, `weekly` or `monthly`.
    pub frequency: String,
    /// The period last sent (`2026-W49`), if any.
    pub last_period: Option<String>,
}

/// A schedule as the runner reads it: whose address and language it goes to.
#[derive(Clone, Debug)]
pub struct DueSchedule {
    /// Id.
    pub id: String,
    /// The reader's address.
    pub email: String,
    /// The reader's language.
    pub lang: Lang,
    /// The grouping.
    pub group_by: String,
    /// How often.
    pub frequency: Frequency,
    /// The period last sent.
    pub last_period: Option<String>,
}

type Row = (String, String, String, Option<String>);

impl TenantStore {
    fn reader(actor: &Actor) -> Result<String, StoreError> {
        if !access::allowed(actor, Permission::ReadKpis) {
            return Err(StoreError::Forbidden);
        }
        actor
            .user_id()
            .map(|u| u.to_string())
            .ok_or(StoreError::Forbidden)
    }

    /// The actor's own scheduled reports.
    pub async fn report_schedules(&self, actor: &Actor) -> Result<Vec<ReportSchedule>, StoreError> {
        let user = Self::reader(actor)?;
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, group_by, frequency, last_period FROM report_schedules \
             WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at, id",
        )
        .bind(self.tid())
        .bind(user)
        .fetch_all(&self.store.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, group_by, frequency, last_period)| ReportSchedule {
                id,
                group_by,
                frequency,
                last_period,
            })
            .collect())
    }

    /// Adds a scheduled report for the actor (those who read KPIs); `Conflict` when they
    /// receive that one already.
    pub async fn add_report_schedule(
        &self,
        actor: &Actor,
        group_by: &str,
        frequency: &str,
        now: DateTime<Utc>,
    ) -> Result<ReportSchedule, StoreError> {
        let user = Self::reader(actor)?;
        let group_by = schedule::schedule_group(group_by)?;
        let frequency = Frequency::parse(frequency)?;
        let id = Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO report_schedules (id, tenant_id, user_id, group_by, frequency, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(self.tid())
        .bind(user)
        .bind(group_by)
        .bind(frequency.as_str())
        .bind(ms(now))
        .execute(&self.store.write)
        .await
        .map_err(|e| StoreError::on_unique(e, "group_by"))?;
        Ok(ReportSchedule {
            id,
            group_by: group_by.to_owned(),
            frequency: frequency.as_str().to_owned(),
            last_period: None,
        })
    }

    /// Stops one of the actor's scheduled reports; `NotFound` when it is not theirs.
    pub async fn remove_report_schedule(&self, actor: &Actor, id: &str) -> Result<(), StoreError> {
        let user = Self::reader(actor)?;
        let gone = sqlx::query(
            "DELETE FROM report_schedules WHERE tenant_id = $1 AND user_id = $2 AND id = $3",
        )
        .bind(self.tid())
        .bind(user)
        .bind(id)
        .execute(&self.store.write)
        .await?
        .rows_affected();
        if gone == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Every schedule of the tenant whose reader is active and has an address.
    pub async fn schedules_to_send(&self) -> Result<Vec<DueSchedule>, StoreError> {
        let rows: Vec<(String, String, String, String, String, Option<String>)> = sqlx::query_as(
            "SELECT s.id, u.email, u.lang, s.group_by, s.frequency, s.last_period \
             FROM report_schedules s JOIN users u ON u.id = s.user_id \
             WHERE s.tenant_id = $1 AND u.active = 1 AND u.email IS NOT NULL ORDER BY s.id",
        )
        .bind(self.tid())
        .fetch_all(&self.store.read)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, email, lang, group_by, frequency, last_period)| {
                Some(DueSchedule {
                    id,
                    email,
                    lang: Lang::from_tag(&lang).unwrap_or_default(),
                    group_by,
                    frequency: Frequency::parse(&frequency).ok()?,
                    last_period,
                })
            })
            .collect())
    }

    /// Marks `period` sent for a schedule and queues its mail, in one transaction; false
    /// (nothing queued) when another runner sent it already.
    pub async fn send_scheduled_report(
        &self,
        id: &str,
        period: &str,
        mail: NewJob,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.store.write.begin().await?;
        let claimed = sqlx::query(
            "UPDATE report_schedules SET last_period = $1 WHERE tenant_id = $2 AND id = $3 \
             AND (last_period IS NULL OR last_period <> $1)",
        )
        .bind(period)
        .bind(self.tid())
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed == 0 {
            tx.commit().await?;
            return Ok(false);
        }
        insert_jobs(&mut tx, vec![mail], now).await?;
        tx.commit().await?;
        Ok(true)
    }
}
