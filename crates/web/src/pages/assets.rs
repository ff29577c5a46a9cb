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

/// Which of the card's forms a refusal belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum CardForm {
    Edit,
    Move,
}

/// What the card's writer may change, with the customer's sites to move to and a refused
/// form's field and reason.
pub struct Writer<'a> {
    sites: &'a [loopdesk_store::Site],
    error: Option<(CardForm, &'a str, &'a str)>,
}

fn refusal(lang: Lang, w: &Writer<'_>, form: CardForm) -> Markup {
    html! {
        @if let Some((f, field, reason)) = w.error {
            @if f == form { p.field-error role="alert" { (super::field_label(lang, field)) ": " (t(lang, reason)) } }
        }
    }
}

/// The asset's details to change, and a move to another of the customer's sites.
fn writer_forms(lang: Lang, a: &loopdesk_store::Asset, w: &Writer<'_>) -> Markup {
    let open = |form: CardForm| w.error.is_some_and(|(f, _, _)| f == form);
    html! {
        details.card open[open(CardForm::Edit)] {
            summary { a { (t(lang, "page.asset.edit")) } }
            form method="post" action={ "/assets/" (a.id) "/edit" } {
                (refusal(lang, w, CardForm::Edit))
                input type="hidden" name="version" value=(a.version);
                label for="asset-model" { (t(lang, "page.customers.model")) }
                input #asset-model name="model" value=(a.model) required maxlength="200";
                label for="asset-serial" { (t(lang, "page.customers.serial")) }
                input #asset-serial name="serial" value=(a.serial) required maxlength="100";
                div.row {
                    div {
                        label for="asset-installed" { (t(lang, "page.asset.installed")) }
                        input #asset-installed name="installed_on" type="date" value=(a.installed_on.as_deref().unwrap_or(""));
                    }
                    div {
                        label for="asset-warranty" { (t(lang, "page.asset.warranty_until")) }
                        input #asset-warranty name="warranty_until" type="date" value=(a.warranty_until.as_deref().unwrap_or(""));
                    }
                }
                p { button type="submit" { (t(lang, "page.desk.save")) } }
            }
        }
        details.card open[open(CardForm::Move)] {
            summary { a { (t(lang, "page.asset.move")) } }
            form method="post" action={ "/assets/" (a.id) "/move" } {
                (refusal(lang, w, CardForm::Move))
                input type="hidden" name="version" value=(a.version);
                label for="move-site" { (t(lang, "page.asset.move_to")) }
                select #move-site name="site_id" required {
                    @for s in w.sites.iter().filter(|s| s.id != a.site_id) {
                        option value=(s.id) { (s.name) " · " (s.address) }
                    }
                }
                label for="move-note" { (t(lang, "page.asset.move_note")) }
                input #move-note name="note" maxlength="500";
                p { button type="submit" disabled[w.sites.len() < 2] { (t(lang, "page.asset.move")) } }
                @if w.sites.len() < 2 { p.muted { (t(lang, "page.asset.one_site")) } }
            }
        }
    }
}

