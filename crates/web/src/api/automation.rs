//! SLA policies, business calendars, webhooks, the job queue (admin) and each user's
//! in-app notifications.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use loopdesk_store::{
    BusinessCalendarView, JobView, NewCalendar, NewSlaPolicy, NewWebhook, Notification, SlaPolicy,
    Webhook, WebhookDelivery,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::path_id;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{AppJson, CurrentUser};
use crate::state::AppState;
use loopdesk_core::{CalendarId, SlaPolicyId, WebhookId};

/// Adds an SLA policy (admin). It applies to tickets created after it.
#[utoipa::path(post, path = "/api/v1/sla-policies", tag = "sla", request_body = NewSlaPolicy,
    responses((status = 201, body = SlaPolicy), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_sla_policy(
    State(state): State<AppState>,
    user: CurrentUser,
    body: AppJson<NewSlaPolicy>,
) -> Result<(StatusCode, Json<SlaPolicy>), ApiError> {
    let p = user
        .tenant
        .create_sla_policy(&user.actor, body.value, state.clock.now())
        .await?;
    Ok((StatusCode::CREATED, Json(p)))
}

/// Lists the SLA policies, the default first (admin).
#[utoipa::path(get, path = "/api/v1/sla-policies", tag = "sla",
    responses((status = 200, body = [SlaPolicy]), (status = 403, body = ErrorBody)))]
pub async fn list_sla_policies(user: CurrentUser) -> Result<Json<Vec<SlaPolicy>>, ApiError> {
    Ok(Json(user.tenant.sla_policies(&user.actor).await?))
}

