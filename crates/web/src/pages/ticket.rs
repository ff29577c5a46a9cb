//! A ticket's page: where it stands on the progress timeline, everything that happened, and
//! for the customer, confirming the fix or saying it is not fixed.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use loopdesk_core::access::{allowed, Permission};
use loopdesk_core::event::{payload, EventKind};
use loopdesk_core::i18n::{has, t, tf, Lang};
use loopdesk_core::screening::Finding;
use loopdesk_core::ticket::merge::{self, MergeSide};
use loopdesk_core::ticket::transitions::{
    Confirmation, ConfirmedBy, MoveKind, Needs, ReportInput, Rule,
};
use loopdesk_core::ticket::MoveCommand;
use loopdesk_core::triage::similar::{Bag, DUPLICATE_SIMILARITY};
use loopdesk_core::{Role, Status, TicketId, UserId};
use loopdesk_store::{ArticleQuery, StoreError, TicketDetail, TicketParties, TransitionRequest};
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{page, PageUser};
use crate::state::AppState;

fn timeline(lang: Lang, status: Status) -> Markup {
    let reached = status.milestone();
    html! {
        ol.progress {
            @for (i, m) in Status::MILESTONES.iter().enumerate() {
                @let done = reached.is_some_and(|r| i <= r);
                li class={ @if done { "done" } @if reached == Some(i) { " now" } } { (t(lang, m.label_key())) }
            }
        }
    }
}

fn event_text(lang: Lang, kind: EventKind, to: Option<Status>) -> String {
    let key = format!("page.event.{kind}");
    match (has(&key), to) {
        (true, _) => t(lang, &key).to_owned(),
        (false, Some(s)) => t(lang, s.label_key()).to_owned(),
        (false, None) => kind.as_str().to_owned(),
    }
}

/// What the page offers its reader: the moves the table allows them now (from core's
/// `moves_for`), the survey link when one is open, and — for staff — who and what the ticket
/// is about.
struct Offers<'a> {
    moves: &'a [&'static Rule],
    survey: Option<&'a str>,
    parties: Option<&'a TicketParties>,
    /// For staff: the other open tickets of the equipment (`true`) or the customer.
    related: &'a [(loopdesk_store::Ticket, bool)],
    /// The server's clock, for the countdown.
    now: chrono::DateTime<chrono::Utc>,
    /// The engineers the log names.
    who: &'a Assignees,
    /// For staff: the tenant's categories (code, name), to set or correct the ticket's.
    categories: &'a [(String, String)],
}

/// Who and what the ticket is about, for the people who work it: the customer, the contact
/// with a `tel:` link, the site's address, the asset, category, priority, channel, team,
/// engineer, and the SLA due times.
fn facts(
    lang: Lang,
    (offset, now): (chrono::FixedOffset, chrono::DateTime<chrono::Utc>),
    tk: &loopdesk_store::Ticket,
    p: &TicketParties,
) -> Markup {
    let when = |at: Option<chrono::DateTime<chrono::Utc>>| {
        at.map(|a| a.with_timezone(&offset).format("%m-%d %H:%M").to_string())
    };
    let phone = p.contact_phone.clone().or_else(|| tk.contact_phone.clone());
    let row = |key: &str, value: Option<String>| {
        html! { @if let Some(v) = value { dt { (t(lang, key)) } dd { (v) } } }
    };
    html! {
        dl.facts data-now=(now.timestamp_millis()) data-left=(t(lang, "page.desk.due_left")) data-over=(t(lang, "page.desk.due_over")) data-day=(t(lang, "page.unit.d")) data-hour=(t(lang, "page.unit.h")) data-minute=(t(lang, "page.unit.min")) {
            (row("page.ticket.customer", p.customer_name.clone()))
            @if p.contact_name.is_some() || phone.is_some() {
                dt { (t(lang, "page.ticket.contact")) }
                dd {
                    @if let Some(n) = &p.contact_name { (n) " " }
                    @if let Some(ph) = &phone { a href={ "tel:" (ph) } { (ph) } }
                }
            }
            (row("page.ticket.site", p.site_address.clone().map(|a| match &p.site_name {
                Some(n) => format!("{n} · {a}"),
                None => a,
            })))
            (row("page.ticket.asset", p.asset_model.clone().map(|m| {
                let serial = p.asset_serial.as_deref().unwrap_or("");
                match &p.warranty_until {
                    Some(w) => format!("{m} · {serial} · {} {w}", t(lang, "page.ticket.warranty_until")),
                    None => format!("{m} · {serial}"),
                }
            })))
            @if let Some(name) = p.category_name.clone().or_else(|| tk.category.clone()) {
                dt { (t(lang, "page.ticket.category")) }
                dd {
                    (name)
                    @if tk.category_guessed { " " span.badge.warning title=(t(lang, "page.ticket.category_guessed_hint")) { (t(lang, "page.ticket.category_guessed")) } }
                }
            }
            (row("page.ticket.priority", Some(format!("P{}", tk.priority))))
            (row("page.ticket.channel", Some(t(lang, &format!("channel.{}", tk.channel.as_str())).to_owned())))
            (row("page.ticket.team", p.team_name.clone()))
            (row("page.ticket.assignee", p.assignee_name.clone()))
            (row("page.ticket.first_response_due", when(tk.sla.first_response_due)))
            (row("page.ticket.arrival_due", when(tk.sla.arrival_due)))
            @match tk.sla.resolution_due {
                // Counting down while the fix is still owed.
                Some(due) if tk.status.is_open() && tk.resolved_at.is_none() => {
                    dt { (t(lang, "page.ticket.resolution_due")) }
                    dd { span class={ "badge " (tk.sla.state.as_str()) } { time data-due=(due.timestamp_millis()) datetime=(due.to_rfc3339()) { (when(Some(due)).unwrap_or_default()) } } }
                }
                due => (row("page.ticket.resolution_due", when(due))),
            }
        }
    }
}

