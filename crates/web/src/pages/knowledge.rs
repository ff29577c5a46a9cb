//! The knowledge base on pages: `/kb` lists what the reader may see (writers every state, a
//! new article's form), `/kb/{id}` shows one — its text, helpful or not, and for writers the
//! edit form and the review moves — and `/t/{id}/article-draft` keeps a ticket's resolution
//! as a draft (存为知识).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use loopdesk_core::access::{self, Permission};
use loopdesk_core::i18n::{t, tf, Lang};
use loopdesk_core::knowledge::ArticleState;
use loopdesk_core::{ArticleId, TicketId};
use loopdesk_store::{Article, ArticleChange, ArticleQuery, NewArticle, StoreError};
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{page, PageQuery, PageUser};
use crate::extract::CurrentUser;
use crate::state::AppState;

/// An article's body as the page shows it: its `## ` headings as headings, `- ` lines as a
/// list, the rest as paragraphs — every character escaped (no HTML from the text).
pub(crate) fn body(text: &str) -> Markup {
    let mut blocks: Vec<Markup> = Vec::new();
    let mut items: Vec<&str> = Vec::new();
    let mut para: Vec<&str> = Vec::new();
    let flush = |items: &mut Vec<&str>, para: &mut Vec<&str>, blocks: &mut Vec<Markup>| {
        if !items.is_empty() {
            blocks.push(html! { ul { @for i in items.iter() { li { (i) } } } });
            items.clear();
        }
        if !para.is_empty() {
            blocks.push(html! { p { (para.join("\n")) } });
            para.clear();
        }
    };
    for line in text.lines() {
        let line = line.trim_end();
        if let Some(h) = line.strip_prefix("## ").or_else(|| line.strip_prefix("# ")) {
            flush(&mut items, &mut para, &mut blocks);
            blocks.push(html! { h3 { (h.trim()) } });
        } else if let Some(i) = line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")) {
            if !para.is_empty() {
                blocks.push(html! { p { (para.join("\n")) } });
                para.clear();
            }
            items.push(i.trim());
        } else if line.trim().is_empty() {
            flush(&mut items, &mut para, &mut blocks);
        } else {
            if !items.is_empty() {
                blocks.push(html! { ul { @for i in items.iter() { li { (i) } } } });
                items.clear();
            }
            para.push(line);
        }
    }
    flush(&mut items, &mut para, &mut blocks);
    html! { div.article-body { @for b in blocks { (b) } } }
}

fn state_badge(lang: Lang, state: &str) -> Markup {
    let class = match state {
        "published" => "badge ok",
        "review" => "badge warning",
        _ => "badge",
    };
    html! { span class=(class) { (t(lang, &format!("page.kb.state.{state}"))) } }
}

/// The articles, and a new one's form for writers.
pub async fn list(PageUser { user, lang }: PageUser) -> Response {
    let (articles, categories) = match (
        user.tenant.articles(&user.actor, None).await,
        user.tenant.categories().await,
    ) {
        (Ok(a), Ok(c)) => (a, c),
        (Err(e), _) | (_, Err(e)) => return super::failure(lang, &e),
    };
    let writer = access::allowed(&user.actor, Permission::WriteArticles);
    let title = t(lang, "page.kb.title");
    page(
        lang,
        title,
        Some(&user.auth.user),
        html! {
            h1 { (title) }
            @if articles.is_empty() { p.muted { (t(lang, "page.kb.none")) } }
            @if !articles.is_empty() {
                table.articles {
                    thead { tr {
                        th { (t(lang, "page.kb.article")) }
                        @if writer { th { (t(lang, "page.kb.state")) } th { (t(lang, "page.kb.visibility")) } }
                        th { (t(lang, "page.kb.helpful")) }
                    } }
                    tbody {
                        @for a in &articles {
                            tr {
                                td { a href={ "/kb/" (a.id) } { (a.title) } }
                                @if writer {
                                    td { (state_badge(lang, &a.state)) }
                                    td { (t(lang, &format!("page.kb.visibility.{}", a.visibility))) }
                                }
                                td { (t(lang, "page.kb.yes")) " " (a.helpful) " · " (t(lang, "page.kb.no")) " " (a.not_helpful) }
                            }
                        }
                    }
                }
            }
            @if writer {
                details.card {
                    summary { a { (t(lang, "page.kb.new")) } }
                    form method="post" action="/kb" {
                        label for="kb-title" { (t(lang, "page.kb.article_title")) }
                        input #kb-title name="title" required maxlength="200";
                        label for="kb-body" { (t(lang, "page.kb.body")) }
                        textarea #kb-body name="body" required rows="10" maxlength="50000" {}
                        p.muted { (t(lang, "page.kb.body_hint")) }
                        (fields(lang, &categories, None, "internal"))
                        p { button type="submit" { (t(lang, "page.kb.save_draft")) } }
                    }
                }
            }
        },
    )
}

