//! After resolution: the survey behind its signed link (no sign-in), priority and category
//! changes, the remediation queue, and the tenant's survey and auto-close settings.

use axum::extract::{Path, State};
use axum::Json;
use loopdesk_core::followup::{FollowUp, SurveyAnswer};
use loopdesk_core::TicketId;
use loopdesk_store::{CategoryChange, PriorityChange, SurveyView, TicketDetail};
use serde::Deserialize;
use utoipa::ToSchema;

use super::path_id;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{AppJson, CurrentUser};
use crate::state::AppState;

/// A survey as its link shows it: the ticket, until when, and whether it was answered.
#[utoipa::path(get, path = "/api/v1/surveys/{token}", tag = "surveys", security(()),
    params(("token" = String, Path, description = "The token of the survey link")),
    responses((status = 200, body = SurveyView), (status = 404, body = ErrorBody),
        (status = 410, body = ErrorBody, description = "The link is invalid or has expired")))]
pub async fn get_survey(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<SurveyView>, ApiError> {
    Ok(Json(state.store.survey(&token).await?))
}

/// Answers a survey through its link, once: CSAT 1–5, NPS 0–10 and a comment. A low score
/// puts the ticket into the remediation queue; top scores tag the customer as loyal.
#[utoipa::path(post, path = "/api/v1/surveys/{token}", tag = "surveys", security(()),
    params(("token" = String, Path, description = "The token of the survey link")),
    request_body = SurveyAnswer,
    responses((status = 200, body = SurveyView), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "Answered already"),
        (status = 410, body = ErrorBody, description = "The link has expired"),
        (status = 422, body = ErrorBody)))]
pub async fn answer_survey(
    State(state): State<AppState>,
    Path(token): Path<String>,
    body: AppJson<SurveyAnswer>,
) -> Result<Json<SurveyView>, ApiError> {
    Ok(Json(
        state
            .store
            .answer_survey(&token, body.value, state.clock.now())
            .await?,
    ))
}

/// A priority change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriorityBody {
    /// The version last seen.
    pub version: i64,
    /// 1 (most urgent) to 4.
    pub priority: i64,
    /// Why.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Changes a ticket's priority (agent, dispatcher, supervisor, admin); the SLA policy is
/// chosen again and the due times recomputed on the ticket's own clock.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/priority", tag = "tickets", params(("id" = String, Path)),
    request_body = PriorityBody,
    responses((status = 200, body = TicketDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_priority(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    body: AppJson<PriorityBody>,
) -> Result<Json<TicketDetail>, ApiError> {
    let id = path_id(&id, TicketId::parse)?;
    let b = body.value;
    let req = PriorityChange {
        version: b.version,
        priority: b.priority,
        reason: b.reason,
    };
    Ok(Json(
        user.tenant
            .change_priority(&user.actor, id, req, state.clock.now())
            .await?,
    ))
}

/// A category set, corrected or confirmed.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryBody {
    /// The version last seen.
    pub version: i64,
    /// The category's code; the current one again confirms the model's guess.
    pub category: String,
    /// Why.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Sets or corrects a ticket's category, or confirms the model's guess (agent, dispatcher,
/// supervisor, admin); the SLA policy is chosen again. A person's category is what the
/// category model learns from.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/category", tag = "tickets", params(("id" = String, Path)),
    request_body = CategoryBody,
    responses((status = 200, body = TicketDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_category(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    body: AppJson<CategoryBody>,
) -> Result<Json<TicketDetail>, ApiError> {
    let id = path_id(&id, TicketId::parse)?;
    let b = body.value;
    let req = CategoryChange {
        version: b.version,
        category: b.category,
        reason: b.reason,
    };
    Ok(Json(
        user.tenant
            .change_category(&user.actor, id, req, state.clock.now())
            .await?,
    ))
}

/// What was done for an unhappy customer.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemediationBody {
    /// What was done.
    pub note: String,
}

/// Takes a ticket out of the remediation queue (supervisor, manager, admin), with a note of
/// what was done for the customer. `GET /api/v1/tickets?remediation=open` lists the queue.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/remediation", tag = "tickets", params(("id" = String, Path)),
    request_body = RemediationBody,
    responses((status = 200, body = TicketDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn close_remediation(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    body: AppJson<RemediationBody>,
) -> Result<Json<TicketDetail>, ApiError> {
    let id = path_id(&id, TicketId::parse)?;
    Ok(Json(
        user.tenant
            .close_remediation(&user.actor, id, &body.value.note, state.clock.now())
            .await?,
    ))
}

/// The survey and auto-close settings.
#[utoipa::path(get, path = "/api/v1/settings/follow-up", tag = "surveys",
    responses((status = 200, body = FollowUp), (status = 403, body = ErrorBody)))]
pub async fn get_follow_up(user: CurrentUser) -> Result<Json<FollowUp>, ApiError> {
    super::require_setting_reader(&user, loopdesk_core::access::Setting::FollowUp)?;
    Ok(Json(user.tenant.follow_up().await?))
}

/// Changes the survey and auto-close settings (admin).
#[utoipa::path(put, path = "/api/v1/settings/follow-up", tag = "surveys", request_body = FollowUp,
    responses((status = 200, body = FollowUp), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_follow_up(
    user: CurrentUser,
    body: AppJson<FollowUp>,
) -> Result<Json<FollowUp>, ApiError> {
    Ok(Json(
        user.tenant.set_follow_up(&user.actor, body.value).await?,
    ))
}
