//! Tickets: create, list, get, move, comment.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use loopdesk_core::sla::SlaState;
use loopdesk_core::ticket::transitions::{CheckIn, Confirmation, Needs, ReportInput};
use loopdesk_core::ticket::views::Sort;
use loopdesk_core::ticket::{Channel, MoveCommand, MoveKind};
use loopdesk_core::validate;
use loopdesk_core::{AssetId, CustomerId, RegionId, SiteId, Status, TeamId, TicketId, UserId};
use loopdesk_store::{
    Comment, NewTicket, Ticket, TicketDetail, TicketFilter, TicketPage, TransitionRequest,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::path_id;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{idempotency, AppJson, CurrentUser};
use crate::state::AppState;

/// A request to record.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTicketBody {
    /// Subject (1–200 characters, not only spaces).
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub subject: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// 1 (most urgent) to 4.
    #[schema(minimum = 1, maximum = 4)]
    pub priority: i64,
    /// Intake channel.
    pub channel: Channel,
    /// Customer (ignored for a customer: it is always their own).
    #[serde(default)]
    pub customer_id: Option<CustomerId>,
    /// The caller's phone number; identifies the contact.
    #[serde(default)]
    pub contact_phone: Option<String>,
    /// Site.
    #[serde(default)]
    pub site_id: Option<SiteId>,
    /// Asset.
    #[serde(default)]
    pub asset_id: Option<AssetId>,
    /// Category code.
    #[serde(default)]
    pub category: Option<String>,
    /// Category-specific fields.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub fields: Option<Value>,
}

/// Records a request. With `Idempotency-Key`, a retried POST answers the first ticket.
#[utoipa::path(post, path = "/api/v1/tickets", tag = "tickets", request_body = CreateTicketBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first result")),
    responses((status = 201, body = Ticket), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_ticket(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    body: AppJson<CreateTicketBody>,
) -> Result<Response, ApiError> {
    let idem = idempotency(&headers, "POST /api/v1/tickets", &body.raw)?;
    let b = body.value;
    let new = NewTicket {
        subject: b.subject,
        description: b.description,
        priority: b.priority,
        channel: b.channel,
        customer_id: b.customer_id,
        contact_phone: b.contact_phone,
        site_id: b.site_id,
        asset_id: b.asset_id,
        category: b.category,
        fields: b.fields,
    };
    let (ticket, replayed) = user
        .tenant
        .create_ticket(&user.actor, new, idem, state.clock.now())
        .await?;
    if !replayed {
        state.metrics.ticket_created();
    }
    let replay_header = [(
        "idempotent-replayed",
        if replayed { "true" } else { "false" },
    )];
    Ok((StatusCode::CREATED, replay_header, Json(ticket)).into_response())
}

/// Filters of the ticket list; every value is text in the query string.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TicketQuery {
    /// One status or several separated by commas.
    pub status: Option<String>,
    /// 1–4.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 4)]
    pub priority: Option<String>,
    /// Customer id.
    pub customer_id: Option<String>,
    /// Assignee id.
    pub assignee_id: Option<String>,
    /// `open` (the remediation queue, 补救通道) or `done`.
    pub remediation: Option<String>,
    /// Text in subject or description, or a ticket number.
    pub q: Option<String>,
    /// RFC 3339.
    pub created_from: Option<String>,
    /// RFC 3339.
    pub created_to: Option<String>,
    /// RFC 3339: last changed at or after.
    pub updated_from: Option<String>,
    /// RFC 3339: last changed before.
    pub updated_to: Option<String>,
    /// RFC 3339: resolution due at or after.
    pub due_from: Option<String>,
    /// RFC 3339: resolution due before.
    pub due_to: Option<String>,
    /// Region id.
    pub region_id: Option<String>,
    /// Team id.
    pub team_id: Option<String>,
    /// Category code.
    pub category: Option<String>,
    /// Intake channel (`phone`, `email`, `portal`, …).
    pub channel: Option<String>,
    /// `ok`, `warning` or `breached`.
    pub sla_state: Option<String>,
    /// `true`: only tickets without an engineer.
    pub unassigned: Option<String>,
    /// `urgency`, `number`, `priority`, `status`, `customer`, `assignee`, `due`, `created` or
    /// `updated`; a leading `-` for largest first. Default `-created` (newest first).
    pub sort: Option<String>,
    /// From `next_cursor` (of a page in the same sort).
    pub cursor: Option<String>,
    /// 1–200 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
}

pub(super) fn opt<T>(
    field: &'static str,
    v: Option<&str>,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>, ApiError> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => parse(s)
            .map(Some)
            .ok_or_else(|| ApiError::invalid(field, "error.invalid_value")),
    }
}

pub(super) fn time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

