//! Service contracts (维保合同): which assets a customer's contract covers, and until when.
//! A ticket on a covered asset is not charged (see `asset::at_intake` in core).

use chrono::{DateTime, NaiveDate, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::maintenance::{self, NewContract};
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::{AssetId, ContractId, CustomerId};
use serde::Serialize;
use utoipa::ToSchema;

use crate::rows::{parse_date, parse_id};
use crate::{ms, StoreError, TenantStore};

/// A service contract.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Contract {
    /// Id.
    pub id: ContractId,
    /// Customer.
    pub customer_id: CustomerId,
    /// Number or name.
    pub name: String,
    /// First day covered.
    pub starts_on: NaiveDate,
    /// Last day covered.
    pub ends_on: NaiveDate,
    /// The SLA tier its tickets get.
    pub sla_tier: Option<String>,
    /// The assets it covers.
    pub asset_ids: Vec<AssetId>,
}

impl TenantStore {
    /// Adds a service contract over some of its customer's assets (admins and supervisors,
    /// those who manage stock and customers).
    pub async fn create_contract(
        &self,
        actor: &Actor,
        new: NewContract,
        now: DateTime<Utc>,
    ) -> Result<Contract, StoreError> {
        if !access::allowed(actor, Permission::WriteCustomers) {
            return Err(StoreError::Forbidden);
        }
        let c = maintenance::contract(&new)?;
        self.require("customers", &c.customer_id.to_string(), "customer_id")
            .await?;
        for a in &c.asset_ids {
            let owner = self.asset(*a).await.map(|x| x.customer_id);
            if owner.ok() != Some(c.customer_id) {
                return Err(loopdesk_core::validate::FieldError {
                    field: "asset_ids",
                    reason: "error.unknown_id",
                }
                .into());
            }
        }
        let id = ContractId::new();
        let mut tx = self.store.write.begin().await?;
        sqlx::query(
            "INSERT INTO contracts (id, tenant_id, customer_id, name, starts_on, ends_on, sla_tier, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id.to_string())
        .bind(self.tid())
        .bind(c.customer_id.to_string())
        .bind(&c.name)
        .bind(c.starts_on.to_string())
        .bind(c.ends_on.to_string())
        .bind(&c.sla_tier)
        .bind(ms(now))
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::on_unique(e, "name"))?;
        for a in &c.asset_ids {
            sqlx::query("INSERT INTO contract_assets (contract_id, asset_id, tenant_id) VALUES ($1, $2, $3)")
                .bind(id.to_string())
                .bind(a.to_string())
                .bind(self.tid())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(Contract {
            id,
            customer_id: c.customer_id,
            name: c.name,
            starts_on: c.starts_on,
            ends_on: c.ends_on,
            sla_tier: c.sla_tier,
            asset_ids: c.asset_ids,
        })
    }

    /// Every contract, by name.
    pub async fn contracts(&self, actor: &Actor) -> Result<Vec<Contract>, StoreError> {
        self.contract_list(actor, None).await
    }

    /// One customer's contracts, by name.
    pub async fn customer_contracts(
        &self,
        actor: &Actor,
        customer: CustomerId,
    ) -> Result<Vec<Contract>, StoreError> {
        self.contract_list(actor, Some(customer)).await
    }

    async fn contract_list(
        &self,
        actor: &Actor,
        customer: Option<CustomerId>,
    ) -> Result<Vec<Contract>, StoreError> {
        if !access::allowed(actor, Permission::ReadCustomers) {
            return Err(StoreError::Forbidden);
        }
        let rows: Vec<ContractRow> = sqlx::query_as(
            "SELECT id, customer_id, name, starts_on, ends_on, sla_tier FROM contracts \
             WHERE tenant_id = $1 AND ($2 = '' OR customer_id = $2) ORDER BY name",
        )
        .bind(self.tid())
        .bind(customer.map(|c| c.to_string()).unwrap_or_default())
        .fetch_all(&self.store.read)
        .await?;
        let scope = access::customer_scope(actor).flatten();
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let customer_id = parse_id(&r.customer_id, CustomerId::parse)?;
            if scope.is_some_and(|own| own != customer_id) {
                continue;
            }
            let assets: Vec<String> = sqlx::query_scalar(
                "SELECT asset_id FROM contract_assets WHERE tenant_id = $1 AND contract_id = $2 ORDER BY asset_id",
            )
            .bind(self.tid())
            .bind(&r.id)
            .fetch_all(&self.store.read)
            .await?;
            out.push(Contract {
                id: parse_id(&r.id, ContractId::parse)?,
                customer_id,
                name: r.name,
                starts_on: parse_date(&r.starts_on)?,
                ends_on: parse_date(&r.ends_on)?,
                sla_tier: r.sla_tier,
                asset_ids: assets
                    .iter()
                    .map(|a| parse_id(a, AssetId::parse))
                    .collect::<Result<_, _>>()?,
            });
        }
        Ok(out)
    }

    /// The contract covering an asset on `day`, if any: its SLA tier (when it grants one).
    pub(crate) async fn contract_cover(
        &self,
        asset: AssetId,
        day: NaiveDate,
    ) -> Result<Option<Option<String>>, StoreError> {
        let rows: Vec<CoverRow> = sqlx::query_as(
            "SELECT c.starts_on, c.ends_on, c.sla_tier FROM contracts c JOIN contract_assets ca ON ca.contract_id = c.id \
             WHERE ca.tenant_id = $1 AND ca.asset_id = $2",
        )
        .bind(self.tid())
        .bind(asset.to_string())
        .fetch_all(&self.store.read)
        .await?;
        for r in rows {
            if maintenance::covers(parse_date(&r.starts_on)?, parse_date(&r.ends_on)?, day) {
                return Ok(Some(r.sla_tier));
            }
        }
        Ok(None)
    }
}

/// A stored contract.
#[derive(sqlx::FromRow)]
struct ContractRow {
    id: String,
    customer_id: String,
    name: String,
    starts_on: String,
    ends_on: String,
    sla_tier: Option<String>,
}

/// A contract's period and the tier it grants.
#[derive(sqlx::FromRow)]
struct CoverRow {
    starts_on: String,
    ends_on: String,
    sla_tier: Option<String>,
}
