//! `/search`: the header's search box lands here. Every signed-in user searches what their
//! lists show them (a customer their own tickets and equipment); results are ranked, the
//! matched words marked, and each opens the page its reader works on.

use axum::response::Response;
use loopdesk_core::i18n::{t, Lang};
use loopdesk_core::search::Kind;
use loopdesk_core::Role;
use loopdesk_store::{SearchHit, StoreError};
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;

use super::layout::{encode, page, PageQuery, PageUser};

/// What the box sent.
#[derive(Deserialize)]
pub struct SearchForm {
    q: Option<String>,
    kind: Option<String>,
    cursor: Option<String>,
}

/// Results per page.
const PAGE: i64 = 20;

/// The kinds a tab may narrow to, with their labels.
const TABS: [(Option<Kind>, &str); 5] = [
    (None, "page.search.kind.all"),
    (Some(Kind::Ticket), "page.search.kind.ticket"),
    (Some(Kind::Customer), "page.search.kind.customer"),
    (Some(Kind::Asset), "page.search.kind.asset"),
    (Some(Kind::Article), "page.search.kind.article"),
];

/// The search page: the box, the kind tabs, a page of results.
pub async fn show(
    PageUser { user, lang }: PageUser,
    PageQuery(f): PageQuery<SearchForm>,
) -> Response {
    let q = f.q.as_deref().map(str::trim).unwrap_or("").to_owned();
    let kind = f.kind.as_deref().and_then(Kind::parse);
    let engineer_only = user.actor.has(Role::Engineer)
        && !user.auth.user.roles.iter().any(|r| {
            matches!(
                r,
                Role::Agent | Role::Dispatcher | Role::Supervisor | Role::Admin | Role::Manager
            )
        });
    let results = if q.is_empty() {
        None
    } else {
        let kinds: Vec<Kind> = kind.into_iter().collect();
        match user
            .tenant
            .search(&user.actor, &q, &kinds, PAGE, f.cursor.as_deref())
            .await
        {
            Ok(p) => Some(p),
            // A cursor from an old link, or a query too long: the box says why.
            Err(StoreError::Invalid(e)) => {
                let body = html! {
                    (search_form(lang, &q, kind))
                    p.error { (t(lang, e.reason)) }
                };
                return page(
                    lang,
                    t(lang, "page.search.title"),
                    Some(&user.auth.user),
                    body,
                );
            }
            Err(e) => return super::failure(lang, &e),
        }
    };
    let customer_role = user.actor.has(Role::Customer);
    let body = html! {
        (search_form(lang, &q, kind))
        @if !q.is_empty() && !customer_role {
            nav.tabs {
                @for (k, key) in TABS {
                    @let href = format!("/search?q={}{}", encode(&q), k.map(|k| format!("&kind={}", k.as_str())).unwrap_or_default());
                    @if k == kind { a.current href=(href) aria-current="page" { (t(lang, key)) } }
                    @else { a href=(href) { (t(lang, key)) } }
                }
            }
        }
        @if let Some(p) = &results {
            @if p.items.is_empty() {
                p.muted { (t(lang, "page.search.none")) }
            } @else {
                ol.results {
                    @for hit in &p.items { (result(lang, hit, engineer_only)) }
                }
            }
            @if let Some(next) = &p.next_cursor {
                p { a.button href={ "/search?q=" (encode(&q)) @if let Some(k) = kind { "&kind=" (k.as_str()) } "&cursor=" (encode(next)) } { (t(lang, "page.search.more")) } }
            }
        } @else {
            p.muted { (t(lang, "page.search.hint")) }
        }
    };
    let title = if q.is_empty() {
        t(lang, "page.search.title").to_owned()
    } else {
        format!("{q} · {}", t(lang, "page.search.title"))
    };
    page(lang, &title, Some(&user.auth.user), body)
}

fn search_form(lang: Lang, q: &str, kind: Option<Kind>) -> Markup {
    html! {
        h1 { (t(lang, "page.search.title")) }
        form.search-page method="get" action="/search" role="search" {
            input type="search" name="q" value=(q) autofocus
                placeholder=(t(lang, "page.search.placeholder")) aria-label=(t(lang, "page.search.title"));
            @if let Some(k) = kind { input type="hidden" name="kind" value=(k.as_str()); }
            button type="submit" { (t(lang, "page.search.go")) }
        }
    }
}

/// One result: its kind, its marked title linking to the page its reader works on, its
/// number and status for a ticket, and the marked line around the match.
fn result(lang: Lang, hit: &SearchHit, engineer_only: bool) -> Markup {
    let kind = Kind::parse(&hit.kind);
    let href = match kind {
        Some(Kind::Ticket) if engineer_only => format!("/m/t/{}", hit.id),
        Some(Kind::Ticket) => format!("/t/{}", hit.id),
        Some(Kind::Asset) => format!("/assets/{}", hit.id),
        Some(Kind::Article) => format!("/kb/{}", hit.id),
        // Until customers have a page of their own: their tickets.
        Some(Kind::Customer) => {
            format!("/search?kind=ticket&q={}", encode(&strip_marks(&hit.title)))
        }
        _ => "/search".to_owned(),
    };
    let label = match kind {
        Some(Kind::Ticket) => "page.search.kind.ticket",
        Some(Kind::Customer) => "page.search.kind.customer",
        Some(Kind::Asset) => "page.search.kind.asset",
        _ => "page.search.kind.article",
    };
    html! {
        li.result {
            div.result-head {
                span.badge.kind { (t(lang, label)) }
                @if let Some(n) = &hit.number { span.number { (n) } }
                a.result-title href=(href) { (PreEscaped(&hit.title)) }
                @if let Some(s) = hit.status { span.badge { (t(lang, s.label_key())) } }
            }
            // Escaped text whose only markup is <mark> (the store builds it so).
            p.snippet { (PreEscaped(&hit.snippet)) }
        }
    }
}

/// A marked title back to its text (for a link that searches it again).
fn strip_marks(html: &str) -> String {
    html.replace("<mark>", "")
        .replace("</mark>", "")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}