fn body(
    lang: Lang,
    user: &crate::extract::CurrentUser,
    offset: chrono::FixedOffset,
    d: &TicketDetail,
    teams: &[(loopdesk_core::TeamId, String)],
    offered: Offers<'_>,
    error: Option<&str>,
) -> Markup {
    let tk = &d.ticket;
    let customer = user.auth.user.roles.contains(&Role::Customer);
    let survey = offered.survey;
    let offers = |kind: MoveKind| offered.moves.iter().any(|r| r.kind == kind);
    html! {
        h1 { (tk.number) " · " (tk.subject) }
        p.notice data-live=(super::live::ticket_url(tk)) hidden { (t(lang, "page.live.changed")) }
        @if let Some(e) = error { p.error role="alert" { (t(lang, e)) } }
        @if let Some(into) = merged_into(d) {
            p.notice { (t(lang, "page.ticket.merged_into")) " " a href={ "/t/" (into.ticket_id) } { (into.number) } }
        }
        @let merged = merged_in(d);
        @if !merged.is_empty() {
            p.muted.merged-in { (t(lang, "page.ticket.merged_in")) ": "
                @for (i, m) in merged.iter().enumerate() {
                    @if i > 0 { ", " }
                    a href={ "/t/" (m.ticket_id) } { (m.number) }
                }
            }
        }
        (timeline(lang, tk.status))
        div.card {
            p { strong { (t(lang, "page.ticket.status")) ": " } span.badge { (t(lang, tk.status.label_key())) } }
            @if let Some(p) = offered.parties { (facts(lang, (offset, offered.now), tk, p)) }
            @if !tk.description.is_empty() { p { (tk.description) } }
            @if let Some(w) = &tk.warranty {
                p.muted { (t(lang, &format!("page.warranty.{w}"))) }
            }
        }
        @if tk.status.prints_service_report(!customer) {
            p.actions {
                a.button href={ "/api/v1/tickets/" (tk.id) "/service-report?lang=" (lang.tag()) } target="_blank" rel="noopener" { (t(lang, "page.ticket.service_report")) }
                " "
                a href={ "/api/v1/tickets/" (tk.id) "/service-report?paper=receipt&lang=" (lang.tag()) } target="_blank" rel="noopener" { (t(lang, "page.ticket.service_report_receipt")) }
            }
        }
        @if let Some(token) = survey {
            p { a.button href={ "/survey/" (token) } { (t(lang, "page.ticket.rate")) } }
        }
        @if customer && (offers(MoveKind::Confirm) || offers(MoveKind::Reopen)) {
            div.card {
                @if offers(MoveKind::Confirm) {
                    form method="post" action={ "/t/" (tk.id) "/confirm" } {
                        input type="hidden" name="version" value=(tk.version);
                        button type="submit" { (t(lang, "page.ticket.confirm")) }
                    }
                }
                @if offers(MoveKind::Reopen) { form method="post" action={ "/t/" (tk.id) "/reopen" } {
                    input type="hidden" name="version" value=(tk.version);
                    label for="reason" { (t(lang, "page.ticket.not_fixed_reason")) }
                    textarea #reason name="reason" required maxlength="2000" {}
                    button type="submit" { (t(lang, "page.ticket.not_fixed")) }
                } }
            }
        }
        @if !customer { (actions(lang, user, tk, offered.moves, offered.categories)) }
        @if !customer { (related(lang, tk, offered.related, offers(MoveKind::Cancel))) }
        @if !customer && allowed(&user.actor, Permission::WriteArticles) && matches!(tk.status, Status::Resolved | Status::InReview | Status::Closed) {
            form method="post" action={ "/t/" (tk.id) "/article-draft" } {
                p { button.quiet type="submit" { (t(lang, "page.kb.keep")) } " " span.muted { (t(lang, "page.kb.keep_hint")) } }
            }
        }
        @if customer && tk.status.is_open() && allowed(&user.actor, Permission::Chase) {
            form method="post" action={ "/t/" (tk.id) "/chase" } {
                p { button.quiet type="submit" { (t(lang, "page.ticket.chase")) } }
            }
        }
        @if customer && tk.status.is_open() {
            div.card {
                form method="post" action={ "/t/" (tk.id) "/comment" } {
                    label for="body" { (t(lang, "page.ticket.customer_reply")) }
                    textarea #body name="body" required maxlength="10000" {}
                    p { button type="submit" { (t(lang, "page.ticket.send")) } }
                }
                form method="post" action={ "/t/" (tk.id) "/photos" } enctype="multipart/form-data" {
                    label for="more-photos" { (t(lang, "page.ticket.add_photos")) }
                    input #more-photos type="file" name="photos" accept="image/*" multiple required;
                    p { button.quiet type="submit" { (t(lang, "page.ticket.upload_photos")) } }
                }
            }
        }
        @if customer && offers(MoveKind::Cancel) {
            details.card.withdraw {
                summary { a { (t(lang, "page.ticket.withdraw")) } }
                form method="post" action={ "/t/" (tk.id) "/move" } {
                    input type="hidden" name="version" value=(tk.version);
                    input type="hidden" name="to" value="cancelled";
                    label for="withdraw-reason" { (t(lang, "page.ticket.withdraw_reason")) }
                    textarea #withdraw-reason name="reason" required maxlength="2000" {}
                    p { button.danger type="submit" { (t(lang, "page.ticket.withdraw")) } }
                }
            }
        }
        @if !customer {
            div.card {
                form method="post" action={ "/t/" (tk.id) "/comment" } {
                    label for="body" { (t(lang, "page.ticket.comment")) }
                    textarea #body name="body" required maxlength="10000" {}
                    label { input type="checkbox" name="internal" value="1"; " " (t(lang, "page.ticket.internal")) }
                    p { button type="submit" { (t(lang, "page.ticket.send")) } }
                }
                @if !teams.is_empty() {
                    form method="post" action={ "/t/" (tk.id) "/team" } {
                        label for="team" { (t(lang, "page.ticket.transfer")) }
                        select #team name="team_id" {
                            @for (id, name) in teams { option value=(id) selected[tk.team_id == Some(*id)] { (name) } }
                        }
                        input name="note" placeholder=(t(lang, "page.engineer.reason")) aria-label=(t(lang, "page.engineer.reason"));
                        button type="submit" { (t(lang, "page.ticket.transfer_button")) }
                    }
                }
            }
        }
        (history(lang, offset, &d.events, offered.who))
    }
}

