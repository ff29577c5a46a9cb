//! The organisation's settings on one page (admins): how dispatch runs, whether the category
//! model sets categories itself, which report-screening flags hold a report for review, when
//! surveys go out and tickets close by themselves, which
//! requisitions need no supervisor, and the KPI target. Each form saves on its own and names the field it refuses.

use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use loopdesk_core::access::{self, Permission};
use loopdesk_core::dispatch::auto::{Mode, Settings};
use loopdesk_core::followup::FollowUp;
use loopdesk_core::i18n::t;
use loopdesk_core::screening::Blocking;
use loopdesk_core::validate::FieldError;
use loopdesk_store::StoreError;
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{page, PageQuery, PageUser};
use crate::extract::CurrentUser;

/// Which form was just saved, or refused and why.
#[derive(Deserialize, Default)]
pub struct SettingsQuery {
    saved: Option<String>,
    form: Option<String>,
    field: Option<String>,
    reason: Option<String>,
}

/// The forms of the page, by the permission each needs.
const FORMS: [(&str, Permission); 6] = [
    ("dispatch", Permission::ManageAutomation),
    ("triage", Permission::ManageAutomation),
    ("screening", Permission::ManageAutomation),
    ("followup", Permission::ManageAutomation),
    ("stock", Permission::ManageOrganisation),
    ("kpi", Permission::SetTargets),
];

/// The fields the forms may be refused for (named back on the page).
const FIELDS: [&str; 9] = [
    "mode",
    "blocking",
    "auto_category_above",
    "accept_minutes",
    "survey_delay_minutes",
    "survey_valid_days",
    "auto_close_days",
    "requisition_auto_approve_below",
    "closure_target",
];

