//! Preventive maintenance: the work orders the tenants' plans make due. For each active
//! plan and each asset it serves, the visits due by date (every N days, a lead time ahead)
//! or by meter (every N units since the plan first saw the asset) are worked out in core
//! (`loopdesk_core::maintenance`); each gets its work order once, however many runners look
//! (the store makes it under an idempotency key of the plan, asset and visit).

use chrono::{DateTime, NaiveDate, Utc};
use loopdesk_core::asset::AssetStatus;
use loopdesk_core::{maintenance, AssetId};
use loopdesk_store::{Plan, Store, StoreError, TenantStore};

/// Work orders a plan may make in one run, per asset.
const MOST_PER_RUN: usize = 24;

/// Makes the work orders due in every tenant with an active plan; answers how many.
pub async fn generate(store: &Store, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let mut made = 0;
    for tenant in store.tenants_with_active_plans().await? {
        made += generate_for(&store.tenant(tenant), now).await?;
    }
    Ok(made)
}

/// Makes the work orders due in one tenant; answers how many.
pub async fn generate_for(tenant: &TenantStore, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let today = now.with_timezone(&tenant.utc_offset().await?).date_naive();
    let mut made = 0;
    for (plan, made_on) in tenant.active_plans().await? {
        // Whom it serves, and within which period.
        let (assets, window) = match (plan.asset_id, plan.contract_id, &plan.model) {
            (Some(a), _, _) => (vec![a], None),
            (None, Some(c), Some(model)) => {
                let (window, assets) = tenant.contract_coverage(c, model).await?;
                (assets, Some(window))
            }
            _ => continue,
        };
        for asset in assets {
            made += for_asset(tenant, &plan, made_on, window, asset, today, now).await?;
        }
    }
    Ok(made)
}

/// The work orders one plan makes due for one asset.
async fn for_asset(
    tenant: &TenantStore,
    plan: &Plan,
    made_on: NaiveDate,
    window: Option<(NaiveDate, NaiveDate)>,
    asset: AssetId,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let a = tenant.asset(asset).await?;
    if a.status == AssetStatus::Decommissioned {
        return Ok(0);
    }
    let due: Vec<(String, NaiveDate)> = match (plan.starts_on, plan.every_days, plan.every_meter) {
        (Some(starts_on), Some(every), _) => {
            let from = window.map_or(made_on, |(f, _)| f.max(made_on));
            let until = window.map(|w| w.1);
            maintenance::due_dates(
                starts_on,
                every,
                from,
                today,
                plan.lead_days,
                until,
                MOST_PER_RUN,
            )
            .into_iter()
            .map(|d| (maintenance::due_key(Some(d), None), d))
            .collect()
        }
        (_, _, Some(every)) => {
            if window.is_some_and(|(f, t)| !maintenance::covers(f, t, today)) {
                return Ok(0);
            }
            let meter = a.meter.unwrap_or(0);
            let baseline = tenant.meter_baseline(plan.id, asset, meter).await?;
            maintenance::meter_thresholds(baseline, every, meter, MOST_PER_RUN)
                .into_iter()
                .map(|t| (maintenance::due_key(None, Some(t)), today))
                .collect()
        }
        _ => return Ok(0),
    };
    let mut made = 0;
    for (key, due_on) in due {
        if tenant.visit_exists(plan.id, asset, &key).await? {
            continue;
        }
        tenant.make_visit(plan, &a, &key, due_on, now).await?;
        made += 1;
    }
    Ok(made)
}
