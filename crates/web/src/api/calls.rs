//! Phone calls: a PBX or cloud call centre posts each call's events to its phone channel
//! (`POST /api/v1/channels/{id}/events`, signed with the channel's secret); staff read the
//! call log and work the callbacks of missed calls.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use loopdesk_core::inbound::call::{Callback, PostedEvent};
use loopdesk_core::inbound::ChannelKind;
use loopdesk_core::signing::verify_body_signature;
use loopdesk_core::{CallId, ChannelId, CustomerId, TicketId};
use loopdesk_store::{Call, CallFilter, CallPage};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::path_id;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{parse_json, CurrentUser};
use crate::state::AppState;

/// The largest call event taken (a long transcript included).
const MAX_EVENT_BYTES: usize = 512 * 1024;

/// The header that carries a call event's signature.
pub const SIGNATURE_HEADER: &str = "x-loopdesk-signature";

/// What a call event made: the call and the customer its number belongs to.
#[derive(Serialize, ToSchema)]
pub struct CallEventAnswer {
    /// The PBX's id of the call.
    pub call_id: String,
    /// The customer, when the number is one of their contacts'.
    pub customer_id: Option<CustomerId>,
}

fn unsigned() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "error.channel_signature",
    )
}

/// Takes one event of a phone call in, signed: `X-Loopdesk-Signature: sha256=<hex of
/// HMAC-SHA256(channel secret, raw body)>`. Events of one call may come out of order or twice
/// and still make one call record.
#[utoipa::path(post, path = "/api/v1/channels/{id}/events", tag = "channels", params(("id" = String, Path)),
    request_body = PostedEvent,
    security(()),
    responses((status = 200, body = CallEventAnswer), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn receive_event(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<CallEventAnswer>, ApiError> {
    let id = ChannelId::parse(&id).ok_or_else(unsigned)?;
    let raw = axum::body::to_bytes(body, MAX_EVENT_BYTES)
        .await
        .map_err(|_| ApiError::payload_too_large())?;
    let signature = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let channel = state
        .store
        .inbound_channel(id)
        .await?
        .filter(|c| {
            c.secret()
                .is_some_and(|s| verify_body_signature(s, &raw, signature))
        })
        .ok_or_else(unsigned)?;
    if channel.kind != ChannelKind::Phone {
        return Err(ApiError::invalid("channel", "error.not_a_phone_channel"));
    }
    if !channel.active {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "channel_paused",
            "error.channel_paused",
        ));
    }
    let event = parse_json::<PostedEvent>(&raw)?
        .check()
        .map_err(|e| ApiError::invalid(e.field, e.reason))?;
    let recorded = state
        .store
        .tenant(channel.tenant)
        .record_call_event(&channel, &event, state.clock.now())
        .await?;
    Ok(Json(CallEventAnswer {
        call_id: event.call_id,
        customer_id: recorded.customer_id,
    }))
}

/// Which calls.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallQuery {
    /// One customer's calls.
    pub customer_id: Option<String>,
    /// The calls a ticket was recorded from.
    pub ticket_id: Option<String>,
    /// `open` (callbacks waiting) or `done`.
    pub callback: Option<String>,
    /// Missed calls only.
    pub missed: Option<bool>,
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<i64>,
}

impl CallQuery {
    /// The filter it asks for; a value that cannot be is 422 naming its parameter.
    pub fn filter(&self) -> Result<CallFilter, ApiError> {
        let given = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let bad = |field: &'static str| ApiError::invalid(field, "error.invalid_value");
        Ok(CallFilter {
            customer: given(&self.customer_id)
                .map(|c| CustomerId::parse(&c).ok_or_else(|| bad("customer_id")))
                .transpose()?,
            ticket: given(&self.ticket_id)
                .map(|t| TicketId::parse(&t).ok_or_else(|| bad("ticket_id")))
                .transpose()?,
            callback: given(&self.callback)
                .map(|c| Callback::parse(&c).ok_or_else(|| bad("callback")))
                .transpose()?,
            missed: self.missed.unwrap_or(false),
        })
    }
}

/// The call log, newest first (agents, dispatchers, supervisors, admins).
#[utoipa::path(get, path = "/api/v1/calls", tag = "channels", params(CallQuery),
    responses((status = 200, body = CallPage), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_calls(
    user: CurrentUser,
    Query(q): Query<CallQuery>,
) -> Result<Json<CallPage>, ApiError> {
    let filter = q.filter()?;
    let page = user
        .tenant
        .calls(
            &user.actor,
            &filter,
            q.cursor.as_deref().filter(|c| !c.is_empty()),
            q.limit.unwrap_or(50),
        )
        .await?;
    Ok(Json(page))
}

/// One call.
#[utoipa::path(get, path = "/api/v1/calls/{id}", tag = "channels", params(("id" = String, Path)),
    responses((status = 200, body = Call), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_call(user: CurrentUser, Path(id): Path<String>) -> Result<Json<Call>, ApiError> {
    let id = path_id(&id, CallId::parse)?;
    Ok(Json(user.tenant.call(&user.actor, id).await?))
}

/// Marks a missed call's callback done: someone called the customer back.
#[utoipa::path(post, path = "/api/v1/calls/{id}/callback-done", tag = "channels", params(("id" = String, Path)),
    responses((status = 200, body = Call), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn callback_done(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Call>, ApiError> {
    let id = path_id(&id, CallId::parse)?;
    Ok(Json(
        user.tenant
            .callback_done(&user.actor, id, state.clock.now())
            .await?,
    ))
}