/// The settings page.
pub async fn show(
    PageUser { user, lang }: PageUser,
    PageQuery(q): PageQuery<SettingsQuery>,
) -> Response {
    if !FORMS.iter().any(|(_, p)| access::allowed(&user.actor, *p)) {
        return super::failure(lang, &StoreError::Forbidden);
    }
    let t_ = &user.tenant;
    let (dispatch, follow, approve, target) = match (
        t_.dispatch_settings().await,
        t_.follow_up().await,
        t_.requisition_auto_approve_below().await,
        t_.closure_target().await,
    ) {
        (Ok(d), Ok(f), Ok(a), Ok(k)) => (d, f, a, k),
        (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (.., Err(e)) => {
            return super::failure(lang, &e)
        }
    };
    let (auto_category, blocking) = match (
        t_.auto_category_above().await,
        t_.screening_blocking(&user.actor).await,
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return super::failure(lang, &e),
    };
    let title = t(lang, "page.settings.title");
    let may = |form: &str| {
        FORMS
            .iter()
            .any(|(f, p)| *f == form && access::allowed(&user.actor, *p))
    };
    // Only keys of the translation table are shown back: the query cannot inject text.
    let note = |form: &str| -> Markup {
        let here = q.form.as_deref() == Some(form);
        html! {
            @if q.saved.as_deref() == Some(form) { p.notice role="status" { (t(lang, "page.settings.saved")) } }
            @if here {
                @if let (Some(field), Some(reason)) = (q.field.as_deref().filter(|f| FIELDS.contains(f)), q.reason.as_deref().filter(|r| loopdesk_core::i18n::has(r))) {
                    p.field-error role="alert" { (super::field_label(lang, field)) ": " (t(lang, reason)) }
                }
            }
        }
    };
    page(
        lang,
        title,
        Some(&user.auth.user),
        html! {
            p.muted { a href="/admin" { "← " (t(lang, "page.admin.title")) } }
            h1 { (title) }
            @if may("dispatch") {
                section.card #dispatch {
                    h2 { (t(lang, "page.settings.dispatch")) }
                    (note("dispatch"))
                    form method="post" action="/admin/settings/dispatch" {
                        label for="mode" { (t(lang, "page.settings.mode")) }
                        select #mode name="mode" {
                            @for m in [Mode::Off, Mode::Propose, Mode::Auto] {
                                option value=(m.as_str()) selected[m == dispatch.mode] { (t(lang, &format!("page.settings.mode.{}", m.as_str()))) }
                            }
                        }
                        label for="accept_minutes" { (t(lang, "page.settings.accept_minutes")) }
                        input #accept_minutes name="accept_minutes" type="number" min="1" max="1440" value=(dispatch.accept_minutes);
                        p { button type="submit" { (t(lang, "page.desk.save")) } }
                    }
                }
            }
            @if may("triage") {
                section.card #triage {
                    h2 { (t(lang, "page.settings.triage")) }
                    (note("triage"))
                    form method="post" action="/admin/settings/triage" {
                        label for="auto_category" { (t(lang, "page.settings.auto_category")) " (%)" }
                        input #auto_category name="auto_category_above" type="number" min="50" max="100" step="1" value=(auto_category.map(|v| format!("{:.0}", v * 100.0)).unwrap_or_default());
                        p.muted { (t(lang, "page.settings.auto_category_hint")) }
                        p { button type="submit" { (t(lang, "page.desk.save")) } }
                    }
                }
            }
            @if may("screening") {
                section.card #screening {
                    h2 { (t(lang, "page.settings.screening")) }
                    (note("screening"))
                    p.muted { (t(lang, "page.settings.screening_hint")) }
                    form method="post" action="/admin/settings/screening" {
                        div.checks {
                            @for flag in Blocking::CHOOSABLE {
                                @let name = format!("block_{}", flag.as_str());
                                label.check {
                                    input type="checkbox" name=(name) value="on" checked[blocking.contains(&flag)];
                                    " " (t(lang, &format!("page.flag.{}", flag.as_str())))
                                }
                            }
                        }
                        p { button type="submit" { (t(lang, "page.desk.save")) } }
                    }
                }
            }
            @if may("followup") {
                section.card #followup {
                    h2 { (t(lang, "page.settings.followup")) }
                    (note("followup"))
                    form method="post" action="/admin/settings/followup" {
                        label for="survey_delay_minutes" { (t(lang, "page.settings.survey_delay")) }
                        input #survey_delay_minutes name="survey_delay_minutes" type="number" min="0" max="1440" value=(follow.survey_delay_minutes);
                        label for="survey_valid_days" { (t(lang, "page.settings.survey_valid")) }
                        input #survey_valid_days name="survey_valid_days" type="number" min="1" max="60" value=(follow.survey_valid_days);
                        label for="auto_close_days" { (t(lang, "page.settings.auto_close")) }
                        input #auto_close_days name="auto_close_days" type="number" min="1" max="90" value=(follow.auto_close_days);
                        p { button type="submit" { (t(lang, "page.desk.save")) } }
                    }
                }
            }
            @if may("stock") {
                section.card #stock {
                    h2 { (t(lang, "page.settings.stock")) }
                    (note("stock"))
                    form method="post" action="/admin/settings/stock" {
                        label for="auto_approve" { (t(lang, "page.settings.auto_approve")) }
                        input #auto_approve name="auto_approve_below" inputmode="decimal" value=(approve.map(|v| format!("{v:.2}")).unwrap_or_default());
                        p.muted { (t(lang, "page.settings.auto_approve_hint")) }
                        p { button type="submit" { (t(lang, "page.desk.save")) } }
                    }
                }
            }
            @if may("kpi") {
                section.card #kpi {
                    h2 { (t(lang, "page.settings.kpi")) }
                    (note("kpi"))
                    form method="post" action="/admin/settings/kpi" {
                        label for="closure_target" { (t(lang, "page.dash.target")) " (%)" }
                        input #closure_target name="closure_target" type="number" min="0.1" max="100" step="0.1" value=(format!("{:.1}", target * 100.0));
                        p { button type="submit" { (t(lang, "page.desk.save")) } }
                    }
                }
            }
        },
    )
}

