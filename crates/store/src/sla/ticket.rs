//! A ticket's SLA columns: chosen at creation, recomputed when the priority changes, and
//! carried through every move (the clock paused and resumed, the colour, the next look).

use crate::model::parse_sla;
use crate::{ms, StoreError, TenantStore};
use chrono::{DateTime, Utc};
use loopdesk_core::sla::{self, SlaState, TicketKey, TicketSla};
use loopdesk_core::Status;
use sqlx::{Any, Transaction};

use super::*;

/// Writes a ticket's SLA columns inside `tx`.
pub(crate) async fn write_sla(
    tx: &mut Transaction<'_, Any>,
    tenant: &str,
    ticket: &str,
    c: &SlaColumns,
    first_response_at: Option<i64>,
    first_arrival_at: Option<i64>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE tickets SET sla = $1, sla_state = $2, sla_next_at = $3, resolution_due = $4, \
         first_response_at = $5, first_arrival_at = $6, sla_policy_id = COALESCE($9, sla_policy_id) \
         WHERE tenant_id = $7 AND id = $8",
    )
    .bind(&c.sla)
    .bind(c.state)
    .bind(c.next_at)
    .bind(c.resolution_due)
    .bind(first_response_at)
    .bind(first_arrival_at)
    .bind(tenant)
    .bind(ticket)
    .bind(&c.policy_id)
    .execute(&mut **tx)
    .await?;
    // The resolution due time decides the on-time rate.
    crate::facts::touch(tx, tenant, ticket).await
}

impl TenantStore {
    /// The SLA a new ticket starts with.
    pub(crate) async fn sla_for_new(
        &self,
        key: &TicketKey<'_>,
        now: DateTime<Utc>,
    ) -> Result<SlaColumns, StoreError> {
        let policies = self.policies().await?;
        let Some(p) = sla::choose_policy(&policies, |p| &p.scope, key) else {
            // Only a database whose default policy was removed by hand gets here.
            return Ok(SlaColumns {
                state: SlaState::Ok.as_str(),
                ..SlaColumns::default()
            });
        };
        let sla = TicketSla::start(&p.terms, ms(now));
        let (state, next) = sla.evaluate(&p.terms, &sla::Met::default(), ms(now));
        SlaColumns::of(p, &sla, state, next)
    }

    /// The SLA of a ticket under the policy that fits it now (its priority, tier or category
    /// changed, or the policies did): the same clock, due times recomputed from the new
    /// targets, the colour re-evaluated. `None` for a ticket without an SLA clock (older than
    /// SLAs) or a tenant without policies.
    pub(crate) async fn sla_reapplied(
        &self,
        row: &ReapplyRow,
        priority: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<SlaColumns>, StoreError> {
        let Some(stored) = row.sla.as_deref() else {
            return Ok(None);
        };
        let policies = self.policies().await?;
        let key = TicketKey {
            priority,
            customer_tier: row.tier.as_deref(),
            category: row.category.as_deref(),
        };
        let Some(p) = sla::choose_policy(&policies, |p| &p.scope, &key) else {
            return Ok(None);
        };
        let mut sla = parse_sla(stored)?;
        sla.reapply(&p.terms);
        let met = row.kept.met()?;
        let (state, next) = sla.evaluate(&p.terms, &met, ms(now));
        SlaColumns::of(p, &sla, state, next).map(Some)
    }

    /// The SLA columns after a move (pause, resume, met targets), written by the move.
    pub(crate) async fn sla_after_move(
        &self,
        policy_id: Option<&str>,
        stored: Option<&str>,
        from: Status,
        met: &sla::Met,
        to: Status,
        now: DateTime<Utc>,
    ) -> Result<Option<SlaColumns>, StoreError> {
        let Some(policy) = self.terms_of(policy_id).await? else {
            return Ok(None);
        };
        let Some(mut sla) = stored.map(parse_sla).transpose()? else {
            return Ok(None);
        };
        sla.on_move(&policy.terms, from, to, ms(now));
        let (state, next) = sla.evaluate(&policy.terms, met, ms(now));
        SlaColumns::of(&policy, &sla, state, next).map(Some)
    }
}
