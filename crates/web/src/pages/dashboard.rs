//! The service dashboard (服务监控 / 管理驾驶舱): KPI cards against the previous period, trend
//! charts, the closure heat map of regions against the target, rankings of engineers and
//! teams, low stock, exports, and from every figure the tickets behind it. The figures come
//! from `GET /api/v1/kpis`'s store call; what is better, what misses the target and how rows
//! rank are `core::kpi::board`'s rules.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::i18n::{t, tf, Lang};
use loopdesk_core::kpi::board::{self, Heat, Trend};
use loopdesk_core::kpi::{schedule, KpiValue, Metric};
use loopdesk_store::{KpiFilter, KpiReport, KpiRequest, KpiRow, StoreError};
use maud::{html, Markup};
use serde::Deserialize;

use super::charts::{self, chart, Series};
use super::layout::{encode, page, PageQuery, PageUser};
use super::map::{region_map, Area, Dot, Legend};
use crate::state::AppState;

/// What the dashboard shows.
#[derive(Deserialize)]
pub struct DashQuery {
    /// The period: the last 7, 30 (default) or 90 days.
    days: Option<i64>,
    /// The KPI the rankings sort by.
    rank_by: Option<String>,
    /// The KPI the regional map is coloured by.
    map: Option<String>,
    /// Whether the map shows the engineers' last positions.
    positions: Option<String>,
    /// Why adding a scheduled report was refused (a translation key).
    schedule_error: Option<String>,
}

