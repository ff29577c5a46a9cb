//! The customer portal: my requests, and a new one.

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use loopdesk_core::i18n::{t, Lang};
use loopdesk_core::ticket::Channel;
use loopdesk_core::{AssetId, Status};
use loopdesk_store::{Category, Idempotency, NewTicket, StoreError, TicketFilter};
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{page, PageQuery, PageUser};
use crate::state::AppState;

fn status_badge(lang: Lang, s: Status) -> Markup {
    html! { span.badge { (t(lang, s.label_key())) } }
}

/// My requests, newest first.
pub async fn list(PageUser { user, lang }: PageUser) -> Response {
    let live = match super::live::queue_url(&user).await {
        Ok(url) => url,
        Err(e) => return super::failure(lang, &e),
    };
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
            p.notice data-live=(live) hidden { (t(lang, "page.live.changed")) }
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
#[derive(Default)]
pub struct RequestForm {
    subject: String,
    description: String,
    priority: Option<String>,
    asset_id: Option<String>,
    category: Option<String>,
    /// Category fields: (name, value).
    fields: Vec<(String, String)>,
    /// Photos: (file name, bytes).
    photos: Vec<(String, Vec<u8>)>,
    /// A key made with the form: submitting twice records one request.
    submission: String,
}

fn form(
    lang: Lang,
    f: &RequestForm,
    assets: &[(String, String)],
    categories: &[Category],
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
    let value = |name: &str| {
        f.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    html! {
        form.card method="post" action="/portal/new" enctype="multipart/form-data" data-triage="/portal/suggest" {
            input type="hidden" name="submission" value=(f.submission);
            @if !categories.is_empty() {
                label for="category" { (t(lang, "page.request.category")) }
                select #category name="category" data-fields {
                    option value="" { "—" }
                    @for c in categories {
                        option value=(c.code) selected[f.category.as_deref() == Some(c.code.as_str())] { (c.name) }
                    }
                }
                @for c in categories {
                    @if !c.required_fields.is_empty() {
                        fieldset data-category=(c.code) {
                            legend { (c.name) }
                            @for name in &c.required_fields {
                                label { (name) input name={ "field." (name) } value=(value(name)); }
                            }
                        }
                    }
                }
                (err("fields"))
            }
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
            div.triage-panel aria-live="polite" {}
            label for="priority" { (t(lang, "page.request.urgency")) }
            select #priority name="priority" {
                @for (v, key) in [("1", "page.urgency.1"), ("2", "page.urgency.2"), ("3", "page.urgency.3"), ("4", "page.urgency.4")] {
                    option value=(v) selected[priority == v] { (t(lang, key)) }
                }
            }
            (err("priority"))
            label for="photos" { (t(lang, "page.request.photos")) }
            input #photos type="file" name="photos" accept="image/*" multiple;
            (err("photos"))
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

async fn form_page(
    user: &crate::extract::CurrentUser,
    lang: Lang,
    f: &RequestForm,
    error: Option<(&str, &str)>,
) -> Response {
    let title = t(lang, "page.nav.new_request");
    let assets = my_assets(user).await;
    let categories = user.tenant.categories().await.unwrap_or_default();
    let mut res = page(
        lang,
        title,
        Some(&user.auth.user),
        html! { h1 { (title) } (form(lang, f, &assets, &categories, error)) },
    );
    if error.is_some() {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    res
}

/// The new-request form (for the asset named, when coming from its label).
pub async fn new(PageUser { user, lang }: PageUser, PageQuery(q): PageQuery<NewQuery>) -> Response {
    let assets = my_assets(&user).await;
    let f = RequestForm {
        submission: uuid::Uuid::new_v4().to_string(),
        asset_id: q.asset.filter(|a| assets.iter().any(|(id, _)| id == a)),
        ..RequestForm::default()
    };
    form_page(&user, lang, &f, None).await
}

async fn read(mut multipart: Multipart) -> Result<RequestForm, &'static str> {
    let mut f = RequestForm::default();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|_| "error.payload_too_large")?
    {
        let name = field.name().unwrap_or("").to_owned();
        let file = field.file_name().map(str::to_owned);
        let bytes = field.bytes().await.map_err(|_| "error.payload_too_large")?;
        let text = || String::from_utf8_lossy(&bytes).into_owned();
        match name.as_str() {
            "subject" => f.subject = text(),
            "description" => f.description = text(),
            "priority" => f.priority = Some(text()),
            "asset_id" => f.asset_id = Some(text()),
            "category" => f.category = Some(text()).filter(|c| !c.trim().is_empty()),
            "submission" => f.submission = text(),
            "photos" if !bytes.is_empty() => f
                .photos
                .push((file.unwrap_or_else(|| "photo".into()), bytes.to_vec())),
            n => {
                if let Some(key) = n.strip_prefix("field.") {
                    let v = text();
                    if !v.trim().is_empty() {
                        f.fields.push((key.to_owned(), v));
                    }
                }
            }
        }
    }
    Ok(f)
}

/// Records the request; the form again with the error by its field and what was typed,
/// or the new request's page. The form's key makes a second submit answer the first.
/// Photos are checked before anything is recorded, and kept with the request.
pub async fn create(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    multipart: Multipart,
) -> Response {
    let f = match read(multipart).await {
        Ok(f) => f,
        Err(reason) => {
            return form_page(
                &user,
                lang,
                &RequestForm::default(),
                Some(("photos", reason)),
            )
            .await
        }
    };
    for (_, bytes) in &f.photos {
        if let Err(problem) = crate::api::attachments::check_upload(&state, bytes, true).await {
            return form_page(&user, lang, &f, Some(("photos", problem.key()))).await;
        }
    }
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
    let fields = serde_json::Value::Object(
        f.fields
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect(),
    );
    let new = NewTicket {
        subject: f.subject.clone(),
        description: f.description.clone(),
        priority,
        channel: Channel::Web,
        customer_id: None,
        contact_phone: None,
        site_id: None,
        asset_id,
        category: f.category.clone(),
        fields: Some(fields),
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
        Ok((ticket, replayed)) => {
            if !replayed {
                for (name, bytes) in &f.photos {
                    let saved = crate::api::attachments::save_upload(
                        &state,
                        &user,
                        ticket.id,
                        loopdesk_core::ticket::transitions::AttachmentKind::Other,
                        name,
                        bytes,
                    )
                    .await;
                    if let Err(e) = saved {
                        tracing::warn!(ticket = %ticket.id, error = ?e, "a checked photo was not stored");
                    }
                }
            }
            Redirect::to(&format!("/t/{}", ticket.id)).into_response()
        }
        Err(StoreError::Invalid(e)) => form_page(&user, lang, &f, Some((e.field, e.reason))).await,
        Err(e) => super::failure(lang, &e),
    }
}
