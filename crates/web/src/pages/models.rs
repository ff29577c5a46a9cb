//! The product catalogue page: every model with the skill a repair needs, its default
//! warranty and checklist, and how many assets name it; admins add and change models here.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use loopdesk_core::access::{self, Permission};
use loopdesk_core::asset::NewModel;
use loopdesk_core::i18n::{t, Lang};
use loopdesk_core::ModelId;
use loopdesk_store::{ProductModel, StoreError};
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{page, PageUser};
use crate::extract::CurrentUser;

/// A model as the form sends it: the checklist one item a line.
#[derive(Deserialize)]
pub struct ModelForm {
    code: Option<String>,
    name: String,
    product_line: Option<String>,
    warranty_months: Option<String>,
    skill: Option<String>,
    skill_level: Option<String>,
    checklist: Option<String>,
}

/// A number typed in a form: empty is none, anything else must be a whole number.
fn number(field: &'static str, text: Option<&str>) -> Result<Option<i64>, StoreError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => t.parse().map(Some).map_err(|_| {
            StoreError::Invalid(loopdesk_core::validate::FieldError {
                field,
                reason: "error.invalid_number",
            })
        }),
    }
}

impl ModelForm {
    fn to_new(&self) -> Result<NewModel, StoreError> {
        let text = |t: &Option<String>| {
            t.as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
        };
        Ok(NewModel {
            code: self.code.clone().unwrap_or_default(),
            name: self.name.clone(),
            product_line: text(&self.product_line),
            warranty_months: number("warranty_months", self.warranty_months.as_deref())?,
            skill: text(&self.skill),
            skill_level: number("skill_level", self.skill_level.as_deref())?,
            checklist: self
                .checklist
                .as_deref()
                .unwrap_or("")
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
        })
    }
}

/// A refused form: which model (none: the new one), the field and the reason.
type Refused<'a> = (Option<ModelId>, &'a str, &'a str);

fn model_fields(lang: Lang, m: Option<&ProductModel>, skills: &[String]) -> Markup {
    let id = m.map_or("new".to_owned(), |m| m.id.to_string());
    html! {
        @if m.is_none() {
            label for={ "model-code-" (id) } { (t(lang, "page.models.code")) }
            input id={ "model-code-" (id) } name="code" required maxlength="64";
        }
        label for={ "model-name-" (id) } { (t(lang, "page.admin.name")) }
        input id={ "model-name-" (id) } name="name" required maxlength="200" value=(m.map_or("", |m| m.name.as_str()));
        label for={ "model-line-" (id) } { (t(lang, "page.models.product_line")) }
        input id={ "model-line-" (id) } name="product_line" maxlength="100" value=(m.and_then(|m| m.product_line.as_deref()).unwrap_or(""));
        div.row {
            div {
                label for={ "model-warranty-" (id) } { (t(lang, "page.models.warranty_months")) }
                input id={ "model-warranty-" (id) } name="warranty_months" type="number" min="0" max="240"
                    value=(m.and_then(|m| m.warranty_months).map(|w| w.to_string()).unwrap_or_default());
            }
            div {
                label for={ "model-skill-" (id) } { (t(lang, "page.models.skill")) }
                input id={ "model-skill-" (id) } name="skill" maxlength="64" list="skills" value=(m.and_then(|m| m.skill.as_deref()).unwrap_or(""));
            }
            div {
                label for={ "model-level-" (id) } { (t(lang, "page.models.skill_level")) }
                input id={ "model-level-" (id) } name="skill_level" type="number" min="1" max="5"
                    value=(m.and_then(|m| m.skill_level).map(|l| l.to_string()).unwrap_or_default());
            }
        }
        datalist #skills { @for s in skills { option value=(s) {} } }
        label for={ "model-checklist-" (id) } { (t(lang, "page.models.checklist")) }
        textarea id={ "model-checklist-" (id) } name="checklist" rows="4" placeholder=(t(lang, "page.models.checklist_hint")) {
            (m.map(|m| m.checklist.join("\n")).unwrap_or_default())
        }
    }
}

