//! Spare parts, warehouses, the stock ledger and requisitions (申领).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use loopdesk_core::inventory::{MovementRequest, NewPart, NewWarehouse, RequisitionStatus};
use loopdesk_core::{RequisitionId, TicketId, WarehouseId};
use loopdesk_store::{
    CataloguePage, LedgerLine, LowStock, MovementView, Part, Requisition, StockItem,
    StockMovementInput, Warehouse,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::path_id;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{idempotency, AppJson, CurrentUser};
use crate::state::AppState;

/// Adds a part to the catalogue (stock keepers: dispatcher, supervisor, admin).
#[utoipa::path(post, path = "/api/v1/parts", tag = "stock", request_body = NewPart,
    responses((status = 201, body = Part), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_part(
    State(state): State<AppState>,
    user: CurrentUser,
    body: AppJson<NewPart>,
) -> Result<(StatusCode, Json<Part>), ApiError> {
    let part = user
        .tenant
        .create_part(&user.actor, body.value, state.clock.now())
        .await?;
    Ok((StatusCode::CREATED, Json(part)))
}

/// A search.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PartQuery {
    /// Text in the SKU or name.
    pub q: Option<String>,
    /// The page after this SKU.
    pub after: Option<String>,
    /// Rows per page (1–200, default 200).
    pub limit: Option<usize>,
}

/// Parts whose SKU or name contains `q`, by SKU, a page at a time, each with what is on hand
/// over all warehouses.
#[utoipa::path(get, path = "/api/v1/parts", tag = "stock", params(PartQuery),
    responses((status = 200, body = CataloguePage), (status = 403, body = ErrorBody)))]
pub async fn list_parts(
    user: CurrentUser,
    Query(q): Query<PartQuery>,
) -> Result<Json<CataloguePage>, ApiError> {
    Ok(Json(
        user.tenant
            .part_page(
                &user.actor,
                q.q.as_deref().unwrap_or(""),
                q.after.as_deref(),
                q.limit.unwrap_or(200),
            )
            .await?,
    ))
}

/// Changes a part's name, unit, cost, price and models (stock keepers); the SKU in the path
/// stays (one in the body is ignored).
#[utoipa::path(put, path = "/api/v1/parts/{sku}", tag = "stock", params(("sku" = String, Path)),
    request_body = NewPart,
    responses((status = 200, body = Part), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn edit_part(
    user: CurrentUser,
    Path(sku): Path<String>,
    body: AppJson<NewPart>,
) -> Result<Json<Part>, ApiError> {
    Ok(Json(
        user.tenant
            .edit_part(&user.actor, sku.trim(), body.value)
            .await?,
    ))
}

/// Adds a warehouse: the central store, a regional pool or an engineer's van.
#[utoipa::path(post, path = "/api/v1/warehouses", tag = "stock", request_body = NewWarehouse,
    responses((status = 201, body = Warehouse), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_warehouse(
    State(state): State<AppState>,
    user: CurrentUser,
    body: AppJson<NewWarehouse>,
) -> Result<(StatusCode, Json<Warehouse>), ApiError> {
    let w = user
        .tenant
        .create_warehouse(&user.actor, body.value, state.clock.now())
        .await?;
    Ok((StatusCode::CREATED, Json(w)))
}

/// Warehouses.
#[derive(Serialize, ToSchema)]
pub struct WarehousePage {
    /// By kind and name.
    pub items: Vec<Warehouse>,
}

/// Every warehouse.
#[utoipa::path(get, path = "/api/v1/warehouses", tag = "stock",
    responses((status = 200, body = WarehousePage), (status = 403, body = ErrorBody)))]
pub async fn list_warehouses(user: CurrentUser) -> Result<Json<WarehousePage>, ApiError> {
    let items = user.tenant.warehouses(&user.actor).await?;
    Ok(Json(WarehousePage { items }))
}