fn request(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    metrics: &[Metric],
    group_by: Option<&str>,
    region: Option<String>,
) -> KpiRequest {
    let names: Vec<&str> = metrics.iter().map(|m| m.as_str()).collect();
    KpiRequest {
        from: Some(from),
        to: Some(to),
        metrics: Some(names.join(",")),
        group_by: group_by.map(str::to_owned),
        filter: KpiFilter {
            region,
            ..KpiFilter::default()
        },
        ..KpiRequest::default()
    }
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A figure as people read it: durations in minutes, hours or days; rates in percent; NPS
/// signed; counts whole.
fn show(lang: Lang, m: Metric, v: Option<f64>) -> String {
    let Some(v) = v else {
        return "–".into();
    };
    match m {
        Metric::Frt | Metric::Oat | Metric::Mttr => duration(lang, v),
        Metric::Nps => format!("{v:+.0}"),
        Metric::Backlog => format!("{v:.0}"),
        _ => format!("{:.1}%", v * 100.0),
    }
}

fn duration(lang: Lang, secs: f64) -> String {
    let (n, unit) = if secs < 3600.0 {
        (secs / 60.0, "page.unit.min")
    } else if secs < 2.0 * 86_400.0 {
        (secs / 3600.0, "page.unit.h")
    } else {
        (secs / 86_400.0, "page.unit.d")
    };
    format!("{n:.1} {}", t(lang, unit))
}

/// `2026-W48` as `W48`.
fn week_label(key: &str) -> String {
    key.split_once("-W")
        .map_or(key.to_owned(), |(_, w)| format!("W{w}"))
}

fn first_row(r: &KpiReport) -> Option<&KpiRow> {
    r.rows.first()
}

fn value_of(row: Option<&KpiRow>, m: Metric) -> Option<&KpiValue> {
    row.and_then(|r| r.values.get(m.as_str()))
}

/// The dashboard page.
pub async fn dashboard(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    PageQuery(q): PageQuery<DashQuery>,
) -> Response {
    if !access::allowed(&user.actor, Permission::ReadKpis) {
        return super::failure(lang, &StoreError::Forbidden);
    }
    match build(&state, &user, lang, &q).await {
        Ok(body) => page(
            lang,
            t(lang, "page.dash.title"),
            Some(&user.auth.user),
            body,
        ),
        Err(e) => super::failure(lang, &e),
    }
}

async fn build(
    state: &AppState,
    user: &crate::extract::CurrentUser,
    lang: Lang,
    q: &DashQuery,
) -> Result<Markup, StoreError> {
    let tenant = &user.tenant;
    let actor = &user.actor;
    let now = state.clock.now();
    let days = q.days.filter(|d| [7, 30, 90].contains(d)).unwrap_or(30);
    let rank_by = q
        .rank_by
        .as_deref()
        .and_then(Metric::parse)
        .filter(|m| board::RANKINGS.contains(m))
        .unwrap_or(Metric::Ftfr);
    let (from, to) = (now - Duration::days(days), now);
    let (pfrom, pto) = board::previous(from.timestamp_millis(), to.timestamp_millis());
    let at = |ms: i64| DateTime::from_timestamp_millis(ms).unwrap_or(now);
    let cards = board::cards();
    let current = tenant
        .kpis(actor, request(from, to, &cards, None, None), lang, now)
        .await?;
    let before = tenant
        .kpis(
            actor,
            request(at(pfrom), at(pto), &cards, None, None),
            lang,
            now,
        )
        .await?;
    // Each card's trend: this period and the one before in days (weeks over 90 days).
    let bucket = if days > 30 { "week" } else { "day" };
    let trend_now = tenant
        .kpis(
            actor,
            request(from, to, &cards, Some(bucket), None),
            lang,
            now,
        )
        .await?;
    let trend_before = tenant
        .kpis(
            actor,
            request(at(pfrom), at(pto), &cards, Some(bucket), None),
            lang,
            now,
        )
        .await?;
    let weeks = tenant
        .kpis(
            actor,
            request(
                now - Duration::weeks(12),
                now,
                &[Metric::ClosureRate, Metric::Frt],
                Some("week"),
                None,
            ),
            lang,
            now,
        )
        .await?;
    let target = tenant.closure_target().await?;
    let mut heat_rows = Vec::new();
    for (region, name) in tenant.regions().await? {
        let r = tenant
            .kpis(
                actor,
                request(
                    now - Duration::weeks(8),
                    now,
                    &[Metric::ClosureRate],
                    Some("week"),
                    Some(region.to_string()),
                ),
                lang,
                now,
            )
            .await?;
        if !r.rows.is_empty() {
            heat_rows.push((region, name, r.rows));
        }
    }
    let ranking = |group_by: &'static str| {
        request(
            from,
            to,
            &[
                Metric::Mttr,
                Metric::Ftfr,
                Metric::Csat,
                Metric::ReopenRate,
                Metric::OnTimeRate,
            ],
            Some(group_by),
            None,
        )
    };
    let mut engineers = tenant
        .kpis(actor, ranking("engineer"), lang, now)
        .await?
        .rows;
    let mut teams = tenant.kpis(actor, ranking("team"), lang, now).await?.rows;
    engineers.retain(|r| r.group.is_some());
    teams.retain(|r| r.group.is_some());
    let low = tenant.low_stock(actor).await.unwrap_or_default();
    let offset = tenant.utc_offset().await?;
    let map_choices: Vec<Metric> = cards
        .iter()
        .copied()
        .filter(|m| *m != Metric::Utilisation)
        .collect();
    let map_by = q
        .map
        .as_deref()
        .and_then(Metric::parse)
        .filter(|m| map_choices.contains(m))
        .unwrap_or(Metric::ClosureRate);
    let with_positions = q.positions.as_deref() == Some("1");
    let schedules = tenant.report_schedules(actor).await?;
    let region_map =
        regional_map(tenant, actor, lang, (from, to, now), map_by, with_positions).await?;

    let period = format!(
        "from={}&to={}",
        encode(&rfc3339(from)),
        encode(&rfc3339(to))
    );
    let heat_period = format!(
        "from={}&to={}",
        encode(&rfc3339(now - Duration::weeks(8))),
        encode(&rfc3339(now))
    );
    let now_row = first_row(&current);
    let before_row = first_row(&before);
    let cards = html! {
        div.cards {
            @for m in cards.iter().copied() {
                @let v = value_of(now_row, m);
                @let head = v.and_then(|v| board::headline_of(m, v));
                @let prev = value_of(before_row, m).and_then(|v| board::headline_of(m, v));
                @let trend = board::trend(m, head, prev);
                div.kpi {
                    span.muted { (t(lang, &format!("kpi.metric.{}", m.as_str()))) }
                    @if m == Metric::Utilisation {
                        strong { (show(lang, m, head)) }
                    } @else {
                        a href={ "/dashboard/tickets?metric=" (m.as_str()) "&" (period) } { strong { (show(lang, m, head)) } }
                    }
                    @let (class, key) = match trend {
                        Trend::Better => ("better", "page.dash.better"),
                        Trend::Worse => ("worse", "page.dash.worse"),
                        Trend::Same => ("same", "page.dash.same"),
                        Trend::Unknown => ("same", "page.dash.no_previous"),
                    };
                    small class=(class) {
                        (t(lang, key))
                        @if trend != Trend::Unknown { " · " (t(lang, "page.dash.previous")) " " (show(lang, m, prev)) }
                    }
                    (spark(lang, m, &trend_now, &trend_before))
                    small.muted {
                        "n = " (v.map_or(0, board::sample))
                        @if let Some(stat) = v.and_then(|v| board::statistic(m, v)) { " · " (t(lang, &format!("page.dash.stat.{stat}"))) }
                    }
                }
            }
        }
    };
    let week_points = |m: Metric| -> Vec<(String, Option<f64>)> {
        weeks
            .rows
            .iter()
            .filter_map(|r| {
                let label = week_label(r.group.as_deref()?);
                Some((
                    label,
                    r.values
                        .get(m.as_str())
                        .and_then(|v| board::headline_of(m, v)),
                ))
            })
            .collect()
    };
    let created: Vec<(String, Option<f64>)> = weeks
        .rows
        .iter()
        .filter_map(|r| {
            let label = week_label(r.group.as_deref()?);
            let n = r.values.get("closure_rate").map(board::sample)?;
            #[expect(clippy::cast_precision_loss, reason = "ticket counts")]
            Some((label, Some(n as f64)))
        })
        .collect();
    let percent = |v: f64| format!("{:.0}%", v * 100.0);
    let whole = |v: f64| format!("{v:.0}");
    let minutes = |v: f64| duration(lang, v);
    let closure_title = t(lang, "kpi.metric.closure_rate");
    let frt_title = t(lang, "page.dash.frt_median");
    let created_title = t(lang, "page.dash.created");
    let trends = html! {
        h2 { (t(lang, "page.dash.trend")) }
        div.charts {
            (chart(&Series { title: closure_title, points: week_points(Metric::ClosureRate), format: &percent, bars: false, target: Some(target) }))
            (chart(&Series { title: frt_title, points: week_points(Metric::Frt), format: &minutes, bars: false, target: None }))
            (chart(&Series { title: created_title, points: created, format: &whole, bars: true, target: None }))
        }
    };
    let mut columns: Vec<String> = heat_rows
        .iter()
        .flat_map(|(_, _, rows)| rows.iter().filter_map(|r| r.group.clone()))
        .collect();
    columns.sort();
    columns.dedup();
    let heat = html! {
        h2 { (t(lang, "page.dash.heat")) " · " (t(lang, "page.dash.target")) " " (percent(target)) }
        @if heat_rows.is_empty() { p.muted { (t(lang, "page.dash.none")) } } @else {
            div.scroll { table.heat {
                thead { tr { th { (t(lang, "page.dash.region")) } @for c in &columns { th { (week_label(c)) } } } }
                tbody {
                    @for (region, name, rows) in &heat_rows {
                        tr {
                            th { (name) }
                            @for c in &columns {
                                @let v = rows.iter().find(|r| r.group.as_ref() == Some(c)).and_then(|r| r.values.get("closure_rate"));
                                @let rate = v.and_then(board::headline);
                                @let class = match board::heat(rate, target) { Heat::Under => "under", Heat::Met => "met", Heat::Empty => "empty" };
                                td class=(class) title=(if class == "under" { t(lang, "page.dash.under_target") } else { "" }) {
                                    @if let Some(r) = rate {
                                        a href={ "/dashboard/tickets?metric=closure_rate&group_by=week&group=" (c) "&region_id=" (region) "&" (heat_period) } { (percent(r)) }
                                    }
                                }
                            }
                        }
                    }
                }
            } }
        }
    };
    let rank_table = |title: &str, rows: &mut Vec<KpiRow>| {
        let mut keyed: Vec<(String, _)> = rows.drain(..).map(|r| (r.label, r.values)).collect();
        board::rank(&mut keyed, rank_by);
        html! {
            h3 { (title) }
            @if keyed.is_empty() { p.muted { (t(lang, "page.dash.none")) } } @else {
                div.scroll { table {
                    thead { tr {
                        th { "#" } th { "" }
                        th { (t(lang, "page.dash.resolved")) }
                        @for m in [Metric::Mttr, Metric::Ftfr, Metric::Csat, Metric::ReopenRate, Metric::OnTimeRate] {
                            th { (t(lang, &format!("kpi.metric.{}", m.as_str()))) }
                        }
                    } }
                    tbody { @for (i, (label, values)) in keyed.iter().take(20).enumerate() { tr {
                        td { (i + 1) } td { (label) }
                        td { (values.get("mttr").map_or(0, board::sample)) }
                        @for m in [Metric::Mttr, Metric::Ftfr, Metric::Csat, Metric::ReopenRate, Metric::OnTimeRate] {
                            td { (show(lang, m, values.get(m.as_str()).and_then(|v| board::headline_of(m, v)))) }
                        }
                    } } }
                } }
            }
        }
    };
    let may_set = access::allowed(actor, Permission::SetTargets);
    Ok(html! {
        h1 { (t(lang, "page.dash.title")) }
        div data-refresh="300" hidden {}
        form.inline method="get" action="/dashboard" {
            label for="days" { (t(lang, "page.dash.period")) }
            select #days name="days" {
                @for d in [7, 30, 90] {
                    option value=(d) selected[d == days] { (tf(lang, "page.dash.last_days", &[("days", &d.to_string())])) }
                }
            }
            label for="rank_by" { (t(lang, "page.dash.rank_by")) }
            select #rank_by name="rank_by" {
                @for m in board::RANKINGS {
                    option value=(m.as_str()) selected[m == rank_by] { (t(lang, &format!("kpi.metric.{}", m.as_str()))) }
                }
            }
            button type="submit" { (t(lang, "page.dash.show")) }
        }
        p.muted.period {
            (tf(lang, "page.dash.period_line", &[
                ("from", &from.with_timezone(&offset).format("%Y-%m-%d %H:%M").to_string()),
                ("to", &to.with_timezone(&offset).format("%Y-%m-%d %H:%M").to_string()),
                ("pfrom", &at(pfrom).with_timezone(&offset).format("%Y-%m-%d").to_string()),
                ("pto", &at(pto).with_timezone(&offset).format("%Y-%m-%d").to_string()),
            ]))
        }
        (cards)
        (trends)
        h2 { (t(lang, "page.dash.map")) }
        form.inline method="get" action="/dashboard" {
            input type="hidden" name="days" value=(days);
            label for="map" { (t(lang, "page.dash.map_by")) }
            select #map name="map" {
                @for m in map_choices.iter().copied() {
                    option value=(m.as_str()) selected[m == map_by] { (t(lang, &format!("kpi.metric.{}", m.as_str()))) }
                }
            }
            label { input type="checkbox" name="positions" value="1" checked[with_positions]; " " (t(lang, "page.dash.positions")) }
            button type="submit" { (t(lang, "page.dash.show")) }
        }
        @match region_map {
            Some(m) => { (m) }
            None => { p.muted { (t(lang, "page.dash.no_shapes")) } }
        }
        (heat)
        @if may_set {
            form.inline method="post" action="/dashboard/target" {
                label for="closure_target" { (t(lang, "page.dash.target")) " (%)" }
                input #closure_target name="closure_target" type="number" min="1" max="100" step="0.1" value=(format!("{:.1}", target * 100.0));
                button type="submit" { (t(lang, "page.dash.set_target")) }
            }
        }
        h2 { (t(lang, "page.dash.rankings")) }
        (rank_table(t(lang, "page.dash.rank_engineers"), &mut engineers))
        (rank_table(t(lang, "page.dash.rank_teams"), &mut teams))
        @if !low.is_empty() {
            h2 { (t(lang, "page.dash.low_stock")) }
            ul { @for l in &low { li.error { (l.warehouse) " · " (l.sku) " " (l.name) ": " (l.available) " < " (l.min_available) } } }
        }
        h2 #schedules { (t(lang, "page.dash.schedules")) }
        p.muted { (t(lang, "page.dash.schedules_hint")) }
        @if let Some(e) = q.schedule_error.as_deref().filter(|e| SCHEDULE_ERRORS.contains(e)) {
            p.field-error role="alert" { (t(lang, e)) }
        }
        @if !schedules.is_empty() {
            ul { @for s in &schedules {
                li {
                    (t(lang, &format!("report.every.{}", s.frequency))) " · " (t(lang, &format!("report.group.{}", s.group_by)))
                    @if let Some(p) = &s.last_period { span.muted { " · " (t(lang, "page.dash.last_sent")) " " (p) } }
                    " "
                    form.inline method="post" action={ "/dashboard/schedules/" (s.id) "/remove" } {
                        button.quiet type="submit" { (t(lang, "page.dash.unsubscribe")) }
                    }
                }
            } }
        }
        form.inline method="post" action="/dashboard/schedules" {
            label for="schedule_group" { (t(lang, "page.dash.schedule_group")) }
            select #schedule_group name="group_by" {
                @for g in schedule::SCHEDULE_GROUPS { option value=(g) { (t(lang, &format!("report.group.{g}"))) } }
            }
            label for="schedule_frequency" { (t(lang, "page.dash.schedule_frequency")) }
            select #schedule_frequency name="frequency" {
                @for f in schedule::Frequency::ALL { option value=(f.as_str()) { (t(lang, &format!("report.every.{}", f.as_str()))) } }
            }
            button type="submit" { (t(lang, "page.dash.subscribe")) }
        }
        h2 { (t(lang, "page.dash.export")) }
        p {
            @for (group, key) in [("region", "page.dash.by_region"), ("engineer", "page.dash.by_engineer"), ("week", "page.dash.by_week")] {
                (t(lang, key)) ": "
                a href={ "/api/v1/kpis/export?format=xlsx&group_by=" (group) "&" (period) "&lang=" (lang.tag()) } { "Excel" } " · "
                a href={ "/api/v1/kpis/export?format=csv&group_by=" (group) "&" (period) "&lang=" (lang.tag()) } { "CSV" } " "
            }
        }
    })
}

