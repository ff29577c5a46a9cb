//! A user's sessions (issue 24): listed with where and when they began, ended one by one or
//! all but the one asking (sign out everywhere else), by the user or by an admin for them.
//! An ended session stops working on every instance at once.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use loopdesk_core::access::{self, Permission};
use loopdesk_core::UserId;
use loopdesk_store::SessionView;
use serde::Serialize;
use utoipa::ToSchema;

use super::path_id;
use crate::error::{ApiError, ErrorBody};
use crate::extract::CurrentUser;
use crate::state::AppState;

/// A change of one's own password.
#[derive(serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The password now.
    pub current_password: String,
    /// The new one: 8–256 characters, not among the most common, not holding the user name.
    pub new_password: String,
}

/// Changes the caller's password (204); every other session of theirs ends. A wrong current
/// password or a weak new one → 422 naming the field.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", request_body = PasswordChange,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    user: CurrentUser,
    crate::extract::AppJson { value: body, .. }: crate::extract::AppJson<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    let me = user.auth.user.id;
    user.tenant
        .change_password(
            me,
            &body.current_password,
            &body.new_password,
            &user.token,
            state.clock.now(),
        )
        .await?;
    state.sessions.forget_user(me);
    Ok(StatusCode::NO_CONTENT)
}

/// How many sessions ended.
#[derive(Serialize, ToSchema)]
pub struct Ended {
    /// Sessions ended.
    pub ended: u64,
}

/// The caller's open sessions, newest first (`current`: this one).
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "auth",
    responses((status = 200, body = [SessionView]), (status = 401, body = ErrorBody)))]
pub async fn mine(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Vec<SessionView>>, ApiError> {
    let me = user.auth.user.id;
    Ok(Json(
        user.tenant
            .sessions_of(me, &user.token, state.clock.now())
            .await?,
    ))
}

/// Ends one of the caller's sessions.
#[utoipa::path(delete, path = "/api/v1/me/sessions/{id}", tag = "auth", params(("id" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn end_mine(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let me = user.auth.user.id;
    user.tenant.end_session(me, &id, state.clock.now()).await?;
    state.sessions.forget_user(me);
    Ok(StatusCode::NO_CONTENT)
}

/// Ends every session of the caller but this one (sign out everywhere else).
#[utoipa::path(post, path = "/api/v1/me/sessions/end-others", tag = "auth",
    responses((status = 200, body = Ended), (status = 401, body = ErrorBody)))]
pub async fn end_others(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Ended>, ApiError> {
    let me = user.auth.user.id;
    let ended = user
        .tenant
        .end_other_sessions(me, Some(&user.token), state.clock.now())
        .await?;
    state.sessions.forget_user(me);
    Ok(Json(Ended { ended }))
}

/// A user's open sessions (admins).
#[utoipa::path(get, path = "/api/v1/users/{id}/sessions", tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = [SessionView]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn of_user(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<SessionView>>, ApiError> {
    if !access::allowed(&user.actor, Permission::ManageUsers) {
        return Err(ApiError::forbidden());
    }
    let id = path_id(&id, UserId::parse)?;
    Ok(Json(
        user.tenant
            .sessions_of(id, &user.token, state.clock.now())
            .await?,
    ))
}

/// Ends every session of a user (admins: a stolen laptop, someone leaving).
#[utoipa::path(post, path = "/api/v1/users/{id}/sessions/end-all", tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = Ended), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn end_all_of_user(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Ended>, ApiError> {
    if !access::allowed(&user.actor, Permission::ManageUsers) {
        return Err(ApiError::forbidden());
    }
    let id = path_id(&id, UserId::parse)?;
    let ended = user
        .tenant
        .end_other_sessions(id, None, state.clock.now())
        .await?;
    state.sessions.forget_user(id);
    Ok(Json(Ended { ended }))
}