/// A stock movement.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MovementBody {
    /// `receive`, `transfer`, `reserve`, `release`, `consume`, `return` or `adjust`.
    pub kind: String,
    /// The part.
    pub sku: String,
    /// Units (an adjustment may be negative).
    pub qty: i64,
    /// Where units leave (transfer), or the one warehouse of a reservation, release or
    /// consumption.
    #[serde(default)]
    pub from_warehouse_id: Option<WarehouseId>,
    /// Where units arrive (receive, transfer, return, adjust).
    #[serde(default)]
    pub to_warehouse_id: Option<WarehouseId>,
    /// The ticket (required for reserve, release and consume).
    #[serde(default)]
    pub ticket_id: Option<TicketId>,
    /// Why (required for an adjustment).
    #[serde(default)]
    pub reason: Option<String>,
}

/// Records a stock movement. `409 insufficient_stock` when it would take stock below zero;
/// with `Idempotency-Key` a retry answers the first movement and moves nothing.
#[utoipa::path(post, path = "/api/v1/stock/movements", tag = "stock", request_body = MovementBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first result")),
    responses((status = 201, body = MovementView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_movement(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    body: AppJson<MovementBody>,
) -> Result<(StatusCode, Json<MovementView>), ApiError> {
    let idem = idempotency(&headers, "POST /api/v1/stock/movements", &body.raw)?;
    let b = body.value;
    let input = StockMovementInput {
        sku: b.sku,
        movement: MovementRequest {
            kind: b.kind,
            qty: b.qty,
            from: b.from_warehouse_id,
            to: b.to_warehouse_id,
            ticket: b.ticket_id,
            reason: b.reason,
        },
    };
    let m = user
        .tenant
        .record_movement(&user.actor, input, idem, state.clock.now())
        .await?;
    Ok((StatusCode::CREATED, Json(m)))
}

fn opt_id<T>(
    field: &str,
    text: Option<&str>,
    parse: fn(&str) -> Option<T>,
) -> Result<Option<T>, ApiError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => parse(t)
            .map(Some)
            .ok_or_else(|| ApiError::invalid(field, "error.invalid_value")),
    }
}

fn limit(text: Option<&str>, default: i64) -> Result<i64, ApiError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(default),
        Some(t) => t
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=10_000).contains(n))
            .ok_or_else(|| ApiError::invalid("limit", "error.invalid_number")),
    }
}

/// Which levels.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StockQuery {
    /// One warehouse.
    pub warehouse_id: Option<String>,
    /// One part.
    pub sku: Option<String>,
    /// Most rows (default 1000, at most 10000).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 10000)]
    pub limit: Option<String>,
}

/// Stock levels.
#[derive(Serialize, ToSchema)]
pub struct StockPage {
    /// By warehouse and SKU; a pair that never had a movement has no row.
    pub items: Vec<StockItem>,
}

/// Stock levels: on hand, reserved and available, per warehouse and part.
#[utoipa::path(get, path = "/api/v1/stock", tag = "stock", params(StockQuery),
    responses((status = 200, body = StockPage), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn stock(
    user: CurrentUser,
    Query(q): Query<StockQuery>,
) -> Result<Json<StockPage>, ApiError> {
    let warehouse = opt_id(
        "warehouse_id",
        q.warehouse_id.as_deref(),
        WarehouseId::parse,
    )?;
    let sku = q.sku.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let items = user
        .tenant
        .stock(
            &user.actor,
            warehouse,
            sku,
            limit(q.limit.as_deref(), 1000)?,
        )
        .await?;
    Ok(Json(StockPage { items }))
}

/// Which ledger lines.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    /// One warehouse.
    pub warehouse_id: Option<String>,
    /// One ticket.
    pub ticket_id: Option<String>,
    /// Most lines: 1–10000 (default 200).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 10000)]
    pub limit: Option<String>,
}

/// Ledger lines.
#[derive(Serialize, ToSchema)]
pub struct LedgerPage {
    /// Newest first.
    pub items: Vec<LedgerLine>,
}