impl TicketQuery {
    fn filter(&self) -> Result<TicketFilter, ApiError> {
        let status = match self.status.as_deref().filter(|s| !s.trim().is_empty()) {
            None => Vec::new(),
            Some(s) => s
                .split(',')
                .map(|x| {
                    Status::parse(x.trim())
                        .ok_or_else(|| ApiError::invalid("status", "error.unknown_status"))
                })
                .collect::<Result<_, _>>()?,
        };
        let priority = opt("priority", self.priority.as_deref(), |s| {
            s.parse::<i64>()
                .ok()
                .filter(|p| validate::priority(*p).is_ok())
        })?;
        Ok(TicketFilter {
            status,
            priority,
            customer_id: opt(
                "customer_id",
                self.customer_id.as_deref(),
                CustomerId::parse,
            )?,
            assignee_id: opt("assignee_id", self.assignee_id.as_deref(), UserId::parse)?,
            remediation: opt("remediation", self.remediation.as_deref(), |s| {
                matches!(s, "open" | "done").then(|| s.to_owned())
            })?,
            q: self.q.clone(),
            created_from: opt("created_from", self.created_from.as_deref(), time)?,
            created_to: opt("created_to", self.created_to.as_deref(), time)?,
            updated_from: opt("updated_from", self.updated_from.as_deref(), time)?,
            updated_to: opt("updated_to", self.updated_to.as_deref(), time)?,
            due_from: opt("due_from", self.due_from.as_deref(), time)?,
            due_to: opt("due_to", self.due_to.as_deref(), time)?,
            region_id: opt("region_id", self.region_id.as_deref(), RegionId::parse)?,
            team_id: opt("team_id", self.team_id.as_deref(), TeamId::parse)?,
            category: opt("category", self.category.as_deref(), |c| Some(c.to_owned()))?,
            channel: opt("channel", self.channel.as_deref(), Channel::parse)?,
            sla_state: opt("sla_state", self.sla_state.as_deref(), SlaState::parse)?,
            unassigned: opt("unassigned", self.unassigned.as_deref(), |u| u.parse().ok())?
                .unwrap_or(false),
            sort: opt("sort", self.sort.as_deref(), Sort::parse)?,
            cursor: self.cursor.clone().filter(|c| !c.is_empty()),
            limit: opt("limit", self.limit.as_deref(), |s| {
                s.parse::<i64>().ok().filter(|l| (1..=200).contains(l))
            })?,
            ..TicketFilter::default()
        })
    }
}

/// Lists the tickets the caller may see, newest first or in the order asked.
#[utoipa::path(get, path = "/api/v1/tickets", tag = "tickets", params(TicketQuery),
    responses((status = 200, body = TicketPage), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_tickets(
    user: CurrentUser,
    Query(q): Query<TicketQuery>,
) -> Result<Json<TicketPage>, ApiError> {
    let filter = q.filter()?;
    Ok(Json(user.tenant.tickets_for(&user.actor, &filter).await?))
}

/// A ticket with its events (internal ones only for staff).
#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "tickets", params(("id" = String, Path)),
    responses((status = 200, body = TicketDetail), (status = 404, body = ErrorBody)))]
pub async fn get_ticket(
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<TicketDetail>, ApiError> {
    let id = path_id(&id, TicketId::parse)?;
    Ok(Json(user.tenant.ticket_for(&user.actor, id).await?))
}

/// A move the reader may make on a ticket now.
#[derive(Serialize, ToSchema)]
pub struct MoveOption {
    /// What the move means.
    pub kind: MoveKind,
    /// The status to send as `to`.
    pub to: Status,
    /// What the request must carry besides `to` and `version`: `assignee` (`assignee_id`),
    /// `check_in`, `report`, `confirmation`, `reason`, `note`, or `nothing`.
    pub needs: Needs,
}

/// The moves the reader may make on a ticket now, in the transition table's order: exactly
/// those `POST …/transitions` would accept from them (given the data each needs). What a
/// phone or an integration shows as buttons; a reopen past the tenant's window is not listed.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/moves", tag = "tickets", params(("id" = String, Path)),
    responses((status = 200, body = [MoveOption]), (status = 404, body = ErrorBody)))]
pub async fn ticket_moves(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<MoveOption>>, ApiError> {
    let id = path_id(&id, TicketId::parse)?;
    let found = user.tenant.ticket_for(&user.actor, id).await?;
    let moves = user
        .tenant
        .moves_on(&user.actor, &found.ticket, state.clock.now())
        .await?;
    Ok(Json(
        moves
            .into_iter()
            .map(|r| MoveOption {
                kind: r.kind,
                to: r.to,
                needs: r.needs,
            })
            .collect(),
    ))
}

/// A move, with the data it must carry as top-level keys.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionBody {
    /// The status asked for.
    pub to: Status,
    /// The version last seen (optimistic locking).
    pub version: i64,
    /// A note for the event.
    #[serde(default)]
    pub note: Option<String>,
    /// Why: decline, waiting, reopen, cancel.
    #[serde(default)]
    pub reason: Option<String>,
    /// For `assigned`: the engineer.
    #[serde(default)]
    pub assignee_id: Option<UserId>,
    /// For `on_site`: the position.
    #[serde(default)]
    pub check_in: Option<CheckIn>,
    /// For `resolved`: the work report.
    #[serde(default)]
    pub report: Option<ReportInput>,
    /// For `closed`: who confirms.
    #[serde(default)]
    pub confirmation: Option<Confirmation>,
    /// RFC 3339: when the move was made on the phone, for one kept offline and sent later.
    /// It counts from then — not ahead of the server (2 minutes of drift aside), not more
    /// than 24 hours old (else 422 on `client_at`), and never before the ticket's last event.
    #[serde(default)]
    pub client_at: Option<DateTime<Utc>>,
}

