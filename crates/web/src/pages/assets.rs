//! The asset card page, and where a scanned QR label leads: a customer to a request for that
//! asset (报修), staff and engineers to the asset card.

use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use loopdesk_core::asset::AssetStatus;
use loopdesk_core::i18n::{t, Lang};
use loopdesk_core::{AssetId, Role};
use loopdesk_store::{AssetCard, StoreError};
use maud::{html, Markup};

use super::layout::{page, PageUser};

const STATUSES: [AssetStatus; 3] = [
    AssetStatus::InService,
    AssetStatus::OutOfService,
    AssetStatus::Decommissioned,
];

fn card(lang: Lang, offset: chrono::FixedOffset, c: &AssetCard, may_write: bool) -> Markup {
    let a = &c.asset;
    let h = &c.history;
    html! {
        h1 { (a.model) " · " (a.serial) }
        div.card {
            @if let Some(p) = &c.product { p { strong { (p.name) } @if let Some(line) = &p.product_line { " · " (line) } } }
            p {
                (t(lang, "page.asset.installed")) ": " (a.installed_on.as_deref().unwrap_or("—"))
                " · " (t(lang, "page.asset.warranty_until")) ": " (a.warranty_until.as_deref().unwrap_or("—"))
            }
            @if let Some(w) = &c.warranty { p { span.badge { (t(lang, &format!("page.warranty.{w}"))) } } }
            @if let Some(m) = a.meter { p { (t(lang, "page.asset.meter")) ": " (m) } }
            p.muted { (t(lang, &format!("page.asset.status.{}", a.status.as_str()))) }
            @if may_write {
                form.inline method="post" action={ "/assets/" (a.id) "/status" } {
                    label for="asset-status" { (t(lang, "page.asset.change_status")) }
                    select #asset-status name="status" {
                        @for s in STATUSES {
                            option value=(s.as_str()) selected[s == a.status] { (t(lang, &format!("page.asset.status.{}", s.as_str()))) }
                        }
                    }
                    button.quiet type="submit" { (t(lang, "page.desk.save")) }
                }
            }
        }
        h2 { (t(lang, "page.asset.tickets")) }
        table {
            tbody {
                @for tk in &h.tickets {
                    tr {
                        td { a href={ "/t/" (tk.id) } { (tk.number) } }
                        td { (tk.subject) }
                        td.wide { (super::local_time(offset, tk.created_at)) }
                    }
                }
            }
        }
        h2 { (t(lang, "page.asset.parts")) }
        @if h.parts.is_empty() { p.muted { "—" } }
        ul.events {
            @for p in &h.parts {
                li { span.muted { (super::local_time(offset, p.at)) " " } (p.name) " (" (p.sku) ") × " (p.qty) }
            }
        }
        h2 { (t(lang, "page.asset.readings")) }
        @if h.readings.is_empty() { p.muted { "—" } }
        ul.events {
            @for r in &h.readings {
                li { span.muted { (super::local_time(offset, r.at)) " " } (r.value) }
            }
        }
        p { a href={ "/api/v1/assets/" (a.id) "/label.svg" } { (t(lang, "page.asset.label")) } }
    }
}

async fn show_card(
    user: &crate::extract::CurrentUser,
    lang: Lang,
    id: AssetId,
    now: chrono::DateTime<chrono::Utc>,
) -> Response {
    let c = match user.tenant.asset_card(&user.actor, id, now).await {
        Ok(c) => c,
        Err(e) => return super::failure(lang, &e),
    };
    match user.tenant.utc_offset().await {
        Ok(offset) => page(
            lang,
            &c.asset.serial,
            Some(&user.auth.user),
            card(
                lang,
                offset,
                &c,
                loopdesk_core::access::allowed(
                    &user.actor,
                    loopdesk_core::access::Permission::WriteCustomers,
                ),
            ),
        ),
        Err(e) => super::failure(lang, &e),
    }
}

/// The asset card.
pub async fn show(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
) -> Response {
    let Some(id) = AssetId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    show_card(&user, lang, id, state.clock.now()).await
}