/// Who the engineers named in a ticket's log are, and whether the reader is the customer.
#[derive(Default)]
pub(super) struct Assignees {
    /// Display names by user.
    pub names: std::collections::HashMap<UserId, String>,
    /// The reader is the customer.
    pub customer: bool,
}

impl Assignees {
    /// The names of everyone a ticket's log assigns it to.
    pub(super) async fn of(
        user: &crate::extract::CurrentUser,
        events: &[loopdesk_store::TicketEvent],
        customer: bool,
    ) -> Assignees {
        let mut ids: Vec<UserId> = events
            .iter()
            .filter(|e| EventKind::ASSIGNMENTS.contains(&e.kind))
            .filter_map(|e| {
                e.data
                    .get("assignee_id")
                    .and_then(|v| v.as_str())
                    .and_then(UserId::parse)
            })
            .collect();
        ids.sort();
        ids.dedup();
        Assignees {
            names: user.tenant.display_names(&ids).await.unwrap_or_default(),
            customer,
        }
    }
}

/// The ticket this one was merged into, from its log.
fn merged_into(d: &TicketDetail) -> Option<payload::MergedTicket> {
    d.ticket.merged_into?;
    d.events.iter().rev().find_map(|e| {
        (e.kind == EventKind::Merged)
            .then(|| serde_json::from_value(e.data.clone()).ok())
            .flatten()
    })
}

/// The duplicates merged into this ticket, from its log, in the order they came.
fn merged_in(d: &TicketDetail) -> Vec<payload::MergedTicket> {
    d.events
        .iter()
        .filter(|e| e.kind == EventKind::MergedIn)
        .filter_map(|e| serde_json::from_value(e.data.clone()).ok())
        .collect()
}

/// The other open tickets of the same equipment or customer: "这台设备已有 3 张未结工单", those
/// that read alike first and marked as possible duplicates with how alike, each with the merge
/// either way that core's rule allows — this one into it, or it into this one — offered to
/// those the table lets cancel (a merge cancels the duplicate).
fn related(
    lang: Lang,
    tk: &loopdesk_store::Ticket,
    others: &[(loopdesk_store::Ticket, bool)],
    may_cancel: bool,
) -> Markup {
    let side = |t: &loopdesk_store::Ticket| MergeSide {
        id: t.id,
        status: t.status,
        customer_id: t.customer_id,
        visit_count: t.visit_count,
        merged_into: t.merged_into,
    };
    let on_asset = others.iter().filter(|(_, same)| *same).count();
    let this = Bag::of(&tk.subject, &tk.description);
    let mut others: Vec<(&loopdesk_store::Ticket, bool, f64)> = others
        .iter()
        .map(|(o, same)| {
            (
                o,
                *same,
                this.similarity(&Bag::of(&o.subject, &o.description)),
            )
        })
        .collect();
    others.sort_by(|a, b| b.2.total_cmp(&a.2));
    let title = if on_asset > 0 {
        tf(
            lang,
            "page.ticket.related_asset",
            &[("count", &on_asset.to_string())],
        )
    } else {
        tf(
            lang,
            "page.ticket.related_customer",
            &[("count", &others.len().to_string())],
        )
    };
    let form = |dup: &loopdesk_store::Ticket, into: &loopdesk_store::Ticket, label: &str| {
        html! {
            form.inline method="post" action={ "/t/" (dup.id) "/merge" } {
                input type="hidden" name="version" value=(dup.version);
                input type="hidden" name="into" value=(into.id);
                input type="hidden" name="back" value=(tk.id);
                button.quiet type="submit" { (label) }
            }
        }
    };
    html! {
        @if !others.is_empty() {
            div.card.related {
                h2 { (title) }
                ul.related {
                    @for (o, same, alike) in &others {
                        li {
                            a href={ "/t/" (o.id) } { (o.number) } " " (o.subject) " "
                            span.badge { (t(lang, o.status.label_key())) }
                            @if *same && on_asset < others.len() { " " span.badge.warning { (t(lang, "page.ticket.same_asset")) } }
                            @if *alike >= DUPLICATE_SIMILARITY {
                                " " span.badge.warning { (tf(lang, "page.ticket.looks_duplicate", &[("pct", &format!("{:.0}", alike * 100.0))])) }
                            }
                            @if may_cancel && merge::check(side(o), side(tk)).is_ok() {
                                (form(o, tk, t(lang, "page.ticket.merge_here")))
                            }
                            @if may_cancel && merge::check(side(tk), side(o)).is_ok() {
                                (form(tk, o, t(lang, "page.ticket.merge_there")))
                            }
                        }
                    }
                }
            }
        }
    }
}

