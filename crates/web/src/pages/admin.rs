//! Administration (admins): people and their roles, regions, teams, and request categories
//! with the fields their requests must fill in.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use loopdesk_core::access::{self, Permission};
use loopdesk_core::i18n::{t, Lang};
use loopdesk_core::intake::NewCategory;
use loopdesk_core::{RegionId, Role, Roles, TeamId};
use loopdesk_store::{NewUser, StoreError};
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
            h2 { (t(lang, "page.admin.users")) }
            table {
                tbody {
                    @for u in &users {
                        tr {
                            td { (u.username) }
                            td { (u.display_name) }
                            td { @for r in &u.roles { span.badge { (t(lang, &format!("role.{}", r.as_str()))) } " " } }
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
            p { @for (_, name) in &regions { span.badge { (name) } " " } }
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
        required_fields: f
            .fields
            .unwrap_or_default()
            .split([',', '，', '、'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        requires_review: f.requires_review.is_some(),
    };
    let result = user
        .tenant
        .create_category(&user.actor, new, state.clock.now())
        .await
        .map(|_| ());
    answer(&user, lang, "categories", result).await
}
