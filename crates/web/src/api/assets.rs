//! Assets (equipment at a customer's site).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use loopdesk_core::access::{allowed, Permission};
use loopdesk_core::{CustomerId, SiteId};
use loopdesk_store::{Asset, NewAsset};
use serde::Deserialize;
use utoipa::ToSchema;

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
    /// Warranty until (YYYY-MM-DD).
    #[serde(default)]
    pub warranty_until: Option<String>,
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
    };
    Ok((
        StatusCode::CREATED,
        Json(user.tenant.create_asset(new, state.clock.now()).await?),
    ))
}