/// What the target form sends: a percentage.
#[derive(Deserialize)]
pub struct TargetForm {
    closure_target: String,
}

/// Sets the closure target from the dashboard (managers, admins).
pub async fn set_target(PageUser { user, lang }: PageUser, Form(f): Form<TargetForm>) -> Response {
    let Ok(percent) = f.closure_target.trim().parse::<f64>() else {
        return super::failure(
            lang,
            &StoreError::Invalid(loopdesk_core::validate::FieldError {
                field: "closure_target",
                reason: "error.closure_target",
            }),
        );
    };
    match user
        .tenant
        .set_closure_target(&user.actor, percent / 100.0)
        .await
    {
        Ok(_) => Redirect::to("/dashboard").into_response(),
        Err(e) => super::failure(lang, &e),
    }
}

/// What adding a scheduled report may be refused for, as the page says it.
const SCHEDULE_ERRORS: [&str; 3] = [
    "page.dash.schedule_exists",
    "error.invalid_value",
    "error.unknown_group",
];

/// A report to receive by mail.
#[derive(Deserialize)]
pub struct ScheduleForm {
    group_by: String,
    frequency: String,
}

/// Adds a scheduled report for the signed-in person; back to the dashboard's list.
pub async fn add_schedule(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Form(f): Form<ScheduleForm>,
) -> Response {
    let added = user
        .tenant
        .add_report_schedule(&user.actor, &f.group_by, &f.frequency, state.clock.now())
        .await;
    let refused = match added {
        Ok(_) => return Redirect::to("/dashboard#schedules").into_response(),
        Err(StoreError::Conflict { .. }) => "page.dash.schedule_exists",
        Err(StoreError::Invalid(e)) => e.reason,
        Err(e) => return super::failure(lang, &e),
    };
    Redirect::to(&format!("/dashboard?schedule_error={refused}#schedules")).into_response()
}

