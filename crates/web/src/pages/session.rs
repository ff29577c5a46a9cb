//! Signing in and out on the pages, and the start page of each role.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use loopdesk_core::i18n::{t, Lang};
use loopdesk_core::Role;
use maud::html;
use serde::Deserialize;

use super::layout::{page, PageLang, PageQuery, PageUser};
use crate::extract::{session_cookie, tenant_named, ClientIp};
use crate::state::AppState;
use loopdesk_store::Tenant;

/// Where to go after signing in, and the organisation (tenant slug) to sign in to.
#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    tenant: Option<String>,
}

/// The sign-in form as posted.
#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
    tenant: Option<String>,
}

/// Where to go next, only if it is a path on this site (never another origin), else
/// `otherwise`.
pub(super) fn local_path<'a>(next: Option<&'a str>, otherwise: &'a str) -> &'a str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n,
        _ => otherwise,
    }
}

pub(super) fn safe_next(next: Option<&str>) -> &str {
    local_path(next, "/")
}

pub(super) fn login_form(
    lang: Lang,
    (username, tenant): (&str, Option<&Tenant>),
    next: &str,
    error: Option<&str>,
) -> Response {
    login_form_with(
        lang,
        (username, tenant),
        next,
        error.map(|e| t(lang, e).to_owned()),
    )
}

/// The sign-in form; `tenant`: the organisation signed in to, when the address names one.
fn login_form_with(
    lang: Lang,
    (username, tenant): (&str, Option<&Tenant>),
    next: &str,
    error: Option<String>,
) -> Response {
    login_page(lang, (username, tenant), next, error, None)
}

/// The sign-in page, with the single sign-on button when the tenant has a provider.
fn login_page(
    lang: Lang,
    (username, tenant): (&str, Option<&Tenant>),
    next: &str,
    error: Option<String>,
    sso: Option<maud::Markup>,
) -> Response {
    let title = t(lang, "page.login.title");
    page(
        lang,
        title,
        None,
        html! {
            div.card {
                h1 { (title) }
                @if let Some(t) = tenant { p.muted.tenant { (t.name) } }
                @if let Some(e) = error { p.error role="alert" { (e) } }
                form method="post" action="/login" {
                    input type="hidden" name="next" value=(next);
                    @if let Some(t) = tenant { input type="hidden" name="tenant" value=(t.slug); }
                    label for="username" { (t(lang, "page.login.username")) }
                    input #username name="username" value=(username) required autocomplete="username";
                    label for="password" { (t(lang, "page.login.password")) }
                    input #password type="password" name="password" required autocomplete="current-password";
                    p { button type="submit" { (t(lang, "page.login.submit")) } }
                }
                @if let Some(sso) = sso { (sso) }
            }
        },
    )
}

/// The sign-in page.
pub async fn show(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    PageLang(lang): PageLang,
    PageQuery(q): PageQuery<NextQuery>,
) -> Response {
    let tenant = tenant_named(&state, q.tenant.as_deref(), &headers).await;
    let next = safe_next(q.next.as_deref());
    let sso = sso_button(&state, lang, tenant.as_ref(), next).await;
    login_page(lang, ("", tenant.as_ref()), next, None, sso)
}

/// The single sign-on button, when the tenant (or the one tenant with a provider) has one.
async fn sso_button(
    state: &AppState,
    lang: Lang,
    tenant: Option<&Tenant>,
    next: &str,
) -> Option<maud::Markup> {
    let slug = tenant.map(|t| t.slug.as_str());
    let label = super::sso::offered(state, slug).await?;
    Some(super::sso::button(lang, &label, slug, next))
}

/// The sign-in page again after a refused password, saying why, with its single sign-on
/// button (the person may have meant to use it).
async fn refused(
    state: &AppState,
    lang: Lang,
    (username, tenant): (&str, Option<&Tenant>),
    next: &str,
    key: &str,
) -> Response {
    let sso = sso_button(state, lang, tenant, next).await;
    let error = Some(t(lang, key).to_owned());
    login_page(lang, (username, tenant), next, error, sso)
}

