//! The asset card page, and where a scanned QR label leads: a customer to a request for that
//! asset (报修), staff and engineers to the asset card.

use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use loopdesk_core::i18n::{t, Lang};
use loopdesk_core::{AssetId, Role};
use loopdesk_store::{AssetCard, StoreError};
use maud::{html, Markup};

use super::layout::{page, PageUser};

fn card(lang: Lang, offset: chrono::FixedOffset, c: &AssetCard) -> Markup {
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
            card(lang, offset, &c),
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
