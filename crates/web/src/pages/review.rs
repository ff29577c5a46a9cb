//! The supervisor's desk (区域主管): reports waiting for review (approve, or send back with a
//! comment), and the tickets at risk or past their promise, to hand to another engineer.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use loopdesk_core::i18n::{t, Lang};
use loopdesk_core::ticket::{MoveCommand, MoveKind};
use loopdesk_core::{Role, Status, TicketId};
use loopdesk_store::{StoreError, Ticket, TicketFilter, TransitionRequest};
use maud::html;
use serde::Deserialize;

use super::layout::{page, PageUser};
use crate::extract::CurrentUser;
use crate::state::AppState;

fn reviewer(user: &CurrentUser) -> bool {
    user.auth
        .user
        .roles
        .iter()
        .any(|r| matches!(r, Role::Supervisor | Role::Dispatcher | Role::Admin))
}

/// Reviews waiting, and tickets at risk.
pub async fn show(State(state): State<AppState>, PageUser { user, lang }: PageUser) -> Response {
    desk(&state, &user, lang, None).await
}

async fn desk(state: &AppState, user: &CurrentUser, lang: Lang, error: Option<&str>) -> Response {
    if !reviewer(user) {
        return super::failure(lang, &StoreError::Forbidden);
    }
    let live = match super::live::queue_url(user).await {
        Ok(url) => url,
        Err(e) => return super::failure(lang, &e),
    };
    let filter = |status: Vec<Status>| TicketFilter {
        status,
        limit: Some(200),
        ..TicketFilter::default()
    };
    let (waiting, open) = match (
        user.tenant
            .tickets_for(&user.actor, &filter(vec![Status::InReview]))
            .await,
        user.tenant
            .tickets_for(&user.actor, &filter(Status::OPEN.to_vec()))
            .await,
    ) {
        (Ok(w), Ok(o)) => (w.items, o.items),
        (Err(e), _) | (_, Err(e)) => return super::failure(lang, &e),
    };
    let at_risk: Vec<&Ticket> = open.iter().filter(|tk| tk.sla.state.at_risk()).collect();
    // What each ticket offers this reader, from the transition table (core's `moves_for`).
    let now = state.clock.now();
    let mut offered: HashMap<TicketId, Vec<MoveKind>> = HashMap::new();
    for tk in waiting.iter().chain(at_risk.iter().copied()) {
        match user.tenant.moves_on(&user.actor, tk, now).await {
            Ok(moves) => {
                offered.insert(tk.id, moves.iter().map(|r| r.kind).collect());
            }
            Err(e) => return super::failure(lang, &e),
        }
    }
    let offers = |tk: &Ticket, kinds: &[MoveKind]| {
        offered
            .get(&tk.id)
            .is_some_and(|m| m.iter().any(|k| kinds.contains(k)))
    };
    // What each waiting report says: the review is of the report.
    let ids: Vec<_> = waiting.iter().map(|tk| tk.id).collect();
    let (reports, findings) = match (
        user.tenant.last_reports(&user.actor, &ids).await,
        user.tenant.last_findings(&user.actor, &ids).await,
    ) {
        (Ok(r), Ok(f)) => (r, f),
        (Err(e), _) | (_, Err(e)) => return super::failure(lang, &e),
    };
    let skip = at_risk.iter().map(|tk| tk.id).collect();
    let predicted = match super::risk::predicted_late(user, lang, now, &skip, "review").await {
        Ok(m) => m,
        Err(e) => return super::failure(lang, &e),
    };
    let title = t(lang, "page.review.title");
    page(
        lang,
        title,
        Some(&user.auth.user),
        html! {
            h1 { (title) }
            p.notice data-live=(live) hidden { (t(lang, "page.live.changed")) }
            @if let Some(e) = error { p.error role="alert" { (t(lang, e)) } }
            h2 { (t(lang, "page.review.waiting")) }
            @if waiting.is_empty() { p.muted { (t(lang, "page.review.none")) } }
            @for tk in &waiting {
                div.card {
                    p { a href={ "/t/" (tk.id) } { (tk.number) } " · " (tk.subject) }
                    @for f in &tk.flags { span.badge.warning { (t(lang, &format!("page.flag.{f}"))) } " " }
                    @if let Some(found) = findings.get(&tk.id).filter(|f| !f.is_empty()) {
                        ul.findings { @for f in found { li { (f.text(lang)) } } }
                    }
                    @if let Some(r) = reports.get(&tk.id) { (super::report::summary(lang, r)) }
                    @if offers(tk, &[MoveKind::Approve]) {
                        form method="post" action={ "/review/t/" (tk.id) } {
                            input type="hidden" name="version" value=(tk.version);
                            input type="hidden" name="to" value="resolved";
                            button type="submit" { (t(lang, "page.review.approve")) }
                        }
                    }
                    @if offers(tk, &[MoveKind::SendBack]) {
                        form method="post" action={ "/review/t/" (tk.id) } {
                            input type="hidden" name="version" value=(tk.version);
                            input type="hidden" name="to" value="in_progress";
                            label for={ "note-" (tk.id) } { (t(lang, "page.review.comment")) }
                            input id={ "note-" (tk.id) } name="note" required;
                            button type="submit" { (t(lang, "page.review.send_back")) }
                        }
                    }
                }
            }
            h2 { (t(lang, "page.review.at_risk")) }
            @if at_risk.is_empty() { p.muted { "—" } }
            @for tk in &at_risk {
                div.card {
                    p {
                        span class={ "badge " (tk.sla.state.as_str()) } { (t(lang, &format!("page.sla.{}", tk.sla.state.as_str()))) } " "
                        a href={ "/t/" (tk.id) } { (tk.number) } " · " (tk.subject) " "
                        span.badge { (t(lang, tk.status.label_key())) }
                    }
                    // Choosing the engineer is the hand-dispatch page's work: every engineer by fit,
                    // the ruled-out with why (a list per card would grow with the team).
                    @if offers(tk, &[MoveKind::Assign, MoveKind::Reassign, MoveKind::Redispatch]) {
                        p { a.button href={ "/dispatch/t/" (tk.id) "?from=review" } { (t(lang, "page.review.reassign")) } }
                    }
                }
            }
            (predicted)
        },
    )
}

/// A supervisor's move as posted.
#[derive(Deserialize)]
pub struct ReviewForm {
    version: i64,
    to: String,
    note: Option<String>,
}

/// Approves or sends back; back to the desk.
pub async fn make_move(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
    Form(f): Form<ReviewForm>,
) -> Response {
    let Some(id) = TicketId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let command = MoveCommand {
        to: Status::parse(f.to.trim()),
        note: f.note.filter(|n| !n.trim().is_empty()),
        ..MoveCommand::default()
    };
    let req = TransitionRequest {
        version: f.version,
        command,
    };
    match user
        .tenant
        .transition(&user.actor, id, req, None, state.clock.now())
        .await
    {
        Ok(_) | Err(StoreError::Stale { .. }) => Redirect::to("/review").into_response(),
        Err(StoreError::Transition(_)) => {
            let mut res = desk(&state, &user, lang, Some("page.ticket.move_refused")).await;
            *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            res
        }
        Err(e) => super::failure(lang, &e),
    }
}
