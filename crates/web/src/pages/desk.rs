//! The agent's console (客服): the queue with SLA colours, and phone intake — type the caller's
//! number and see at once who it is, their sites, equipment with warranty, and their tickets;
//! record the request from there, so the customer says it only once.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::{DateTime, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::asset;
use loopdesk_core::i18n::{t, Lang};
use loopdesk_core::ticket::urgency;
use loopdesk_core::ticket::views::View;
use loopdesk_core::ticket::Channel;
use loopdesk_core::{AssetId, CustomerId, SiteId};
use loopdesk_store::{CustomerDetail, Idempotency, NewTicket, StoreError, TicketFilter};
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{page, PageUser};
use crate::extract::CurrentUser;
use crate::state::AppState;

fn staff_only(user: &CurrentUser, lang: Lang) -> Option<Response> {
    (!access::allowed(&user.actor, Permission::CreateTicket)
        || user
            .auth
            .user
            .roles
            .contains(&loopdesk_core::Role::Customer))
    .then(|| super::failure(lang, &StoreError::Forbidden))
}

/// What the queue is asked for: a view, filters, a page.
#[derive(Deserialize, Default)]
pub struct QueueQuery {
    #[serde(default)]
    view: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    cursor: String,
}

/// The store's filter of a view (core's `View::filter`) for this reader, with the page's own
/// filters.
fn view_filter(user: &CurrentUser, view: View, q: &QueueQuery, now: DateTime<Utc>) -> TicketFilter {
    let v = view.filter();
    TicketFilter {
        status: v.statuses.to_vec(),
        sla_state: v.sla_state,
        unassigned: v.unassigned,
        mine: if v.mine { user.actor.user_id() } else { None },
        closed_from: v
            .closed_within_days
            .map(|d| now - chrono::Duration::days(d)),
        priority: q.priority.parse().ok().filter(|p| (1..=4).contains(p)),
        q: Some(q.q.trim().to_owned()).filter(|q| !q.is_empty()),
        limit: Some(100),
        ..TicketFilter::default()
    }
}

/// The queue: one view at a time (all open, mine, unassigned, waiting for parts, at risk,
/// breached, awaiting the customer, closed in the last 30 days) with each view's count; filters
/// by priority and words; a hundred rows a page, open work most urgent first; columns for the
/// customer, engineer, due time in the SLA's colour, created and updated.
pub async fn queue(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Query(q): Query<QueueQuery>,
) -> Response {
    if let Some(no) = staff_only(&user, lang) {
        return no;
    }
    let live = match super::live::queue_url(&user).await {
        Ok(url) => url,
        Err(e) => return super::failure(lang, &e),
    };
    let now = state.clock.now();
    let view = View::parse(&q.view).unwrap_or(View::Open);
    let mut filter = view_filter(&user, view, &q, now);
    filter.cursor = Some(q.cursor.clone()).filter(|c| !c.is_empty());
    let page_of = match user.tenant.tickets_for(&user.actor, &filter).await {
        Ok(p) => p,
        Err(StoreError::Invalid(_)) => return Redirect::to("/desk").into_response(),
        Err(e) => return super::failure(lang, &e),
    };
    let mut counts = Vec::with_capacity(View::ALL.len());
    for v in View::ALL {
        let f = view_filter(&user, v, &QueueQuery::default(), now);
        match user.tenant.count_tickets(&user.actor, &f).await {
            Ok(n) => counts.push((v, n)),
            Err(e) => return super::failure(lang, &e),
        }
    }
    let mut items = page_of.items;
    if view.by_urgency() {
        items.sort_by_key(|tk| urgency(tk.priority, tk.sla.resolution_due, tk.created_at));
    }
    let ids: Vec<_> = items.iter().map(|tk| tk.id).collect();
    let names = match user.tenant.list_names(&ids).await {
        Ok(n) => n,
        Err(e) => return super::failure(lang, &e),
    };
    let offset = match user.tenant.utc_offset().await {
        Ok(o) => o,
        Err(e) => return super::failure(lang, &e),
    };
    let when = |at: DateTime<Utc>| at.with_timezone(&offset).format("%m-%d %H:%M").to_string();
    let link = |v: View| format!("/desk?view={}", v.as_str());
    let next = page_of.next_cursor.map(|c| {
        format!(
            "/desk?view={}&priority={}&q={}&cursor={}",
            view.as_str(),
            q.priority,
            super::query_value(&q.q),
            super::query_value(&c)
        )
    });
    let title = t(lang, "page.desk.queue");
    page(
        lang,
        title,
        Some(&user.auth.user),
        html! {
            h1 { (title) }
            p.notice data-live=(live) hidden { (t(lang, "page.live.changed")) }
            p { a.button href="/desk/intake" { (t(lang, "page.desk.intake")) } }
            nav.views {
                @for (v, n) in &counts {
                    a href=(link(*v)) aria-current=[(*v == view).then_some("page")] {
                        (t(lang, &v.label_key())) " " span.count { (n) }
                    }
                }
            }
            form.filters method="get" action="/desk" {
                input type="hidden" name="view" value=(view.as_str());
                select name="priority" aria-label=(t(lang, "page.ticket.priority")) {
                    option value="" { (t(lang, "page.desk.any_priority")) }
                    @for p in 1..=4_i64 { option value=(p) selected[q.priority == p.to_string()] { "P" (p) } }
                }
                input type="search" name="q" value=(q.q) placeholder=(t(lang, "page.search.placeholder")) aria-label=(t(lang, "page.search.placeholder"));
                button type="submit" { (t(lang, "page.desk.filter")) }
            }
            @if items.is_empty() { p.muted { (t(lang, "page.desk.empty")) } }
            @else {
                table.queue {
                    thead { tr {
                        th { (t(lang, "page.ticket.number")) }
                        th { (t(lang, "page.ticket.subject")) }
                        th.wide { (t(lang, "page.desk.customer")) }
                        th { (t(lang, "page.ticket.status")) }
                        th.wide { (t(lang, "page.desk.assignee")) }
                        th { (t(lang, "page.desk.due")) }
                        th.wide { (t(lang, "page.desk.created")) }
                        th.wide { (t(lang, "page.desk.updated")) }
                    } }
                    tbody {
                        @for tk in &items {
                            @let (customer, engineer) = names.get(&tk.id).cloned().unwrap_or_default();
                            tr {
                                td { a href={ "/t/" (tk.id) } { (tk.number) } " P" (tk.priority) }
                                td { (tk.subject) }
                                td.wide { (customer.unwrap_or_default()) }
                                td { span.badge { (t(lang, tk.status.label_key())) } }
                                td.wide { (engineer.unwrap_or_default()) }
                                td {
                                    span class={ "badge " (tk.sla.state.as_str()) } title=(t(lang, &format!("page.sla.{}", tk.sla.state.as_str()))) {
                                        @match tk.sla.resolution_due { Some(d) => (when(d)), None => "—" }
                                    }
                                }
                                td.wide { (when(tk.created_at)) }
                                td.wide { (when(tk.updated_at)) }
                            }
                        }
                    }
                }
            }
            p {
                @if !q.cursor.is_empty() { a href=(link(view)) { (t(lang, "page.desk.first")) } " " }
                @if let Some(n) = &next { a.button href=(n) { (t(lang, "page.desk.next")) } }
            }
        },
    )
}

