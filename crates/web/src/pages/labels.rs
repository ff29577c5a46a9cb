//! A sheet of equipment labels to print: the QR label of every asset the equipment list's
//! filter (or one customer) selects, 24 to a sheet, with a link to the next sheet.

use axum::extract::State;
use axum::response::Response;
use loopdesk_core::asset::AssetStatus;
use loopdesk_core::i18n::{t, tf};
use loopdesk_core::CustomerId;
use loopdesk_store::StoreError;
use maud::{html, PreEscaped};

use super::layout::{page, PageQuery, PageUser};
use crate::state::AppState;

/// Labels on one sheet: four rows of three 50 mm labels fill two A4 pages.
const SHEET: usize = 24;

/// Which assets: the equipment list's search and status, or one customer's.
#[derive(serde::Deserialize, Default)]
pub struct SheetQuery {
    q: Option<String>,
    status: Option<String>,
    customer_id: Option<String>,
    after: Option<String>,
}

/// The sheet (staff): the labels, a print button, and the next sheet.
pub async fn sheet(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    PageQuery(q): PageQuery<SheetQuery>,
) -> Response {
    let status = q.status.as_deref().and_then(AssetStatus::parse);
    let customer = q.customer_id.as_deref().and_then(CustomerId::parse);
    let text = q.q.clone().unwrap_or_default();
    let after = q.after.as_deref().map(str::trim).filter(|a| !a.is_empty());
    let found = match user
        .tenant
        .asset_page(&user.actor, &text, status, customer, after, SHEET)
        .await
    {
        Ok(f) => f,
        Err(e) => return super::failure(lang, &e),
    };
    let base = state.config.public_url.trim_end_matches('/');
    let mut labels = Vec::with_capacity(found.items.len());
    for row in &found.items {
        let a = &row.asset;
        let link = format!("{base}/a/{}", a.qr_token);
        match crate::label::asset_label(&link, &a.model, &a.serial) {
            Ok(svg) => labels.push((row, svg)),
            Err(e) => return super::failure(lang, &StoreError::Corrupt(e.to_string())),
        }
    }
    let mut filters = Vec::new();
    if !text.trim().is_empty() {
        filters.push(("q", text.trim().to_owned()));
    }
    if let Some(s) = status {
        filters.push(("status", s.as_str().to_owned()));
    }
    if let Some(c) = customer {
        filters.push(("customer_id", c.to_string()));
    }
    let filters = serde_urlencoded::to_string(&filters).unwrap_or_default();
    let title = t(lang, "page.labels.title");
    page(
        lang,
        title,
        Some(&user.auth.user),
        html! {
            div.no-print {
                h1 { (title) }
                p.muted { (tf(lang, "page.labels.lead", &[("n", &labels.len().to_string())])) }
                p {
                    button type="button" data-print { (t(lang, "page.labels.print")) }
                    " "
                    a href={ "/assets" @if !filters.is_empty() { "?" (filters) } } { (t(lang, "page.asset.list")) }
                    @if let Some(next) = &found.next {
                        " · "
                        a href={ "/assets/labels?" @if !filters.is_empty() { (filters) "&" } "after=" (super::query_value(next)) } { (t(lang, "page.labels.next")) }
                    }
                }
            }
            @if labels.is_empty() { p.muted { (t(lang, "page.asset.none")) } }
            div.labels {
                @for (row, svg) in &labels {
                    figure.label {
                        (PreEscaped(svg))
                        figcaption { (row.customer_name) " · " (row.site_name) }
                    }
                }
            }
        },
    )
}
