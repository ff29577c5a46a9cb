//! Importing customers, contacts and sites from a page: upload a CSV or Excel sheet, see
//! how many rows were stored, or every bad row with its column and reason (then nothing was).

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use loopdesk_core::customer_import::Import;
use loopdesk_core::i18n::{t, tf, Lang};
use loopdesk_store::{RowError, StoreError};
use maud::{html, Markup};

use super::customers::writer_only;
use super::layout::{page, PageUser};
use crate::state::AppState;

/// What came of an upload.
enum Outcome {
    Stored(Import, usize),
    Refused(Import, String, Vec<RowError>),
}

const KINDS: [(Import, &str); 3] = [
    (Import::Customers, "customers"),
    (Import::Contacts, "contacts"),
    (Import::Sites, "sites"),
];

/// The import page.
pub async fn show(PageUser { user, lang }: PageUser) -> Response {
    if let Some(no) = writer_only(&user, lang) {
        return no;
    }
    import_page(lang, &user.auth.user, None)
}

fn import_page(lang: Lang, who: &loopdesk_store::User, outcome: Option<Outcome>) -> Response {
    let failed = matches!(outcome, Some(Outcome::Refused(..)));
    let title = t(lang, "page.import.title");
    let mut res = page(lang, title, Some(who), body(lang, title, outcome.as_ref()));
    if failed {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    res
}

fn body(lang: Lang, title: &str, outcome: Option<&Outcome>) -> Markup {
    html! {
        p.muted { a href="/customers" { "← " (t(lang, "page.customers.title")) } }
        h1 { (title) }
        p { (t(lang, "page.import.hint")) }
        @for (what, key) in KINDS {
            section.card {
                h2 { (t(lang, &format!("page.import.{key}"))) }
                (said(lang, what, outcome))
                p.muted {
                    (t(lang, "page.import.columns")) ": "
                    @for (i, (field, zh)) in what.headings().into_iter().enumerate() {
                        @if i > 0 { "、" }
                        (zh) " " code { (field) }
                    }
                    " · " a href={ "/customers/import/template?what=" (key) } { (t(lang, "page.import.template")) }
                }
                form method="post" action="/customers/import" enctype="multipart/form-data" {
                    input type="hidden" name="what" value=(key);
                    input type="file" name="file" required accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                        aria-label=(t(lang, &format!("page.import.{key}")));
                    button type="submit" { (t(lang, "page.import.upload")) }
                }
            }
        }
    }
}

/// What came of the last upload, beside its own form.
fn said(lang: Lang, what: Import, outcome: Option<&Outcome>) -> Markup {
    html! {
        @match outcome {
            Some(Outcome::Stored(w, n)) if *w == what => {
                p.notice role="status" { (tf(lang, "page.import.stored", &[("count", &n.to_string())])) }
            }
            Some(Outcome::Refused(w, message, rows)) if *w == what => {
                div.field-error role="alert" {
                    p { (message) }
                    @if !rows.is_empty() {
                        div.scroll { table {
                            thead { tr {
                                th { (t(lang, "page.import.row")) }
                                th { (t(lang, "page.import.column")) }
                                th { (t(lang, "page.import.reason")) }
                            } }
                            tbody { @for r in rows { tr {
                                td { (r.row) }
                                td { (super::field_label(lang, r.field)) }
                                td { (t(lang, r.reason)) }
                            } } }
                        } }
                    }
                }
            }
            _ => {}
        }
    }
}

/// Imports the uploaded sheet.
pub async fn upload(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    mut multipart: Multipart,
) -> Response {
    if let Some(no) = writer_only(&user, lang) {
        return no;
    }
    let (mut what, mut file, mut kind) = (None, Vec::new(), String::new());
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_owned();
                let content_type = field.content_type().unwrap_or("").to_owned();
                let Ok(bytes) = field.bytes().await else {
                    return too_large(lang);
                };
                match name.as_str() {
                    "what" => what = Import::parse(String::from_utf8_lossy(&bytes).trim()),
                    "file" => (file, kind) = (bytes.to_vec(), content_type),
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(_) => return too_large(lang),
        }
    }
    let what = what.unwrap_or(Import::Customers);
    let outcome =
        match crate::import::import_customer_table(&state, &user, what, lang, &kind, &file).await {
            Ok(n) => Outcome::Stored(what, n),
            Err(StoreError::Rows(rows)) => Outcome::Refused(
                what,
                tf(
                    lang,
                    "error.import_failed",
                    &[("count", &rows.len().to_string())],
                ),
                rows,
            ),
            Err(StoreError::Invalid(e)) => Outcome::Refused(
                what,
                format!(
                    "{}: {}",
                    super::field_label(lang, e.field),
                    t(lang, e.reason)
                ),
                Vec::new(),
            ),
            Err(e) => return super::failure(lang, &e),
        };
    import_page(lang, &user.auth.user, Some(outcome))
}

fn too_large(lang: Lang) -> Response {
    super::failure(
        lang,
        &StoreError::Invalid(loopdesk_core::validate::FieldError {
            field: "file",
            reason: "error.payload_too_large",
        }),
    )
}

/// Which template.
#[derive(serde::Deserialize)]
pub struct TemplateQuery {
    what: Option<String>,
}

/// An empty sheet (CSV) with the import's Chinese headings, to fill in Excel.
pub async fn template(
    PageUser { user, lang }: PageUser,
    super::layout::PageQuery(q): super::layout::PageQuery<TemplateQuery>,
) -> Response {
    if let Some(no) = writer_only(&user, lang) {
        return no;
    }
    let (what, key) = KINDS
        .iter()
        .find(|(_, k)| Some(*k) == q.what.as_deref())
        .copied()
        .unwrap_or(KINDS[0]);
    let header: Vec<String> = what
        .headings()
        .into_iter()
        .map(|(_, zh)| zh.to_owned())
        .collect();
    match crate::export::download(&format!("import-{key}"), Some("csv"), &header, &[]) {
        Ok(res) => res,
        Err(e) => axum::response::IntoResponse::into_response(e),
    }
}