/// What happened to a ticket, oldest first, as its reader may see it: who did what when, the
/// notes, reasons and resolutions, internal entries marked as such.
pub(super) fn history(
    lang: Lang,
    offset: chrono::FixedOffset,
    events: &[loopdesk_store::TicketEvent],
    who: &Assignees,
) -> Markup {
    html! {
        h2 { (t(lang, "page.ticket.history")) }
        ul.events {
            @for e in events {
                li {
                    span.muted { (super::local_time(offset, e.at)) " " }
                    (event_text(lang, e.kind, e.to_status))
                    @let engineer = EventKind::ASSIGNMENTS.contains(&e.kind).then(|| {
                        e.data.get("assignee_id").and_then(|v| v.as_str()).and_then(UserId::parse).and_then(|u| who.names.get(&u))
                    }).flatten();
                    // The customer reads whom they get, not who in the office sent them.
                    @if let Some(name) = engineer { "：" (t(lang, "page.ticket.engineer")) " " strong { (name) } }
                    @if let Some(name) = e.actor_name.as_ref().filter(|_| !(who.customer && engineer.is_some())) { span.muted { " · " (name) } }
                    // The customer's word from a channel: where it came from and who wrote it.
                    @if let Some(ch) = e.data.get("channel").and_then(|v| v.as_str()).filter(|_| e.kind == EventKind::Comment) {
                        " " span.badge { (t(lang, &format!("channel.{ch}"))) }
                        @if let Some(from) = e.data.get("from").and_then(|v| v.as_str()) { span.muted { " · " (from) } }
                    }
                    @if e.internal { " " span.badge.warning { (t(lang, "page.ticket.internal_badge")) } }
                    @if e.kind == EventKind::SurveyAnswered {
                        @if let Some(csat) = e.data.get("csat").and_then(|v| v.as_i64()) {
                            " " span class={ "badge " (if csat <= 2 { "breached" } else if csat >= 4 { "ok" } else { "warning" }) } { "CSAT " (csat) "/5" }
                        }
                        @if let Some(nps) = e.data.get("nps").and_then(|v| v.as_i64()) { " " span.badge { "NPS " (nps) "/10" } }
                        @if let Some(said) = e.data.get("comment").and_then(|v| v.as_str()).filter(|c| !c.is_empty()) { br; "“" (said) "”" }
                    }
                    @if let Some(note) = ["body", "reason", "note"].iter().find_map(|k| e.data.get(*k).and_then(|v| v.as_str())) {
                        br; (note)
                    }
                    @if e.kind == EventKind::UrgencySignalled {
                        @let level = e.data.get("level").and_then(|v| v.as_str()).unwrap_or("high");
                        " " span class={ "badge " (if level == "critical" { "breached" } else { "warning" }) } {
                            (t(lang, &format!("page.triage.level.{level}")))
                        }
                        @if let Some(words) = e.data.get("signals").and_then(|v| v.as_array()) {
                            br; (words.iter().filter_map(|w| w.as_str()).collect::<Vec<_>>().join("、"))
                        }
                    }
                    @if let Some(done) = e.data.get("resolution").and_then(|v| v.as_str()) {
                        br; (t(lang, "page.report.resolution")) "：" (done)
                    }
                    @if let Some(found) = e.data.get("findings").cloned().and_then(|v| serde_json::from_value::<Vec<Finding>>(v).ok()) {
                        @for f in &found { br; span.badge.warning { (f.text(lang)) } }
                    }
                    @if let (Some(id), Some(number)) = (e.data.get("ticket_id").and_then(|v| v.as_str()), e.data.get("number").and_then(|v| v.as_str())) {
                        @if matches!(e.kind, EventKind::Merged | EventKind::MergedIn) {
                            " " a href={ "/t/" (id) } { (number) }
                        }
                    }
                }
            }
        }
    }
}

