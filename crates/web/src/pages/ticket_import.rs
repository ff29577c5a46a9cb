//! `/admin/import-tickets`: an admin moves the tickets of another system in by uploading
//! its file of JSON lines (what `POST /api/v1/import/tickets` takes), and sees how many were
//! imported and skipped, or every line at fault (then nothing was).

use axum::body::Bytes;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use loopdesk_core::access::{self, Permission};
use loopdesk_core::i18n::{t, tf, Lang};
use loopdesk_store::StoreError;
use maud::{html, Markup};

use super::layout::{page, PageUser};
use crate::api::ticket_import::{import, Refusal};
use crate::extract::CurrentUser;
use crate::state::AppState;

/// Faults listed on the page at most.
const LISTED: usize = 200;

/// An example line, as the guide shows it.
const EXAMPLE: &str = r#"{"external_id": "OTRS-88412", "subject": "空调不制冷", "category": "aircon", "created_at": "2026-03-02T09:10:00+08:00", "status": "closed", "resolved_at": "2026-03-02T15:40:00+08:00", "closed_at": "2026-03-03T09:00:00+08:00", "assignee": "zhang.wei", "csat": 4}"#;

/// The page.
pub async fn show(PageUser { user, lang }: PageUser) -> Response {
    if !access::allowed(&user.actor, Permission::ManageUsers) {
        return super::failure(lang, &StoreError::Forbidden);
    }
    render(&user, lang, html! {}, StatusCode::OK)
}

fn render(user: &CurrentUser, lang: Lang, said: Markup, status: StatusCode) -> Response {
    let title = t(lang, "page.ticket_import.title");
    let mut res = page(
        lang,
        title,
        Some(&user.auth.user),
        html! {
            p.muted { a href="/admin" { "← " (t(lang, "page.admin.title")) } }
            h1 { (title) }
            p { (t(lang, "page.ticket_import.lead")) }
            (said)
            section.card {
                form method="post" action="/admin/import-tickets" enctype="multipart/form-data" {
                    label for="file" { (t(lang, "page.ticket_import.file")) }
                    input #file type="file" name="file" required accept=".jsonl,.ndjson,.json,application/x-ndjson";
                    button type="submit" { (t(lang, "page.import.upload")) }
                }
                p.muted { (t(lang, "page.ticket_import.example")) }
                pre.example { (EXAMPLE) }
                p.muted { (t(lang, "page.ticket_import.rules")) }
            }
        },
    );
    *res.status_mut() = status;
    res
}

/// Imports the uploaded file.
pub async fn upload(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    mut multipart: Multipart,
) -> Response {
    if !access::allowed(&user.actor, Permission::ManageUsers) {
        return super::failure(lang, &StoreError::Forbidden);
    }
    let mut file = Bytes::new();
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => match field.bytes().await {
                Ok(bytes) => file = bytes,
                Err(_) => return too_large(&user, lang),
            },
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(_) => return too_large(&user, lang),
        }
    }
    match import(&state, &user, lang, file).await {
        Ok(done) => {
            let said = html! {
                p.notice role="status" {
                    (tf(lang, "page.ticket_import.done", &[
                        ("imported", &done.imported.to_string()),
                        ("skipped", &done.skipped.to_string()),
                    ]))
                }
            };
            render(&user, lang, said, StatusCode::OK)
        }
        Err(Refusal::Lines(faults)) => {
            let lines = faults
                .iter()
                .map(|f| f.line)
                .collect::<std::collections::BTreeSet<_>>()
                .len();
            let said = html! {
                div.field-error role="alert" {
                    p { (tf(lang, "error.import_lines", &[("count", &lines.to_string())])) }
                    div.scroll { table {
                        thead { tr {
                            th { (t(lang, "page.ticket_import.line")) }
                            th { (t(lang, "page.import.column")) }
                            th { (t(lang, "page.import.reason")) }
                        } }
                        tbody { @for f in faults.iter().take(LISTED) { tr {
                            td { (f.line) }
                            td { code { (f.field) } }
                            td { (f.message(lang)) }
                        } } }
                    } }
                }
            };
            render(&user, lang, said, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(Refusal::Other(e)) => {
            let said = html! { p.error role="alert" { (e.message(lang)) } };
            render(&user, lang, said, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}

fn too_large(user: &CurrentUser, lang: Lang) -> Response {
    let said = html! { p.error role="alert" { (t(lang, "error.payload_too_large")) } };
    render(user, lang, said, StatusCode::PAYLOAD_TOO_LARGE)
}
