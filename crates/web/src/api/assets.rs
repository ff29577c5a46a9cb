//! Assets (equipment at a customer's site).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use loopdesk_core::access::{allowed, Permission};
use loopdesk_core::asset::{self, AssetEdit, AssetStatus, NewModel};
use loopdesk_core::kpi::Cell;
use loopdesk_core::{AssetId, CustomerId, SiteId, TicketId};
use loopdesk_store::{Asset, AssetCard, AssetPage, NewAsset, ProductModel};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{path_id, query_id, query_limit};

use crate::error::{ApiError, ErrorBody};
use crate::extract::{AppJson, CurrentUser};
use crate::state::AppState;

/// An asset to register.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAssetBody {
    /// Customer.
    pub customer_id: CustomerId,
    /// Site of that customer.
    pub site_id: SiteId,
    /// Model.
    pub model: String,
    /// Serial number.
    pub serial: String,
    /// Installed on (YYYY-MM-DD).
    #[serde(default)]
    pub installed_on: Option<String>,
    /// Warranty until (YYYY-MM-DD); the model's default warranty from `installed_on`
    /// when not given.
    #[serde(default)]
    pub warranty_until: Option<String>,
    /// Free fields (an object of short texts and numbers).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub fields: Option<serde_json::Value>,
}

/// Registers an asset; answers it with its QR token.
#[utoipa::path(post, path = "/api/v1/assets", tag = "assets", request_body = CreateAssetBody,
    responses((status = 201, body = Asset), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_asset(
    State(state): State<AppState>,
    user: CurrentUser,
    body: AppJson<CreateAssetBody>,
) -> Result<(StatusCode, Json<Asset>), ApiError> {
    if !allowed(&user.actor, Permission::WriteCustomers) {
        return Err(ApiError::forbidden());
    }
    let b = body.value;
    let new = NewAsset {
        customer_id: b.customer_id,
        site_id: b.site_id,
        model: b.model,
        serial: b.serial,
        installed_on: b.installed_on,
        warranty_until: b.warranty_until,
        fields: b.fields,
    };
    Ok((
        StatusCode::CREATED,
        Json(user.tenant.create_asset(new, state.clock.now()).await?),
    ))
}

/// The asset card: the asset, its warranty today, its catalogue model, and its whole history
/// (tickets, visits, parts consumed, meter readings). Staff and engineers; a customer only
/// their own.
#[utoipa::path(get, path = "/api/v1/assets/{id}", tag = "assets", params(("id" = String, Path)),
    responses((status = 200, body = AssetCard), (status = 404, body = ErrorBody)))]
pub async fn get_asset(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<AssetCard>, ApiError> {
    let id = path_id(&id, AssetId::parse)?;
    Ok(Json(
        user.tenant
            .asset_card(&user.actor, id, state.clock.now())
            .await?,
    ))
}

/// A change to an asset; what is absent stays as it is. A new `site_id` moves it (with
/// `customer_id` too when it changes hands).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditAssetBody {
    /// The version last seen (optimistic locking): 409 when someone changed it meanwhile.
    pub version: i64,
    /// The new owner; needs `site_id`, one of their sites.
    #[serde(default)]
    pub customer_id: Option<CustomerId>,
    /// The site it moves to.
    #[serde(default)]
    pub site_id: Option<SiteId>,
    /// Model.
    #[serde(default)]
    pub model: Option<String>,
    /// Serial number.
    #[serde(default)]
    pub serial: Option<String>,
    /// Installed on (YYYY-MM-DD); `null` clears it.
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub installed_on: Option<Option<String>>,
    /// Warranty until (YYYY-MM-DD); `null` clears it (the model's default from installation
    /// applies again).
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub warranty_until: Option<Option<String>>,
    /// Why it moved, kept with the move.
    #[serde(default)]
    pub note: Option<String>,
}

/// Changes an asset or moves it to another site; the move is kept in its history.
#[utoipa::path(patch, path = "/api/v1/assets/{id}", tag = "assets", params(("id" = String, Path)),
    request_body = EditAssetBody,
    responses((status = 200, body = Asset), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn edit_asset(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    body: AppJson<EditAssetBody>,
) -> Result<Json<Asset>, ApiError> {
    let id = path_id(&id, AssetId::parse)?;
    let b = body.value;
    let edit = AssetEdit {
        customer_id: b.customer_id,
        site_id: b.site_id,
        model: b.model,
        serial: b.serial,
        installed_on: b.installed_on,
        warranty_until: b.warranty_until,
        note: b.note,
    };
    Ok(Json(
        user.tenant
            .edit_asset(&user.actor, id, b.version, edit, state.clock.now())
            .await?,
    ))
}

/// The equipment list's query.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AssetQuery {
    /// Part of a serial number, a model or the customer's name.
    pub q: Option<String>,
    /// `in_service`, `out_of_service` or `decommissioned`.
    pub status: Option<String>,
    /// One customer's.
    pub customer_id: Option<String>,
    /// The `next` of the page before.
    pub after: Option<String>,
    /// Rows per page, 1–200 (default 50).
    pub limit: Option<String>,
}

