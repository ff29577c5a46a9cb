//! The tenant's company directory (LDAP, Active Directory) as admins configure it: where it
//! is, how people are found, and which groups give which roles. The service account's
//! password is write-only.

use axum::http::StatusCode;
use axum::Json;
use loopdesk_core::directory::DirectorySettings;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{AppJson, CurrentUser};

/// The tenant's directory, if it has one (the password never shown).
#[derive(Serialize, ToSchema)]
pub struct DirectoryAnswer {
    /// The settings; `null` when sign-ins are local only.
    pub directory: Option<DirectorySettings>,
}

/// The tenant's directory (admins).
#[utoipa::path(get, path = "/api/v1/security/directory", tag = "users",
    responses((status = 200, body = DirectoryAnswer), (status = 403, body = ErrorBody)))]
pub async fn show(user: CurrentUser) -> Result<Json<DirectoryAnswer>, ApiError> {
    let directory = user.tenant.directory(&user.actor).await?;
    Ok(Json(DirectoryAnswer { directory }))
}

/// Signs people in against this directory from now on (admins). Leaving `bind_password` out
/// keeps the stored one.
#[utoipa::path(put, path = "/api/v1/security/directory", tag = "users", request_body = DirectorySettings,
    responses((status = 200, body = DirectoryAnswer), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn set(
    user: CurrentUser,
    AppJson { value: body, .. }: AppJson<DirectorySettings>,
) -> Result<Json<DirectoryAnswer>, ApiError> {
    user.tenant.set_directory(&user.actor, Some(body)).await?;
    show(user).await
}

/// Stops directory sign-ins (admins): the accounts it made stay, and sign in no more.
#[utoipa::path(delete, path = "/api/v1/security/directory", tag = "users",
    responses((status = 204), (status = 403, body = ErrorBody)))]
pub async fn off(user: CurrentUser) -> Result<StatusCode, ApiError> {
    user.tenant.set_directory(&user.actor, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A name and password to try against the directory.
#[derive(serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TryBody {
    /// Sign-in name.
    pub username: String,
    /// Password (checked by the directory, kept nowhere).
    pub password: String,
}

/// What the directory answered.
#[derive(Serialize, ToSchema)]
pub struct TryAnswer {
    /// The person was found and the password is theirs.
    pub found: bool,
    /// Their distinguished name.
    pub dn: Option<String>,
    /// Their name.
    pub display_name: Option<String>,
    /// Their e-mail address.
    pub email: Option<String>,
    /// The roles their groups give (none: they could not sign in).
    pub roles: Vec<String>,
}

/// Tries a name and password against the directory without signing in, to check the
/// settings (admins): who it finds, and the roles their groups give.
#[utoipa::path(post, path = "/api/v1/security/directory/test", tag = "users", request_body = TryBody,
    responses((status = 200, body = TryAnswer), (status = 403, body = ErrorBody),
        (status = 404, description = "no directory is set", body = ErrorBody),
        (status = 503, description = "the directory cannot be reached", body = ErrorBody)))]
pub async fn try_it(
    user: CurrentUser,
    AppJson { value: body, .. }: AppJson<TryBody>,
) -> Result<Json<TryAnswer>, ApiError> {
    let settings = user
        .tenant
        .directory_to_try(&user.actor)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let person = crate::directory::try_sign_in(&settings, &body.username, &body.password)
        .await
        .map_err(|why| {
            tracing::info!(error = %why, "trying the directory failed");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "directory_unavailable",
                "error.directory_unavailable",
            )
        })?;
    Ok(Json(match person {
        Some(p) => TryAnswer {
            found: true,
            roles: p.roles.iter().map(|r| r.as_str().to_owned()).collect(),
            dn: Some(p.dn),
            display_name: p.display_name,
            email: p.email,
        },
        None => TryAnswer {
            found: false,
            dn: None,
            display_name: None,
            email: None,
            roles: Vec::new(),
        },
    }))
}

/// The tenant's OpenID provider, if it has one (the client secret never shown).
#[derive(Serialize, ToSchema)]
pub struct OidcAnswer {
    /// The settings; `null` when there is no single sign-on.
    pub oidc: Option<loopdesk_core::oidc::OidcSettings>,
}

/// The tenant's OpenID Connect provider (admins).
#[utoipa::path(get, path = "/api/v1/security/oidc", tag = "users",
    responses((status = 200, body = OidcAnswer), (status = 403, body = ErrorBody)))]
pub async fn show_oidc(user: CurrentUser) -> Result<Json<OidcAnswer>, ApiError> {
    let oidc = user.tenant.oidc(&user.actor).await?;
    Ok(Json(OidcAnswer { oidc }))
}

/// Offers single sign-on with this provider on the sign-in page (admins). Its client must
/// allow the redirect `<public URL>/login/sso/callback`. Leaving `client_secret` out keeps the
/// stored one.
#[utoipa::path(put, path = "/api/v1/security/oidc", tag = "users",
    request_body = loopdesk_core::oidc::OidcSettings,
    responses((status = 200, body = OidcAnswer), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn set_oidc(
    user: CurrentUser,
    AppJson { value: body, .. }: AppJson<loopdesk_core::oidc::OidcSettings>,
) -> Result<Json<OidcAnswer>, ApiError> {
    user.tenant.set_oidc(&user.actor, Some(body)).await?;
    show_oidc(user).await
}

/// Stops single sign-on (admins).
#[utoipa::path(delete, path = "/api/v1/security/oidc", tag = "users",
    responses((status = 204), (status = 403, body = ErrorBody)))]
pub async fn oidc_off(user: CurrentUser) -> Result<StatusCode, ApiError> {
    user.tenant.set_oidc(&user.actor, None).await?;
    Ok(StatusCode::NO_CONTENT)
}