/// A scanned label: a customer reports a fault on the asset; anyone else sees its card.
pub async fn scan(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    PageUser { user, lang }: PageUser,
    Path(token): Path<String>,
) -> Response {
    let a = match user.tenant.asset_by_token(&user.actor, &token).await {
        Ok(a) => a,
        Err(e) => return super::failure(lang, &e),
    };
    if user.auth.user.roles.contains(&Role::Customer) {
        return Redirect::to(&format!("/portal/new?asset={}", a.id)).into_response();
    }
    show_card(&user, lang, a.id, state.clock.now()).await
}

/// The equipment list's search, filter and page.
#[derive(serde::Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    status: Option<String>,
    after: Option<String>,
}

/// The equipment list (staff): every asset by serial number, searched by serial, model or
/// customer, filtered by status, 50 a page.
pub async fn list(
    PageUser { user, lang }: PageUser,
    super::layout::PageQuery(q): super::layout::PageQuery<ListQuery>,
) -> Response {
    let status = q.status.as_deref().and_then(AssetStatus::parse);
    let text = q.q.clone().unwrap_or_default();
    let after = q.after.as_deref().map(str::trim).filter(|a| !a.is_empty());
    let found = match user
        .tenant
        .asset_page(&user.actor, &text, status, after, 50)
        .await
    {
        Ok(f) => f,
        Err(e) => return super::failure(lang, &e),
    };
    let mut filters = Vec::new();
    if !text.trim().is_empty() {
        filters.push(("q", text.trim().to_owned()));
    }
    if let Some(s) = status {
        filters.push(("status", s.as_str().to_owned()));
    }
    let filters = serde_urlencoded::to_string(&filters).unwrap_or_default();
    let title = t(lang, "page.asset.list");
    page(
        lang,
        title,
        Some(&user.auth.user),
        html! {
            h1 { (title) }
            form.filters method="get" action="/assets" role="search" {
                input type="search" name="q" value=(text) placeholder=(t(lang, "page.asset.search")) aria-label=(t(lang, "page.asset.search"));
                select name="status" aria-label=(t(lang, "page.hooks.status")) {
                    option value="" { (t(lang, "page.desk.any")) }
                    @for s in STATUSES { option value=(s.as_str()) selected[Some(s) == status] { (t(lang, &format!("page.asset.status.{}", s.as_str()))) } }
                }
                button type="submit" { (t(lang, "page.desk.filter")) }
            }
            @if found.items.is_empty() { p.muted { (t(lang, "page.asset.none")) } } @else {
                div.scroll { table.assets {
                    thead { tr {
                        th { (t(lang, "page.customers.serial")) }
                        th { (t(lang, "page.customers.model")) }
                        th { (t(lang, "page.desk.customer")) }
                        th.wide { (t(lang, "page.desk.site")) }
                        th { (t(lang, "page.hooks.status")) }
                        th.wide { (t(lang, "page.asset.warranty_until")) }
                    } }
                    tbody { @for row in &found.items { @let a = &row.asset; tr {
                        td { a href={ "/assets/" (a.id) } { (a.serial) } }
                        td { (a.model) }
                        td { a href={ "/customers/" (a.customer_id) } { (row.customer_name) } }
                        td.wide { (row.site_name) }
                        td { span.badge { (t(lang, &format!("page.asset.status.{}", a.status.as_str()))) } }
                        td.wide { (a.warranty_until.as_deref().unwrap_or("—")) }
                    } } }
                } }
            }
            p {
                @if after.is_some() { a href={ "/assets" @if !filters.is_empty() { "?" (filters) } } { (t(lang, "page.desk.first")) } " " }
                @if let Some(next) = &found.next {
                    a.button.quiet href={ "/assets?" @if !filters.is_empty() { (filters) "&" } "after=" (super::query_value(next)) } { (t(lang, "page.desk.next")) }
                }
            }
        },
    )
}

/// A status from the asset card.
#[derive(serde::Deserialize)]
pub struct StatusForm {
    status: String,
}

/// Changes an asset's status (in service, out of service, decommissioned); then its card.
pub async fn set_status(
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<StatusForm>,
) -> Response {
    let Some(id) = AssetId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    match user
        .tenant
        .set_asset_status(&user.actor, id, &f.status)
        .await
    {
        Ok(_) => Redirect::to(&format!("/assets/{id}")).into_response(),
        Err(StoreError::Invalid(_)) => {
            let mut res = super::message(
                lang,
                t(lang, "page.asset.list"),
                t(lang, "error.invalid_value"),
            );
            *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            res
        }
        Err(e) => super::failure(lang, &e),
    }
}
