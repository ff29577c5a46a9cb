//! SLA policies: creating them, listing them, the cached set a new ticket is matched
//! against, and applying a changed policy to the open tickets under it.

use crate::rows::parse_id;
use crate::{from_ms, ms, StoreError, TenantStore};
use chrono::{DateTime, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::i18n::{self, Lang};
use loopdesk_core::sla::{self, Targets};
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::validate::{self};
use loopdesk_core::{SlaPolicyId, Status};
use sqlx::{Any, Transaction};
use std::sync::Arc;

use super::*;

/// Gives a new tenant the catch-all policy of [`sla::default_targets`] and
/// [`sla::default_escalation`], named in the tenant's default language. (Migration 0002 gives
/// the same policy to tenants created before it.)
pub(crate) async fn insert_default_policy(
    tx: &mut Transaction<'_, Any>,
    tenant: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let t = sla::default_targets();
    let chain = serde_json::to_string(&sla::default_escalation())
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    sqlx::query(
        "INSERT INTO sla_policies (id, tenant_id, name, first_response_minutes, arrival_minutes, \
         resolution_minutes, warn_at, escalation, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(SlaPolicyId::new().to_string())
    .bind(tenant)
    .bind(i18n::t(Lang::ZhCn, "sla.default_policy"))
    .bind(t.first_response_minutes)
    .bind(t.arrival_minutes)
    .bind(t.resolution_minutes)
    .bind(t.warn_at)
    .bind(chain)
    .bind(ms(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl TenantStore {
    /// The tenant's policies (cached).
    pub(crate) async fn policies(&self) -> Result<Arc<Vec<PolicyEntry>>, StoreError> {
        if let Some(p) = self.store.policies.get(self.tenant_id) {
            return Ok(p);
        }
        let rows: Vec<PolicyRow> = sqlx::query_as(POLICY_SELECT)
            .bind(self.tid())
            .fetch_all(&self.store.read)
            .await?;
        let entries = Arc::new(
            rows.iter()
                .map(PolicyRow::entry)
                .collect::<Result<Vec<_>, _>>()?,
        );
        self.store.policies.put(self.tenant_id, entries.clone());
        Ok(entries)
    }

    pub(crate) fn forget_policies(&self) {
        self.store.policies.forget(self.tenant_id);
    }

    /// The terms of a stored policy id.
    pub(crate) async fn terms_of(
        &self,
        id: Option<&str>,
    ) -> Result<Option<PolicyEntry>, StoreError> {
        let Some(id) = id else { return Ok(None) };
        let id = parse_id(id, SlaPolicyId::parse)?;
        let policies = self.policies().await?;
        if let Some(p) = policies.iter().find(|p| p.id == id) {
            return Ok(Some(p.clone()));
        }
        // Created by another instance since the cache was filled.
        self.forget_policies();
        Ok(self.policies().await?.iter().find(|p| p.id == id).cloned())
    }

    /// Re-applies the policies to every open ticket that `policy` fits best now (admin):
    /// their due times are recomputed from its targets on their own clocks. Answers how many
    /// tickets changed. Tickets are taken in batches of 500, one transaction each.
    pub async fn apply_sla_policy(
        &self,
        actor: &Actor,
        policy: SlaPolicyId,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        if !access::allowed(actor, Permission::ManageAutomation) {
            return Err(StoreError::Forbidden);
        }
        self.forget_policies();
        if !self.policies().await?.iter().any(|p| p.id == policy) {
            return Err(StoreError::NotFound);
        }
        let open: Vec<String> = Status::OPEN
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        let mut after = String::new();
        let mut changed = 0;
        loop {
            let rows: Vec<ReapplyRow> = sqlx::query_as(&format!(
                "{REAPPLY_SELECT} AND t.status IN ({}) AND t.id > $2 ORDER BY t.id LIMIT 500",
                open.join(", ")
            ))
            .bind(self.tid())
            .bind(&after)
            .fetch_all(&self.store.read)
            .await?;
            let Some(last) = rows.last() else { break };
            after = last.id.clone();
            let mut tx = self.store.write.begin().await?;
            for row in &rows {
                let Some(cols) = self.sla_reapplied(row, row.priority, now).await? else {
                    continue;
                };
                if cols.policy_id.as_deref() != Some(&policy.to_string()) {
                    continue;
                }
                write_sla(
                    &mut tx,
                    &self.tid(),
                    &row.id,
                    &cols,
                    row.kept.first_response_at,
                    row.kept.first_arrival_at,
                )
                .await?;
                changed += 1;
            }
            tx.commit().await?;
        }
        Ok(changed)
    }

    /// Adds a policy (admin).
    pub async fn create_sla_policy(
        &self,
        actor: &Actor,
        new: NewSlaPolicy,
        now: DateTime<Utc>,
    ) -> Result<SlaPolicy, StoreError> {
        if !access::allowed(actor, Permission::ManageAutomation) {
            return Err(StoreError::Forbidden);
        }
        let name = validate::required_text("name", &new.name, 100)?;
        let priority = new
            .priority
            .map(|p| validate::priority(p).map(i64::from))
            .transpose()?;
        let tier = validate::optional_text("customer_tier", new.customer_tier.as_deref(), 32)?;
        let category = validate::optional_text("category", new.category.as_deref(), 64)?;
        let targets = Targets::checked(
            new.first_response_minutes,
            new.arrival_minutes,
            new.resolution_minutes,
            new.warn_at,
        )?;
        sla::check_escalation(&new.escalation)?;
        if let Some(c) = new.calendar_id {
            self.require("calendars", &c.to_string(), "calendar_id")
                .await?;
        }
        let id = SlaPolicyId::new();
        let escalation = serde_json::to_string(&new.escalation)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO sla_policies (id, tenant_id, name, priority, customer_tier, category, \
             first_response_minutes, arrival_minutes, resolution_minutes, warn_at, calendar_id, escalation, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(id.to_string())
        .bind(self.tid())
        .bind(&name)
        .bind(priority)
        .bind(&tier)
        .bind(&category)
        .bind(targets.first_response_minutes)
        .bind(targets.arrival_minutes)
        .bind(targets.resolution_minutes)
        .bind(targets.warn_at)
        .bind(new.calendar_id.map(|c| c.to_string()))
        .bind(&escalation)
        .bind(ms(now))
        .execute(&self.store.write)
        .await?;
        self.forget_policies();
        Ok(SlaPolicy {
            id,
            name,
            priority,
            customer_tier: tier,
            category,
            first_response_minutes: targets.first_response_minutes,
            arrival_minutes: targets.arrival_minutes,
            resolution_minutes: targets.resolution_minutes,
            warn_at: targets.warn_at,
            calendar_id: new.calendar_id,
            escalation: new.escalation,
            created_at: from_ms(ms(now)),
        })
    }

    /// Every policy, the default first (admins, and managers weighing a change).
    pub async fn sla_policies(&self, actor: &Actor) -> Result<Vec<SlaPolicy>, StoreError> {
        if !access::allowed(actor, Permission::ManageAutomation)
            && !access::allowed(actor, Permission::SlaWhatIf)
        {
            return Err(StoreError::Forbidden);
        }
        let rows: Vec<PolicyRow> = sqlx::query_as(POLICY_SELECT)
            .bind(self.tid())
            .fetch_all(&self.store.read)
            .await?;
        rows.iter().map(PolicyRow::view).collect()
    }
}

/// What a ticket would be promised if it came in at a given moment: the policy that applies
/// and its due times (the SLA preview of the admin page).
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SlaPreview {
    /// The policy that applies.
    pub policy_id: SlaPolicyId,
    /// Its name.
    pub policy_name: String,
    /// First response due.
    pub first_response_due: Option<DateTime<Utc>>,
    /// Arrival on site due.
    pub arrival_due: Option<DateTime<Utc>>,
    /// Resolution due.
    pub resolution_due: Option<DateTime<Utc>>,
    /// When the resolution turns yellow.
    pub resolution_warn: Option<DateTime<Utc>>,
}

impl TenantStore {
    /// The policy a ticket of this priority, customer tier and category created at `at` falls
    /// under, and its due times by the policy's calendar (admin). None when no policy
    /// applies (only where the default policy was removed by hand).
    pub async fn sla_preview(
        &self,
        actor: &Actor,
        key: &sla::TicketKey<'_>,
        at: DateTime<Utc>,
    ) -> Result<Option<SlaPreview>, StoreError> {
        validate::priority(key.priority)?;
        let named = self.sla_policies(actor).await?;
        let policies = self.policies().await?;
        let Some(p) = sla::choose_policy(&policies, |p| &p.scope, key) else {
            return Ok(None);
        };
        let schedule = sla::TicketSla::start(&p.terms, ms(at)).schedule;
        Ok(Some(SlaPreview {
            policy_id: p.id,
            policy_name: named
                .iter()
                .find(|n| n.id == p.id)
                .map(|n| n.name.clone())
                .unwrap_or_default(),
            first_response_due: schedule.first_response.map(|d| from_ms(d.due)),
            arrival_due: schedule.arrival.map(|d| from_ms(d.due)),
            resolution_due: schedule.resolution.map(|d| from_ms(d.due)),
            resolution_warn: schedule.resolution.map(|d| from_ms(d.warn)),
        }))
    }
}
