//! Service contracts and preventive maintenance: contracts with their assets, plans, the
//! generation of maintenance work orders (exactly once per plan, asset and due date, however
//! many runners and restarts), and PM compliance.

use chrono::{DateTime, NaiveDate, Utc};
use loopdesk_core::maintenance::{self, NewPlan, Schedule};
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::{access, access::Permission, AssetId, ContractId, PlanId};
use serde::Serialize;
use utoipa::ToSchema;

use crate::rows::{parse_date, parse_id, parse_opt_id};
use crate::{ms, StoreError, TenantStore};

mod visits;

/// A maintenance plan.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Plan {
    /// Id.
    pub id: PlanId,
    /// Name.
    pub name: String,
    /// One asset …
    pub asset_id: Option<AssetId>,
    /// … or a contract's assets of `model`.
    pub contract_id: Option<ContractId>,
    /// The model.
    pub model: Option<String>,
    /// Every N days.
    pub every_days: Option<i64>,
    /// Every N meter units.
    pub every_meter: Option<i64>,
    /// First due date.
    pub starts_on: Option<NaiveDate>,
    /// Days ahead work orders are made.
    pub lead_days: i64,
    /// Their priority.
    pub priority: i64,
}

/// PM compliance over a period.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Compliance {
    /// Maintenance visits due in the period.
    pub due: usize,
    /// Of those, resolved by their due date.
    pub on_time: usize,
    /// `on_time / due` (none when nothing was due).
    pub rate: Option<f64>,
}

/// A stored plan ([`PLAN_COLUMNS`]), with the day its work orders were made up to when it is
/// read with `made_on`.
#[derive(sqlx::FromRow)]
pub(crate) struct PlanRow {
    id: String,
    name: String,
    asset_id: Option<String>,
    contract_id: Option<String>,
    model: Option<String>,
    every_days: Option<i64>,
    every_meter: Option<i64>,
    starts_on: Option<String>,
    lead_days: i64,
    priority: i64,
    #[sqlx(default)]
    pub(crate) made_on: Option<String>,
}

const PLAN_COLUMNS: &str =
    "id, name, asset_id, contract_id, model, every_days, every_meter, starts_on, lead_days, priority";

fn plan_of(r: PlanRow) -> Result<Plan, StoreError> {
    Ok(Plan {
        id: parse_id(&r.id, PlanId::parse)?,
        name: r.name,
        asset_id: parse_opt_id(r.asset_id, AssetId::parse)?,
        contract_id: parse_opt_id(r.contract_id, ContractId::parse)?,
        model: r.model,
        every_days: r.every_days,
        every_meter: r.every_meter,
        starts_on: r.starts_on.as_deref().map(parse_date).transpose()?,
        lead_days: r.lead_days,
        priority: r.priority,
    })
}

impl TenantStore {
    /// Adds a maintenance plan (those who edit customers). Due dates before today are not
    /// filled in.
    pub async fn create_plan(
        &self,
        actor: &Actor,
        new: NewPlan,
        now: DateTime<Utc>,
    ) -> Result<Plan, StoreError> {
        if !access::allowed(actor, Permission::WriteCustomers) {
            return Err(StoreError::Forbidden);
        }
        let p = maintenance::plan(&new)?;
        if let Some(a) = new.asset_id {
            self.require("assets", &a.to_string(), "asset_id").await?;
        }
        if let Some(c) = new.contract_id {
            self.require("contracts", &c.to_string(), "contract_id")
                .await?;
        }
        let (every_days, every_meter, starts_on) = match p.schedule {
            Schedule::Days { starts_on, every } => (Some(every), None, Some(starts_on)),
            Schedule::Meter { every } => (None, Some(every), None),
        };
        let today = now
            .with_timezone(&self.settings().await?.offset)
            .date_naive();
        let id = PlanId::new();
        let model = new.model.as_deref().map(str::trim).map(str::to_owned);
        sqlx::query(&format!(
            "INSERT INTO maintenance_plans ({PLAN_COLUMNS}, tenant_id, made_on, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        ))
        .bind(id.to_string())
        .bind(&p.name)
        .bind(new.asset_id.map(|a| a.to_string()))
        .bind(new.contract_id.map(|c| c.to_string()))
        .bind(&model)
        .bind(every_days)
        .bind(every_meter)
        .bind(starts_on.map(|d| d.to_string()))
        .bind(p.lead_days)
        .bind(p.priority)
        .bind(self.tid())
        .bind(today.to_string())
        .bind(ms(now))
        .execute(&self.store.write)
        .await?;
        Ok(Plan {
            id,
            name: p.name,
            asset_id: new.asset_id,
            contract_id: new.contract_id,
            model,
            every_days,
            every_meter,
            starts_on,
            lead_days: p.lead_days,
            priority: p.priority,
        })
    }

    /// The tenant's active plans (a customer contact: those of their own assets and contracts).
    pub async fn plans(&self, actor: &Actor) -> Result<Vec<Plan>, StoreError> {
        // A customer contact sees the plans of their own assets and contracts only.
        let customer = access::customer_scope(actor).ok_or(StoreError::Forbidden)?;
        let own = if customer.is_some() {
            " AND (asset_id IN (SELECT id FROM assets WHERE tenant_id = $1 AND customer_id = $2) \
             OR contract_id IN (SELECT id FROM contracts WHERE tenant_id = $1 AND customer_id = $2))"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {PLAN_COLUMNS} FROM maintenance_plans WHERE tenant_id = $1 AND active = 1{own} ORDER BY created_at"
        );
        let mut q = sqlx::query_as::<_, PlanRow>(&sql).bind(self.tid());
        if let Some(c) = customer {
            q = q.bind(c.to_string());
        }
        let rows = q.fetch_all(&self.store.read).await?;
        rows.into_iter().map(plan_of).collect()
    }

    /// PM compliance of the visits due from `from` to `to` (local dates, both included).
    pub async fn pm_compliance(
        &self,
        actor: &Actor,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Compliance, StoreError> {
        if !access::allowed(actor, Permission::ReadKpis) {
            return Err(StoreError::Forbidden);
        }
        let offset = self.settings().await?.offset;
        let rows: Vec<(String, Option<i64>)> = sqlx::query_as(
            "SELECT v.due_on, t.resolved_at FROM maintenance_visits v JOIN tickets t ON t.id = v.ticket_id \
             WHERE v.tenant_id = $1 AND v.due_on >= $2 AND v.due_on <= $3",
        )
        .bind(self.tid())
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(&self.store.read)
        .await?;
        let visits = rows
            .into_iter()
            .map(|(due, resolved)| {
                Ok((
                    parse_date(&due)?,
                    resolved.map(|r| crate::from_ms(r).with_timezone(&offset).date_naive()),
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let (due, on_time) = maintenance::compliance(&visits);
        #[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
        let rate = (due > 0).then(|| on_time as f64 / due as f64);
        Ok(Compliance { due, on_time, rate })
    }
}
