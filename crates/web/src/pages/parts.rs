//! The parts catalogue (备件目录): every part with its price and what is on hand, searched
//! and paged by SKU; stock keepers change a part's details in place, import the catalogue
//! from a sheet and export it.

use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use loopdesk_core::access::{self, Permission};
use loopdesk_core::i18n::{t, Lang};
use loopdesk_core::inventory::NewPart;
use loopdesk_core::kpi::Cell;
use loopdesk_store::{CataloguePage, StoreError};
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{page, PageQuery, PageUser};
use crate::extract::CurrentUser;

/// Rows on a page.
const PAGE_ROWS: usize = 50;

/// The search and the page.
#[derive(Deserialize, Default)]
pub struct PartsQuery {
    q: Option<String>,
    after: Option<String>,
    /// The SKU whose change was refused, and why (a translation key).
    sku: Option<String>,
    field: Option<String>,
    reason: Option<String>,
}

/// The catalogue.
pub async fn list(
    PageUser { user, lang }: PageUser,
    PageQuery(q): PageQuery<PartsQuery>,
) -> Response {
    let found = match user
        .tenant
        .part_page(
            &user.actor,
            q.q.as_deref().unwrap_or(""),
            q.after.as_deref().filter(|a| !a.is_empty()),
            PAGE_ROWS,
        )
        .await
    {
        Ok(f) => f,
        Err(e) => return super::failure(lang, &e),
    };
    let title = t(lang, "page.parts.title");
    page(
        lang,
        title,
        Some(&user.auth.user),
        body(lang, &user, title, &q, &found),
    )
}

fn money(v: Option<f64>) -> String {
    v.map_or("—".to_owned(), |v| format!("{v:.2}"))
}

fn body(
    lang: Lang,
    user: &CurrentUser,
    title: &str,
    q: &PartsQuery,
    found: &CataloguePage,
) -> Markup {
    let keeper = access::allowed(&user.actor, Permission::ManageStock);
    let search = q.q.as_deref().unwrap_or("");
    let refused = |sku: &str| -> Markup {
        let here = q.sku.as_deref() == Some(sku);
        html! {
            @if here {
                @if let Some(reason) = q.reason.as_deref().filter(|r| loopdesk_core::i18n::has(r)) {
                    p.field-error role="alert" {
                        (super::field_label(lang, q.field.as_deref().filter(|f| ["name", "unit", "cost", "price", "models"].contains(f)).unwrap_or("sku")))
                        ": " (t(lang, reason))
                    }
                }
            }
        }
    };
    html! {
        p.muted { a href="/stock" { "← " (t(lang, "page.stock.title")) } }
        h1 { (title) }
        form.filters method="get" action="/stock/parts" role="search" {
            input type="search" name="q" value=(search) aria-label=(t(lang, "page.parts.search")) placeholder=(t(lang, "page.parts.search"));
            button type="submit" { (t(lang, "page.search.go")) }
        }
        p {
            a href={ "/stock/parts/export?q=" (super::query_value(search)) } { (t(lang, "page.parts.export")) }
            @if keeper { " · " a href="/stock/import" { (t(lang, "page.stock.import")) } }
        }
        @if found.items.is_empty() { p.muted { (t(lang, "page.parts.none")) } } @else {
            div.scroll { table.parts {
                thead { tr {
                    th { (t(lang, "page.stock.sku")) }
                    th { (t(lang, "page.admin.name")) }
                    th { (t(lang, "page.stock.unit")) }
                    th.wide { (t(lang, "page.stock.cost")) }
                    th { (t(lang, "page.stock.price")) }
                    th.wide { (t(lang, "page.stock.models")) }
                    th { (t(lang, "page.parts.on_hand")) }
                    @if keeper { th {} }
                } }
                tbody { @for r in &found.items { @let p = &r.part; tr {
                    td { code { (p.sku) } }
                    td { (p.name) }
                    td { (p.unit) }
                    td.wide { (money(p.cost)) }
                    td { (money(p.price)) }
                    td.wide { (if p.models.is_empty() { "—".to_owned() } else { p.models.join("、") }) }
                    td { (r.on_hand) @if r.reserved > 0 { span.muted { " (" (t(lang, "page.parts.reserved")) " " (r.reserved) ")" } } }
                    @if keeper { td {
                        (refused(&p.sku))
                        details.edit-contact open[q.sku.as_deref() == Some(p.sku.as_str())] {
                            summary { a { (t(lang, "page.parts.edit")) } }
                            form method="post" action={ "/stock/parts/" (super::query_value(&p.sku)) } {
                                input name="name" required maxlength="200" value=(p.name) aria-label=(t(lang, "page.admin.name"));
                                input name="unit" maxlength="16" value=(p.unit) aria-label=(t(lang, "page.stock.unit"));
                                input name="cost" inputmode="decimal" value=(p.cost.map(|v| format!("{v:.2}")).unwrap_or_default()) aria-label=(t(lang, "page.stock.cost")) placeholder=(t(lang, "page.stock.cost"));
                                input name="price" inputmode="decimal" value=(p.price.map(|v| format!("{v:.2}")).unwrap_or_default()) aria-label=(t(lang, "page.stock.price")) placeholder=(t(lang, "page.stock.price"));
                                input name="models" value=(p.models.join(", ")) aria-label=(t(lang, "page.stock.models")) placeholder=(t(lang, "page.stock.models"));
                                button type="submit" { (t(lang, "page.desk.save")) }
                            }
                        }
                    } }
                } } }
            } }
        }
        @if let Some(next) = &found.next {
            p { a href={ "/stock/parts?q=" (super::query_value(search)) "&after=" (super::query_value(next)) } { (t(lang, "page.search.more")) } }
        }
    }
}

