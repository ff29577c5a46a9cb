//! Service KPIs for dashboards and other systems (`GET /api/v1/kpis`), and the chase (催单)
//! that one of them counts.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::Response;
use axum::Json;
use loopdesk_core::i18n::Lang;
use loopdesk_core::kpi::{self, Metric};
use loopdesk_core::TicketId;
use loopdesk_store::{KpiFilter, KpiReport, KpiRequest, KpiSource, KpiTicket, TicketDetail};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::path_id;
use super::tickets::{opt, time};
use crate::error::{ApiError, ErrorBody};
use crate::export;
use crate::extract::{AppJson, CurrentUser};
use crate::state::AppState;

/// What to compute; every value is text in the query string.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KpiQuery {
    /// Comma-separated: frt, oat, fcr, ftfr, mttr, closure_rate, confirmed_closure_rate,
    /// reopen_rate, on_time_rate, csat, nps, utilisation, transfer_rate, chase_rate, backlog
    /// (default: all).
    pub metrics: Option<String>,
    /// Start of the period, RFC 3339 (default: 30 days before `to`).
    pub from: Option<String>,
    /// End of the period (exclusive), RFC 3339 (default: now).
    pub to: Option<String>,
    /// region, team, engineer, category, channel, customer_tier, day, week or month.
    pub group_by: Option<String>,
    /// Only this region's tickets.
    pub region_id: Option<String>,
    /// Only this team's tickets.
    pub team_id: Option<String>,
    /// Only tickets last assigned to this engineer.
    pub engineer_id: Option<String>,
    /// Only this category.
    pub category: Option<String>,
    /// Only this channel.
    pub channel: Option<String>,
    /// Only customers of this tier.
    pub customer_tier: Option<String>,
    /// `/api/v1/kpis/export` only: `csv` (default) or `xlsx`.
    pub format: Option<String>,
    /// `/api/v1/kpis/export` only: `human` (default: hours with one decimal, percentages) or
    /// `raw` (seconds, fractions 0–1). An Excel workbook carries the raw figures in a second
    /// sheet either way.
    pub units: Option<String>,
    /// `/api/v1/kpis/export` only: the language of the headers, `zh-CN` or `en` (default:
    /// the request's `Accept-Language`).
    pub lang: Option<String>,
    /// `/api/v1/kpis/tickets` only: the KPI whose tickets to list.
    pub metric: Option<String>,
    /// `/api/v1/kpis/tickets` only: the row (`group` of the answer; absent: the whole period
    /// or the row without a key).
    pub group: Option<String>,
    /// `/api/v1/kpis/tickets` only: 1–500 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500)]
    pub limit: Option<String>,
    /// `book` (default): the figures kept with every event; `events`: fold the period's
    /// event log again (the reference definition; slow on a large tenant, for audits).
    pub source: Option<String>,
}

impl KpiQuery {
    fn request(&self) -> Result<KpiRequest, ApiError> {
        Ok(KpiRequest {
            from: opt("from", self.from.as_deref(), time)?,
            to: opt("to", self.to.as_deref(), time)?,
            metrics: text(&self.metrics),
            group_by: text(&self.group_by),
            filter: KpiFilter {
                region: text(&self.region_id),
                team: text(&self.team_id),
                engineer: text(&self.engineer_id),
                category: text(&self.category),
                channel: text(&self.channel),
                tier: text(&self.customer_tier),
            },
            source: match text(&self.source).as_deref() {
                None | Some("book") => KpiSource::Book,
                Some("events") => KpiSource::Events,
                Some(_) => {
                    return Err(ApiError::invalid("source", "error.invalid_value"));
                }
            },
        })
    }
}

