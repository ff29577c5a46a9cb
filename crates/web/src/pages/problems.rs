//! Problem records (问题单) on pages: opened from a problem on `/insights` with its tickets,
//! listed on `/problems`, and worked on `/problems/{id}` — the root cause written down, then
//! resolved.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use loopdesk_core::i18n::{t, tf, Lang};
use loopdesk_core::insights::record::RecordStatus;
use loopdesk_core::{ProblemId, TicketId};
use loopdesk_store::{NewProblemRecord, ProblemRecord, ProblemRecordChange, StoreError};
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{page, PageUser};
use crate::extract::CurrentUser;
use crate::state::AppState;

/// The form on a problem found.
#[derive(Deserialize)]
pub struct OpenForm {
    title: String,
    key: Option<String>,
    /// Comma-separated.
    ticket_ids: String,
}

/// Opens a record from a problem found, and shows it.
pub async fn open(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Form(f): Form<OpenForm>,
) -> Response {
    let ticket_ids = f
        .ticket_ids
        .split(',')
        .filter_map(|id| TicketId::parse(id.trim()))
        .collect();
    let new = NewProblemRecord {
        title: f.title,
        key: f.key.filter(|k| !k.is_empty()),
        ticket_ids,
    };
    match user
        .tenant
        .open_problem_record(&user.actor, new, state.clock.now())
        .await
    {
        Ok(r) => Redirect::to(&format!("/problems/{}", r.id)).into_response(),
        Err(e) => super::failure(lang, &e),
    }
}

/// The records.
pub async fn list(PageUser { user, lang }: PageUser) -> Response {
    let records = match user.tenant.problem_records(&user.actor, None).await {
        Ok(r) => r,
        Err(e) => return super::failure(lang, &e),
    };
    let title = t(lang, "page.problems.title");
    page(
        lang,
        title,
        Some(&user.auth.user),
        html! {
            h1 { (title) }
            p.muted { (t(lang, "page.problems.lead")) " " a href="/insights" { (t(lang, "page.insights.title")) } }
            @if records.is_empty() { p.muted { (t(lang, "page.problems.none")) } }
            @else {
                table {
                    thead { tr {
                        th { (t(lang, "page.problems.record")) }
                        th { (t(lang, "page.problems.status")) }
                        th { (t(lang, "page.problems.tickets")) }
                        th { (t(lang, "page.problems.opened")) }
                    } }
                    tbody {
                        @for r in &records {
                            tr {
                                td { a href={ "/problems/" (r.id) } { (r.title) } }
                                td { (status_badge(lang, r.status)) }
                                td { (r.ticket_count) }
                                td { (r.created_at.format("%Y-%m-%d")) }
                            }
                        }
                    }
                }
            }
        },
    )
}

fn status_badge(lang: Lang, status: RecordStatus) -> Markup {
    html! {
        span class={ "badge " @if status == RecordStatus::Open { "warning" } @else { "ok" } } {
            (t(lang, &format!("page.problems.status.{}", status.as_str())))
        }
    }
}

/// One record: its tickets, and the form to write its root cause and resolve it.
pub async fn show(PageUser { user, lang }: PageUser, Path(id): Path<String>) -> Response {
    record_page(&user, lang, &id, None).await
}

async fn record_page(user: &CurrentUser, lang: Lang, id: &str, error: Option<&str>) -> Response {
    let Some(id) = ProblemId::parse(id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    match user.tenant.problem_record(&user.actor, id).await {
        Ok(r) => page(
            lang,
            &r.title.clone(),
            Some(&user.auth.user),
            record(lang, &r, error),
        ),
        Err(e) => super::failure(lang, &e),
    }
}

fn record(lang: Lang, r: &ProblemRecord, error: Option<&str>) -> Markup {
    html! {
        p { a href="/problems" { "← " (t(lang, "page.problems.title")) } }
        h1 { (r.title) " " (status_badge(lang, r.status)) }
        p.muted {
            (tf(lang, "page.problems.opened_on", &[("day", &r.created_at.format("%Y-%m-%d").to_string())]))
            @if let Some(k) = &r.key { " · " code { (k) } }
        }
        @if let Some(e) = error { p.error role="alert" { (t(lang, e)) } }
        form method="post" action={ "/problems/" (r.id) } {
            input type="hidden" name="version" value=(r.version);
            label for="root_cause" { (t(lang, "page.problems.root_cause")) }
            textarea #root_cause name="root_cause" rows="4" placeholder=(t(lang, "page.problems.root_cause_hint")) {
                (r.root_cause.as_deref().unwrap_or(""))
            }
            label for="status" { (t(lang, "page.problems.status")) }
            select #status name="status" {
                @for s in [RecordStatus::Open, RecordStatus::Resolved] {
                    option value=(s.as_str()) selected[s == r.status] {
                        (t(lang, &format!("page.problems.status.{}", s.as_str())))
                    }
                }
            }
            button type="submit" { (t(lang, "page.problems.save")) }
        }
        h2 { (tf(lang, "page.problems.linked", &[("count", &r.ticket_count.to_string())])) }
        ul.problem-tickets {
            @for tk in &r.tickets {
                li {
                    a href={ "/t/" (tk.id) } { (tk.number) } " · " (tk.subject) " "
                    span.muted { (t(lang, &format!("status.{}", tk.status))) }
                }
            }
        }
    }
}

/// The record form.
#[derive(Deserialize)]
pub struct ChangeForm {
    version: i64,
    root_cause: String,
    status: String,
}

/// Saves the root cause and status; on a refusal the page again with the reason.
pub async fn change(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
    Form(f): Form<ChangeForm>,
) -> Response {
    let Some(record_id) = ProblemId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let root_cause = Some(f.root_cause).filter(|c| !c.trim().is_empty());
    let change = ProblemRecordChange {
        version: f.version,
        root_cause: Some(root_cause),
        status: RecordStatus::parse(&f.status),
        ..ProblemRecordChange::default()
    };
    match user
        .tenant
        .change_problem_record(&user.actor, record_id, change, state.clock.now())
        .await
    {
        Ok(_) => Redirect::to(&format!("/problems/{record_id}")).into_response(),
        Err(StoreError::Invalid(e)) => record_page(&user, lang, &id, Some(e.reason)).await,
        Err(StoreError::Stale { .. }) => {
            record_page(&user, lang, &id, Some("error.stale_version")).await
        }
        Err(e) => super::failure(lang, &e),
    }
}
