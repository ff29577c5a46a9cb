//! The engineer's phone: my orders by urgency, and each order — who and where (a `tel:` link,
//! navigation in the phone's map app), what happened so far, and its moves: accept or decline
//! with a reason, set off, check in on site with the phone's position (asking first when it is
//! beyond the site's geofence), start.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::{DateTime, Utc};
use loopdesk_core::i18n::{t, Lang};
use loopdesk_core::ticket::transitions::{CheckIn, Needs, Rule};
use loopdesk_core::ticket::urgency;
use loopdesk_core::ticket::MoveCommand;
use loopdesk_core::{Status, TicketId};
use loopdesk_store::{
    ArticleQuery, Idempotency, StoreError, Ticket, TicketDetail, TicketFilter, TicketParties,
    TransitionRequest,
};
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{page, PageUser};
use crate::extract::CurrentUser;
use crate::state::AppState;

/// My open orders, the most urgent first (priority, then the SLA's resolution due time).
pub async fn orders(PageUser { user, lang }: PageUser) -> Response {
    let live = match super::live::queue_url(&user).await {
        Ok(url) => url,
        Err(e) => return super::failure(lang, &e),
    };
    let mine = TicketFilter {
        status: Status::OPEN.to_vec(),
        assignee_id: user.actor.user_id(),
        limit: Some(100),
        ..TicketFilter::default()
    };
    let mut items: Vec<Ticket> = match user.tenant.tickets_for(&user.actor, &mine).await {
        Ok(p) => p.items,
        Err(e) => return super::failure(lang, &e),
    };
    items.sort_by_key(|tk| urgency(tk.priority, tk.sla.resolution_due, tk.created_at));
    let title = t(lang, "page.engineer.orders");
    page(
        lang,
        title,
        Some(&user.auth.user),
        html! {
            h1 { (title) }
            p.notice data-live=(live) hidden { (t(lang, "page.live.changed")) }
            @if items.is_empty() { p.muted { (t(lang, "page.engineer.none")) } }
            @for tk in &items {
                a.card.order href={ "/m/t/" (tk.id) } {
                    strong { "P" (tk.priority) " · " (tk.subject) }
                    br;
                    span.badge { (t(lang, tk.status.label_key())) } " "
                    span.badge class=(tk.sla.state.as_str()) { (tk.number) }
                }
            }
        },
    )
}

/// The site's position and geofence, for the check-in form to compare the phone's with.
struct Site {
    lat: f64,
    lon: f64,
    geofence_m: f64,
}

fn move_form(
    lang: Lang,
    tk: &Ticket,
    to: Status,
    needs: Needs,
    kind: &str,
    site: Option<&Site>,
) -> Markup {
    let action = format!("/m/t/{}/move", tk.id);
    let key = format!("page.move.{kind}");
    let label = t(lang, &key);
    // Declining or waiting are the exceptions: the way forward is the solid button.
    let quiet = matches!(kind, "decline" | "wait_parts" | "wait_customer");
    html! {
        @match needs {
            Needs::CheckIn => form.card method="post" action=(action) data-geo data-offline
                data-locating=(t(lang, "page.engineer.locating")) data-no-geo=(t(lang, "page.engineer.no_position"))
                data-site-lat=[site.map(|s| s.lat)] data-site-lon=[site.map(|s| s.lon)]
                data-geofence=[site.map(|s| s.geofence_m)] data-far=(t(lang, "page.engineer.far")) {
                input type="hidden" name="submission" value=(uuid::Uuid::new_v4());
                input type="hidden" name="version" value=(tk.version);
                input type="hidden" name="to" value=(to.as_str());
                input type="hidden" name="lat";
                input type="hidden" name="lon";
                input type="hidden" name="accuracy";
                button type="submit" { (label) }
                p.geo-status.muted {}
            },
            Needs::Reason => details.card {
                summary.button.quiet[quiet] { (label) }
                form method="post" action=(action) data-offline {
                    input type="hidden" name="submission" value=(uuid::Uuid::new_v4());
                    input type="hidden" name="version" value=(tk.version);
                    input type="hidden" name="to" value=(to.as_str());
                    label for={ "reason-" (kind) } { (t(lang, "page.engineer.reason")) }
                    input id={ "reason-" (kind) } name="reason" required maxlength="2000";
                    button type="submit" { (label) }
                }
            },
            Needs::Report => p { a.button href={ "/m/t/" (tk.id) "/report" } { (label) } },
            _ => form method="post" action=(action) data-offline {
                input type="hidden" name="submission" value=(uuid::Uuid::new_v4());
                input type="hidden" name="version" value=(tk.version);
                input type="hidden" name="to" value=(to.as_str());
                p { button.quiet[quiet] type="submit" { (label) } }
            },
        }
    }
}