/// What staff may do with the ticket now: exactly the moves the transition table offers this
/// reader (core's `moves_for`) — choosing an engineer on the hand-dispatch page, the work report
/// on the engineer's phone, every other move here with the reason, note or confirmation it
/// needs — and, beside the moves, changing the priority or the category (confirming the
/// model's guess in one click) and recording a chase.
fn actions(
    lang: Lang,
    user: &crate::extract::CurrentUser,
    tk: &loopdesk_store::Ticket,
    moves: &[&'static Rule],
    categories: &[(String, String)],
) -> Markup {
    let engineer = user.auth.user.roles.contains(&Role::Engineer);
    let open = tk.status.is_open();
    let priority = open && allowed(&user.actor, Permission::ChangePriority);
    let category =
        open && !categories.is_empty() && allowed(&user.actor, Permission::ChangeCategory);
    let chase = open && allowed(&user.actor, Permission::Chase);
    let shown: Vec<&&Rule> = moves
        .iter()
        .filter(|r| r.kind != MoveKind::AutoClose)
        .collect();
    let action = format!("/t/{}/move", tk.id);
    let hidden = |to: Status| {
        html! {
            input type="hidden" name="version" value=(tk.version);
            input type="hidden" name="to" value=(to.as_str());
        }
    };
    html! {
        @if !shown.is_empty() || priority || category || chase {
            div.card.actions {
                h2 { (t(lang, "page.ticket.actions")) }
                @for rule in &shown {
                    @let key = format!("page.move.{}", rule.kind.as_str());
                    @let label = t(lang, &key);
                    @let id = format!("move-{}", rule.kind.as_str());
                    @match rule.needs {
                        Needs::Assignee => p { a.button href={ "/dispatch/t/" (tk.id) } { (label) } },
                        Needs::CheckIn => p { a.button href={ "/m/t/" (tk.id) } { (label) } },
                        Needs::Report if engineer => p { a.button href={ "/m/t/" (tk.id) "/report" } { (label) } },
                        Needs::Report => details {
                            summary.button { (label) }
                            form method="post" action=(action) {
                                (hidden(rule.to))
                                label for=(id) { (t(lang, "page.ticket.remote_resolution")) }
                                textarea id=(id) name="resolution" required maxlength="10000" {}
                                button type="submit" { (label) }
                            }
                        },
                        Needs::Reason | Needs::Note | Needs::Confirmation => details {
                            summary.button.quiet[matches!(rule.kind, MoveKind::Cancel | MoveKind::SendBack | MoveKind::Reopen)] { (label) }
                            form method="post" action=(action) {
                                (hidden(rule.to))
                                @let (field, key) = match rule.needs {
                                    Needs::Reason => ("reason", "page.engineer.reason"),
                                    Needs::Confirmation => ("confirm_note", "page.ticket.confirm_note"),
                                    _ => ("note", "page.ticket.move_note"),
                                };
                                label for=(id) { (t(lang, key)) }
                                textarea id=(id) name=(field) required maxlength="2000" {}
                                button type="submit" { (label) }
                            }
                        },
                        Needs::Nothing => form method="post" action=(action) {
                            (hidden(rule.to))
                            p { button type="submit" { (label) } }
                        },
                    }
                }
                @if priority {
                    details {
                        summary.button.quiet { (t(lang, "page.ticket.change_priority")) }
                        form method="post" action={ "/t/" (tk.id) "/priority" } {
                            input type="hidden" name="version" value=(tk.version);
                            label for="priority" { (t(lang, "page.ticket.priority")) }
                            select #priority name="priority" {
                                @for p in 1..=4_i64 { option value=(p) selected[p == tk.priority] { "P" (p) } }
                            }
                            label for="priority-reason" { (t(lang, "page.ticket.priority_reason")) }
                            input #priority-reason name="reason" required maxlength="2000";
                            button type="submit" { (t(lang, "page.ticket.change_priority")) }
                        }
                    }
                }
                @if category && tk.category_guessed {
                    @if let Some(code) = &tk.category {
                        form method="post" action={ "/t/" (tk.id) "/category" } {
                            input type="hidden" name="version" value=(tk.version);
                            input type="hidden" name="category" value=(code);
                            button type="submit" { (t(lang, "page.ticket.confirm_category")) }
                        }
                    }
                }
                @if category {
                    details {
                        summary.button.quiet { (t(lang, "page.ticket.change_category")) }
                        form method="post" action={ "/t/" (tk.id) "/category" } {
                            input type="hidden" name="version" value=(tk.version);
                            label for="category" { (t(lang, "page.ticket.category")) }
                            select #category name="category" {
                                @for (code, name) in categories { option value=(code) selected[Some(code) == tk.category.as_ref()] { (name) } }
                            }
                            label for="category-reason" { (t(lang, "page.ticket.priority_reason")) }
                            input #category-reason name="reason" maxlength="500";
                            button type="submit" { (t(lang, "page.ticket.change_category")) }
                        }
                    }
                }
                @if chase {
                    details {
                        summary.button.quiet { (t(lang, "page.ticket.chase")) }
                        form method="post" action={ "/t/" (tk.id) "/chase" } {
                            label for="chase-note" { (t(lang, "page.ticket.chase_note")) }
                            input #chase-note name="note" maxlength="2000";
                            button type="submit" { (t(lang, "page.ticket.chase")) }
                        }
                    }
                }
            }
        }
    }
}

/// The ticket's photos as thumbnails, each opening the full picture; other files by name.
fn files(lang: Lang, files: &[loopdesk_store::Attachment]) -> Markup {
    html! {
        @if !files.is_empty() {
            h2 { (t(lang, "page.ticket.files")) }
            div.photos {
                @for f in files {
                    a href={ "/api/v1/attachments/" (f.id) } {
                        @if f.content_type.starts_with("image/") {
                            img src={ "/api/v1/attachments/" (f.id) "/thumbnail" } alt=(f.filename) loading="lazy";
                        } @else {
                            (f.filename)
                        }
                    }
                }
            }
        }
    }
}

