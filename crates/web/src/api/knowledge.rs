//! The knowledge base: articles written, reviewed and published; drafted from a ticket's
//! resolution (存为知识); feedback, deflections and tickets resolved with an article.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use chrono::Duration;
use loopdesk_core::i18n::Lang;
use loopdesk_core::knowledge::ArticleState;
use loopdesk_core::{ArticleId, TicketId};
use loopdesk_store::{Article, ArticleChange, ArticleQuery, KnowledgeFigures, NewArticle};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::path_id;
use super::tickets::{opt, time};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{AppJson, CurrentUser};
use crate::state::AppState;

/// A new article (a draft).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewArticleBody {
    /// Title (at most 200 characters).
    pub title: String,
    /// Body, Markdown (at most 50,000 characters).
    pub body: String,
    /// The category it is about.
    pub category: Option<String>,
    /// The equipment model it is about.
    pub model: Option<String>,
    /// `public` (customers too, once published) or `internal` (default).
    pub visibility: Option<String>,
}

/// Writes a new article as a draft (agents, dispatchers, engineers, supervisors, admins).
#[utoipa::path(post, path = "/api/v1/articles", tag = "knowledge", request_body = NewArticleBody,
    responses((status = 201, body = Article), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    AppJson { value: b, .. }: AppJson<NewArticleBody>,
) -> Result<(StatusCode, Json<Article>), ApiError> {
    let new = NewArticle {
        title: b.title,
        body: b.body,
        category: b.category,
        model: b.model,
        visibility: b.visibility,
        source_ticket_id: None,
    };
    let a = user
        .tenant
        .create_article(&user.actor, new, state.clock.now())
        .await?;
    Ok((StatusCode::CREATED, Json(a)))
}

/// Which articles.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArticlesQuery {
    /// `draft`, `review`, `published` or `archived` (default: all the reader may see).
    pub state: Option<String>,
}

/// Articles.
#[derive(Serialize, ToSchema)]
pub struct ArticlesBody {
    /// Last changed first (at most 500).
    pub items: Vec<Article>,
}

/// The articles the reader may see: customers the published public ones, writers all, other
/// staff the published ones.
#[utoipa::path(get, path = "/api/v1/articles", tag = "knowledge", params(ArticlesQuery),
    responses((status = 200, body = ArticlesBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    user: CurrentUser,
    Query(q): Query<ArticlesQuery>,
) -> Result<Json<ArticlesBody>, ApiError> {
    let state = opt("state", q.state.as_deref(), ArticleState::parse)?;
    Ok(Json(ArticlesBody {
        items: user.tenant.articles(&user.actor, state).await?,
    }))
}

/// One article (404 for one the reader may not see).
#[utoipa::path(get, path = "/api/v1/articles/{id}", tag = "knowledge", params(("id" = String, Path)),
    responses((status = 200, body = Article), (status = 404, body = ErrorBody)))]
pub async fn get(user: CurrentUser, Path(id): Path<String>) -> Result<Json<Article>, ApiError> {
    let id = path_id(&id, ArticleId::parse)?;
    Ok(Json(user.tenant.article(&user.actor, id).await?))
}

/// A change to an article.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleChangeBody {
    /// The version last seen.
    pub version: i64,
    /// New title.
    pub title: Option<String>,
    /// New body (kept as a new version with the title).
    pub body: Option<String>,
    /// New category (empty: none).
    pub category: Option<String>,
    /// `public` or `internal`.
    pub visibility: Option<String>,
    /// `review` (a writer asks for review), `draft`, `published` or `archived` (a reviewer).
    pub state: Option<String>,
}

/// Changes an article (writers; publishing, sending back and archiving: supervisors and
/// admins). 409 when someone changed it first.
#[utoipa::path(patch, path = "/api/v1/articles/{id}", tag = "knowledge", params(("id" = String, Path)),
    request_body = ArticleChangeBody,
    responses((status = 200, body = Article), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    AppJson { value: b, .. }: AppJson<ArticleChangeBody>,
) -> Result<Json<Article>, ApiError> {
    let id = path_id(&id, ArticleId::parse)?;
    let change = ArticleChange {
        version: b.version,
        title: b.title,
        body: b.body,
        category: b.category,
        visibility: b.visibility,
        state: b.state,
    };
    Ok(Json(
        user.tenant
            .change_article(&user.actor, id, change, state.clock.now())
            .await?,
    ))
}

/// A reader's verdict.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackBody {
    /// Whether it helped.
    pub helpful: bool,
}