/// Who the engineer goes to and where: the customer, the contact with a `tel:` link, the
/// address with links that open it in the phone's map (`geo:`, Amap, Baidu Maps), the asset.
fn visit(lang: Lang, tk: &Ticket, p: &TicketParties) -> Markup {
    let phone = p.contact_phone.clone().or_else(|| tk.contact_phone.clone());
    let place = match (&p.site_name, &p.site_address) {
        (Some(n), Some(a)) => Some(format!("{n} · {a}")),
        (n, a) => n.clone().or_else(|| a.clone()),
    };
    let label = super::query_value(
        p.site_name
            .as_deref()
            .or(p.customer_name.as_deref())
            .unwrap_or(&tk.number),
    );
    let address = super::query_value(p.site_address.as_deref().unwrap_or_default());
    html! {
        div.card.visit {
            @if let Some(c) = &p.customer_name { p { strong { (c) } } }
            @if p.contact_name.is_some() || phone.is_some() {
                p {
                    (t(lang, "page.ticket.contact")) "："
                    @if let Some(n) = &p.contact_name { (n) " " }
                    @if let Some(ph) = &phone { a.button href={ "tel:" (ph) } { (t(lang, "page.engineer.call")) " " (ph) } }
                }
            }
            @if let Some(place) = &place { p { (place) } }
            @if let (Some(lat), Some(lon)) = (p.site_lat, p.site_lon) {
                p.nav {
                    a.button href={ "geo:" (lat) "," (lon) "?q=" (lat) "," (lon) "(" (label) ")" } { (t(lang, "page.engineer.navigate")) }
                    " "
                    a href={ "https://uri.amap.com/marker?position=" (lon) "," (lat) "&name=" (label) "&coordinate=wgs84&callnative=1" } { (t(lang, "page.engineer.amap")) }
                    " · "
                    a href={ "baidumap://map/marker?location=" (lat) "," (lon) "&title=" (label) "&content=" (address) "&coord_type=wgs84&src=loopdesk" } { (t(lang, "page.engineer.baidu")) }
                }
            }
            @if let Some(m) = &p.asset_model {
                p.muted { (t(lang, "page.ticket.asset")) "：" (m) @if let Some(sn) = &p.asset_serial { " · " (sn) } }
            }
        }
    }
}