/// Moves a ticket: 404 if not visible, 409 if `version` is stale, 403 if the role may not,
/// 422 if the table does not allow it or data is missing.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/transitions", tag = "tickets", params(("id" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the current ticket")),
    request_body = TransitionBody,
    responses((status = 200, body = TicketDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn transition_ticket(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: AppJson<TransitionBody>,
) -> Result<Json<TicketDetail>, ApiError> {
    let id = path_id(&id, TicketId::parse)?;
    let idem = idempotency(
        &headers,
        &format!("POST /api/v1/tickets/{id}/transitions"),
        &body.raw,
    )?;
    let b = body.value;
    let req = TransitionRequest {
        version: b.version,
        command: MoveCommand {
            to: Some(b.to),
            note: b.note,
            reason: b.reason,
            assignee_id: b.assignee_id,
            check_in: b.check_in,
            report: b.report,
            confirmation: b.confirmation,
            client_at: b.client_at,
        },
    };
    Ok(Json(
        user.tenant
            .transition(&user.actor, id, req, idem, state.clock.now())
            .await?,
    ))
}

/// A comment.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    /// Text.
    pub body: String,
    /// Internal note (staff only) instead of a public reply.
    #[serde(default)]
    pub internal: bool,
}

/// Adds a public reply or an internal note. It is not a move: `version` does not change.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/comments", tag = "tickets", params(("id" = String, Path)),
    request_body = CommentBody,
    responses((status = 201, body = Comment), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn comment_ticket(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    body: AppJson<CommentBody>,
) -> Result<(StatusCode, Json<Comment>), ApiError> {
    let id = path_id(&id, TicketId::parse)?;
    let b = body.value;
    let c = user
        .tenant
        .add_comment(&user.actor, id, &b.body, b.internal, state.clock.now())
        .await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// A hand-over to another team.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamBody {
    /// The team.
    pub team_id: loopdesk_core::TeamId,
    /// Why.
    #[serde(default)]
    pub note: Option<String>,
}

/// Hands a ticket to another team (agents, dispatchers, supervisors, admins); the event
/// records from which team to which.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/team", tag = "tickets", params(("id" = String, Path)),
    request_body = TeamBody,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn transfer_team(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    body: AppJson<TeamBody>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(&id, TicketId::parse)?;
    let b = body.value;
    user.tenant
        .transfer_team(
            &user.actor,
            id,
            b.team_id,
            b.note.as_deref(),
            state.clock.now(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A duplicate to merge into another ticket.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    /// The version of the duplicate the caller last saw.
    pub version: i64,
    /// The ticket it goes into.
    #[schema(value_type = String)]
    pub into: TicketId,
}

/// Merges this ticket, a duplicate nobody has worked on yet, into another open ticket of the
/// same customer: it is cancelled by the cancel move (agents, supervisors, admins), points at
/// the other, its files move there, and both logs record the merge. Answers the other ticket.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/merge", tag = "tickets", params(("id" = String, Path)),
    request_body = MergeBody,
    responses((status = 200, body = TicketDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn merge_ticket(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    body: AppJson<MergeBody>,
) -> Result<Json<TicketDetail>, ApiError> {
    let id = path_id(&id, TicketId::parse)?;
    let b = body.value;
    let merged = user
        .tenant
        .merge_ticket(&user.actor, id, b.version, b.into, state.clock.now())
        .await?;
    Ok(Json(merged))
}

/// An open ticket that may be the same request.
#[derive(Serialize, ToSchema)]
pub struct RelatedTicket {
    /// The ticket.
    #[serde(flatten)]
    pub ticket: loopdesk_store::Ticket,
    /// On the same piece of equipment (else only the same customer).
    pub same_asset: bool,
}

/// The other open tickets of this ticket's equipment, then of its customer (at most 20): the
/// duplicates to consider before working it.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/related", tag = "tickets", params(("id" = String, Path)),
    responses((status = 200, body = [RelatedTicket]), (status = 404, body = ErrorBody)))]
pub async fn related_tickets(
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<RelatedTicket>>, ApiError> {
    let id = path_id(&id, TicketId::parse)?;
    let scope = loopdesk_core::access::ticket_scope(&user.actor);
    let this = user.tenant.ticket(&scope, id, false).await?.ticket;
    let related = user.tenant.open_related(&user.actor, &this).await?;
    Ok(Json(
        related
            .into_iter()
            .map(|(ticket, same_asset)| RelatedTicket { ticket, same_asset })
            .collect(),
    ))
}
