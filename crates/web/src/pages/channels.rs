//! Channels for admins: the ways customers' messages come in, each with its health (what came
//! in over the last day and what became of it, the last message, what waits in quarantine),
//! a new mailbox, and per channel its settings, pause and removal, and its message log with
//! quarantined messages to retry or discard.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::i18n::{t, tf, Lang};
use loopdesk_core::inbound::{self, ChannelKind, Outcome};
use loopdesk_core::{ChannelId, InboundId};
use loopdesk_store::{Channel, ChannelHealth, StoreError};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::layout::{page, PageUser};
use crate::extract::CurrentUser;
use crate::state::AppState;

/// Log lines per page.
const PAGE: i64 = 50;

/// The channels page.
pub async fn show(State(state): State<AppState>, PageUser { user, lang }: PageUser) -> Response {
    list_page(&state, &user, lang, None).await
}

async fn list_page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    error: Option<String>,
) -> Response {
    if !access::allowed(&user.actor, Permission::ManageAutomation) {
        return super::failure(lang, &StoreError::Forbidden);
    }
    let now = state.clock.now();
    let (channels, health, offset) = match (
        user.tenant.channels(&user.actor).await,
        user.tenant.channel_health(&user.actor, now).await,
        user.tenant.utc_offset().await,
    ) {
        (Ok(c), Ok(h), Ok(o)) => (c, h, o),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return super::failure(lang, &e),
    };
    let title = t(lang, "page.channels.title");
    let mut res = page(
        lang,
        title,
        Some(&user.auth.user),
        html! {
            p.muted { a href="/admin" { (t(lang, "page.admin.title")) } }
            h1 { (title) }
            p.muted { (t(lang, "page.channels.intro")) }
            @if let Some(why) = &error { p.error role="alert" { (why) } }
            @if channels.is_empty() { p.muted { (t(lang, "page.channels.none")) } }
            @for c in &channels {
                (card(lang, offset, c, health.iter().find(|h| h.channel_id == c.id)))
            }
            details.card open[error.is_some() || channels.is_empty()] {
                summary { a { (t(lang, "page.channels.new_mailbox")) } }
                form method="post" action="/admin/channels" {
                    input type="hidden" name="kind" value="email";
                    (mailbox_fields(lang, None))
                    p { button type="submit" { (t(lang, "page.admin.add")) } }
                }
            }
            @for kind in [ChannelKind::Phone, ChannelKind::Wecom, ChannelKind::WechatOa, ChannelKind::Dingtalk] {
                details.card {
                    summary { a { (t(lang, "page.channels.new")) " · " (t(lang, kind.label_key())) } }
                    form method="post" action="/admin/channels" {
                        input type="hidden" name="kind" value=(kind.as_str());
                        (kind_fields(lang, kind))
                        p { button type="submit" { (t(lang, "page.admin.add")) } }
                    }
                }
            }
        },
    );
    if error.is_some() {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    res
}

/// A channel's card on the list: what it is, whether it takes messages in, and its day.
fn card(
    lang: Lang,
    offset: chrono::FixedOffset,
    c: &Channel,
    health: Option<&ChannelHealth>,
) -> Markup {
    let kind = ChannelKind::parse(&c.kind);
    html! {
        div.card {
            h2 {
                a href={ "/admin/channels/" (c.id) } { (c.name) } " "
                span.chip { (kind.map_or(c.kind.as_str(), |k| t(lang, k.label_key()))) } " "
                @if c.active { span.badge.ok { (t(lang, "page.hooks.active")) } }
                @else { span.badge.breached { (t(lang, "page.channels.paused")) } }
            }
            @if let Some(a) = c.settings.get("address").and_then(Value::as_str) { p { code { (a) } } }
            @if let (Some(h), Some(ChannelKind::Phone)) = (health, kind) {
                p {
                    (t(lang, "page.channels.calls_last_day")) "："
                    @if h.calls_last_day.is_empty() { " —" }
                    @for state in ["ringing", "answered", "ended", "missed"] {
                        @if let Some(n) = h.calls_last_day.get(state) {
                            " " span.badge.warning[state == "missed"] { (t(lang, &format!("page.calls.state.{state}"))) " " (n) }
                        }
                    }
                }
                (days(lang, h, "page.channels.calls_per_day"))
                p.muted {
                    (t(lang, "page.channels.last_call")) "："
                    (h.last_call_at.map(|at| super::local_time(offset, at)).unwrap_or_else(|| "—".into()))
                    " · " a href="/desk/calls?view=all" { (t(lang, "page.calls.title")) }
                }
            } @else if let Some(h) = health {
                p {
                    (t(lang, "page.channels.last_day")) "："
                    @if h.last_day.is_empty() { " —" }
                    @for o in Outcome::ALL {
                        @if let Some(n) = h.last_day.get(o.as_str()) {
                            " " span class={ "badge " (outcome_class(o)) } { (t(lang, o.label_key())) " " (n) }
                        }
                    }
                }
                (days(lang, h, "page.channels.per_day"))
                p.muted {
                    (t(lang, "page.channels.last_received")) "："
                    (h.last_received_at.map(|at| super::local_time(offset, at)).unwrap_or_else(|| "—".into()))
                    @if h.quarantined > 0 {
                        " · " a href={ "/admin/channels/" (c.id) "?outcome=quarantined" } {
                            (t(lang, "page.channels.held")) " " (h.quarantined)
                        }
                    }
                }
                @if c.settings.contains_key("imap_url") {
                    p.muted {
                        (t(lang, "page.channels.last_fetch")) "："
                        (h.last_fetch_at.map(|at| super::local_time(offset, at)).unwrap_or_else(|| "—".into()))
                    }
                    @if let Some(e) = &h.fetch_error {
                        p.error role="alert" { (t(lang, "page.channels.fetch_failing")) " (" (h.fetch_failures) ")：" code { (e) } }
                    }
                }
            }
        }
    }
}

/// A channel's last two weeks: what came in each day (the line, a day's count in its hover
/// text) and, in all, how much of it opened a request; nothing while nothing came.
fn days(lang: Lang, h: &ChannelHealth, title: &str) -> Markup {
    let points: Vec<(String, Option<f64>)> = h
        .daily
        .iter()
        .map(|d| (d.day.format("%m-%d").to_string(), Some(d.received as f64)))
        .collect();
    let total: i64 = h.daily.iter().map(|d| d.received).sum();
    let opened: i64 = h.daily.iter().map(|d| d.opened).sum();
    let count = |v: f64| format!("{v:.0}");
    html! {
        @if total > 0 {
            div.spark-box {
                p.muted {
                    (t(lang, title)) "："
                    (tf(lang, "page.channels.days_total", &[("n", &total.to_string()), ("opened", &opened.to_string())]))
                }
                (super::charts::sparkline(t(lang, title), &points, &[], &count))
            }
        }
    }
}

fn outcome_class(o: Outcome) -> &'static str {
    match o {
        Outcome::Created | Outcome::Appended => "ok",
        Outcome::Duplicate | Outcome::Ignored => "",
        Outcome::Quarantined => "breached",
    }
}