fn order_page(
    lang: Lang,
    user: &CurrentUser,
    offset: chrono::FixedOffset,
    (d, parties): (&TicketDetail, &TicketParties),
    (moves, articles): (&[&'static Rule], &[(loopdesk_core::ArticleId, String, f64)]),
    error: Option<&str>,
) -> Response {
    let tk = &d.ticket;
    let site = match (parties.site_lat, parties.site_lon, parties.site_geofence_m) {
        (Some(lat), Some(lon), Some(geofence_m)) => Some(Site {
            lat,
            lon,
            geofence_m,
        }),
        _ => None,
    };
    let body = html! {
        h1 { (tk.number) " · " (tk.subject) }
        p.notice data-live=(super::live::ticket_url(tk)) hidden { (t(lang, "page.live.changed")) }
        p.notice data-queued=(t(lang, "page.offline.queued")) hidden {}
        p.error data-refused=(t(lang, "page.offline.refused")) hidden {}
        @if let Some(e) = error { p.error role="alert" { (t(lang, e)) } }
        @if let Some(back) = super::report::sent_back(d) {
            (super::report::rework_card(lang, offset, &back, Some(tk.id)))
        }
        (visit(lang, tk, parties))
        div.card {
            p { span.badge { (t(lang, tk.status.label_key())) } " P" (tk.priority) }
            @if !tk.description.is_empty() { p { (tk.description) } }
            @if let Some(c) = &tk.check_in {
                p.muted {
                    (t(lang, "page.engineer.checked_in"))
                    @if let Some(m) = c.distance_m { " · " (format!("{m:.0}")) " m" }
                    @if c.outside_geofence { " · " span.error { (t(lang, "page.engineer.outside")) } }
                }
            }
            @if let Some(a) = tk.asset_id { p { a href={ "/assets/" (a) } { (t(lang, "page.engineer.asset_card")) } } }
        }
        // What the knowledge base knows of such a fault, for the job at hand.
        (super::knowledge::suggestions(lang, articles))
        // The phone carries a position, a reason or a report; choosing an engineer or taking
        // the customer's confirmation is done at the desk.
        @for rule in moves.iter().filter(|r| !matches!(r.needs, Needs::Assignee | Needs::Confirmation)) {
            (move_form(lang, tk, rule.to, rule.needs, rule.kind.as_str(), site.as_ref()))
        }
        (super::ticket::history(lang, offset, &d.events, &super::ticket::Assignees::default()))
        p { a href="/m" { (t(lang, "page.engineer.orders")) } }
    };
    page(lang, &tk.number, Some(&user.auth.user), body)
}

async fn show_order(
    user: &CurrentUser,
    lang: Lang,
    id: TicketId,
    now: DateTime<Utc>,
    error: Option<&str>,
) -> Response {
    let found = match user.tenant.ticket_for(&user.actor, id).await {
        Ok(d) => d,
        Err(e) => return super::failure(lang, &e),
    };
    let offset = match user.tenant.utc_offset().await {
        Ok(o) => o,
        Err(e) => return super::failure(lang, &e),
    };
    let parties = match user.tenant.ticket_parties(&user.actor, id).await {
        Ok(p) => p,
        Err(e) => return super::failure(lang, &e),
    };
    let articles = match user
        .tenant
        .suggest_articles(
            &user.actor,
            ArticleQuery {
                subject: &found.ticket.subject,
                description: &found.ticket.description,
                category: found.ticket.category.as_deref(),
                asset_id: found.ticket.asset_id,
            },
        )
        .await
    {
        Ok(a) => a,
        Err(e) => return super::failure(lang, &e),
    };
    match user.tenant.moves_on(&user.actor, &found.ticket, now).await {
        Ok(moves) => {
            let mut res = order_page(
                lang,
                user,
                offset,
                (&found, &parties),
                (&moves, &articles),
                error,
            );
            if error.is_some() {
                *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            }
            res
        }
        Err(e) => super::failure(lang, &e),
    }
}

/// One order, with the moves its engineer can make now.
pub async fn order(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
) -> Response {
    let Some(id) = TicketId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    show_order(&user, lang, id, state.clock.now(), None).await
}

/// A move as posted.
#[derive(Deserialize)]
pub struct MoveForm {
    /// The form's own key: sent twice (from the phone's offline queue), it moves once.
    #[serde(default)]
    submission: String,
    version: i64,
    to: String,
    reason: Option<String>,
    lat: Option<String>,
    lon: Option<String>,
    accuracy: Option<String>,
    /// When the move was made on the phone (set by the offline queue when it kept it).
    #[serde(default)]
    client_at: String,
    /// When the phone sent it, by the same clock.
    #[serde(default)]
    client_sent_at: String,
}

/// Makes a move; the order again, with the reason when it is refused.
pub async fn make_move(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
    Form(f): Form<MoveForm>,
) -> Response {
    let Some(id) = TicketId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let number = |v: Option<&str>| v.and_then(|x| x.trim().parse::<f64>().ok());
    let check_in = match (number(f.lat.as_deref()), number(f.lon.as_deref())) {
        (Some(lat), Some(lon)) => Some(CheckIn {
            lat,
            lon,
            accuracy_m: number(f.accuracy.as_deref()),
        }),
        _ => None,
    };
    let command = MoveCommand {
        to: Status::parse(f.to.trim()),
        reason: f.reason.filter(|r| !r.trim().is_empty()),
        check_in,
        client_at: super::client_time(&f.client_at, &f.client_sent_at, state.clock.now()),
        ..MoveCommand::default()
    };
    let req = TransitionRequest {
        version: f.version,
        command,
    };
    let key = f.submission.trim();
    let idem = (!key.is_empty() && key.len() <= 64).then(|| Idempotency {
        key: format!("page-move:{key}"),
        request_hash: format!("page-move:{id}:{}", f.to.trim()),
    });
    let why = match user
        .tenant
        .transition(&user.actor, id, req, idem, state.clock.now())
        .await
    {
        Ok(_) => return Redirect::to(&format!("/m/t/{id}")).into_response(),
        // Kept offline too long, or a phone clock far ahead: said, not dropped.
        Err(StoreError::Invalid(e)) => e.reason,
        Err(StoreError::Stale { .. }) => "page.ticket.move_refused",
        Err(StoreError::Transition(e)) => match e {
            loopdesk_core::ticket::TransitionError::Missing { field: "check_in" } => {
                "page.engineer.no_position"
            }
            loopdesk_core::ticket::TransitionError::Invalid { reason, .. } => reason,
            loopdesk_core::ticket::TransitionError::Missing { .. } => "error.required",
            _ => "page.ticket.move_refused",
        },
        Err(e) => return super::failure(lang, &e),
    };
    // The order again with why, as a refusal (422), so the phone's queue knows it was one.
    let mut res = show_order(&user, lang, id, state.clock.now(), Some(why)).await;
    *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    res
}
