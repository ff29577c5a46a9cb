//! Business calendars: working hours, public holidays and make-up working days (调休).

use crate::rows::parse_id;
use crate::{ms, StoreError, TenantStore};
use chrono::{DateTime, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::sla::CalendarSpec;
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::validate::{self, FieldError};
use loopdesk_core::CalendarId;

use super::*;

/// An admin's calendar, checked: its name and a spec that builds (the PRC standard week
/// when none is given).
pub(crate) fn checked_calendar(
    actor: &Actor,
    new: NewCalendar,
) -> Result<(String, CalendarSpec), StoreError> {
    if !access::allowed(actor, Permission::ManageAutomation) {
        return Err(StoreError::Forbidden);
    }
    let name = validate::required_text("name", &new.name, 100)?;
    let spec = new.spec.unwrap_or_else(CalendarSpec::prc_standard);
    spec.build().map_err(|e| FieldError {
        field: "spec",
        reason: e.reason,
    })?;
    Ok((name, spec))
}

impl TenantStore {
    /// The tenant's business calendars (admins, and managers weighing a change).
    pub async fn calendars(&self, actor: &Actor) -> Result<Vec<BusinessCalendarView>, StoreError> {
        if !access::allowed(actor, Permission::ManageAutomation)
            && !access::allowed(actor, Permission::SlaWhatIf)
        {
            return Err(StoreError::Forbidden);
        }
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT id, name, spec FROM calendars WHERE tenant_id = $1 ORDER BY created_at, id",
        )
        .bind(self.tid())
        .fetch_all(&self.store.read)
        .await?;
        rows.into_iter()
            .map(|(id, name, spec)| {
                Ok(BusinessCalendarView {
                    id: parse_id(&id, CalendarId::parse)?,
                    name,
                    spec: serde_json::from_str(&spec)
                        .map_err(|_| StoreError::Corrupt("calendar".into()))?,
                })
            })
            .collect()
    }

    /// Replaces a calendar's name and spec (admin), e.g. to add next year's holidays. New
    /// tickets use it at once; open tickets when their policy is re-applied.
    pub async fn update_calendar(
        &self,
        actor: &Actor,
        id: CalendarId,
        new: NewCalendar,
    ) -> Result<BusinessCalendarView, StoreError> {
        let (name, spec) = checked_calendar(actor, new)?;
        let updated = sqlx::query(
            "UPDATE calendars SET name = $1, spec = $2 WHERE tenant_id = $3 AND id = $4",
        )
        .bind(&name)
        .bind(serde_json::to_string(&spec).map_err(|e| StoreError::Corrupt(e.to_string()))?)
        .bind(self.tid())
        .bind(id.to_string())
        .execute(&self.store.write)
        .await?
        .rows_affected();
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        self.forget_policies();
        Ok(BusinessCalendarView { id, name, spec })
    }

    /// Adds a business calendar (admin).
    pub async fn create_calendar(
        &self,
        actor: &Actor,
        new: NewCalendar,
        now: DateTime<Utc>,
    ) -> Result<BusinessCalendarView, StoreError> {
        let (name, spec) = checked_calendar(actor, new)?;
        let id = CalendarId::new();
        sqlx::query(
            "INSERT INTO calendars (id, tenant_id, name, spec, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id.to_string())
        .bind(self.tid())
        .bind(&name)
        .bind(serde_json::to_string(&spec).map_err(|e| StoreError::Corrupt(e.to_string()))?)
        .bind(ms(now))
        .execute(&self.store.write)
        .await?;
        self.forget_policies();
        Ok(BusinessCalendarView { id, name, spec })
    }
}
