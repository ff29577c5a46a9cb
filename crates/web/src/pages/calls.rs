//! Calls for the desk: the caller's card that pops on an agent's pages while the phone rings,
//! the call log with the callbacks missed calls left (回电), and the call lists on a customer's
//! and a ticket's page.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use chrono::FixedOffset;
use loopdesk_core::asset;
use loopdesk_core::i18n::{t, tf, Lang};
use loopdesk_core::inbound::call::Callback;
use loopdesk_core::CallId;
use loopdesk_store::{Call, CallFilter, CustomerDetail, StoreError};
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{page, PageQuery, PageUser};
use crate::state::AppState;

/// Calls per page of the log.
const PAGE: i64 = 50;

/// How long a call took, `m:ss`.
fn talk(seconds: i64) -> String {
    format!("{}:{:02}", seconds / 60, seconds % 60)
}

/// One call as a row: when, which way, the number and whose it is, the agent, how it went,
/// the recording, the ticket, and its callback.
fn row(lang: Lang, offset: FixedOffset, c: &Call, actions: bool) -> Markup {
    let number = c
        .customer_phone
        .as_deref()
        .unwrap_or(if c.direction == "outbound" {
            &c.to
        } else {
            &c.from
        });
    html! {
        tr.call data-state=(c.state) {
            td title=(super::local_time(offset, c.began_at)) { (c.began_at.with_timezone(&offset).format("%m-%d %H:%M")) }
            td { (t(lang, &format!("page.calls.direction.{}", c.direction))) }
            td {
                a href={ "tel:" (number) } { (number) }
                @if let (Some(id), Some(name)) = (c.customer_id, &c.customer_name) {
                    " · " a href={ "/customers/" (id) } { (name) }
                } @else {
                    " " span.muted { (t(lang, "page.calls.unknown_number")) }
                }
            }
            td { (c.agent_name.as_deref().or(c.agent.as_deref()).unwrap_or("—")) }
            td {
                span.badge.warning[c.state == "missed"] { (t(lang, &format!("page.calls.state.{}", c.state))) }
                @if let Some(s) = c.talk_seconds { " " span.muted { (talk(s)) } }
            }
            td {
                @if let Some(url) = &c.recording_url {
                    a href=(url) rel="noreferrer noopener" target="_blank" { (t(lang, "page.calls.recording")) }
                }
                @if let Some(text) = &c.transcript {
                    details { summary { (t(lang, "page.calls.transcript")) } p.pre { (text) } }
                }
            }
            td {
                @if let (Some(id), Some(no)) = (c.ticket_id, &c.ticket_number) {
                    a href={ "/t/" (id) } { (no) }
                } @else if actions {
                    a href={ "/desk/intake?phone=" (super::query_value(number)) "&call=" (c.id) } { (t(lang, "page.calls.record_short")) }
                }
            }
            td {
                @match c.callback.as_deref() {
                    Some("open") => {
                        span.badge.breached { (t(lang, "page.calls.callback.open")) }
                        @if actions {
                            form.inline method="post" action={ "/desk/calls/" (c.id) "/done" } {
                                button.link type="submit" { (t(lang, "page.calls.called_back")) }
                            }
                        }
                    }
                    Some("done") => {
                        span.badge { (t(lang, "page.calls.callback.done")) }
                        @if let Some(at) = c.callback_at { " " span.muted title=(super::local_time(offset, at)) { (at.with_timezone(&offset).format("%m-%d %H:%M")) } }
                    }
                    _ => {}
                }
            }
        }
    }
}

/// A list of calls, as the call log, a customer's page and a ticket's page show them.
pub(super) fn table(lang: Lang, offset: FixedOffset, calls: &[Call], actions: bool) -> Markup {
    html! {
        table.calls {
            thead { tr {
                th { (t(lang, "page.calls.when")) }
                th { (t(lang, "page.calls.direction")) }
                th { (t(lang, "page.calls.number")) }
                th { (t(lang, "page.calls.agent")) }
                th { (t(lang, "page.calls.state")) }
                th { (t(lang, "page.calls.recording")) }
                th { (t(lang, "page.calls.ticket")) }
                th { (t(lang, "page.calls.callback")) }
            } }
            tbody { @for c in calls { (row(lang, offset, c, actions)) } }
        }
    }
}