/// A part's details as the form sends them.
#[derive(Deserialize)]
pub struct PartForm {
    name: String,
    unit: Option<String>,
    cost: Option<String>,
    price: Option<String>,
    models: Option<String>,
}

/// Saves a part's details; back to the catalogue at that part.
pub async fn edit(
    PageUser { user, lang }: PageUser,
    Path(sku): Path<String>,
    Form(f): Form<PartForm>,
) -> Response {
    let yuan = |field: &'static str, v: &Option<String>| -> Result<Option<f64>, &'static str> {
        match v.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => Ok(None),
            Some(t) => t.parse::<f64>().map(Some).map_err(|_| field),
        }
    };
    let back = |field: &str, reason: &str| {
        Redirect::to(&format!(
            "/stock/parts?q={q}&sku={q}&field={field}&reason={reason}",
            q = super::query_value(&sku)
        ))
        .into_response()
    };
    let (cost, price) = match (yuan("cost", &f.cost), yuan("price", &f.price)) {
        (Ok(c), Ok(p)) => (c, p),
        (Err(field), _) | (_, Err(field)) => return back(field, "error.invalid_number"),
    };
    let new = NewPart {
        sku: sku.clone(),
        name: f.name,
        unit: f.unit.filter(|u| !u.trim().is_empty()),
        cost,
        price,
        models: loopdesk_core::validate::split_list(f.models.as_deref().unwrap_or("")),
    };
    match user.tenant.edit_part(&user.actor, &sku, new).await {
        Ok(_) => {
            Redirect::to(&format!("/stock/parts?q={}", super::query_value(&sku))).into_response()
        }
        Err(StoreError::Invalid(e)) => back(e.field, e.reason),
        Err(e) => super::failure(lang, &e),
    }
}

/// The catalogue (as searched) as a table to download, in the import's columns.
pub async fn export(
    PageUser { user, lang }: PageUser,
    PageQuery(q): PageQuery<PartsQuery>,
) -> Response {
    let mut rows = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let found = match user
            .tenant
            .part_page(
                &user.actor,
                q.q.as_deref().unwrap_or(""),
                after.as_deref(),
                200,
            )
            .await
        {
            Ok(f) => f,
            Err(e) => return super::failure(lang, &e),
        };
        for r in &found.items {
            let p = &r.part;
            let number = |v: Option<f64>| v.map_or(Cell::Empty, Cell::Number);
            #[expect(clippy::cast_precision_loss, reason = "unit counts")]
            rows.push(vec![
                Cell::Text(p.sku.clone()),
                Cell::Text(p.name.clone()),
                Cell::Text(p.unit.clone()),
                number(p.cost),
                number(p.price),
                Cell::Text(p.models.join(", ")),
                Cell::Number(r.on_hand as f64),
            ]);
        }
        match found.next {
            Some(next) if rows.len() < 50_000 => after = Some(next),
            _ => break,
        }
    }
    // The import's Chinese headings (a new sheet made from it imports; on hand is read, not
    // imported).
    let mut header: Vec<String> = loopdesk_core::inventory::sheet::headings(false)
        .into_iter()
        .map(|(_, zh)| zh.to_owned())
        .collect();
    header.push(t(lang, "page.parts.on_hand").to_owned());
    match crate::export::download("parts", Some("csv"), &header, &rows) {
        Ok(res) => res,
        Err(e) => e.into_response(),
    }
}
