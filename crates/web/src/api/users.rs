//! Users (admin).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use loopdesk_core::access::{allowed, Permission};
use loopdesk_core::{CustomerId, RegionId, Role, TeamId};
use loopdesk_store::{NewUser, User};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ErrorBody};
use crate::extract::{AppJson, CurrentUser};
use crate::state::AppState;

/// A user to create.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserBody {
    /// Login name.
    pub username: String,
    /// Password (8–256 characters).
    #[schema(min_length = 8, max_length = 256)]
    pub password: String,
    /// Roles.
    pub roles: Vec<Role>,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Required for role `customer`.
    #[serde(default)]
    pub customer_id: Option<CustomerId>,
    /// Team.
    #[serde(default)]
    pub team_id: Option<TeamId>,
    /// Region.
    #[serde(default)]
    pub region_id: Option<RegionId>,
    /// E-mail address.
    #[serde(default)]
    pub email: Option<String>,
    /// `app` (default: in-app only) or `email` (in-app and e-mail).
    #[serde(default)]
    pub notify_channel: Option<String>,
    /// `zh-CN` (default) or `en`.
    #[serde(default)]
    pub lang: Option<String>,
}

/// Creates a user (admin only).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUserBody,
    responses((status = 201, body = User), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_user(
    State(state): State<AppState>,
    user: CurrentUser,
    body: AppJson<CreateUserBody>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    if !allowed(&user.actor, Permission::ManageUsers) {
        return Err(ApiError::forbidden());
    }
    let b = body.value;
    let new = NewUser {
        username: b.username,
        password: b.password,
        roles: b.roles.into_iter().collect(),
        display_name: b.display_name,
        customer_id: b.customer_id,
        team_id: b.team_id,
        region_id: b.region_id,
        email: b.email,
        notify_channel: b.notify_channel,
        lang: b.lang,
    };
    let created = user.tenant.create_user(new, state.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Filter of the user list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Only users holding this role.
    pub role: Option<String>,
}

/// A list of users.
#[derive(Serialize, ToSchema)]
pub struct UserList {
    /// Users by name.
    pub items: Vec<User>,
}

/// Lists users (staff).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(UserQuery),
    responses((status = 200, body = UserList), (status = 403, body = ErrorBody)))]
pub async fn list_users(
    user: CurrentUser,
    Query(q): Query<UserQuery>,
) -> Result<Json<UserList>, ApiError> {
    if !allowed(&user.actor, Permission::ListUsers) {
        return Err(ApiError::forbidden());
    }
    let role = match q.role.as_deref() {
        Some(r) => {
            Some(Role::parse(r).ok_or_else(|| ApiError::invalid("role", "error.invalid_value"))?)
        }
        None => None,
    };
    Ok(Json(UserList {
        items: user.tenant.users(role).await?,
    }))
}