/// Who is calling.
#[derive(Deserialize)]
pub struct IntakeQuery {
    phone: Option<String>,
}

fn caller(
    lang: Lang,
    offset: chrono::FixedOffset,
    today: chrono::NaiveDate,
    d: &CustomerDetail,
    phone: &str,
) -> Markup {
    let c = &d.customer;
    html! {
        div.card {
            h2 { (c.name) " " span.badge { (c.tier) } }
            ul { @for k in &c.contacts { li { (k.name) @if let Some(p) = &k.phone { " · " (p) } } } }
            h3 { (t(lang, "page.desk.assets")) }
            ul {
                @for a in &d.assets {
                    @let until = a.warranty_until.as_deref().and_then(|u| u.parse().ok());
                    li {
                        a href={ "/assets/" (a.id) } { (a.model) " · " (a.serial) }
                        @if let Some(w) = asset::warranty_on(until, today) { " " span.badge { (t(lang, &format!("page.warranty.{}", w.as_str()))) } }
                    }
                }
            }
            h3 { (t(lang, "page.desk.tickets")) }
            ul.events {
                @for tk in &d.recent_tickets {
                    li {
                        span.muted { (super::local_time(offset, tk.created_at)) " " }
                        a href={ "/t/" (tk.id) } { (tk.number) } " " (tk.subject) " "
                        span.badge { (t(lang, tk.status.label_key())) }
                    }
                }
            }
            form method="post" action="/desk/intake" {
                input type="hidden" name="customer_id" value=(c.id);
                input type="hidden" name="phone" value=(phone);
                input type="hidden" name="submission" value=(uuid::Uuid::new_v4());
                @if d.sites.len() > 1 {
                    label for={ "site-" (c.id) } { (t(lang, "page.desk.site")) }
                    select id={ "site-" (c.id) } name="site_id" {
                        @for s in &d.sites { option value=(s.id) { (s.name) " · " (s.address) } }
                    }
                } @else if let Some(s) = d.sites.first() {
                    input type="hidden" name="site_id" value=(s.id);
                }
                @if !d.assets.is_empty() {
                    label for={ "asset-" (c.id) } { (t(lang, "page.request.asset")) }
                    select id={ "asset-" (c.id) } name="asset_id" {
                        option value="" { "—" }
                        @for a in &d.assets { option value=(a.id) { (a.model) " · " (a.serial) } }
                    }
                }
                label for={ "subject-" (c.id) } { (t(lang, "page.request.subject")) }
                input id={ "subject-" (c.id) } name="subject" required maxlength="200";
                label for={ "description-" (c.id) } { (t(lang, "page.request.description")) }
                textarea id={ "description-" (c.id) } name="description" maxlength="10000" {}
                label for={ "priority-" (c.id) } { (t(lang, "page.request.urgency")) }
                select id={ "priority-" (c.id) } name="priority" {
                    @for (v, key) in [("1", "page.urgency.1"), ("2", "page.urgency.2"), ("3", "page.urgency.3"), ("4", "page.urgency.4")] {
                        option value=(v) selected[v == "3"] { (t(lang, key)) }
                    }
                }
                p { button type="submit" { (t(lang, "page.desk.record")) } }
            }
        }
    }
}

