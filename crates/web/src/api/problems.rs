//! `/api/v1/problems`: problem records (问题单) — the root-cause follow-up of a recurring
//! problem, linking its tickets; for those who read insights (supervisors, managers, admins).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use loopdesk_core::insights::record::RecordStatus;
use loopdesk_core::{ProblemId, TicketId};
use loopdesk_store::{NewProblemRecord, ProblemRecord, ProblemRecordChange};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::path_id;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{AppJson, CurrentUser};
use crate::state::AppState;

/// A record to open.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRecordBody {
    /// What it is about (required).
    pub title: String,
    /// The problem found it comes from (`term:闪退`), if any.
    pub key: Option<String>,
    /// The tickets it links (1–500, each one the caller may see).
    #[schema(value_type = Vec<String>)]
    pub ticket_ids: Vec<TicketId>,
}

/// A change; what is absent stays.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordChangeBody {
    /// The version read (409 when it changed since).
    pub version: i64,
    /// A new title.
    pub title: Option<String>,
    /// The root cause (`null` clears it); a record is resolved only with one.
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub root_cause: Option<Option<String>>,
    /// `open` or `resolved`.
    pub status: Option<RecordStatus>,
    /// More tickets to link.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub add_ticket_ids: Vec<TicketId>,
}

/// Which records.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordsQuery {
    /// `open` or `resolved` (default: both).
    pub status: Option<String>,
}

/// A problem record.
#[derive(Serialize, ToSchema)]
pub struct RecordBody {
    /// Its id.
    #[schema(value_type = String)]
    pub id: ProblemId,
    /// What it is about.
    pub title: String,
    /// The problem found it came from.
    pub key: Option<String>,
    /// `open` or `resolved`.
    pub status: RecordStatus,
    /// The root cause.
    pub root_cause: Option<String>,
    /// Opened.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// For optimistic locking.
    pub version: i64,
    /// Tickets linked.
    pub ticket_count: i64,
    /// The linked tickets the caller may see, newest first (a list leaves them out).
    pub tickets: Vec<RecordTicketBody>,
}

/// A linked ticket.
#[derive(Serialize, ToSchema)]
pub struct RecordTicketBody {
    /// Its id.
    #[schema(value_type = String)]
    pub id: TicketId,
    /// Its number.
    pub number: String,
    /// Its subject.
    pub subject: String,
    /// Its status.
    pub status: String,
}

/// Records, newest first.
#[derive(Serialize, ToSchema)]
pub struct RecordList {
    /// The records.
    pub items: Vec<RecordBody>,
}

pub(crate) fn body(r: ProblemRecord) -> RecordBody {
    RecordBody {
        id: r.id,
        title: r.title,
        key: r.key,
        status: r.status,
        root_cause: r.root_cause,
        created_at: r.created_at,
        updated_at: r.updated_at,
        resolved_at: r.resolved_at,
        version: r.version,
        ticket_count: r.ticket_count,
        tickets: r
            .tickets
            .into_iter()
            .map(|t| RecordTicketBody {
                id: t.id,
                number: t.number,
                subject: t.subject,
                status: t.status,
            })
            .collect(),
    }
}

/// Opens a problem record linking tickets (supervisor, manager, admin).
#[utoipa::path(post, path = "/api/v1/problems", tag = "insights", request_body = NewRecordBody,
    responses((status = 201, body = RecordBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn open_record(
    State(state): State<AppState>,
    user: CurrentUser,
    AppJson { value: b, .. }: AppJson<NewRecordBody>,
) -> Result<(StatusCode, Json<RecordBody>), ApiError> {
    let new = NewProblemRecord {
        title: b.title,
        key: b.key,
        ticket_ids: b.ticket_ids,
    };
    let r = user
        .tenant
        .open_problem_record(&user.actor, new, state.clock.now())
        .await?;
    Ok((StatusCode::CREATED, Json(body(r))))
}

/// The problem records, newest first (at most 200).
#[utoipa::path(get, path = "/api/v1/problems", tag = "insights", params(RecordsQuery),
    responses((status = 200, body = RecordList), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list_records(
    user: CurrentUser,
    Query(q): Query<RecordsQuery>,
) -> Result<Json<RecordList>, ApiError> {
    let status = match q.status.as_deref() {
        None | Some("") => None,
        Some(s) => Some(
            RecordStatus::parse(s)
                .ok_or_else(|| ApiError::invalid("status", "error.invalid_value"))?,
        ),
    };
    let items = user.tenant.problem_records(&user.actor, status).await?;
    Ok(Json(RecordList {
        items: items.into_iter().map(body).collect(),
    }))
}

/// One problem record with its tickets.
#[utoipa::path(get, path = "/api/v1/problems/{id}", tag = "insights", params(("id" = String, Path)),
    responses((status = 200, body = RecordBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn get_record(
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<RecordBody>, ApiError> {
    let id = path_id(&id, ProblemId::parse)?;
    Ok(Json(body(
        user.tenant.problem_record(&user.actor, id).await?,
    )))
}

/// Changes a problem record: its title, root cause, status (resolved only with a root cause)
/// or more tickets; `version` as read (409 when it changed since).
#[utoipa::path(patch, path = "/api/v1/problems/{id}", tag = "insights", params(("id" = String, Path)),
    request_body = RecordChangeBody,
    responses((status = 200, body = RecordBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn change_record(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    AppJson { value: b, .. }: AppJson<RecordChangeBody>,
) -> Result<Json<RecordBody>, ApiError> {
    let id = path_id(&id, ProblemId::parse)?;
    let change = ProblemRecordChange {
        version: b.version,
        title: b.title,
        root_cause: b.root_cause,
        status: b.status,
        add_ticket_ids: b.add_ticket_ids,
    };
    let r = user
        .tenant
        .change_problem_record(&user.actor, id, change, state.clock.now())
        .await?;
    Ok(Json(body(r)))
}