/// The stock ledger, newest first.
#[utoipa::path(get, path = "/api/v1/stock/movements", tag = "stock", params(LedgerQuery),
    responses((status = 200, body = LedgerPage), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn ledger(
    user: CurrentUser,
    Query(q): Query<LedgerQuery>,
) -> Result<Json<LedgerPage>, ApiError> {
    let warehouse = opt_id(
        "warehouse_id",
        q.warehouse_id.as_deref(),
        WarehouseId::parse,
    )?;
    let ticket = opt_id("ticket_id", q.ticket_id.as_deref(), TicketId::parse)?;
    let items = user
        .tenant
        .ledger(
            &user.actor,
            warehouse,
            ticket,
            limit(q.limit.as_deref(), 200)?,
        )
        .await?;
    Ok(Json(LedgerPage { items }))
}

/// A low-stock threshold.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThresholdBody {
    /// Warehouse.
    pub warehouse_id: WarehouseId,
    /// Part.
    pub sku: String,
    /// Free units below which stock is low (`null` clears it).
    pub min_available: Option<i64>,
}

/// Sets the threshold under which a warehouse's free stock of a part raises an alert
/// (`stock.low`: webhooks and the supervisors' bell).
#[utoipa::path(put, path = "/api/v1/stock/thresholds", tag = "stock", request_body = ThresholdBody,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_threshold(
    user: CurrentUser,
    body: AppJson<ThresholdBody>,
) -> Result<StatusCode, ApiError> {
    let b = body.value;
    user.tenant
        .set_threshold(&user.actor, b.warehouse_id, &b.sku, b.min_available)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Low stock.
#[derive(Serialize, ToSchema)]
pub struct LowStockPage {
    /// Worst first.
    pub items: Vec<LowStock>,
}

/// Every warehouse and part below its threshold now.
#[utoipa::path(get, path = "/api/v1/stock/low", tag = "stock",
    responses((status = 200, body = LowStockPage), (status = 403, body = ErrorBody)))]
pub async fn low_stock(user: CurrentUser) -> Result<Json<LowStockPage>, ApiError> {
    let items = user.tenant.low_stock(&user.actor).await?;
    Ok(Json(LowStockPage { items }))
}

/// One line of a requisition.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequisitionLine {
    /// Part.
    pub sku: String,
    /// Units.
    pub qty: i64,
}

/// Parts to ask for.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRequisitionBody {
    /// The ticket.
    pub ticket_id: TicketId,
    /// What.
    pub items: Vec<RequisitionLine>,
    /// A note for the supervisor.
    #[serde(default)]
    pub note: Option<String>,
}

