//! Login, logout, and who am I.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use loopdesk_store::User;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{session_cookie, AppJson, Burst, ClientIp, CurrentUser};
use crate::state::AppState;

/// Credentials.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    /// Login name.
    pub username: String,
    /// Password.
    pub password: String,
    /// Tenant slug (needed only when the username exists in several tenants).
    #[serde(default)]
    pub tenant: Option<String>,
    /// The six-digit code of the user's authenticator app, when they have a second factor
    /// (without it such a sign-in answers 401 `two_factor_required`).
    #[serde(default)]
    pub totp: Option<String>,
}

/// A successful login.
#[derive(Serialize, ToSchema)]
pub struct LoginAnswer {
    /// Use as `Authorization: Bearer <token>`; also set as the session cookie.
    pub token: String,
    /// The user.
    pub user: User,
}

/// Signs in with a username and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginBody, security(()),
    responses((status = 200, body = LoginAnswer), (status = 401, body = ErrorBody),
        (status = 403, description = "a directory account in no group that may sign in", body = ErrorBody),
        (status = 409, description = "a local account has the directory account's name", body = ErrorBody),
        (status = 429, body = ErrorBody),
        (status = 503, description = "the company directory cannot be reached", body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: axum::http::HeaderMap,
    body: AppJson<LoginBody>,
) -> Result<Response, ApiError> {
    let body = body.value;
    let now = state.clock.now();
    // The tenant named in the body, else by the address asked for (`east.desk.example.com`).
    let by_host = match body.tenant {
        Some(_) => None,
        None => crate::extract::tenant_named(&state, None, &headers)
            .await
            .map(|t| t.slug),
    };
    let tenant = body.tenant.as_deref().or(by_host.as_deref());
    if let Err((wait, burst)) = state
        .limiter
        .check(&state.store, &ip, &body.username, now)
        .await
    {
        if let Some(burst) = burst {
            report_burst(&state, burst).await;
        }
        return Err(wait.into());
    }
    let found = crate::directory::check_password(&state, tenant, &body.username, &body.password)
        .await
        .map_err(refusal)?;
    let Some(user) = found else {
        if let Some(burst) = state
            .limiter
            .failed(&state.store, &ip, &body.username, now)
            .await
        {
            report_burst(&state, burst).await;
        }
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "bad_credentials",
            "error.bad_credentials",
        ));
    };
    second_factor(&state, &ip, &body.username, &user, body.totp.as_deref()).await?;
    state.limiter.succeeded(&state.store, &body.username).await;
    let ttl = state.config.session_ttl;
    let token = state
        .store
        .issue_token(
            &user,
            "session",
            ttl,
            state.clock.now(),
            &crate::extract::origin(&ip, &headers),
        )
        .await?;
    let cookie = session_cookie(Some(&token), ttl, state.config.secure_cookies);
    Ok((
        [(header::SET_COOKIE, cookie)],
        Json(LoginAnswer { token, user }),
    )
        .into_response())
}

/// A directory's refusal as the API answers it.
pub(crate) fn refusal(r: crate::directory::Refusal) -> ApiError {
    use crate::directory::Refusal;
    let status = match &r {
        Refusal::NoRole => StatusCode::FORBIDDEN,
        Refusal::NameTaken => StatusCode::CONFLICT,
        Refusal::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Refusal::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if let Refusal::Store(e) = r {
        return e.into();
    }
    let (code, key) = r.code();
    ApiError::new(status, code, key)
}

/// After a good password, the second factor of a user who has one: a code of their app,
/// taken once; a wrong one counts as a failed sign-in.
pub(crate) async fn second_factor(
    state: &AppState,
    ip: &str,
    username: &str,
    user: &User,
    code: Option<&str>,
) -> Result<(), ApiError> {
    if !user.two_factor {
        return Ok(());
    }
    let Some(code) = code.filter(|c| !c.trim().is_empty()) else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "two_factor_required",
            "error.two_factor_required",
        )
        .field("totp"));
    };
    let now = state.clock.now();
    let tenant = state.store.tenant(user.tenant_id);
    match tenant.take_two_factor_code(user.id, code, now).await? {
        loopdesk_store::CodeCheck::Taken | loopdesk_store::CodeCheck::NotEnrolled => Ok(()),
        loopdesk_store::CodeCheck::Refused => {
            if let Some(burst) = state.limiter.failed(&state.store, ip, username, now).await {
                report_burst(state, burst).await;
            }
            Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "bad_two_factor",
                "error.bad_two_factor",
            )
            .field("totp"))
        }
    }
}

/// Tells the admins (and the log) of a burst of failed sign-ins. A failure to tell them is
/// logged; the sign-in's answer does not depend on it.
pub(crate) async fn report_burst(state: &AppState, burst: Burst) {
    tracing::warn!(
        username = %burst.username,
        address = %burst.address,
        failures = burst.failures,
        "a burst of failed sign-ins"
    );
    if let Err(e) = state
        .store
        .alert_login_burst(
            &burst.username,
            &burst.address,
            burst.failures,
            &burst.key,
            state.clock.now(),
        )
        .await
    {
        tracing::error!(error = %e, "telling the admins of failed sign-ins failed");
    }
}

/// Ends the session: the token stops working on every instance.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, ApiError> {
    state
        .store
        .revoke_token(&user.token, state.clock.now())
        .await?;
    state.sessions.forget(&user.token);
    let cookie = session_cookie(None, state.config.session_ttl, state.config.secure_cookies);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, body = User), (status = 401, body = ErrorBody)))]
pub async fn me(user: CurrentUser) -> Json<User> {
    Json(user.auth.user)
}
