//! Regions and teams (admin).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use loopdesk_core::access::{allowed, Permission};
use loopdesk_core::RegionId;
use loopdesk_store::Named;
use serde::Deserialize;
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