/// Signs in: the same checks and rate limit as the API; the session cookie, then the page
/// asked for. A refusal shows the form again with what was typed.
pub async fn submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: axum::http::HeaderMap,
    PageLang(lang): PageLang,
    Form(f): Form<LoginForm>,
) -> Response {
    let next = safe_next(f.next.as_deref()).to_owned();
    let now = state.clock.now();
    let tenant = tenant_named(&state, f.tenant.as_deref(), &headers).await;
    if let Some(text) = held_back(&state, lang, &ip, &f.username, now).await {
        return login_form_with(lang, (&f.username, tenant.as_ref()), &next, Some(text));
    }
    let user = match crate::directory::check_password(
        &state,
        tenant.as_ref().map(|t| t.slug.as_str()),
        &f.username,
        &f.password,
    )
    .await
    {
        Ok(Some(u)) => u,
        Ok(None) => {
            if let Some(burst) = state
                .limiter
                .failed(&state.store, &ip, &f.username, now)
                .await
            {
                crate::api::auth::report_burst(&state, burst).await;
            }
            let typed = (f.username.as_str(), tenant.as_ref());
            return refused(&state, lang, typed, &next, "error.bad_credentials").await;
        }
        Err(crate::directory::Refusal::Store(e)) => {
            tracing::error!(error = %e, "checking a sign-in failed");
            return login_form(
                lang,
                (&f.username, tenant.as_ref()),
                &next,
                Some("error.internal"),
            );
        }
        Err(refusal) => {
            let typed = (f.username.as_str(), tenant.as_ref());
            return refused(&state, lang, typed, &next, refusal.code().1).await;
        }
    };
    if user.two_factor {
        // The password was right: a pass for the code form, good for five minutes and for
        // nothing else, instead of carrying the password on.
        let pass = state
            .store
            .issue_token(
                &user,
                PENDING,
                chrono::Duration::minutes(5),
                now,
                &crate::extract::origin(&ip, &headers),
            )
            .await;
        return match pass {
            Ok(pass) => code_form(lang, &pass, &next, None),
            Err(e) => {
                tracing::error!(error = %e, "issuing a sign-in pass failed");
                login_form(
                    lang,
                    (&f.username, tenant.as_ref()),
                    &next,
                    Some("error.internal"),
                )
            }
        };
    }
    state.limiter.succeeded(&state.store, &f.username).await;
    let origin = crate::extract::origin(&ip, &headers);
    signed_in(&state, lang, &user, &f.username, &next, &origin).await
}