async fn catalogue(user: &CurrentUser, lang: Lang, refused: Option<Refused<'_>>) -> Response {
    if access::customer_scope(&user.actor) != Some(None) {
        return super::failure(lang, &StoreError::Forbidden);
    }
    let (models, counts) = match (
        user.tenant.models().await,
        user.tenant.assets_per_model().await,
    ) {
        (Ok(m), Ok(c)) => (m, c),
        (Err(e), _) | (_, Err(e)) => return super::failure(lang, &e),
    };
    let mut skills: Vec<String> = models.iter().filter_map(|m| m.skill.clone()).collect();
    skills.sort();
    skills.dedup();
    let admin = access::allowed(&user.actor, Permission::ManageOrganisation);
    let err = |which: Option<ModelId>| match refused {
        Some((m, field, reason)) if m == which => html! {
            p.field-error role="alert" { (super::field_label(lang, field)) ": " (t(lang, reason)) }
        },
        _ => html! {},
    };
    let opened = |which: Option<ModelId>| refused.is_some_and(|(m, _, _)| m == which);
    let title = t(lang, "page.models.title");
    let mut res = page(
        lang,
        title,
        Some(&user.auth.user),
        html! {
            h1 { (title) }
            p.muted { (t(lang, "page.models.lead")) }
            @if models.is_empty() { p.muted { (t(lang, "page.models.none")) } } @else {
                div.scroll { table.models {
                    thead { tr {
                        th { (t(lang, "page.models.code")) }
                        th { (t(lang, "page.admin.name")) }
                        th.wide { (t(lang, "page.models.product_line")) }
                        th { (t(lang, "page.models.skill")) }
                        th.wide { (t(lang, "page.models.warranty_months")) }
                        th.wide { (t(lang, "page.models.checklist")) }
                        th { (t(lang, "page.models.assets")) }
                    } }
                    tbody { @for m in &models { tr {
                        td { code { (m.code) } }
                        td {
                            @if admin {
                                details open[opened(Some(m.id))] {
                                    summary { (m.name) }
                                    form method="post" action={ "/assets/models/" (m.id) } {
                                        (err(Some(m.id)))
                                        (model_fields(lang, Some(m), &skills))
                                        p { button type="submit" { (t(lang, "page.desk.save")) } }
                                    }
                                }
                            } @else { (m.name) }
                        }
                        td.wide { (m.product_line.as_deref().unwrap_or("—")) }
                        td { @if let Some(s) = &m.skill { (s) " ≥ " (m.skill_level.unwrap_or(1)) } @else { "—" } }
                        td.wide { @if let Some(w) = m.warranty_months { (w) } @else { "—" } }
                        td.wide { (m.checklist.len()) }
                        td {
                            @let n = counts.get(&m.code).copied().unwrap_or(0);
                            @if n > 0 { a href={ "/assets?q=" (super::query_value(&m.code)) } { (n) } } @else { "0" }
                        }
                    } } }
                } }
            }
            @if admin {
                details.card open[opened(None)] {
                    summary { a { (t(lang, "page.models.new")) } }
                    form method="post" action="/assets/models" {
                        (err(None))
                        (model_fields(lang, None, &skills))
                        p { button type="submit" { (t(lang, "page.admin.add")) } }
                    }
                }
            }
        },
    );
    if refused.is_some() {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    res
}

/// The catalogue (staff).
pub async fn list(PageUser { user, lang }: PageUser) -> Response {
    catalogue(&user, lang, None).await
}

async fn answer(
    user: &CurrentUser,
    lang: Lang,
    which: Option<ModelId>,
    result: Result<ProductModel, StoreError>,
) -> Response {
    match result {
        Ok(_) => Redirect::to("/assets/models").into_response(),
        Err(StoreError::Invalid(e)) => {
            catalogue(user, lang, Some((which, e.field, e.reason))).await
        }
        Err(StoreError::Conflict { field }) => {
            catalogue(user, lang, Some((which, field, "error.conflict"))).await
        }
        Err(e) => super::failure(lang, &e),
    }
}

/// Adds a model (admins).
pub async fn add(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    PageUser { user, lang }: PageUser,
    Form(f): Form<ModelForm>,
) -> Response {
    let result = match f.to_new() {
        Ok(new) => {
            user.tenant
                .create_model(&user.actor, new, state.clock.now())
                .await
        }
        Err(e) => Err(e),
    };
    answer(&user, lang, None, result).await
}

/// Changes a model (admins): everything but its code.
pub async fn edit(
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
    Form(f): Form<ModelForm>,
) -> Response {
    let Some(id) = ModelId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let result = match f.to_new() {
        Ok(change) => user.tenant.edit_model(&user.actor, id, change).await,
        Err(e) => Err(e),
    };
    answer(&user, lang, Some(id), result).await
}
