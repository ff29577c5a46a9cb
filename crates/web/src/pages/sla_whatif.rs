//! `/sla/what-if` (managers, admins): choose a policy to change (or a new one beside them),
//! the promises to try and a past period; the page replays those tickets under it and shows,
//! per region, category and priority, how many would have been late against how many were,
//! and the tickets that flip — before anyone changes the policy for real.

use axum::extract::State;
use axum::response::Response;
use chrono::Duration;
use loopdesk_core::access::{self, Permission};
use loopdesk_core::i18n::{t, tf, Lang};
use loopdesk_core::SlaPolicyId;
use loopdesk_store::{CandidatePolicy, SlaPolicy, StoreError, WhatIfReport};
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{page, PageQuery, PageUser};
use crate::state::AppState;

/// The periods offered, in days back from now.
const PERIODS: [i64; 4] = [7, 30, 90, 180];
/// Flips listed on the page.
const LISTED: usize = 50;

/// The form, as the query carries it.
#[derive(Deserialize, Default)]
pub struct WhatIfQuery {
    /// The policy changed (empty: a new one).
    replaces: Option<String>,
    /// A new policy's priority (empty: any).
    priority: Option<String>,
    /// A new policy's category (empty: any).
    category: Option<String>,
    /// Minutes to the first response.
    first: Option<String>,
    /// Hours to resolution.
    hours: Option<String>,
    /// The last days replayed.
    days: Option<i64>,
}

fn number(text: Option<&str>) -> Option<f64> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .and_then(|t| t.parse::<f64>().ok())
        .filter(|v| v.is_finite())
}

/// The page: the form, and the replay when the form was sent.
pub async fn show(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    PageQuery(q): PageQuery<WhatIfQuery>,
) -> Response {
    if !access::allowed(&user.actor, Permission::SlaWhatIf) {
        return super::failure(lang, &StoreError::Forbidden);
    }
    let (policies, categories) = match (
        user.tenant.sla_policies(&user.actor).await,
        user.tenant.categories().await,
    ) {
        (Ok(p), Ok(c)) => (p, c),
        (Err(e), _) | (_, Err(e)) => return super::failure(lang, &e),
    };
    let replaces = q
        .replaces
        .as_deref()
        .and_then(SlaPolicyId::parse)
        .filter(|id| policies.iter().any(|p| p.id == *id));
    let base = replaces.and_then(|id| policies.iter().find(|p| p.id == id));
    let days = q.days.filter(|d| PERIODS.contains(d)).unwrap_or(30);
    let now = state.clock.now();
    let asked = q.hours.is_some();
    #[expect(
        clippy::cast_possible_truncation,
        reason = "minutes and hours typed in a form"
    )]
    let result: Option<Result<WhatIfReport, StoreError>> = if asked {
        let first = number(q.first.as_deref()).map_or(-1, |m| m.round() as i64);
        let resolution = number(q.hours.as_deref()).map_or(-1, |h| (h * 60.0).round() as i64);
        let candidate = CandidatePolicy {
            replaces,
            priority: base.map_or_else(
                || number(q.priority.as_deref()).map(|p| p as i64),
                |b| b.priority,
            ),
            customer_tier: base.and_then(|b| b.customer_tier.clone()),
            category: base.map_or_else(
                || q.category.clone().filter(|c| !c.trim().is_empty()),
                |b| b.category.clone(),
            ),
            first_response_minutes: first,
            arrival_minutes: base.and_then(|b| b.arrival_minutes),
            resolution_minutes: resolution,
            warn_at: base.map(|b| b.warn_at),
            calendar_id: base.and_then(|b| b.calendar_id),
        };
        Some(
            user.tenant
                .sla_what_if(&user.actor, candidate, now - Duration::days(days), now, now)
                .await,
        )
    } else {
        None
    };
    if let Some(Err(e)) = &result {
        if !matches!(e, StoreError::Invalid(_)) {
            return super::failure(lang, e);
        }
    }
    let title = t(lang, "page.whatif.title");
    let first_value = q
        .first
        .clone()
        .or_else(|| base.map(|b| b.first_response_minutes.to_string()))
        .unwrap_or_default();
    let hours_value = q
        .hours
        .clone()
        .or_else(|| base.map(|b| format!("{}", b.resolution_minutes as f64 / 60.0)))
        .unwrap_or_default();
    page(
        lang,
        title,
        Some(&user.auth.user),
        html! {
            h1 { (title) }
            p.muted { (t(lang, "page.whatif.hint")) }
            form.inline.card method="get" action="/sla/what-if" {
                label { (t(lang, "page.whatif.replaces")) " "
                    select #replaces name="replaces" {
                        option value="" { (t(lang, "page.whatif.new_policy")) }
                        @for p in &policies { option value=(p.id) selected[Some(p.id) == replaces] { (policy_label(lang, p)) } }
                    }
                }
                    label { (t(lang, "page.request.urgency")) " "
                        select name="priority" {
                            option value="" { "—" }
                            @for p in 1..=4 { option value=(p) selected[q.priority.as_deref() == Some(p.to_string().as_str())] { (t(lang, &format!("page.urgency.{p}"))) } }
                        }
                    }
                    label { (t(lang, "page.desk.category")) " "
                        select name="category" {
                            option value="" { "—" }
                            @for c in &categories { option value=(c.code) selected[q.category.as_deref() == Some(c.code.as_str())] { (c.name) } }
                        }
                    }
                    label { (t(lang, "page.whatif.first")) " "
                        input name="first" type="number" min="1" required value=(first_value) size="6";
                    }
                    label { (t(lang, "page.whatif.hours")) " "
                        input name="hours" type="number" min="0.1" step="0.1" required value=(hours_value) size="6";
                    }
                    label { (t(lang, "page.whatif.period")) " "
                        select name="days" {
                            @for d in PERIODS { option value=(d) selected[d == days] { (tf(lang, "page.whatif.days", &[("days", &d.to_string())])) } }
                        }
                    }
                button type="submit" { (t(lang, "page.whatif.run")) }
                p.muted { (t(lang, "page.whatif.scope_hint")) }
            }
            @match &result {
                None => {},
                Some(Err(StoreError::Invalid(e))) => p.error role="alert" { (super::field_label(lang, e.field)) ": " (t(lang, e.reason)) },
                Some(Err(_)) => {},
                Some(Ok(r)) => (report(lang, r)),
            }
        },
    )
}

