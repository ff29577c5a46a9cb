//! SLA policies and business calendars for admins: what each policy promises and to whom,
//! a preview ("a P2 for a VIP in category X created now is due at …"), a new policy, and the
//! calendars with next year's holidays and make-up days pasted in.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::i18n::{t, tf, Lang};
use loopdesk_core::sla::calendar::{parse_days, CalendarSpec};
use loopdesk_core::sla::TicketKey;
use loopdesk_core::CalendarId;
use loopdesk_store::{
    BusinessCalendarView, Category, NewCalendar, NewSlaPolicy, SlaPolicy, SlaPreview, StoreError,
};
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{page, PageQuery, PageUser};
use crate::extract::CurrentUser;
use crate::state::AppState;

/// The preview asked for: a priority, a tier, a category and a moment (local time).
#[derive(Deserialize, Default)]
pub struct PreviewQuery {
    priority: Option<String>,
    tier: Option<String>,
    category: Option<String>,
    at: Option<String>,
}

/// Minutes as people say them: "4 小时", "1 天 2 小时", "45 分钟".
fn duration(lang: Lang, minutes: i64) -> String {
    let (d, h, m) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    let mut parts = Vec::new();
    for (n, key) in [
        (d, "page.sla.days"),
        (h, "page.sla.hours"),
        (m, "page.sla.minutes"),
    ] {
        if n > 0 {
            parts.push(tf(lang, key, &[("n", &n.to_string())]));
        }
    }
    if parts.is_empty() {
        tf(lang, "page.sla.minutes", &[("n", "0")])
    } else {
        parts.join(" ")
    }
}

/// The SLA page.
pub async fn show(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    PageQuery(q): PageQuery<PreviewQuery>,
) -> Response {
    sla_page(&state, &user, lang, &q, None).await
}

