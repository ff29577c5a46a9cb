//! `POST /api/v1/import/tickets`: tickets migrated from another system, one JSON object per
//! line. The lines are read here (JSON), checked by `core::ticket::import` and written by the
//! store with their rebuilt event logs.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use loopdesk_core::access::{self, Permission};
use loopdesk_core::i18n::{self, Lang};
use loopdesk_core::ticket::import::{self, Checked, Line};
use loopdesk_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody, LineFault};
use crate::extract::{read_json, CurrentUser};
use crate::state::AppState;

/// Most bytes one import takes (200,000 lines of about 1 KiB with room to spare).
pub const MAX_BODY: usize = 256 * 1024 * 1024;

/// What an import did.
#[derive(Serialize, ToSchema)]
pub struct TicketsImportedBody {
    /// Tickets written.
    pub imported: usize,
    /// Lines skipped: their `external_id` was imported before, or came earlier in the file.
    pub skipped: usize,
}

/// Imports tickets from another system (admin): `Content-Type: application/x-ndjson`, one
/// ticket per line — `{"external_id", "subject", "description"?, "channel"?, "priority"?,
/// "category"?, "customer_id"?, "asset_id"?, "region_id"?, "created_at", "status"
/// (new|in_progress|resolved|closed|cancelled), "resolved_at"?, "closed_at"?, "assignee"?
/// (username), "reopened"?, "csat"? (1–5), "comment"? (the survey's)}`. Each ticket gets an
/// event log the transition table allows, its SLA due time under the policy in force, and
/// counts in the KPIs like lived history (times the old system did not keep — the first
/// response, the arrival — are left unknown, not invented). A line whose `external_id` was
/// imported before is skipped. Any bad line: `422` with `errors: [{line, field, message}]`
/// and nothing stored.
#[utoipa::path(post, path = "/api/v1/import/tickets", tag = "tickets",
    request_body(content = String, content_type = "application/x-ndjson"),
    responses((status = 200, body = TicketsImportedBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn import_tickets(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<TicketsImportedBody>, ApiError> {
    if !access::allowed(&user.actor, Permission::ManageUsers) {
        return Err(ApiError::forbidden());
    }
    // Larger than the route takes (or cut off): a JSON error like every other.
    let body = body.map_err(|_| ApiError::payload_too_large())?;
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let lines_of_json = text(header::CONTENT_TYPE).is_some_and(|ct| {
        [
            "application/x-ndjson",
            "application/jsonl",
            "application/json-lines",
        ]
        .iter()
        .any(|t| ct.starts_with(t))
    });
    if !lines_of_json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "error.unsupported_media_type",
        ));
    }
    let lang = Lang::from_accept_language(text(header::ACCEPT_LANGUAGE));
    let done = import(&state, &user, lang, body)
        .await
        .map_err(|r| match r {
            Refusal::Lines(faults) => ApiError::lines(faults),
            Refusal::Other(e) => e,
        })?;
    Ok(Json(TicketsImportedBody {
        imported: done.imported,
        skipped: done.skipped,
    }))
}

/// Why an import stored nothing.
pub(crate) enum Refusal {
    /// Lines at fault.
    Lines(Vec<LineFault>),
    /// Anything else (the body, the store).
    Other(ApiError),
}

/// Reads, checks and imports a file of JSON lines for `user` (the API's and the page's).
pub(crate) async fn import(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    body: Bytes,
) -> Result<loopdesk_store::TicketsImported, Refusal> {
    let now = state.clock.now();
    // Reading and checking 50,000 lines takes a moment: off the request threads.
    let checked = tokio::task::spawn_blocking(move || read_lines(&body, now))
        .await
        .map_err(|e| Refusal::Other(ApiError::internal(e.to_string())))??;
    let reason = i18n::t(lang, "page.import.history_reason");
    user.tenant
        .import_tickets(&user.actor, checked, reason, now)
        .await
        .map_err(|e| match e {
            StoreError::Rows(rows) => Refusal::Lines(
                rows.into_iter()
                    .map(|r| LineFault {
                        line: r.row,
                        field: r.field.to_owned(),
                        key: r.reason,
                        detail: None,
                    })
                    .collect(),
            ),
            other => Refusal::Other(other.into()),
        })
}

/// Every line read and checked on its own: the checked lines with their numbers (blank lines
/// skipped, the first line is 1), or every fault.
fn read_lines(
    body: &[u8],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<(usize, Checked)>, Refusal> {
    let body = body.strip_prefix("\u{feff}".as_bytes()).unwrap_or(body);
    let mut faults = Vec::new();
    let mut checked = Vec::new();
    let lines: Vec<(usize, &[u8])> = body
        .split(|b| *b == b'\n')
        .enumerate()
        .filter(|(_, l)| !blank(l))
        .collect();
    let count = lines.len();
    if count > import::MAX_LINES {
        return Err(Refusal::Other(
            ApiError::invalid("body", "error.too_many_import_lines")
                .arg("max", import::MAX_LINES.to_string()),
        ));
    }
    for (i, raw) in lines {
        let line = i + 1;
        let fault = |field: String, key, detail| LineFault {
            line,
            field,
            key,
            detail,
        };
        match read_json::<Line>(raw) {
            Err(f) => {
                let field = f.field.unwrap_or_else(|| "json".to_owned());
                faults.push(match f.detail.starts_with("unknown field") {
                    true => fault(field, "error.unknown_field", None),
                    false => fault(field, "error.invalid_body", Some(f.detail)),
                });
            }
            Ok(l) => match import::check(l, now) {
                Ok(c) => checked.push((line, c)),
                Err(errors) => faults.extend(
                    errors
                        .into_iter()
                        .map(|e| fault(e.field.to_owned(), e.reason, None)),
                ),
            },
        }
    }
    if !faults.is_empty() {
        return Err(Refusal::Lines(faults));
    }
    if checked.is_empty() {
        return Err(Refusal::Other(ApiError::invalid("body", "error.required")));
    }
    Ok(checked)
}

fn blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}