/// The equipment list by serial number, a page at a time (staff).
#[utoipa::path(get, path = "/api/v1/assets", tag = "assets", params(AssetQuery),
    responses((status = 200, body = AssetPage), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_assets(
    user: CurrentUser,
    Query(q): Query<AssetQuery>,
) -> Result<Json<AssetPage>, ApiError> {
    let status = match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            AssetStatus::parse(s)
                .ok_or_else(|| ApiError::invalid("status", "error.invalid_value"))?,
        ),
    };
    let limit = query_limit(q.limit.as_deref())?;
    let customer = query_id("customer_id", q.customer_id.as_deref(), CustomerId::parse)?;
    let after = q.after.as_deref().map(str::trim).filter(|a| !a.is_empty());
    Ok(Json(
        user.tenant
            .asset_page(
                &user.actor,
                q.q.as_deref().unwrap_or(""),
                status,
                customer,
                after,
                limit,
            )
            .await?,
    ))
}

/// The asset card of the asset whose QR label carries `token`.
#[utoipa::path(get, path = "/api/v1/assets/by-token/{token}", tag = "assets", params(("token" = String, Path)),
    responses((status = 200, body = AssetCard), (status = 404, body = ErrorBody)))]
pub async fn get_asset_by_token(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(token): Path<String>,
) -> Result<Json<AssetCard>, ApiError> {
    let a = user.tenant.asset_by_token(&user.actor, &token).await?;
    Ok(Json(
        user.tenant
            .asset_card(&user.actor, a.id, state.clock.now())
            .await?,
    ))
}

/// A meter reading.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadingBody {
    /// The meter's value (never lower than the last one).
    pub value: i64,
    /// Read during this ticket.
    #[serde(default)]
    pub ticket_id: Option<TicketId>,
}

/// Records a meter reading.
#[utoipa::path(post, path = "/api/v1/assets/{id}/readings", tag = "assets", params(("id" = String, Path)),
    request_body = ReadingBody,
    responses((status = 201, body = Asset), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_reading(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    body: AppJson<ReadingBody>,
) -> Result<(StatusCode, Json<Asset>), ApiError> {
    let id = path_id(&id, AssetId::parse)?;
    let b = body.value;
    let a = user
        .tenant
        .record_reading(&user.actor, id, b.value, b.ticket_id, state.clock.now())
        .await?;
    Ok((StatusCode::CREATED, Json(a)))
}

/// A new status.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    /// `in_service`, `out_of_service` or `decommissioned`.
    pub status: String,
}

/// Changes an asset's status.
#[utoipa::path(put, path = "/api/v1/assets/{id}/status", tag = "assets", params(("id" = String, Path)),
    request_body = StatusBody,
    responses((status = 200, body = Asset), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_status(
    user: CurrentUser,
    Path(id): Path<String>,
    body: AppJson<StatusBody>,
) -> Result<Json<Asset>, ApiError> {
    let id = path_id(&id, AssetId::parse)?;
    Ok(Json(
        user.tenant
            .set_asset_status(&user.actor, id, &body.value.status)
            .await?,
    ))
}

/// The asset's printable label (设备二维码): a QR code of the link that opens it, with its
/// model and serial number, as SVG.
#[utoipa::path(get, path = "/api/v1/assets/{id}/label.svg", tag = "assets", params(("id" = String, Path)),
    responses((status = 200, content_type = "image/svg+xml", body = String), (status = 404, body = ErrorBody)))]
pub async fn label(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&id, AssetId::parse)?;
    let a = user.tenant.visible_asset(&user.actor, id).await?;
    let link = format!(
        "{}/a/{}",
        state.config.public_url.trim_end_matches('/'),
        a.qr_token
    );
    let svg = crate::label::asset_label(&link, &a.model, &a.serial).map_err(ApiError::internal)?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

/// A product model in the catalogue.
#[utoipa::path(post, path = "/api/v1/models", tag = "assets", request_body = NewModel,
    responses((status = 201, body = ProductModel), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_model(
    State(state): State<AppState>,
    user: CurrentUser,
    body: AppJson<NewModel>,
) -> Result<(StatusCode, Json<ProductModel>), ApiError> {
    let m = user
        .tenant
        .create_model(&user.actor, body.value, state.clock.now())
        .await?;
    Ok((StatusCode::CREATED, Json(m)))
}

/// The catalogue.
#[derive(Serialize, ToSchema)]
pub struct ModelPage {
    /// By product line and code.
    pub items: Vec<ProductModel>,
}

/// The product catalogue: models with their default warranty, skill and checklist.
#[utoipa::path(get, path = "/api/v1/models", tag = "assets",
    responses((status = 200, body = ModelPage)))]