/// Stops one of the signed-in person's scheduled reports.
pub async fn remove_schedule(
    PageUser { user, lang }: PageUser,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    match user.tenant.remove_report_schedule(&user.actor, &id).await {
        Ok(()) => Redirect::to("/dashboard#schedules").into_response(),
        Err(e) => super::failure(lang, &e),
    }
}

/// Which figure's tickets to list.
#[derive(Deserialize)]
pub struct BehindQuery {
    metric: String,
    from: Option<String>,
    to: Option<String>,
    group_by: Option<String>,
    group: Option<String>,
    region_id: Option<String>,
}

/// The tickets behind one figure, worst first (a click on a number).
pub async fn behind(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    PageQuery(q): PageQuery<BehindQuery>,
) -> Response {
    let now = state.clock.now();
    let parse = |s: &Option<String>| {
        s.as_deref()
            .and_then(|v| DateTime::parse_from_rfc3339(v).ok())
            .map(|d| d.with_timezone(&Utc))
    };
    let req = KpiRequest {
        from: parse(&q.from),
        to: parse(&q.to),
        group_by: q.group_by.clone(),
        filter: KpiFilter {
            region: q.region_id.clone(),
            ..KpiFilter::default()
        },
        ..KpiRequest::default()
    };
    let tickets = match user
        .tenant
        .kpi_tickets_behind(&user.actor, req, &q.metric, q.group.as_deref(), 200, now)
        .await
    {
        Ok(t) => t,
        Err(e) => return super::failure(lang, &e),
    };
    let metric = Metric::parse(&q.metric).unwrap_or(Metric::Backlog);
    let title = tf(
        lang,
        "page.dash.behind",
        &[(
            "metric",
            t(lang, &format!("kpi.metric.{}", metric.as_str())),
        )],
    );
    page(
        lang,
        &title,
        Some(&user.auth.user),
        html! {
            h1 { (title) }
            p { a href="/dashboard" { (t(lang, "page.dash.title")) } }
            @if tickets.is_empty() { p.muted { (t(lang, "page.dash.none")) } }
            table {
                tbody {
                    @for k in &tickets {
                        tr {
                            td { a href={ "/t/" (k.id) } { (k.number) } }
                            td { (k.subject) }
                            td { (t(lang, &format!("status.{}", k.status))) }
                            td { @if let Some(v) = k.value { (match metric {
                                Metric::Csat | Metric::Nps | Metric::ChaseRate => format!("{v:.0}"),
                                _ => duration(lang, v),
                            }) } }
                        }
                    }
                }
            }
        },
    )
}

