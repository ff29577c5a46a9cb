//! `/account/security`: a user's second factor — set up an authenticator app from a QR code
//! and a first code, or turn it off with a code — and, for admins, the roles that must have
//! one. The second step of signing in (`/login/two-factor`) is in [`super::session`].

use std::collections::HashMap;

use axum::extract::{Form, State};
use axum::response::{IntoResponse, Redirect, Response};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::i18n::{t, Lang};
use loopdesk_core::Role;
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;

use super::layout::{page, PageQuery, PageUser};
use crate::api::two_factor;
use crate::error::ApiError;
use crate::extract::CurrentUser;
use crate::state::AppState;

/// What the page was sent back with.
#[derive(Deserialize, Default)]
pub struct Shown {
    done: Option<String>,
}

/// A code typed into a form.
#[derive(Deserialize)]
pub struct CodeForm {
    totp: String,
}

/// The roles an admin may require a second factor of.
const STAFF: [Role; 6] = [
    Role::Admin,
    Role::Manager,
    Role::Supervisor,
    Role::Dispatcher,
    Role::Agent,
    Role::Engineer,
];

/// The page, with a note or an error at the top and, while enrolling, the app's QR code.
async fn render(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    note: Option<&str>,
    error: Option<String>,
    enrolling: Option<two_factor::Enrolment>,
) -> Response {
    let me = &user.auth.user;
    let required_roles = user.tenant.two_factor_roles().await.unwrap_or_default();
    let required =
        loopdesk_core::totp::required(required_roles, me.roles.iter().copied().collect());
    let admin = access::allowed(&user.actor, Permission::ManageUsers);
    let offset = user
        .tenant
        .utc_offset()
        .await
        .unwrap_or_else(|_| chrono::Offset::fix(&chrono::Utc));
    let sessions = user
        .tenant
        .sessions_of(me.id, &user.token, state.clock.now())
        .await
        .unwrap_or_default();
    let title = t(lang, "page.security.title");
    let code_input = |id: &str| {
        html! {
            input id=(id) name="totp" inputmode="numeric" autocomplete="one-time-code"
                pattern="[0-9 ]{6,7}" maxlength="7" required;
        }
    };
    let body = html! {
        h1 { (title) }
        @if let Some(n) = note { p.ok role="status" { (t(lang, n)) } }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        section.card {
            h2 { (t(lang, "page.security.two_factor")) }
            @if me.two_factor {
                p { (t(lang, "page.security.on")) }
                form method="post" action="/account/security/off" {
                    label for="off-code" { (t(lang, "page.security.code")) }
                    (code_input("off-code"))
                    p { button.quiet type="submit" { (t(lang, "page.security.turn_off")) } }
                }
            } @else if let Some(e) = &enrolling {
                p { (t(lang, "page.security.scan")) }
                div.qr { (PreEscaped(crate::label::qr_svg(&e.uri, 200).unwrap_or_default())) }
                p { (t(lang, "page.security.or_type")) " " code #totp-secret { (grouped(&e.secret)) } }
                form method="post" action="/account/security/confirm" {
                    label for="confirm-code" { (t(lang, "page.security.code")) }
                    (code_input("confirm-code"))
                    p { button type="submit" { (t(lang, "page.security.confirm")) } }
                }
            } @else {
                p {
                    (t(lang, "page.security.off"))
                    @if required { " " strong { (t(lang, "error.two_factor_setup_required")) } }
                }
                form method="post" action="/account/security/enrol" {
                    button type="submit" { (t(lang, "page.security.enrol")) }
                }
            }
        }
        section.card {
            h2 { (t(lang, "page.security.password")) }
            form method="post" action="/account/password" {
                label for="current_password" { (t(lang, "page.security.current_password")) }
                input #current_password type="password" name="current_password" required autocomplete="current-password";
                label for="new_password" { (t(lang, "page.security.new_password")) }
                input #new_password type="password" name="new_password" required minlength="8" autocomplete="new-password";
                label for="new_again" { (t(lang, "page.security.new_again")) }
                input #new_again type="password" name="new_again" required minlength="8" autocomplete="new-password";
                p { button type="submit" { (t(lang, "page.security.change_password")) } }
            }
        }
        section.card {
            h2 { (t(lang, "page.security.sessions")) }
            table.sessions {
                thead { tr {
                    th { (t(lang, "page.security.signed_in_at")) }
                    th { (t(lang, "page.security.from")) }
                    th { (t(lang, "page.security.device")) }
                    th {}
                } }
                tbody {
                    @for s in &sessions {
                        tr {
                            td { (s.created_at.with_timezone(&offset).format("%Y-%m-%d %H:%M")) }
                            td { (s.client_ip.as_deref().unwrap_or("")) }
                            td { small.muted { (s.user_agent.as_deref().unwrap_or("")) } }
                            td {
                                @if s.current {
                                    strong { (t(lang, "page.security.this_one")) }
                                } @else {
                                    form method="post" action={ "/account/sessions/" (s.id) "/end" } {
                                        button.link type="submit" { (t(lang, "page.security.end")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if sessions.len() > 1 {
                form method="post" action="/account/sessions/end-others" {
                    button.quiet type="submit" { (t(lang, "page.security.end_others")) }
                }
            }
        }
        @if admin {
            section.card {
                h2 { (t(lang, "page.security.required_roles")) }
                p.muted { (t(lang, "page.security.required_hint")) }
                form method="post" action="/admin/security/roles" {
                    div.checks {
                        @for r in STAFF {
                            label {
                                input type="checkbox" name={ "role_" (r.as_str()) } value="on"
                                    checked[required_roles.has(r)];
                                " " (t(lang, &format!("role.{}", r.as_str())))
                            }
                        }
                    }
                    p { button type="submit" { (t(lang, "page.desk.save")) } }
                }
            }
            section.card {
                h2 { (t(lang, "page.directory.title")) }
                p.muted { (t(lang, "page.directory.intro")) }
                p { a href="/admin/directory" { (t(lang, "page.directory.open")) } }
            }
            section.card {
                h2 { (t(lang, "page.sso.title")) }
                p.muted { (t(lang, "page.sso.intro")) }
                p { a href="/admin/sso" { (t(lang, "page.sso.open")) } }
            }
        }
    };
    page(lang, title, Some(me), wrap(body))
}

fn wrap(body: Markup) -> Markup {
    html! { div.narrow { (body) } }
}

/// A base32 secret in groups of four, as people copy it.
fn grouped(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The page.
pub async fn show(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    PageQuery(shown): PageQuery<Shown>,
) -> Response {
    let note = match shown.done.as_deref() {
        Some("on") => Some("page.security.done_on"),
        Some("off") => Some("page.security.done_off"),
        Some("roles") => Some("page.settings.saved"),
        Some("ended") => Some("page.security.ended"),
        Some("password") => Some("page.security.password_changed"),
        _ => None,
    };
    render(&state, &user, lang, note, None, None).await
}

/// Begins enrolling: the page with the app's QR code and a field for the first code.
pub async fn enrol(State(state): State<AppState>, PageUser { user, lang }: PageUser) -> Response {
    match two_factor::begin(&user).await {
        Ok(e) => render(&state, &user, lang, None, None, Some(e)).await,
        Err(e) => render(&state, &user, lang, None, Some(e.plain_message(lang)), None).await,
    }
}

/// After a change: back to the page saying what was done (`done`), or the page with what
/// went wrong. The user's cached sign-in is dropped either way (what it says may have changed).
async fn settle(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    outcome: Result<&str, ApiError>,
) -> Response {
    state.sessions.forget_user(user.auth.user.id);
    match outcome {
        Ok(done) => Redirect::to(&format!("/account/security?done={done}")).into_response(),
        Err(e) => render(state, user, lang, None, Some(e.plain_message(lang)), None).await,
    }
}

/// A code that was not good, said without naming the field.
fn bad_code() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        "bad_two_factor",
        "error.bad_two_factor",
    )
}

/// Confirms the enrolment with a first code.
pub async fn confirm(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Form(f): Form<CodeForm>,
) -> Response {
    let me = user.auth.user.id;
    let outcome = match user
        .tenant
        .confirm_two_factor(me, &f.totp, state.clock.now())
        .await
    {
        Ok(true) => Ok("on"),
        Ok(false) => Err(bad_code()),
        Err(e) => Err(e.into()),
    };
    settle(&state, &user, lang, outcome).await
}

/// Turns the second factor off with a current code.
pub async fn off(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Form(f): Form<CodeForm>,
) -> Response {
    let me = user.auth.user.id;
    let tenant = &user.tenant;
    let outcome = match tenant
        .take_two_factor_code(me, &f.totp, state.clock.now())
        .await
    {
        Ok(loopdesk_store::CodeCheck::Refused) => Err(bad_code()),
        Ok(_) => tenant
            .clear_two_factor(me)
            .await
            .map(|()| "off")
            .map_err(ApiError::from),
        Err(e) => Err(e.into()),
    };
    settle(&state, &user, lang, outcome).await
}

/// Sets the roles that must have a second factor (admins).
pub async fn set_roles(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Form(ticked): Form<HashMap<String, String>>,
) -> Response {
    let names: Vec<String> = ticked
        .keys()
        .filter_map(|k| k.strip_prefix("role_"))
        .map(str::to_owned)
        .collect();
    let outcome = match loopdesk_core::totp::required_roles(&names)
        .map_err(|e| ApiError::from(loopdesk_store::StoreError::from(e)))
    {
        Ok(roles) => user
            .tenant
            .set_two_factor_roles(&user.actor, roles)
            .await
            .map(|()| "roles")
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    settle(&state, &user, lang, outcome).await
}

/// Ends one of the user's other sessions.
pub async fn end_session(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    let me = user.auth.user.id;
    let outcome = user
        .tenant
        .end_session(me, &id, state.clock.now())
        .await
        .map(|()| "ended")
        .map_err(ApiError::from);
    settle(&state, &user, lang, outcome).await
}

/// Ends every session of the user but this one.
pub async fn end_others(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
) -> Response {
    let me = user.auth.user.id;
    let outcome = user
        .tenant
        .end_other_sessions(me, Some(&user.token), state.clock.now())
        .await
        .map(|_| "ended")
        .map_err(ApiError::from);
    settle(&state, &user, lang, outcome).await
}

/// A change of one's password as posted.
#[derive(Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    new_again: String,
}

/// Changes the user's password; every other session of theirs ends.
pub async fn change_password(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Form(f): Form<PasswordForm>,
) -> Response {
    let outcome = if f.new_password == f.new_again {
        user.tenant
            .change_password(
                user.auth.user.id,
                &f.current_password,
                &f.new_password,
                &user.token,
                state.clock.now(),
            )
            .await
            .map(|()| "password")
            .map_err(ApiError::from)
    } else {
        Err(ApiError::invalid("new_again", "error.passwords_differ"))
    };
    settle(&state, &user, lang, outcome).await
}
