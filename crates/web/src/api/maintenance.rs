//! Service contracts, maintenance plans and PM compliance.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::NaiveDate;
use loopdesk_core::access::{allowed, Permission};
use loopdesk_core::maintenance::{NewContract, NewPlan};
use loopdesk_store::{Compliance, Contract, Plan};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ErrorBody};
use crate::extract::{AppJson, CurrentUser};
use crate::state::AppState;

/// Adds a service contract: a customer's assets covered from one date to another, with the
/// SLA tier their tickets get (a covered asset's repairs are not chargeable).
#[utoipa::path(post, path = "/api/v1/contracts", tag = "maintenance", request_body = NewContract,
    responses((status = 201, body = Contract), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_contract(
    State(state): State<AppState>,
    user: CurrentUser,
    body: AppJson<NewContract>,
) -> Result<(StatusCode, Json<Contract>), ApiError> {
    let c = user
        .tenant
        .create_contract(&user.actor, body.value, state.clock.now())
        .await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// Contracts.
#[derive(Serialize, ToSchema)]
pub struct ContractPage {
    /// By name.
    pub items: Vec<Contract>,
}

/// Every contract (a customer: their own).
#[utoipa::path(get, path = "/api/v1/contracts", tag = "maintenance",
    responses((status = 200, body = ContractPage), (status = 403, body = ErrorBody)))]
pub async fn list_contracts(user: CurrentUser) -> Result<Json<ContractPage>, ApiError> {
    Ok(Json(ContractPage {
        items: user.tenant.contracts(&user.actor).await?,
    }))
}

/// Adds a maintenance plan: for an asset, or each asset of a model under a contract; every
/// N days from a first date or every N meter units; work orders made `lead_days` ahead.
#[utoipa::path(post, path = "/api/v1/maintenance/plans", tag = "maintenance", request_body = NewPlan,
    responses((status = 201, body = Plan), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_plan(
    State(state): State<AppState>,
    user: CurrentUser,
    body: AppJson<NewPlan>,
) -> Result<(StatusCode, Json<Plan>), ApiError> {
    let p = user
        .tenant
        .create_plan(&user.actor, body.value, state.clock.now())
        .await?;
    Ok((StatusCode::CREATED, Json(p)))
}

/// Plans.
#[derive(Serialize, ToSchema)]
pub struct PlanPage {
    /// Oldest first.
    pub items: Vec<Plan>,
}

/// The active maintenance plans (a customer: those of their own assets and contracts).
#[utoipa::path(get, path = "/api/v1/maintenance/plans", tag = "maintenance",
    responses((status = 200, body = PlanPage), (status = 403, body = ErrorBody)))]
pub async fn list_plans(user: CurrentUser) -> Result<Json<PlanPage>, ApiError> {
    Ok(Json(PlanPage {
        items: user.tenant.plans(&user.actor).await?,
    }))
}

/// What was made.
#[derive(Serialize, ToSchema)]
pub struct Generated {
    /// Work orders made now.
    pub made: usize,
}

/// Makes the maintenance work orders that are due now in the caller's tenant (the job does
/// it every 30 minutes; admins).
#[utoipa::path(post, path = "/api/v1/maintenance/run", tag = "maintenance",
    responses((status = 200, body = Generated), (status = 403, body = ErrorBody)))]
pub async fn run(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Generated>, ApiError> {
    if !allowed(&user.actor, Permission::ManageAutomation) {
        return Err(ApiError::forbidden());
    }
    let made = loopdesk_jobs::maintenance::generate_for(&user.tenant, state.clock.now()).await?;
    Ok(Json(Generated { made }))
}

/// A period of due dates.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ComplianceQuery {
    /// First due date (YYYY-MM-DD).
    pub from: Option<String>,
    /// Last due date (YYYY-MM-DD).
    pub to: Option<String>,
}

/// PM compliance: maintenance visits due in the period and how many were done by their due
/// date.
#[utoipa::path(get, path = "/api/v1/maintenance/compliance", tag = "maintenance", params(ComplianceQuery),
    responses((status = 200, body = Compliance), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn compliance(
    user: CurrentUser,
    Query(q): Query<ComplianceQuery>,
) -> Result<Json<Compliance>, ApiError> {
    let day = |field: &str, v: Option<&str>| {
        v.and_then(|t| t.trim().parse::<NaiveDate>().ok())
            .ok_or_else(|| ApiError::invalid(field, "error.invalid_value"))
    };
    let from = day("from", q.from.as_deref())?;
    let to = day("to", q.to.as_deref())?;
    Ok(Json(
        user.tenant.pm_compliance(&user.actor, from, to).await?,
    ))
}
