//! The nightly training of every tenant's triage models: between 02:00 and 05:00 on the
//! tenant's clock, each model older than 20 hours (or never trained) is trained again on the
//! tickets as people filed them by then; so is the risk model, whose backtest of the weeks
//! before is kept per day. A target with too few examples is left untrained without
//! complaint: a new tenant has no history yet.

use chrono::{DateTime, Timelike, Utc};
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::triage::{train::retrain_due, Target};
use loopdesk_store::{Store, StoreError};

/// Trains the models that are due in every tenant; answers how many were trained.
pub async fn nightly(store: &Store, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let mut trained = 0;
    for id in store.tenant_ids().await? {
        let tenant = store.tenant(id);
        let hour = now.with_timezone(&tenant.utc_offset().await?).hour();
        let have = tenant.triage_trained().await?;
        for target in Target::ALL {
            if !retrain_due(have.get(&target).copied(), now, hour) {
                continue;
            }
            match tenant.train_triage(&Actor::System, target, now).await {
                Ok(report) => {
                    trained += 1;
                    tracing::info!(
                        tenant = %id,
                        target = target.as_str(),
                        trained_on = report.trained_on,
                        accuracy = report.holdout.accuracy,
                        "triage model trained"
                    );
                }
                Err(StoreError::TooFewExamples { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        let risk = tenant.risk_model().await?.map(|m| m.trained_at);
        if retrain_due(risk, now, hour) {
            match tenant.train_risk(now).await {
                Ok(m) => {
                    trained += 1;
                    tracing::info!(tenant = %id, trained_on = m.model.trained_on, "risk model trained");
                }
                Err(StoreError::TooFewExamples { .. }) => {}
                Err(e) => return Err(e),
            }
        }
    }
    // The audit trail past each tenant's retention (the database keeps 30 days whatever).
    let pruned = store.prune_audit(now).await?;
    if pruned > 0 {
        tracing::info!(
            entries = pruned,
            "audit entries past their retention removed"
        );
    }
    // The sign-in guard's counts its rules have forgotten.
    store
        .prune_sign_in(&loopdesk_core::login::Rules::default(), now)
        .await?;
    Ok(trained)
}

/// Gives new tickets without a category the model's guess in every tenant that lets the model
/// set categories (runs before automatic dispatch, whose skills follow the category); answers
/// how many were set.
pub async fn guess(store: &Store, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let mut set = 0;
    for id in store.tenant_ids().await? {
        set += store.tenant(id).guess_categories(now).await?;
    }
    Ok(set)
}
