//! Engineers for dispatch: profiles (admin), the list dispatchers work from, and the
//! engineer's own duty switch and position pings.

use axum::extract::{Path, Query, State};
use axum::Json;
use loopdesk_core::dispatch::auto::Settings;
use loopdesk_core::dispatch::profile::ProfileInput;
use loopdesk_core::{TicketId, UserId};
use loopdesk_store::{EngineerView, HandDispatch, Proposal};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::path_id;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{AppJson, CurrentUser};
use crate::state::AppState;

/// Engineers.
#[derive(Serialize, ToSchema)]
pub struct EngineerPage {
    /// By name.
    pub items: Vec<EngineerView>,
}

/// Every active engineer with skills, capacity, load, duty, shift and last position (staff).
#[utoipa::path(get, path = "/api/v1/engineers", tag = "dispatch",
    responses((status = 200, body = EngineerPage), (status = 403, body = ErrorBody)))]
pub async fn list_engineers(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<EngineerPage>, ApiError> {
    let items = user
        .tenant
        .engineers(&user.actor, state.clock.now())
        .await?;
    Ok(Json(EngineerPage { items }))
}

/// One engineer (staff, or the engineer themself).
#[utoipa::path(get, path = "/api/v1/engineers/{id}", tag = "dispatch", params(("id" = String, Path)),
    responses((status = 200, body = EngineerView), (status = 404, body = ErrorBody)))]
pub async fn get_engineer(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<EngineerView>, ApiError> {
    let id = path_id(&id, UserId::parse)?;
    Ok(Json(
        user.tenant
            .engineer(&user.actor, id, state.clock.now())
            .await?,
    ))
}

/// Sets an engineer's skills (levels 1–5), further regions, home base, capacity and weekly
/// shift (admin).
#[utoipa::path(put, path = "/api/v1/engineers/{id}/profile", tag = "dispatch", params(("id" = String, Path)),
    request_body = ProfileInput,
    responses((status = 200, body = EngineerView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_profile(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    body: AppJson<ProfileInput>,
) -> Result<Json<EngineerView>, ApiError> {
    let id = path_id(&id, UserId::parse)?;
    Ok(Json(
        user.tenant
            .put_engineer_profile(&user.actor, id, body.value, state.clock.now())
            .await?,
    ))
}

/// The duty switch.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DutyBody {
    /// On duty: new orders may come.
    pub on_duty: bool,
}

/// The engineer goes on or off duty (engineers only, for themselves).
#[utoipa::path(post, path = "/api/v1/me/duty", tag = "dispatch", request_body = DutyBody,
    responses((status = 200, body = EngineerView), (status = 403, body = ErrorBody)))]
pub async fn set_duty(
    State(state): State<AppState>,
    user: CurrentUser,
    body: AppJson<DutyBody>,
) -> Result<Json<EngineerView>, ApiError> {
    Ok(Json(
        user.tenant
            .set_duty(&user.actor, body.value.on_duty, state.clock.now())
            .await?,
    ))
}

/// A position ping from the engineer's phone.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PositionBody {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Accuracy in metres, as the phone reports it.
    #[serde(default)]
    pub accuracy_m: Option<f64>,
}

/// Records where the engineer is now (engineers only, for themselves).
#[utoipa::path(post, path = "/api/v1/me/position", tag = "dispatch", request_body = PositionBody,
    responses((status = 200, body = EngineerView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn post_position(
    State(state): State<AppState>,
    user: CurrentUser,
    body: AppJson<PositionBody>,
) -> Result<Json<EngineerView>, ApiError> {
    let b = body.value;
    Ok(Json(
        user.tenant
            .record_position(&user.actor, b.lat, b.lon, b.accuracy_m, state.clock.now())
            .await?,
    ))
}

/// Options of the proposals.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProposalQuery {
    /// `true`: engineers may take orders outside their regions.
    pub cross_region: Option<bool>,
}

/// Proposals.
#[derive(Serialize, ToSchema)]
pub struct ProposalPage {
    /// Unassigned orders, most urgent first.
    pub items: Vec<Proposal>,
}

/// Proposals for every unassigned order (agents, dispatchers, supervisors, admins): the
/// assignment that serves as many orders as possible, the urgent first, with the least
/// travel; for each order its three best candidates and why the others are out. Accept one
/// with the move to `assigned`.
#[utoipa::path(get, path = "/api/v1/dispatch/proposals", tag = "dispatch", params(ProposalQuery),
    responses((status = 200, body = ProposalPage), (status = 403, body = ErrorBody)))]
