//! `POST /api/v1/triage`: what the tenant's models and the urgency lexicon say of a request
//! before it is filed; `POST /api/v1/triage/train`: an admin trains a model now (the nightly
//! job does too).

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use loopdesk_core::triage::{Request, Suggestion, Target};
use loopdesk_core::{ArticleId, AssetId, CustomerId, TicketId};
use loopdesk_store::{ArticleQuery, TrainReport, Triaged};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{AppJson, CurrentUser};
use crate::state::AppState;

/// A request to triage.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TriageBody {
    /// Its subject (required).
    pub subject: String,
    /// Its description.
    pub description: Option<String>,
    /// The customer, when known: their recent tickets are checked for duplicates.
    pub customer_id: Option<CustomerId>,
    /// The asset, when known: its recent tickets are checked for duplicates.
    pub asset_id: Option<AssetId>,
    /// The channel it came by (`phone`, `email` …); recorded for later models.
    pub channel: Option<String>,
}

/// A category suggested.
#[derive(Serialize, ToSchema)]
pub struct CategorySuggestion {
    /// The category's code.
    pub code: String,
    /// 0..1.
    pub confidence: f64,
    /// The request's words that weighed most for it.
    pub words: Vec<String>,
}

/// When the category model was trained.
#[derive(Serialize, ToSchema)]
pub struct ModelInfo {
    /// When.
    pub trained_at: DateTime<Utc>,
    /// On how many tickets.
    pub trained_on: i64,
}

/// Category suggestions.
#[derive(Serialize, ToSchema)]
pub struct CategoryTriage {
    /// At most 3, best first (none before a category model is trained).
    pub suggestions: Vec<CategorySuggestion>,
    /// The model, or null.
    pub model: Option<ModelInfo>,
}

/// The priority suggested.
#[derive(Serialize, ToSchema)]
pub struct PrioritySuggestion {
    /// 1 (most urgent) to 4.
    pub suggested: i64,
    /// 0..1.
    pub confidence: f64,
    /// The words that drove it.
    pub words: Vec<String>,
}

/// The team suggested.
#[derive(Serialize, ToSchema)]
pub struct TeamSuggestion {
    /// The team's id.
    pub suggested: String,
    /// 0..1.
    pub confidence: f64,
    /// The words that drove it.
    pub words: Vec<String>,
}

/// How urgent the request reads.
#[derive(Serialize, ToSchema)]
pub struct UrgencyView {
    /// `normal`, `high` or `critical`.
    pub level: String,
    /// 0..1.
    pub score: f64,
    /// The words that drove it.
    pub signals: Vec<String>,
}

/// How unhappy it reads.
#[derive(Serialize, ToSchema)]
pub struct SentimentView {
    /// 0..1.
    pub negative: f64,
}

/// A recent ticket it may repeat.
#[derive(Serialize, ToSchema)]
pub struct DuplicateView {
    /// The ticket.
    pub ticket_id: TicketId,
    /// Its number.
    pub number: String,
    /// 0..1.
    pub similarity: f64,
}

/// A knowledge article that may answer it.
#[derive(Serialize, ToSchema)]
pub struct ArticleView {
    /// The article.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Relevance.
    pub score: f64,
}

/// The triage of a request.
#[derive(Serialize, ToSchema)]
pub struct TriageAnswer {
    /// Category suggestions.
    pub category: CategoryTriage,
    /// The priority, or null without a priority model.
    pub priority: Option<PrioritySuggestion>,
    /// The team, or null without a team model.
    pub team: Option<TeamSuggestion>,
    /// Urgency from the shipped lexicon.
    pub urgency: UrgencyView,
    /// Sentiment (the tenant's model, else the lexicon).
    pub sentiment: SentimentView,
    /// Recent tickets of the same customer or asset that read alike.
    pub duplicates: Vec<DuplicateView>,
    /// Published knowledge articles the caller may read that may answer it, best first (at
    /// most 3).
    pub articles: Vec<ArticleView>,
}

impl TriageAnswer {
    /// The answer from the triage and the articles suggested: (id, title, relevance).
    fn of(t: Triaged, articles: Vec<(ArticleId, String, f64)>) -> TriageAnswer {
        let a = t.assessment;
        TriageAnswer {
            category: CategoryTriage {
                suggestions: a
                    .categories
                    .into_iter()
                    .map(|s: Suggestion| CategorySuggestion {
                        code: s.class,
                        confidence: s.confidence,
                        words: s.words,
                    })
                    .collect(),
                model: t.category_model.map(|(trained_at, trained_on)| ModelInfo {
                    trained_at,
                    trained_on,
                }),
            },
            priority: a.priority.map(|(p, s)| PrioritySuggestion {
                suggested: p,
                confidence: s.confidence,
                words: s.words,
            }),
            team: a.team.map(|s| TeamSuggestion {
                suggested: s.class,
                confidence: s.confidence,
                words: s.words,
            }),
            urgency: UrgencyView {
                level: a.urgency.level.as_str().to_owned(),
                score: a.urgency.score,
                signals: a.urgency.signals,
            },
            sentiment: SentimentView {
                negative: a.negative,
            },
            duplicates: a
                .duplicates
                .into_iter()
                .map(|((ticket_id, number), similarity)| DuplicateView {
                    ticket_id,
                    number,
                    similarity,
                })
                .collect(),
            articles: articles
                .into_iter()
                .map(|(id, title, score)| ArticleView {
                    id: id.to_string(),
                    title,
                    score: (score * 1000.0).round() / 1000.0,
                })
                .collect(),
        }
    }
}