/// What any of the forms sends (each only its own fields).
#[derive(Deserialize)]
pub struct SettingsForm {
    mode: Option<String>,
    accept_minutes: Option<String>,
    survey_delay_minutes: Option<String>,
    survey_valid_days: Option<String>,
    auto_close_days: Option<String>,
    auto_approve_below: Option<String>,
    closure_target: Option<String>,
    auto_category_above: Option<String>,
    /// The screening form's ticked flags (`block_<flag>`).
    #[serde(flatten)]
    ticked: std::collections::HashMap<String, String>,
}

fn number(field: &'static str, text: Option<&str>) -> Result<f64, StoreError> {
    text.map(str::trim)
        .and_then(|t| t.parse::<f64>().ok())
        .filter(|v| v.is_finite())
        .ok_or(StoreError::Invalid(FieldError {
            field,
            reason: "error.invalid_number",
        }))
}

#[expect(
    clippy::cast_possible_truncation,
    reason = "whole numbers the forms ask for, checked after"
)]
fn whole(field: &'static str, text: Option<&str>) -> Result<i64, StoreError> {
    let v = number(field, text)?;
    if v.fract() != 0.0 || v.abs() > 1e9 {
        return Err(StoreError::Invalid(FieldError {
            field,
            reason: "error.invalid_number",
        }));
    }
    Ok(v as i64)
}

async fn save(user: &CurrentUser, form: &str, f: &SettingsForm) -> Result<(), StoreError> {
    let (t_, actor) = (&user.tenant, &user.actor);
    match form {
        "dispatch" => {
            let mode = f
                .mode
                .as_deref()
                .and_then(Mode::parse)
                .ok_or(StoreError::Invalid(FieldError {
                    field: "mode",
                    reason: "error.invalid_value",
                }))?;
            let accept_minutes = whole("accept_minutes", f.accept_minutes.as_deref())?;
            t_.set_dispatch_settings(
                actor,
                Settings {
                    mode,
                    accept_minutes,
                },
            )
            .await?;
        }
        "triage" => {
            let text = f
                .auto_category_above
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty());
            let above = match text {
                Some(t) => Some(number("auto_category_above", Some(t))? / 100.0),
                None => None,
            };
            t_.set_auto_category_above(actor, above).await?;
        }
        "screening" => {
            let names: Vec<String> = f
                .ticked
                .keys()
                .filter_map(|k| k.strip_prefix("block_"))
                .map(str::to_owned)
                .collect();
            t_.set_screening_blocking(actor, &names).await?;
        }
        "followup" => {
            let new = FollowUp {
                auto_close_days: whole("auto_close_days", f.auto_close_days.as_deref())?,
                survey_delay_minutes: whole(
                    "survey_delay_minutes",
                    f.survey_delay_minutes.as_deref(),
                )?,
                survey_valid_days: whole("survey_valid_days", f.survey_valid_days.as_deref())?,
            };
            t_.set_follow_up(actor, new).await?;
        }
        "stock" => {
            let text = f
                .auto_approve_below
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty());
            let yuan = match text {
                Some(t) => Some(number("requisition_auto_approve_below", Some(t))?),
                None => None,
            };
            t_.set_requisition_auto_approve_below(actor, yuan).await?;
        }
        "kpi" => {
            let percent = number("closure_target", f.closure_target.as_deref())?;
            t_.set_closure_target(actor, percent / 100.0).await?;
        }
        _ => return Err(StoreError::NotFound),
    }
    Ok(())
}

/// Saves one form; back to the page with a note beside it.
pub async fn update(
    PageUser { user, lang }: PageUser,
    Path(form): Path<String>,
    Form(f): Form<SettingsForm>,
) -> Response {
    match save(&user, &form, &f).await {
        Ok(()) => Redirect::to(&format!("/admin/settings?saved={form}#{form}")).into_response(),
        Err(StoreError::Invalid(e)) => Redirect::to(&format!(
            "/admin/settings?form={form}&field={}&reason={}#{form}",
            e.field, e.reason
        ))
        .into_response(),
        Err(e) => super::failure(lang, &e),
    }
}