async fn show_with(
    user: &crate::extract::CurrentUser,
    lang: Lang,
    id: TicketId,
    now: chrono::DateTime<chrono::Utc>,
    error: Option<&str>,
) -> Response {
    let found = match user.tenant.ticket_for(&user.actor, id).await {
        Ok(d) => d,
        Err(e) => return super::failure(lang, &e),
    };
    let customer = user.auth.user.roles.contains(&Role::Customer);
    let teams = if customer {
        Vec::new()
    } else {
        user.tenant.teams().await.unwrap_or_default()
    };
    let categories: Vec<(String, String)> = if customer {
        Vec::new()
    } else {
        match user.tenant.categories().await {
            Ok(c) => c.into_iter().map(|c| (c.code, c.name)).collect(),
            Err(e) => return super::failure(lang, &e),
        }
    };
    // The customer rates from here as from the mailed link.
    let survey = if customer {
        user.tenant
            .open_survey_token(&user.actor, id, now)
            .await
            .unwrap_or(None)
    } else {
        None
    };
    let attached = user
        .tenant
        .ticket_attachments(&user.actor, id)
        .await
        .unwrap_or_default();
    let moves = match user.tenant.moves_on(&user.actor, &found.ticket, now).await {
        Ok(m) => m,
        Err(e) => return super::failure(lang, &e),
    };
    let parties = if customer {
        None
    } else {
        match user.tenant.ticket_parties(&user.actor, id).await {
            Ok(p) => Some(p),
            Err(e) => return super::failure(lang, &e),
        }
    };
    let related = if customer {
        Vec::new()
    } else {
        match user.tenant.open_related(&user.actor, &found.ticket).await {
            Ok(r) => r,
            Err(e) => return super::failure(lang, &e),
        }
    };
    // The calls it was recorded from.
    let only = loopdesk_store::CallFilter {
        ticket: Some(id),
        ..Default::default()
    };
    let calls = match super::calls::last_calls(user, only).await {
        Ok(c) => c,
        Err(e) => return super::failure(lang, &e),
    };
    // The problem records it belongs to (for those who work them).
    let records = match user.tenant.problem_records_of(&user.actor, id).await {
        Ok(r) => r,
        Err(e) => return super::failure(lang, &e),
    };
    // What the knowledge base knows of it (staff): the articles it was resolved with, and
    // those that may answer it.
    let (used, offered) = if customer {
        (Vec::new(), Vec::new())
    } else {
        let tk = &found.ticket;
        match (
            user.tenant.ticket_articles(&user.actor, id).await,
            user.tenant
                .suggest_articles(
                    &user.actor,
                    ArticleQuery {
                        subject: &tk.subject,
                        description: &tk.description,
                        category: tk.category.as_deref(),
                        asset_id: tk.asset_id,
                    },
                )
                .await,
        ) {
            (Ok(u), Ok(o)) => (u, o),
            (Err(e), _) | (_, Err(e)) => return super::failure(lang, &e),
        }
    };
    let who = Assignees::of(user, &found.events, customer).await;
    let offers = Offers {
        moves: &moves,
        survey: survey.as_deref(),
        parties: parties.as_ref(),
        related: &related,
        now,
        who: &who,
        categories: &categories,
    };
    match user.tenant.utc_offset().await {
        Ok(offset) => {
            let mut res = page(
                lang,
                &found.ticket.number,
                Some(&user.auth.user),
                html! {
                    @for (record, title, status) in &records {
                        p.notice {
                            (t(lang, "page.ticket.in_problem")) " "
                            a href={ "/problems/" (record) } { (title) }
                            " · " (t(lang, &format!("page.problems.status.{}", status.as_str())))
                        }
                    }
                    (body(lang, user, offset, &found, &teams, offers, error))
                    @if !calls.is_empty() {
                        h2 { (t(lang, "page.calls.of_ticket")) }
                        (super::calls::table(lang, offset, &calls, false))
                    }
                    (knowledge(lang, id, &used, &offered))
                    (files(lang, &attached))
                },
            );
            // A form the page refused answers as the API would, the reason on the page: 409
            // when the ticket moved on meanwhile, else 422.
            if let Some(e) = error {
                *res.status_mut() = if e == "page.ticket.move_refused" {
                    axum::http::StatusCode::CONFLICT
                } else {
                    axum::http::StatusCode::UNPROCESSABLE_ENTITY
                };
            }
            res
        }
        Err(e) => super::failure(lang, &e),
    }
}

/// The ticket's page (404 for a ticket the caller may not see).
pub async fn show(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
) -> Response {
    let Some(id) = TicketId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    show_with(&user, lang, id, state.clock.now(), None).await
}

/// A customer's answer to a fix.
#[derive(Deserialize)]
pub struct AnswerForm {
    version: i64,
    reason: Option<String>,
}