pub async fn list_models(user: CurrentUser) -> Result<Json<ModelPage>, ApiError> {
    Ok(Json(ModelPage {
        items: user.tenant.models().await?,
    }))
}

/// Imports assets from a table: CSV (UTF-8, a byte-order mark allowed) or Excel (.xlsx, the
/// first sheet), its first row the header (`customer_id`, `site_id`, `model`, `serial`,
/// `installed_on`, `warranty_until`, `status`; other columns become free fields). All rows
/// or none: `422 import_failed` lists each failing row with its column and reason.
#[utoipa::path(post, path = "/api/v1/assets/import", tag = "assets",
    request_body(content = String, content_type = "text/csv", description = "CSV, or an .xlsx workbook"),
    responses((status = 201, body = Imported), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import_assets(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Imported>), ApiError> {
    super::import_sheet(&state, &user, crate::import::Sheet::Assets, &headers, &body).await
}

/// How many were imported.
#[derive(Serialize, ToSchema)]
pub struct Imported {
    /// Rows imported.
    pub imported: usize,
}

/// An export.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `csv` (default) or `xlsx`.
    pub format: Option<String>,
    /// One customer's assets.
    pub customer_id: Option<String>,
}

/// Every asset as a table to download (CSV or Excel), in the import's columns, so an edited
/// export imports again.
#[utoipa::path(get, path = "/api/v1/assets/export", tag = "assets", params(ExportQuery),
    responses((status = 200, description = "The table"), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export_assets(
    user: CurrentUser,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let customer = match q
        .customer_id
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        Some(c) => Some(
            CustomerId::parse(c)
                .ok_or_else(|| ApiError::invalid("customer_id", "error.invalid_value"))?,
        ),
        None => None,
    };
    let assets = user.tenant.assets_list(&user.actor, customer).await?;
    let mut extra: Vec<String> = Vec::new();
    for a in &assets {
        if let Some(map) = a.fields.as_object() {
            for k in map.keys() {
                if !extra.contains(k) {
                    extra.push(k.clone());
                }
            }
        }
    }
    let header: Vec<String> = asset::COLUMNS
        .iter()
        .map(|c| (*c).to_owned())
        .chain(extra.iter().cloned())
        .collect();
    let text = |t: Option<&str>| t.map_or(Cell::Empty, |t| Cell::Text(t.to_owned()));
    let rows: Vec<Vec<Cell>> = assets
        .iter()
        .map(|a| {
            #[expect(clippy::cast_precision_loss, reason = "meter readings below 2^52")]
            let meter = a.meter.map_or(Cell::Empty, |m| Cell::Number(m as f64));
            let mut row = vec![
                Cell::Text(a.customer_id.to_string()),
                Cell::Text(a.site_id.to_string()),
                Cell::Text(a.model.clone()),
                Cell::Text(a.serial.clone()),
                text(a.installed_on.as_deref()),
                text(a.warranty_until.as_deref()),
                Cell::Text(a.status.as_str().to_owned()),
                meter,
            ];
            for k in &extra {
                row.push(match a.fields.get(k) {
                    Some(serde_json::Value::String(s)) => Cell::Text(s.clone()),
                    Some(serde_json::Value::Null) | None => Cell::Empty,
                    Some(other) => Cell::Text(other.to_string()),
                });
            }
            row
        })
        .collect();
    crate::export::download("assets", q.format.as_deref(), &header, &rows)
}

/// A change to a model: everything but its code (assets name it by its code).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditModelBody {
    /// Name.
    pub name: String,
    /// Product line.
    #[serde(default)]
    pub product_line: Option<String>,
    /// Default warranty from installation, in months.
    #[serde(default)]
    pub warranty_months: Option<i64>,
    /// The skill a repair needs.
    #[serde(default)]
    pub skill: Option<String>,
    /// Its minimum level (1–5).
    #[serde(default)]
    pub skill_level: Option<i64>,
    /// The default checklist.
    #[serde(default)]
    pub checklist: Vec<String>,
}

/// Changes a model in the catalogue (admins); the whole model but its code.
#[utoipa::path(put, path = "/api/v1/models/{id}", tag = "assets", params(("id" = String, Path)),
    request_body = EditModelBody,
    responses((status = 200, body = ProductModel), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn edit_model(
    user: CurrentUser,
    Path(id): Path<String>,
    body: AppJson<EditModelBody>,
) -> Result<Json<ProductModel>, ApiError> {
    let id = path_id(&id, loopdesk_core::ModelId::parse)?;
    let b = body.value;
    let change = NewModel {
        code: String::new(),
        name: b.name,
        product_line: b.product_line,
        warranty_months: b.warranty_months,
        skill: b.skill,
        skill_level: b.skill_level,
        checklist: b.checklist,
    };
    Ok(Json(user.tenant.edit_model(&user.actor, id, change).await?))
}
