//! The second factor (issue 24): a user enrols their authenticator app (a secret, then a first
//! code to confirm it), turns it off with a code, an admin resets it for a lost phone, and the
//! tenant names the roles that must have one (their sessions may do nothing else until they
//! enrol).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use loopdesk_core::access::{self, Permission};
use loopdesk_core::{Roles, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::path_id;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{AppJson, CurrentUser};
use crate::state::AppState;

/// A secret to enrol with: typed into the app, or read from the QR code of `uri`.
#[derive(Serialize, ToSchema)]
pub struct Enrolment {
    /// The secret, base32.
    pub secret: String,
    /// The `otpauth://` address (what the QR code holds).
    pub uri: String,
}

/// A code of the authenticator app.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpCode {
    /// Six digits.
    pub totp: String,
}

/// The roles whose holders must sign in with a second factor.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TwoFactorRoles {
    /// Role codes (`admin`, `manager`, `supervisor`, `dispatcher`, `agent`, `engineer`);
    /// customers are never asked.
    pub roles: Vec<String>,
}

/// The label the app shows the secret under.
const ISSUER: &str = "Loopdesk";

/// A new secret for an app: drawn from the OS and set aside until a first code confirms it.
pub(crate) async fn begin(user: &CurrentUser) -> Result<Enrolment, ApiError> {
    let me = &user.auth.user;
    let secret = user.tenant.begin_two_factor(me.id).await?;
    Ok(Enrolment {
        secret: secret.to_base32(),
        uri: secret.uri(ISSUER, &me.username),
    })
}

/// Begins enrolling the caller's authenticator app (201); a second call replaces the secret
/// not yet confirmed.
#[utoipa::path(post, path = "/api/v1/me/two-factor", tag = "auth",
    responses((status = 201, body = Enrolment), (status = 401, body = ErrorBody)))]
pub async fn enrol(user: CurrentUser) -> Result<(StatusCode, Json<Enrolment>), ApiError> {
    Ok((StatusCode::CREATED, Json(begin(&user).await?)))
}

/// Confirms the enrolment with a first code (204); a wrong code → 422 naming `totp`.
#[utoipa::path(post, path = "/api/v1/me/two-factor/confirm", tag = "auth", request_body = TotpCode,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn confirm(
    State(state): State<AppState>,
    user: CurrentUser,
    AppJson { value: body, .. }: AppJson<TotpCode>,
) -> Result<StatusCode, ApiError> {
    let me = user.auth.user.id;
    if !user
        .tenant
        .confirm_two_factor(me, &body.totp, state.clock.now())
        .await?
    {
        return Err(ApiError::invalid("totp", "error.bad_two_factor"));
    }
    state.sessions.forget_user(me);
    Ok(StatusCode::NO_CONTENT)
}

/// Turns the caller's second factor off with a current code (204); a wrong code → 422.
#[utoipa::path(post, path = "/api/v1/me/two-factor/off", tag = "auth", request_body = TotpCode,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn off(
    State(state): State<AppState>,
    user: CurrentUser,
    AppJson { value: body, .. }: AppJson<TotpCode>,
) -> Result<StatusCode, ApiError> {
    let me = user.auth.user.id;
    match user
        .tenant
        .take_two_factor_code(me, &body.totp, state.clock.now())
        .await?
    {
        loopdesk_store::CodeCheck::Taken => {}
        loopdesk_store::CodeCheck::NotEnrolled => return Ok(StatusCode::NO_CONTENT),
        loopdesk_store::CodeCheck::Refused => {
            return Err(ApiError::invalid("totp", "error.bad_two_factor"))
        }
    }
    user.tenant.clear_two_factor(me).await?;
    state.sessions.forget_user(me);
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a user's second factor (admins: a lost phone); they enrol again at their next
/// sign-in if their role must.
#[utoipa::path(delete, path = "/api/v1/users/{id}/two-factor", tag = "users", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn reset(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if !access::allowed(&user.actor, Permission::ManageUsers) {
        return Err(ApiError::forbidden());
    }
    let id = path_id(&id, UserId::parse)?;
    user.tenant.clear_two_factor(id).await?;
    state.sessions.forget_user(id);
    Ok(StatusCode::NO_CONTENT)
}

fn role_names(roles: Roles) -> TwoFactorRoles {
    TwoFactorRoles {
        roles: roles.iter().map(|r| r.as_str().to_owned()).collect(),
    }
}

/// The roles that must sign in with a second factor (admins).
#[utoipa::path(get, path = "/api/v1/security/two-factor", tag = "users",
    responses((status = 200, body = TwoFactorRoles), (status = 403, body = ErrorBody)))]
pub async fn roles(user: CurrentUser) -> Result<Json<TwoFactorRoles>, ApiError> {
    if !access::allowed(&user.actor, Permission::ManageUsers) {
        return Err(ApiError::forbidden());
    }
    Ok(Json(role_names(user.tenant.two_factor_roles().await?)))
}

/// Names the roles that must sign in with a second factor (admins).
#[utoipa::path(put, path = "/api/v1/security/two-factor", tag = "users", request_body = TwoFactorRoles,
    responses((status = 200, body = TwoFactorRoles), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn set_roles(
    user: CurrentUser,
    AppJson { value: body, .. }: AppJson<TwoFactorRoles>,
) -> Result<Json<TwoFactorRoles>, ApiError> {
    let roles = loopdesk_core::totp::required_roles(&body.roles)
        .map_err(loopdesk_store::StoreError::from)?;
    user.tenant.set_two_factor_roles(&user.actor, roles).await?;
    Ok(Json(role_names(roles)))
}