async fn answer(
    state: &AppState,
    page_user: PageUser,
    id: &str,
    f: AnswerForm,
    confirm: bool,
) -> Response {
    let PageUser { user, lang } = page_user;
    let Some(id) = TicketId::parse(id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let command = if confirm {
        MoveCommand {
            to: Some(Status::Closed),
            confirmation: Some(Confirmation {
                by: ConfirmedBy::Customer,
                note: None,
            }),
            ..MoveCommand::default()
        }
    } else {
        MoveCommand {
            to: Some(Status::InProgress),
            reason: f.reason,
            ..MoveCommand::default()
        }
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
        Ok(_) => Redirect::to(&format!("/t/{id}")).into_response(),
        Err(StoreError::NotFound) => super::failure(lang, &StoreError::NotFound),
        Err(StoreError::Stale { .. }) => {
            show_with(
                &user,
                lang,
                id,
                state.clock.now(),
                Some("page.ticket.move_refused"),
            )
            .await
        }
        Err(StoreError::Transition(_)) => {
            show_with(
                &user,
                lang,
                id,
                state.clock.now(),
                Some("page.ticket.move_refused"),
            )
            .await
        }
        Err(e) => super::failure(lang, &e),
    }
}

/// The customer confirms the fix: the ticket closes.
pub async fn confirm(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(f): Form<AnswerForm>,
) -> Response {
    answer(&state, user, &id, f, true).await
}

/// The customer says it is not fixed: the ticket goes back to work, with the reason.
pub async fn reopen(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(f): Form<AnswerForm>,
) -> Response {
    answer(&state, user, &id, f, false).await
}

/// A comment as posted.
#[derive(Deserialize)]
pub struct CommentForm {
    body: String,
    internal: Option<String>,
}

/// Adds a public reply or an internal note.
pub async fn comment(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
    Form(f): Form<CommentForm>,
) -> Response {
    let Some(id) = TicketId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let internal = f.internal.is_some();
    match user
        .tenant
        .add_comment(&user.actor, id, &f.body, internal, state.clock.now())
        .await
    {
        Ok(_) => Redirect::to(&format!("/t/{id}")).into_response(),
        Err(StoreError::Invalid(e)) => {
            show_with(&user, lang, id, state.clock.now(), Some(e.reason)).await
        }
        Err(e) => super::failure(lang, &e),
    }
}

/// A transfer as posted.
#[derive(Deserialize)]
pub struct TeamForm {
    team_id: String,
    note: Option<String>,
}

/// Hands the ticket to another team.
pub async fn transfer(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
    Form(f): Form<TeamForm>,
) -> Response {
    let (Some(id), Some(team)) = (
        TicketId::parse(&id),
        loopdesk_core::TeamId::parse(f.team_id.trim()),
    ) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let note = f.note.as_deref().filter(|n| !n.trim().is_empty());
    match user
        .tenant
        .transfer_team(&user.actor, id, team, note, state.clock.now())
        .await
    {
        Ok(()) => Redirect::to(&format!("/t/{id}")).into_response(),
        Err(StoreError::Invalid(e)) => {
            show_with(&user, lang, id, state.clock.now(), Some(e.reason)).await
        }
        Err(e) => super::failure(lang, &e),
    }
}

/// A move made on the ticket page, with what it needs.
#[derive(Deserialize)]
pub struct MoveForm {
    version: i64,
    to: String,
    reason: Option<String>,
    note: Option<String>,
    /// An agent's remote resolution (the report of a fix without a visit).
    resolution: Option<String>,
    /// How an agent confirmed the fix for the customer.
    confirm_note: Option<String>,
}

/// Where a change made from the ticket page leads: back to the ticket; the page again with
/// why (422) when the ticket had moved on or the input was refused; an error page otherwise.
async fn after<T>(
    user: &crate::extract::CurrentUser,
    lang: Lang,
    id: TicketId,
    now: chrono::DateTime<chrono::Utc>,
    done: Result<T, StoreError>,
) -> Response {
    let reason = match done {
        Ok(_) => return Redirect::to(&format!("/t/{id}")).into_response(),
        Err(StoreError::Stale { .. } | StoreError::Transition(_)) => "page.ticket.move_refused",
        Err(StoreError::Invalid(e)) => e.reason,
        Err(e) => return super::failure(lang, &e),
    };
    let mut res = show_with(user, lang, id, now, Some(reason)).await;
    *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    res
}

/// Makes a move from the staff page; back to the ticket, or the page with the reason.
pub async fn make_move(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
    Form(f): Form<MoveForm>,
) -> Response {
    let Some(id) = TicketId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let text = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let command = MoveCommand {
        to: Status::parse(f.to.trim()),
        reason: text(f.reason),
        note: text(f.note),
        report: text(f.resolution).map(|resolution| ReportInput {
            resolution,
            remote: true,
            ..ReportInput::default()
        }),
        confirmation: text(f.confirm_note).map(|note| Confirmation {
            by: ConfirmedBy::Agent,
            note: Some(note),
        }),
        ..MoveCommand::default()
    };
    let req = TransitionRequest {
        version: f.version,
        command,
    };
    let now = state.clock.now();
    let done = user
        .tenant
        .transition(&user.actor, id, req, None, now)
        .await;
    after(&user, lang, id, now, done).await
}

/// A priority change as posted.
#[derive(Deserialize)]
pub struct PriorityForm {
    version: i64,
    priority: i64,
    #[serde(default)]
    reason: String,
}

/// Changes the priority, with why (the SLA's due times follow).
pub async fn priority(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
    Form(f): Form<PriorityForm>,
) -> Response {
    let Some(id) = TicketId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let req = loopdesk_store::PriorityChange {
        version: f.version,
        priority: f.priority,
        reason: Some(f.reason).filter(|r| !r.trim().is_empty()),
    };
    let now = state.clock.now();
    let done = user.tenant.change_priority(&user.actor, id, req, now).await;
    after(&user, lang, id, now, done).await
}

/// The knowledge base beside a ticket: the articles it was resolved with, and those that
/// may answer it, each one press from being recorded as used.
fn knowledge(
    lang: Lang,
    ticket: TicketId,
    used: &[(loopdesk_core::ArticleId, String)],
    offered: &[(loopdesk_core::ArticleId, String, f64)],
) -> Markup {
    let fresh: Vec<_> = offered
        .iter()
        .filter(|(id, _, _)| !used.iter().any(|(u, _)| u == id))
        .collect();
    html! {
        @if !used.is_empty() || !fresh.is_empty() {
            div.card.ticket-articles {
                h2 { (t(lang, "page.kb.title")) }
                ul {
                    @for (id, title) in used {
                        li { a href={ "/kb/" (id) } { (title) } " " span.badge.ok { (t(lang, "page.kb.used")) } }
                    }
                    @for (id, title, _) in &fresh {
                        li {
                            a href={ "/kb/" (id) } { (title) } " "
                            form.inline method="post" action={ "/t/" (ticket) "/articles" } {
                                input type="hidden" name="article_id" value=(id);
                                button.quiet type="submit" { (t(lang, "page.kb.use")) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The article a ticket was resolved with, as posted.
#[derive(Deserialize)]
pub struct UsedArticleForm {
    article_id: String,
}

/// Records that the ticket was resolved with an article; back to the ticket.
pub async fn used_article(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
    Form(f): Form<UsedArticleForm>,
) -> Response {
    let (Some(ticket), Some(article)) = (
        TicketId::parse(&id),
        loopdesk_core::ArticleId::parse(f.article_id.trim()),
    ) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    match user
        .tenant
        .resolved_with_article(&user.actor, ticket, article, state.clock.now())
        .await
    {
        Ok(()) => axum::response::Redirect::to(&format!("/t/{ticket}")).into_response(),
        Err(e) => super::failure(lang, &e),
    }
}

/// A category change as posted (the current category again confirms the model's guess).
#[derive(Deserialize)]
pub struct CategoryForm {
    version: i64,
    category: String,
    #[serde(default)]
    reason: String,
}

/// Sets, corrects or confirms the category (the SLA follows).
pub async fn category(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
    Form(f): Form<CategoryForm>,
) -> Response {
    let Some(id) = TicketId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let req = loopdesk_store::CategoryChange {
        version: f.version,
        category: f.category,
        reason: Some(f.reason).filter(|r| !r.trim().is_empty()),
    };
    let now = state.clock.now();
    let done = user.tenant.change_category(&user.actor, id, req, now).await;
    after(&user, lang, id, now, done).await
}

/// A chase as posted.
#[derive(Deserialize)]
pub struct ChaseForm {
    note: Option<String>,
}

/// Records that the customer asked about progress (the customer, or an agent on their call).
pub async fn chase(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
    Form(f): Form<ChaseForm>,
) -> Response {
    let Some(id) = TicketId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let note = f.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let now = state.clock.now();
    let done = user.tenant.chase(&user.actor, id, note, now).await;
    after(&user, lang, id, now, done).await
}

/// A merge as posted from a ticket page: the duplicate (the path) at the version shown, the
/// ticket it goes into, and the page it was asked from.
#[derive(Deserialize)]
pub struct MergeForm {
    version: i64,
    into: String,
    #[serde(default)]
    back: String,
}

/// Merges a duplicate into another ticket; then that ticket's page (or the page the merge was
/// asked from, with why, when refused).
pub async fn merge(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
    Form(f): Form<MergeForm>,
) -> Response {
    let (Some(id), Some(into)) = (TicketId::parse(&id), TicketId::parse(f.into.trim())) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let back = TicketId::parse(f.back.trim()).unwrap_or(into);
    let now = state.clock.now();
    let done = user
        .tenant
        .merge_ticket(&user.actor, id, f.version, into, now)
        .await;
    after(&user, lang, back, now, done).await
}

/// Adds photos to a ticket from its page (the customer showing the fault, or staff): each
/// checked before any is kept; back to the ticket, or the page with why.
pub async fn add_photos(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
    mut multipart: axum::extract::Multipart,
) -> Response {
    let Some(id) = TicketId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let now = state.clock.now();
    let mut photos = Vec::new();
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                if field.name() != Some("photos") {
                    continue;
                }
                let name = field.file_name().unwrap_or("photo").to_owned();
                match field.bytes().await {
                    Ok(b) if !b.is_empty() => photos.push((name, b.to_vec())),
                    Ok(_) => {}
                    Err(_) => {
                        return show_with(&user, lang, id, now, Some("error.payload_too_large"))
                            .await
                    }
                }
            }
            Ok(None) => break,
            Err(_) => {
                return show_with(&user, lang, id, now, Some("error.payload_too_large")).await
            }
        }
    }
    if photos.is_empty() {
        return show_with(&user, lang, id, now, Some("error.required")).await;
    }
    // The ticket first: one the caller may not see is a 404, whatever they sent.
    if let Err(e) = user.tenant.ticket_for(&user.actor, id).await {
        return super::failure(lang, &e);
    }
    for (_, bytes) in &photos {
        if let Err(problem) = crate::api::attachments::check_upload(&state, bytes, true).await {
            return show_with(&user, lang, id, now, Some(problem.key())).await;
        }
    }
    for (name, bytes) in &photos {
        let saved = crate::api::attachments::save_upload(
            &state,
            &user,
            id,
            loopdesk_core::ticket::transitions::AttachmentKind::Other,
            name,
            bytes,
        )
        .await;
        if saved.is_err() {
            return show_with(&user, lang, id, now, Some("error.invalid_file")).await;
        }
    }
    Redirect::to(&format!("/t/{id}")).into_response()
}
