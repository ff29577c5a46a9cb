//! The tickets the risk model expects to run late, before their SLA clock says so: a section of
//! the supervisor's desk and of the dispatch board (dispatchers, supervisors — their region's
//! —, managers, admins), each ticket with its chance and why, and the way to hand it on.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::i18n::{t, Lang};
use loopdesk_core::TicketId;
use loopdesk_store::StoreError;
use maud::{html, Markup};

use crate::extract::CurrentUser;

/// Tickets listed at most, most likely first.
const LISTED: usize = 10;

/// The section, or nothing for a reader who may not see risk. `skip`: tickets the page shows
/// already (at risk by their clock); `from`: the page the hand-dispatch link comes back to.
pub(crate) async fn predicted_late(
    user: &CurrentUser,
    lang: Lang,
    now: DateTime<Utc>,
    skip: &HashSet<TicketId>,
    from: &str,
) -> Result<Markup, StoreError> {
    if !access::allowed(&user.actor, Permission::Risk) {
        return Ok(html! {});
    }
    let items = user.tenant.open_risk(&user.actor, now).await?;
    let names = user.tenant.category_names().await?;
    let name = |code: &str| names.get(code).cloned().unwrap_or_else(|| code.to_owned());
    let listed: Vec<_> = items
        .iter()
        .filter(|i| i.risk.likely_late())
        .filter(|i| !skip.contains(&i.ticket_id))
        .take(LISTED)
        .collect();
    Ok(html! {
        section.predicted-late {
            h2 { (t(lang, "page.risk.title")) }
            p.muted { (t(lang, "page.risk.hint")) }
            @if listed.is_empty() { p.muted { (t(lang, "page.risk.none")) } }
            @for i in listed {
                div.card {
                    p {
                        span.badge.warning { (percent(i.risk.breach)) } " "
                        a href={ "/t/" (i.ticket_id) } { (i.number) } " · " (i.subject)
                    }
                    @if !i.risk.reasons.is_empty() {
                        ul.reasons {
                            @for r in &i.risk.reasons { li { (r.text(lang, name)) } }
                        }
                    }
                    p { a.button href={ "/dispatch/t/" (i.ticket_id) "?from=" (from) } { (t(lang, "page.review.reassign")) } }
                }
            }
        }
    })
}

/// A chance as a whole percentage; one short of certain never reads as 100 %.
fn percent(p: f64) -> String {
    let whole = (p * 100.0).round();
    if whole >= 100.0 && p < 1.0 {
        "99%".to_owned()
    } else {
        format!("{whole:.0}%")
    }
}
