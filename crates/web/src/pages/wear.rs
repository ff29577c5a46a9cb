//! `/insights/maintenance`: maintenance suggestions for those who run the service — for each
//! equipment model, the faults that come back at a regular age or meter reading, with why —
//! and, for those who keep customers' contracts, one press to make the proposal a plan over a
//! contract's units of that model.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::Duration;
use loopdesk_core::access::{self, Permission};
use loopdesk_core::i18n::t;
use loopdesk_core::insights::wear;
use loopdesk_core::maintenance::NewPlan;
use loopdesk_core::ContractId;
use loopdesk_store::StoreError;
use maud::html;
use serde::Deserialize;

use super::layout::{page, PageQuery, PageUser};
use crate::state::AppState;

/// What the page says after a press.
#[derive(Deserialize, Default)]
pub struct WearQuery {
    made: Option<String>,
}

/// The suggestions.
pub async fn show(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    PageQuery(q): PageQuery<WearQuery>,
) -> Response {
    let items = match crate::api::insights::maintenance_items(&user, lang, None, &state).await {
        Ok(items) => items,
        Err(e) => return super::failure(lang, &e),
    };
    let plans = access::allowed(&user.actor, Permission::WriteCustomers);
    let contracts = if plans && !items.is_empty() {
        match user.tenant.contracts(&user.actor).await {
            Ok(c) => c,
            Err(e) => return super::failure(lang, &e),
        }
    } else {
        Vec::new()
    };
    let title = t(lang, "page.wear.title");
    page(
        lang,
        title,
        Some(&user.auth.user),
        html! {
            p.muted { a href="/insights" { "← " (t(lang, "page.insights.title")) } }
            h1 { (title) }
            p.muted { (t(lang, "page.wear.lead")) }
            @if q.made.is_some() { p.notice role="status" { (t(lang, "page.wear.made")) } }
            @if items.is_empty() { p.muted { (t(lang, "page.wear.none")) } }
            @for item in &items {
                @let s = &item.suggestion;
                section.card.wear {
                    h2 { (s.model) " · " (item.category_name) }
                    p { (item.reason) }
                    @if plans && contracts.is_empty() { p.muted { (t(lang, "page.wear.no_contract")) } }
                    @if plans && !contracts.is_empty() {
                        form method="post" action="/insights/maintenance" {
                            input type="hidden" name="model" value=(s.model);
                            input type="hidden" name="name" value={ (t(lang, "page.wear.plan_name")) " · " (item.category_name) };
                            @if let Some(d) = s.every_days { input type="hidden" name="every_days" value=(d); }
                            @else if let Some(m) = s.every_meter { input type="hidden" name="every_meter" value=(m); }
                            label for={ "contract-" (s.model) "-" (s.category) } { (t(lang, "page.wear.contract")) }
                            select id={ "contract-" (s.model) "-" (s.category) } name="contract_id" required {
                                @for c in &contracts { option value=(c.id) { (c.name) } }
                            }
                            button type="submit" { (t(lang, "page.wear.make_plan")) }
                        }
                    }
                }
            }
        },
    )
}

/// The plan a press makes.
#[derive(Deserialize)]
pub struct PlanForm {
    model: String,
    name: String,
    contract_id: String,
    every_days: Option<i64>,
    every_meter: Option<i64>,
}

/// Makes a proposal a plan over the chosen contract's units of the model, its first visit
/// two weeks from today (calendar plans).
pub async fn make_plan(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Form(f): Form<PlanForm>,
) -> Response {
    let Some(contract) = ContractId::parse(f.contract_id.trim()) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let now = state.clock.now();
    let today = match user.tenant.utc_offset().await {
        Ok(offset) => now.with_timezone(&offset).date_naive(),
        Err(e) => return super::failure(lang, &e),
    };
    let new = NewPlan {
        name: f.name,
        contract_id: Some(contract),
        model: Some(f.model),
        every_days: f.every_days,
        every_meter: f.every_meter.filter(|_| f.every_days.is_none()),
        starts_on: f
            .every_days
            .map(|_| today + Duration::days(wear::FIRST_VISIT_IN_DAYS)),
        ..NewPlan::default()
    };
    match user.tenant.create_plan(&user.actor, new, now).await {
        Ok(_) => Redirect::to("/insights/maintenance?made=1").into_response(),
        Err(e) => super::failure(lang, &e),
    }
}
