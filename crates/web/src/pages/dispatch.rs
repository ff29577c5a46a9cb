//! The dispatch board (调度台): unassigned orders by urgency with the engine's proposal to
//! accept in one click, the engineers with their load, and a map of both drawn as SVG by the
//! server (no map tiles from anywhere).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use loopdesk_core::access::{self, Permission};
use loopdesk_core::i18n::{t, tf, Lang};
use loopdesk_core::{TicketId, UserId};
use loopdesk_store::{EngineerView, Proposal, RegionShape, StoreError};
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;

use super::layout::{page, PageQuery, PageUser};
use crate::extract::CurrentUser;
use crate::state::AppState;

/// The map: engineers as circles (filled when on duty), orders as squares (red for P1–P2),
/// a line from each order to its proposed engineer; scaled to the points' bounding box.
fn map(
    lang: Lang,
    engineers: &[EngineerView],
    proposals: &[Proposal],
    regions: &[RegionShape],
) -> Markup {
    let (w, h, pad) = (640.0_f64, 400.0_f64, 24.0_f64);
    let mut points: Vec<(f64, f64)> = engineers
        .iter()
        .filter_map(|e| e.position.as_ref().map(|p| (p.lat, p.lon)))
        .collect();
    points.extend(
        proposals
            .iter()
            .filter_map(|p| p.position.map(|q| (q.lat, q.lon))),
    );
    // The regions' outlines frame the map when they are drawn.
    for (west, south, east, north) in regions.iter().filter_map(|r| r.shape.as_ref()?.bounds()) {
        points.extend([(south, west), (north, east)]);
    }
    if points.is_empty() {
        return html! {};
    }
    let (mut lat0, mut lat1, mut lon0, mut lon1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for (lat, lon) in &points {
        lat0 = lat0.min(*lat);
        lat1 = lat1.max(*lat);
        lon0 = lon0.min(*lon);
        lon1 = lon1.max(*lon);
    }
    let span_lat = (lat1 - lat0).max(0.005);
    let span_lon = (lon1 - lon0).max(0.005);
    let xy = |lat: f64, lon: f64| {
        (
            pad + (lon - lon0) / span_lon * (w - 2.0 * pad),
            h - pad - (lat - lat0) / span_lat * (h - 2.0 * pad),
        )
    };
    let where_is = |id: UserId| {
        engineers
            .iter()
            .find(|e| e.id == id)
            .and_then(|e| e.position.as_ref().map(|p| xy(p.lat, p.lon)))
    };
    let mut svg = format!(
        "<svg class=\"map\" viewBox=\"0 0 {w} {h}\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\">\
         <rect width=\"{w}\" height=\"{h}\" fill=\"#f8fafc\" stroke=\"#d9e2ec\"/>"
    );
    // Each region shaded by the orders waiting in it, its name and count written on it.
    let waiting = |shape: &loopdesk_core::region_shape::Shape| {
        proposals
            .iter()
            .filter(|p| p.position.is_some_and(|q| shape.contains(q.lat, q.lon)))
            .count()
    };
    let most = regions
        .iter()
        .filter_map(|r| r.shape.as_ref().map(waiting))
        .max()
        .unwrap_or(0)
        .max(1);
    for r in regions {
        let Some(shape) = &r.shape else { continue };
        let n = waiting(shape);
        let mut d = String::new();
        for ring in shape.polygons.iter().flatten() {
            for (i, (lon, lat)) in ring.iter().enumerate() {
                let (x, y) = xy(*lat, *lon);
                d.push_str(&format!("{}{x:.1} {y:.1}", if i == 0 { 'M' } else { 'L' }));
            }
            d.push('Z');
        }
        #[expect(clippy::cast_precision_loss, reason = "order counts")]
        let fill = super::map::mix(0.6 * n as f64 / most as f64);
        let said = tf(
            lang,
            "page.dispatch.region_waiting",
            &[("region", &r.name), ("count", &n.to_string())],
        );
        svg.push_str(&format!(
            "<path d=\"{d}\" fill=\"{fill}\" fill-rule=\"evenodd\" stroke=\"#9fb3c8\"><title>{}</title></path>",
            super::escape(&said)
        ));
        if let Some((west, south, east, north)) = shape.bounds() {
            let (x, y) = xy((south + north) / 2.0, (west + east) / 2.0);
            svg.push_str(&format!(
                "<text x=\"{x:.1}\" y=\"{y:.1}\" font-size=\"13\" text-anchor=\"middle\" fill=\"#52606d\" pointer-events=\"none\">{}</text>",
                super::escape(&r.name)
            ));
        }
    }
    for p in proposals {
        if let (Some(q), Some(e)) = (p.position, p.engineer.as_ref().and_then(|e| where_is(e.id))) {
            let (x, y) = xy(q.lat, q.lon);
            svg.push_str(&format!(
                "<line x1=\"{x:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#0b6bcb\" stroke-dasharray=\"4 3\"/>",
                e.0, e.1
            ));
        }
    }
    for e in engineers {
        if let Some(pos) = &e.position {
            let (x, y) = xy(pos.lat, pos.lon);
            let fill = if e.on_duty { "#1f7a3a" } else { "#fff" };
            svg.push_str(&format!(
                "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"7\" fill=\"{fill}\" stroke=\"#1f7a3a\" stroke-width=\"2\"><title>{} {}/{}</title></circle>\
                 <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\">{}</text>",
                super::escape(&e.display_name),
                e.load,
                e.capacity,
                x + 9.0,
                y + 4.0,
                super::escape(&e.display_name)
            ));
        }
    }
    for p in proposals {
        if let Some(q) = p.position {
            let (x, y) = xy(q.lat, q.lon);
            let fill = if p.priority <= 2 {
                "#b42318"
            } else {
                "#b7791f"
            };
            svg.push_str(&format!(
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{fill}\"><title>{} P{}</title></rect>",
                x - 5.0,
                y - 5.0,
                super::escape(&p.number),
                p.priority
            ));
        }
    }
    svg.push_str("</svg>");
    html! { (PreEscaped(svg)) }
}

/// Why nobody can take an order, counted by reason (` — 2 人离岗，1 人缺技能`).
fn excluded_summary(lang: Lang, p: &Proposal) -> String {
    if p.excluded.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = p
        .excluded
        .iter()
        .map(|(why, n)| format!("{n} × {}", t(lang, &format!("dispatch.excluded.{why}"))))
        .collect();
    format!(" — {}", parts.join(", "))
}

struct Board<'a> {
    engineers: &'a [EngineerView],
    proposals: &'a [Proposal],
    regions: &'a [RegionShape],
    live: &'a str,
    error: Option<&'a str>,
    assigned: Option<&'a str>,
    predicted: maud::Markup,
}

