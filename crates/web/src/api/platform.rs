//! The platform operator's API over the tenants of an install (issue 24): list, create with a
//! first admin, suspend and resume, export as one archive, and erase a suspended one. Only a
//! platform operator (named by `loopdesk tenant operator`) may; an operator cannot suspend or
//! erase their own tenant.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use loopdesk_core::{validate, Role};
use loopdesk_store::{NewUser, PlatformOperator, StoreError, TenantSummary};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{AppJson, CurrentUser};
use crate::state::AppState;

/// The caller as a platform operator, or 403.
async fn operator(state: &AppState, user: &CurrentUser) -> Result<PlatformOperator, ApiError> {
    state
        .store
        .platform_operator(&user.auth.user)
        .await?
        .ok_or_else(ApiError::forbidden)
}

/// One tenant's summary, 404 when there is none of that slug.
async fn summary(state: &AppState, slug: &str) -> Result<TenantSummary, ApiError> {
    state
        .store
        .tenant_summaries()
        .await?
        .into_iter()
        .find(|t| t.slug == slug)
        .ok_or_else(ApiError::not_found)
}

/// Refuses an operation on the operator's own tenant.
async fn not_own(state: &AppState, op: &PlatformOperator, slug: &str) -> Result<(), ApiError> {
    let tenant = state
        .store
        .tenant_by_slug(slug)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if tenant.id == op.tenant_id {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "own_tenant",
            "error.platform_own_tenant",
        ));
    }
    Ok(())
}

/// Every tenant with its users and tickets.
#[utoipa::path(get, path = "/api/v1/platform/tenants", tag = "platform",
    responses((status = 200, body = [TenantSummary]), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Vec<TenantSummary>>, ApiError> {
    operator(&state, &user).await?;
    Ok(Json(state.store.tenant_summaries().await?))
}

/// A new tenant and its first admin.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenantBody {
    /// Short name for sign-in (lower-case letters, digits, hyphens).
    pub slug: String,
    /// Display name.
    pub name: String,
    /// The first admin's sign-in name.
    pub admin_username: String,
    /// Their password (the password policy applies).
    pub admin_password: String,
}

/// Creates a tenant with its first admin.
#[utoipa::path(post, path = "/api/v1/platform/tenants", tag = "platform", request_body = NewTenantBody,
    responses((status = 201, body = TenantSummary), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    AppJson { value: body, .. }: AppJson<NewTenantBody>,
) -> Result<(StatusCode, Json<TenantSummary>), ApiError> {
    operator(&state, &user).await?;
    // The admin is checked before the tenant exists: no tenant is left without one.
    let username = validate::username(&body.admin_username).map_err(StoreError::from)?;
    validate::chosen_password(&username, &body.admin_password).map_err(StoreError::from)?;
    let now = state.clock.now();
    let tenant = state
        .store
        .create_tenant(&body.slug, &body.name, now)
        .await?;
    let admin = NewUser {
        username,
        password: body.admin_password,
        roles: [Role::Admin].into_iter().collect(),
        ..NewUser::default()
    };
    state
        .store
        .tenant(tenant.id)
        .create_user(admin, now)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(summary(&state, &tenant.slug).await?),
    ))
}

/// Suspends a tenant: nobody of it signs in, every session of it ends; its data stays.
#[utoipa::path(post, path = "/api/v1/platform/tenants/{slug}/suspend", tag = "platform",
    params(("slug" = String, Path)),
    responses((status = 200, body = TenantSummary), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn suspend(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> Result<Json<TenantSummary>, ApiError> {
    let op = operator(&state, &user).await?;
    not_own(&state, &op, &slug).await?;
    state
        .store
        .set_tenant_suspended(&slug, true, state.clock.now())
        .await?;
    Ok(Json(summary(&state, &slug).await?))
}

/// Lets a suspended tenant sign in again.
#[utoipa::path(post, path = "/api/v1/platform/tenants/{slug}/resume", tag = "platform",
    params(("slug" = String, Path)),
    responses((status = 200, body = TenantSummary), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn resume(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> Result<Json<TenantSummary>, ApiError> {
    operator(&state, &user).await?;
    state
        .store
        .set_tenant_suspended(&slug, false, state.clock.now())
        .await?;
    Ok(Json(summary(&state, &slug).await?))
}

/// The tenant's archive (`loopdesk tenant import` reads it): every row as one snapshot and
/// every file, streamed.
#[utoipa::path(get, path = "/api/v1/platform/tenants/{slug}/export", tag = "platform",
    params(("slug" = String, Path)),
    responses((status = 200, content_type = "application/zip", body = Vec<u8>),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> Result<Response, ApiError> {
    operator(&state, &user).await?;
    summary(&state, &slug).await?;
    let path = std::env::temp_dir().join(format!("loopdesk-tenant-{}.zip", uuid::Uuid::new_v4()));
    let done = crate::tenant_archive::export(
        &state.store,
        state.blobs.as_ref(),
        &slug,
        &path,
        state.clock.now(),
    )
    .await;
    if let Err(e) = done {
        let _ = std::fs::remove_file(&path);
        return Err(ApiError::internal(e));
    }
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(ApiError::internal)?;
    // Gone from the directory at once; the open file is read to its end.
    let _ = std::fs::remove_file(&path);
    let chunks = futures_util::stream::unfold(file, |mut file| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 256 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(buf), file))
            }
            Err(e) => Some((Err(e), file)),
        }
    });
    let name = format!("attachment; filename=\"tenant-{slug}.zip\"");
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (header::CONTENT_DISPOSITION, name),
        ],
        Body::from_stream(chunks),
    )
        .into_response())
}

/// The slug again, to confirm an erase.
#[derive(Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConfirmQuery {
    /// The tenant's slug, typed again.
    pub confirm: Option<String>,
}

/// What an erase removed.
#[derive(Serialize, ToSchema)]
pub struct ErasedAnswer {
    /// The tenant.
    pub slug: String,
    /// Rows removed.
    pub rows: u64,
    /// Files removed.
    pub files: usize,
}

/// Erases a suspended tenant for good: every row and file of it (export it first). The slug
/// must be repeated in `confirm`.
#[utoipa::path(delete, path = "/api/v1/platform/tenants/{slug}", tag = "platform",
    params(("slug" = String, Path), ConfirmQuery),
    responses((status = 200, body = ErasedAnswer), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn erase(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    Query(q): Query<ConfirmQuery>,
) -> Result<Json<ErasedAnswer>, ApiError> {
    let op = operator(&state, &user).await?;
    not_own(&state, &op, &slug).await?;
    if q.confirm.as_deref() != Some(slug.as_str()) {
        return Err(StoreError::from(validate::FieldError {
            field: "confirm",
            reason: "error.platform_confirm",
        })
        .into());
    }
    let done =
        crate::tenant_archive::erase(&state.store, state.blobs.as_ref(), &slug, state.clock.now())
            .await;
    match done {
        Ok((erased, files)) => Ok(Json(ErasedAnswer {
            slug,
            rows: erased.rows.values().sum(),
            files,
        })),
        Err(e) => match e.downcast::<StoreError>() {
            Ok(store) => Err(store.into()),
            Err(other) => Err(ApiError::internal(other)),
        },
    }
}