/// Adds a business calendar (admin); without `spec`, the PRC working week with the shipped
/// public holidays and make-up working days.
#[utoipa::path(post, path = "/api/v1/calendars", tag = "sla", request_body = NewCalendar,
    responses((status = 201, body = BusinessCalendarView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_calendar(
    State(state): State<AppState>,
    user: CurrentUser,
    body: AppJson<NewCalendar>,
) -> Result<(StatusCode, Json<BusinessCalendarView>), ApiError> {
    let c = user
        .tenant
        .create_calendar(&user.actor, body.value, state.clock.now())
        .await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// The business calendars (admin).
#[utoipa::path(get, path = "/api/v1/calendars", tag = "sla",
    responses((status = 200, body = [BusinessCalendarView]), (status = 403, body = ErrorBody)))]
pub async fn list_calendars(
    user: CurrentUser,
) -> Result<Json<Vec<BusinessCalendarView>>, ApiError> {
    Ok(Json(user.tenant.calendars(&user.actor).await?))
}

/// Replaces a calendar (admin), e.g. with next year's holidays and make-up days. New tickets
/// use it at once; open tickets when their policy is re-applied.
#[utoipa::path(put, path = "/api/v1/calendars/{id}", tag = "sla", params(("id" = String, Path)),
    request_body = NewCalendar,
    responses((status = 200, body = BusinessCalendarView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_calendar(
    user: CurrentUser,
    Path(id): Path<String>,
    body: AppJson<NewCalendar>,
) -> Result<Json<BusinessCalendarView>, ApiError> {
    let id = path_id(&id, CalendarId::parse)?;
    Ok(Json(
        user.tenant
            .update_calendar(&user.actor, id, body.value)
            .await?,
    ))
}

/// How many tickets a re-application changed.
#[derive(Serialize, ToSchema)]
pub struct Applied {
    /// Open tickets now computed under the policy.
    pub tickets: u64,
}

/// Re-applies the policies to the open tickets (admin): every open ticket that this policy
/// fits best now gets its due times recomputed from the policy's targets, on its own clock.
#[utoipa::path(post, path = "/api/v1/sla-policies/{id}/apply", tag = "sla", params(("id" = String, Path)),
    responses((status = 200, body = Applied), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn apply_sla_policy(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Applied>, ApiError> {
    let id = path_id(&id, SlaPolicyId::parse)?;
    let tickets = user
        .tenant
        .apply_sla_policy(&user.actor, id, state.clock.now())
        .await?;
    Ok(Json(Applied { tickets }))
}

/// Registers a webhook endpoint (admin).
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "notifications", request_body = NewWebhook,
    responses((status = 201, body = Webhook), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_webhook(
    State(state): State<AppState>,
    user: CurrentUser,
    body: AppJson<NewWebhook>,
) -> Result<(StatusCode, Json<Webhook>), ApiError> {
    let w = user
        .tenant
        .create_webhook(
            &user.actor,
            body.value,
            &state.config.webhook_allow,
            state.clock.now(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(w)))
}

/// The webhook endpoints, oldest first (admin; secrets are never shown).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "notifications",
    responses((status = 200, body = [Webhook]), (status = 403, body = ErrorBody)))]
pub async fn list_webhooks(user: CurrentUser) -> Result<Json<Vec<Webhook>>, ApiError> {
    Ok(Json(user.tenant.webhooks(&user.actor).await?))
}

/// A change to an endpoint.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditWebhookBody {
    /// `false` disables it (nothing new is sent), `true` enables it again.
    pub active: bool,
}

/// Enables or disables an endpoint (admin).
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "notifications", params(("id" = String, Path)),
    request_body = EditWebhookBody,
    responses((status = 200, body = Webhook), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn edit_webhook(
    user: CurrentUser,
    Path(id): Path<String>,
    body: AppJson<EditWebhookBody>,
) -> Result<Json<Webhook>, ApiError> {
    let id = path_id(&id, WebhookId::parse)?;
    Ok(Json(
        user.tenant
            .set_webhook_active(&user.actor, id, body.value.active)
            .await?,
    ))
}

/// Removes an endpoint (admin).
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "notifications", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_webhook(
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(&id, WebhookId::parse)?;
    user.tenant.delete_webhook(&user.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Queues a signed `webhook.test` delivery to an endpoint (admin), even while it is disabled.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/test", tag = "notifications", params(("id" = String, Path)),
    responses((status = 202), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn test_webhook(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(&id, WebhookId::parse)?;
    user.tenant
        .test_webhook(&user.actor, id, state.clock.now())
        .await?;
    Ok(StatusCode::ACCEPTED)
}

/// The latest deliveries to an endpoint, newest first, with their status (admin).
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "notifications", params(("id" = String, Path)),
    responses((status = 200, body = [WebhookDelivery]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn webhook_deliveries(
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<WebhookDelivery>>, ApiError> {
    let id = path_id(&id, WebhookId::parse)?;
    Ok(Json(
        user.tenant.webhook_deliveries(&user.actor, id, 50).await?,
    ))
}

/// Filters of the job list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobQuery {
    /// `pending`, `running`, `done`, `failed` or `dead`.
    #[param(schema_with = job_statuses)]
    pub status: Option<String>,
    /// At most this many: 1–500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// The job list's status filter, as the document shows it.
fn job_statuses() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .enum_values(Some(loopdesk_core::job::JOB_STATUSES))
        .build()
}

/// The tenant's jobs, newest first (admin): what is pending, failing or dead.
#[utoipa::path(get, path = "/api/v1/jobs", tag = "notifications", params(JobQuery),
    responses((status = 200, body = [JobView]), (status = 403, body = ErrorBody)))]
pub async fn list_jobs(
    user: CurrentUser,
    Query(q): Query<JobQuery>,
) -> Result<Json<Vec<JobView>>, ApiError> {
    Ok(Json(
        user.tenant
            .jobs(&user.actor, q.status.as_deref(), q.limit.unwrap_or(100))
            .await?,
    ))
}

/// The signed-in user's notifications.
#[derive(Serialize, ToSchema)]
pub struct NotificationList {
    /// Unread ones.
    pub unread: i64,
    /// Newest first.
    pub items: Vec<Notification>,
}

/// Which notifications to mark read.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadBody {
    /// These (up to 500); without it, all of the user's.
    #[serde(default)]
    pub ids: Option<Vec<String>>,
}

/// How many notifications changed.
#[derive(Serialize, ToSchema)]
pub struct MarkedRead {
    /// Newly marked read.
    pub marked: u64,
}

/// Marks the signed-in user's notifications read (the named ones, or all).
#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "notifications", request_body = ReadBody,
    responses((status = 200, body = MarkedRead), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn mark_read(
    State(state): State<AppState>,
    user: CurrentUser,
    body: AppJson<ReadBody>,
) -> Result<Json<MarkedRead>, ApiError> {
    let marked = user
        .tenant
        .mark_notifications_read(&user.actor, body.value.ids.as_deref(), state.clock.now())
        .await?;
    Ok(Json(MarkedRead { marked }))
}

/// The signed-in user's in-app notifications (the bell) and the unread count.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications",
    responses((status = 200, body = NotificationList), (status = 401, body = ErrorBody)))]
pub async fn list_notifications(user: CurrentUser) -> Result<Json<NotificationList>, ApiError> {
    let (items, unread) = user.tenant.notifications(&user.actor, 50).await?;
    Ok(Json(NotificationList { unread, items }))
}
