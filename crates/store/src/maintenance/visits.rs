//! What the maintenance job needs: the active plans, whom a contract's plan serves, meter
//! baselines, and making a visit's work order once.

use crate::idempotency::Idempotency;
use crate::rows::{parse_date, parse_id};
use crate::tickets::NewTicket;
use crate::{ms, Store, StoreError, TenantStore};
use chrono::{DateTime, NaiveDate, Utc};
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::ticket::Channel;
use loopdesk_core::TicketId;
use loopdesk_core::{AssetId, ContractId, PlanId, TenantId};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::*;

impl TenantStore {
    /// The tenant's active maintenance plans, each with the day its work orders were last
    /// made up to.
    pub async fn active_plans(&self) -> Result<Vec<(Plan, NaiveDate)>, StoreError> {
        let rows: Vec<PlanRow> = sqlx::query_as(&format!(
            "SELECT {PLAN_COLUMNS}, made_on FROM maintenance_plans WHERE tenant_id = $1 AND active = 1"
        ))
        .bind(self.tid())
        .fetch_all(&self.store.read)
        .await?;
        rows.into_iter()
            .map(|mut row| {
                let made_on = row.made_on.take().unwrap_or_default();
                Ok((plan_of(row)?, parse_date(&made_on)?))
            })
            .collect()
    }

    /// What a contract's plan for `model` serves: the contract's period and its assets of
    /// that model.
    pub async fn contract_coverage(
        &self,
        contract: ContractId,
        model: &str,
    ) -> Result<((NaiveDate, NaiveDate), Vec<AssetId>), StoreError> {
        let (from, to): (String, String) = sqlx::query_as(
            "SELECT starts_on, ends_on FROM contracts WHERE tenant_id = $1 AND id = $2",
        )
        .bind(self.tid())
        .bind(contract.to_string())
        .fetch_one(&self.store.read)
        .await?;
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT a.id FROM contract_assets ca JOIN assets a ON a.id = ca.asset_id \
             WHERE ca.tenant_id = $1 AND ca.contract_id = $2 AND a.model = $3",
        )
        .bind(self.tid())
        .bind(contract.to_string())
        .bind(model)
        .fetch_all(&self.store.read)
        .await?;
        let ids = ids
            .iter()
            .map(|a| parse_id(a, AssetId::parse))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(((parse_date(&from)?, parse_date(&to)?), ids))
    }

    /// The meter reading a meter-based plan counts from for an asset: the reading when the
    /// plan first looked at it, kept from then on.
    pub async fn meter_baseline(
        &self,
        plan: PlanId,
        asset: AssetId,
        meter: i64,
    ) -> Result<i64, StoreError> {
        sqlx::query(
            "INSERT INTO maintenance_baselines (plan_id, asset_id, meter) VALUES ($1, $2, $3) \
             ON CONFLICT (plan_id, asset_id) DO NOTHING",
        )
        .bind(plan.to_string())
        .bind(asset.to_string())
        .bind(meter)
        .execute(&self.store.write)
        .await?;
        Ok(sqlx::query_scalar(
            "SELECT meter FROM maintenance_baselines WHERE plan_id = $1 AND asset_id = $2",
        )
        .bind(plan.to_string())
        .bind(asset.to_string())
        .fetch_one(&self.store.write)
        .await?)
    }

    /// True when the visit `key` of a plan on an asset has its work order already.
    pub async fn visit_exists(
        &self,
        plan: PlanId,
        asset: AssetId,
        key: &str,
    ) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM maintenance_visits WHERE plan_id = $1 AND asset_id = $2 AND due_key = $3",
        )
        .bind(plan.to_string())
        .bind(asset.to_string())
        .bind(key)
        .fetch_one(&self.store.write)
        .await?;
        Ok(n > 0)
    }

    /// Makes one visit's work order: a `maintenance` ticket on the asset with the model's
    /// checklist, created under an idempotency key of the plan, asset and due key, so a
    /// second runner (or a rerun after a crash) gets the same ticket; then records the visit.
    pub async fn make_visit(
        &self,
        plan: &Plan,
        asset: &crate::Asset,
        key: &str,
        due_on: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let checklist = self
            .model_by_code(&asset.model)
            .await?
            .map(|m| m.checklist)
            .unwrap_or_default();
        let idem_key = format!("pm:{}:{}:{key}", plan.id, asset.id);
        let idem = Idempotency {
            request_hash: hex::encode(Sha256::digest(idem_key.as_bytes())),
            key: idem_key,
        };
        let new = NewTicket {
            subject: format!("{} · {} {}", plan.name, asset.model, asset.serial),
            description: format!("{} {due_on}", plan.name),
            priority: plan.priority,
            channel: Channel::Api,
            customer_id: Some(asset.customer_id),
            contact_phone: None,
            site_id: Some(asset.site_id),
            asset_id: Some(asset.id),
            category: Some("maintenance".into()),
            fields: Some(json!({
                "maintenance_plan_id": plan.id,
                "due_on": due_on.to_string(),
                "due_key": key,
                "checklist": checklist,
            })),
        };
        let (ticket, _) = self
            .create_ticket(&Actor::System, new, Some(idem), now)
            .await?;
        self.record_visit(plan.id, asset.id, key, due_on, ticket.id, now)
            .await
    }

    pub(crate) async fn record_visit(
        &self,
        plan: PlanId,
        asset: AssetId,
        key: &str,
        due_on: NaiveDate,
        ticket: TicketId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.store.write.begin().await?;
        sqlx::query(
            "INSERT INTO maintenance_visits (plan_id, asset_id, due_key, tenant_id, due_on, ticket_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (plan_id, asset_id, due_key) DO NOTHING",
        )
        .bind(plan.to_string())
        .bind(asset.to_string())
        .bind(key)
        .bind(self.tid())
        .bind(due_on.to_string())
        .bind(ticket.to_string())
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        // The visit's due date is what PM compliance judges the ticket by.
        crate::facts::touch(&mut tx, &self.tid(), &ticket.to_string()).await?;
        tx.commit().await?;
        Ok(())
    }
}

impl Store {
    /// The tenants with an active maintenance plan.
    pub async fn tenants_with_active_plans(&self) -> Result<Vec<TenantId>, StoreError> {
        let tenants: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT tenant_id FROM maintenance_plans WHERE active = 1")
                .fetch_all(&self.read)
                .await?;
        tenants
            .iter()
            .map(|t| parse_id(t, TenantId::parse))
            .collect()
    }
}
