//! `/insights`: recurring problems for those who run the service (supervisors — their
//! region's —, managers, admins): each group of tickets far above its baseline, what its
//! tickets concentrate on, and the tickets themselves.

use axum::extract::State;
use axum::response::Response;
use chrono::Duration;
use loopdesk_core::access::{self, Permission};
use loopdesk_core::i18n::{t, tf, Lang};
use loopdesk_store::{ProblemItem, StoreError};
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{page, PageQuery, PageUser};
use crate::api::insights::share_label;
use crate::state::AppState;

/// The periods offered, in days back from now.
const PERIODS: [i64; 4] = [1, 7, 14, 28];
/// Tickets listed under a problem.
const LISTED: usize = 10;

/// The page's query.
#[derive(Deserialize, Default)]
pub struct InsightsQuery {
    /// The last 1, 7 (default), 14 or 28 days.
    days: Option<i64>,
}

/// The recurring problems of the last days.
pub async fn show(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    PageQuery(q): PageQuery<InsightsQuery>,
) -> Response {
    if !access::allowed(&user.actor, Permission::Insights) {
        return super::failure(lang, &StoreError::Forbidden);
    }
    let days = q.days.filter(|d| PERIODS.contains(d)).unwrap_or(7);
    let now = state.clock.now();
    let found = user
        .tenant
        .problems(&user.actor, now - Duration::days(days), now)
        .await;
    let items = match found {
        Ok(items) => items,
        Err(e) => return super::failure(lang, &e),
    };
    let title = t(lang, "page.insights.title");
    page(
        lang,
        title,
        Some(&user.auth.user),
        html! {
            h1 { (title) }
            p.muted { (t(lang, "page.insights.lead")) " " a href="/insights/maintenance" { (t(lang, "page.wear.title")) " →" } }
            form.filters method="get" action="/insights" {
                label for="days" { (t(lang, "page.dash.period")) }
                select #days name="days" {
                    @for d in PERIODS {
                        option value=(d) selected[d == days] {
                            (tf(lang, "page.dash.last_days", &[("days", &d.to_string())]))
                        }
                    }
                }
                button type="submit" { (t(lang, "page.insights.show")) }
            }
            @if items.is_empty() { p.muted { (t(lang, "page.insights.none")) } }
            @for p in &items { (problem(lang, p)) }
        },
    )
}

fn problem(lang: Lang, p: &ProblemItem) -> Markup {
    let count = p.count.to_string();
    let expected = format!("{:.1}", p.expected);
    let lift = format!("{:.1}", p.lift);
    let ids: Vec<String> = p.tickets.iter().map(|t| t.id.to_string()).collect();
    let ids = ids.join(",");
    html! {
        section.card.problem {
            h2 {
                span.badge { (t(lang, &format!("page.insights.signal.{}", p.signal.as_str()))) }
                " " (p.label)
            }
            p.problem-figures {
                @if p.expected == 0.0 {
                    (tf(lang, "page.insights.figures_new", &[("count", count.as_str())]))
                } @else {
                    (tf(lang, "page.insights.figures", &[
                        ("count", count.as_str()), ("expected", expected.as_str()), ("lift", lift.as_str()),
                    ]))
                }
            }
            @if !p.concentration.is_empty() {
                h3 { (t(lang, "page.insights.concentrates")) }
                ul.shares {
                    @for s in &p.concentration {
                        @let percent = (s.share * 100.0).round();
                        li {
                            span.share-name {
                                (t(lang, &format!("page.insights.attr.{}", s.attribute.as_str())))
                                " · " (share_label(lang, s))
                            }
                            meter.share-bar min="0" max="1" value=(s.share) {}
                            span.share-value { (percent) "%" }
                        }
                    }
                }
            }
            form.inline method="post" action="/insights/records" {
                input type="hidden" name="title" value=(p.label);
                input type="hidden" name="key" value=(p.key);
                input type="hidden" name="ticket_ids" value=(ids);
                button type="submit" { (t(lang, "page.insights.open_record")) }
            }
            h3 { (t(lang, "page.insights.tickets")) }
            ul.problem-tickets {
                @for tk in p.tickets.iter().take(LISTED) {
                    li { a href={ "/t/" (tk.id) } { (tk.number) } " · " (tk.subject) }
                }
                @if p.tickets.len() > LISTED {
                    li.muted { (tf(lang, "page.insights.more", &[("count", &(p.count - LISTED).to_string())])) }
                }
            }
        }
    }
}
