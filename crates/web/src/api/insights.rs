//! `GET /api/v1/insights/problems`: groups of tickets far above their own baseline in a window
//! (a category, or a word of their text), each with what its tickets concentrate on.
//! `GET /api/v1/insights/risk`: open tickets, riskiest first, with why; `…/risk/backtest`: how
//! the model would have ranked a past period.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::Json;
use chrono::Duration;
use loopdesk_core::i18n::Lang;
use loopdesk_core::TicketId;
use loopdesk_store::{ProblemItem, ShareItem};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::tickets::{opt, time};
use crate::error::{ApiError, ErrorBody};
use crate::extract::CurrentUser;
use crate::state::AppState;

/// The window.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProblemsQuery {
    /// Start, RFC 3339 (default: 7 days before `to`).
    pub from: Option<String>,
    /// End (exclusive), RFC 3339 (default: now); at most 92 days after `from`.
    pub to: Option<String>,
}

/// Recurring problems, most significant first.
#[derive(Serialize, ToSchema)]
pub struct ProblemsBody {
    /// The problems.
    pub items: Vec<ProblemBody>,
}

/// One group of tickets far above its baseline.
#[derive(Serialize, ToSchema)]
pub struct ProblemBody {
    /// `category:<code>` or `term:<word>`.
    pub key: String,
    /// The category's name, or the word with the words that go with it.
    pub label: String,
    /// `category` or `term`.
    pub signal: String,
    /// Its tickets in the window.
    pub count: usize,
    /// Its expected count: the mean of the same weekdays of the four weeks before.
    pub expected: f64,
    /// `count` over the expected count (smoothed by half a ticket, so a new word's is finite).
    pub lift: f64,
    /// What its tickets concentrate on compared with all the window's tickets, largest first.
    pub concentration: Vec<ConcentrationBody>,
    /// Its tickets, newest first (at most 50).
    #[schema(value_type = Vec<String>)]
    pub ticket_ids: Vec<TicketId>,
}

/// An attribute value a problem's tickets concentrate on.
#[derive(Serialize, ToSchema)]
pub struct ConcentrationBody {
    /// `asset_model`, `region`, `channel`, `customer_tier`, `category` or `site`.
    pub attribute: String,
    /// The model's code, the region's or site's id, the channel, the tier or the category code.
    pub value: String,
    /// Its name in the caller's language.
    pub label: String,
    /// Share of the problem's tickets that have it, 0..1.
    pub share: f64,
}

