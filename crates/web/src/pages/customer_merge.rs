//! Merging a duplicate customer from the card: find the duplicate by name or phone, see what
//! it holds, and merge it into the customer on whose card the agent stands.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use loopdesk_core::i18n::{t, tf, Lang};
use loopdesk_core::CustomerId;
use loopdesk_store::{CustomerDetail, CustomerFilter, CustomerPage, StoreError};
use maud::{html, Markup};
use serde::Deserialize;

use super::customers::{given, writer_only};
use super::layout::{page, PageQuery, PageUser};
use crate::extract::CurrentUser;
use crate::state::AppState;

/// Candidates shown at once.
const CANDIDATES: usize = 20;

/// What the agent searched for.
#[derive(Deserialize, Default)]
pub struct MergeQuery {
    q: Option<String>,
}

/// The merge page: candidates found by the search (the customer's own name at first).
pub async fn show(
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
    PageQuery(q): PageQuery<MergeQuery>,
) -> Response {
    if let Some(no) = writer_only(&user, lang) {
        return no;
    }
    let Some(id) = CustomerId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    merge_page(&user, lang, id, given(&q.q), None).await
}

async fn merge_page(
    user: &CurrentUser,
    lang: Lang,
    id: CustomerId,
    q: Option<String>,
    error: Option<(&str, &str)>,
) -> Response {
    let d = match user.tenant.customer_detail(&user.actor, id).await {
        Ok(d) => d,
        Err(e) => return super::failure(lang, &e),
    };
    let q = q.unwrap_or_else(|| d.customer.name.clone());
    let filter = CustomerFilter {
        q: q.clone(),
        limit: CANDIDATES + 1,
        ..CustomerFilter::default()
    };
    let found = match user.tenant.customer_page(&user.actor, &filter).await {
        Ok(f) => f,
        Err(e) => return super::failure(lang, &e),
    };
    let title = tf(lang, "page.merge.title", &[("name", &d.customer.name)]);
    let mut res = page(
        lang,
        &title,
        Some(&user.auth.user),
        body(lang, &title, &d, &q, &found, error),
    );
    if error.is_some() {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    res
}

fn body(
    lang: Lang,
    title: &str,
    d: &CustomerDetail,
    q: &str,
    found: &CustomerPage,
    error: Option<(&str, &str)>,
) -> Markup {
    let c = &d.customer;
    let others: Vec<_> = found
        .items
        .iter()
        .filter(|s| s.customer.id != c.id)
        .take(CANDIDATES)
        .collect();
    html! {
        p.muted { a href={ "/customers/" (c.id) } { "← " (c.name) } }
        h1 { (title) }
        p { (t(lang, "page.merge.hint")) }
        @if let Some((field, reason)) = error {
            p.field-error role="alert" { (super::field_label(lang, field)) ": " (t(lang, reason)) }
        }
        form.filters method="get" action={ "/customers/" (c.id) "/merge" } role="search" {
            input type="search" name="q" value=(q) aria-label=(t(lang, "page.customers.search"))
                placeholder=(t(lang, "page.customers.search"));
            button type="submit" { (t(lang, "page.search.go")) }
        }
        @if others.is_empty() {
            p.muted { (t(lang, "page.merge.none")) }
        } @else {
            div.scroll { table {
                thead { tr {
                    th { (t(lang, "page.admin.name")) }
                    th { (t(lang, "page.customers.phone")) }
                    th.wide { (t(lang, "page.desk.region")) }
                    th { (t(lang, "page.customers.open")) }
                    th {}
                } }
                tbody { @for s in &others { tr {
                    td { a href={ "/customers/" (s.customer.id) } { (s.customer.name) } }
                    td { @for k in s.customer.contacts.iter().filter_map(|k| k.phone.as_deref()) { (k) br; } }
                    td.wide { (s.region_name.as_deref().unwrap_or("—")) }
                    td { (s.open_tickets) }
                    td {
                        form method="post" action={ "/customers/" (c.id) "/merge" }
                            data-confirm=(tf(lang, "page.merge.confirm", &[("duplicate", &s.customer.name), ("name", &c.name)])) {
                            input type="hidden" name="version" value=(c.version);
                            input type="hidden" name="duplicate_id" value=(s.customer.id);
                            button type="submit" { (t(lang, "page.merge.into")) }
                        }
                    }
                } } }
            } }
        }
    }
}

/// The duplicate to merge, and the card's version as the agent saw it.
#[derive(Deserialize)]
pub struct MergeForm {
    version: i64,
    duplicate_id: String,
}

/// Merges the duplicate, then shows the card (which lists the merge).
pub async fn merge(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
    Form(f): Form<MergeForm>,
) -> Response {
    if let Some(no) = writer_only(&user, lang) {
        return no;
    }
    let Some(id) = CustomerId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let Some(duplicate) = CustomerId::parse(f.duplicate_id.trim()) else {
        return merge_page(
            &user,
            lang,
            id,
            None,
            Some(("duplicate_id", "error.invalid_value")),
        )
        .await;
    };
    let result = user
        .tenant
        .merge_customers(&user.actor, id, f.version, duplicate, state.clock.now())
        .await;
    match result {
        Ok(_) => Redirect::to(&format!("/customers/{id}")).into_response(),
        Err(StoreError::Invalid(e)) => {
            merge_page(&user, lang, id, None, Some((e.field, e.reason))).await
        }
        Err(StoreError::Stale { .. }) => {
            merge_page(
                &user,
                lang,
                id,
                None,
                Some(("version", "page.customers.changed_meanwhile")),
            )
            .await
        }
        Err(e) => super::failure(lang, &e),
    }
}

/// The merged-from list on the card.
pub fn merged_from(lang: Lang, offset: chrono::FixedOffset, d: &CustomerDetail) -> Markup {
    html! {
        @if !d.merged_from.is_empty() {
            h2 { (t(lang, "page.merge.merged_from")) }
            ul { @for m in &d.merged_from {
                li { (m.merged_name) " · " (m.merged_by.as_deref().unwrap_or("—")) " · " (super::local_time(offset, m.at)) }
            } }
        }
    }
}