/// Helpful or not (one per reader; a second replaces the first).
#[utoipa::path(post, path = "/api/v1/articles/{id}/feedback", tag = "knowledge", params(("id" = String, Path)),
    request_body = FeedbackBody,
    responses((status = 200, body = Article), (status = 404, body = ErrorBody)))]
pub async fn feedback(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    AppJson { value: b, .. }: AppJson<FeedbackBody>,
) -> Result<Json<Article>, ApiError> {
    let id = path_id(&id, ArticleId::parse)?;
    Ok(Json(
        user.tenant
            .article_feedback(&user.actor, id, b.helpful, state.clock.now())
            .await?,
    ))
}

/// The article answered the reader's problem before they filed a request (self-service: it
/// closes nothing and is counted as a deflection).
#[utoipa::path(post, path = "/api/v1/articles/{id}/deflection", tag = "knowledge", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn deflection(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(&id, ArticleId::parse)?;
    user.tenant
        .deflected(&user.actor, id, state.clock.now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Drafts an article from the ticket's last work report (存为知识): the fault, the resolution
/// and the parts, in the writer's language. 422 when the ticket has no resolution yet.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/article-draft", tag = "knowledge", params(("id" = String, Path)),
    responses((status = 201, body = Article), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn draft_from_ticket(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Article>), ApiError> {
    let id = path_id(&id, TicketId::parse)?;
    let lang = Lang::from_accept_language(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let a = user
        .tenant
        .draft_article_from(&user.actor, id, lang, state.clock.now())
        .await?;
    Ok((StatusCode::CREATED, Json(a)))
}

/// The article a ticket was resolved with.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UsedArticleBody {
    /// The article.
    #[schema(value_type = String)]
    pub article_id: ArticleId,
}

/// Records that the ticket was resolved with an article (staff; once per article).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/articles", tag = "knowledge", params(("id" = String, Path)),
    request_body = UsedArticleBody,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn used_on_ticket(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    AppJson { value: b, .. }: AppJson<UsedArticleBody>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(&id, TicketId::parse)?;
    user.tenant
        .resolved_with_article(&user.actor, id, b.article_id, state.clock.now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The period of the figures.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FiguresQuery {
    /// Start, RFC 3339 (default: 30 days before `to`).
    pub from: Option<String>,
    /// End (exclusive), RFC 3339 (default: now, included).
    pub to: Option<String>,
}

/// Deflections, tickets resolved with an article and articles published in a period (those
/// who read KPIs).
#[utoipa::path(get, path = "/api/v1/knowledge/figures", tag = "knowledge", params(FiguresQuery),
    responses((status = 200, body = KnowledgeFigures), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn figures(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<FiguresQuery>,
) -> Result<Json<KnowledgeFigures>, ApiError> {
    let to = opt("to", q.to.as_deref(), time)?
        .unwrap_or_else(|| state.clock.now() + Duration::milliseconds(1));
    let from = opt("from", q.from.as_deref(), time)?.unwrap_or(to - Duration::days(30));
    if to <= from {
        return Err(ApiError::invalid("to", "error.ends_before_start"));
    }
    Ok(Json(
        user.tenant.knowledge_figures(&user.actor, from, to).await?,
    ))
}

/// A request, before it is filed.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SuggestQuery {
    /// What it is about (required).
    pub subject: String,
    /// More words.
    pub description: Option<String>,
}

/// An article that may answer a request.
#[derive(Serialize, ToSchema)]
pub struct SuggestedArticle {
    /// The article.
    #[schema(value_type = String)]
    pub id: ArticleId,
    /// Its title.
    pub title: String,
    /// Relevance, 0..1.
    pub score: f64,
}

/// The published articles the reader may see that may answer a request, best first (at most
/// 3): the portal asks before a customer files, the engineer's task page for the job at hand.
#[utoipa::path(get, path = "/api/v1/articles/suggest", tag = "knowledge", params(SuggestQuery),
    responses((status = 200, body = Vec<SuggestedArticle>), (status = 422, body = ErrorBody)))]
pub async fn suggest(
    user: CurrentUser,
    Query(q): Query<SuggestQuery>,
) -> Result<Json<Vec<SuggestedArticle>>, ApiError> {
    if q.subject.trim().is_empty() {
        return Err(ApiError::invalid("subject", "error.required"));
    }
    let found = user
        .tenant
        .suggest_articles(
            &user.actor,
            ArticleQuery {
                subject: &q.subject,
                description: q.description.as_deref().unwrap_or(""),
                ..ArticleQuery::default()
            },
        )
        .await?;
    Ok(Json(
        found
            .into_iter()
            .map(|(id, title, score)| SuggestedArticle {
                id,
                title,
                score: (score * 1000.0).round() / 1000.0,
            })
            .collect(),
    ))
}
