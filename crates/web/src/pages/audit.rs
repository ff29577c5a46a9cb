//! `/admin/audit`: the tenant's audit trail for its admins — who did what, from where, and
//! how it ended, filtered by action or person, exported as CSV.

use axum::response::Response;
use loopdesk_core::audit;
use loopdesk_core::i18n::t;
use loopdesk_store::AuditFilter;
use maud::html;
use serde::Deserialize;

use super::layout::{encode, page, PageQuery, PageUser};

/// The page's filters.
#[derive(Deserialize, Default)]
pub struct AuditQuery {
    action: Option<String>,
    actor: Option<String>,
}

/// The newest 200 entries that match.
pub async fn show(
    PageUser { user, lang }: PageUser,
    PageQuery(q): PageQuery<AuditQuery>,
) -> Response {
    let action = q.action.filter(|a| audit::ACTIONS.contains(&a.as_str()));
    let actor = q
        .actor
        .map(|a| a.trim().to_owned())
        .filter(|a| !a.is_empty());
    let filter = AuditFilter {
        action: action.clone(),
        actor: actor.clone(),
        ..AuditFilter::default()
    };
    let entries = match user.tenant.audit(&user.actor, &filter).await {
        Ok(e) => e,
        Err(e) => return super::failure(lang, &e),
    };
    let offset = match user.tenant.utc_offset().await {
        Ok(o) => o,
        Err(e) => return super::failure(lang, &e),
    };
    let mut export = String::from("/api/v1/audit/export?limit=5000");
    if let Some(a) = &action {
        export.push_str(&format!("&action={a}"));
    }
    if let Some(a) = &actor {
        export.push_str(&format!("&actor={}", encode(a)));
    }
    let title = t(lang, "page.audit.title");
    page(
        lang,
        title,
        Some(&user.auth.user),
        html! {
            p.muted { a href="/admin" { "← " (t(lang, "page.admin.title")) } }
            h1 { (title) }
            p.muted { (t(lang, "page.audit.lead")) }
            form.filters method="get" action="/admin/audit" {
                label for="action" { (t(lang, "page.audit.action")) }
                select #action name="action" {
                    option value="" { (t(lang, "page.search.kind.all")) }
                    @for a in audit::ACTIONS {
                        option value=(a) selected[action.as_deref() == Some(a)] { (t(lang, &format!("audit.action.{a}"))) }
                    }
                }
                label for="actor" { (t(lang, "page.audit.actor")) }
                input #actor type="search" name="actor" value=(actor.clone().unwrap_or_default());
                button type="submit" { (t(lang, "page.insights.show")) }
                " " a.button href=(export) { (t(lang, "page.audit.export")) }
            }
            @if entries.is_empty() { p.muted { (t(lang, "page.audit.none")) } }
            @else {
                table.audit {
                    thead { tr {
                        th { (t(lang, "page.audit.at")) }
                        th { (t(lang, "page.audit.actor")) }
                        th { (t(lang, "page.audit.address")) }
                        th { (t(lang, "page.audit.action")) }
                        th { (t(lang, "page.audit.request")) }
                        th { (t(lang, "page.audit.status")) }
                    } }
                    tbody {
                        @for e in &entries {
                            tr class=[(e.status >= 400).then_some("failed")] {
                                td { (e.at.with_timezone(&offset).format("%Y-%m-%d %H:%M:%S")) }
                                td { (e.actor_name) }
                                td { (e.address) }
                                td { (t(lang, &format!("audit.action.{}", e.action))) }
                                td { code { (e.method) " " (e.path) } @if !e.detail.is_null() { br; small.muted { (e.detail.to_string()) } } @if let Some(b) = &e.before { br; small.muted { (t(lang, "page.audit.before")) " " (b.to_string()) } } }
                                td { (e.status) }
                            }
                        }
                    }
                }
            }
        },
    )
}