fn lang_of(headers: &HeaderMap) -> Lang {
    Lang::from_accept_language(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

fn text(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The KPIs of DESIGN §3 for a period, as one row or cut into groups (managers, dispatchers,
/// admins; a supervisor of a region sees that region). Durations are seconds; rates are
/// fractions 0–1 with the count they are computed over; NPS runs from −100 to 100. A ticket
/// belongs to the period by its creation time, except MTTR, FCR, FTFR, reopen and on-time
/// rates, which take the tickets resolved in it.
#[utoipa::path(get, path = "/api/v1/kpis", tag = "kpis", params(KpiQuery),
    responses((status = 200, body = KpiReport), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn kpis(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Query(q): Query<KpiQuery>,
) -> Result<Json<KpiReport>, ApiError> {
    let lang = lang_of(&headers);
    let req = q.request()?;
    let now = state.clock.now();
    Ok(Json(user.tenant.kpis(&user.actor, req, lang, now).await?))
}

/// A chase: the customer asks about progress.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ChaseBody {
    /// What the customer said.
    #[serde(default)]
    pub note: Option<String>,
}

/// Records that the customer asked about progress (催单): the customer themselves, or an
/// agent taking their call. Not a move: `version` does not change; the assignee is told.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/chase", tag = "tickets", params(("id" = String, Path)),
    request_body = ChaseBody,
    responses((status = 200, body = TicketDetail), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn chase_ticket(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    body: AppJson<ChaseBody>,
) -> Result<Json<TicketDetail>, ApiError> {
    let id = path_id(&id, TicketId::parse)?;
    let now = state.clock.now();
    Ok(Json(
        user.tenant
            .chase(&user.actor, id, body.value.note.as_deref(), now)
            .await?,
    ))
}

/// The same figures as `GET /api/v1/kpis`, as a table to download: CSV (UTF-8 with a byte-order
/// mark, so Excel reads the Chinese headers) or Excel (`format=xlsx`), named after the grouping
/// and the period (`kpis-region-2026W40-2026W48.xlsx`). One row per group; headers translated
/// and naming their unit: durations in hours with one decimal (mean, p50, p90, count), rates in
/// percent; `units=raw` gives seconds and fractions, and a workbook carries those in a second
/// sheet for analysts.
#[utoipa::path(get, path = "/api/v1/kpis/export", tag = "kpis", params(KpiQuery),
    responses((status = 200, description = "text/csv or an .xlsx workbook"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export_kpis(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Query(q): Query<KpiQuery>,
) -> Result<Response, ApiError> {
    let lang = text(&q.lang)
        .and_then(|l| Lang::from_tag(&l))
        .unwrap_or_else(|| lang_of(&headers));
    if !matches!(
        q.format.as_deref().map(str::trim),
        None | Some("" | "csv" | "xlsx")
    ) {
        return Err(ApiError::invalid("format", "error.invalid_value"));
    }
    let units = match text(&q.units).as_deref() {
        None | Some("human") => kpi::Units::Human,
        Some("raw") => kpi::Units::Raw,
        Some(_) => return Err(ApiError::invalid("units", "error.invalid_value")),
    };
    let req = q.request()?;
    let metrics = Metric::parse_list(req.metrics.as_deref())
        .map_err(|e| ApiError::invalid(e.field, e.reason))?;
    let by = req
        .group_by
        .as_deref()
        .map(kpi::GroupBy::parse)
        .transpose()
        .map_err(|e| ApiError::invalid(e.field, e.reason))?;
    let now = state.clock.now();
    let report = user.tenant.kpis(&user.actor, req, lang, now).await?;
    let offset = user.tenant.utc_offset().await?;
    let name = kpi::export_name(
        by,
        report.from.with_timezone(&offset),
        report.to.with_timezone(&offset),
    );
    let rows: Vec<_> = report
        .rows
        .into_iter()
        .map(|r| (r.label, r.values))
        .collect();
    let (head, body) = kpi::table(&metrics, &rows, lang, units);
    let (raw_head, raw_body) = kpi::table(&metrics, &rows, lang, kpi::Units::Raw);
    let names = (
        loopdesk_core::i18n::t(lang, "kpi.sheet.figures"),
        loopdesk_core::i18n::t(lang, "kpi.sheet.raw"),
    );
    let mut sheets = vec![export::Sheet {
        name: names.0,
        header: &head,
        rows: &body,
    }];
    if units == kpi::Units::Human {
        sheets.push(export::Sheet {
            name: names.1,
            header: &raw_head,
            rows: &raw_body,
        });
    }
    export::download_sheets(&name, q.format.as_deref(), &sheets)
}

/// Tickets behind a KPI figure.
#[derive(Serialize, ToSchema)]
pub struct KpiTicketPage {
    /// Worst first.
    pub items: Vec<KpiTicket>,
}

/// The tickets behind one figure (click-through from a dashboard number), worst first: for a
/// duration the slowest, for a rate those counted against it (not closed, reopened, late,
/// transferred, chased, rated low …), for the backlog the open ones. Same parameters as
/// `GET /api/v1/kpis`, plus `metric`, `group` and `limit`.
#[utoipa::path(get, path = "/api/v1/kpis/tickets", tag = "kpis", params(KpiQuery),
    responses((status = 200, body = KpiTicketPage), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn kpi_tickets(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<KpiQuery>,
) -> Result<Json<KpiTicketPage>, ApiError> {
    let metric = text(&q.metric).ok_or_else(|| ApiError::invalid("metric", "error.required"))?;
    let limit = opt("limit", q.limit.as_deref(), |s| {
        s.parse::<usize>().ok().filter(|l| (1..=500).contains(l))
    })?
    .unwrap_or(50);
    let req = q.request()?;
    let group = text(&q.group);
    let items = user
        .tenant
        .kpi_tickets_behind(
            &user.actor,
            req,
            &metric,
            group.as_deref(),
            limit,
            state.clock.now(),
        )
        .await?;
    Ok(Json(KpiTicketPage { items }))
}

/// The service targets the dashboard judges by.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KpiSettings {
    /// The closure rate each region should reach, 0–1 (default 0.9); regions under it are
    /// red on the dashboard's heat map.
    pub closure_target: f64,
}

/// The service targets.
#[utoipa::path(get, path = "/api/v1/settings/kpi", tag = "kpis",
    responses((status = 200, body = KpiSettings), (status = 403, body = ErrorBody)))]
pub async fn get_kpi_settings(user: CurrentUser) -> Result<Json<KpiSettings>, ApiError> {
    super::require_setting_reader(&user, loopdesk_core::access::Setting::Kpi)?;
    Ok(Json(KpiSettings {
        closure_target: user.tenant.closure_target().await?,
    }))
}

/// Changes the service targets (managers, admins).
#[utoipa::path(put, path = "/api/v1/settings/kpi", tag = "kpis", request_body = KpiSettings,
    responses((status = 200, body = KpiSettings), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_kpi_settings(
    user: CurrentUser,
    body: AppJson<KpiSettings>,
) -> Result<Json<KpiSettings>, ApiError> {
    let target = user
        .tenant
        .set_closure_target(&user.actor, body.value.closure_target)
        .await?;
    Ok(Json(KpiSettings {
        closure_target: target,
    }))
}

/// The caller's scheduled reports.
#[derive(Serialize, ToSchema)]
pub struct SchedulePage {
    /// Oldest first.
    pub items: Vec<loopdesk_store::ReportSchedule>,
}

/// A report to receive by mail.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleBody {
    /// `all`, `region`, `team`, `engineer` or `category`.
    pub group_by: String,
    /// `daily` (yesterday, each morning), `weekly` (last week, Mondays) or `monthly` (last
    /// month, on the 1st); each from 08:00 local time.
    pub frequency: String,
}

/// The reports the caller receives by mail (those who read KPIs).
#[utoipa::path(get, path = "/api/v1/report-schedules", tag = "kpis",
    responses((status = 200, body = SchedulePage), (status = 403, body = ErrorBody)))]
pub async fn list_schedules(user: CurrentUser) -> Result<Json<SchedulePage>, ApiError> {
    Ok(Json(SchedulePage {
        items: user.tenant.report_schedules(&user.actor).await?,
    }))
}

/// Receives a report by mail from now on: the headline figures in the mail, the whole table
/// as a CSV attachment, in the caller's language, to their address. `409 group_by` when the
/// caller receives that one already.
#[utoipa::path(post, path = "/api/v1/report-schedules", tag = "kpis", request_body = ScheduleBody,
    responses((status = 201, body = loopdesk_store::ReportSchedule), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_schedule(
    State(state): State<AppState>,
    user: CurrentUser,
    body: AppJson<ScheduleBody>,
) -> Result<(axum::http::StatusCode, Json<loopdesk_store::ReportSchedule>), ApiError> {
    let b = body.value;
    let s = user
        .tenant
        .add_report_schedule(&user.actor, &b.group_by, &b.frequency, state.clock.now())
        .await?;
    Ok((axum::http::StatusCode::CREATED, Json(s)))
}

/// Stops one of the caller's scheduled reports.
#[utoipa::path(delete, path = "/api/v1/report-schedules/{id}", tag = "kpis", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove_schedule(
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<axum::http::StatusCode, ApiError> {
    user.tenant
        .remove_report_schedule(&user.actor, id.trim())
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