fn card(
    lang: Lang,
    offset: chrono::FixedOffset,
    c: &AssetCard,
    writer: Option<&Writer<'_>>,
) -> Markup {
    let a = &c.asset;
    let h = &c.history;
    let may_write = writer.is_some();
    let site = writer
        .and_then(|w| w.sites.iter().find(|s| s.id == a.site_id))
        .map(|s| format!("{} · {}", s.name, s.address));
    html! {
        h1 { (a.model) " · " (a.serial) }
        div.card {
            @if let Some(p) = &c.product { p { strong { (p.name) } @if let Some(line) = &p.product_line { " · " (line) } } }
            p {
                (t(lang, "page.asset.installed")) ": " (a.installed_on.as_deref().unwrap_or("—"))
                " · " (t(lang, "page.asset.warranty_until")) ": " (a.warranty_until.as_deref().unwrap_or("—"))
            }
            @if let Some(w) = &c.warranty { p { span.badge { (t(lang, &format!("page.warranty.{w}"))) } } }
            @if let Some(site) = &site { p { (t(lang, "page.desk.site")) ": " (site) " · " a href={ "/customers/" (a.customer_id) } { (t(lang, "page.asset.customer_card")) } } }
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
        @if let Some(w) = writer { (writer_forms(lang, a, w)) }
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
        @if !h.moves.is_empty() {
            h2 { (t(lang, "page.asset.moves")) }
            ul.events {
                @for m in &h.moves {
                    li {
                        span.muted { (super::local_time(offset, m.at)) " " }
                        @if let Some(c) = &m.from_customer { (c) " · " }
                        (m.from_site) " → " (m.to_site)
                        @if let Some(n) = &m.note { " · " (n) }
                        @if let Some(by) = &m.moved_by { span.muted { " · " (by) } }
                    }
                }
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
    error: Option<(CardForm, &str, &str)>,
) -> Response {
    let c = match user.tenant.asset_card(&user.actor, id, now).await {
        Ok(c) => c,
        Err(e) => return super::failure(lang, &e),
    };
    let writes = loopdesk_core::access::allowed(
        &user.actor,
        loopdesk_core::access::Permission::WriteCustomers,
    );
    let sites = if writes {
        match user.tenant.customer_sites(c.asset.customer_id).await {
            Ok(s) => s,
            Err(e) => return super::failure(lang, &e),
        }
    } else {
        Vec::new()
    };
    let writer = writes.then(|| Writer {
        sites: &sites,
        error,
    });
    let mut res = match user.tenant.utc_offset().await {
        Ok(offset) => page(
            lang,
            &c.asset.serial,
            Some(&user.auth.user),
            card(lang, offset, &c, writer.as_ref()),
        ),
        Err(e) => return super::failure(lang, &e),
    };
    if error.is_some() {
        *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    res
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
    show_card(&user, lang, id, state.clock.now(), None).await
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
    show_card(&user, lang, a.id, state.clock.now(), None).await
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
        .asset_page(&user.actor, &text, status, None, after, 50)
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
            p {
                a href={ "/assets/labels" @if !filters.is_empty() { "?" (filters) } } { (t(lang, "page.labels.print_these")) }
                " · "
                a href="/assets/models" { (t(lang, "page.models.title")) }
            }
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

/// The asset's details from its card.
#[derive(serde::Deserialize)]
pub struct EditForm {
    version: i64,
    model: String,
    serial: String,
    installed_on: Option<String>,
    warranty_until: Option<String>,
}

/// A move to another of the customer's sites.
#[derive(serde::Deserialize)]
pub struct MoveForm {
    version: i64,
    site_id: String,
    note: Option<String>,
}

/// Text as a form sends it: trimmed, and absent when empty.
fn given(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// Stores a change from the card: back to the card, or the card again with the refused
/// field named (and a change someone else made meanwhile said so).
async fn save(
    state: &crate::state::AppState,
    user: &crate::extract::CurrentUser,
    lang: Lang,
    id: &str,
    version: i64,
    edit: loopdesk_core::asset::AssetEdit,
    form: CardForm,
) -> Response {
    let Some(id) = AssetId::parse(id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let now = state.clock.now();
    match user
        .tenant
        .edit_asset(&user.actor, id, version, edit, now)
        .await
    {
        Ok(_) => Redirect::to(&format!("/assets/{id}")).into_response(),
        Err(StoreError::Invalid(e)) => {
            show_card(user, lang, id, now, Some((form, e.field, e.reason))).await
        }
        Err(StoreError::Conflict { field }) => {
            show_card(user, lang, id, now, Some((form, field, "error.conflict"))).await
        }
        Err(StoreError::Stale { .. }) => {
            let changed = (form, "version", "page.customers.changed_meanwhile");
            show_card(user, lang, id, now, Some(changed)).await
        }
        Err(e) => super::failure(lang, &e),
    }
}

/// Saves the asset's model, serial and dates (an emptied date is cleared).
pub async fn edit(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<EditForm>,
) -> Response {
    let edit = loopdesk_core::asset::AssetEdit {
        model: Some(f.model),
        serial: Some(f.serial),
        installed_on: Some(given(f.installed_on.as_deref())),
        warranty_until: Some(given(f.warranty_until.as_deref())),
        ..Default::default()
    };
    save(&state, &user, lang, &id, f.version, edit, CardForm::Edit).await
}

/// Moves the asset to another of the customer's sites, with why.
pub async fn move_site(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<MoveForm>,
) -> Response {
    let Some(site) = loopdesk_core::SiteId::parse(f.site_id.trim()) else {
        let Some(aid) = AssetId::parse(&id) else {
            return super::failure(lang, &StoreError::NotFound);
        };
        let missing = (CardForm::Move, "site_id", "error.required");
        return show_card(&user, lang, aid, state.clock.now(), Some(missing)).await;
    };
    let edit = loopdesk_core::asset::AssetEdit {
        site_id: Some(site),
        note: given(f.note.as_deref()),
        ..Default::default()
    };
    save(&state, &user, lang, &id, f.version, edit, CardForm::Move).await
}