fn policy_label(lang: Lang, p: &SlaPolicy) -> String {
    let hours = p.resolution_minutes as f64 / 60.0;
    tf(
        lang,
        "page.whatif.policy",
        &[
            ("name", &p.name),
            ("first", &p.first_response_minutes.to_string()),
            ("hours", &format!("{hours}")),
        ],
    )
}

fn change(now: usize, candidate: usize) -> Markup {
    html! {
        (now) " → " strong { (candidate) }
        @if candidate < now { " " span.badge.ok { "−" (now - candidate) } }
        @if candidate > now { " " span.badge.breached { "+" (candidate - now) } }
    }
}

fn report(lang: Lang, r: &WhatIfReport) -> Markup {
    html! {
        section.whatif-result {
            h2 { (t(lang, "page.whatif.result")) }
            p.totals {
                (tf(lang, "page.whatif.tickets", &[("count", &r.total.tickets.to_string())])) " · "
                (t(lang, "page.whatif.late_response")) " " (change(r.total.first_response.0, r.total.first_response.1)) " · "
                (t(lang, "page.whatif.late_resolution")) " " (change(r.total.resolution.0, r.total.resolution.1))
            }
            @if !r.groups.is_empty() {
                table {
                    thead { tr {
                        th { (t(lang, "page.whatif.region")) } th { (t(lang, "page.desk.category")) } th { (t(lang, "page.request.urgency")) }
                        th { (t(lang, "page.whatif.count")) } th { (t(lang, "page.whatif.late_response")) } th { (t(lang, "page.whatif.late_resolution")) }
                    } }
                    tbody {
                        @for g in &r.groups {
                            tr {
                                td { (g.region.clone().unwrap_or_else(|| "—".into())) }
                                td { (g.category_name.clone().or_else(|| g.category.clone()).unwrap_or_else(|| "—".into())) }
                                td { "P" (g.priority) }
                                td { (g.tally.tickets) }
                                td { (change(g.tally.first_response.0, g.tally.first_response.1)) }
                                td { (change(g.tally.resolution.0, g.tally.resolution.1)) }
                            }
                        }
                    }
                }
            }
            h3 { (tf(lang, "page.whatif.flips", &[("count", &r.flips_total.to_string())])) }
            @if r.flips.is_empty() { p.muted { (t(lang, "page.whatif.no_flips")) } }
            ul.flips {
                @for f in r.flips.iter().take(LISTED) {
                    li {
                        a href={ "/t/" (f.ticket_id) } { (f.number) } " · "
                        (t(lang, &format!("page.whatif.target.{}", f.target.as_str()))) " · "
                        @if f.was_late { (t(lang, "page.whatif.late_to_on_time")) } @else { (t(lang, "page.whatif.on_time_to_late")) }
                    }
                }
            }
        }
    }
}