/// The last calls of a customer or a ticket, for those who take calls (nobody else sees the
/// call log: an empty list).
pub(super) async fn last_calls(
    user: &crate::extract::CurrentUser,
    only: CallFilter,
) -> Result<Vec<Call>, StoreError> {
    if !loopdesk_core::access::allowed(&user.actor, loopdesk_core::access::Permission::Calls) {
        return Ok(Vec::new());
    }
    Ok(user.tenant.calls(&user.actor, &only, None, 20).await?.items)
}

/// Which calls the log shows.
#[derive(Deserialize, Default)]
pub struct LogQuery {
    view: Option<String>,
    cursor: Option<String>,
}

/// The call log: callbacks waiting first (the default view), or every call, or the missed.
pub async fn log(PageUser { user, lang }: PageUser, PageQuery(q): PageQuery<LogQuery>) -> Response {
    let view = match q.view.as_deref() {
        Some("all") => "all",
        Some("missed") => "missed",
        _ => "callbacks",
    };
    let filter = CallFilter {
        callback: (view == "callbacks").then_some(Callback::Open),
        missed: view == "missed",
        ..CallFilter::default()
    };
    let cursor = q.cursor.as_deref().filter(|c| !c.is_empty());
    let (calls, waiting, offset) = match (
        user.tenant.calls(&user.actor, &filter, cursor, PAGE).await,
        user.tenant.open_callbacks(&user.actor).await,
        user.tenant.utc_offset().await,
    ) {
        (Ok(c), Ok(w), Ok(o)) => (c, w, o),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return super::failure(lang, &e),
    };
    let title = t(lang, "page.calls.title");
    page(
        lang,
        title,
        Some(&user.auth.user),
        html! {
            h1 { (title) }
            nav.tabs {
                @for (v, key) in [("callbacks", "page.calls.view.callbacks"), ("missed", "page.calls.view.missed"), ("all", "page.calls.view.all")] {
                    a href={ "/desk/calls?view=" (v) } class=[(v == view).then_some("current")] aria-current=[(v == view).then_some("page")] {
                        (t(lang, key))
                        @if v == "callbacks" && waiting > 0 { " " span.badge.breached { (waiting) } }
                    }
                }
            }
            @if calls.items.is_empty() {
                p.muted { (t(lang, if view == "callbacks" { "page.calls.no_callbacks" } else { "page.calls.none" })) }
            } @else {
                (table(lang, offset, &calls.items, true))
            }
            @if let Some(next) = &calls.next_cursor {
                p { a href={ "/desk/calls?view=" (view) "&cursor=" (super::query_value(next)) } { (t(lang, "page.calls.older")) } }
            }
        },
    )
}

/// Where to go back to after a callback is marked done.
#[derive(Deserialize, Default)]
pub struct Back {
    #[serde(default)]
    back: String,
}

/// Marks a missed call's callback done.
pub async fn done(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
    Form(b): Form<Back>,
) -> Response {
    let Some(id) = CallId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    match user
        .tenant
        .callback_done(&user.actor, id, state.clock.now())
        .await
    {
        Ok(_) => {
            Redirect::to(super::session::local_path(Some(&b.back), "/desk/calls")).into_response()
        }
        Err(e) => super::failure(lang, &e),
    }
}