async fn sla_page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    q: &PreviewQuery,
    error: Option<(&str, String)>,
) -> Response {
    if !access::allowed(&user.actor, Permission::ManageAutomation) {
        return super::failure(lang, &StoreError::Forbidden);
    }
    let (policies, calendars, categories, offset) = match (
        user.tenant.sla_policies(&user.actor).await,
        user.tenant.calendars(&user.actor).await,
        user.tenant.categories().await,
        user.tenant.utc_offset().await,
    ) {
        (Ok(p), Ok(c), Ok(k), Ok(o)) => (p, c, k, o),
        (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (.., Err(e)) => {
            return super::failure(lang, &e)
        }
    };
    let now = state.clock.now();
    // The moment previewed: the one typed (local time), else now.
    let at =
        q.at.as_deref()
            .and_then(|a| NaiveDateTime::parse_from_str(a.trim(), "%Y-%m-%dT%H:%M").ok())
            .and_then(|local| offset.from_local_datetime(&local).single())
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(now);
    let priority = q
        .priority
        .as_deref()
        .and_then(|p| p.parse::<i64>().ok())
        .unwrap_or(3);
    let tier = q.tier.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let category = q
        .category
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let key = TicketKey {
        priority,
        customer_tier: tier,
        category,
    };
    let preview = match user.tenant.sla_preview(&user.actor, &key, at).await {
        Ok(p) => p,
        Err(StoreError::Invalid(_)) => None,
        Err(e) => return super::failure(lang, &e),
    };
    let title = t(lang, "page.sla.title");
    let local = |t: DateTime<Utc>| super::local_time(offset, t);
    let at_local = at
        .with_timezone(&offset)
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let mut res = page(
        lang,
        title,
        Some(&user.auth.user),
        html! {
            p.muted { a href="/admin" { (t(lang, "page.admin.title")) } }
            h1 { (title) }
            @if let Some((_, why)) = &error { p.error role="alert" { (why) } }
            h2 { (t(lang, "page.sla.preview")) }
            form.inline method="get" action="/admin/sla" {
                label { (t(lang, "page.request.urgency")) " "
                    select name="priority" {
                        @for p in 1..=4 { option value=(p) selected[p == priority] { (t(lang, &format!("page.urgency.{p}"))) } }
                    }
                }
                label { (t(lang, "page.customers.tier")) " "
                    input name="tier" list="tiers" value=(tier.unwrap_or("")) size="10";
                }
                datalist #tiers { option value="standard" {} option value="vip" {} }
                label { (t(lang, "page.desk.category")) " "
                    select name="category" {
                        option value="" { "—" }
                        @for c in &categories { option value=(c.code) selected[category == Some(c.code.as_str())] { (c.name) } }
                    }
                }
                label { (t(lang, "page.sla.created_at")) " "
                    input type="datetime-local" name="at" value=(at_local);
                }
                button type="submit" { (t(lang, "page.sla.show")) }
            }
            (preview_card(lang, &local, preview.as_ref()))
            h2 { (t(lang, "page.sla.policies")) }
            p { a href="/sla/what-if" { (t(lang, "page.whatif.link")) } }
            (policy_table(lang, &policies, &calendars, &categories))
            (policy_form(lang, &calendars, &categories, error.as_ref().filter(|(f, _)| *f == "policy").is_some()))
            h2 { (t(lang, "page.sla.calendars")) }
            @for c in &calendars { (calendar_card(lang, c, now, error.as_ref().filter(|(f, _)| *f == c.id.to_string()).is_some())) }
            details.card {
                summary { a { (t(lang, "page.sla.new_calendar")) } }
                form method="post" action="/admin/sla/calendars" {
                    label for="calendar-name" { (t(lang, "page.admin.name")) }
                    input #calendar-name name="name" required maxlength="100";
                    p.muted { (t(lang, "page.sla.calendar_default")) }
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

fn preview_card(
    lang: Lang,
    local: &dyn Fn(DateTime<Utc>) -> String,
    p: Option<&SlaPreview>,
) -> Markup {
    html! {
        div.card.sla-preview role="status" {
            @match p {
                None => p.muted { (t(lang, "page.sla.no_policy")) },
                Some(p) => {
                    p { (t(lang, "page.sla.applies")) " " strong { (p.policy_name) } }
                    dl.facts {
                        @if let Some(d) = p.first_response_due { dt { (t(lang, "page.sla.first_response")) } dd { (local(d)) } }
                        @if let Some(d) = p.arrival_due { dt { (t(lang, "page.sla.arrival")) } dd { (local(d)) } }
                        @if let Some(d) = p.resolution_due { dt { (t(lang, "page.sla.resolution")) } dd { (local(d)) } }
                        @if let Some(d) = p.resolution_warn { dt { (t(lang, "page.sla.warn")) } dd { (local(d)) } }
                    }
                }
            }
        }
    }
}

fn policy_table(
    lang: Lang,
    policies: &[SlaPolicy],
    calendars: &[BusinessCalendarView],
    categories: &[Category],
) -> Markup {
    let any = t(lang, "page.sla.any");
    html! {
        div.scroll { table {
            thead { tr {
                th { (t(lang, "page.admin.name")) }
                th { (t(lang, "page.sla.scope")) }
                th { (t(lang, "page.sla.first_response")) }
                th { (t(lang, "page.sla.arrival")) }
                th { (t(lang, "page.sla.resolution")) }
                th.wide { (t(lang, "page.sla.warn_share")) }
                th.wide { (t(lang, "page.sla.calendar")) }
                th.wide { (t(lang, "page.sla.escalation")) }
            } }
            tbody { @for p in policies { tr {
                td { (p.name) }
                td {
                    (p.priority.map(|n| t(lang, &format!("page.urgency.{n}")).to_owned()).unwrap_or_else(|| any.to_owned()))
                    " · " (p.customer_tier.clone().unwrap_or_else(|| any.to_owned()))
                    " · " (p.category.as_deref().map(|c| categories.iter().find(|k| k.code == c).map_or(c, |k| k.name.as_str())).unwrap_or(any))
                }
                td { (duration(lang, p.first_response_minutes)) }
                td { (p.arrival_minutes.map(|m| duration(lang, m)).unwrap_or_else(|| "—".into())) }
                td { (duration(lang, p.resolution_minutes)) }
                td.wide { (format!("{:.0}%", p.warn_at * 100.0)) }
                td.wide { (p.calendar_id.and_then(|c| calendars.iter().find(|k| k.id == c)).map(|k| k.name.as_str()).unwrap_or_else(|| t(lang, "page.sla.around_the_clock"))) }
                td.wide { @for e in &p.escalation {
                    span.chip { (tf(lang, "page.sla.level", &[("level", &e.level.to_string()), ("after", &duration(lang, e.after_breach_minutes))])) } " "
                } }
            } } }
        } }
    }
}

fn policy_form(
    lang: Lang,
    calendars: &[BusinessCalendarView],
    categories: &[Category],
    open: bool,
) -> Markup {
    html! {
        details.card open[open] {
            summary { a { (t(lang, "page.sla.new_policy")) } }
            form method="post" action="/admin/sla/policies" {
                label for="policy-name" { (t(lang, "page.admin.name")) }
                input #policy-name name="name" required maxlength="100";
                div.row {
                    div {
                        label for="policy-priority" { (t(lang, "page.request.urgency")) }
                        select #policy-priority name="priority" {
                            option value="" { (t(lang, "page.sla.any")) }
                            @for p in 1..=4 { option value=(p) { (t(lang, &format!("page.urgency.{p}"))) } }
                        }
                    }
                    div {
                        label for="policy-tier" { (t(lang, "page.customers.tier")) }
                        input #policy-tier name="customer_tier" list="tiers" maxlength="32";
                    }
                    div {
                        label for="policy-category" { (t(lang, "page.desk.category")) }
                        select #policy-category name="category" {
                            option value="" { (t(lang, "page.sla.any")) }
                            @for c in categories { option value=(c.code) { (c.name) } }
                        }
                    }
                }
                div.row {
                    div {
                        label for="policy-first" { (t(lang, "page.sla.first_response_minutes")) }
                        input #policy-first name="first_response_minutes" type="number" min="1" required;
                    }
                    div {
                        label for="policy-arrival" { (t(lang, "page.sla.arrival_minutes")) }
                        input #policy-arrival name="arrival_minutes" type="number" min="1";
                    }
                    div {
                        label for="policy-resolution" { (t(lang, "page.sla.resolution_minutes")) }
                        input #policy-resolution name="resolution_minutes" type="number" min="1" required;
                    }
                }
                div.row {
                    div {
                        label for="policy-warn" { (t(lang, "page.sla.warn_share")) }
                        input #policy-warn name="warn_percent" type="number" min="1" max="99" value="80";
                    }
                    div {
                        label for="policy-calendar" { (t(lang, "page.sla.calendar")) }
                        select #policy-calendar name="calendar_id" {
                            option value="" { (t(lang, "page.sla.around_the_clock")) }
                            @for c in calendars { option value=(c.id) { (c.name) } }
                        }
                    }
                }
                p { button type="submit" { (t(lang, "page.admin.add")) } }
            }
        }
    }
}

fn calendar_card(lang: Lang, c: &BusinessCalendarView, now: DateTime<Utc>, open: bool) -> Markup {
    let today = now.date_naive();
    let upcoming: Vec<_> = c.spec.holidays.iter().filter(|d| **d >= today).collect();
    let last = c.spec.holidays.iter().max();
    let days = |list: &[chrono::NaiveDate]| {
        list.iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    };
    html! {
        div.card {
            h3 { (c.name) }
            p {
                @for h in &c.spec.hours {
                    span.chip { (t(lang, &format!("page.sla.weekday.{}", h.weekday))) " " (h.from) "–" (h.to) } " "
                }
            }
            p.muted {
                (tf(lang, "page.sla.holidays_known", &[
                    ("count", &c.spec.holidays.len().to_string()),
                    ("upcoming", &upcoming.len().to_string()),
                    ("last", &last.map(|d| d.to_string()).unwrap_or_else(|| "—".into())),
                ]))
            }
            details open[open] {
                summary { a { (t(lang, "page.sla.edit_days")) } }
                form method="post" action={ "/admin/sla/calendars/" (c.id) } {
                    label for={ "holidays-" (c.id) } { (t(lang, "page.sla.holidays")) }
                    textarea id={ "holidays-" (c.id) } name="holidays" rows="6" { (days(&c.spec.holidays)) }
                    label for={ "workdays-" (c.id) } { (t(lang, "page.sla.workdays")) }
                    textarea id={ "workdays-" (c.id) } name="workdays" rows="3" { (days(&c.spec.workdays)) }
                    p.muted { (t(lang, "page.sla.paste_hint")) }
                    p { button type="submit" { (t(lang, "page.desk.save")) } }
                }
            }
        }
    }
}

/// A policy from the form (minutes as typed; the warning as a percentage).
#[derive(Deserialize)]
pub struct PolicyForm {
    name: String,
    priority: Option<String>,
    customer_tier: Option<String>,
    category: Option<String>,
    first_response_minutes: String,
    arrival_minutes: Option<String>,
    resolution_minutes: String,
    warn_percent: Option<String>,
    calendar_id: Option<String>,
}

/// Adds a policy; then the page again.
pub async fn add_policy(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Form(f): Form<PolicyForm>,
) -> Response {
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let number = |field: &'static str, v: &str| -> Result<i64, String> {
        v.trim().parse::<i64>().map_err(|_| {
            format!(
                "{}: {}",
                super::field_label(lang, field),
                t(lang, "error.invalid_number")
            )
        })
    };
    let parsed = (|| -> Result<NewSlaPolicy, String> {
        Ok(NewSlaPolicy {
            name: f.name.clone(),
            priority: text(&f.priority)
                .map(|p| number("priority", &p))
                .transpose()?,
            customer_tier: text(&f.customer_tier),
            category: text(&f.category),
            first_response_minutes: number("first_response_minutes", &f.first_response_minutes)?,
            arrival_minutes: text(&f.arrival_minutes)
                .map(|a| number("arrival_minutes", &a))
                .transpose()?,
            resolution_minutes: number("resolution_minutes", &f.resolution_minutes)?,
            warn_at: text(&f.warn_percent)
                .map(|w| number("warn_at", &w).map(|p| p as f64 / 100.0))
                .transpose()?,
            calendar_id: text(&f.calendar_id).and_then(|c| CalendarId::parse(&c)),
            escalation: loopdesk_core::sla::default_escalation(),
        })
    })();
    let result = match parsed {
        Ok(new) => {
            user.tenant
                .create_sla_policy(&user.actor, new, state.clock.now())
                .await
        }
        Err(why) => {
            return sla_page(
                &state,
                &user,
                lang,
                &PreviewQuery::default(),
                Some(("policy", why)),
            )
            .await
        }
    };
    after(&state, &user, lang, "policy", result).await
}

/// Where a form of this page leads: the page again, or with why beside the form (422).
async fn after<T>(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    form: &str,
    result: Result<T, StoreError>,
) -> Response {
    match result {
        Ok(_) => Redirect::to("/admin/sla").into_response(),
        Err(e) => match super::refusal(lang, &e) {
            Some(why) => {
                sla_page(
                    state,
                    user,
                    lang,
                    &PreviewQuery::default(),
                    Some((form, why)),
                )
                .await
            }
            None => super::failure(lang, &e),
        },
    }
}

/// A new calendar: its name (the PRC working week and holidays to start from).
#[derive(Deserialize)]
pub struct CalendarForm {
    name: String,
}

/// Adds a calendar; then the page again.
pub async fn add_calendar(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Form(f): Form<CalendarForm>,
) -> Response {
    let new = NewCalendar {
        name: f.name,
        spec: None,
    };
    after(
        &state,
        &user,
        lang,
        "calendar",
        user.tenant
            .create_calendar(&user.actor, new, state.clock.now())
            .await,
    )
    .await
}

/// A calendar's days as pasted.
#[derive(Deserialize)]
pub struct DaysForm {
    holidays: String,
    workdays: String,
}

/// Replaces a calendar's holidays and make-up days with the lists pasted (the hours stay);
/// new tickets use them at once.
pub async fn set_days(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
    Form(f): Form<DaysForm>,
) -> Response {
    let Some(id) = CalendarId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let calendars = match user.tenant.calendars(&user.actor).await {
        Ok(c) => c,
        Err(e) => return super::failure(lang, &e),
    };
    let Some(current) = calendars.into_iter().find(|c| c.id == id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let days = parse_days("holidays", &f.holidays)
        .and_then(|h| Ok((h, parse_days("workdays", &f.workdays)?)));
    let (holidays, workdays) = match days {
        Ok(d) => d,
        Err(e) => {
            let why = format!(
                "{}: {}",
                t(lang, &format!("page.sla.{}", e.field)),
                t(lang, e.reason)
            );
            return sla_page(
                &state,
                &user,
                lang,
                &PreviewQuery::default(),
                Some((&id.to_string(), why)),
            )
            .await;
        }
    };
    let spec = CalendarSpec {
        holidays,
        workdays,
        ..current.spec
    };
    let new = NewCalendar {
        name: current.name,
        spec: Some(spec),
    };
    after(
        &state,
        &user,
        lang,
        &id.to_string(),
        user.tenant.update_calendar(&user.actor, id, new).await,
    )
    .await
}
