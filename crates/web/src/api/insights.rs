//! `GET /api/v1/insights/problems`: groups of tickets far above their own baseline in a window
//! (a category, or a word of their text), each with what its tickets concentrate on.

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
    let lang = Lang::from_accept_language(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
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
