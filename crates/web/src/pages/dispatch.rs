//! The dispatch board (调度台): unassigned orders by urgency with the engine's proposal to
//! accept in one click, the engineers with their load, and a map of both drawn as SVG by the
//! server (no map tiles from anywhere).

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use loopdesk_core::access::{self, Permission};
use loopdesk_core::i18n::{t, Lang};
use loopdesk_core::ticket::MoveCommand;
use loopdesk_core::{Status, TicketId, UserId};
use loopdesk_store::{EngineerView, Proposal, StoreError, TransitionRequest};
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;

use super::layout::{page, PageUser};
use crate::extract::CurrentUser;
use crate::state::AppState;

/// The map: engineers as circles (filled when on duty), orders as squares (red for P1–P2),
/// a line from each order to its proposed engineer; scaled to the points' bounding box.
fn map(engineers: &[EngineerView], proposals: &[Proposal]) -> Markup {
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

fn board(
    lang: Lang,
    user: &CurrentUser,
    engineers: &[EngineerView],
    proposals: &[Proposal],
    live: &str,
    error: Option<&str>,
) -> Response {
    let title = t(lang, "page.dispatch.title");
    page(
        lang,
        title,
        Some(&user.auth.user),
        html! {
            h1 { (title) }
            p.notice data-live=(live) hidden { (t(lang, "page.live.changed")) }
            @if let Some(e) = error { p.error role="alert" { (t(lang, e)) } }
            (map(engineers, proposals))
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
                        None => p.error { (t(lang, "page.dispatch.nobody")) },
                    }
                    @if p.candidates.len() > 1 {
                        p.muted {
                            (t(lang, "page.dispatch.others")) ": "
                            @for c in p.candidates.iter().skip(1) { (c.display_name) " (" (format!("{:.1}", c.road_km)) " km) " }
                        }
                    }
                }
            }
            h2 { (t(lang, "page.dispatch.engineers")) }
            table {
                tbody {
                    @for e in engineers {
                        tr {
                            td { (e.display_name) }
                            td { (e.load) "/" (e.capacity) }
                            td { @if e.on_duty { span.badge.ok { (t(lang, "page.dispatch.on_duty")) } } @else { span.badge { (t(lang, "page.dispatch.off_duty")) } } }
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
) -> Response {
    if !access::allowed(&user.actor, Permission::Dispatch) {
        return super::failure(lang, &StoreError::Forbidden);
    }
    let live = match super::live::queue_url(user).await {
        Ok(url) => url,
        Err(e) => return super::failure(lang, &e),
    };
    let now = state.clock.now();
    let (engineers, proposals) = match (
        user.tenant.engineers(&user.actor, now).await,
        user.tenant
            .dispatch_proposals(&user.actor, false, now)
            .await,
    ) {
        (Ok(e), Ok(p)) => (e, p),
        (Err(e), _) | (_, Err(e)) => return super::failure(lang, &e),
    };
    let mut proposals = proposals;
    proposals.sort_by_key(|p| (p.priority, p.sla_slack_minutes.unwrap_or(i64::MAX)));
    board(lang, user, &engineers, &proposals, &live, error)
}

/// The board.
pub async fn show(State(state): State<AppState>, PageUser { user, lang }: PageUser) -> Response {
    show_board(&state, &user, lang, None).await
}

/// A proposal accepted.
#[derive(Deserialize)]
pub struct AssignForm {
    ticket_id: String,
    engineer_id: String,
}

/// Accepts a proposal: the order is assigned (by the transition table, as any assignment).
pub async fn assign(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Form(f): Form<AssignForm>,
) -> Response {
    let (Some(ticket), Some(engineer)) =
        (TicketId::parse(&f.ticket_id), UserId::parse(&f.engineer_id))
    else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let version = match user.tenant.ticket_version(&user.actor, ticket).await {
        Ok(Some(v)) => v,
        Ok(None) => return super::failure(lang, &StoreError::NotFound),
        Err(e) => return super::failure(lang, &e),
    };
    let req = TransitionRequest {
        version,
        command: MoveCommand {
            to: Some(Status::Assigned),
            assignee_id: Some(engineer),
            ..MoveCommand::default()
        },
    };
    match user
        .tenant
        .transition(&user.actor, ticket, req, None, state.clock.now())
        .await
    {
        Ok(_) => Redirect::to("/dispatch").into_response(),
        Err(StoreError::Transition(_) | StoreError::Stale { .. }) => {
            let mut res = show_board(&state, &user, lang, Some("page.ticket.move_refused")).await;
            *res.status_mut() = axum::http::StatusCode::CONFLICT;
            res
        }
        Err(e) => super::failure(lang, &e),
    }
}
