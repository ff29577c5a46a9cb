//! Regions and teams (admin).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use loopdesk_core::access::{allowed, Permission};
use loopdesk_core::intake::NewCategory;
use loopdesk_core::RegionId;
use loopdesk_store::{Category, Named};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{AppJson, CurrentUser};
use crate::state::AppState;

/// A region to create.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRegionBody {
    /// Name, e.g. 浦东新区.
    pub name: String,
}

/// Creates a region (admin).
#[utoipa::path(post, path = "/api/v1/regions", tag = "organisation", request_body = CreateRegionBody,
    responses((status = 201, body = Named), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_region(
    State(state): State<AppState>,
    user: CurrentUser,
    body: AppJson<CreateRegionBody>,
) -> Result<(StatusCode, Json<Named>), ApiError> {
    if !allowed(&user.actor, Permission::ManageOrganisation) {
        return Err(ApiError::forbidden());
    }
    let id = user
        .tenant
        .create_region(&body.value.name, state.clock.now())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Named {
            id: id.uuid(),
            name: body.value.name.trim().to_owned(),
        }),
    ))
}

/// A team to create.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTeamBody {
    /// Name.
    pub name: String,
    /// Region.
    #[serde(default)]
    pub region_id: Option<RegionId>,
}

/// Creates a team (admin).
#[utoipa::path(post, path = "/api/v1/teams", tag = "organisation", request_body = CreateTeamBody,
    responses((status = 201, body = Named), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_team(
    State(state): State<AppState>,
    user: CurrentUser,
    body: AppJson<CreateTeamBody>,
) -> Result<(StatusCode, Json<Named>), ApiError> {
    if !allowed(&user.actor, Permission::ManageOrganisation) {
        return Err(ApiError::forbidden());
    }
    let b = body.value;
    let id = user
        .tenant
        .create_team(&b.name, b.region_id, state.clock.now())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Named {
            id: id.uuid(),
            name: b.name.trim().to_owned(),
        }),
    ))
}

/// Adds a request category with the fields its requests must fill in (admin).
#[utoipa::path(post, path = "/api/v1/categories", tag = "organisation", request_body = NewCategory,
    responses((status = 201, body = Category), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_category(
    State(state): State<AppState>,
    user: CurrentUser,
    body: AppJson<NewCategory>,
) -> Result<(StatusCode, Json<Category>), ApiError> {
    let c = user
        .tenant
        .create_category(&user.actor, body.value, state.clock.now())
        .await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// Categories.
#[derive(Serialize, ToSchema)]
pub struct CategoryPage {
    /// By name.
    pub items: Vec<Category>,
}

/// The request categories and their required fields.
#[utoipa::path(get, path = "/api/v1/categories", tag = "organisation",
    responses((status = 200, body = CategoryPage)))]
pub async fn list_categories(user: CurrentUser) -> Result<Json<CategoryPage>, ApiError> {
    Ok(Json(CategoryPage {
        items: user.tenant.categories().await?,
    }))
}

/// A region with its outline.
#[derive(Serialize, ToSchema)]
pub struct RegionView {
    /// Id.
    pub id: uuid::Uuid,
    /// Name.
    pub name: String,
    /// The outline as a GeoJSON MultiPolygon, when one was drawn.
    #[schema(value_type = Option<Object>)]
    pub shape: Option<serde_json::Value>,
}

/// The regions.
#[derive(Serialize, ToSchema)]
pub struct RegionPage {
    /// By name.
    pub items: Vec<RegionView>,
}

/// Every region, by name, with its outline (staff).
#[utoipa::path(get, path = "/api/v1/regions", tag = "organisation",
    responses((status = 200, body = RegionPage), (status = 403, body = ErrorBody)))]
pub async fn list_regions(user: CurrentUser) -> Result<Json<RegionPage>, ApiError> {
    if loopdesk_core::access::customer_scope(&user.actor) != Some(None) {
        return Err(ApiError::forbidden());
    }
    let items = user
        .tenant
        .region_shapes()
        .await?
        .into_iter()
        .map(|r| RegionView {
            id: r.id.uuid(),
            name: r.name,
            shape: r.shape.map(|s| s.to_geojson()),
        })
        .collect();
    Ok(Json(RegionPage { items }))
}

/// Draws a region's outline (admin): GeoJSON, a `Polygon` or `MultiPolygon` of
/// [longitude, latitude] positions, or a `Feature` (or one-feature `FeatureCollection`)
/// holding one. `422 shape` names what is wrong.
#[utoipa::path(put, path = "/api/v1/regions/{id}/shape", tag = "organisation", params(("id" = String, Path)),
    request_body(content = Object, description = "GeoJSON"),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_region_shape(
    user: CurrentUser,
    axum::extract::Path(id): axum::extract::Path<String>,
    body: AppJson<serde_json::Value>,
) -> Result<StatusCode, ApiError> {
    if !allowed(&user.actor, Permission::ManageOrganisation) {
        return Err(ApiError::forbidden());
    }
    let id = super::path_id(&id, RegionId::parse)?;
    let shape = loopdesk_core::region_shape::Shape::from_geojson(&body.value)
        .map_err(|e| ApiError::invalid(e.field, e.reason))?;
    user.tenant.set_region_shape(id, Some(&shape)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a region's outline (admin).
#[utoipa::path(delete, path = "/api/v1/regions/{id}/shape", tag = "organisation", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_region_shape(
    user: CurrentUser,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<StatusCode, ApiError> {
    if !allowed(&user.actor, Permission::ManageOrganisation) {
        return Err(ApiError::forbidden());
    }
    let id = super::path_id(&id, RegionId::parse)?;
    user.tenant.set_region_shape(id, None).await?;
    Ok(StatusCode::NO_CONTENT)
}