fn fields(
    lang: Lang,
    categories: &[loopdesk_store::Category],
    category: Option<&str>,
    visibility: &str,
) -> Markup {
    html! {
        label for="kb-category" { (t(lang, "page.desk.category")) }
        select #kb-category name="category" {
            option value="" { "—" }
            @for c in categories { option value=(c.code) selected[category == Some(c.code.as_str())] { (c.name) } }
        }
        label for="kb-visibility" { (t(lang, "page.kb.visibility")) }
        select #kb-visibility name="visibility" {
            @for v in ["internal", "public"] { option value=(v) selected[v == visibility] { (t(lang, &format!("page.kb.visibility.{v}"))) } }
        }
    }
}

/// A new article as posted.
#[derive(Deserialize)]
pub struct NewForm {
    title: String,
    body: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    visibility: String,
}

/// Saves a new draft and shows it.
pub async fn create(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Form(f): Form<NewForm>,
) -> Response {
    let new = NewArticle {
        title: f.title,
        body: f.body,
        category: Some(f.category).filter(|c| !c.trim().is_empty()),
        model: None,
        visibility: Some(f.visibility).filter(|v| !v.trim().is_empty()),
        source_ticket_id: None,
    };
    match user
        .tenant
        .create_article(&user.actor, new, state.clock.now())
        .await
    {
        Ok(a) => Redirect::to(&format!("/kb/{}", a.id)).into_response(),
        Err(e) => super::failure(lang, &e),
    }
}

/// Keeps a ticket's resolution as a draft article and opens it (存为知识).
pub async fn draft_from_ticket(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
) -> Response {
    let Some(id) = TicketId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    match user
        .tenant
        .draft_article_from(&user.actor, id, lang, state.clock.now())
        .await
    {
        Ok(a) => Redirect::to(&format!("/kb/{}", a.id)).into_response(),
        Err(e) => super::failure(lang, &e),
    }
}

/// What the article page was sent back with.
#[derive(Deserialize, Default)]
pub struct ShowQuery {
    /// The reader said it solved their problem.
    solved: Option<String>,
}

/// One article.
pub async fn show(
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
    PageQuery(q): PageQuery<ShowQuery>,
) -> Response {
    article_page(&user, lang, &id, None, q.solved.is_some()).await
}

