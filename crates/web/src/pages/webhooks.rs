//! Webhooks for admins: the endpoints with the events they get, their latest deliveries and
//! how those went; a new endpoint; disable, enable, delete; a signed test delivery.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use loopdesk_core::access::{self, Permission};
use loopdesk_core::i18n::{t, Lang};
use loopdesk_core::{notify, WebhookId};
use loopdesk_store::{NewWebhook, StoreError, Webhook, WebhookDelivery};
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{page, PageUser};
use crate::extract::CurrentUser;
use crate::state::AppState;

/// Deliveries shown under each endpoint.
const SHOWN: i64 = 10;

/// The webhooks page.
pub async fn show(PageUser { user, lang }: PageUser) -> Response {
    webhooks_page(&user, lang, None).await
}

async fn webhooks_page(user: &CurrentUser, lang: Lang, error: Option<String>) -> Response {
    if !access::allowed(&user.actor, Permission::ManageAutomation) {
        return super::failure(lang, &StoreError::Forbidden);
    }
    let (hooks, offset) = match (
        user.tenant.webhooks(&user.actor).await,
        user.tenant.utc_offset().await,
    ) {
        (Ok(h), Ok(o)) => (h, o),
        (Err(e), _) | (_, Err(e)) => return super::failure(lang, &e),
    };
    let mut shown = Vec::with_capacity(hooks.len());
    for h in hooks {
        match user
            .tenant
            .webhook_deliveries(&user.actor, h.id, SHOWN)
            .await
        {
            Ok(d) => shown.push((h, d)),
            Err(e) => return super::failure(lang, &e),
        }
    }
    let title = t(lang, "page.hooks.title");
    let mut res = page(
        lang,
        title,
        Some(&user.auth.user),
        html! {
            p.muted { a href="/admin" { (t(lang, "page.admin.title")) } }
            h1 { (title) }
            @if let Some(why) = &error { p.error role="alert" { (why) } }
            @if shown.is_empty() { p.muted { (t(lang, "page.hooks.none")) } }
            @for (h, deliveries) in &shown { (endpoint(lang, offset, h, deliveries)) }
            details.card open[error.is_some()] {
                summary { a { (t(lang, "page.hooks.new")) } }
                form method="post" action="/admin/webhooks" {
                    label for="hook-url" { (t(lang, "page.hooks.url")) }
                    input #hook-url name="url" type="url" required maxlength="2000" placeholder="https://erp.example.com/loopdesk";
                    label for="hook-secret" { (t(lang, "page.hooks.secret")) }
                    input #hook-secret name="secret" required minlength="16" maxlength="200" autocomplete="off";
                    fieldset {
                        legend { (t(lang, "page.hooks.events")) }
                        @for e in notify::EVENTS {
                            label.check { input type="checkbox" name="event" value=(e); " " code { (e) } }
                        }
                    }
                    p { button type="submit" { (t(lang, "page.admin.add")) } }
                }
            }
        },
    );
    if error.is_some() {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    res
}

fn endpoint(
    lang: Lang,
    offset: chrono::FixedOffset,
    h: &Webhook,
    deliveries: &[WebhookDelivery],
) -> Markup {
    let base = format!("/admin/webhooks/{}", h.id);
    html! {
        div.card.webhook {
            h2 {
                code { (h.url) } " "
                @if h.active { span.badge.ok { (t(lang, "page.hooks.active")) } }
                @else { span.badge.breached { (t(lang, "page.hooks.disabled")) } }
            }
            p { @for e in &h.events { span.chip { (e) } " " } }
            div.actions {
                form method="post" action={ (base) "/test" } { button.quiet type="submit" { (t(lang, "page.hooks.test")) } }
                form method="post" action={ (base) "/active" } {
                    input type="hidden" name="active" value=(if h.active { "0" } else { "1" });
                    button.quiet type="submit" { (t(lang, if h.active { "page.hooks.disable" } else { "page.hooks.enable" })) }
                }
                details {
                    summary.button.quiet { (t(lang, "page.hooks.delete")) }
                    form method="post" action={ (base) "/delete" } {
                        p { (t(lang, "page.hooks.delete_confirm")) }
                        button.danger type="submit" { (t(lang, "page.hooks.delete")) }
                    }
                }
            }
            h3 { (t(lang, "page.hooks.deliveries")) }
            @if deliveries.is_empty() { p.muted { "—" } } @else {
                div.scroll { table.deliveries {
                    thead { tr {
                        th { (t(lang, "page.hooks.at")) }
                        th { (t(lang, "page.hooks.event")) }
                        th { (t(lang, "page.hooks.status")) }
                        th.wide { (t(lang, "page.hooks.attempts")) }
                        th.wide { (t(lang, "page.hooks.error")) }
                    } }
                    tbody { @for d in deliveries { tr {
                        td { (super::local_time(offset, d.created_at)) }
                        td { code { (d.event) } }
                        td { span class={ "badge " (status_class(&d.status)) } { (t(lang, &format!("page.hooks.state.{}", d.status))) } }
                        td.wide { (d.attempts) }
                        td.wide { (d.last_error.as_deref().unwrap_or("")) }
                    } } }
                } }
            }
        }
    }
}

fn status_class(status: &str) -> &'static str {
    match status {
        "done" => "ok",
        "dead" => "breached",
        "failed" => "warning",
        _ => "",
    }
}

/// Registers an endpoint. The events come as repeated `event` fields.
pub async fn add(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    body: axum::body::Bytes,
) -> Response {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let new = NewWebhook {
        url: get("url"),
        secret: get("secret"),
        events: pairs
            .iter()
            .filter(|(n, _)| n == "event")
            .map(|(_, v)| v.clone())
            .collect(),
        max_attempts: None,
    };
    match user
        .tenant
        .create_webhook(
            &user.actor,
            new,
            &state.config.webhook_allow,
            state.clock.now(),
        )
        .await
    {
        Ok(_) => Redirect::to("/admin/webhooks").into_response(),
        Err(e) => match super::refusal(lang, &e) {
            Some(why) => webhooks_page(&user, lang, Some(why)).await,
            None => super::failure(lang, &e),
        },
    }
}

/// Disable (`active=0`) or enable (`active=1`).
#[derive(Deserialize)]
pub struct ActiveForm {
    active: String,
}

/// Disables or enables an endpoint.
pub async fn set_active(
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
    Form(f): Form<ActiveForm>,
) -> Response {
    let Some(id) = WebhookId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    match user
        .tenant
        .set_webhook_active(&user.actor, id, f.active == "1")
        .await
    {
        Ok(_) => Redirect::to("/admin/webhooks").into_response(),
        Err(e) => super::failure(lang, &e),
    }
}

/// Removes an endpoint.
pub async fn delete(PageUser { user, lang }: PageUser, Path(id): Path<String>) -> Response {
    let Some(id) = WebhookId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    match user.tenant.delete_webhook(&user.actor, id).await {
        Ok(()) => Redirect::to("/admin/webhooks").into_response(),
        Err(e) => super::failure(lang, &e),
    }
}

/// Queues a signed test delivery; its outcome shows in the list as the runner sends it.
pub async fn test(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
) -> Response {
    let Some(id) = WebhookId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    match user
        .tenant
        .test_webhook(&user.actor, id, state.clock.now())
        .await
    {
        Ok(()) => Redirect::to("/admin/webhooks").into_response(),
        Err(e) => super::failure(lang, &e),
    }
}
