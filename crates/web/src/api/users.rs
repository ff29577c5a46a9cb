//! Users (admin).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use loopdesk_core::access::{allowed, Permission};
use loopdesk_core::{CustomerId, RegionId, Role, TeamId, UserId};
use loopdesk_store::{NewUser, User, UserEdit};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::path_id;
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

/// A change to a user; what is absent stays as it is.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditUserBody {
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Roles, the whole set.
    #[serde(default)]
    pub roles: Option<Vec<Role>>,
    /// Team; `null` clears it.
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub team_id: Option<Option<TeamId>>,
    /// Region; `null` clears it.
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub region_id: Option<Option<RegionId>>,
    /// E-mail; `null` clears it.
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    /// `false` deactivates (every session ends at once), `true` brings back.
    #[serde(default)]
    pub active: Option<bool>,
}

fn require_admin(user: &CurrentUser) -> Result<(), ApiError> {
    if allowed(&user.actor, Permission::ManageUsers) {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

/// Changes a user's roles, team, region, name, e-mail or whether they are active (admin
/// only; an admin cannot take their own admin role or deactivate themselves: 422).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path)),
    request_body = EditUserBody,
    responses((status = 200, body = User), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn edit_user(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    body: AppJson<EditUserBody>,
) -> Result<Json<User>, ApiError> {
    require_admin(&user)?;
    let id = path_id(&id, UserId::parse)?;
    let b = body.value;
    let edit = UserEdit {
        display_name: b.display_name,
        roles: b.roles.map(|r| r.into_iter().collect()),
        team_id: b.team_id,
        region_id: b.region_id,
        email: b.email,
        active: b.active,
    };
    let changed = user
        .tenant
        .edit_user(&user.actor, id, edit, state.clock.now())
        .await?;
    state.sessions.forget_user(id);
    Ok(Json(changed))
}

/// Deactivates a user (admin only): they can no longer sign in, every session ends, nobody
/// dispatches to them; their history stays. `PATCH` with `"active": true` brings them back.
#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = User), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn deactivate_user(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<User>, ApiError> {
    require_admin(&user)?;
    let id = path_id(&id, UserId::parse)?;
    let edit = UserEdit {
        active: Some(false),
        ..UserEdit::default()
    };
    let changed = user
        .tenant
        .edit_user(&user.actor, id, edit, state.clock.now())
        .await?;
    state.sessions.forget_user(id);
    Ok(Json(changed))
}

/// A new one-time password.
#[derive(Serialize, ToSchema)]
pub struct NewPassword {
    /// The password, shown this once: tell it to the user.
    pub password: String,
}

/// Gives a user a new password made by Loopdesk, answered once (admin only); every session
/// of theirs ends. Not the caller's own (422).
#[utoipa::path(post, path = "/api/v1/users/{id}/password", tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = NewPassword), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reset_password(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<NewPassword>, ApiError> {
    require_admin(&user)?;
    let id = path_id(&id, UserId::parse)?;
    let password = user
        .tenant
        .reset_password(&user.actor, id, state.clock.now())
        .await?;
    state.sessions.forget_user(id);
    Ok(Json(NewPassword { password }))
}
