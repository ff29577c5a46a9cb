//! What the weekly KPI report needs of the store: the week last sent, who may read it, and
//! the one write that marks a week sent and queues its mails.

use crate::outbox::{insert_jobs, NewJob};
use crate::{StoreError, TenantStore};
use chrono::{DateTime, Utc};
use loopdesk_core::i18n::Lang;
use loopdesk_core::Roles;

impl TenantStore {
    /// The week of the last weekly KPI report sent (`2026-W48`), if any.
    pub async fn report_week_sent(&self) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT kpi_report_week FROM tenants WHERE id = $1")
                .bind(self.tid())
                .fetch_one(&self.store.read)
                .await?,
        )
    }

    /// The active users with an e-mail address: their address, language and roles (whom the
    /// weekly report goes to is core's `kpi::receives_weekly_report`).
    pub async fn users_with_email(&self) -> Result<Vec<(String, Lang, Roles)>, StoreError> {
        let users: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT email, lang, roles FROM users WHERE tenant_id = $1 AND active = 1 AND email IS NOT NULL",
        )
        .bind(self.tid())
        .fetch_all(&self.store.read)
        .await?;
        users
            .into_iter()
            .map(|(email, lang, roles)| {
                let roles = Roles::from_csv(&roles).map_err(StoreError::Corrupt)?;
                Ok((email, Lang::from_tag(&lang).unwrap_or_default(), roles))
            })
            .collect()
    }

    /// Marks `week`'s report sent and queues its mails, in one transaction; false (and
    /// nothing queued) when another runner sent it already.
    pub async fn send_weekly_report(
        &self,
        week: &str,
        mails: Vec<NewJob>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.claim_and_queue(SentColumn::KpiReportWeek, week, mails, now)
            .await
    }

    /// Sets the tenant's `column` to `period` unless it holds it already, and queues `mails`
    /// with it, in one transaction: true when this caller made the claim (whichever of several
    /// runners gets there first sends a period's mails, once).
    pub(crate) async fn claim_and_queue(
        &self,
        column: SentColumn,
        period: &str,
        mails: Vec<NewJob>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let column = column.name();
        let mut tx = self.store.write.begin().await?;
        let claimed = sqlx::query(&format!(
            "UPDATE tenants SET {column} = $1 WHERE id = $2 \
             AND ({column} IS NULL OR {column} <> $1)"
        ))
        .bind(period)
        .bind(self.tid())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed == 1 {
            insert_jobs(&mut tx, mails, now).await?;
        }
        tx.commit().await?;
        Ok(claimed == 1)
    }
}

/// A tenant's column that records the last period of a mail sent once per period.
#[derive(Clone, Copy, Debug)]
pub(crate) enum SentColumn {
    /// The weekly KPI report's week.
    KpiReportWeek,
    /// The morning alert of recurring problems' day.
    ProblemsAlertDay,
}

impl SentColumn {
    fn name(self) -> &'static str {
        match self {
            SentColumn::KpiReportWeek => "kpi_report_week",
            SentColumn::ProblemsAlertDay => "problems_alert_day",
        }
    }
}
