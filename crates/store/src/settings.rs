//! The tenant's knobs, each kept on its `tenants` row: dispatch (automatic or proposals, and
//! how long an engineer has to accept), follow-up timings, the KPI closure target, and the
//! value under which parts requisitions are approved without a supervisor.

use loopdesk_core::access::{self, Permission};
use loopdesk_core::dispatch::auto::{self, Mode, Settings};
use loopdesk_core::followup::FollowUp;
use loopdesk_core::inventory;
use loopdesk_core::kpi;
use loopdesk_core::ticket::transitions::Actor;

use loopdesk_core::TenantId;

use crate::rows::parse_id;
use crate::{Store, StoreError, TenantStore};

impl TenantStore {
    /// The tenant's dispatch settings.
    pub async fn dispatch_settings(&self) -> Result<Settings, StoreError> {
        let (mode, minutes): (String, i64) =
            sqlx::query_as("SELECT dispatch_mode, accept_minutes FROM tenants WHERE id = $1")
                .bind(self.tid())
                .fetch_one(&self.store.read)
                .await?;
        Ok(Settings {
            mode: Mode::parse(&mode)
                .ok_or_else(|| StoreError::Corrupt(format!("dispatch mode {mode}")))?,
            accept_minutes: minutes,
        })
    }

    /// Changes them (admins).
    pub async fn set_dispatch_settings(
        &self,
        actor: &Actor,
        s: Settings,
    ) -> Result<Settings, StoreError> {
        if !access::allowed(actor, Permission::ManageAutomation) {
            return Err(StoreError::Forbidden);
        }
        let s = auto::settings(s)?;
        sqlx::query("UPDATE tenants SET dispatch_mode = $1, accept_minutes = $2 WHERE id = $3")
            .bind(s.mode.as_str())
            .bind(s.accept_minutes)
            .bind(self.tid())
            .execute(&self.store.write)
            .await?;
        Ok(s)
    }
}

impl TenantStore {
    /// The tenant's after-resolution settings.
    pub async fn follow_up(&self) -> Result<FollowUp, StoreError> {
        Ok(self.settings().await?.follow_up)
    }

    /// Changes the after-resolution settings (admin). Other instances see the change within
    /// their settings cache's minute.
    pub async fn set_follow_up(
        &self,
        actor: &Actor,
        new: FollowUp,
    ) -> Result<FollowUp, StoreError> {
        if !access::allowed(actor, Permission::ManageAutomation) {
            return Err(StoreError::Forbidden);
        }
        let new = new.checked()?;
        sqlx::query(
            "UPDATE tenants SET auto_close_days = $1, survey_delay_minutes = $2, survey_valid_days = $3 \
             WHERE id = $4",
        )
        .bind(new.auto_close_days)
        .bind(new.survey_delay_minutes)
        .bind(new.survey_valid_days)
        .bind(self.tid())
        .execute(&self.store.write)
        .await?;
        self.store.settings.forget(self.tenant_id);
        Ok(new)
    }
}

impl TenantStore {
    /// The closure rate regions should reach (a fraction; the dashboard's heat map marks
    /// those under it).
    pub async fn closure_target(&self) -> Result<f64, StoreError> {
        let permille: i64 =
            sqlx::query_scalar("SELECT closure_target_permille FROM tenants WHERE id = $1")
                .bind(self.tid())
                .fetch_one(&self.store.read)
                .await?;
        #[expect(clippy::cast_precision_loss, reason = "at most 1000")]
        Ok(permille as f64 / 1000.0)
    }

    /// Sets the closure target (managers, admins): a fraction above 0, at most 1, kept to
    /// the per mille.
    pub async fn set_closure_target(&self, actor: &Actor, target: f64) -> Result<f64, StoreError> {
        if !access::allowed(actor, access::Permission::SetTargets) {
            return Err(StoreError::Forbidden);
        }
        let target = kpi::board::check_target(target)?;
        #[expect(clippy::cast_possible_truncation, reason = "checked to lie in (0, 1]")]
        let permille = (target * 1000.0).round() as i64;
        sqlx::query("UPDATE tenants SET closure_target_permille = $1 WHERE id = $2")
            .bind(permille.max(1))
            .bind(self.tid())
            .execute(&self.store.write)
            .await?;
        self.closure_target().await
    }
}

impl TenantStore {
    /// The value (in yuan) under which requisitions are approved without a supervisor.
    pub async fn requisition_auto_approve_below(&self) -> Result<Option<f64>, StoreError> {
        let fen: Option<i64> =
            sqlx::query_scalar("SELECT requisition_auto_approve_fen FROM tenants WHERE id = $1")
                .bind(self.tid())
                .fetch_one(&self.store.read)
                .await?;
        #[expect(clippy::cast_precision_loss, reason = "money below 2^53 fen")]
        Ok(fen.map(|f| f as f64 / 100.0))
    }

    /// Sets (or, with `None`, clears) that value (admins).
    pub async fn set_requisition_auto_approve_below(
        &self,
        actor: &Actor,
        yuan: Option<f64>,
    ) -> Result<Option<f64>, StoreError> {
        if !access::allowed(actor, Permission::ManageOrganisation) {
            return Err(StoreError::Forbidden);
        }
        let fen = inventory::money("requisition_auto_approve_below", yuan)?;
        sqlx::query("UPDATE tenants SET requisition_auto_approve_fen = $1 WHERE id = $2")
            .bind(fen)
            .bind(self.tid())
            .execute(&self.store.write)
            .await?;
        self.requisition_auto_approve_below().await
    }
}

impl Store {
    /// The tenants that dispatch automatically.
    pub async fn tenants_dispatching_automatically(&self) -> Result<Vec<TenantId>, StoreError> {
        let tenants: Vec<String> =
            sqlx::query_scalar("SELECT id FROM tenants WHERE dispatch_mode = $1")
                .bind(Mode::Auto.as_str())
                .fetch_all(&self.read)
                .await?;
        tenants
            .iter()
            .map(|t| parse_id(t, TenantId::parse))
            .collect()
    }
}