/// Phone intake: the caller's number finds the customer and everything about them.
pub async fn intake(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Query(q): Query<IntakeQuery>,
) -> Response {
    if let Some(no) = staff_only(&user, lang) {
        return no;
    }
    intake_page(&state, &user, lang, q.phone.as_deref().unwrap_or(""), None).await
}

async fn intake_page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    phone: &str,
    error: Option<&str>,
) -> Response {
    let phone = phone.trim();
    let mut found = Vec::new();
    let mut phone_error = None;
    if !phone.is_empty() {
        match user.tenant.customers_by_phone(phone, None).await {
            Ok(cs) => {
                for c in cs {
                    match user.tenant.customer_detail(&user.actor, c.id).await {
                        Ok(d) => found.push(d),
                        Err(e) => return super::failure(lang, &e),
                    }
                }
            }
            Err(StoreError::Invalid(e)) => phone_error = Some(e.reason),
            Err(e) => return super::failure(lang, &e),
        }
    }
    let offset = match user.tenant.utc_offset().await {
        Ok(o) => o,
        Err(e) => return super::failure(lang, &e),
    };
    let today = state.clock.now().with_timezone(&offset).date_naive();
    let title = t(lang, "page.desk.intake");
    let mut res = page(
        lang,
        title,
        Some(&user.auth.user),
        html! {
            h1 { (title) }
            form.card method="get" action="/desk/intake" {
                label for="phone" { (t(lang, "page.desk.phone")) }
                input #phone name="phone" type="tel" value=(phone) autofocus;
                @if let Some(r) = phone_error { p.field-error role="alert" { (t(lang, r)) } }
                p { button type="submit" { (t(lang, "page.desk.look_up")) } }
            }
            @if let Some(e) = error { p.error role="alert" { (t(lang, e)) } }
            @if !phone.is_empty() && phone_error.is_none() && found.is_empty() {
                p.muted { (t(lang, "page.desk.unknown_caller")) }
            }
            @for d in &found { (caller(lang, offset, today, d, phone)) }
        },
    );
    if error.is_some() || phone_error.is_some() {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    res
}

/// A request recorded at intake.
#[derive(Deserialize)]
pub struct IntakeForm {
    customer_id: String,
    phone: String,
    site_id: Option<String>,
    asset_id: Option<String>,
    subject: String,
    description: String,
    priority: Option<String>,
    submission: String,
}

/// Records the caller's request, prefilled from what intake found; then its page.
pub async fn record(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Form(f): Form<IntakeForm>,
) -> Response {
    if let Some(no) = staff_only(&user, lang) {
        return no;
    }
    let id = |text: &Option<String>| {
        text.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let new = NewTicket {
        subject: f.subject.clone(),
        description: f.description.clone(),
        priority: f
            .priority
            .as_deref()
            .and_then(|p| p.parse().ok())
            .unwrap_or(3),
        channel: Channel::Phone,
        customer_id: CustomerId::parse(f.customer_id.trim()),
        contact_phone: Some(f.phone.clone()).filter(|p| !p.trim().is_empty()),
        site_id: id(&f.site_id).and_then(|s| SiteId::parse(&s)),
        asset_id: id(&f.asset_id).and_then(|a| AssetId::parse(&a)),
        category: None,
        fields: None,
    };
    let key = f.submission.trim();
    let idem = (!key.is_empty() && key.len() <= 100).then(|| Idempotency {
        key: format!("intake:{key}"),
        request_hash: format!("intake:{key}"),
    });
    match user
        .tenant
        .create_ticket(&user.actor, new, idem, state.clock.now())
        .await
    {
        Ok((ticket, _)) => Redirect::to(&format!("/t/{}", ticket.id)).into_response(),
        Err(StoreError::Invalid(e)) => {
            intake_page(&state, &user, lang, &f.phone, Some(e.reason)).await
        }
        Err(e) => super::failure(lang, &e),
    }
}