/// Triages a request: suggested category, priority and team with the words behind them,
/// urgency and sentiment, and the same customer's or asset's recent tickets that read alike.
#[utoipa::path(post, path = "/api/v1/triage", tag = "triage", request_body = TriageBody,
    responses((status = 200, body = TriageAnswer), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn triage(
    State(state): State<AppState>,
    user: CurrentUser,
    AppJson { value: body, .. }: AppJson<TriageBody>,
) -> Result<Json<TriageAnswer>, ApiError> {
    let request = Request::new(&body.subject, body.description.as_deref())
        .map_err(|e| ApiError::invalid(e.field, e.reason))?;
    let triaged = user
        .tenant
        .triage(
            &user.actor,
            &request,
            body.customer_id,
            body.asset_id,
            state.clock.now(),
        )
        .await?;
    // The knowledge base answers beside the models (the same visibility as the reader's).
    let articles = user
        .tenant
        .suggest_articles(
            &user.actor,
            ArticleQuery {
                subject: &request.subject,
                description: &request.description,
                category: None,
                asset_id: body.asset_id,
            },
        )
        .await?;
    Ok(Json(TriageAnswer::of(triaged, articles)))
}

/// What to train.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrainBody {
    /// `category`, `priority`, `team` or `sentiment`.
    pub target: String,
}

/// A held-out check.
#[derive(Serialize, ToSchema)]
pub struct HoldoutView {
    /// Share right.
    pub accuracy: f64,
    /// F1 averaged over classes.
    pub macro_f1: f64,
    /// Examples held out.
    pub n: usize,
}

/// A model trained.
#[derive(Serialize, ToSchema)]
pub struct Trained {
    /// What it suggests.
    pub target: String,
    /// Examples it learned from.
    pub trained_on: usize,
    /// Classes it tells apart.
    pub classes: usize,
    /// How a model trained on four fifths did on the fifth held out.
    pub holdout: HoldoutView,
}

impl From<TrainReport> for Trained {
    fn from(r: TrainReport) -> Trained {
        Trained {
            target: r.target.as_str().to_owned(),
            trained_on: r.trained_on,
            classes: r.classes,
            holdout: HoldoutView {
                accuracy: r.holdout.accuracy,
                macro_f1: r.holdout.macro_f1,
                n: r.holdout.n,
            },
        }
    }
}

/// Trains the tenant's model for a target now, on the tickets people filed (admin).
#[utoipa::path(post, path = "/api/v1/triage/train", tag = "triage", request_body = TrainBody,
    responses((status = 200, body = Trained), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn train(
    State(state): State<AppState>,
    user: CurrentUser,
    AppJson { value: body, .. }: AppJson<TrainBody>,
) -> Result<Json<Trained>, ApiError> {
    let target = Target::parse(&body.target)
        .ok_or_else(|| ApiError::invalid("target", "error.invalid_value"))?;
    let report = user
        .tenant
        .train_triage(&user.actor, target, state.clock.now())
        .await?;
    Ok(Json(report.into()))
}

/// Whether the model sets a new ticket's category itself.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TriageSettings {
    /// The confidence (0.5..1) from which the tenant's category model sets the category of a
    /// new ticket that came without one (mail, chat, portal, maintenance), recorded as its
    /// guess until a person confirms or corrects it; `null`: it only suggests (the default).
    pub auto_category_above: Option<f64>,
}

/// Whether the model sets categories itself, and from what confidence (any signed-in staff).
#[utoipa::path(get, path = "/api/v1/triage/settings", tag = "triage",
    responses((status = 200, body = TriageSettings), (status = 403, body = ErrorBody)))]
pub async fn settings(user: CurrentUser) -> Result<Json<TriageSettings>, ApiError> {
    if !loopdesk_core::access::allowed(&user.actor, loopdesk_core::access::Permission::Triage) {
        return Err(loopdesk_store::StoreError::Forbidden.into());
    }
    Ok(Json(TriageSettings {
        auto_category_above: user.tenant.auto_category_above().await?,
    }))
}

/// Lets the model set categories itself from a confidence, or turns that off (admin).
#[utoipa::path(put, path = "/api/v1/triage/settings", tag = "triage", request_body = TriageSettings,
    responses((status = 200, body = TriageSettings), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn set_settings(
    user: CurrentUser,
    AppJson { value: body, .. }: AppJson<TriageSettings>,
) -> Result<Json<TriageSettings>, ApiError> {
    let above = user
        .tenant
        .set_auto_category_above(&user.actor, body.auto_category_above)
        .await?;
    Ok(Json(TriageSettings {
        auto_category_above: above,
    }))
}
