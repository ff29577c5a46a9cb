//! The agent's console (客服): the queue with SLA colours, and phone intake — type the caller's
//! number and see at once who it is, their sites, equipment with warranty, and their tickets;
//! record the request from there, so the customer says it only once.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use loopdesk_core::access::{self, Permission};
use loopdesk_core::asset;
use loopdesk_core::i18n::{t, Lang};
use loopdesk_core::ticket::urgency;
use loopdesk_core::ticket::Channel;
use loopdesk_core::{AssetId, CustomerId, SiteId, Status};
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

/// The queue: open tickets, the most urgent first, with their SLA colour.
pub async fn queue(PageUser { user, lang }: PageUser) -> Response {
    if let Some(no) = staff_only(&user, lang) {
        return no;
    }
    let live = match super::live::queue_url(&user).await {
        Ok(url) => url,
        Err(e) => return super::failure(lang, &e),
    };
    let open = TicketFilter {
        status: Status::OPEN.to_vec(),
        limit: Some(200),
        ..TicketFilter::default()
    };
    let mut items = match user.tenant.tickets_for(&user.actor, &open).await {
        Ok(p) => p.items,
        Err(e) => return super::failure(lang, &e),
    };
    items.sort_by_key(|tk| urgency(tk.priority, tk.sla.resolution_due, tk.created_at));
    let title = t(lang, "page.desk.queue");
    page(
        lang,
        title,
        Some(&user.auth.user),
        html! {
            h1 { (title) }
            p.notice data-live=(live) hidden { (t(lang, "page.live.changed")) }
            p { a.button href="/desk/intake" { (t(lang, "page.desk.intake")) } }
            table {
                thead { tr {
                    th { (t(lang, "page.ticket.number")) }
                    th { (t(lang, "page.ticket.subject")) }
                    th { (t(lang, "page.ticket.status")) }
                    th.wide { "SLA" }
                } }
                tbody {
                    @for tk in &items {
                        tr {
                            td { a href={ "/t/" (tk.id) } { (tk.number) } " P" (tk.priority) }
                            td { (tk.subject) }
                            td { span.badge { (t(lang, tk.status.label_key())) } }
                            td.wide { span class={ "badge " (tk.sla.state.as_str()) } { (t(lang, &format!("page.sla.{}", tk.sla.state.as_str()))) } }
                        }
                    }
                }
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
