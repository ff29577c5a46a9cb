//! Administration (admins): people and their roles, regions, teams, and request categories
//! with the fields their requests must fill in.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use loopdesk_core::access::{self, Permission};
use loopdesk_core::i18n::{t, tf, Lang};
use loopdesk_core::intake::NewCategory;
use loopdesk_core::{RegionId, Role, Roles, Status, TeamId, UserId};
use loopdesk_store::{NewUser, StoreError, TicketFilter, User, UserEdit};
use maud::html;
use serde::Deserialize;

use super::layout::{page, PageUser};
use crate::extract::CurrentUser;
use crate::state::AppState;

async fn admin_page(user: &CurrentUser, lang: Lang, error: Option<(&str, &str)>) -> Response {
    if !access::allowed(&user.actor, Permission::ManageUsers) {
        return super::failure(lang, &StoreError::Forbidden);
    }
    let (users, regions, teams, categories) = match (
        user.tenant.users(None).await,
        user.tenant.regions().await,
        user.tenant.teams().await,
        user.tenant.categories().await,
    ) {
        (Ok(u), Ok(r), Ok(t), Ok(c)) => (u, r, t, c),
        (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (.., Err(e)) => {
            return super::failure(lang, &e)
        }
    };
    let err = |form: &str| match error {
        Some((f, reason)) if f == form => {
            html! { p.field-error role="alert" { (t(lang, reason)) } }
        }
        _ => html! {},
    };
    let title = t(lang, "page.admin.title");
    let mut res = page(
        lang,
        title,
        Some(&user.auth.user),
        html! {
            h1 { (title) }
            nav.views {
                a href="/admin/sla" { (t(lang, "page.sla.title")) }
                a href="/admin/channels" { (t(lang, "page.channels.title")) }
                a href="/admin/webhooks" { (t(lang, "page.hooks.title")) }
                a href="/admin/settings" { (t(lang, "page.settings.title")) }
                a href="/admin/regions" { (t(lang, "page.regions.title")) }
                a href="/admin/import-tickets" { (t(lang, "page.ticket_import.title")) }
                a href="/admin/audit" { (t(lang, "page.audit.title")) }
                a href="/customers" { (t(lang, "page.customers.title")) }
                a href="/stock" { (t(lang, "page.stock.title")) }
            }
            h2 { (t(lang, "page.admin.users")) }
            table {
                tbody {
                    @for u in &users {
                        tr {
                            td { a href={ "/admin/users/" (u.id) } { (u.username) } }
                            td { (u.display_name) }
                            td { @for r in &u.roles { span.badge { (t(lang, &format!("role.{}", r.as_str()))) } " " } }
                            td { @if !u.active { span.badge.breached { (t(lang, "page.admin.inactive")) } } }
                        }
                    }
                }
            }
            form.card method="post" action="/admin/users" {
                label for="username" { (t(lang, "page.login.username")) }
                input #username name="username" required;
                label for="display_name" { (t(lang, "page.admin.display_name")) }
                input #display_name name="display_name";
                label for="password" { (t(lang, "page.login.password")) }
                input #password name="password" type="password" required autocomplete="new-password";
                fieldset {
                    legend { (t(lang, "page.admin.roles")) }
                    @for r in Role::ALL {
                        label { input type="checkbox" name="role" value=(r.as_str()); " " (t(lang, &format!("role.{}", r.as_str()))) }
                    }
                }
                label for="team" { (t(lang, "page.admin.team")) }
                select #team name="team_id" { option value="" { "—" } @for (id, name) in &teams { option value=(id) { (name) } } }
                label for="region" { (t(lang, "page.admin.region")) }
                select #region name="region_id" { option value="" { "—" } @for (id, name) in &regions { option value=(id) { (name) } } }
                (err("users"))
                p { button type="submit" { (t(lang, "page.admin.add")) } }
            }
            h2 { (t(lang, "page.admin.regions")) }
            p { @for (_, name) in &regions { span.badge { (name) } " " } " " a href="/admin/regions" { (t(lang, "page.regions.title")) } }
            form.card method="post" action="/admin/regions" {
                label for="region_name" { (t(lang, "page.admin.name")) }
                input #region_name name="name" required;
                (err("regions"))
                p { button type="submit" { (t(lang, "page.admin.add")) } }
            }
            h2 { (t(lang, "page.admin.teams")) }
            p { @for (_, name) in &teams { span.badge { (name) } " " } }
            form.card method="post" action="/admin/teams" {
                label for="team_name" { (t(lang, "page.admin.name")) }
                input #team_name name="name" required;
                label for="team_region" { (t(lang, "page.admin.region")) }
                select #team_region name="region_id" { option value="" { "—" } @for (id, name) in &regions { option value=(id) { (name) } } }
                (err("teams"))
                p { button type="submit" { (t(lang, "page.admin.add")) } }
            }
            h2 { (t(lang, "page.admin.categories")) }
            ul { @for c in &categories { li { (c.name) " (" (c.code) "): " (c.required_fields.join("、")) } } }
            form.card method="post" action="/admin/categories" {
                label for="code" { (t(lang, "page.admin.code")) }
                input #code name="code" required pattern="[a-z0-9_-]+";
                label for="category_name" { (t(lang, "page.admin.name")) }
                input #category_name name="name" required;
                label for="fields" { (t(lang, "page.admin.fields")) }
                input #fields name="fields" placeholder="设备型号, 故障现象";
                label { input type="checkbox" name="requires_review" value="1"; " " (t(lang, "page.admin.review")) }
                (err("categories"))
                p { button type="submit" { (t(lang, "page.admin.add")) } }
            }
        },
    );
    if error.is_some() {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    res
}

/// The administration page.
pub async fn show(PageUser { user, lang }: PageUser) -> Response {
    admin_page(&user, lang, None).await
}

fn done(result: Result<(), StoreError>) -> Result<Response, StoreError> {
    result.map(|()| Redirect::to("/admin").into_response())
}

async fn answer(
    user: &CurrentUser,
    lang: Lang,
    form: &str,
    result: Result<(), StoreError>,
) -> Response {
    match done(result) {
        Ok(r) => r,
        Err(StoreError::Invalid(e)) => admin_page(user, lang, Some((form, e.reason))).await,
        Err(StoreError::Conflict { .. }) => {
            admin_page(user, lang, Some((form, "error.conflict"))).await
        }
        Err(e) => super::failure(lang, &e),
    }
}

fn opt<T>(text: Option<&str>, parse: fn(&str) -> Option<T>) -> Option<T> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .and_then(parse)
}

/// A person to add. Roles come as repeated `role` fields.
pub async fn add_user(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    body: axum::body::Bytes,
) -> Response {
    if !access::allowed(&user.actor, Permission::ManageUsers) {
        return super::failure(lang, &StoreError::Forbidden);
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let roles: Roles = pairs
        .iter()
        .filter(|(n, _)| n == "role")
        .filter_map(|(_, v)| Role::parse(v))
        .collect();
    let new = NewUser {
        username: get("username").unwrap_or("").to_owned(),
        password: get("password").unwrap_or("").to_owned(),
        roles,
        display_name: get("display_name")
            .map(str::to_owned)
            .filter(|d| !d.trim().is_empty()),
        customer_id: None,
        team_id: opt(get("team_id"), TeamId::parse),
        region_id: opt(get("region_id"), RegionId::parse),
        email: None,
        notify_channel: None,
        lang: None,
    };
    let result = user
        .tenant
        .create_user(new, state.clock.now())
        .await
        .map(|_| ());
    answer(&user, lang, "users", result).await
}

/// The page for those who may not change the organisation.
fn organiser_only(user: &CurrentUser, lang: Lang) -> Option<Response> {
    (!access::allowed(&user.actor, Permission::ManageOrganisation))
        .then(|| super::failure(lang, &StoreError::Forbidden))
}

/// A region or team to add.
#[derive(Deserialize)]
pub struct NamedForm {
    name: String,
    region_id: Option<String>,
}

/// Adds a region.
pub async fn add_region(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Form(f): Form<NamedForm>,
) -> Response {
    if let Some(no) = organiser_only(&user, lang) {
        return no;
    }
    let result = user
        .tenant
        .create_region(&f.name, state.clock.now())
        .await
        .map(|_| ());
    answer(&user, lang, "regions", result).await
}

/// Adds a team.
pub async fn add_team(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Form(f): Form<NamedForm>,
) -> Response {
    if let Some(no) = organiser_only(&user, lang) {
        return no;
    }
    let region = opt(f.region_id.as_deref(), RegionId::parse);
    let result = user
        .tenant
        .create_team(&f.name, region, state.clock.now())
        .await
        .map(|_| ());
    answer(&user, lang, "teams", result).await
}

/// A category to add; its fields separated by commas.
#[derive(Deserialize)]
pub struct CategoryForm {
    code: String,
    name: String,
    fields: Option<String>,
    requires_review: Option<String>,
}

/// Adds a request category.
pub async fn add_category(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Form(f): Form<CategoryForm>,
) -> Response {
    let new = NewCategory {
        code: f.code,
        name: f.name,
        required_fields: loopdesk_core::validate::split_list(f.fields.as_deref().unwrap_or("")),
        requires_review: f.requires_review.is_some(),
    };
    let result = user
        .tenant
        .create_category(&user.actor, new, state.clock.now())
        .await
        .map(|_| ());
    answer(&user, lang, "categories", result).await
}

/// One person's page (admins): roles, team, region, name and e-mail; deactivate or bring
/// back; a new one-time password; their open tickets, to hand on.
pub async fn user_page(PageUser { user, lang }: PageUser, Path(id): Path<String>) -> Response {
    let Some(id) = UserId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    person_page(&user, lang, id, None, None).await
}

async fn person_page(
    user: &CurrentUser,
    lang: Lang,
    id: UserId,
    error: Option<(&str, &str)>,
    password: Option<&str>,
) -> Response {
    if !access::allowed(&user.actor, Permission::ManageUsers) {
        return super::failure(lang, &StoreError::Forbidden);
    }
    let open = TicketFilter {
        assignee_id: Some(id),
        status: Status::OPEN.to_vec(),
        limit: Some(100),
        ..TicketFilter::default()
    };
    let (person, regions, teams, tickets) = match (
        user.tenant.user(id).await,
        user.tenant.regions().await,
        user.tenant.teams().await,
        user.tenant.tickets_for(&user.actor, &open).await,
    ) {
        (Ok(p), Ok(r), Ok(t), Ok(k)) => (p, r, t, k.items),
        (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (.., Err(e)) => {
            return super::failure(lang, &e)
        }
    };
    let mut res = page(
        lang,
        &person.display_name,
        Some(&user.auth.user),
        person_body(lang, &person, &regions, &teams, &tickets, error, password),
    );
    if error.is_some() {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    res
}

fn person_body(
    lang: Lang,
    p: &User,
    regions: &[(RegionId, String)],
    teams: &[(TeamId, String)],
    tickets: &[loopdesk_store::Ticket],
    error: Option<(&str, &str)>,
    password: Option<&str>,
) -> maud::Markup {
    let base = format!("/admin/users/{}", p.id);
    html! {
        p.muted { a href="/admin" { (t(lang, "page.admin.title")) } }
        h1 {
            (p.display_name) " " span.muted { "@" (p.username) }
            @if !p.active { " " span.badge.breached { (t(lang, "page.admin.inactive")) } }
        }
        @if let Some(pw) = password {
            div.notice role="status" {
                p { (t(lang, "page.admin.new_password")) }
                p { code.one-time { (pw) } }
            }
        }
        @if let Some((field, reason)) = error {
            p.error role="alert" { (super::field_label(lang, field)) ": " (t(lang, reason)) }
        }
        form.card method="post" action=(base) {
            label for="display_name" { (t(lang, "page.admin.display_name")) }
            input #display_name name="display_name" required maxlength="200" value=(p.display_name);
            label for="email" { (t(lang, "page.customers.email")) }
            input #email name="email" type="email" value=(p.email.as_deref().unwrap_or(""));
            fieldset {
                legend { (t(lang, "page.admin.roles")) }
                @for r in Role::ALL {
                    label.check {
                        input type="checkbox" name="role" value=(r.as_str()) checked[p.roles.contains(&r)];
                        " " (t(lang, &format!("role.{}", r.as_str())))
                    }
                }
            }
            label for="team" { (t(lang, "page.admin.team")) }
            select #team name="team_id" {
                option value="" { "—" }
                @for (id, name) in teams { option value=(id) selected[p.team_id == Some(*id)] { (name) } }
            }
            label for="region" { (t(lang, "page.admin.region")) }
            select #region name="region_id" {
                option value="" { "—" }
                @for (id, name) in regions { option value=(id) selected[p.region_id == Some(*id)] { (name) } }
            }
            p { button type="submit" { (t(lang, "page.desk.save")) } }
        }
        div.actions {
            form method="post" action={ (base) "/password" } {
                button.quiet type="submit" { (t(lang, "page.admin.reset_password")) }
            }
            form method="post" action={ (base) "/active" } {
                input type="hidden" name="active" value=(if p.active { "0" } else { "1" });
                @if p.active {
                    button.danger type="submit" { (t(lang, "page.admin.deactivate")) }
                } @else {
                    button type="submit" { (t(lang, "page.admin.reactivate")) }
                }
            }
        }
        h2 { (tf(lang, "page.desk.open_tickets", &[("count", &tickets.len().to_string())])) }
        @if tickets.is_empty() { p.muted { "—" } } @else {
            @if !p.active { p.notice { (t(lang, "page.admin.hand_on")) } }
            ul.events {
                @for tk in tickets {
                    li {
                        a href={ "/t/" (tk.id) } { (tk.number) } " " (tk.subject) " "
                        span.badge { (t(lang, tk.status.label_key())) } " "
                        a href={ "/dispatch/t/" (tk.id) } { (t(lang, "page.admin.reassign")) }
                    }
                }
            }
        }
    }
}

async fn person_answer(
    user: &CurrentUser,
    lang: Lang,
    id: UserId,
    result: Result<(), StoreError>,
) -> Response {
    match result {
        Ok(()) => Redirect::to(&format!("/admin/users/{id}")).into_response(),
        Err(StoreError::Invalid(e)) => {
            person_page(user, lang, id, Some((e.field, e.reason)), None).await
        }
        Err(e) => super::failure(lang, &e),
    }
}

/// Saves a person's roles, team, region, name and e-mail. Roles come as repeated `role`
/// fields; none at all is refused.
pub async fn edit_user(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    if !access::allowed(&user.actor, Permission::ManageUsers) {
        return super::failure(lang, &StoreError::Forbidden);
    }
    let Some(id) = UserId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let roles: Roles = pairs
        .iter()
        .filter(|(n, _)| n == "role")
        .filter_map(|(_, v)| Role::parse(v))
        .collect();
    let edit = UserEdit {
        display_name: get("display_name").map(str::to_owned),
        roles: Some(roles),
        team_id: Some(opt(get("team_id"), TeamId::parse)),
        region_id: Some(opt(get("region_id"), RegionId::parse)),
        email: Some(get("email").map(str::to_owned)),
        active: None,
    };
    let result = user
        .tenant
        .edit_user(&user.actor, id, edit, state.clock.now())
        .await
        .map(|_| state.sessions.forget_user(id));
    person_answer(&user, lang, id, result).await
}

/// Deactivate (`active=0`) or bring back (`active=1`).
#[derive(Deserialize)]
pub struct ActiveForm {
    active: String,
}

/// Deactivates a person (every session ends; their open tickets are listed to hand on) or
/// brings them back.
pub async fn set_active(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
    Form(f): Form<ActiveForm>,
) -> Response {
    if !access::allowed(&user.actor, Permission::ManageUsers) {
        return super::failure(lang, &StoreError::Forbidden);
    }
    let Some(id) = UserId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let edit = UserEdit {
        active: Some(f.active == "1"),
        ..UserEdit::default()
    };
    let result = user
        .tenant
        .edit_user(&user.actor, id, edit, state.clock.now())
        .await
        .map(|_| state.sessions.forget_user(id));
    person_answer(&user, lang, id, result).await
}

/// Makes a new one-time password and shows it on the person's page, this once (the answer is
/// not cached, and a reload does not show it again).
pub async fn reset_password(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
) -> Response {
    if !access::allowed(&user.actor, Permission::ManageUsers) {
        return super::failure(lang, &StoreError::Forbidden);
    }
    let Some(id) = UserId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    match user
        .tenant
        .reset_password(&user.actor, id, state.clock.now())
        .await
    {
        Ok(pw) => {
            state.sessions.forget_user(id);
            let mut res = person_page(&user, lang, id, None, Some(&pw)).await;
            res.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            );
            res
        }
        Err(StoreError::Invalid(e)) => {
            person_page(&user, lang, id, Some((e.field, e.reason)), None).await
        }
        Err(e) => super::failure(lang, &e),
    }
}