/// One customer the number belongs to, as the card shows them: contacts, equipment, open and
/// recent tickets.
fn customer(lang: Lang, d: &CustomerDetail, today: chrono::NaiveDate) -> Markup {
    let c = &d.customer;
    html! {
        section.caller {
            h3 { a href={ "/customers/" (c.id) } { (c.name) } " " span.badge { (c.tier) } }
            p.muted {
                @for (i, k) in c.contacts.iter().enumerate() {
                    @if i > 0 { " · " }
                    (k.name) @if let Some(p) = &k.phone { " " (p) }
                }
            }
            @if !d.assets.is_empty() {
                ul.assets {
                    @for a in d.assets.iter().take(5) {
                        @let until = a.warranty_until.as_deref().and_then(|u| u.parse().ok());
                        li {
                            a href={ "/assets/" (a.id) } { (a.model) " · " (a.serial) }
                            @if let Some(w) = asset::warranty_on(until, today) { " " span.badge { (t(lang, &format!("page.warranty.{}", w.as_str()))) } }
                        }
                    }
                }
            }
            @if !d.open_tickets.is_empty() {
                h4 { (tf(lang, "page.desk.open_tickets", &[("count", &d.open_tickets.len().to_string())])) }
                ul.events {
                    @for tk in d.open_tickets.iter().take(5) {
                        li { a href={ "/t/" (tk.id) } { (tk.number) } " " (tk.subject) " " span.badge { (t(lang, tk.status.label_key())) } }
                    }
                }
            }
            @let closed: Vec<_> = d.recent_tickets.iter().filter(|tk| !tk.status.is_open()).take(3).collect();
            @if !closed.is_empty() {
                h4 { (t(lang, "page.desk.tickets")) }
                ul.events {
                    @for tk in closed {
                        li { a href={ "/t/" (tk.id) } { (tk.number) } " " (tk.subject) " " span.badge { (t(lang, tk.status.label_key())) } }
                    }
                }
            }
        }
    }
}

/// The caller's card, a fragment the page shows in its corner while the phone rings: who the
/// number belongs to and everything about them, and one click to record a request from this
/// call (an unknown caller: the intake form for a new customer on this number).
pub async fn card(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
) -> Response {
    let Some(id) = CallId::parse(&id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let call = match user.tenant.call(&user.actor, id).await {
        Ok(c) => c,
        Err(StoreError::NotFound) => return StatusCode::NOT_FOUND.into_response(),
        Err(StoreError::Forbidden) => return StatusCode::FORBIDDEN.into_response(),
        Err(e) => return super::failure(lang, &e),
    };
    let number = call
        .customer_phone
        .clone()
        .unwrap_or_else(|| call.from.clone());
    let mut found = Vec::new();
    if let Some(phone) = &call.customer_phone {
        match user.tenant.customers_by_phone(phone, None).await {
            Ok(cs) => {
                for c in cs.into_iter().take(3) {
                    match user.tenant.customer_detail(&user.actor, c.id).await {
                        Ok(d) => found.push(d),
                        Err(e) => return super::failure(lang, &e),
                    }
                }
            }
            Err(e) => return super::failure(lang, &e),
        }
    }
    let offset = match user.tenant.utc_offset().await {
        Ok(o) => o,
        Err(e) => return super::failure(lang, &e),
    };
    let today = state.clock.now().with_timezone(&offset).date_naive();
    let intake = format!(
        "/desk/intake?phone={}&call={}",
        super::query_value(&number),
        call.id
    );
    let markup = html! {
        div.call-card data-call=(call.id) {
            header {
                strong { (t(lang, &format!("page.calls.pop.{}", call.state))) " " (number) }
                button.link type="button" data-dismiss-call=(call.id) aria-label=(t(lang, "page.desk.close")) { "×" }
            }
            @if found.is_empty() {
                p { (t(lang, "page.desk.unknown_caller")) }
                p { a.button href=(intake) { (t(lang, "page.calls.new_caller")) } }
            } @else {
                @for d in &found { (customer(lang, d, today)) }
                p { a.button href=(intake) { (t(lang, "page.calls.record")) } }
            }
        }
    };
    Html(markup.into_string()).into_response()
}
