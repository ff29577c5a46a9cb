//! The customer portal: my requests, and a new one.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use loopdesk_core::i18n::{t, Lang};
use loopdesk_core::ticket::Channel;
use loopdesk_core::{AssetId, Status};
use loopdesk_store::{Idempotency, NewTicket, StoreError, TicketFilter};
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{page, PageUser};
use crate::state::AppState;

fn status_badge(lang: Lang, s: Status) -> Markup {
    html! { span.badge { (t(lang, s.label_key())) } }
}

/// My requests, newest first.
pub async fn list(PageUser { user, lang }: PageUser) -> Response {
    let filter = TicketFilter {
        limit: Some(100),
        ..TicketFilter::default()
    };
    let tickets = match user.tenant.tickets_for(&user.actor, &filter).await {
        Ok(p) => p.items,
        Err(e) => return super::failure(lang, &e),
    };
    let offset = match user.tenant.utc_offset().await {
        Ok(o) => o,
        Err(e) => return super::failure(lang, &e),
    };
    let title = t(lang, "page.portal.title");
    page(
        lang,
        title,
        Some(&user.auth.user),
        html! {
            h1 { (title) }
            p.notice data-live="/live/queue" hidden { (t(lang, "page.live.changed")) }
            p { a.button href="/portal/new" { (t(lang, "page.nav.new_request")) } }
            @if tickets.is_empty() {
                p.muted { (t(lang, "page.portal.none")) }
            } @else {
                table {
                    thead { tr {
                        th { (t(lang, "page.ticket.number")) }
                        th { (t(lang, "page.ticket.subject")) }
                        th { (t(lang, "page.ticket.status")) }
                        th.wide { (t(lang, "page.ticket.created")) }
                    } }
                    tbody {
                        @for tk in &tickets {
                            tr {
                                td { a href={ "/t/" (tk.id) } { (tk.number) } }
                                td { (tk.subject) }
                                td { (status_badge(lang, tk.status)) }
                                td.wide { (super::local_time(offset, tk.created_at)) }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// The request form as posted.
#[derive(Deserialize, Default)]
pub struct RequestForm {
    subject: String,
    description: String,
    priority: Option<String>,
    asset_id: Option<String>,
    /// A key made with the form: submitting twice records one request.
    submission: String,
}

fn form(
    lang: Lang,
    f: &RequestForm,
    assets: &[(String, String)],
    error: Option<(&str, &str)>,
) -> Markup {
    let err = |field: &str| -> Markup {
        match error {
            Some((f, reason)) if f == field => {
                html! { p.field-error role="alert" { (t(lang, reason)) } }
            }
            _ => html! {},
        }
    };
    let priority = f.priority.as_deref().unwrap_or("3");
    html! {
        form.card method="post" action="/portal/new" {
            input type="hidden" name="submission" value=(f.submission);
            @if !assets.is_empty() {
                label for="asset_id" { (t(lang, "page.request.asset")) }
                select #asset_id name="asset_id" {
                    option value="" { "—" }
                    @for (id, name) in assets {
                        option value=(id) selected[f.asset_id.as_deref() == Some(id.as_str())] { (name) }
                    }
                }
                (err("asset_id"))
            }
            label for="subject" { (t(lang, "page.request.subject")) }
            input #subject name="subject" value=(f.subject) required maxlength="200";
            (err("subject"))
            label for="description" { (t(lang, "page.request.description")) }
            textarea #description name="description" maxlength="10000" { (f.description) }
            (err("description"))
            label for="priority" { (t(lang, "page.request.urgency")) }
            select #priority name="priority" {
                @for (v, key) in [("1", "page.urgency.1"), ("2", "page.urgency.2"), ("3", "page.urgency.3"), ("4", "page.urgency.4")] {
                    option value=(v) selected[priority == v] { (t(lang, key)) }
                }
            }
            (err("priority"))
            p { button type="submit" { (t(lang, "page.request.submit")) } }
        }
    }
}

async fn my_assets(user: &crate::extract::CurrentUser) -> Vec<(String, String)> {
    let Some(c) = user.auth.user.customer_id else {
        return Vec::new();
    };
    match user.tenant.customer_detail(&user.actor, c).await {
        Ok(d) => d
            .assets
            .into_iter()
            .map(|a| (a.id.to_string(), format!("{} · {}", a.model, a.serial)))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Which asset the request is about (from a scanned label).
#[derive(Deserialize)]
pub struct NewQuery {
    asset: Option<String>,
}

/// The new-request form (for the asset named, when coming from its label).
pub async fn new(PageUser { user, lang }: PageUser, Query(q): Query<NewQuery>) -> Response {
    let title = t(lang, "page.nav.new_request");
    let assets = my_assets(&user).await;
    let f = RequestForm {
        submission: uuid::Uuid::new_v4().to_string(),
        asset_id: q.asset.filter(|a| assets.iter().any(|(id, _)| id == a)),
        ..RequestForm::default()
    };
    page(
        lang,
        title,
        Some(&user.auth.user),
        html! { h1 { (title) } (form(lang, &f, &assets, None)) },
    )
}

/// Records the request; the form again with the error by its field and what was typed,
/// or the new request's page. The form's key makes a second submit answer the first.
pub async fn create(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Form(f): Form<RequestForm>,
) -> Response {
    let priority = f
        .priority
        .as_deref()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3);
    let asset_id = match f
        .asset_id
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        Some(a) => AssetId::parse(a),
        None => None,
    };
    let new = NewTicket {
        subject: f.subject.clone(),
        description: f.description.clone(),
        priority,
        channel: Channel::Web,
        customer_id: None,
        contact_phone: None,
        site_id: None,
        asset_id,
        category: None,
        fields: None,
    };
    let key = f.submission.trim();
    let idem = (!key.is_empty() && key.len() <= 100).then(|| Idempotency {
        key: format!("portal:{key}"),
        request_hash: format!("portal:{key}"),
    });
    match user
        .tenant
        .create_ticket(&user.actor, new, idem, state.clock.now())
        .await
    {
        Ok((ticket, _)) => Redirect::to(&format!("/t/{}", ticket.id)).into_response(),
        Err(StoreError::Invalid(e)) => {
            let assets = my_assets(&user).await;
            let title = t(lang, "page.nav.new_request");
            let mut res = page(
                lang,
                title,
                Some(&user.auth.user),
                html! { h1 { (title) } (form(lang, &f, &assets, Some((e.field, e.reason)))) },
            );
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            res
        }
        Err(e) => super::failure(lang, &e),
    }
}