fn board(lang: Lang, user: &CurrentUser, b: Board<'_>) -> Response {
    let Board {
        engineers,
        proposals,
        regions,
        live,
        error,
        assigned,
        predicted,
    } = b;
    let mapped = engineers.iter().any(|e| e.position.is_some())
        || proposals.iter().any(|p| p.position.is_some())
        || regions.iter().any(|r| r.shape.is_some());
    let title = t(lang, "page.dispatch.title");
    page(
        lang,
        title,
        Some(&user.auth.user),
        html! {
            h1 { (title) }
            p.notice data-live=(live) hidden { (t(lang, "page.live.changed")) }
            @if let Some(e) = error { p.error role="alert" { (t(lang, e)) } }
            @if let Some(done) = assigned { p.notice role="status" { (t(lang, "page.dispatch.assigned")) ": " (done) } }
            // The map first; on a wide screen it stands beside the list and stays in view.
            div.board {
                @if mapped { div.board-map {
                    (map(lang, engineers, proposals, regions))
                    p.legend.muted {
                        span.key.engineer {} " " (t(lang, "page.dispatch.legend_engineer")) " · "
                        span.key.urgent {} " " (t(lang, "page.dispatch.legend_urgent")) " · "
                        span.key.order {} " " (t(lang, "page.dispatch.legend_order")) " · "
                        span.key.line {} " " (t(lang, "page.dispatch.legend_line"))
                    }
                } }
                div.board-list {
                    h2 { (t(lang, "page.dispatch.orders")) }
                    @if proposals.is_empty() { p.muted { (t(lang, "page.dispatch.none")) } }
                    @for p in proposals {
                        div.card {
                            p { a href={ "/t/" (p.ticket_id) } { (p.number) } " · P" (p.priority) " · " (p.subject) }
                            @match &p.engineer {
                                Some(e) => form method="post" action="/dispatch/assign" {
                                    input type="hidden" name="ticket_id" value=(p.ticket_id);
                                    input type="hidden" name="engineer_id" value=(e.id);
                                    span { (t(lang, "page.dispatch.proposal")) ": " strong { (e.display_name) } " · " (format!("{:.1}", e.road_km)) " km · " (e.load) " " (t(lang, "page.dispatch.open_orders")) " " }
                                    button type="submit" { (t(lang, "page.dispatch.accept")) }
                                },
                                None => p.error { (t(lang, "page.dispatch.nobody")) (excluded_summary(lang, p)) },
                            }
                            p { a href={ "/dispatch/t/" (p.ticket_id) } { (t(lang, "page.dispatch.by_hand")) } }
                            @if p.candidates.len() > 1 {
                                p.muted {
                                    (t(lang, "page.dispatch.others")) ": "
                                    @for c in p.candidates.iter().skip(1) { (c.display_name) " (" (format!("{:.1}", c.road_km)) " km) " }
                                }
                            }
                        }
                    }
                    (predicted)
                    h2 { (t(lang, "page.dispatch.engineers")) }
                    table {
                        tbody {
                            @for e in engineers {
                                tr {
                                    td { (e.display_name) }
                                    td { @if e.load >= e.capacity { span.badge.warn { (e.load) "/" (e.capacity) } } @else { (e.load) "/" (e.capacity) } }
                                    td { @if e.on_duty { span.badge.ok { (t(lang, "page.dispatch.on_duty")) } } @else { span.badge { (t(lang, "page.dispatch.off_duty")) } } }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

async fn show_board(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    error: Option<&str>,
    assigned: Option<&str>,
) -> Response {
    if !access::allowed(&user.actor, Permission::Dispatch) {
        return super::failure(lang, &StoreError::Forbidden);
    }
    let live = match super::live::queue_url(user).await {
        Ok(url) => url,
        Err(e) => return super::failure(lang, &e),
    };
    let now = state.clock.now();
    let (engineers, proposals, regions) = match (
        user.tenant.engineers(&user.actor, now).await,
        user.tenant
            .dispatch_proposals(&user.actor, false, now)
            .await,
        user.tenant.region_shapes().await,
    ) {
        (Ok(e), Ok(p), Ok(r)) => (e, p, r),
        (Err(e), ..) | (_, Err(e), _) | (.., Err(e)) => return super::failure(lang, &e),
    };
    let predicted =
        match super::risk::predicted_late(user, lang, now, &Default::default(), "board").await {
            Ok(m) => m,
            Err(e) => return super::failure(lang, &e),
        };
    let mut proposals = proposals;
    // Orders nobody can take stand at the top: they need a person now.
    proposals.sort_by_key(|p| {
        (
            p.engineer.is_some(),
            p.priority,
            p.sla_slack_minutes.unwrap_or(i64::MAX),
        )
    });
    board(
        lang,
        user,
        Board {
            engineers: &engineers,
            proposals: &proposals,
            regions: &regions,
            live: &live,
            error,
            assigned,
            predicted,
        },
    )
}

/// What the board was asked to show.
#[derive(Deserialize)]
pub struct BoardQuery {
    /// The number of the order just assigned (confirmed at the top).
    assigned: Option<String>,
}

/// The board.
pub async fn show(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    PageQuery(q): PageQuery<BoardQuery>,
) -> Response {
    let done = q
        .assigned
        .as_deref()
        .map(|n| n.chars().take(40).collect::<String>());
    show_board(&state, &user, lang, None, done.as_deref()).await
}

/// An assignment: a proposal accepted, or an engineer chosen by hand (with why, when it is
/// not the proposal).
#[derive(Deserialize)]
pub struct AssignForm {
    ticket_id: String,
    #[serde(default)]
    engineer_id: String,
    #[serde(default)]
    note: String,
    /// Where the choice was made: `hand` (this ticket's hand-dispatch page, where a refusal
    /// comes back to), `review` or `desk` (the same page opened from the supervisor's desk or
    /// the queue, which the assignment returns to), else the board.
    #[serde(default)]
    from: String,
}

/// Assigns the order (by the transition table, as any assignment).
pub async fn assign(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Form(f): Form<AssignForm>,
) -> Response {
    let Some(ticket) = TicketId::parse(&f.ticket_id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let Some(engineer) = UserId::parse(&f.engineer_id) else {
        let mut res = show_hand(
            &state,
            &user,
            lang,
            (ticket, hand_from(&f.from)),
            Some("page.dispatch.choose"),
        )
        .await;
        *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        return res;
    };
    // The page it was opened from, which a done assignment returns to.
    let back = match f.from.as_str() {
        "review" => Some("/review"),
        "desk" => Some("/desk"),
        _ => None,
    };
    let hand = f.from == "hand" || back.is_some();
    let done = user
        .tenant
        .hand_assign(&user.actor, ticket, engineer, &f.note, state.clock.now())
        .await;
    let again = |error: &'static str, status: axum::http::StatusCode| {
        let (state, user) = (&state, &user);
        async move {
            let mut res = if hand {
                show_hand(state, user, lang, (ticket, hand_from(&f.from)), Some(error)).await
            } else {
                show_board(state, user, lang, Some(error), None).await
            };
            *res.status_mut() = status;
            res
        }
    };
    match done {
        Ok(d) => match back {
            Some(page) => Redirect::to(page).into_response(),
            None => {
                Redirect::to(&format!("/dispatch?assigned={}", d.ticket.number)).into_response()
            }
        },
        Err(StoreError::Invalid(field)) => {
            again(field.reason, axum::http::StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(StoreError::Transition(_) | StoreError::Stale { .. }) => {
            again("page.ticket.move_refused", axum::http::StatusCode::CONFLICT).await
        }
        Err(e) => super::failure(lang, &e),
    }
}

/// The hand-dispatch page of one order: every engineer, the eligible ones to choose from
/// (nearest first, the engine's choice marked), the others greyed with why.
async fn show_hand(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    (ticket, from): (TicketId, &str),
    error: Option<&str>,
) -> Response {
    let hand = match user
        .tenant
        .hand_dispatch(&user.actor, ticket, false, state.clock.now())
        .await
    {
        Ok(h) => h,
        Err(e) => return super::failure(lang, &e),
    };
    let title = t(lang, "page.dispatch.by_hand");
    let km = |k: Option<f64>| k.map_or_else(|| "–".to_owned(), |k| format!("{k:.1} km"));
    let nobody = hand.engineers.iter().all(|e| e.excluded.is_some());
    page(
        lang,
        title,
        Some(&user.auth.user),
        html! {
            h1 { (title) }
            p { a href={ "/t/" (hand.ticket_id) } { (hand.number) } " · P" (hand.priority) " · " (hand.subject)
                " · " span.badge { (t(lang, hand.status.label_key())) } }
            @if let Some(e) = error { p.error role="alert" { (t(lang, e)) } }
            @if nobody { p.error { (t(lang, "page.dispatch.nobody")) } }
            p.muted { (t(lang, "page.dispatch.override_hint")) }
            form.hand method="post" action="/dispatch/assign" {
                input type="hidden" name="ticket_id" value=(hand.ticket_id);
                input type="hidden" name="from" value=(from);
                label for="find-engineer" { (t(lang, "page.dispatch.find_engineer")) }
                input #find-engineer type="search" data-filter="hand-rows" autocomplete="off";
                table {
                    thead { tr {
                        th {} th { (t(lang, "page.dispatch.engineer")) } th { (t(lang, "page.dispatch.distance")) }
                        th { (t(lang, "page.dispatch.load")) } th { (t(lang, "page.dispatch.level")) } th { (t(lang, "page.dispatch.why_not")) }
                    } }
                    tbody #hand-rows {
                        @for e in &hand.engineers {
                            @let id = format!("e-{}", e.id);
                            tr.excluded[e.excluded.is_some()] {
                                td { input type="radio" name="engineer_id" value=(e.id) id=(id)
                                    disabled[e.excluded.is_some_and(|w| !w.overridable())]
                                    required checked[hand.proposed == Some(e.id)]; }
                                td { label for=(id) { (e.display_name) }
                                    @if hand.proposed == Some(e.id) { " " span.badge.ok { (t(lang, "page.dispatch.proposal")) } } }
                                td { (km(e.road_km)) }
                                td { @if e.load >= e.capacity { span.badge.warn { (e.load) "/" (e.capacity) } } @else { (e.load) "/" (e.capacity) } }
                                td { (e.level) }
                                td { @if let Some(why) = e.excluded {
                                    (t(lang, &format!("dispatch.excluded.{}", why.as_str())))
                                } }
                            }
                        }
                    }
                }
                label for="note" { (t(lang, "page.dispatch.note")) }
                input #note name="note" maxlength="2000";
                p { button type="submit" { (t(lang, "page.dispatch.assign")) } }
            }
        },
    )
}

/// Where a hand-dispatch page was opened from, as its form says it: the supervisor's desk
/// (`review`), the agent's queue (`desk`) or anywhere else (`hand`).
fn hand_from(asked: &str) -> &'static str {
    match asked {
        "review" => "review",
        "desk" => "desk",
        _ => "hand",
    }
}

/// Where the hand-dispatch page was opened from (`?from=review`).
#[derive(Deserialize)]
pub struct HandQuery {
    #[serde(default)]
    from: String,
}

/// The hand-dispatch page.
pub async fn hand(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
    PageQuery(q): PageQuery<HandQuery>,
) -> Response {
    let Some(ticket) = TicketId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    show_hand(&state, &user, lang, (ticket, hand_from(&q.from)), None).await
}
