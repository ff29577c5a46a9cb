//! Importing master data from a page: customers, contacts and sites (on /customers/import),
//! the parts catalogue and the opening stock (on /stock/import). Upload a CSV or Excel
//! sheet, see how many rows were stored, or every bad row with its column and reason (then
//! nothing was); download a template with the Chinese headings.

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::i18n::{t, tf, Lang};
use loopdesk_store::{RowError, StoreError};
use maud::{html, Markup};

use super::layout::{page, PageQuery, PageUser};
use crate::extract::CurrentUser;
use crate::import::Sheet;
use crate::state::AppState;

/// The imports of one page, and who may use them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    Customers,
    Stock,
}

impl Family {
    fn sheets(self) -> &'static [Sheet] {
        match self {
            Family::Customers => &[
                Sheet::Customers,
                Sheet::Contacts,
                Sheet::Sites,
                Sheet::Assets,
            ],
            Family::Stock => &[Sheet::Parts, Sheet::Opening],
        }
    }

    fn path(self) -> &'static str {
        match self {
            Family::Customers => "/customers",
            Family::Stock => "/stock",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Family::Customers => "page.import.title",
            Family::Stock => "page.import.stock_title",
        }
    }

    fn back(self) -> &'static str {
        match self {
            Family::Customers => "page.customers.title",
            Family::Stock => "page.stock.title",
        }
    }

    fn refused(self, user: &CurrentUser, lang: Lang) -> Option<Response> {
        let permission = match self {
            Family::Customers => Permission::WriteCustomers,
            Family::Stock => Permission::ManageStock,
        };
        (!access::allowed(&user.actor, permission))
            .then(|| super::failure(lang, &StoreError::Forbidden))
    }
}

/// What came of an upload.
enum Outcome {
    Stored(Sheet, usize),
    Refused(Sheet, String, Vec<RowError>),
}

/// The customers' import page.
pub async fn customers(PageUser { user, lang }: PageUser) -> Response {
    show(&user, lang, Family::Customers)
}

/// The stock's import page.
pub async fn stock(PageUser { user, lang }: PageUser) -> Response {
    show(&user, lang, Family::Stock)
}

fn show(user: &CurrentUser, lang: Lang, family: Family) -> Response {
    if let Some(no) = family.refused(user, lang) {
        return no;
    }
    import_page(lang, user, family, None)
}

fn import_page(
    lang: Lang,
    user: &CurrentUser,
    family: Family,
    outcome: Option<Outcome>,
) -> Response {
    let failed = matches!(outcome, Some(Outcome::Refused(..)));
    let title = t(lang, family.title());
    let mut res = page(
        lang,
        title,
        Some(&user.auth.user),
        body(lang, title, family, outcome.as_ref()),
    );
    if failed {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    res
}

fn body(lang: Lang, title: &str, family: Family, outcome: Option<&Outcome>) -> Markup {
    let path = family.path();
    html! {
        p.muted { a href=(path) { "← " (t(lang, family.back())) } }
        h1 { (title) }
        p { (t(lang, "page.import.hint")) }
        @for sheet in family.sheets() {
            @let key = sheet.key();
            section.card {
                h2 { (t(lang, &format!("page.import.{key}"))) }
                (said(lang, *sheet, outcome))
                p.muted {
                    (t(lang, "page.import.columns")) ": "
                    @for (i, (field, zh)) in sheet.headings().into_iter().enumerate() {
                        @if i > 0 { "、" }
                        (zh) " " code { (field) }
                    }
                    " · " a href={ (path) "/import/template?what=" (key) } { (t(lang, "page.import.template")) }
                }
                form method="post" action={ (path) "/import" } enctype="multipart/form-data" {
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
fn said(lang: Lang, sheet: Sheet, outcome: Option<&Outcome>) -> Markup {
    html! {
        @match outcome {
            Some(Outcome::Stored(s, n)) if *s == sheet => {
                p.notice role="status" { (tf(lang, "page.import.stored", &[("count", &n.to_string())])) }
            }
            Some(Outcome::Refused(s, message, rows)) if *s == sheet => {
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

/// Imports a sheet uploaded on the customers' page.
pub async fn upload_customers(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    multipart: Multipart,
) -> Response {
    upload(&state, &user, lang, Family::Customers, multipart).await
}

/// Imports a sheet uploaded on the stock's page.
pub async fn upload_stock(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    multipart: Multipart,
) -> Response {
    upload(&state, &user, lang, Family::Stock, multipart).await
}

async fn upload(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    family: Family,
    mut multipart: Multipart,
) -> Response {
    if let Some(no) = family.refused(user, lang) {
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
                    "what" => what = Sheet::parse(String::from_utf8_lossy(&bytes).trim()),
                    "file" => (file, kind) = (bytes.to_vec(), content_type),
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(_) => return too_large(lang),
        }
    }
    let sheets = family.sheets();
    let sheet = what.filter(|s| sheets.contains(s)).unwrap_or(sheets[0]);
    let outcome = match crate::import::import_sheet(state, user, sheet, lang, &kind, &file).await {
        Ok(n) => Outcome::Stored(sheet, n),
        Err(StoreError::Rows(rows)) => Outcome::Refused(
            sheet,
            tf(
                lang,
                "error.import_failed",
                &[("count", &rows.len().to_string())],
            ),
            rows,
        ),
        Err(StoreError::Invalid(e)) => Outcome::Refused(
            sheet,
            format!(
                "{}: {}",
                super::field_label(lang, e.field),
                t(lang, e.reason)
            ),
            Vec::new(),
        ),
        Err(e) => return super::failure(lang, &e),
    };
    import_page(lang, user, family, Some(outcome))
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

/// The customers' templates.
pub async fn customers_template(
    PageUser { user, lang }: PageUser,
    PageQuery(q): PageQuery<TemplateQuery>,
) -> Response {
    template(&user, lang, Family::Customers, &q)
}

/// The stock's templates.
pub async fn stock_template(
    PageUser { user, lang }: PageUser,
    PageQuery(q): PageQuery<TemplateQuery>,
) -> Response {
    template(&user, lang, Family::Stock, &q)
}

/// An empty sheet (CSV) with the import's Chinese headings, to fill in Excel.
fn template(user: &CurrentUser, lang: Lang, family: Family, q: &TemplateQuery) -> Response {
    if let Some(no) = family.refused(user, lang) {
        return no;
    }
    let sheets = family.sheets();
    let sheet = q
        .what
        .as_deref()
        .and_then(Sheet::parse)
        .filter(|s| sheets.contains(s))
        .unwrap_or(sheets[0]);
    let header: Vec<String> = sheet
        .headings()
        .into_iter()
        .map(|(_, zh)| zh.to_owned())
        .collect();
    let name = format!("import-{}", sheet.key());
    match crate::export::download(&name, Some("csv"), &header, &[]) {
        Ok(res) => res,
        Err(e) => e.into_response(),
    }
}