/// What to say when the sign-in guard holds this attempt back (a burst is reported); `None`:
/// go ahead.
async fn held_back(
    state: &AppState,
    lang: Lang,
    ip: &str,
    username: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<String> {
    let (wait, burst) = state
        .limiter
        .check(&state.store, ip, username, now)
        .await
        .err()?;
    if let Some(burst) = burst {
        crate::api::auth::report_burst(state, burst).await;
    }
    let secs = wait.0.num_seconds().max(1).to_string();
    Some(loopdesk_core::i18n::tf(
        lang,
        "error.rate_limited",
        &[("seconds", &secs)],
    ))
}

/// The kind of token that only lets its holder type their second factor's code.
pub const PENDING: &str = "two_factor_pending";

/// The session cookie for a user who has passed every check, then the page asked for.
pub(super) async fn signed_in(
    state: &AppState,
    lang: Lang,
    user: &loopdesk_store::User,
    username: &str,
    next: &str,
    origin: &loopdesk_store::TokenOrigin,
) -> Response {
    let ttl = state.config.session_ttl;
    let issued = state
        .store
        .issue_token(user, "session", ttl, state.clock.now(), origin)
        .await
        .inspect_err(|e| tracing::error!(error = %e, "issuing a session failed"));
    let Ok(token) = issued else {
        return login_form(lang, (username, None), next, Some("error.internal"));
    };
    let cookie = session_cookie(Some(&token), ttl, state.config.secure_cookies);
    ([(header::SET_COOKIE, cookie)], Redirect::to(next)).into_response()
}

/// The second step's form: the code of the user's app.
fn code_form(lang: Lang, pass: &str, next: &str, error: Option<&str>) -> Response {
    let title = t(lang, "page.login.two_factor");
    page(
        lang,
        title,
        None,
        html! {
            div.card {
                h1 { (title) }
                @if let Some(e) = error { p.error role="alert" { (t(lang, e)) } }
                form method="post" action="/login/two-factor" {
                    input type="hidden" name="next" value=(next);
                    input type="hidden" name="pass" value=(pass);
                    label for="totp" { (t(lang, "error.two_factor_required")) }
                    input #totp name="totp" inputmode="numeric" autocomplete="one-time-code"
                        pattern="[0-9 ]{6,7}" maxlength="7" required autofocus;
                    p { button type="submit" { (t(lang, "page.login.submit")) } }
                }
            }
        },
    )
}

/// The second step as posted.
#[derive(Deserialize)]
pub struct CodeForm {
    pass: String,
    totp: String,
    next: Option<String>,
}

/// Signs in with the pass of a right password and a code of the user's app; a wrong code
/// counts as a failed sign-in and shows the form again, an old or used pass the sign-in page.
pub async fn second_step(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: axum::http::HeaderMap,
    PageLang(lang): PageLang,
    Form(f): Form<CodeForm>,
) -> Response {
    let next = safe_next(f.next.as_deref()).to_owned();
    let now = state.clock.now();
    let held = match state.store.authenticate(&f.pass, now).await {
        Ok(Some(a)) if a.kind == PENDING => a,
        Ok(_) => return login_form(lang, ("", None), &next, Some("error.unauthorized")),
        Err(e) => {
            tracing::error!(error = %e, "checking a sign-in pass failed");
            return login_form(lang, ("", None), &next, Some("error.internal"));
        }
    };
    let user = held.user;
    if let Some(text) = held_back(&state, lang, &ip, &user.username, now).await {
        return login_form_with(lang, (&user.username, None), &next, Some(text));
    }
    match crate::api::auth::second_factor(&state, &ip, &user.username, &user, Some(&f.totp)).await {
        Ok(()) => {}
        Err(e) if e.status() == axum::http::StatusCode::UNAUTHORIZED => {
            return code_form(lang, &f.pass, &next, Some("error.bad_two_factor"));
        }
        Err(e) => {
            tracing::error!(error = ?e, "checking a second factor failed");
            return login_form(lang, (&user.username, None), &next, Some("error.internal"));
        }
    }
    // The pass is spent.
    if let Err(e) = state.store.revoke_token(&f.pass, now).await {
        tracing::warn!(error = %e, "revoking a sign-in pass failed");
    }
    state.limiter.succeeded(&state.store, &user.username).await;
    let origin = crate::extract::origin(&ip, &headers);
    signed_in(&state, lang, &user, &user.username, &next, &origin).await
}

/// Signs out: the session ends everywhere.
pub async fn logout(State(state): State<AppState>, PageUser { user, .. }: PageUser) -> Response {
    if let Err(e) = state
        .store
        .revoke_token(&user.token, state.clock.now())
        .await
    {
        tracing::warn!(error = %e, "revoking a session on sign-out failed");
    }
    state.sessions.forget(&user.token);
    let cookie = session_cookie(None, state.config.session_ttl, state.config.secure_cookies);
    ([(header::SET_COOKIE, cookie)], Redirect::to("/login")).into_response()
}

/// The start page: each role's own.
pub async fn home(PageUser { user, lang }: PageUser) -> Response {
    let roles = &user.auth.user.roles;
    if roles.contains(&Role::Customer) {
        return Redirect::to("/portal").into_response();
    }
    if roles.contains(&Role::Admin) {
        return Redirect::to("/admin").into_response();
    }
    if roles.contains(&Role::Engineer) {
        return Redirect::to("/m").into_response();
    }
    if roles
        .iter()
        .any(|r| matches!(r, Role::Agent | Role::Dispatcher))
    {
        return Redirect::to("/desk").into_response();
    }
    if roles.contains(&Role::Supervisor) {
        return Redirect::to("/review").into_response();
    }
    if roles.contains(&Role::Manager) {
        return Redirect::to("/dashboard").into_response();
    }
    let title = t(lang, "page.home.title");
    page(
        lang,
        title,
        Some(&user.auth.user),
        html! {
            h1 { (title) }
            p.muted { (t(lang, "page.home.staff")) }
        },
    )
}