/// Recurring problems in a window (supervisor — their region's tickets —, manager, admin):
/// groups of tickets (a category, or a word of their text) far above their own baseline — the
/// same weekdays of the previous four weeks — and for each the attributes (model, region,
/// channel, customer tier, category, site) its tickets concentrate on compared with all the
/// window's tickets. A stationary history has none.
#[utoipa::path(get, path = "/api/v1/insights/problems", tag = "insights", params(ProblemsQuery),
    responses((status = 200, body = ProblemsBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn problems(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Query(q): Query<ProblemsQuery>,
) -> Result<Json<ProblemsBody>, ApiError> {
    let lang = accept_lang(&headers);
    let to = opt("to", q.to.as_deref(), time)?.unwrap_or_else(|| state.clock.now());
    let from = opt("from", q.from.as_deref(), time)?.unwrap_or(to - Duration::days(7));
    let items = user.tenant.problems(&user.actor, from, to).await?;
    Ok(Json(ProblemsBody {
        items: items.into_iter().map(|p| body(p, lang)).collect(),
    }))
}

fn body(p: ProblemItem, lang: Lang) -> ProblemBody {
    ProblemBody {
        key: p.key,
        label: p.label,
        signal: p.signal.as_str().to_owned(),
        count: p.count,
        expected: round(p.expected),
        lift: round(p.lift),
        concentration: p
            .concentration
            .into_iter()
            .map(|s| ConcentrationBody {
                attribute: s.attribute.as_str().to_owned(),
                label: share_label(lang, &s),
                value: s.value,
                share: round(s.share),
            })
            .collect(),
        ticket_ids: p.tickets.into_iter().map(|t| t.id).collect(),
    }
}

/// The name of a value a problem's tickets concentrate on: the store's (a region, a site, a
/// model, a category), else the caller's language's (a channel, a tier).
pub(crate) fn share_label(lang: Lang, s: &ShareItem) -> String {
    loopdesk_core::insights::alert::value_label(lang, s.attribute, &s.value, s.label.as_deref())
}

/// Three decimals are all a reader needs.
fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// An open ticket's risk.
#[derive(Serialize, ToSchema)]
pub struct RiskBody {
    /// The ticket.
    #[schema(value_type = String)]
    pub ticket_id: TicketId,
    /// Its number.
    pub number: String,
    /// The chance it misses its resolution due time, 0..1 (1 once past it; 0 without one).
    pub breach_probability: f64,
    /// The chance it comes back after it is resolved, 0..1.
    pub reopen_probability: f64,
    /// What raised the breach chance most, in the caller's language, most first.
    pub reasons: Vec<String>,
}

/// The still-unresolved tickets the caller may see (dispatcher, supervisor — their region —,
/// manager, admin), riskiest first: each one's chance of missing its resolution due time and
/// of coming back after resolution, from what is known now (category, priority, age, SLA time
/// left, the engineer's open orders and record, parts waited for, the customer's recent
/// requests and record, chases, urgent words), with the reasons. The tenant's own model,
/// trained nightly on its history; with too little history, the share of the SLA window gone.
#[utoipa::path(get, path = "/api/v1/insights/risk", tag = "insights",
    responses((status = 200, body = Vec<RiskBody>), (status = 403, body = ErrorBody)))]
pub async fn risk(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
) -> Result<Json<Vec<RiskBody>>, ApiError> {
    let lang = accept_lang(&headers);
    let items = user
        .tenant
        .open_risk(&user.actor, state.clock.now())
        .await?;
    let names = user.tenant.category_names().await?;
    let name = |code: &str| names.get(code).cloned().unwrap_or_else(|| code.to_owned());
    Ok(Json(
        items
            .into_iter()
            .map(|i| RiskBody {
                ticket_id: i.ticket_id,
                number: i.number,
                breach_probability: round(i.risk.breach),
                reopen_probability: round(i.risk.reopen),
                reasons: i.risk.reasons.iter().map(|r| r.text(lang, name)).collect(),
            })
            .collect(),
    ))
}

/// The past period a backtest replays.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BacktestQuery {
    /// Start, RFC 3339 (default: 35 days before now).
    pub from: Option<String>,
    /// End (exclusive), RFC 3339, not after now (default: 7 days before now); at most 366 days
    /// after `from`.
    pub to: Option<String>,
}

/// How the breach model would have ranked a past period's tickets.
#[derive(Serialize, ToSchema)]
pub struct BacktestBody {
    /// Moments scored: each ticket at creation and at each quarter of its SLA window while
    /// it was still open.
    pub n: usize,
    /// Tickets scored.
    pub tickets: usize,
    /// Area under the ROC curve (0.5: no better than chance).
    pub auc: f64,
    /// Mean squared error of the predicted chance (lower is better).
    pub brier: f64,
    /// Predicted chance against the share that breached, in ten bins (empty bins left out).
    pub calibration: Vec<BinBody>,
    /// Tickets with a known outcome the model learned from (all before `from`).
    pub trained_on: usize,
}

/// A calibration bin.
#[derive(Serialize, ToSchema)]
pub struct BinBody {
    /// Mean predicted chance.
    pub predicted: f64,
    /// Share that breached.
    pub observed: f64,
    /// Moments in the bin.
    pub n: usize,
}