async fn article_page(
    user: &CurrentUser,
    lang: Lang,
    id: &str,
    error: Option<&StoreError>,
    solved: bool,
) -> Response {
    let Some(id) = ArticleId::parse(id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let a = match user.tenant.article(&user.actor, id).await {
        Ok(a) => a,
        Err(e) => return super::failure(lang, &e),
    };
    let writer = access::allowed(&user.actor, Permission::WriteArticles);
    let (categories, versions) = if writer {
        match (
            user.tenant.categories().await,
            user.tenant.article_versions(&user.actor, id).await,
        ) {
            (Ok(c), Ok(v)) => (c, v),
            (Err(e), _) | (_, Err(e)) => return super::failure(lang, &e),
        }
    } else {
        (Vec::new(), Vec::new())
    };
    let reviewer = access::allowed(&user.actor, Permission::ReviewArticles);
    let offset = match user.tenant.utc_offset().await {
        Ok(o) => o,
        Err(e) => return super::failure(lang, &e),
    };
    let mut res = page(
        lang,
        &a.title,
        Some(&user.auth.user),
        html! {
            p.muted { a href="/kb" { "← " (t(lang, "page.kb.title")) } }
            h1 { (a.title) " " @if writer { (state_badge(lang, &a.state)) } }
            @if let Some(e) = error {
                p.error role="alert" { (super::refusal(lang, e).unwrap_or_else(|| t(lang, "page.kb.changed_meanwhile").to_owned())) }
            }
            @if let Some(t_id) = a.source_ticket_id { @if writer {
                p.muted { (t(lang, "page.kb.from_ticket")) " " a href={ "/t/" (t_id) } { (t(lang, "page.kb.the_ticket")) } }
            } }
            div.card { (body(&a.body)) }
            (feedback(lang, &a))
            @if solved {
                p.notice role="status" { (t(lang, "page.kb.solved_thanks")) }
            } @else if a.state == "published" {
                form method="post" action={ "/kb/" (a.id) "/solved" } {
                    p { button.quiet type="submit" { (t(lang, "page.kb.solved")) } }
                }
            }
            @if writer { (editor(lang, &a, &categories, reviewer)) }
            @if writer && !versions.is_empty() {
                details {
                    summary { (tf(lang, "page.kb.versions", &[("count", &versions.len().to_string())])) }
                    ul {
                        @for (v, title, who, at) in &versions {
                            li { "v" (v) " · " (title) " · " (who.clone().unwrap_or_default()) " · " (super::local_time(offset, *at)) }
                        }
                    }
                }
            }
        },
    );
    if error.is_some() {
        *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    res
}

fn feedback(lang: Lang, a: &Article) -> Markup {
    html! {
        form.inline method="post" action={ "/kb/" (a.id) "/feedback" } {
            span.muted { (t(lang, "page.kb.was_it_helpful")) }
            button.quiet type="submit" name="helpful" value="true" { (t(lang, "page.kb.yes")) " (" (a.helpful) ")" }
            button.quiet type="submit" name="helpful" value="false" { (t(lang, "page.kb.no")) " (" (a.not_helpful) ")" }
        }
    }
}

fn editor(
    lang: Lang,
    a: &Article,
    categories: &[loopdesk_store::Category],
    reviewer: bool,
) -> Markup {
    let state = ArticleState::parse(&a.state).unwrap_or(ArticleState::Draft);
    let moves: Vec<(ArticleState, &str)> = [
        (ArticleState::Review, "page.kb.move.review"),
        (ArticleState::Published, "page.kb.move.publish"),
        (ArticleState::Draft, "page.kb.move.draft"),
        (ArticleState::Archived, "page.kb.move.archive"),
    ]
    .into_iter()
    .filter(|(to, _)| {
        *to != state && loopdesk_core::knowledge::may_move(state, *to, reviewer).is_ok()
    })
    .collect();
    html! {
        @if !moves.is_empty() {
            div.actions {
                @for (to, key) in &moves {
                    form method="post" action={ "/kb/" (a.id) } {
                        input type="hidden" name="version" value=(a.version);
                        input type="hidden" name="state" value=(to.as_str());
                        button.quiet[matches!(to, ArticleState::Draft | ArticleState::Archived)] type="submit" { (t(lang, key)) }
                    }
                }
            }
        }
        details.card {
            summary { a { (t(lang, "page.kb.edit")) } }
            form method="post" action={ "/kb/" (a.id) } {
                input type="hidden" name="version" value=(a.version);
                label for="kb-title" { (t(lang, "page.kb.article_title")) }
                input #kb-title name="title" required maxlength="200" value=(a.title);
                label for="kb-body" { (t(lang, "page.kb.body")) }
                textarea #kb-body name="body" required rows="14" maxlength="50000" { (a.body) }
                (fields(lang, categories, a.category.as_deref(), &a.visibility))
                p { button type="submit" { (t(lang, "page.desk.save")) } }
            }
        }
    }
}

/// A change as posted: the text and fields, or a move.
#[derive(Deserialize)]
pub struct ChangeForm {
    version: i64,
    title: Option<String>,
    body: Option<String>,
    category: Option<String>,
    visibility: Option<String>,
    state: Option<String>,
}

/// Saves a change; back to the article (a refusal says why beside it).
pub async fn change(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
    Form(f): Form<ChangeForm>,
) -> Response {
    let Some(article) = ArticleId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let change = ArticleChange {
        version: f.version,
        title: f.title,
        body: f.body,
        category: f.category,
        visibility: f.visibility,
        state: f.state,
    };
    match user
        .tenant
        .change_article(&user.actor, article, change, state.clock.now())
        .await
    {
        Ok(_) => Redirect::to(&format!("/kb/{article}")).into_response(),
        Err(e @ (StoreError::Invalid(_) | StoreError::Stale { .. })) => {
            article_page(&user, lang, &id, Some(&e), false).await
        }
        Err(e) => super::failure(lang, &e),
    }
}

/// Helpful or not, as posted.
#[derive(Deserialize)]
pub struct FeedbackForm {
    helpful: String,
}

/// Records the reader's verdict; back to the article.
pub async fn feedback_post(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
    Form(f): Form<FeedbackForm>,
) -> Response {
    let Some(article) = ArticleId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    match user
        .tenant
        .article_feedback(&user.actor, article, f.helpful == "true", state.clock.now())
        .await
    {
        Ok(_) => Redirect::to(&format!("/kb/{article}")).into_response(),
        Err(e) => super::failure(lang, &e),
    }
}

/// The reader's problem was solved by the article, before they filed anything (a deflection);
/// back to the article with thanks.
pub async fn solved(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
) -> Response {
    let Some(article) = ArticleId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    match user
        .tenant
        .deflected(&user.actor, article, state.clock.now())
        .await
    {
        Ok(()) => Redirect::to(&format!("/kb/{article}?solved=1")).into_response(),
        Err(e) => super::failure(lang, &e),
    }
}

/// Articles that may answer a request, as a panel beside the form.
pub(crate) fn suggestions(lang: Lang, articles: &[(ArticleId, String, f64)]) -> Markup {
    html! {
        @if !articles.is_empty() {
            div.kb-suggestions {
                p { strong { (t(lang, "page.kb.may_help")) } }
                ul {
                    @for (id, title, _) in articles {
                        li { a href={ "/kb/" (id) } target="_blank" rel="noopener" { (title) } }
                    }
                }
            }
        }
    }
}

/// A request being typed, as the portal's form sends it.
#[derive(Deserialize)]
pub struct SuggestForm {
    #[serde(default)]
    subject: String,
    #[serde(default)]
    description: String,
}

/// The portal's panel: the published articles the customer may read that may answer what
/// they are typing, before they file it.
pub async fn portal_suggest(
    PageUser { user, lang }: PageUser,
    Form(f): Form<SuggestForm>,
) -> Response {
    if f.subject.trim().is_empty() {
        return axum::response::Html(String::new()).into_response();
    }
    match user
        .tenant
        .suggest_articles(
            &user.actor,
            ArticleQuery {
                subject: &f.subject,
                description: &f.description,
                ..ArticleQuery::default()
            },
        )
        .await
    {
        Ok(found) => axum::response::Html(suggestions(lang, &found).into_string()).into_response(),
        Err(e) => super::failure(lang, &e),
    }
}