pub async fn proposals(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ProposalQuery>,
) -> Result<Json<ProposalPage>, ApiError> {
    let items = user
        .tenant
        .dispatch_proposals(
            &user.actor,
            q.cross_region.unwrap_or(false),
            state.clock.now(),
        )
        .await?;
    Ok(Json(ProposalPage { items }))
}

/// Everyone who could take one order, for a dispatcher choosing by hand (agents,
/// dispatchers, supervisors, admins): the eligible engineers nearest first, then the others
/// with why they may not (off duty, no skill, other region, full …), and the engine's choice.
/// Assign with the move to `assigned`; choosing someone else than `proposed` is recorded.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/candidates", tag = "dispatch",
    params(("id" = String, Path), ProposalQuery),
    responses((status = 200, body = HandDispatch), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn candidates(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<ProposalQuery>,
) -> Result<Json<HandDispatch>, ApiError> {
    let id = path_id(&id, TicketId::parse)?;
    Ok(Json(
        user.tenant
            .hand_dispatch(
                &user.actor,
                id,
                q.cross_region.unwrap_or(false),
                state.clock.now(),
            )
            .await?,
    ))
}

/// The tenant's dispatch settings: `off`, `propose` (the default) or `auto`, and the minutes
/// an engineer has to accept.
#[utoipa::path(get, path = "/api/v1/settings/dispatch", tag = "dispatch",
    responses((status = 200, body = Settings), (status = 403, body = ErrorBody)))]
pub async fn get_dispatch_settings(user: CurrentUser) -> Result<Json<Settings>, ApiError> {
    super::require_setting_reader(&user, loopdesk_core::access::Setting::Dispatch)?;
    Ok(Json(user.tenant.dispatch_settings().await?))
}

/// Changes the dispatch settings (admin).
#[utoipa::path(put, path = "/api/v1/settings/dispatch", tag = "dispatch", request_body = Settings,
    responses((status = 200, body = Settings), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_dispatch_settings(
    user: CurrentUser,
    body: AppJson<Settings>,
) -> Result<Json<Settings>, ApiError> {
    Ok(Json(
        user.tenant
            .set_dispatch_settings(&user.actor, body.value)
            .await?,
    ))
}

/// What a run of automatic dispatch did.
#[derive(Serialize, ToSchema)]
pub struct DispatchRun {
    /// New orders assigned to their proposal.
    pub assigned: usize,
    /// Orders passed on after their engineer did not accept in time.
    pub passed_on: usize,
}

/// Runs automatic dispatch now in the caller's tenant (the `dispatch` job does it every
/// minute; admins).
#[utoipa::path(post, path = "/api/v1/dispatch/run", tag = "dispatch",
    responses((status = 200, body = DispatchRun), (status = 403, body = ErrorBody)))]
pub async fn run_dispatch(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<DispatchRun>, ApiError> {
    if !loopdesk_core::access::allowed(
        &user.actor,
        loopdesk_core::access::Permission::ManageAutomation,
    ) {
        return Err(ApiError::forbidden());
    }
    let done = loopdesk_jobs::dispatch::run_for(&user.tenant, state.clock.now()).await?;
    Ok(Json(DispatchRun {
        assigned: done.assigned,
        passed_on: done.passed_on,
    }))
}