/// The regions coloured by one figure over the period (its headline: mean or median as the
/// card says), each linking to its tickets; `None` when no region has an outline.
async fn regional_map(
    tenant: &loopdesk_store::TenantStore,
    actor: &loopdesk_core::ticket::Actor,
    lang: Lang,
    (from, to, now): (DateTime<Utc>, DateTime<Utc>, DateTime<Utc>),
    m: Metric,
    with_positions: bool,
) -> Result<Option<Markup>, StoreError> {
    let shapes = tenant.region_shapes().await?;
    if shapes.iter().all(|r| r.shape.is_none()) {
        return Ok(None);
    }
    let by_region = tenant
        .kpis(
            actor,
            request(from, to, &[m], Some("region"), None),
            lang,
            now,
        )
        .await?;
    let period = format!(
        "from={}&to={}",
        encode(&rfc3339(from)),
        encode(&rfc3339(to))
    );
    let areas: Vec<Area<'_>> = shapes
        .iter()
        .filter_map(|r| {
            let shape = r.shape.as_ref()?;
            let id = r.id.to_string();
            let value = by_region
                .rows
                .iter()
                .find(|row| row.group.as_deref() == Some(id.as_str()))
                .and_then(|row| row.values.get(m.as_str()))
                .and_then(|v| board::headline_of(m, v));
            Some(Area {
                name: &r.name,
                shape,
                value,
                href: Some(format!(
                    "/dashboard/tickets?metric={}&region_id={id}&{period}",
                    m.as_str()
                )),
            })
        })
        .collect();
    let dots = if with_positions {
        tenant
            .engineers(actor, now)
            .await?
            .into_iter()
            .filter_map(|e| {
                let p = e.position?;
                Some(Dot {
                    lat: p.lat,
                    lon: p.lon,
                    title: e.display_name,
                    kind: "engineer",
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    let key = format!("kpi.metric.{}", m.as_str());
    let title = t(lang, &key);
    let format = |v: f64| show(lang, m, Some(v));
    let legend = Legend {
        title,
        format: &format,
        no_value: t(lang, "page.dash.no_value"),
    };
    Ok(Some(region_map(&areas, &dots, &legend)))
}

/// A card's trend line: the figure per bucket of this period, the previous period's faint.
fn spark(lang: Lang, m: Metric, now: &KpiReport, before: &KpiReport) -> Markup {
    let points = |r: &KpiReport| -> Vec<(String, Option<f64>)> {
        let mut rows: Vec<&KpiRow> = r.rows.iter().filter(|row| row.group.is_some()).collect();
        rows.sort_by(|a, b| a.group.cmp(&b.group));
        rows.into_iter()
            .map(|row| {
                (
                    row.label.clone(),
                    row.values
                        .get(m.as_str())
                        .and_then(|v| board::headline_of(m, v)),
                )
            })
            .collect()
    };
    let then: Vec<Option<f64>> = points(before).into_iter().map(|p| p.1).collect();
    let key = format!("kpi.metric.{}", m.as_str());
    charts::sparkline(t(lang, &key), &points(now), &then, &|v| {
        show(lang, m, Some(v))
    })
}