/// The breach model replayed on a past period (dispatcher, supervisor, manager, admin): trained
/// only on what was known before `from`, each ticket created in `[from, to)` scored at the
/// moments of its life and compared with what happened. Too little history before `from` →
/// 422 saying how many tickets there are and how many are needed.
#[utoipa::path(get, path = "/api/v1/insights/risk/backtest", tag = "insights", params(BacktestQuery),
    responses((status = 200, body = BacktestBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn risk_backtest(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<BacktestQuery>,
) -> Result<Json<BacktestBody>, ApiError> {
    let now = state.clock.now();
    let to = opt("to", q.to.as_deref(), time)?.unwrap_or(now - Duration::days(7));
    let from = opt("from", q.from.as_deref(), time)?.unwrap_or(to - Duration::days(28));
    let b = match user.tenant.risk_backtest(&user.actor, from, to, now).await {
        Err(e @ loopdesk_store::StoreError::TooFewExamples { .. }) => {
            return Err(ApiError::from(e).field("from"))
        }
        other => other?,
    };
    Ok(Json(BacktestBody {
        n: b.n,
        tickets: b.tickets,
        auc: round(b.auc),
        brier: round(b.brier),
        calibration: b
            .calibration
            .into_iter()
            .map(|x| BinBody {
                predicted: round(x.predicted),
                observed: round(x.observed),
                n: x.n,
            })
            .collect(),
        trained_on: b.trained_on,
    }))
}

/// Which model to propose plans for.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MaintenanceQuery {
    /// One equipment model (default: every model).
    pub model: Option<String>,
}

/// Preventive plans worth proposing.
#[derive(Serialize, ToSchema)]
pub struct MaintenanceBody {
    /// Most telling first.
    pub items: Vec<MaintenanceItem>,
}

/// A plan proposed for a model against one kind of fault, with why.
#[derive(Serialize, ToSchema)]
pub struct MaintenanceItem {
    /// What was found.
    #[serde(flatten)]
    pub suggestion: loopdesk_core::insights::wear::Suggestion,
    /// The fault's category name.
    pub category_name: String,
    /// Why, in the caller's language.
    pub reason: String,
}

/// Maintenance suggestions: for each equipment model, the faults that come back at a regular
/// age or meter reading (bunched, not random), each proposed as a preventive plan — every
/// so many days or meter units, before nine in ten of them (supervisors — their region's
/// tickets —, managers, admins).
#[utoipa::path(get, path = "/api/v1/insights/maintenance", tag = "insights", params(MaintenanceQuery),
    responses((status = 200, body = MaintenanceBody), (status = 403, body = ErrorBody)))]
pub async fn maintenance(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Query(q): Query<MaintenanceQuery>,
) -> Result<Json<MaintenanceBody>, ApiError> {
    let lang = accept_lang(&headers);
    let items = maintenance_items(&user, lang, q.model.as_deref(), &state).await?;
    Ok(Json(MaintenanceBody { items }))
}

/// The suggestions with their category names and reasons (the API's and the page's).
pub(crate) async fn maintenance_items(
    user: &CurrentUser,
    lang: Lang,
    model: Option<&str>,
    state: &AppState,
) -> Result<Vec<MaintenanceItem>, loopdesk_store::StoreError> {
    let found = user
        .tenant
        .maintenance_suggestions(&user.actor, model, state.clock.now())
        .await?;
    let names = user.tenant.category_names().await?;
    Ok(found
        .into_iter()
        .map(|s| {
            let category_name = names
                .get(&s.category)
                .cloned()
                .unwrap_or_else(|| s.category.clone());
            MaintenanceItem {
                reason: s.text(lang, &category_name),
                category_name,
                suggestion: s,
            }
        })
        .collect())
}

/// The caller's language, from `Accept-Language`.
fn accept_lang(headers: &HeaderMap) -> Lang {
    Lang::from_accept_language(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}