/// The fields of a mailbox, blank or as a channel has them (the IMAP password never shown).
fn mailbox_fields(lang: Lang, c: Option<&Channel>) -> Markup {
    let shown = |k: &str| {
        c.and_then(|c| c.settings.get(k))
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .unwrap_or_default()
    };
    let password_set = c.is_some_and(|c| c.secrets_set.iter().any(|s| s == "imap_password"));
    let creates = c
        .and_then(|c| c.settings.get("create_customers"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    html! {
        label for="ch-name" { (t(lang, "page.admin.name")) }
        input #ch-name name="name" required maxlength="100" value=(c.map(|c| c.name.as_str()).unwrap_or_default()) placeholder=(t(lang, "page.channels.name_hint"));
        label for="ch-address" { (t(lang, "page.channels.field.address")) }
        input #ch-address name="address" type="email" required maxlength="254" value=(shown("address")) placeholder="service@example.com";
        label for="ch-imap" { (t(lang, "page.channels.field.imap_url")) }
        input #ch-imap name="imap_url" maxlength="500" value=(shown("imap_url")) placeholder="imaps://service%40example.com@imap.example.com:993/INBOX";
        p.muted { (t(lang, "page.channels.imap_hint")) }
        label for="ch-password" { (t(lang, "page.channels.imap_password")) }
        input #ch-password name="imap_password" type="password" autocomplete="new-password" maxlength="200"
            placeholder=(if password_set { t(lang, "page.channels.password_kept") } else { "" });
        label for="ch-poll" { (t(lang, "page.channels.field.poll_seconds")) }
        input #ch-poll name="poll_seconds" type="number" min="10" max="3600" value=(shown("poll_seconds")) placeholder="60";
        label.check {
            input type="checkbox" name="create_customers" value="1" checked[creates];
            " " (t(lang, "page.channels.field.create_customers"))
        }
    }
}

/// A new phone line's or chat app's fields: its name and what its kind takes, as the
/// platform's console names them.
fn kind_fields(lang: Lang, kind: ChannelKind) -> Markup {
    let k = kind.as_str();
    html! {
        label for={ "ch-" (k) "-name" } { (t(lang, "page.admin.name")) }
        input id={ "ch-" (k) "-name" } name="name" required maxlength="100";
        @for (field, required, secret) in kind.form_fields() {
            label for={ "ch-" (k) "-" (field) } { (t(lang, &format!("page.channels.field.{field}"))) }
            input id={ "ch-" (k) "-" (field) } name=(field) required[required] maxlength="500"
                type=(if secret { "password" } else { "text" }) autocomplete="off"
                placeholder=[(field == "api_base").then(|| kind.default_api_base()).flatten()];
        }
        @if kind == ChannelKind::Phone { p.muted { (t(lang, "page.channels.phone_hint")) } }
    }
}

/// The form's fields as the API takes them: numbers and switches typed, the IMAP password
/// put into the IMAP address, blank fields left out (unchanged).
fn fields_of(pairs: &[(String, String)]) -> Map<String, Value> {
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let mut out = Map::new();
    if let Some(a) = get("address") {
        out.insert("address".into(), Value::String(a));
    }
    match (get("imap_url"), get("imap_password")) {
        (Some(url), password) => {
            let with_password = password
                .and_then(|p| inbound::with_password(&url, &p))
                .unwrap_or(url);
            out.insert("imap_url".into(), Value::String(with_password));
        }
        (None, _) => {
            out.insert("imap_url".into(), Value::Null);
        }
    }
    out.insert(
        "poll_seconds".into(),
        get("poll_seconds").map_or(Value::Null, |p| {
            p.parse::<i64>().map_or(Value::String(p), Value::from)
        }),
    );
    out.insert(
        "create_customers".into(),
        Value::Bool(get("create_customers").is_some()),
    );
    out
}

/// Sets up a channel from the form (a mailbox, a phone line, a chat app); a secret is shown
/// once, with how to send to it.
pub async fn add(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    body: axum::body::Bytes,
) -> Response {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let name = pairs
        .iter()
        .find(|(k, _)| k == "name")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let kind = pairs
        .iter()
        .find(|(k, _)| k == "kind")
        .and_then(|(_, v)| ChannelKind::parse(v))
        .unwrap_or(ChannelKind::Email);
    let mut fields = if kind == ChannelKind::Email {
        fields_of(&pairs)
    } else {
        // The kind's own fields, as typed; a blank one is left out.
        kind.form_fields()
            .filter_map(|(field, ..)| {
                pairs
                    .iter()
                    .find(|(n, _)| n == field)
                    .map(|(_, v)| (field.to_owned(), Value::String(v.trim().to_owned())))
            })
            .filter(|(_, v)| v.as_str().is_some_and(|s| !s.is_empty()))
            .collect()
    };
    fields.retain(|_, v| !v.is_null());
    match user
        .tenant
        .create_channel(
            &user.actor,
            kind.as_str(),
            &name,
            &fields,
            state.clock.now(),
        )
        .await
    {
        Ok((c, secret)) => created_page(&state, &user, lang, &c, secret.as_deref()),
        Err(e) => match super::refusal(lang, &e) {
            Some(why) => list_page(&state, &user, lang, Some(why)).await,
            None => super::failure(lang, &e),
        },
    }
}

/// How mail reaches a channel: its address for an MTA pipe or a forwarder, with the secret
/// when it is shown (once).
fn pipe_help(state: &AppState, lang: Lang, c: &Channel, secret: Option<&str>) -> Markup {
    let url = format!(
        "{}/api/v1/channels/{}/messages",
        state.config.public_url.trim_end_matches('/'),
        c.id
    );
    let token = secret.unwrap_or("<secret>");
    let base = state.config.public_url.trim_end_matches('/');
    match ChannelKind::parse(&c.kind) {
        Some(ChannelKind::Email) => html! {
            h2 { (t(lang, "page.channels.pipe")) }
            p { (t(lang, "page.channels.pipe_hint")) }
            pre.scroll { "curl -sS --fail -H 'Authorization: Bearer " (token) "' -H 'Content-Type: message/rfc822' --data-binary @- " (url) }
        },
        Some(ChannelKind::Phone) => html! {
            h2 { (t(lang, "page.channels.events")) }
            p { (t(lang, "page.channels.events_hint")) }
            pre.scroll { "POST " (base) "/api/v1/channels/" (c.id) "/events\nX-Loopdesk-Signature: sha256=<HMAC-SHA256(secret, body)>" }
            pre.scroll { "loopdesk cti-sim --url " (base) " --channel " (c.id) " --secret " (token) " --from 13800138000 --agent agent1" }
        },
        _ => html! {
            h2 { (t(lang, "page.channels.callback")) }
            p { (t(lang, "page.channels.callback_hint")) }
            pre.scroll { (base) (c.callback_url.as_deref().unwrap_or_default()) }
        },
    }
}

fn created_page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    c: &Channel,
    secret: Option<&str>,
) -> Response {
    let title = t(lang, "page.channels.created");
    let mut res = page(
        lang,
        title,
        Some(&user.auth.user),
        html! {
            p.muted { a href="/admin/channels" { (t(lang, "page.channels.title")) } }
            h1 { (title) ": " (c.name) }
            @if let Some(s) = secret {
                p.warning role="status" { (t(lang, "page.channels.secret_once")) }
                p { code #channel-secret { (s) } }
            }
            (pipe_help(state, lang, c, secret))
            p { a.button href={ "/admin/channels/" (c.id) } { (t(lang, "page.channels.open")) } }
        },
    );
    res.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    res
}

/// Which log lines the channel page shows.
#[derive(Deserialize, Default)]
pub struct LogView {
    /// One outcome.
    #[serde(default)]
    outcome: String,
    /// The previous page's cursor.
    #[serde(default)]
    cursor: String,
}

/// One channel: its settings, pause or removal, and its message log.
pub async fn detail(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
    Query(view): Query<LogView>,
) -> Response {
    channel_page(&state, &user, lang, &id, &view, None).await
}

async fn channel_page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    id: &str,
    view: &LogView,
    error: Option<String>,
) -> Response {
    let Some(id) = ChannelId::parse(id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let outcome = Outcome::parse(&view.outcome);
    let cursor = Some(view.cursor.as_str()).filter(|c| !c.is_empty());
    let (c, log, offset) = match (
        user.tenant.channel(&user.actor, id).await,
        user.tenant
            .inbound_messages(&user.actor, id, outcome, cursor, PAGE)
            .await,
        user.tenant.utc_offset().await,
    ) {
        (Ok(c), Ok(l), Ok(o)) => (c, l, o),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return super::failure(lang, &e),
    };
    let base = format!("/admin/channels/{}", c.id);
    let is_mail = c.kind == ChannelKind::Email.as_str();
    let mut res = page(
        lang,
        &c.name,
        Some(&user.auth.user),
        html! {
            p.muted { a href="/admin/channels" { (t(lang, "page.channels.title")) } }
            h1 {
                (c.name) " "
                @if c.active { span.badge.ok { (t(lang, "page.hooks.active")) } }
                @else { span.badge.breached { (t(lang, "page.channels.paused")) } }
            }
            @if let Some(why) = &error { p.error role="alert" { (why) } }
            @if is_mail {
                details.card open[error.is_some()] {
                    summary { a { (t(lang, "page.channels.settings")) } }
                    form method="post" action=(base) {
                        (mailbox_fields(lang, Some(&c)))
                        p { button type="submit" { (t(lang, "page.channels.save")) } }
                    }
                }
                (pipe_help(state, lang, &c, None))
            } @else {
                div.card {
                    @for (k, v) in &c.settings { p { (super::field_label(lang, k)) "：" code { (v.as_str().map_or_else(|| v.to_string(), str::to_owned)) } } }
                    @if let Some(cb) = &c.callback_url { p { (t(lang, "page.channels.callback")) "：" code { (cb) } } }
                }
            }
            div.actions {
                form method="post" action=(base) {
                    input type="hidden" name="active" value=(if c.active { "0" } else { "1" });
                    button.quiet type="submit" { (t(lang, if c.active { "page.channels.pause" } else { "page.channels.resume" })) }
                }
                details {
                    summary.button.quiet { (t(lang, "page.hooks.delete")) }
                    form method="post" action={ (base) "/delete" } {
                        p { (t(lang, "page.channels.delete_confirm")) }
                        button.danger type="submit" { (t(lang, "page.hooks.delete")) }
                    }
                }
            }
            h2 { (t(lang, "page.channels.log")) }
            p.filters {
                a.chip href=(base) aria-current=[outcome.is_none().then_some("true")] { (t(lang, "page.channels.all")) }
                @for o in Outcome::ALL {
                    " " a.chip href={ (base) "?outcome=" (o.as_str()) } aria-current=[(outcome == Some(o)).then_some("true")] { (t(lang, o.label_key())) }
                }
            }
            @if log.items.is_empty() { p.muted { "—" } } @else {
                div.scroll { table {
                    thead { tr {
                        th { (t(lang, "page.hooks.at")) }
                        th { (t(lang, "page.channels.outcome")) }
                        th { (t(lang, "page.channels.sender")) }
                        th { (t(lang, "page.channels.subject")) }
                        th { (t(lang, "page.channels.ticket")) }
                        th.wide { (t(lang, "page.channels.note")) }
                        th {}
                    } }
                    tbody { @for m in &log.items { tr {
                        td.nowrap { (super::local_time(offset, m.received_at)) }
                        td {
                            @let o = Outcome::parse(&m.outcome);
                            span class={ "badge " (o.map_or("", outcome_class)) } { (o.map_or(m.outcome.as_str(), |o| t(lang, o.label_key()))) }
                        }
                        td { (m.sender.as_deref().unwrap_or("—")) }
                        td { (m.subject.as_deref().unwrap_or("—")) }
                        td.nowrap { @if let (Some(tk), Some(n)) = (m.ticket_id, &m.ticket_number) { a href={ "/t/" (tk) } { (n) } } }
                        td.wide {
                            @if let Some(r) = &m.reason { (t(lang, r)) }
                            @if !m.files_skipped.is_empty() { (t(lang, "page.channels.files_skipped")) "：" (m.files_skipped.join("、")) }
                        }
                        td { @if m.raw_kept {
                            div.actions {
                                form method="post" action={ (base) "/messages/" (m.id) "/retry" } { button.quiet type="submit" { (t(lang, "page.channels.retry")) } }
                                form method="post" action={ (base) "/messages/" (m.id) "/discard" } { button.quiet type="submit" { (t(lang, "page.channels.discard")) } }
                            }
                        } }
                    } } }
                } }
                @if let Some(next) = &log.next_cursor {
                    p { a href={ (base) "?outcome=" (view.outcome) "&cursor=" (super::query_value(next)) } { (t(lang, "page.channels.older")) } }
                }
            }
        },
    );
    if error.is_some() {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    res
}

/// Saves a mailbox's settings, or pauses/resumes a channel (`active=0|1`).
pub async fn edit(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let Some(channel) = ChannelId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let active = pairs
        .iter()
        .find(|(k, _)| k == "active")
        .map(|(_, v)| v == "1");
    let name = pairs
        .iter()
        .find(|(k, _)| k == "name")
        .map(|(_, v)| v.as_str());
    // A pause or resume comes alone; the settings form brings the fields.
    let fields = if active.is_some() {
        Map::new()
    } else {
        fields_of(&pairs)
    };
    match user
        .tenant
        .update_channel(
            &user.actor,
            channel,
            name,
            active,
            &fields,
            state.clock.now(),
        )
        .await
    {
        Ok(_) => Redirect::to(&format!("/admin/channels/{channel}")).into_response(),
        Err(e) => match super::refusal(lang, &e) {
            Some(why) => {
                channel_page(&state, &user, lang, &id, &LogView::default(), Some(why)).await
            }
            None => super::failure(lang, &e),
        },
    }
}

/// Removes a channel and its log.
pub async fn delete(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
) -> Response {
    let Some(id) = ChannelId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    match user.tenant.delete_channel(&user.actor, id).await {
        Ok(keys) => {
            for key in keys {
                let _ = state.blobs.delete(&key).await;
            }
            Redirect::to("/admin/channels").into_response()
        }
        Err(e) => super::failure(lang, &e),
    }
}

/// Retries or discards a quarantined message.
pub async fn handle(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path((id, message, action)): Path<(String, String, String)>,
) -> Response {
    let (Some(channel_id), Some(message)) = (ChannelId::parse(&id), InboundId::parse(&message))
    else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let done = match action.as_str() {
        "retry" => crate::api::channels::retry(&state, &user, channel_id, message)
            .await
            .map(|_| ()),
        "discard" => crate::api::channels::discard(&state, &user, channel_id, message).await,
        _ => return super::failure(lang, &StoreError::NotFound),
    };
    match done {
        Ok(()) => Redirect::to(&format!("/admin/channels/{channel_id}")).into_response(),
        Err(e) => e.into_response(),
    }
}