/// Asks for parts for a ticket; its engineer's van receives them once approved.
#[utoipa::path(post, path = "/api/v1/requisitions", tag = "stock", request_body = CreateRequisitionBody,
    responses((status = 201, body = Requisition), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_requisition(
    State(state): State<AppState>,
    user: CurrentUser,
    body: AppJson<CreateRequisitionBody>,
) -> Result<(StatusCode, Json<Requisition>), ApiError> {
    let b = body.value;
    let items = b.items.into_iter().map(|l| (l.sku, l.qty)).collect();
    let r = user
        .tenant
        .create_requisition(&user.actor, b.ticket_id, items, b.note, state.clock.now())
        .await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// Which requisitions.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequisitionQuery {
    /// `pending`, `approved`, `rejected` or `received`.
    pub status: Option<String>,
    /// One ticket.
    pub ticket_id: Option<String>,
}

/// Requisitions.
#[derive(Serialize, ToSchema)]
pub struct RequisitionPage {
    /// Newest first.
    pub items: Vec<Requisition>,
}

/// Requisitions: all for supervisors and stock keepers, an engineer's own otherwise.
#[utoipa::path(get, path = "/api/v1/requisitions", tag = "stock", params(RequisitionQuery),
    responses((status = 200, body = RequisitionPage), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_requisitions(
    user: CurrentUser,
    Query(q): Query<RequisitionQuery>,
) -> Result<Json<RequisitionPage>, ApiError> {
    let status = opt_id("status", q.status.as_deref(), RequisitionStatus::parse)?;
    let ticket = opt_id("ticket_id", q.ticket_id.as_deref(), TicketId::parse)?;
    let items = user
        .tenant
        .requisitions(&user.actor, status, ticket)
        .await?;
    Ok(Json(RequisitionPage { items }))
}

/// Approves a pending requisition: the parts move from the nearest warehouse that has them
/// (a regional pool before the central store) to the van, reserved for the ticket.
#[utoipa::path(post, path = "/api/v1/requisitions/{id}/approve", tag = "stock", params(("id" = String, Path)),
    responses((status = 200, body = Requisition), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn approve_requisition(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Requisition>, ApiError> {
    let id = path_id(&id, RequisitionId::parse)?;
    Ok(Json(
        user.tenant
            .approve_requisition(&user.actor, id, state.clock.now())
            .await?,
    ))
}

/// Why a requisition is refused.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    /// The reason (required).
    #[serde(default)]
    pub reason: Option<String>,
}

/// Rejects a pending requisition, with a reason.
#[utoipa::path(post, path = "/api/v1/requisitions/{id}/reject", tag = "stock", params(("id" = String, Path)),
    request_body = RejectBody,
    responses((status = 200, body = Requisition), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reject_requisition(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    body: AppJson<RejectBody>,
) -> Result<Json<Requisition>, ApiError> {
    let id = path_id(&id, RequisitionId::parse)?;
    Ok(Json(
        user.tenant
            .reject_requisition(&user.actor, id, body.value.reason, state.clock.now())
            .await?,
    ))
}

/// The engineer has the parts: the requisition is `received` and a ticket waiting for parts
/// goes back to work.
#[utoipa::path(post, path = "/api/v1/requisitions/{id}/receive", tag = "stock", params(("id" = String, Path)),
    responses((status = 200, body = Requisition), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn receive_requisition(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Requisition>, ApiError> {
    let id = path_id(&id, RequisitionId::parse)?;
    Ok(Json(
        user.tenant
            .receive_requisition(&user.actor, id, state.clock.now())
            .await?,
    ))
}

/// The stock settings.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StockSettings {
    /// Requisitions worth less than this (yuan) are approved without a supervisor; `null`:
    /// every requisition waits for one.
    pub requisition_auto_approve_below: Option<f64>,
}

/// The stock settings.
#[utoipa::path(get, path = "/api/v1/settings/stock", tag = "stock",
    responses((status = 200, body = StockSettings), (status = 403, body = ErrorBody)))]
pub async fn get_stock_settings(user: CurrentUser) -> Result<Json<StockSettings>, ApiError> {
    super::require_setting_reader(&user, loopdesk_core::access::Setting::Stock)?;
    Ok(Json(StockSettings {
        requisition_auto_approve_below: user.tenant.requisition_auto_approve_below().await?,
    }))
}

/// Changes the stock settings (admin).
#[utoipa::path(put, path = "/api/v1/settings/stock", tag = "stock", request_body = StockSettings,
    responses((status = 200, body = StockSettings), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_stock_settings(
    user: CurrentUser,
    body: AppJson<StockSettings>,
) -> Result<Json<StockSettings>, ApiError> {
    let below = user
        .tenant
        .set_requisition_auto_approve_below(&user.actor, body.value.requisition_auto_approve_below)
        .await?;
    Ok(Json(StockSettings {
        requisition_auto_approve_below: below,
    }))
}

/// Imports parts into the catalogue from CSV or Excel (columns sku/物料编码, name/名称,
/// unit/单位, cost/成本, price/售价, models/适用型号), all rows or none: a SKU already in the
/// catalogue or given twice is a bad row.
#[utoipa::path(post, path = "/api/v1/parts/import", tag = "stock",
    request_body(content = String, content_type = "text/csv", description = "CSV, or an .xlsx workbook"),
    responses((status = 201, body = super::assets::Imported), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import_parts(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<super::assets::Imported>), ApiError> {
    super::import_sheet(&state, &user, crate::import::Sheet::Parts, &headers, &body).await
}

/// Loads the opening stock from CSV or Excel (columns warehouse/仓库 by name, sku/物料编码,
/// qty/数量): each row received into its warehouse with the reason 期初库存, all rows or none.
#[utoipa::path(post, path = "/api/v1/stock/import", tag = "stock",
    request_body(content = String, content_type = "text/csv", description = "CSV, or an .xlsx workbook"),
    responses((status = 201, body = super::assets::Imported), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import_opening_stock(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<super::assets::Imported>), ApiError> {
    super::import_sheet(
        &state,
        &user,
        crate::import::Sheet::Opening,
        &headers,
        &body,
    )
    .await
}
