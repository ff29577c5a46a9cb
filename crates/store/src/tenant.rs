//! What every part of the store needs of the tenant it is scoped to: its id, its settings
//! (cached), and a check that an id names one of its rows.

use chrono::FixedOffset;
use loopdesk_core::access::{self, Permission};
use loopdesk_core::followup::FollowUp;
use loopdesk_core::screening::{self, Blocking};
use loopdesk_core::ticket::transitions::Flag;
use loopdesk_core::ticket::transitions::LifecyclePolicy;
use loopdesk_core::ticket::Actor;
use loopdesk_core::validate;

use crate::rows::corrupt;
use crate::{StoreError, TenantStore};

impl TenantStore {
    /// The tenant's local time zone (as a fixed offset from UTC).
    pub async fn utc_offset(&self) -> Result<FixedOffset, StoreError> {
        Ok(self.settings().await?.offset)
    }

    /// The tenant's settings, cached for a minute (they change rarely; a change shows within it).
    pub(crate) async fn settings(&self) -> Result<TenantSettings, StoreError> {
        if let Some(settings) = self.store.settings.get(self.tenant_id) {
            return Ok(settings);
        }
        type Row = (i64, i64, i64, i64, i64, Option<String>, String);
        let (minutes, reopen_days, auto_close_days, survey_delay_minutes, survey_valid_days, blocking, two_factor): Row =
            sqlx::query_as(
            "SELECT utc_offset_minutes, reopen_window_days, auto_close_days, survey_delay_minutes, \
             survey_valid_days, screening_blocking, two_factor_roles FROM tenants WHERE id = $1",
        )
        .bind(self.tid())
        .fetch_one(&self.store.read)
        .await?;
        let offset = i32::try_from(minutes * 60)
            .ok()
            .and_then(FixedOffset::east_opt)
            .ok_or_else(|| corrupt("utc_offset_minutes"))?;
        let blocking = match blocking {
            None => Blocking::default(),
            Some(names) => {
                let names: Vec<String> =
                    serde_json::from_str(&names).map_err(|_| corrupt("screening_blocking"))?;
                screening::parse_blocking(&names).map_err(|_| corrupt("screening_blocking"))?
            }
        };
        let policy = LifecyclePolicy {
            reopen_window: chrono::Duration::days(reopen_days),
            blocking,
            ..LifecyclePolicy::default()
        };
        let follow_up = FollowUp {
            auto_close_days,
            survey_delay_minutes,
            survey_valid_days,
        };
        let two_factor_roles =
            loopdesk_core::Roles::from_csv(&two_factor).map_err(|_| corrupt("two_factor_roles"))?;
        let settings = TenantSettings {
            offset,
            policy,
            follow_up,
            two_factor_roles,
        };
        self.store.settings.put(self.tenant_id, settings);
        Ok(settings)
    }
}

impl TenantStore {
    /// The flags that send a report to review in this tenant (staff).
    pub async fn screening_blocking(&self, actor: &Actor) -> Result<Vec<Flag>, StoreError> {
        if !access::allowed(actor, Permission::InternalNotes) {
            return Err(StoreError::Forbidden);
        }
        Ok(self.settings().await?.policy.blocking.flags())
    }

    /// Chooses the flags that send a report to review (admins; names from core's
    /// `Blocking::CHOOSABLE`, anything else refused naming `blocking`).
    pub async fn set_screening_blocking(
        &self,
        actor: &Actor,
        names: &[String],
    ) -> Result<Vec<Flag>, StoreError> {
        if !access::allowed(actor, Permission::ManageAutomation) {
            return Err(StoreError::Forbidden);
        }
        let flags = screening::parse_blocking(names)?.flags();
        let stored: Vec<&str> = flags.iter().map(|f| f.as_str()).collect();
        sqlx::query("UPDATE tenants SET screening_blocking = $1 WHERE id = $2")
            .bind(serde_json::json!(stored).to_string())
            .bind(self.tid())
            .execute(&self.store.write)
            .await?;
        self.store.settings.forget(self.tenant_id);
        Ok(flags)
    }

    /// Fails with a field error unless the row exists in this tenant.
    pub(crate) async fn require(
        &self,
        table: &'static str,
        id: &str,
        field: &'static str,
    ) -> Result<(), StoreError> {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE tenant_id = $1 AND id = $2");
        let n: i64 = sqlx::query_scalar(&sql)
            .bind(self.tid())
            .bind(id)
            .fetch_one(&self.store.read)
            .await?;
        if n == 0 {
            return Err(validate::FieldError {
                field,
                reason: "error.unknown_id",
            }
            .into());
        }
        Ok(())
    }
}

/// What the lifecycle needs of a tenant's configuration.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TenantSettings {
    /// Local time, for the numbering day.
    pub offset: chrono::FixedOffset,
    /// Lifecycle knobs (reopen window …).
    pub policy: loopdesk_core::ticket::transitions::LifecyclePolicy,
    /// Survey and auto-close timing.
    pub follow_up: loopdesk_core::followup::FollowUp,
    /// Roles that must sign in with a second factor.
    pub two_factor_roles: loopdesk_core::Roles,
}

impl crate::Store {
    /// Every tenant.
    pub async fn tenant_ids(&self) -> Result<Vec<loopdesk_core::TenantId>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM tenants")
            .fetch_all(&self.read)
            .await?;
        ids.iter()
            .map(|t| crate::rows::parse_id(t, loopdesk_core::TenantId::parse))
            .collect()
    }
}
